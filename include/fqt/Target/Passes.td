//===- Passes.td - fqt passes for the compiled program's ABI -*- tablegen -*-===//

#ifndef FQT_TARGET_PASSES_TD
#define FQT_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTEmitEntryPoints : Pass<"fqt-emit-entry-points", "::mlir::ModuleOp"> {
  let summary = "Add the C entry points of the runtime ABI to a bufferized program";
  let description = [{
    For every step function (a public function whose arguments carry
    `fqt.slot`, `#fqt.slot<kind, name>`) adds `fqt_<name>(!llvm.ptr)`: it
    reads one buffer pointer per argument and result from the array it is
    given, wraps each in a memref descriptor of the statically known shape
    (offset 0, row-major strides) and calls `<name>`. Also adds
    `fqt_model_info()`, returning the runtime's description
    (include/fqt/Runtime/Model.h) as a C string: the module's
    `#fqt.program` (loss, optimizer, quantizers) and each step function's
    buffers, its results being the out-parameters after its last argument
    of an argument-only kind (weight, input, label, hyper). This pass is
    the one place that writes the description.

    Runs after bufferization with identity layouts at function boundaries
    and `--buffer-results-to-out-params`, so that `<name>` takes exactly one
    statically shaped memref per argument and result, in the order the
    description lists them. Afterwards the program can be lowered to LLVM
    and called from C as `void fqt_<name>(void **buffers)`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect"];
}

def FQTPlanWorkspace : Pass<"fqt-plan-workspace", "::mlir::ModuleOp"> {
  let summary = "Put a step function's temporary buffers in one workspace the caller passes";
  let description = [{
    For every step function (see `--fqt-emit-entry-points`) that is
    straight-line code, replaces each `memref.alloc` of its block with a
    `memref.view` at a fixed offset of a new argument,
    `%workspace: memref<Nxi8> {fqt.slot = #fqt.slot<workspace, "workspace">}`,
    inserted after the last argument-only slot (before the
    out-parameters). Two buffers share bytes only when their lifetimes (from
    the allocation to the last use of any view of it, in block order) do not
    overlap: the largest are placed first, each at the lowest free offset,
    every offset a multiple of 64 bytes.

    The runtime allocates the workspace once and passes it to every call,
    so a step allocates and frees nothing, and the deallocation passes that
    follow find nothing to free. A buffer stays an allocation when its
    shape is dynamic, its layout not the identity, its elements narrower
    than a byte (i4 codes), or when it may outlive the call: returned,
    stored, yielded from a region, handed to a call that returns buffers,
    or turned back into a tensor.

    Runs after `--buffer-results-to-out-params` and before the deallocation
    pipeline.

    ```mlir
    %a = memref.alloc() {alignment = 64 : i64} : memref<64x128xf32>
    // becomes, with %workspace the new argument
    %c0 = arith.constant 0 : index
    %a = memref.view %workspace[%c0][] : memref<32768xi8> to memref<64x128xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def FQTPrepareEntryPointBufferization
    : Pass<"fqt-prepare-entry-point-bufferization", "::mlir::ModuleOp"> {
  let summary = "Mark the arguments of the ABI functions read-only";
  let description = [{
    Sets `bufferization.writable = false` on every argument of the step
    functions (those whose buffers carry `fqt.slot`): the runtime owns those buffers and
    may pass the same parameters to several steps, so the compiled code must
    never write into them. A value the function returns more than once gets
    a `linalg.copy` for each repeat, so that every result is a buffer of its
    own.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// GPU (NVVM) target
//===----------------------------------------------------------------------===//

def FQTGpuInt8Mma : Pass<"fqt-gpu-int8-mma", "::mlir::func::FuncOp"> {
  let summary = "Run bufferized i8 x i8 -> i32 products on int8 tensor cores";
  let description = [{
    Rewrites every bufferized integer product that fqt-lower-qmatmul
    produced: a `linalg.generic` over (m, n, k) with parallel, parallel,
    reduction iterators, i8 operands indexed (m, k) or (k, m) and (k, n) or
    (n, k), an i32 accumulator indexed (m, n) and the body
    `acc + ext(a) * ext(b)` (sign or zero extension per operand), into a
    `gpu.launch` whose warps each compute a 16x8 tile of the result with
    `nvvm.mma.sync` of shape m16n8k32 (`mma.sync.aligned.m16n8k32.row.col`
    with s8 or u8 operands and s32 accumulation, wrapping like the CPU's
    i32 arithmetic).

    A block holds four warps side by side along n (a 16x32 tile); the grid
    covers the result. Each thread gathers its fragments straight from the
    operands in the layout PTX prescribes for m16n8k32; elements beyond the
    matrix edges read as zero, so any m, n, k is correct. The accumulator's
    current value is the initial C, so the rewrite computes exactly what the
    `linalg.generic` computed. Products of any other form are left alone.

    A C just filled with zeros starts from zero registers (the fill goes).
    Then, where the next reader of C is an elementwise epilogue (the scales
    and zero-point corrections of `fqt-lower-qmatmul`) that C feeds through
    the identity map, and nothing between the product and it writes the
    operands or touches C, the kernel is placed at the epilogue and applies
    it to each accumulator, storing the epilogue's value: C, its store and
    the epilogue's launch go.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def FQTGpuFoldFills : Pass<"fqt-gpu-fold-fills", "::mlir::func::FuncOp"> {
  let summary = "Start reductions from their fill value in a register";
  let description = [{
    A bufferized reduction (a `linalg.generic` with reduction iterators)
    whose output buffer was just filled with a constant by `linalg.fill`
    (directly, or through a `memref.copy` of a filled buffer) becomes one
    loop nest: an `scf.parallel` over its parallel dimensions holding
    `scf.for` loops over its reduction dimensions that carry the
    accumulator, started at the constant, and one store at the end. The fill
    (and the copy) go: on the GPU each was a kernel launch of its own, and
    the reduction read and wrote its output at every step. The reduction
    order of every output element is that of the loop nest linalg lowers
    to, so the values are the same.

    A scatter, a reduction whose output is indexed by every parallel
    dimension directly and otherwise by reduction dimensions only (the
    adjoint of overlapping convolution windows adds each window into
    `out[n, c, oh + kh, ow + kw]`), cannot keep an accumulator in a register:
    several iterations meet at one element. But each thread of its parallel
    dimensions owns a slab of the output (`out[n, c, :, :]`), so the nest
    fills that slab with the constant first, then adds into it in the order
    of the reduction loops: again no launch for the fill.

    Only fills of a buffer allocated in the same block and not touched by
    any op between the fill and the reduction are folded; anything else is
    left to the generic lowering.

    ```mlir
    linalg.fill ins(%c0 : i32) outs(%sums : memref<64xi32>)
    linalg.generic {... iterator_types = ["parallel", "reduction"]}
        ins(%codes : memref<64x9xi8>) outs(%sums : memref<64xi32>) { ... }
    // becomes
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %sum = scf.for %k = %c0 to %c9 step %c1 iter_args(%acc = %c0_i32) -> i32 { ... }
      memref.store %sum, %sums[%i] : memref<64xi32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def FQTGpuMergeParallelLoops
    : Pass<"fqt-gpu-merge-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Run independent parallel loops in a row as one launch";
  let description = [{
    On buffers, after linalg's parallel loops: every top-level
    `scf.parallel` without reductions is first collapsed to one dimension;
    then two such loops in a row (only allocations and ops without memory
    effects between them) that share no buffer one of them writes become
    one loop over the sum of their lengths, whose first indices run the
    first body and the rest the second. On the GPU each top-level loop is a
    kernel launch; the row sums of one operand and the column sums of the
    other that an integer product's zero-point corrections need, a step's
    parameter updates, the two stochastic quantizations of one dY run as
    one launch each.

    Buffers are compared by the allocation they view; function arguments,
    which may alias each other, count as one buffer. A loop that touches
    memory other than by `memref.load` and `memref.store` is not merged.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def FQTGpuMergeKernelModules
    : Pass<"fqt-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` creates one `gpu.module` per kernel; each would
    become its own PTX text, cubin and `cuModuleLoad`. This pass moves the
    kernels of all `gpu.module`s into the first one, renames each kernel
    after the module it came from (the outlined names repeat), drops the
    emptied modules, and rewrites every `gpu.launch_func` to the new
    symbol. Afterwards the program has one device module: one PTX file and
    one cubin for `fqt-compile --emit=ptx` and the executable.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def FQTGpuDeviceMemory : Pass<"fqt-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Make the buffers of a GPU program reachable from the device";
  let description = [{
    Host functions of a bufferized GPU program allocate with `memref.alloc`
    and receive the runtime's buffers as arguments; kernels cannot read
    either. This pass rewrites every host `memref.alloc` (and its
    `memref.dealloc`) to `gpu.alloc` (`gpu.dealloc`): device memory where
    only kernels use the buffer (every use, through views, is a
    `gpu.launch_func` argument, a `gpu.memcpy`/`gpu.memset` or the
    deallocation), else `gpu.alloc host_shared`, CUDA managed memory,
    readable by kernels and by the host loops that remain (scalar
    reductions, `memref.load`). A `memref.get_global` constant
    that is used other than as the source of a `memref.copy` is copied into
    a managed buffer for the call. In each step function (its buffers carry
    `fqt.slot`), every memref argument is copied into a managed
    buffer on entry and every out-parameter (the trailing arguments that
    `--buffer-results-to-out-params` added) is copied back before each
    return, so the runtime's calling convention is the CPU one.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // FQT_TARGET_PASSES_TD

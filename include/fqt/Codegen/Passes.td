//===- Passes.td - fqt CPU code generation passes ----------*- tablegen -*-===//

#ifndef FQT_CODEGEN_PASSES_TD
#define FQT_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def FQTFuseElementwise : Pass<"fqt-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg.generic producers into consumers";
  let description = [{
    Upstream's elementwise fusion of `linalg.generic` ops on tensors, with a
    control that keeps computation from being repeated: a producer is fused
    only when it has a single use and its consumer reads each of its
    elements once (the consumer's indexing map of the fused operand is a
    permutation of all its loops). A producer feeding a contraction (whose
    operand maps drop a loop) is never fused into it, so the integer and
    float products keep their plain operands for `--fqt-tile-and-vectorize`.
    The arithmetic of every element is unchanged; only temporaries and
    their memory traffic go away.

    With `generalize-named`, `linalg.transpose`, `linalg.map` and the NCHW
    pooling ops are first rewritten as the `linalg.generic` they are, so
    that they fuse too, and a pooling's fill of its output can be folded
    into it later (on the GPU each unfused op is a kernel launch; the CPU
    pipeline keeps them named for its own lowerings).

    With `epilogues-into-window-sums`, the elementwise epilogue that turns
    a convolution's data-gradient product into f32 columns is fused into
    the windows' sum that adds those columns back into pixels (a generic
    whose output index mixes loops, `(n, c, oh + kh, ow + kw)`, and which
    reads each column once, windows in reverse order). The columns reach
    the sum through a `tensor.expand_shape`, which is first moved above the
    epilogue (upstream's reshape propagation by expansion, restricted to
    this case). The sum then reads the i32 product and its row and column
    sums directly: the f32 columns are never written to memory.
  }];
  let options = [
    Option<"generalizeNamed", "generalize-named", "bool", /*default=*/"false",
           "Generalize linalg.transpose, linalg.map and NCHW pooling so "
           "that they fuse">,
    Option<"epiloguesIntoWindowSums", "epilogues-into-window-sums", "bool",
           /*default=*/"false",
           "Fuse a data-gradient product's elementwise epilogue into the "
           "windows' sum that reads its columns">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FQTTileAndVectorize : Pass<"fqt-tile-and-vectorize",
                               "::mlir::func::FuncOp"> {
  let summary = "Cache-tiled, register-blocked vector kernels for products";
  let description = [{
    Rewrites every matrix product on buffers into vector code for the host
    CPU:

    * an f32 `linalg.matmul` (any of the four operand transpositions given
      by its indexing maps) becomes a packed, register-blocked kernel: the
      right operand is copied once into zero-padded panels of `tile-n`
      columns, the reduction is blocked by `tile-k` for the caches, and a
      `tile-m` x `tile-n` block of the result stays in vector registers over
      the reduction (`vector.fma` of a broadcast left element with a panel
      row). Rows that do not fill a `tile-m` block run a one-row kernel;
      columns past the end are masked on load and store of the result only.
      Results differ from the scalar loops by float reassociation only: each
      dot product is still summed in order of k.
    * an integer contraction `i8 x i8 -> i32` (the `linalg.generic` of
      `--fqt-lower-qmatmul`, codes extended signed or unsigned; either
      operand may be `i4`, read one code at a time while the operands are
      packed into panels) becomes the same kernel on integer dot products,
      chosen by `isa`:
      `avx512vnni` uses `vpdpbusd` (u8 x s8 groups of four), `avx2` uses
      `vpmaddwd` (s16 x s16 pairs after widening), `generic` uses plain
      vector extensions, multiplies and adds that any target lowers.
      All three are exact in i32.

    `isa=auto` picks from `cpu-features` (LLVM feature string such as
    `+avx512f,+avx512bw,+avx512vnni`) or, when that is empty, from the host
    CPU. Anything else (other element types, non-unit strides of the inner
    dimension, more than two dimensions) is left for `--convert-linalg-to-loops`.

    With `parallel`, the loops that run over *parallel* dimensions become
    `scf.parallel`, for `--convert-scf-to-openmp` to spread over threads:
    the blocks (128 rows x `tile-n` columns) of a product's result within
    one block of `tile-k` of the reduction (the reduction blocks stay a
    serial loop around them, so a product has the same bits for any thread
    count), the packing of the right operand by panel,
    and the row and column sums of the vpdpbusd correction. Products of fewer than
    `min-parallel-work` multiply-adds keep serial loops.

    Reductions and strided copies are the jobs of
    `--fqt-vectorize-reductions` and `--fqt-lower-strided-copies`.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "0",
           "Rows of the result held in registers (0: 8 with AVX-512's 32 "
           "vector registers, else 4)">,
    Option<"tileN", "tile-n", "int64_t", "0",
           "Columns of the result held in registers (a multiple of the "
           "vector width; 0: three vectors)">,
    Option<"tileK", "tile-k", "int64_t", "256",
           "Reduction block kept in cache, in f32 values (integer "
           "kernels take the same bytes of packed codes)">,
    Option<"isa", "isa", "std::string", "\"auto\"",
           "Integer kernel: auto, avx512vnni, avx2 or generic">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "LLVM CPU features for isa=auto and the vector width "
           "(empty: the host's)">,
    Option<"parallel", "parallel", "bool", "false",
           "Emit the loops over parallel dimensions (blocks of a product's "
           "result, its packing) as scf.parallel">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           "::fqt::kDefaultMinParallelWork",
           "With parallel: products of fewer multiply-adds (M N K) keep "
           "serial loops">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FQTAmxKernels : Pass<"fqt-amx-kernels", "::mlir::ModuleOp"> {
  let summary = "AMX-INT8 tile kernels for the integer products, behind a "
                "run-time check";
  let description = [{
    Every integer contraction on buffers that `--fqt-tile-and-vectorize`
    takes (`(i8|i4) x (i8|i4) -> i32`, either operand transposed) becomes

    ```mlir
    %ready = func.call @fqt_amx_ready() : () -> i1
    scf.if %ready {
      func.call @fqt_amx_gemm(%a, %b, %c) : (...) -> ()
    } else {
      linalg.generic ...   // the product, for the other kernel families
    }
    ```

    `@fqt_amx_gemm` (one per operand types, transpositions and
    signedness) pads A into rows of 64 bytes, packs B in VNNI order
    (`Bp[n/16][k/4][(n%16)*4 + k%4]`, one 16x64 tile per 64 k and 16
    columns), and computes the result in 32x32 blocks of four `amx.tile_muli`
    accumulators over the whole reduction; then `C += ` the block sums.
    Signed and unsigned codes are multiplied as they are (`zext` flags).
    Products are exact in i32: the AMX kernel gives the bits of the others.

    `@fqt_amx_ready` asks Linux once for the tile state
    (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`) and answers
    false where the CPU has no AMX, the kernel refuses, or the environment
    sets `FQT_AMX=0`: the executable runs on every CPU of its instruction
    set, with AMX where it can. The kernel functions are `noinline`, since
    LLVM configures the tiles (`ldtilecfg`) at the entry of the function
    that uses them.

    With `parallel`, the 32x32 blocks are an `scf.parallel` for products of
    at least `min-parallel-work` multiply-adds.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Emit the loop over result blocks as scf.parallel">,
    Option<"minParallelWork", "min-parallel-work", "int64_t",
           "::fqt::kDefaultMinParallelWork",
           "With parallel: products of fewer multiply-adds keep serial "
           "loops">,
  ];
  let dependentDialects = ["::mlir::amx::AMXDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def FQTEmulateAmx : Pass<"fqt-emulate-amx", "::mlir::ModuleOp"> {
  let summary = "Run AMX tile ops as vector code (tests AMX kernels on any "
                "CPU)";
  let description = [{
    For testing `--fqt-amx-kernels` where the CPU has no AMX: a tile becomes
    the 1-d vector of its elements, `amx.tile_load`/`amx.tile_store` vector
    loads and stores of the rows they address (implicit strides only; an
    explicit one is not emulated and fails to legalize), `amx.tile_zero` a
    zero constant, and `amx.tile_muli` the contraction it performs
    (`acc[m][n] += sum_{g,j} ext(lhs[m][4g+j]) * ext(rhs[g][4n+j])`, `zext`
    per operand) as scalar loops over the tile vectors. Calls of
    `@fqt_amx_ready` become `true`, so the emulated kernels run. The tile configuration LLVM adds
    is not exercised: only AMX hardware runs it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FQTCoarsenParallelLoops : Pass<"fqt-coarsen-parallel-loops",
                                   "::mlir::func::FuncOp"> {
  let summary = "Keep only the scf.parallel loops that pay for a fork of "
                "threads";
  let description = [{
    Decides which `scf.parallel` loops `--convert-scf-to-openmp` turns into
    OpenMP parallel regions. Every region forks and joins a team of threads
    (microseconds), so a parallel loop stays parallel only when it is
    outermost and has enough work; every other one becomes a nest of
    `scf.for` with the same iteration order:

    * a parallel loop nested in another (its iterations already run on one
      thread of the outer loop's team);
    * a loop whose estimated work, its static trip count times the ops of
      its body (nested loops counted with their static trip counts), is
      below `min-work` ops;
    * a loop with reductions (`scf.reduce` with operands): OpenMP would
      combine partial results in an order that depends on the number of
      threads; serial, the results are the same bits for any thread count;
    * a loop that stores into an `i4` buffer: `--fqt-pack-i4-buffers` then
      writes a code by a read-modify-write of the byte it shares with its
      neighbour, which two threads must not do at once.

    A loop whose work cannot be bounded at compile time (a dynamic size, an
    inner loop with dynamic bounds such as the kernels that
    `--fqt-tile-and-vectorize` sized already) stays parallel.

    Of a loop that stays parallel, only the leading dimensions up to 16
    iterations together stay parallel; the others become serial loops inside
    it. OpenMP would collapse every dimension into one and recompute each
    index by a division in every iteration, and the innermost loop would no
    longer be the contiguous loop that LLVM vectorizes.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t",
           "::fqt::kDefaultMinParallelWork",
           "Fewest ops (static trip count x ops of the body) for which a "
           "loop stays parallel">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def FQTNarrowCodes : Pass<"fqt-narrow-codes"> {
  let summary = "Type the codes of quantizers of at most 4 bits as i4";
  let description = [{
    Changes the code tensor of every `fqt.quantize` whose quantizer has at
    most 4 bits (`#fqt.ptq<bits = 4>`, `#fqt.psq<bits = 4>`, `#fqt.bhq`,
    `#fqt.lbt`, `#fqt.percol`, `#fqt.act`, `#fqt.weight` with `bits <= 4`)
    from its wider integer type to `i4`, so that after bufferization
    `--fqt-pack-i4-buffers` stores them two per byte. The codes themselves
    do not change: every 4-bit code (signed `-8..7` for symmetric
    quantizers, unsigned `0..15` otherwise) fits an `i4` bit pattern, and
    the consumers extend them signed or unsigned as before.

    Codes are left wide where packing could not follow them: rank-0 codes,
    codes whose innermost dimension is dynamic (the packed buffer could not
    give its logical size back), and codes used by anything other than
    `fqt.dequantize` and `fqt.qmatmul`.

    ```mlir
    %q, %s, %z = fqt.quantize %g seed(%seed, %step)
        {quantizer = #fqt.psq<bits = 4>} : tensor<128x64xf32> ->
        tensor<128x64xi4>, tensor<128xf32>, offset tensor<128xf32>
    ```
  }];
}

def FQTPackI4Buffers : Pass<"fqt-pack-i4-buffers", "::mlir::ModuleOp"> {
  let summary = "Store i4 buffers two codes per byte";
  let description = [{
    Rewrites every buffer `memref<d0 x ... x dn x i4>` allocated by
    `memref.alloc` / `memref.alloca` (identity layout, static `dn`) into
    `memref<d0 x ... x ceil(dn/2) x i8>`: element `[..., j]` is the low
    nibble of byte `[..., j / 2]` for even `j`, the high nibble for odd `j`.
    Rows are packed separately, so a row of odd length ends in a padding
    nibble.

    * the allocation keeps its dynamic outer sizes and alignment;
    * `memref.load` becomes a byte load, a right shift by `4 * (j % 2)` and
      an `arith.trunci` to `i4`: the consumer's `arith.extsi` /
      `arith.extui` then unpacks the nibble in a register, signed or not;
    * `memref.store` becomes a read-modify-write of the byte (no atomic:
      `--fqt-coarsen-parallel-loops` keeps loops that store i4 codes
      serial). A loop from 0 with step 1
      that stores code `j` in iteration `j` (a quantizer writing a row) is
      first unrolled by two, and its codes `j` (even) and `j + 1` are
      stored together as one whole byte, without reading it: the loop then
      carries no dependence through memory and LLVM can vectorize it;
    * `memref.dim` of the innermost dimension is the logical size `dn`;
    * `memref.dealloc` frees the packed buffer.

    Run after `--convert-linalg-to-loops` and `--fqt-tile-and-vectorize`, so
    that codes are touched by scalar loads and stores only (the product
    kernels read their operands one code at a time while packing panels).
    A buffer with any other use (a call, a view, a copy, a vector load), a
    dynamic innermost size or another layout keeps one code per byte, which
    LLVM's `i4` storage gives; the codes of `--fqt-narrow-codes` never have
    such uses in `--fqt-cpu-pipeline`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def FQTVectorizeReductions : Pass<"fqt-vectorize-reductions",
                                  "::mlir::func::FuncOp"> {
  let summary = "Vector loops for reductions over a contiguous dimension";
  let description = [{
    A `linalg.generic` on buffers whose innermost loop reduces over a
    contiguous dimension of non-`i4` operands (a quantizer's min/max range,
    a softmax row sum, a code sum) with `addf`, `maximumf`, `minimumf`,
    `addi`, `ori` or `andi` becomes a vector loop with one partial result
    per lane, a `vector.reduction` and a scalar remainder loop. min/max give
    the same value in any order; float sums are reassociated, always into
    16 partial sums (two AVX registers, four SSE), so that every target
    rounds them the same way. Otherwise the vector width follows
    `cpu-features` (16 f32 lanes with AVX-512, 8 with AVX, else 4; empty:
    the host's). With `parallel`, the leading parallel loops
    around the reduction are one `scf.parallel` (for
    `--fqt-coarsen-parallel-loops` to keep or not); a reduction is never
    split, so every thread count gives the same bits.

    An f32 sum over every dimension but one that is not the innermost (a
    convolution's bias gradient, `[N, C, H, W] -> [C]`) puts 16 channels
    in the lanes instead, on every target: 16 channel rows of 16 values loaded,
    transposed by shuffles and added one vector after the other, so that
    every channel sums its terms in the loops' order (lanes past the end
    load -0.0, which adds nothing): the loops' bits.

    Where the combiners give the same value in any order (min/max, integer
    ops), the vector loop runs four vectors at a time into four sets of
    accumulators, combined after it.

    A reduction over every loop but the innermost, which is parallel and
    contiguous in its operands (code column sums, `[K, N] -> [N]`), keeps
    the columns in the lanes: up to four vector accumulators per block of
    columns (masked where the width does not divide the columns), carried
    through the reduction loops in their order, so every column combines
    its terms in the loops' order; with `parallel`, the blocks are an
    `scf.parallel`.
  }];
  let options = [
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "LLVM CPU features for the vector width (empty: the host's)">,
    Option<"parallel", "parallel", "bool", "false",
           "Emit the parallel loops around a reduction as scf.parallel">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FQTVectorizePooling : Pass<"fqt-vectorize-pooling", "::mlir::func::FuncOp"> {
  let summary = "2x2 max-pooling with stride 2 as vector code";
  let description = [{
    A `linalg.pooling_nchw_max` on f32 buffers with contiguous rows, a 2x2
    window, stride 2 and dilation 1 becomes, per output row, a vector loop:
    the two input rows under it loaded 2L values at a time, their maximum,
    the maximum of its even and odd lanes (two shuffles), and the maximum
    with the output's L values (masked at the row's end). `maximumf` is
    commutative and associative, so the bits are the loops'. The vector
    width L follows `cpu-features` (16 with AVX-512, 8 with AVX, else 4).
    With `parallel`, the loop over output rows is an `scf.parallel`.

    The gradient's two generics over the input viewed as 2x2 windows
    `[N, C, OH, 2, OW, 2]` (as the training step emits them) become vector
    code too: the first maximum of each window (a reduction over `(kh, kw)`
    with `select(x > max, ...)`) as both input rows loaded 2L values at a
    time, split into even and odd lanes, and the loops' compare-and-select
    chain on vectors; dY spread to the maximum's position as L windows'
    positions and dY loaded once, a select per `kw` and the two interleaved
    into the row. The same selects in the same order: the loops' bits.
  }];
  let options = [
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "LLVM CPU features for the vector width (empty: the host's)">,
    Option<"parallel", "parallel", "bool", "false",
           "Emit the loop over output rows as scf.parallel">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FQTTileWindowSums : Pass<"fqt-tile-window-sums"> {
  let summary = "A windows' sum and the product it reads, a group of samples "
                "at a time";
  let description = [{
    A convolution's data gradient is a product with one row per window
    whose columns a windows' sum adds back into the pixels (a
    `linalg.generic` whose output map mixes loops, the first loop parallel
    over the samples). Whole, the product is the step's largest temporary,
    written once and read once from memory. On tensors, this pass runs the
    sum over groups of samples in an `scf.for`: inputs indexed by sample are
    sliced, and a single-use `linalg.generic` whose rows reach the sum
    through a `tensor.expand_shape` (the product, the row sums of its
    operand) is computed again per group on the group's rows, its inputs
    read by row sliced, a fill of its output made at the group's size. The
    group is the largest divisor of the batch whose rows of the product fit
    `group-bytes`; sums whose products are smaller than `min-bytes` stay
    whole. Samples and rows are independent, and each element is computed
    by the same arithmetic: the same bits.
  }];
  let options = [
    Option<"groupBytes", "group-bytes", "int64_t", /*default=*/"524288",
           "Bytes of the product per group of samples (at most)">,
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"2097152",
           "Only products of at least this many bytes are split">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def FQTVectorizeWindowSums : Pass<"fqt-vectorize-window-sums",
                                  "::mlir::func::FuncOp"> {
  let summary = "A convolution's windows added back into pixels, as vector code";
  let description = [{
    The `linalg.generic` that adds a stride-1, dilation-1 convolution's
    data-gradient columns `cols[n, oh, ow, c, kh, kw]` into the pixels
    `(n, c, oh + kh, ow + kw)` (f32, dense buffers; windows visited from the
    last, as `TensorEmitter::scatterWindows` emits it) becomes, per sample,
    row of windows and segment of 16 windows along the row: the segment's
    16 x K columns (K = C * KH * KW) transposed in 16 x 16 tiles by shuffles
    into a per-sample scratch, then for every `(kw, c, kh)` one vector of
    the 16 windows' values, a masked load of the row segment they add to,
    an add and a masked store. Every pixel adds its terms in the generic's
    order (rows from the last, segments from the last, `kw` ascending), so
    the sums have its bits. 16 f32 lanes on every target (one AVX-512
    register, two AVX, four SSE), so every kernel family runs the same
    code. With `parallel`, the loop over samples is an `scf.parallel`.

    The value added may be computed by the body from the columns (any
    element type) and from inputs read per window `(n, oh, ow)`, per kernel
    position `(c, kh, kw)` or once (a dequantizing epilogue fused in by
    `--fqt-fuse-elementwise`): each row of a tile then applies the body's
    elementwise ops to 16 lanes before the transpose, so the f32 columns
    exist only in registers.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Emit the loop over samples as scf.parallel">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FQTVectorizeTransposes : Pass<"fqt-vectorize-transposes",
                                  "::mlir::func::FuncOp"> {
  let summary = "Layout transposes (NCHW <-> NHWC) as 16x16 vector tiles";
  let description = [{
    A `linalg.transpose` of contiguous buffers of 32-bit elements whose
    permutation moves a block of dimensions behind the following ones
    (`[0 .. a-1, s .. r-1, a .. s-1]`: NCHW to NHWC is `[0, 2, 3, 1]`, back
    `[0, 3, 1, 2]`) is a batch of 2-d transposes once the dimensions are
    collapsed, `[B][R][C] -> [B][C][R]`. Each 16 x 16 tile becomes 16 vector
    loads, 64 shuffles and 16 vector stores, masked at the edges. Elements
    are moved, not computed: the bits are those of linalg's loops. With
    `parallel`, the loop over the batch is an `scf.parallel`.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Emit the loop over the batch as scf.parallel">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FQTCollapseContiguousLoops : Pass<"fqt-collapse-contiguous-loops",
                                      "::mlir::func::FuncOp"> {
  let summary = "Merge consecutive loops that walk every operand contiguously";
  let description = [{
    A `linalg.generic` on buffers whose consecutive loops `d`, `d + 1` are
    of one kind and index every operand either not at all or as two
    dimensions of its buffer that are contiguous (`stride[d] ==
    stride[d + 1] * size[d + 1]`) runs them as one loop: upstream's
    `collapseOpIterationDims`, which collapses the buffers to match. A
    `linalg.fill` of a contiguous buffer fills it as one row. Unit
    dimensions are dropped first (upstream's unit-extent folding), so that a
    bias `[C, 1, 1]` read as `(c, 0, 0)` is a projected permutation. Generics
    whose bodies read their loop indices (`linalg.index`) are left alone.

    LLVM fully unrolls a short innermost loop (a 28-wide image row, 16
    channels) before its loop vectorizer runs, which then vectorizes the
    next loop out with gathers and scatters; one long loop vectorizes with
    plain vector loads and stores. The merged loop runs the iterations in
    the same order, so sums keep their bits.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def FQTLowerStridedCopies : Pass<"fqt-lower-strided-copies",
                                 "::mlir::func::FuncOp"> {
  let summary = "Copies into or out of strided views as linalg.copy";
  let description = [{
    A `memref.copy` between buffers of which one is strided (an interior
    view of a padded tensor, a strided scatter of a pooling gradient)
    becomes a `linalg.copy`: loops that LLVM unrolls and vectorizes,
    instead of a call of the C runner's element-by-element `memrefCopy`.
    Copies between contiguous buffers stay (`memrefCopy` uses `memcpy` for
    them).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FQTOutlineKernels : Pass<"fqt-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline structured ops into kernel functions shared by equal ops";
  let description = [{
    Every structured op on buffers (`linalg.generic`, `linalg.matmul`,
    `linalg.fill`, ...) of a function becomes a call of a private
    `fqt_kernel_<N>` function that holds a copy of it; ops that are equal
    (the same op, attributes, region, operand types) share one function.
    A training step repeats the same shapes layer after layer and pass
    after pass (forward, data gradient, weight gradient), so the code that
    `--fqt-tile-and-vectorize` and LLVM produce follows the number of
    distinct kernels, not the number of layers, and the step functions are
    lists of calls that LLVM optimizes fast.

    * Values the op uses are the kernel's arguments; scalar constants are
      copied into it instead, so that kernels see them as constants (a zero
      fill stays recognizable) and equal ops with equal constants match.
    * A buffer with a strided layout is passed with its offset made
      dynamic (`memref.cast`), so that views of one shape at different
      offsets share a kernel; strides stay static.
    * A zero `linalg.fill` of a product's result, before the product with
      nothing in between that touches memory, goes into the product's
      kernel: `--fqt-tile-and-vectorize` then drops the fill there.
    * Kernels are `no_inline`, and `noinline` for LLVM (`passthrough`):
      LLVM would otherwise inline a kernel with one call back into its
      caller.
    * A `memref.copy` into or out of a strided view (the interior of a
      padded buffer) is outlined too: `--fqt-tile-and-vectorize` turns it
      into loops, which a network repeats per layer. Copies between
      contiguous buffers stay (calls of memcpy).
    * Ops on tensors (with results) and ops on `i4` buffers (which
      `--fqt-pack-i4-buffers` rewrites within one function) stay where
      they are.

    ```mlir
    linalg.fill ins(%zero : f32) outs(%c : memref<64x128xf32>)
    linalg.matmul ins(%a, %b : ...) outs(%c : memref<64x128xf32>)
    // becomes
    call @fqt_kernel_0(%a, %b, %c) : (...) -> ()
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // FQT_CODEGEN_PASSES_TD

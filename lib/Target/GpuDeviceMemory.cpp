//===- GpuDeviceMemory.cpp - Buffers a GPU program's kernels can reach ----===//
//
// The runtime hands a compiled step plain host buffers (the CPU calling
// convention), and the host code between kernels still reads and writes
// some buffers itself (whole-tensor reductions, scalars). CUDA managed
// memory serves both: the step copies its arguments into managed buffers,
// allocates there the temporaries the host touches, and copies its
// out-parameters back. Temporaries that only kernels read and write (most
// activations and gradients) are device memory: no page migrates between
// host and device for them. The runtime keeps both kinds in a pool across
// steps (lib/Runtime/CudaRuntime.cpp).
//
//===----------------------------------------------------------------------===//

#include "ProgramDescription.h"
#include "fqt/Target/Passes.h"

#include "FQT/FQTAttrs.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace fqt {
#define GEN_PASS_DEF_FQTGPUDEVICEMEMORY
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Function name -> number of results (trailing out-parameters) of the
/// program's step functions; failure (diagnosed) when one cannot tell.
/// A module without step functions has none to map.
FailureOr<llvm::StringMap<unsigned>> readResultCounts(ModuleOp module) {
  llvm::StringMap<unsigned> counts;
  bool labelled = false;
  module.walk([&](func::FuncOp fn) {
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      labelled |= fqt::getArgSlot(fn, i) != nullptr;
  });
  if (!labelled)
    return counts;
  FailureOr<SmallVector<func::FuncOp>> steps = fqt::getStepFunctions(module);
  if (failed(steps))
    return failure();
  for (func::FuncOp fn : *steps) {
    FailureOr<unsigned> numArgs = fqt::getNumOriginalArguments(fn);
    if (failed(numArgs))
      return failure();
    counts[fn.getName()] = fn.getNumArguments() - *numArgs;
  }
  return counts;
}

Value allocShared(OpBuilder &b, Location loc, MemRefType type,
                  ValueRange dynamicSizes, ValueRange symbols) {
  return gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                              /*asyncDependencies=*/ValueRange(), dynamicSizes,
                              symbols, /*hostShared=*/true)
      .getMemref();
}

/// A buffer of device memory. gpu-to-llvm lowers only the asynchronous
/// form of a gpu.alloc that is not host-shared: on a stream of its own,
/// waited for at once.
Value allocDevice(OpBuilder &b, Location loc, MemRefType type,
                  ValueRange dynamicSizes, ValueRange symbols) {
  Type token = gpu::AsyncTokenType::get(b.getContext());
  Value stream =
      gpu::WaitOp::create(b, loc, token, ValueRange()).getAsyncToken();
  auto alloc = gpu::AllocOp::create(b, loc, type, token, ValueRange{stream},
                                    dynamicSizes, symbols,
                                    /*hostShared=*/false);
  gpu::WaitOp::create(b, loc, Type(), ValueRange{alloc.getAsyncToken()});
  return alloc.getMemref();
}

/// Whether only kernels touch BUFFER: every use, through views of it, is a
/// kernel launch's argument, a device copy or fill, or its deallocation.
/// Anything else (a host load or store, a memref.copy, a call) may read it
/// on the host.
bool isDeviceOnly(Value buffer) {
  return llvm::all_of(buffer.getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    if (isa<gpu::LaunchFuncOp, gpu::MemcpyOp, gpu::MemsetOp, memref::DeallocOp>(
            user))
      return true;
    if (auto view = dyn_cast<ViewLikeOpInterface>(user))
      return view.getViewSource() == use.get() &&
             llvm::all_of(user->getResults(), isDeviceOnly);
    return false;
  });
}

/// Frees a buffer of allocShared. gpu-to-llvm lowers only the asynchronous
/// form of gpu.dealloc, so the free runs on a stream of its own that is
/// waited for at once.
void freeShared(OpBuilder &b, Location loc, Value buffer) {
  Type token = gpu::AsyncTokenType::get(b.getContext());
  Value stream =
      gpu::WaitOp::create(b, loc, token, ValueRange()).getAsyncToken();
  Value freed =
      gpu::DeallocOp::create(b, loc, token, ValueRange{stream}, buffer)
          .getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{freed});
}

struct FQTGpuDeviceMemoryPass
    : fqt::impl::FQTGpuDeviceMemoryBase<FQTGpuDeviceMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());

    // Temporaries of host functions (kernels live in gpu.module and are
    // not visited: only top-level func.func).
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> allocs, deallocs, globals;
      func.walk([&](Operation *op) {
        if (op->getParentOfType<gpu::LaunchOp>())
          return;
        if (isa<memref::AllocOp>(op))
          allocs.push_back(op);
        else if (isa<memref::DeallocOp>(op))
          deallocs.push_back(op);
        else if (isa<memref::GetGlobalOp>(op))
          globals.push_back(op);
      });
      for (Operation *op : allocs) {
        auto alloc = cast<memref::AllocOp>(op);
        rewriter.setInsertionPoint(alloc);
        Value shared =
            isDeviceOnly(alloc.getResult())
                ? allocDevice(rewriter, alloc.getLoc(), alloc.getType(),
                              alloc.getDynamicSizes(),
                              alloc.getSymbolOperands())
                : allocShared(rewriter, alloc.getLoc(), alloc.getType(),
                              alloc.getDynamicSizes(),
                              alloc.getSymbolOperands());
        rewriter.replaceOp(alloc, shared);
      }
      for (Operation *op : deallocs) {
        auto dealloc = cast<memref::DeallocOp>(op);
        rewriter.setInsertionPoint(dealloc);
        freeShared(rewriter, dealloc.getLoc(), dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      }
      // Constants live in the host image. Those only copied from (`init`
      // copying initial parameters into the runtime's buffers) stay there;
      // any other use gets a managed copy for the call.
      for (Operation *op : globals) {
        auto global = cast<memref::GetGlobalOp>(op);
        bool onlyCopied = llvm::all_of(global->getUses(), [](OpOperand &use) {
          auto copy = dyn_cast<memref::CopyOp>(use.getOwner());
          return copy && copy.getSource() == use.get();
        });
        if (onlyCopied)
          continue;
        if (!global.getType().hasStaticShape() ||
            !global.getType().getLayout().isIdentity()) {
          global.emitError("the GPU target needs constants with static "
                           "shapes and identity layouts");
          return signalPassFailure();
        }
        rewriter.setInsertionPointAfter(global);
        Value copy =
            allocShared(rewriter, global.getLoc(), global.getType(), {}, {});
        rewriter.replaceAllUsesWith(global.getResult(), copy);
        memref::CopyOp::create(rewriter, global.getLoc(), global, copy);
        func.walk([&](func::ReturnOp ret) {
          rewriter.setInsertionPoint(ret);
          freeShared(rewriter, ret.getLoc(), copy);
        });
      }
    }

    // Arguments of the runtime's entry functions.
    FailureOr<llvm::StringMap<unsigned>> resultCounts =
        readResultCounts(module);
    if (failed(resultCounts))
      return signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>()) {
      auto it = resultCounts->find(func.getName());
      if (func.isExternal() || it == resultCounts->end())
        continue;
      unsigned numArgs = func.getNumArguments();
      unsigned firstOut = numArgs - it->second;
      Block &entry = func.getBody().front();
      SmallVector<std::pair<Value, Value>> outParams; // (argument, copy)
      SmallVector<Value> copies;
      for (BlockArgument arg : func.getArguments()) {
        auto type = dyn_cast<MemRefType>(arg.getType());
        if (!type)
          continue;
        if (!type.hasStaticShape()) {
          func.emitError("argument #")
              << arg.getArgNumber() << " has a dynamic shape; the GPU target "
              << "needs statically shaped entry arguments";
          return signalPassFailure();
        }
        rewriter.setInsertionPointToStart(&entry);
        Location loc = arg.getLoc();
        Value copy = allocShared(rewriter, loc, type, {}, {});
        rewriter.replaceAllUsesWith(arg, copy);
        if (arg.getArgNumber() < firstOut)
          memref::CopyOp::create(rewriter, loc, arg, copy);
        else
          outParams.push_back({arg, copy});
        copies.push_back(copy);
      }
      // Out-parameters back, then the copies freed, before every return.
      func.walk([&](func::ReturnOp ret) {
        rewriter.setInsertionPoint(ret);
        for (auto [arg, copy] : outParams)
          memref::CopyOp::create(rewriter, ret.getLoc(), copy, arg);
        for (Value copy : copies)
          freeShared(rewriter, ret.getLoc(), copy);
      });
    }
  }
};

} // namespace

//===- GpuMergeKernelModules.cpp - One gpu.module for all kernels ---------===//
//
// A training step has hundreds of kernels; one device module per kernel
// would mean hundreds of PTX texts, ptxas runs and cuModuleLoad calls.
//
//===----------------------------------------------------------------------===//

#include "fqt/Target/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace fqt {
#define GEN_PASS_DEF_FQTGPUMERGEKERNELMODULES
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

struct FQTGpuMergeKernelModulesPass
    : fqt::impl::FQTGpuMergeKernelModulesBase<FQTGpuMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.size() < 2)
      return;
    gpu::GPUModuleOp target = gpuModules.front();
    SymbolTable targetSymbols(target);

    // (old module, old function) -> new function name in `target`.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : ArrayRef(gpuModules).drop_front()) {
      if (source.getTargetsAttr() != target.getTargetsAttr()) {
        source.emitError("kernel modules with different targets cannot be "
                         "merged");
        return signalPassFailure();
      }
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol) {
          op.moveBefore(target.getBody(), target.getBody()->end());
          continue;
        }
        StringAttr oldName = symbol.getNameAttr();
        // Outlined kernels are named after their host function and repeat;
        // the module name (host function + counter) is unique.
        std::string wanted = source.getSymName().str();
        if (!oldName.getValue().ends_with("_kernel"))
          wanted += "_" + oldName.getValue().str();
        op.moveBefore(target.getBody(), target.getBody()->end());
        // Renames on a clash; nothing inside an outlined module refers to
        // its kernel, so no use needs updating but the launches below.
        StringAttr newName = targetSymbols.insert(&op);
        if (newName.getValue() != wanted && !targetSymbols.lookup(wanted)) {
          if (failed(targetSymbols.rename(&op, wanted)))
            return signalPassFailure();
          newName = symbol.getNameAttr();
        }
        renamed[{source.getSymNameAttr(), oldName}] = newName;
      }
    }

    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr ref = launch.getKernel();
      auto it = renamed.find({ref.getRootReference(), ref.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp source : ArrayRef(gpuModules).drop_front())
      source.erase();
  }
};

} // namespace

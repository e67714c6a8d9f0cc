//===- EmitEntryPoints.cpp - C entry points of a compiled program ---------===//
//
// The runtime calls every step function the same way, `void
// fqt_<name>(void **buffers)`, whatever the model: the number, shapes and
// order of the buffers come from the model description. The wrappers built
// here turn that pointer array into the memref descriptors the lowered
// functions take.
//
//===----------------------------------------------------------------------===//

#include "ProgramDescription.h"
#include "fqt/Target/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"

namespace fqt {
#define GEN_PASS_DEF_FQTEMITENTRYPOINTS
#define GEN_PASS_DEF_FQTPREPAREENTRYPOINTBUFFERIZATION
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

struct FQTPrepareEntryPointBufferizationPass
    : fqt::impl::FQTPrepareEntryPointBufferizationBase<
          FQTPrepareEntryPointBufferizationPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<SmallVector<func::FuncOp>> steps = fqt::getStepFunctions(module);
    if (failed(steps))
      return signalPassFailure();
    OpBuilder b(module.getContext());
    for (func::FuncOp fn : *steps) {
      for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
        fn.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
      fn.walk([&](func::ReturnOp ret) { copyRepeatedResults(ret); });
    }
  }

  /// The runtime gives every result a buffer of its own. A value returned
  /// twice (two results that CSE found equal: say two state updates of the
  /// same formula) gets a copy for each repeat, so that the two results
  /// stay two buffers.
  static void copyRepeatedResults(func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 16> seen;
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      Value value = operand.get();
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type || seen.insert(value).second)
        continue;
      Value empty =
          tensor::EmptyOp::create(b, ret.getLoc(), type, ValueRange{});
      operand.set(
          linalg::CopyOp::create(b, ret.getLoc(), value, empty).getResult(0));
    }
  }
};

struct FQTEmitEntryPointsPass
    : fqt::impl::FQTEmitEntryPointsBase<FQTEmitEntryPointsPass> {
  void runOnOperation() override;
};

/// Builds `memref` from a bare pointer: a descriptor with offset 0 and the
/// row-major strides of the static shape.
Value wrapPointer(OpBuilder &b, Location loc, Value ptr, MemRefType type) {
  MLIRContext *ctx = b.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {ptrType, ptrType, i64};
  if (rank > 0) {
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
  }
  auto structType = LLVM::LLVMStructType::getLiteral(ctx, fields);
  auto constant = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  Value desc = LLVM::PoisonOp::create(b, loc, structType);
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(0),
                                     ArrayRef<int64_t>{2});
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    desc = LLVM::InsertValueOp::create(b, loc, desc,
                                       constant(type.getDimSize(d)),
                                       ArrayRef<int64_t>{3, d});
    desc = LLVM::InsertValueOp::create(b, loc, desc, constant(stride),
                                       ArrayRef<int64_t>{4, d});
    stride *= type.getDimSize(d);
  }
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

void FQTEmitEntryPointsPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<SmallVector<func::FuncOp>> steps = fqt::getStepFunctions(module);
  if (failed(steps))
    return signalPassFailure();
  // The description lists the functions as they are now, before the
  // wrappers join the module.
  FailureOr<std::string> description = fqt::describeProgram(module);
  if (failed(description))
    return signalPassFailure();
  MLIRContext *ctx = &getContext();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();

  for (func::FuncOp fn : *steps) {
    if (fn.getNumResults() != 0) {
      fn.emitError("expected memref arguments and no results (run "
                   "one-shot-bufferize with identity layouts and "
                   "--buffer-results-to-out-params first)");
      return signalPassFailure();
    }
    for (Type t : fn.getArgumentTypes()) {
      auto type = dyn_cast<MemRefType>(t);
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity()) {
        fn.emitError("argument of type ")
            << t << " is not a statically shaped row-major memref";
        return signalPassFailure();
      }
    }
    auto wrapper =
        func::FuncOp::create(b, fn.getLoc(), "fqt_" + fn.getName().str(),
                             b.getFunctionType({ptrType}, {}));
    Block *block = wrapper.addEntryBlock();
    OpBuilder wb = OpBuilder::atBlockBegin(block);
    SmallVector<Value> operands;
    for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes())) {
      Value slot = LLVM::GEPOp::create(
          wb, loc, ptrType, ptrType, block->getArgument(0),
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      Value ptr = LLVM::LoadOp::create(wb, loc, ptrType, slot);
      operands.push_back(wrapPointer(wb, loc, ptr, cast<MemRefType>(t)));
    }
    func::CallOp::create(wb, loc, fn, operands);
    func::ReturnOp::create(wb, loc);
  }

  // const char *fqt_model_info(void)
  auto infoFn = func::FuncOp::create(b, loc, "fqt_model_info",
                                     b.getFunctionType({}, {ptrType}));
  OpBuilder ib = OpBuilder::atBlockBegin(infoFn.addEntryBlock());
  std::string text = *description;
  text.push_back('\0');
  Value str = LLVM::createGlobalString(loc, ib, "fqt_model_info_text", text,
                                       LLVM::Linkage::Internal);
  func::ReturnOp::create(ib, loc, str);
}

} // namespace

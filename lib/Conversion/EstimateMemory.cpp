//===- EstimateMemory.cpp - peak live tensor bytes of each step -----------===//
//
// The estimate a user needs before a long compile and a run: how much memory
// one step of the program allocates. On tensors, a value is live from its
// definition to its last use; the peak of the sum of live bytes, with the
// arguments live throughout, is what the step holds at its busiest point
// before bufferization reuses anything. Loops count by their results only.
//
//===----------------------------------------------------------------------===//

#include "fqt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

namespace fqt {
#define GEN_PASS_DEF_FQTESTIMATEMEMORY
#include "fqt/Conversion/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Bytes of a statically shaped tensor (0 for anything else), saturating at
/// INT64_MAX: a shape can multiply past 64 bits.
int64_t bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  Type element = tensor.getElementType();
  if (!element.isIntOrIndexOrFloat())
    return 0;
  int64_t bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
  for (int64_t dim : tensor.getShape())
    if (llvm::MulOverflow(bytes, dim, bytes))
      return std::numeric_limits<int64_t>::max();
  return bytes;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  return llvm::AddOverflow(a, b, sum) ? std::numeric_limits<int64_t>::max()
                                      : sum;
}

/// The peak of live tensor bytes over the top-level ops of `func`.
int64_t estimatePeak(func::FuncOp func) {
  Block &body = func.getBody().front();
  // Position of each top-level op, and the last position at which each
  // value defined at the top level is used (by an op or inside its regions).
  llvm::DenseMap<Operation *, unsigned> position;
  for (auto [i, op] : llvm::enumerate(body))
    position[&op] = i;
  llvm::DenseMap<Value, unsigned> lastUse;
  for (Operation &op : body)
    for (Value result : op.getResults()) {
      unsigned last = position[&op];
      for (Operation *user : result.getUsers())
        if (Operation *top = body.findAncestorOpInBlock(*user))
          last = std::max(last, position[top]);
      lastUse[result] = last;
    }

  int64_t arguments = 0;
  for (BlockArgument arg : body.getArguments())
    arguments = saturatingAdd(arguments, bytesOf(arg.getType()));
  // Bytes freed after each position.
  llvm::DenseMap<unsigned, int64_t> freedAfter;
  int64_t live = arguments, peak = arguments;
  for (Operation &op : body) {
    unsigned here = position[&op];
    for (Value result : op.getResults()) {
      int64_t bytes = bytesOf(result.getType());
      live = saturatingAdd(live, bytes);
      freedAfter[lastUse[result]] += bytes;
    }
    peak = std::max(peak, live);
    live -= freedAfter.lookup(here);
  }
  return peak;
}

/// 1536 -> "1.5 KiB".
std::string humanBytes(int64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  unsigned unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? llvm::formatv("{0} B", bytes).str()
                   : llvm::formatv("{0:f1} {1}", value, units[unit]).str();
}

struct FQTEstimateMemoryPass
    : fqt::impl::FQTEstimateMemoryBase<FQTEstimateMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    Builder b(&getContext());
    func::FuncOp largest;
    int64_t largestPeak = -1;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      int64_t peak = estimatePeak(func);
      func->setAttr("fqt.peak_memory", b.getI64IntegerAttr(peak));
      if (report)
        func.emitRemark() << "peak memory estimate of '" << func.getSymName()
                          << "': " << humanBytes(peak) << " (" << peak
                          << " bytes)";
      if (peak > largestPeak) {
        largest = func;
        largestPeak = peak;
      }
    }
    // One error, for the step that needs the most: the others share its
    // cause (the model and the batch size).
    if (limit > 0 && largest && largestPeak > limit) {
      largest.emitError() << "'" << largest.getSymName()
                          << "' needs an estimated " << humanBytes(largestPeak)
                          << " of memory, more than the limit of "
                          << humanBytes(limit)
                          << " (--max-memory); a smaller --batch needs less";
      signalPassFailure();
    }
  }
};

} // namespace

//===- ONNXOps.cpp - onnx operations --------------------------------------===//
//
// The ops are generated from ONNXOps.td: they have no hand-written
// verifiers, folders or builders yet.
//
//===----------------------------------------------------------------------===//

#include "ONNX/ONNXOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace fqt::onnx;

#define GET_OP_CLASSES
#include "ONNX/ONNXOps.cpp.inc"

bool fqt::onnx::isUnsignedOperand(Operation *op, unsigned index) {
  auto flags = op->getAttrOfType<DenseBoolArrayAttr>(kUnsignedOperandsAttrName);
  return flags && index < flags.size() && flags[index];
}

std::optional<SmallVector<int64_t>> fqt::onnx::getConstantInts(Value v) {
  Attribute attr;
  if (auto constant = v.getDefiningOp<ONNXConstantOp>()) {
    if (std::optional<ElementsAttr> value = constant.getValue())
      attr = *value;
    else if (std::optional<ArrayAttr> ints = constant.getValueInts())
      return llvm::to_vector(llvm::map_range(
          *ints, [](Attribute a) { return cast<IntegerAttr>(a).getInt(); }));
    else if (std::optional<int64_t> i = constant.getValueInt())
      return SmallVector<int64_t>{*i};
  } else {
    matchPattern(v, m_Constant(&attr));
  }
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(attr);
  if (!dense || dense.getType().getRank() > 1)
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

//===- BufferedLinalg.cpp - linalg ops on buffers as loop bodies ----------===//

#include "fqt/Target/BufferedLinalg.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

Value fqt::viewSource(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

SmallVector<Value> fqt::indicesOf(OpBuilder &b, Location loc, AffineMap map,
                                  ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

Value fqt::loadOperand(OpBuilder &b, Location loc, linalg::LinalgOp op,
                       OpOperand *operand, ArrayRef<Value> ivs) {
  Value value = operand->get();
  if (!isa<MemRefType>(value.getType()))
    return value;
  return memref::LoadOp::create(
      b, loc, value,
      indicesOf(b, loc, op.getMatchingIndexingMap(operand), ivs));
}

SmallVector<Value> fqt::inlineBody(OpBuilder &b, linalg::GenericOp op,
                                   ValueRange args, ArrayRef<Value> ivs) {
  Block &body = op.getRegion().front();
  IRMapping mapping;
  for (auto [arg, value] : llvm::zip_equal(body.getArguments(), args))
    if (value)
      mapping.map(arg, value);
  for (Operation &nested : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(nested, mapping);
  }
  SmallVector<Value> results;
  for (Value v : cast<linalg::YieldOp>(body.getTerminator()).getValues())
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

//===- NormalizationRules.cpp - BatchNorm, LayerNorm, reductions ----------===//
//
// Gradient rules of the normalizations and the mean/sum reductions their
// decomposed forms (older exports of LayerNorm) are built from.
//
// Both normalizations compute x^ = (x - mean) * r, r = 1/sqrt(var + eps),
// with the mean and (population) variance over a set of dimensions, then
// y = x^ * scale + bias. With g = dY * scale and means over the same
// dimensions, the gradient through the statistics is
//
//   dX = r * (g - mean(g) - x^ * mean(g * x^)),
//
// and dScale, dBias are dY * x^ and dY summed to the parameter's shape. The
// statistics are recomputed from the saved input X (the op's own Mean and
// InvStdDev outputs are optional and usually absent).
//
//===----------------------------------------------------------------------===//

#include "Rules.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace fqt;
using namespace fqt::training;
namespace onnxd = fqt::onnx;

namespace {
using B = OpBuilder;
using L = Location;
using A = ValueRange;

/// Statistics of x over the `reduced` dimensions, in x's rank with the
/// reduced dimensions kept as 1s.
struct Normalized {
  Value r;    // 1 / sqrt(var + eps)
  Value xhat; // (x - mean) * r, x's shape
};

SmallVector<int64_t> keptShape(ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> reduced) {
  SmallVector<int64_t> keep(shape);
  for (int64_t d : reduced)
    keep[d] = 1;
  return keep;
}

int64_t elementCount(ArrayRef<int64_t> shape, ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= shape[d];
  return n;
}

/// mean(x) over `dims`, kept as 1s.
Value meanKept(TensorEmitter &e, Value x, ArrayRef<int64_t> dims) {
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(x);
  double inv = 1.0 / double(elementCount(shape, dims));
  Value sum = e.reshape(e.reduceSum(x, dims), keptShape(shape, dims));
  return e.map({sum}, [&](B &b, L l, A a) {
    return arith::MulFOp::create(b, l, a[0], cst(b, l, inv)).getResult();
  });
}

Normalized batchStatistics(TensorEmitter &e, Value x, ArrayRef<int64_t> dims,
                           double eps) {
  Value mean = meanKept(e, x, dims);
  Value centered = e.map({x, mean}, [](B &b, L l, A a) {
    return arith::SubFOp::create(b, l, a[0], a[1]).getResult();
  });
  Value squares = e.map({centered}, [](B &b, L l, A a) {
    return arith::MulFOp::create(b, l, a[0], a[0]).getResult();
  });
  Value var = meanKept(e, squares, dims);
  Value r = e.map({var}, [&](B &b, L l, A a) {
    Value s = math::SqrtOp::create(
        b, l, arith::AddFOp::create(b, l, a[0], cst(b, l, eps)));
    return arith::DivFOp::create(b, l, cst(b, l, 1), s).getResult();
  });
  Value xhat = e.map({centered, r}, [](B &b, L l, A a) {
    return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
  });
  return {r, xhat};
}

/// dX = r * (g - mean(g) - x^ * mean(g * x^)), g = dY * scale (scale
/// broadcast ONNX-style to dY; a null scale is 1).
Value normalizedInputGradient(TensorEmitter &e, Value dy, Value scale,
                              const Normalized &n, ArrayRef<int64_t> dims) {
  Value g = dy;
  if (scale)
    g = e.map({dy, scale}, [](B &b, L l, A a) {
      return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
    });
  Value mg = meanKept(e, g, dims);
  Value gx = e.map({g, n.xhat}, [](B &b, L l, A a) {
    return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
  });
  Value mgx = meanKept(e, gx, dims);
  return e.map({g, mg, n.xhat, mgx, n.r}, [](B &b, L l, A a) {
    Value t = arith::SubFOp::create(b, l, a[0], a[1]);
    t = arith::SubFOp::create(b, l, t, arith::MulFOp::create(b, l, a[2], a[3]));
    return arith::MulFOp::create(b, l, t, a[4]).getResult();
  });
}

/// A per-channel [C] tensor as [C, 1, ...] so that it broadcasts along
/// dimension 1 of a rank-`rank` NC... tensor.
Value channelwise(TensorEmitter &e, Value v, int64_t rank) {
  SmallVector<int64_t> shape = {TensorEmitter::shapeOf(v)[0]};
  shape.append(rank - 2, 1);
  return e.reshape(v, shape);
}

LogicalResult batchNormRule(RuleContext &c, onnxd::ONNXBatchNormalizationOp op,
                            Value dy) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op.getX());
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t rank = xs.size();
  for (Value v :
       {op.getScale(), op.getB(), op.getInputMean(), op.getInputVar()}) {
    auto t = staticTensor(c.fwd(v));
    if (!t || t.getRank() != 1 || rank < 2 || t.getDimSize(0) != xs[1])
      return op.emitError("training supports BatchNormalization of an N x C "
                          "x ... input with 1-D [C] scale, bias, mean and "
                          "variance only");
  }
  double eps = op.getEpsilon().convertToDouble();
  SmallVector<int64_t> dims = {0};
  for (int64_t d = 2; d < rank; ++d)
    dims.push_back(d);
  Value scale = channelwise(e, c.fwd(op.getScale()), rank);

  Normalized n;
  if (op.getTrainingMode() != 0) {
    // Batch statistics: the gradient flows through the mean and variance.
    n = batchStatistics(e, x, dims, eps);
    if (c.wants(op.getX()))
      c.add(op.getX(), normalizedInputGradient(e, dy, scale, n, dims));
  } else {
    // Fixed statistics: an affine map per channel.
    Value mean = channelwise(e, c.fwd(op.getInputMean()), rank);
    Value var = channelwise(e, c.fwd(op.getInputVar()), rank);
    n.r = e.map({var}, [&](B &b, L l, A a) {
      Value s = math::SqrtOp::create(
          b, l, arith::AddFOp::create(b, l, a[0], cst(b, l, eps)));
      return arith::DivFOp::create(b, l, cst(b, l, 1), s).getResult();
    });
    n.xhat = e.map({x, mean, n.r}, [](B &b, L l, A a) {
      Value t = arith::SubFOp::create(b, l, a[0], a[1]);
      return arith::MulFOp::create(b, l, t, a[2]).getResult();
    });
    if (c.wants(op.getX()))
      c.add(op.getX(), e.map({dy, scale, n.r}, [](B &b, L l, A a) {
        Value t = arith::MulFOp::create(b, l, a[0], a[1]);
        return arith::MulFOp::create(b, l, t, a[2]).getResult();
      }));
  }
  if (c.wants(op.getScale())) {
    Value p = e.map({dy, n.xhat}, [](B &b, L l, A a) {
      return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
    });
    c.add(op.getScale(), e.reduceSum(p, dims));
  }
  if (c.wants(op.getB()))
    c.add(op.getB(), e.reduceSum(dy, dims));
  return success();
}

LogicalResult layerNormRule(RuleContext &c, onnxd::ONNXLayerNormalizationOp op,
                            ArrayRef<Value> dys) {
  TensorEmitter &e = c.e;
  if ((dys.size() > 1 && dys[1]) || (dys.size() > 2 && dys[2]))
    return op.emitError("training does not support gradients through "
                        "LayerNormalization's Mean and InvStdDev outputs");
  Value dy = dys[0];
  if (!dy)
    return success();
  Value x = c.fwd(op.getX());
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t rank = xs.size();
  int64_t axis = op.getAxis();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return op.emitError("LayerNormalization axis ")
           << op.getAxis() << " is out of range for rank " << rank;
  Value scale = c.fwd(op.getScale());
  for (Value v : {Value(op.getScale()), op.getB()}) {
    if (isNone(v))
      continue;
    auto t = staticTensor(c.fwd(v));
    if (!t || t.getRank() > rank - axis)
      return op.emitError("training supports LayerNormalization with Scale "
                          "and B over the normalized dimensions only");
  }
  SmallVector<int64_t> dims;
  for (int64_t d = axis; d < rank; ++d)
    dims.push_back(d);
  Normalized n = batchStatistics(e, x, dims, op.getEpsilon().convertToDouble());
  if (c.wants(op.getX()))
    c.add(op.getX(), normalizedInputGradient(e, dy, scale, n, dims));
  if (c.wants(op.getScale())) {
    Value p = e.map({dy, n.xhat}, [](B &b, L l, A a) {
      return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
    });
    c.add(op.getScale(), e.sumToShape(p, TensorEmitter::shapeOf(scale)));
  }
  if (!isNone(op.getB()) && c.wants(op.getB()))
    c.add(op.getB(),
          e.sumToShape(dy, TensorEmitter::shapeOf(c.fwd(op.getB()))));
  return success();
}

/// ReduceMean / ReduceSum: dY (with the reduced dimensions restored as 1s)
/// broadcast back over them, times 1/count for the mean.
LogicalResult reduceRule(RuleContext &c, Operation *op, Value dy,
                         std::optional<SmallVector<int64_t>> axes,
                         bool keepdims, bool mean) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op->getOperand(0));
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t rank = xs.size();
  SmallVector<int64_t> dims;
  if (!axes || axes->empty()) {
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(d);
  } else {
    for (int64_t a : *axes) {
      if (a < -rank || a >= rank)
        return op->emitError("reduction axis ")
               << a << " is out of range for rank " << rank;
      dims.push_back(a < 0 ? a + rank : a);
    }
  }
  (void)keepdims; // dY has x's element count over the kept dimensions
                  // either way; the reshape restores the 1s.
  Value g = e.reshape(dy, keptShape(xs, dims));
  double factor = mean ? 1.0 / double(elementCount(xs, dims)) : 1.0;
  c.add(
      op->getOperand(0),
      e.map(xs, TensorEmitter::elementOf(x), {g}, [&](B &b, L l, A a) {
        if (factor == 1.0)
          return a[0];
        return arith::MulFOp::create(b, l, a[0], cst(b, l, factor)).getResult();
      }));
  return success();
}

/// The reduced dimensions of a reduction of `x` over `axes` (all when none
/// or empty), or an error on `op`.
FailureOr<SmallVector<int64_t>> reducedDims(Operation *op, Value x,
                                            std::optional<ArrayAttr> axes) {
  int64_t rank = TensorEmitter::shapeOf(x).size();
  SmallVector<int64_t> dims;
  if (axes)
    for (Attribute a : *axes) {
      int64_t axis = cast<IntegerAttr>(a).getInt();
      if (axis < -rank || axis >= rank)
        return op->emitError("reduction axis ")
               << axis << " is out of range for rank " << rank;
      dims.push_back(axis < 0 ? axis + rank : axis);
    }
  if (dims.empty())
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(d);
  return dims;
}

/// ReduceL2 (dX = dY x / y, 0 where y is 0), ReduceSumSquare (dX = 2 dY x):
/// dY and Y with the reduced dimensions restored as 1s, broadcast back.
LogicalResult normRule(RuleContext &c, Operation *op, Value dy,
                       std::optional<ArrayAttr> axes, bool l2) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op->getOperand(0));
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  FailureOr<SmallVector<int64_t>> dims = reducedDims(op, x, axes);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> kept = keptShape(xs, *dims);
  Value g = e.reshape(dy, kept);
  Type element = TensorEmitter::elementOf(x);
  if (!l2) {
    c.add(op->getOperand(0), e.map(xs, element, {g, x}, [](B &b, L l, A a) {
      Value twice = arith::MulFOp::create(b, l, a[0], cst(b, l, 2));
      return arith::MulFOp::create(b, l, twice, a[1]).getResult();
    }));
    return success();
  }
  Value y = e.reshape(c.fwd(op->getResult(0)), kept);
  c.add(op->getOperand(0), e.map(xs, element, {g, x, y}, [](B &b, L l, A a) {
    Value zero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[2],
                                       cst(b, l, 0));
    Value share = arith::DivFOp::create(
        b, l, arith::MulFOp::create(b, l, a[0], a[1]), a[2]);
    return arith::SelectOp::create(b, l, zero, cst(b, l, 0), share).getResult();
  }));
  return success();
}

/// ReduceMax / ReduceMin: dY to the elements equal to the result, shared
/// evenly among ties (PyTorch's amax/amin).
LogicalResult extremumReduceRule(RuleContext &c, Operation *op, Value dy,
                                 std::optional<ArrayAttr> axes) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op->getOperand(0));
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  FailureOr<SmallVector<int64_t>> dims = reducedDims(op, x, axes);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> kept = keptShape(xs, *dims);
  Type element = TensorEmitter::elementOf(x);
  Value y = e.reshape(c.fwd(op->getResult(0)), kept);
  Value hits = e.map(xs, element, {x, y}, [](B &b, L l, A a) {
    Value hit =
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, a[0], a[1]);
    return arith::SelectOp::create(b, l, hit, cst(b, l, 1), cst(b, l, 0))
        .getResult();
  });
  Value count = e.reshape(e.reduceSum(hits, *dims), kept);
  Value g = e.reshape(dy, kept);
  c.add(op->getOperand(0),
        e.map(xs, element, {g, hits, count}, [](B &b, L l, A a) {
          Value share = arith::DivFOp::create(b, l, a[0], a[2]);
          return arith::MulFOp::create(b, l, share, a[1]).getResult();
        }));
  return success();
}

} // namespace

bool fqt::training::hasNormalizationRule(Operation *op) {
  return isa<onnxd::ONNXBatchNormalizationOp, onnxd::ONNXLayerNormalizationOp,
             onnxd::ONNXReduceMeanOp, onnxd::ONNXReduceSumOp,
             onnxd::ONNXReduceMaxOp, onnxd::ONNXReduceMinOp,
             onnxd::ONNXReduceL2Op, onnxd::ONNXReduceSumSquareOp>(op);
}

LogicalResult fqt::training::normalizationRule(RuleContext &c, Operation *op,
                                               ArrayRef<Value> dys) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](onnxd::ONNXBatchNormalizationOp o) {
        // Only Y carries a gradient; the running statistics are state.
        return dys[0] ? batchNormRule(c, o, dys[0]) : success();
      })
      .Case([&](onnxd::ONNXLayerNormalizationOp o) {
        return layerNormRule(c, o, dys);
      })
      .Case([&](onnxd::ONNXReduceMeanOp o) -> LogicalResult {
        if (!dys[0])
          return success();
        std::optional<SmallVector<int64_t>> axes;
        if (o.getAxes())
          axes = intsOr(o.getAxes(), {});
        return reduceRule(c, o, dys[0], axes, o.getKeepdims() != 0, true);
      })
      .Case([&](onnxd::ONNXReduceSumOp o) -> LogicalResult {
        if (!dys[0])
          return success();
        std::optional<SmallVector<int64_t>> axes;
        if (!isNone(o.getAxes())) {
          axes = getConstantInts(o.getAxes());
          if (!axes)
            return o.emitError("training needs ReduceSum's axes to be a "
                               "constant");
        }
        if ((!axes || axes->empty()) && o.getNoopWithEmptyAxes() != 0) {
          c.add(o.getData(), dys[0]);
          return success();
        }
        return reduceRule(c, o, dys[0], axes, o.getKeepdims() != 0, false);
      })
      .Case<onnxd::ONNXReduceMaxOp, onnxd::ONNXReduceMinOp>(
          [&](auto o) -> LogicalResult {
            if (!dys[0])
              return success();
            return extremumReduceRule(c, o, dys[0], o.getAxes());
          })
      .Case([&](onnxd::ONNXReduceL2Op o) -> LogicalResult {
        if (!dys[0])
          return success();
        return normRule(c, o, dys[0], o.getAxes(), /*l2=*/true);
      })
      .Case([&](onnxd::ONNXReduceSumSquareOp o) -> LogicalResult {
        if (!dys[0])
          return success();
        return normRule(c, o, dys[0], o.getAxes(), /*l2=*/false);
      })
      .Default([](Operation *other) {
        return other->emitError("no normalization rule");
      });
}

std::pair<Value, Value>
fqt::training::emitRunningStatistics(TensorEmitter &e, Value x, Value inputMean,
                                     Value inputVar, double momentum) {
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t rank = xs.size();
  SmallVector<int64_t> dims = {0};
  for (int64_t d = 2; d < rank; ++d)
    dims.push_back(d);
  double inv = 1.0 / double(elementCount(xs, dims));
  Value mean = meanKept(e, x, dims);
  Value squares = e.map({x, mean}, [](B &b, L l, A a) {
    Value t = arith::SubFOp::create(b, l, a[0], a[1]);
    return arith::MulFOp::create(b, l, t, t).getResult();
  });
  auto update = [&](Value running, Value sum) {
    return e.map({running, sum}, [&](B &b, L l, A a) {
      Value kept = arith::MulFOp::create(b, l, a[0], cst(b, l, momentum));
      Value batch =
          arith::MulFOp::create(b, l, a[1], cst(b, l, (1.0 - momentum) * inv));
      return arith::AddFOp::create(b, l, kept, batch).getResult();
    });
  };
  return {update(inputMean, e.reduceSum(x, dims)),
          update(inputVar, e.reduceSum(squares, dims))};
}

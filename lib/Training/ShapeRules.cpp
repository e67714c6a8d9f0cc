//===- ShapeRules.cpp - data movement, masks and batched products ---------===//
//
// Gradient rules of the ops a transformer exports between its parameters
// and its loss besides the linear layers: batched MatMul of two
// activations, Slice, Split, Concat, Gather, Expand, Where, Cast and Pow;
// and the folding of the integer shape computations PyTorch exports around
// them (Shape -> Gather -> Add -> Div -> Slice), which gives those ops static
// shapes.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace fqt;
using namespace fqt::training;
namespace onnxd = fqt::onnx;

namespace {
using B = OpBuilder;
using L = Location;
using A = ValueRange;
} // namespace

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

static ElementsAttr constantAttr(Value v) {
  if (auto c = v.getDefiningOp<onnxd::ONNXConstantOp>()) {
    if (std::optional<ElementsAttr> value = c.getValue())
      return *value;
    return {};
  }
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    return dyn_cast<ElementsAttr>(c.getValue());
  return {};
}

std::optional<double> fqt::training::constantSplat(Value v) {
  if (auto c = v.getDefiningOp<onnxd::ONNXConstantOp>())
    if (std::optional<APFloat> f = c.getValueFloat())
      return f->convertToDouble();
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(constantAttr(v));
  if (!dense || !dense.isSplat())
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

//===----------------------------------------------------------------------===//
// Folding of shape computations
//===----------------------------------------------------------------------===//

namespace {
/// One dimension of a Slice after ONNX's clamping.
struct SliceDim {
  int64_t start, size, step;
};
} // namespace

/// The per-dimension start/size/step of `op` on an input of `shape`, or
/// nullopt when its parameters are not constants.
static std::optional<SmallVector<SliceDim>> sliceDims(onnxd::ONNXSliceOp op,
                                                      ArrayRef<int64_t> shape) {
  int64_t rank = shape.size();
  auto starts = getConstantInts(op.getStarts());
  auto ends = getConstantInts(op.getEnds());
  if (!starts || !ends || starts->size() != ends->size())
    return std::nullopt;
  SmallVector<int64_t> axes, steps(starts->size(), 1);
  if (isNone(op.getAxes())) {
    for (int64_t i = 0, e = starts->size(); i < e; ++i)
      axes.push_back(i);
  } else {
    auto a = getConstantInts(op.getAxes());
    if (!a || a->size() != starts->size())
      return std::nullopt;
    axes = *a;
  }
  if (!isNone(op.getSteps())) {
    auto s = getConstantInts(op.getSteps());
    if (!s || s->size() != starts->size())
      return std::nullopt;
    steps = *s;
  }
  SmallVector<SliceDim> dims;
  for (int64_t d = 0; d < rank; ++d)
    dims.push_back({0, shape[d], 1});
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || steps[i] == 0)
      return std::nullopt;
    int64_t dim = shape[axis], start = (*starts)[i], end = (*ends)[i],
            step = steps[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    int64_t size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = std::max<int64_t>(0, (end - start + step - 1) / step);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      size = std::max<int64_t>(0, (start - end - step - 1) / -step);
    }
    dims[axis] = {start, size, step};
  }
  return dims;
}

/// The value of an integer op whose operands are all constants, for the ops
/// shape computations use; nullopt otherwise.
static std::optional<SmallVector<int64_t>>
evaluateInts(Operation *op, SmallVector<int64_t> &shape) {
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  auto scalarOrVector = [&](size_t n, bool scalar) {
    shape = scalar ? SmallVector<int64_t>{} : SmallVector<int64_t>{int64_t(n)};
  };
  auto binary = [&](auto fn) -> std::optional<SmallVector<int64_t>> {
    auto a = getConstantInts(op->getOperand(0)),
         b = getConstantInts(op->getOperand(1));
    if (!a || !b ||
        (a->size() != b->size() && a->size() != 1 && b->size() != 1))
      return std::nullopt;
    size_t n = std::max(a->size(), b->size());
    SmallVector<int64_t> out;
    for (size_t i = 0; i < n; ++i) {
      int64_t x = (*a)[a->size() == 1 ? 0 : i],
              y = (*b)[b->size() == 1 ? 0 : i];
      std::optional<int64_t> r = fn(x, y);
      if (!r)
        return std::nullopt;
      out.push_back(*r);
    }
    scalarOrVector(n, resultType && resultType.getRank() == 0);
    return out;
  };
  return llvm::TypeSwitch<Operation *, std::optional<SmallVector<int64_t>>>(op)
      .Case([&](onnxd::ONNXShapeOp o) -> std::optional<SmallVector<int64_t>> {
        auto t = staticTensor(o.getData());
        if (!t)
          return std::nullopt;
        int64_t rank = t.getRank();
        int64_t start = o.getStart(), end = o.getEnd() ? *o.getEnd() : rank;
        if (start < 0)
          start += rank;
        if (end < 0)
          end += rank;
        start = std::clamp<int64_t>(start, 0, rank);
        end = std::clamp<int64_t>(end, start, rank);
        SmallVector<int64_t> out(t.getShape().slice(start, end - start));
        scalarOrVector(out.size(), false);
        return out;
      })
      .Case([&](onnxd::ONNXGatherOp o) -> std::optional<SmallVector<int64_t>> {
        auto data = getConstantInts(o.getData()),
             idx = getConstantInts(o.getIndices());
        auto dataType = dyn_cast<RankedTensorType>(o.getData().getType());
        auto idxType = dyn_cast<RankedTensorType>(o.getIndices().getType());
        if (!data || !idx || !dataType || dataType.getRank() != 1 || !idxType)
          return std::nullopt;
        SmallVector<int64_t> out;
        int64_t n = data->size();
        for (int64_t i : *idx) {
          if (i < -n || i >= n)
            return std::nullopt;
          out.push_back((*data)[i < 0 ? i + n : i]);
        }
        scalarOrVector(out.size(), idxType.getRank() == 0);
        return out;
      })
      .Case([&](onnxd::ONNXAddOp) {
        return binary([](int64_t x, int64_t y) -> std::optional<int64_t> {
          return x + y;
        });
      })
      .Case([&](onnxd::ONNXSubOp) {
        return binary([](int64_t x, int64_t y) -> std::optional<int64_t> {
          return x - y;
        });
      })
      .Case([&](onnxd::ONNXMulOp) {
        return binary([](int64_t x, int64_t y) -> std::optional<int64_t> {
          return x * y;
        });
      })
      .Case([&](onnxd::ONNXDivOp) {
        return binary([](int64_t x, int64_t y) -> std::optional<int64_t> {
          if (y == 0)
            return std::nullopt;
          return x / y;
        });
      })
      .Case([&](onnxd::ONNXConcatOp o) -> std::optional<SmallVector<int64_t>> {
        SmallVector<int64_t> out;
        for (Value v : o.getInputs()) {
          auto part = getConstantInts(v);
          if (!part)
            return std::nullopt;
          out.append(*part);
        }
        scalarOrVector(out.size(), false);
        return out;
      })
      .Case<onnxd::ONNXUnsqueezeOp, onnxd::ONNXSqueezeOp, onnxd::ONNXCastOp,
            onnxd::ONNXIdentityOp>(
          [&](Operation *o) -> std::optional<SmallVector<int64_t>> {
            auto in = getConstantInts(o->getOperand(0));
            if (!in || !resultType || resultType.getRank() > 1)
              return std::nullopt;
            scalarOrVector(in->size(), resultType.getRank() == 0);
            return in;
          })
      .Case([&](onnxd::ONNXConstantOfShapeOp o)
                -> std::optional<SmallVector<int64_t>> {
        auto dims = getConstantInts(o.getInput());
        auto value = o.getValue()
                         ? dyn_cast<DenseIntElementsAttr>(*o.getValue())
                         : DenseIntElementsAttr();
        if (!dims || dims->size() > 1 || (o.getValue() && !value))
          return std::nullopt;
        int64_t v =
            value ? (*value.getValues<APInt>().begin()).getSExtValue() : 0;
        if (dims->empty()) {
          shape = {};
          return SmallVector<int64_t>{v};
        }
        if ((*dims)[0] < 0 || (*dims)[0] > 4096)
          return std::nullopt;
        shape = {(*dims)[0]};
        return SmallVector<int64_t>((*dims)[0], v);
      })
      .Case([&](onnxd::ONNXEqualOp) {
        return binary([](int64_t x, int64_t y) -> std::optional<int64_t> {
          return x == y;
        });
      })
      .Case([&](onnxd::ONNXWhereOp o) -> std::optional<SmallVector<int64_t>> {
        auto cond = getConstantInts(o.getCondition()),
             x = getConstantInts(o.getX()), y = getConstantInts(o.getY());
        if (!cond || !x || !y)
          return std::nullopt;
        size_t n = std::max({cond->size(), x->size(), y->size()});
        SmallVector<int64_t> out;
        for (size_t i = 0; i < n; ++i) {
          auto at =
              [&](const SmallVector<int64_t> &v) -> std::optional<int64_t> {
            if (v.size() == 1)
              return v[0];
            if (v.size() == n)
              return v[i];
            return std::nullopt;
          };
          auto c = at(*cond), a = at(*x), b = at(*y);
          if (!c || !a || !b)
            return std::nullopt;
          out.push_back(*c != 0 ? *a : *b);
        }
        scalarOrVector(n, resultType && resultType.getRank() == 0);
        return out;
      })
      .Case([&](onnxd::ONNXSliceOp o) -> std::optional<SmallVector<int64_t>> {
        auto in = getConstantInts(o.getData());
        if (!in)
          return std::nullopt;
        auto dims = sliceDims(o, {int64_t(in->size())});
        if (!dims)
          return std::nullopt;
        SmallVector<int64_t> out;
        for (int64_t i = 0; i < (*dims)[0].size; ++i)
          out.push_back((*in)[(*dims)[0].start + i * (*dims)[0].step]);
        scalarOrVector(out.size(), false);
        return out;
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// The result shape of a Slice, Expand or Reshape of the static `data`
/// whose other operands are constants.
static std::optional<SmallVector<int64_t>>
staticResultShape(Operation *op, RankedTensorType data) {
  ArrayRef<int64_t> in = data.getShape();
  if (auto slice = dyn_cast<onnxd::ONNXSliceOp>(op)) {
    auto dims = sliceDims(slice, in);
    if (!dims)
      return std::nullopt;
    SmallVector<int64_t> shape;
    for (const SliceDim &d : *dims)
      shape.push_back(d.size);
    return shape;
  }
  if (auto expand = dyn_cast<onnxd::ONNXExpandOp>(op)) {
    auto target = getConstantInts(expand.getShape());
    if (!target)
      return std::nullopt;
    // Numpy broadcasting of the input's shape and the target.
    size_t rank = std::max(in.size(), target->size());
    SmallVector<int64_t> shape(rank);
    for (size_t i = 0; i < rank; ++i) {
      int64_t a = i + in.size() >= rank ? in[i + in.size() - rank] : 1;
      int64_t b =
          i + target->size() >= rank ? (*target)[i + target->size() - rank] : 1;
      if (a != b && a != 1 && b != 1)
        return std::nullopt;
      shape[i] = a == 1 ? b : a;
    }
    return shape;
  }
  if (auto reshape = dyn_cast<onnxd::ONNXReshapeOp>(op)) {
    auto target = getConstantInts(reshape.getShape());
    if (!target)
      return std::nullopt;
    int64_t total = data.getNumElements(), known = 1, inferred = -1;
    SmallVector<int64_t> shape(*target);
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && reshape.getAllowzero() == 0) {
        if (i >= in.size())
          return std::nullopt;
        shape[i] = in[i];
      }
      if (shape[i] == -1) {
        if (inferred >= 0)
          return std::nullopt;
        inferred = i;
        continue;
      }
      if (shape[i] < 0)
        return std::nullopt;
      known *= shape[i];
    }
    if (inferred >= 0) {
      if (known == 0 || total % known)
        return std::nullopt;
      shape[inferred] = total / known;
    } else if (known != total) {
      return std::nullopt;
    }
    return shape;
  }
  // Elementwise ops after one of the above: numpy broadcasting of their
  // operands.
  if (isa<onnxd::ONNXAddOp, onnxd::ONNXSubOp, onnxd::ONNXMulOp,
          onnxd::ONNXDivOp, onnxd::ONNXPowOp, onnxd::ONNXWhereOp,
          onnxd::ONNXReluOp, onnxd::ONNXLeakyReluOp, onnxd::ONNXTanhOp,
          onnxd::ONNXSigmoidOp, onnxd::ONNXHardSigmoidOp,
          onnxd::ONNXHardSwishOp, onnxd::ONNXExpOp, onnxd::ONNXLogOp,
          onnxd::ONNXNegOp, onnxd::ONNXSqrtOp, onnxd::ONNXErfOp,
          onnxd::ONNXReciprocalOp, onnxd::ONNXIdentityOp, onnxd::ONNXSoftmaxOp,
          onnxd::ONNXLogSoftmaxOp, onnxd::ONNXMaxOp, onnxd::ONNXMinOp,
          onnxd::ONNXSoftplusOp, onnxd::ONNXEluOp, onnxd::ONNXSeluOp,
          onnxd::ONNXSoftsignOp, onnxd::ONNXThresholdedReluOp, onnxd::ONNXSinOp,
          onnxd::ONNXCosOp, onnxd::ONNXTanOp, onnxd::ONNXAsinOp,
          onnxd::ONNXAcosOp, onnxd::ONNXAtanOp, onnxd::ONNXSinhOp,
          onnxd::ONNXCoshOp, onnxd::ONNXAsinhOp, onnxd::ONNXAcoshOp,
          onnxd::ONNXAtanhOp, onnxd::ONNXCeilOp, onnxd::ONNXFloorOp,
          onnxd::ONNXRoundOp, onnxd::ONNXSignOp, onnxd::ONNXAndOp,
          onnxd::ONNXOrOp, onnxd::ONNXXorOp, onnxd::ONNXModOp,
          onnxd::ONNXBitShiftOp>(op)) {
    SmallVector<int64_t> shape;
    for (Value operand : op->getOperands()) {
      auto t = staticTensor(operand);
      if (!t)
        return std::nullopt;
      ArrayRef<int64_t> s = t.getShape();
      if (s.size() > shape.size())
        shape.insert(shape.begin(), s.size() - shape.size(), 1);
      size_t offset = shape.size() - s.size();
      for (size_t i = 0; i < s.size(); ++i) {
        int64_t &d = shape[offset + i];
        if (d != s[i] && d != 1 && s[i] != 1)
          return std::nullopt;
        if (d == 1)
          d = s[i];
      }
    }
    return shape;
  }
  return std::nullopt;
}

void fqt::training::foldShapeComputations(func::FuncOp forward) {
  for (Operation &op : llvm::make_early_inc_range(forward.getBody().front())) {
    if (op.getNumResults() != 1 || isa<onnxd::ONNXConstantOp>(op))
      continue;
    Value result = op.getResult(0);
    auto type = dyn_cast<TensorType>(result.getType());
    if (!type)
      continue;
    if (auto intType = dyn_cast<IntegerType>(type.getElementType())) {
      SmallVector<int64_t> shape;
      std::optional<SmallVector<int64_t>> values = evaluateInts(&op, shape);
      if (!values)
        continue;
      auto newType = RankedTensorType::get(shape, intType);
      SmallVector<APInt> bits;
      for (int64_t v : *values)
        bits.push_back(intType.getWidth() == 1
                           ? APInt(1, v != 0)
                           : APInt(intType.getWidth(), v, /*isSigned=*/true));
      OpBuilder b(&op);
      auto constant = onnxd::ONNXConstantOp::create(
          b, op.getLoc(), newType, DenseIntElementsAttr::get(newType, bits),
          nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
      result.replaceAllUsesWith(constant.getResult());
      op.erase();
      continue;
    }
    // A float Slice, Expand or Reshape whose shape the importer could not
    // infer because its bounds were computed: its static type, now that
    // they are constants.
    if (staticTensor(result))
      continue;
    auto data = staticTensor(op.getNumOperands() ? op.getOperand(0) : Value());
    if (!data)
      continue;
    std::optional<SmallVector<int64_t>> shape = staticResultShape(&op, data);
    if (shape)
      result.setType(RankedTensorType::get(*shape, data.getElementType()));
  }
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

LogicalResult fqt::training::batchedMatMulRule(RuleContext &c, Operation *op,
                                               Value dy) {
  TensorEmitter &e = c.e;
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Value a = c.fwd(lhs), b = c.fwd(rhs);
  ArrayRef<int64_t> ys = TensorEmitter::shapeOf(dy);
  ArrayRef<int64_t> batch = ys.drop_back(2);
  // dA = dY * B^T and dB = A^T * dY per batch element, summed over the
  // batch dimensions an operand was broadcast along. Float and untagged,
  // like the forward product (see replayMatMul).
  if (c.wants(lhs))
    c.add(lhs, e.sumToShape(e.batchMatmul(dy, b, false, true, batch),
                            TensorEmitter::shapeOf(a)));
  if (c.wants(rhs))
    c.add(rhs, e.sumToShape(e.batchMatmul(a, dy, true, false, batch),
                            TensorEmitter::shapeOf(b)));
  return success();
}

static LogicalResult sliceRule(RuleContext &c, onnxd::ONNXSliceOp op,
                               Value dy) {
  Value x = c.fwd(op.getData());
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  auto dims = sliceDims(op, xs);
  if (!dims)
    return op.emitError("training needs Slice's starts, ends, axes and "
                        "steps to be constants");
  SmallVector<int64_t> offsets, strides;
  for (const SliceDim &d : *dims) {
    if (d.step < 0)
      return op.emitError("training does not support Slice with a negative "
                          "step");
    offsets.push_back(d.start);
    strides.push_back(d.step);
  }
  c.add(op.getData(), c.e.insertIntoZeros(dy, xs, offsets, strides));
  return success();
}

static LogicalResult splitRule(RuleContext &c, onnxd::ONNXSplitOp op,
                               ArrayRef<Value> dys) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op.getInput());
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t rank = xs.size(), axis = op.getAxis();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return op.emitError("Split axis ") << op.getAxis() << " is out of range";
  // dX is the concatenation of the outputs' gradients (zeros for outputs
  // that have none): one insert per output into zeros.
  Value dx = e.splat(xs, TensorEmitter::elementOf(x), 0.0);
  int64_t offset = 0;
  for (auto [r, dy] : llvm::zip(op.getOutputs(), dys)) {
    auto t = staticTensor(r);
    if (!t)
      return op.emitError("training needs Split's outputs to have static "
                          "shapes");
    if (dy) {
      OpBuilder &b = e.builder();
      SmallVector<OpFoldResult> o(rank, b.getIndexAttr(0)), s,
          st(rank, b.getIndexAttr(1));
      o[axis] = b.getIndexAttr(offset);
      for (int64_t d : t.getShape())
        s.push_back(b.getIndexAttr(d));
      dx = tensor::InsertSliceOp::create(b, e.getLoc(), dy, dx, o, s, st);
    }
    offset += t.getDimSize(axis);
  }
  c.add(op.getInput(), dx);
  return success();
}

static LogicalResult concatRule(RuleContext &c, onnxd::ONNXConcatOp op,
                                Value dy) {
  ArrayRef<int64_t> ys = TensorEmitter::shapeOf(dy);
  int64_t rank = ys.size(), axis = op.getAxis();
  if (axis < 0)
    axis += rank;
  int64_t offset = 0;
  for (Value in : op.getInputs()) {
    SmallVector<int64_t> shape(TensorEmitter::shapeOf(c.fwd(in)));
    if (c.wants(in)) {
      SmallVector<int64_t> offsets(rank, 0);
      offsets[axis] = offset;
      c.add(in, c.e.slice(dy, offsets, shape));
    }
    offset += shape[axis];
  }
  return success();
}

/// dX[o..., j, i...] = sum over index positions p with idx[p] == j of
/// dY[o..., p..., i...]: a reduction with a comparison (linalg has no
/// scatter-add), O(|dY| * dim) work, which embedding-sized gathers afford.
static LogicalResult gatherRule(RuleContext &c, onnxd::ONNXGatherOp op,
                                Value dy) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op.getData()), idx = c.fwd(op.getIndices());
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  auto idxType = staticTensor(idx);
  if (!idxType)
    return op.emitError("training needs Gather's indices to have a static "
                        "shape");
  int64_t rank = xs.size(), axis = op.getAxis();
  if (axis < 0)
    axis += rank;
  int64_t q = idxType.getRank();
  int64_t dim = xs[axis];
  // Iteration (o..., j, p..., i...): rank + q dimensions.
  int64_t n = rank + q;
  OpBuilder &b = e.builder();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> dyExprs, idxExprs, outExprs;
  for (int64_t d = 0; d < axis; ++d) {
    dyExprs.push_back(getAffineDimExpr(d, ctx));
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  outExprs.push_back(getAffineDimExpr(axis, ctx));
  for (int64_t p = 0; p < q; ++p) {
    dyExprs.push_back(getAffineDimExpr(axis + 1 + p, ctx));
    idxExprs.push_back(getAffineDimExpr(axis + 1 + p, ctx));
  }
  for (int64_t d = axis + 1; d < rank; ++d) {
    dyExprs.push_back(getAffineDimExpr(d + q, ctx));
    outExprs.push_back(getAffineDimExpr(d + q, ctx));
  }
  SmallVector<utils::IteratorType> iters(n, utils::IteratorType::parallel);
  for (int64_t p = 0; p < q; ++p)
    iters[axis + 1 + p] = utils::IteratorType::reduction;
  Value init = e.splat(xs, TensorEmitter::elementOf(x), 0.0);
  Type idxElement = idxType.getElementType();
  auto generic = linalg::GenericOp::create(
      b, e.getLoc(), TypeRange{init.getType()}, ValueRange{dy, idx},
      ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(n, 0, dyExprs, ctx),
                             AffineMap::get(n, 0, idxExprs, ctx),
                             AffineMap::get(n, 0, outExprs, ctx)},
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value j = arith::IndexCastOp::create(
            nb, l, idxElement, linalg::IndexOp::create(nb, l, axis));
        Value i = args[1];
        // Negative indices count from the end.
        Value zero =
            arith::ConstantOp::create(nb, l, nb.getIntegerAttr(idxElement, 0));
        Value size = arith::ConstantOp::create(
            nb, l, nb.getIntegerAttr(idxElement, dim));
        Value negative =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i, zero);
        i = arith::SelectOp::create(nb, l, negative,
                                    arith::AddIOp::create(nb, l, i, size), i);
        Value hit =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, j);
        Value add = arith::AddFOp::create(nb, l, args[2], args[0]);
        linalg::YieldOp::create(
            nb, l,
            arith::SelectOp::create(nb, l, hit, add, args[2]).getResult());
      });
  c.add(op.getData(), generic.getResult(0));
  return success();
}

static LogicalResult whereRule(RuleContext &c, onnxd::ONNXWhereOp op,
                               Value dy) {
  TensorEmitter &e = c.e;
  Value cond = c.fwd(op.getCondition());
  ArrayRef<int64_t> ys = TensorEmitter::shapeOf(dy);
  Type element = TensorEmitter::elementOf(dy);
  for (auto [operand, taken] :
       {std::pair(op.getX(), true), std::pair(op.getY(), false)}) {
    if (!c.wants(operand))
      continue;
    Value g = e.map(ys, element, {dy, cond}, [&](B &b, L l, A a) {
      Value zero = cst(b, l, 0);
      return taken
                 ? arith::SelectOp::create(b, l, a[1], a[0], zero).getResult()
                 : arith::SelectOp::create(b, l, a[1], zero, a[0]).getResult();
    });
    c.add(operand, e.sumToShape(g, TensorEmitter::shapeOf(c.fwd(operand))));
  }
  return success();
}

static LogicalResult powRule(RuleContext &c, onnxd::ONNXPowOp op, Value dy) {
  TensorEmitter &e = c.e;
  if (c.wants(op.getY()))
    return op.emitError("training does not support Pow with an exponent "
                        "that depends on a parameter");
  Value x = c.fwd(op.getX()), p = c.fwd(op.getY());
  if (!isa<FloatType>(TensorEmitter::elementOf(p)))
    return op.emitError("training supports Pow with a float exponent only");
  std::optional<double> k = constantSplat(op.getY());
  ArrayRef<int64_t> ys = TensorEmitter::shapeOf(dy);
  // d x^p = p x^(p-1). Small integer exponents (the 2 of a variance) are
  // products, exact and defined for negative x, unlike powf.
  Value g =
      e.map(ys, TensorEmitter::elementOf(dy), {dy, x, p},
            [&](B &b, L l, A a) -> Value {
              Value xv = a[1];
              Value d;
              if (k && *k == 1.0) {
                return a[0];
              } else if (k && *k == std::round(*k) && *k >= 2 && *k <= 4) {
                d = xv;
                for (int i = 2; i < int(*k); ++i)
                  d = arith::MulFOp::create(b, l, d, xv);
                d = arith::MulFOp::create(b, l, d, cst(b, l, *k));
              } else {
                Value pm1 = arith::SubFOp::create(b, l, a[2], cst(b, l, 1));
                d = arith::MulFOp::create(b, l, a[2],
                                          math::PowFOp::create(b, l, xv, pm1));
              }
              return arith::MulFOp::create(b, l, a[0], d);
            });
  c.add(op.getX(), e.sumToShape(g, TensorEmitter::shapeOf(x)));
  return success();
}

static LogicalResult castRule(RuleContext &c, onnxd::ONNXCastOp op, Value dy) {
  Value x = c.fwd(op.getInput());
  auto from = dyn_cast<FloatType>(TensorEmitter::elementOf(x));
  auto to = dyn_cast<FloatType>(TensorEmitter::elementOf(dy));
  if (!from || !to)
    return success(); // Through an integer: no gradient.
  if (from == to) {
    c.add(op.getInput(), dy);
    return success();
  }
  c.add(op.getInput(),
        c.e.map(TensorEmitter::shapeOf(dy), from, {dy}, [&](B &b, L l, A a) {
          return from.getWidth() > to.getWidth()
                     ? arith::ExtFOp::create(b, l, from, a[0]).getResult()
                     : arith::TruncFOp::create(b, l, from, a[0]).getResult();
        }));
  return success();
}

bool fqt::training::hasShapeRule(Operation *op) {
  return isa<onnxd::ONNXSliceOp, onnxd::ONNXSplitOp, onnxd::ONNXConcatOp,
             onnxd::ONNXGatherOp, onnxd::ONNXWhereOp, onnxd::ONNXPowOp,
             onnxd::ONNXCastOp, onnxd::ONNXExpandOp>(op);
}

LogicalResult fqt::training::shapeRule(RuleContext &c, Operation *op,
                                       ArrayRef<Value> dys) {
  if (auto split = dyn_cast<onnxd::ONNXSplitOp>(op))
    return splitRule(c, split, dys);
  Value dy = dys[0];
  if (!dy)
    return success();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](onnxd::ONNXSliceOp o) { return sliceRule(c, o, dy); })
      .Case([&](onnxd::ONNXConcatOp o) { return concatRule(c, o, dy); })
      .Case([&](onnxd::ONNXGatherOp o) { return gatherRule(c, o, dy); })
      .Case([&](onnxd::ONNXWhereOp o) { return whereRule(c, o, dy); })
      .Case([&](onnxd::ONNXPowOp o) { return powRule(c, o, dy); })
      .Case([&](onnxd::ONNXCastOp o) { return castRule(c, o, dy); })
      .Case([&](onnxd::ONNXExpandOp o) {
        c.add(o.getInput(),
              c.e.sumToShape(dy, TensorEmitter::shapeOf(c.fwd(o.getInput()))));
        return success();
      })
      .Default(
          [](Operation *other) { return other->emitError("no shape rule"); });
}

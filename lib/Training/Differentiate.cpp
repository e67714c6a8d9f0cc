//===- Differentiate.cpp - graph-level reverse-mode autodiff --------------===//
//
// The forward replay makes every matrix product an explicit linalg.matmul
// whose operands are the values the backward products must reuse (the saved
// activation and weight), so that quantizers inserted later on those values
// serve the forward and backward products alike. Convolutions become
// im2col + matmul for the same reason: all three products of a layer are
// then GEMMs with one integer code path.
//
//===----------------------------------------------------------------------===//

#include "Differentiate.h"
#include "Rules.h"

#include "ONNX/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace fqt;
using namespace fqt::training;
namespace onnxd = fqt::onnx;
using Body = ScalarBody;

std::string fqt::training::nodeName(Operation *op) {
  if (auto name = op->getLoc()->findInstanceOf<NameLoc>())
    return name.getName().str();
  // As the importer names unnamed nodes: op type and position.
  unsigned index = 0;
  if (Block *block = op->getBlock())
    for (Operation &other : *block) {
      if (&other == op)
        break;
      ++index;
    }
  StringRef type = op->getName().stripDialect();
  return (type + "_" + llvm::Twine(index)).str();
}

void fqt::training::tagProduct(Value product, StringRef layer, StringRef role,
                               int64_t gradOperand, int64_t samples,
                               int64_t groups) {
  Operation *op = product.getDefiningOp();
  // A grouped product is the contraction under groupedMatmul's collapse.
  if (groups > 1)
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
      op = collapse.getSrc().getDefiningOp();
  OpBuilder b(op->getContext());
  SmallVector<NamedAttribute> info = {
      b.getNamedAttr("layer", b.getStringAttr(layer)),
      b.getNamedAttr("role", b.getStringAttr(role)),
      b.getNamedAttr("grad", b.getI64IntegerAttr(gradOperand))};
  if (samples > 0)
    info.push_back(b.getNamedAttr("samples", b.getI64IntegerAttr(samples)));
  if (groups > 1)
    info.push_back(b.getNamedAttr("groups", b.getI64IntegerAttr(groups)));
  op->setAttr(kProductAttr, b.getDictionaryAttr(info));
}

SmallVector<int64_t> fqt::training::intsOr(std::optional<ArrayAttr> attr,
                                           SmallVector<int64_t> fallback) {
  if (!attr)
    return fallback;
  SmallVector<int64_t> values;
  for (Attribute a : *attr)
    values.push_back(cast<IntegerAttr>(a).getInt());
  return values;
}

bool fqt::training::isNone(Value v) { return !v || isa<NoneType>(v.getType()); }

RankedTensorType fqt::training::staticTensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return nullptr;
  return type;
}

//===----------------------------------------------------------------------===//
// Which operands carry gradients
//===----------------------------------------------------------------------===//

bool fqt::training::isDifferentiableOperand(Operation *op, unsigned operand) {
  if (operand >= op->getNumOperands() || isNone(op->getOperand(operand)))
    return false;
  auto type = dyn_cast<RankedTensorType>(op->getOperand(operand).getType());
  if (!type || !isa<FloatType>(type.getElementType()))
    return false;
  return llvm::TypeSwitch<Operation *, bool>(op)
      // The data operand only; the others are shapes, axes or ratios.
      .Case<onnxd::ONNXReshapeOp, onnxd::ONNXSqueezeOp, onnxd::ONNXUnsqueezeOp,
            onnxd::ONNXDropoutOp, onnxd::ONNXClipOp>(
          [&](Operation *) { return operand == 0; })
      // Scale and bias; mean and variance are statistics.
      .Case<onnxd::ONNXBatchNormalizationOp>(
          [&](Operation *) { return operand <= 2; })
      // The data; starts, shapes, indices and exponents are not trained
      // through (Pow's rule refuses an exponent that depends on a
      // parameter).
      .Case<onnxd::ONNXSliceOp, onnxd::ONNXExpandOp, onnxd::ONNXGatherOp,
            onnxd::ONNXSplitOp, onnxd::ONNXReduceSumOp, onnxd::ONNXCastOp>(
          [&](Operation *) { return operand == 0; })
      // Integer results: shapes, not values.
      .Case<onnxd::ONNXShapeOp>([](Operation *) { return false; })
      .Default([](Operation *) { return true; });
}

//===----------------------------------------------------------------------===//
// Forward replay
//===----------------------------------------------------------------------===//

namespace {
struct ConvGeometry {
  SmallVector<int64_t> kernel, strides, dilations, pads; // pads: t, l, b, r
  SmallVector<int64_t> out;                              // OH, OW
  SmallVector<int64_t> padded;                           // Hp, Wp
};
} // namespace

/// Geometry of a 2-D window op (Conv, MaxPool); fails on what the reverse
/// pass does not handle.
template <typename OpTy>
static FailureOr<ConvGeometry> windowGeometry(OpTy op,
                                              ArrayRef<int64_t> kernel) {
  auto x = staticTensor(op.getX());
  if (!x || x.getRank() != 4)
    return op.emitError("training supports 2-D (NCHW) ")
           << op->getName() << " with static shapes only";
  if (op.getAutoPad() != "NOTSET")
    return op.emitError("training does not support auto_pad '")
           << op.getAutoPad() << "'; export with explicit pads";
  ConvGeometry g;
  g.kernel.assign(kernel.begin(), kernel.end());
  g.strides = intsOr(op.getStrides(), {1, 1});
  g.dilations = intsOr(op.getDilations(), {1, 1});
  g.pads = intsOr(op.getPads(), {0, 0, 0, 0});
  for (int i = 0; i < 2; ++i) {
    int64_t padded = x.getDimSize(2 + i) + g.pads[i] + g.pads[i + 2];
    int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    g.padded.push_back(padded);
    g.out.push_back((padded - extent) / g.strides[i] + 1);
  }
  return g;
}

static FailureOr<Value> replayGemm(TensorEmitter &e, onnxd::ONNXGemmOp op,
                                   IRMapping &map) {
  Value a = map.lookup(op.getA()), b = map.lookup(op.getB());
  if (!staticTensor(a) || !staticTensor(b))
    return op.emitError("training needs static shapes");
  std::string layer = nodeName(op);
  Value p = e.matmul(a, b, op.getTransA() != 0, op.getTransB() != 0);
  tagProduct(p, layer, "fwd", -1);
  double alpha = op.getAlpha().convertToDouble();
  double beta = op.getBeta().convertToDouble();
  auto outType = cast<RankedTensorType>(op.getY().getType());
  Value c = isNone(op.getC()) ? Value() : map.lookup(op.getC());
  if (!c && alpha == 1.0)
    return p;
  SmallVector<Value> inputs = {p};
  if (c)
    inputs.push_back(c);
  return e.map(
      outType.getShape(), outType.getElementType(), inputs,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value r = args[0];
        if (alpha != 1.0)
          r = arith::MulFOp::create(
              b, loc, r,
              arith::ConstantOp::create(b, loc, b.getF32FloatAttr(alpha)));
        if (args.size() > 1) {
          Value cv = args[1];
          if (beta != 1.0)
            cv = arith::MulFOp::create(
                b, loc, cv,
                arith::ConstantOp::create(b, loc, b.getF32FloatAttr(beta)));
          r = arith::AddFOp::create(b, loc, r, cv);
        }
        return r;
      });
}

/// MatMul of A (rank >= 2, leading dims flattened into rows) and a 2-D B:
/// what linear layers export to.
static FailureOr<Value> replayMatMul(TensorEmitter &e, onnxd::ONNXMatMulOp op,
                                     IRMapping &map, ForwardReplay &replay) {
  Value a = map.lookup(op.getA()), b = map.lookup(op.getB());
  auto at = staticTensor(a), bt = staticTensor(b);
  if (!at || !bt || at.getRank() < 2 || bt.getRank() < 2)
    return op.emitError("training supports MatMul of static tensors of rank "
                        ">= 2 only");
  if (!isLinearMatMul(op)) {
    // A batched product (attention's Q*K^T and P*V: both operands are
    // activations) stays an onnx.MatMul, lowered later, and is not tagged:
    // insert-quantizers handles the 2-D products of a layer and its weight,
    // and these products have no weight. Their backward products are
    // untagged float contractions too (see batchedMatMulRule).
    return e.builder().clone(*op, map)->getResult(0);
  }
  int64_t k = at.getShape().back();
  int64_t rows = at.getNumElements() / k;
  Value a2 = e.reshape(a, {rows, k});
  Value p = e.matmul(a2, b, false, false);
  tagProduct(p, nodeName(op), "fwd", -1);
  replay.saved[op] = {a2};
  return e.reshape(p, cast<RankedTensorType>(op.getY().getType()).getShape());
}

static FailureOr<Value> replayConv(TensorEmitter &e, onnxd::ONNXConvOp op,
                                   IRMapping &map, ForwardReplay &replay) {
  Value x = map.lookup(op.getX()), w = map.lookup(op.getW());
  auto wt = staticTensor(w);
  if (!wt || wt.getRank() != 4)
    return op.emitError("training supports 2-D convolutions with a static "
                        "4-D weight only");
  FailureOr<ConvGeometry> g =
      windowGeometry(op, {wt.getDimSize(2), wt.getDimSize(3)});
  if (failed(g))
    return failure();
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t n = xs[0], c = xs[1], oc = wt.getDimSize(0);
  int64_t groups = op.getGroup();
  if (groups < 1 || c % groups != 0 || oc % groups != 0 ||
      wt.getDimSize(1) != c / groups)
    return op.emitError("convolution with group = ")
           << groups << " needs input channels (" << c
           << ") and output channels (" << oc
           << ") divisible by the group and a weight of [OC, C / group, KH, "
              "KW], got "
           << w.getType();
  int64_t k = c * g->kernel[0] * g->kernel[1];
  int64_t rows = n * g->out[0] * g->out[1];

  Value xp = e.pad(x, {0, 0, g->pads[0], g->pads[1]},
                   {0, 0, g->pads[2], g->pads[3]}, 0.0);
  Value cols = e.gatherWindows(xp, g->kernel, g->out, g->strides, g->dilations);
  Value xcol = e.reshape(cols, {rows, k});
  Value wmat = e.reshape(w, {oc, k / groups});
  // With groups, the columns of X's im2col matrix (c, kh, kw) and the rows
  // of W are `groups` consecutive blocks; block g of Y's columns is the
  // product of block g of each.
  Value ymat = groups == 1
                   ? e.matmul(xcol, wmat, false, true)
                   : e.groupedMatmul(xcol, wmat, false, true, groups, 1, 0, 1);
  tagProduct(ymat, nodeName(op), "fwd", -1, 0, groups);
  replay.saved[op] = {xcol, wmat};
  Value y =
      e.transpose(e.reshape(ymat, {n, g->out[0], g->out[1], oc}), {0, 3, 1, 2});
  if (isNone(op.getB()))
    return y;
  Value bias = e.reshape(map.lookup(op.getB()), {oc, 1, 1});
  return e.map({y, bias}, [](OpBuilder &b, Location loc, ValueRange args) {
    return arith::AddFOp::create(b, loc, args[0], args[1]).getResult();
  });
}

FailureOr<ForwardReplay> fqt::training::replayForward(TensorEmitter &e,
                                                      func::FuncOp forward,
                                                      const IRMapping &bound,
                                                      bool inference) {
  ForwardReplay replay;
  replay.mapping = bound;
  IRMapping &map = replay.mapping;
  for (Operation &op : forward.getBody().front().without_terminator()) {
    if (llvm::all_of(op.getResults(), [&](Value r) { return map.contains(r); }))
      continue;
    e.setLoc(op.getLoc());
    FailureOr<Value> product =
        llvm::TypeSwitch<Operation *, FailureOr<Value>>(&op)
            .Case([&](onnxd::ONNXGemmOp gemm) {
              return replayGemm(e, gemm, map);
            })
            .Case([&](onnxd::ONNXMatMulOp mm) {
              return replayMatMul(e, mm, map, replay);
            })
            .Case([&](onnxd::ONNXConvOp conv) {
              return replayConv(e, conv, map, replay);
            })
            .Default([&](Operation *other) -> FailureOr<Value> {
              Operation *clone = e.builder().clone(*other, map);
              if (auto bn = dyn_cast<onnxd::ONNXBatchNormalizationOp>(clone);
                  bn && inference)
                bn.setTrainingMode(0);
              // Rules read static shapes; a float result whose shape the
              // importer could not infer (and foldShapeComputations could
              // not fix) is refused here rather than crashed on later.
              for (Value r : clone->getResults()) {
                auto type = dyn_cast<TensorType>(r.getType());
                if (type && isa<FloatType>(type.getElementType()) &&
                    !staticTensor(r))
                  return other->emitError("training needs static shapes, "
                                          "but this op's result has type ")
                         << r.getType();
              }
              return Value();
            });
    if (failed(product))
      return failure();
    if (*product)
      map.map(op.getResult(0), *product);
  }
  return replay;
}

//===----------------------------------------------------------------------===//
// Reverse pass
//===----------------------------------------------------------------------===//

static LogicalResult gemmRule(RuleContext &c, onnxd::ONNXGemmOp op, Value dy) {
  TensorEmitter &e = c.e;
  Value a = c.fwd(op.getA()), b = c.fwd(op.getB());
  bool ta = op.getTransA() != 0, tb = op.getTransB() != 0;
  double alpha = op.getAlpha().convertToDouble();
  double beta = op.getBeta().convertToDouble();
  std::string layer = nodeName(op);
  Value g = dy;
  if (alpha != 1.0)
    g = e.map({dy}, [&](OpBuilder &nb, Location loc, ValueRange args) {
      return arith::MulFOp::create(nb, loc, args[0], cst(nb, loc, alpha))
          .getResult();
    });
  if (c.wants(op.getA())) {
    // dA' = dY * B'^T; with transA, dA = dA'^T = B' * dY^T.
    Value da = ta ? e.matmul(b, g, tb, true) : e.matmul(g, b, false, !tb);
    tagProduct(da, layer, "dgrad", ta ? 1 : 0);
    c.add(op.getA(), da);
  }
  if (c.wants(op.getB())) {
    // dB' = A'^T * dY; with transB, dB = dY^T * A'.
    Value db = tb ? e.matmul(g, a, true, ta) : e.matmul(a, g, !ta, false);
    tagProduct(db, layer, "wgrad", tb ? 0 : 1);
    c.add(op.getB(), db);
  }
  if (!isNone(op.getC()) && c.wants(op.getC())) {
    Value dc = e.sumToShape(dy, TensorEmitter::shapeOf(c.fwd(op.getC())));
    if (beta != 1.0)
      dc = e.map({dc}, [&](OpBuilder &nb, Location loc, ValueRange args) {
        return arith::MulFOp::create(nb, loc, args[0], cst(nb, loc, beta))
            .getResult();
      });
    c.add(op.getC(), dc);
  }
  return success();
}

static LogicalResult matmulRule(RuleContext &c, onnxd::ONNXMatMulOp op,
                                Value dy) {
  TensorEmitter &e = c.e;
  if (!isLinearMatMul(op))
    return batchedMatMulRule(c, op, dy);
  Value a2 = c.replay.saved[op][0];
  Value b = c.fwd(op.getB());
  ArrayRef<int64_t> a2s = TensorEmitter::shapeOf(a2);
  Value g = e.reshape(dy, {a2s[0], TensorEmitter::shapeOf(b)[1]});
  std::string layer = nodeName(op);
  // A [B, T, D] input's rows are B samples of T rows each.
  ArrayRef<int64_t> as = TensorEmitter::shapeOf(c.fwd(op.getA()));
  int64_t samples = as.size() > 2 ? as.front() : 0;
  if (c.wants(op.getA())) {
    Value da = e.matmul(g, b, false, true);
    tagProduct(da, layer, "dgrad", 0, samples);
    c.add(op.getA(), e.reshape(da, TensorEmitter::shapeOf(c.fwd(op.getA()))));
  }
  if (c.wants(op.getB())) {
    Value db = e.matmul(a2, g, true, false);
    tagProduct(db, layer, "wgrad", 1, samples);
    c.add(op.getB(), db);
  }
  return success();
}

static LogicalResult convRule(RuleContext &c, onnxd::ONNXConvOp op, Value dy) {
  TensorEmitter &e = c.e;
  Value x = c.fwd(op.getX()), w = c.fwd(op.getW());
  ArrayRef<int64_t> ws = TensorEmitter::shapeOf(w);
  FailureOr<ConvGeometry> g = windowGeometry(op, {ws[2], ws[3]});
  if (failed(g))
    return failure();
  Value xcol = c.replay.saved[op][0], wmat = c.replay.saved[op][1];
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t n = xs[0], ch = xs[1], oc = ws[0];
  int64_t rows = n * g->out[0] * g->out[1];
  int64_t groups = op.getGroup();
  std::string layer = nodeName(op);
  // dY as the [N*OH*OW, OC] matrix of the forward product; with groups, its
  // columns are `groups` blocks, as W's rows and X's im2col columns are:
  // dX block g = dY block g * W block g, dW block g = dY block g^T * X
  // block g.
  Value gmat = e.reshape(e.transpose(dy, {0, 2, 3, 1}), {rows, oc});
  if (c.wants(op.getX())) {
    Value dxcol = groups == 1 ? e.matmul(gmat, wmat, false, false)
                              : e.groupedMatmul(gmat, wmat, false, false,
                                                groups, 1, 0, 1);
    tagProduct(dxcol, layer, "dgrad", 0, n, groups);
    Value cols = e.reshape(
        dxcol, {n, g->out[0], g->out[1], ch, g->kernel[0], g->kernel[1]});
    Value dxp = e.scatterWindows(cols, g->padded, g->strides, g->dilations);
    c.add(op.getX(),
          e.slice(dxp, {0, 0, g->pads[0], g->pads[1]}, {n, ch, xs[2], xs[3]}));
  }
  if (c.wants(op.getW())) {
    Value dwmat =
        groups == 1 ? e.matmul(gmat, xcol, true, false)
                    : e.groupedMatmul(gmat, xcol, true, false, groups, 1, 1, 0);
    tagProduct(dwmat, layer, "wgrad", 0, n, groups);
    c.add(op.getW(), e.reshape(dwmat, ws));
  }
  if (!isNone(op.getB()) && c.wants(op.getB()))
    c.add(op.getB(), e.reduceSum(dy, {0, 2, 3}));
  return success();
}

/// kh * KW + kw as i64, inside a generic whose loops `rowDim` and `colDim`
/// are (kh, kw) (by default a generic over (n, oh, ow, c, kh, kw)): the
/// position in the window that the argmax records and the spread compares.
static Value windowPosition(OpBuilder &b, Location loc, int64_t kw,
                            int64_t rowDim = 4, int64_t colDim = 5) {
  Value i = linalg::IndexOp::create(b, loc, rowDim);
  Value j = linalg::IndexOp::create(b, loc, colDim);
  Value flat = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, i,
                            arith::ConstantIndexOp::create(b, loc, kw)),
      j);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), flat);
}

/// The body of the argmax over a window's positions, inside a generic over
/// (..., kh, kw) whose outputs are the maximum and its position: the first
/// maximum in (kh, kw) order, as PyTorch picks it (a strict compare).
static void yieldFirstMaximum(OpBuilder &b, Location loc, ValueRange args,
                              int64_t kw) {
  Value position = windowPosition(b, loc, kw);
  Value better = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                       args[0], args[1]);
  linalg::YieldOp::create(
      b, loc,
      ValueRange{arith::SelectOp::create(b, loc, better, args[0], args[1]),
                 arith::SelectOp::create(b, loc, better, position, args[2])});
}

/// dX of a max-pooling whose windows tile the input (stride = kernel,
/// dilation 1). The covered pixels [N, C, OH * KH, OW * KW] are the windows
/// [N, C, OH, KH, OW, KW] in place (a reshape, no copy): the first maximum
/// of each window in (kh, kw) order, as PyTorch picks it, is a reduction
/// over (kh, kw) of that view, and dX over the same view is dY where a
/// position is its window's maximum. Every map is a projected permutation,
/// so the loops run along rows (the general path copies the windows,
/// transposes dY and spreads it over the window copy); row-wise, LLVM
/// vectorizes the windows' compare-and-select chain instead of branching on
/// it.
static Value maxPoolTilesGradient(TensorEmitter &e, Value xPadded, Value dy,
                                  const ConvGeometry &g) {
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(xPadded);
  int64_t n = xs[0], ch = xs[1], kh = g.kernel[0], kw = g.kernel[1],
          oh = g.out[0], ow = g.out[1];
  SmallVector<int64_t> covered = {n, ch, oh * kh, ow * kw};
  SmallVector<int64_t> tiles = {n, ch, oh, kh, ow, kw};
  SmallVector<int64_t> perWindow = {n, ch, oh, ow};
  Value windows = e.reshape(e.slice(xPadded, {0, 0, 0, 0}, covered), tiles);

  // Iteration (n, c, oh, ow, i, j) over the windows view (n, c, oh, i, ow,
  // j).
  AffineExpr dn, dc, doh, dow, di, dj;
  bindDims(ctx, dn, dc, doh, dow, di, dj);
  AffineMap window = AffineMap::get(6, 0, {dn, dc, doh, di, dow, dj}, ctx);
  AffineMap ofWindow = AffineMap::get(6, 0, {dn, dc, doh, dow}, ctx);
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
  Value maxInit = e.splat(perWindow, b.getF32Type(),
                          -std::numeric_limits<double>::infinity());
  Value firstInit = e.splat(perWindow, b.getI64Type(), -1);
  auto argmax = linalg::GenericOp::create(
      b, loc, TypeRange{maxInit.getType(), firstInit.getType()},
      ValueRange{windows}, ValueRange{maxInit, firstInit},
      SmallVector<AffineMap>{window, ofWindow, ofWindow}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        yieldFirstMaximum(nb, l, args, kw);
      });

  // Iteration (n, c, oh, i, ow, j): the windows view in its own order.
  AffineMap ofPosition = AffineMap::get(6, 0, {dn, dc, doh, di}, ctx);
  Value init = tensor::EmptyOp::create(b, loc, tiles, b.getF32Type());
  auto spread = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{argmax.getResult(1), dy},
      ValueRange{init},
      SmallVector<AffineMap>{ofPosition, ofPosition,
                             b.getMultiDimIdentityMap(6)},
      SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        // Iteration (n, c, oh, kh, ow, kw).
        Value self = windowPosition(nb, l, kw, /*rowDim=*/3, /*colDim=*/5);
        Value hit = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, self,
                                          args[0]);
        linalg::YieldOp::create(
            nb, l,
            arith::SelectOp::create(nb, l, hit, args[1], cst(nb, l, 0))
                .getResult());
      });
  // Rows and columns past the last window get no gradient.
  return e.pad(e.reshape(spread.getResult(0), covered), {0, 0, 0, 0},
               {0, 0, g.padded[0] - oh * kh, g.padded[1] - ow * kw}, 0.0);
}

static LogicalResult maxPoolRule(RuleContext &c, onnxd::ONNXMaxPoolOp op,
                                 Value dy) {
  TensorEmitter &e = c.e;
  if (!isNone(op.getIndices()) && !op.getIndices().use_empty())
    return op.emitError("training does not support MaxPool's Indices output");
  SmallVector<int64_t> kernel = intsOr(op.getKernelShape(), {});
  if (kernel.size() != 2)
    return op.emitError("training supports 2-D MaxPool only");
  FailureOr<ConvGeometry> g = windowGeometry(op, kernel);
  if (failed(g))
    return failure();
  if (op.getCeilMode() != 0) {
    // ceil_mode adds the windows that start inside the input (or its
    // leading pad) but overhang its end: the same as padding the end with
    // -inf until they fit, which is what the reverse pass does. The window
    // count is the forward result's.
    auto y = staticTensor(op.getY());
    if (!y || y.getRank() != 4)
      return op.emitError("training supports MaxPool with ceil_mode only "
                          "with a static result shape");
    for (int i = 0; i < 2; ++i) {
      int64_t out = y.getDimSize(2 + i);
      int64_t extent = (g->kernel[i] - 1) * g->dilations[i] + 1;
      int64_t needed = (out - 1) * g->strides[i] + extent;
      if (out < g->out[i] || needed < g->padded[i])
        return op.emitError("MaxPool's result shape disagrees with its "
                            "ceil_mode geometry");
      g->pads[i + 2] += needed - g->padded[i];
      g->padded[i] = needed;
      g->out[i] = out;
    }
  }
  Value x = c.fwd(op.getX());
  ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
  int64_t n = xs[0], ch = xs[1];
  Value xp =
      e.pad(x, {0, 0, g->pads[0], g->pads[1]}, {0, 0, g->pads[2], g->pads[3]},
            -std::numeric_limits<double>::infinity());
  if (g->strides == g->kernel && g->dilations[0] == 1 && g->dilations[1] == 1) {
    Value dxp = maxPoolTilesGradient(e, xp, dy, *g);
    c.add(op.getX(),
          e.slice(dxp, {0, 0, g->pads[0], g->pads[1]}, {n, ch, xs[2], xs[3]}));
    return success();
  }
  Value cols = e.gatherWindows(xp, g->kernel, g->out, g->strides, g->dilations);

  // The first maximum of each window in (kh, kw) order, as PyTorch picks it.
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape = {n, g->out[0], g->out[1], ch};
  Value maxInit = e.splat(outShape, b.getF32Type(),
                          -std::numeric_limits<double>::infinity());
  Value idxInit = e.splat(outShape, b.getI64Type(), -1);
  AffineMap id6 = b.getMultiDimIdentityMap(6);
  AffineMap proj =
      AffineMap::get(6, 0,
                     {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                      getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)},
                     ctx);
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.append(2, utils::IteratorType::reduction);
  int64_t kw = g->kernel[1];
  auto argmax = linalg::GenericOp::create(
      b, loc, TypeRange{maxInit.getType(), idxInit.getType()}, ValueRange{cols},
      ValueRange{maxInit, idxInit}, SmallVector<AffineMap>{id6, proj, proj},
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        yieldFirstMaximum(nb, l, args, kw);
      });
  Value idx = argmax.getResult(1);
  Value dyT = e.transpose(dy, {0, 2, 3, 1}); // [N, OH, OW, C]
  // contributions[n, oh, ow, c, kh, kw] = dY where (kh, kw) is the argmax.
  Value init = tensor::EmptyOp::create(b, loc, TensorEmitter::shapeOf(cols),
                                       b.getF32Type());
  auto spread = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{dyT, idx}, ValueRange{init},
      SmallVector<AffineMap>{proj, proj, id6},
      SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value flat64 = windowPosition(nb, l, kw);
        Value hit = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                          flat64, args[1]);
        linalg::YieldOp::create(
            nb, l,
            arith::SelectOp::create(nb, l, hit, args[0], cst(nb, l, 0))
                .getResult());
      });
  Value dxp = e.scatterWindows(spread.getResult(0), g->padded, g->strides,
                               g->dilations);
  c.add(op.getX(),
        e.slice(dxp, {0, 0, g->pads[0], g->pads[1]}, {n, ch, xs[2], xs[3]}));
  return success();
}

/// dX = body(dY, X, Y) for the unary elementwise ops.
static LogicalResult unaryRule(RuleContext &c, Operation *op, Value dy,
                               Body body) {
  Value x = c.fwd(op->getOperand(0)), y = c.fwd(op->getResult(0));
  c.add(op->getOperand(0), c.e.map({dy, x, y}, body));
  return success();
}

static LogicalResult softmaxRule(RuleContext &c, Operation *op, Value dy,
                                 int64_t axis, bool log) {
  TensorEmitter &e = c.e;
  Value y = c.fwd(op->getResult(0));
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(y);
  int64_t rank = shape.size();
  if (axis < 0)
    axis += rank;
  if (axis != rank - 1)
    return op->emitError("training supports softmax over the last axis only");
  SmallVector<int64_t> keep(shape);
  keep[axis] = 1;
  Value s;
  if (log) {
    // dX = dY - softmax * sum(dY)
    s = e.reshape(e.reduceSum(dy, {axis}), keep);
    c.add(op->getOperand(0),
          e.map({dy, y, s}, [](OpBuilder &b, Location l, ValueRange a) {
            Value p = math::ExpOp::create(b, l, a[1]);
            return arith::SubFOp::create(b, l, a[0],
                                         arith::MulFOp::create(b, l, p, a[2]))
                .getResult();
          }));
    return success();
  }
  // dX = Y * (dY - sum(dY * Y))
  Value gy = e.map({dy, y}, [](OpBuilder &b, Location l, ValueRange a) {
    return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
  });
  s = e.reshape(e.reduceSum(gy, {axis}), keep);
  c.add(op->getOperand(0),
        e.map({dy, y, s}, [](OpBuilder &b, Location l, ValueRange a) {
          return arith::MulFOp::create(b, l, a[1],
                                       arith::SubFOp::create(b, l, a[0], a[2]))
              .getResult();
        }));
  return success();
}

/// Gradient of a broadcasting binary op: dA = sum_to_shape(fa(dY, A, B, Y)).
static LogicalResult binaryRule(RuleContext &c, Operation *op, Value dy,
                                Body fa, Body fb) {
  TensorEmitter &e = c.e;
  Value a = c.fwd(op->getOperand(0)), b = c.fwd(op->getOperand(1));
  Value y = c.fwd(op->getResult(0));
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(y);
  Type element = TensorEmitter::elementOf(y);
  if (c.wants(op->getOperand(0)))
    c.add(op->getOperand(0),
          e.sumToShape(e.map(shape, element, {dy, a, b, y}, fa),
                       TensorEmitter::shapeOf(a)));
  if (c.wants(op->getOperand(1)))
    c.add(op->getOperand(1),
          e.sumToShape(e.map(shape, element, {dy, a, b, y}, fb),
                       TensorEmitter::shapeOf(b)));
  return success();
}

/// Gradient of variadic Max / Min: dY goes to the operands equal to the
/// result, shared evenly among ties (PyTorch's maximum/minimum), each summed
/// back to its operand's shape.
static LogicalResult extremumRule(RuleContext &c, Operation *op, Value dy) {
  TensorEmitter &e = c.e;
  Value y = c.fwd(op->getResult(0));
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(y);
  Type element = TensorEmitter::elementOf(y);
  SmallVector<Value> inputs = {dy, y};
  for (Value operand : op->getOperands())
    inputs.push_back(c.fwd(operand));
  int64_t n = op->getNumOperands();
  for (int64_t k = 0; k < n; ++k) {
    if (!c.wants(op->getOperand(k)))
      continue;
    Value g = e.map(
        shape, element, inputs,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value count = cst(b, l, 0);
          for (int64_t i = 0; i < n; ++i) {
            Value hit = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                              a[2 + i], a[1]);
            count = arith::AddFOp::create(
                b, l, count,
                arith::SelectOp::create(b, l, hit, cst(b, l, 1), cst(b, l, 0)));
          }
          Value mine = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                             a[2 + k], a[1]);
          Value share = arith::DivFOp::create(b, l, a[0], count);
          return arith::SelectOp::create(b, l, mine, share, cst(b, l, 0));
        });
    c.add(op->getOperand(k),
          e.sumToShape(g, TensorEmitter::shapeOf(c.fwd(op->getOperand(k)))));
  }
  return success();
}

static LogicalResult applyRule(RuleContext &c, Operation *op,
                               ArrayRef<Value> dys) {
  if (hasNormalizationRule(op))
    return normalizationRule(c, op, dys);
  if (hasShapeRule(op))
    return shapeRule(c, op, dys);
  // The rules below are for ops whose first result alone carries gradients.
  Value dy = dys[0];
  if (!dy)
    return success();
  TensorEmitter &e = c.e;
  auto reshapeBack = [&](Operation *o) {
    Value x = c.fwd(o->getOperand(0));
    c.add(o->getOperand(0), e.reshape(dy, TensorEmitter::shapeOf(x)));
    return success();
  };
  using B = OpBuilder;
  using L = Location;
  using A = ValueRange;
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](onnxd::ONNXGemmOp o) { return gemmRule(c, o, dy); })
      .Case([&](onnxd::ONNXMatMulOp o) { return matmulRule(c, o, dy); })
      .Case([&](onnxd::ONNXConvOp o) { return convRule(c, o, dy); })
      .Case([&](onnxd::ONNXMaxPoolOp o) { return maxPoolRule(c, o, dy); })
      .Case([&](onnxd::ONNXGlobalAveragePoolOp o) {
        Value x = c.fwd(o.getX());
        ArrayRef<int64_t> xs = TensorEmitter::shapeOf(x);
        double inv = 1.0 / double(xs[2] * xs[3]);
        c.add(o.getX(), e.map(xs, e.elementOf(x), {dy}, [&](B &b, L l, A a) {
          return arith::MulFOp::create(b, l, a[0], cst(b, l, inv)).getResult();
        }));
        return success();
      })
      .Case<onnxd::ONNXFlattenOp, onnxd::ONNXReshapeOp, onnxd::ONNXSqueezeOp,
            onnxd::ONNXUnsqueezeOp, onnxd::ONNXIdentityOp>(reshapeBack)
      .Case([&](onnxd::ONNXDropoutOp o) -> LogicalResult {
        // The identity unless it drops in training mode: PyTorch's training
        // exports pass training_mode = true, also for a ratio of 0.
        std::optional<double> ratio =
            isNone(o.getRatio()) ? 0.5 : constantSplat(o.getRatio());
        if (!isNone(o.getTrainingMode()) && !(ratio && *ratio == 0.0))
          return o.emitError("training through Dropout with a training_mode "
                             "input and a ratio other than a constant 0 is "
                             "not supported");
        return reshapeBack(o);
      })
      .Case([&](onnxd::ONNXTransposeOp o) {
        int64_t rank = TensorEmitter::shapeOf(dy).size();
        SmallVector<int64_t> perm;
        for (int64_t i = rank - 1; i >= 0; --i)
          perm.push_back(i);
        perm = intsOr(o.getPerm(), perm);
        SmallVector<int64_t> inverse(rank);
        for (int64_t i = 0; i < rank; ++i)
          inverse[perm[i]] = i;
        c.add(o.getData(), e.transpose(dy, inverse));
        return success();
      })
      .Case([&](onnxd::ONNXReluOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                            a[2], cst(b, l, 0));
          return arith::SelectOp::create(b, l, pos, a[0], cst(b, l, 0))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXClipOp o) -> LogicalResult {
        // dY strictly inside (min, max), 0 elsewhere: PyTorch's hardtanh,
        // which ReLU6 (MobileNetV2) exports as. min and max are scalars.
        Value x = c.fwd(o.getInput());
        SmallVector<Value> inputs = {dy, x};
        Value bounds[2] = {o.getMin(), o.getMax()};
        for (Value bound : bounds) {
          if (isNone(bound))
            continue;
          auto type = dyn_cast<RankedTensorType>(bound.getType());
          if (!type || type.getRank() != 0)
            return o.emitError("training supports Clip with scalar min and "
                               "max only");
          inputs.push_back(c.fwd(bound));
        }
        bool hasMin = !isNone(bounds[0]), hasMax = !isNone(bounds[1]);
        ArrayRef<int64_t> shape = TensorEmitter::shapeOf(x);
        c.add(
            o.getInput(),
            e.map(shape, e.elementOf(x), inputs, [&](B &b, L l, A a) {
              unsigned next = 2;
              Value inside;
              if (hasMin)
                inside = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                               a[1], a[next++]);
              if (hasMax) {
                Value below = arith::CmpFOp::create(
                    b, l, arith::CmpFPredicate::OLT, a[1], a[next++]);
                inside =
                    inside
                        ? arith::AndIOp::create(b, l, inside, below).getResult()
                        : below;
              }
              if (!inside)
                return a[0];
              return arith::SelectOp::create(b, l, inside, a[0], cst(b, l, 0))
                  .getResult();
            }));
        return success();
      })
      .Case([&](onnxd::ONNXLeakyReluOp o) {
        double alpha = o.getAlpha().convertToDouble();
        return unaryRule(c, o, dy, [&](B &b, L l, A a) {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                            a[1], cst(b, l, 0));
          Value neg = arith::MulFOp::create(b, l, a[0], cst(b, l, alpha));
          return arith::SelectOp::create(b, l, pos, a[0], neg).getResult();
        });
      })
      .Case([&](onnxd::ONNXSigmoidOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value oneMinus = arith::SubFOp::create(b, l, cst(b, l, 1), a[2]);
          return arith::MulFOp::create(
                     b, l, a[0], arith::MulFOp::create(b, l, a[2], oneMinus))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXHardSigmoidOp o) {
        // alpha inside the linear part 0 < alpha x + beta < 1, else 0.
        double alpha = o.getAlpha().convertToDouble();
        double beta = o.getBeta().convertToDouble();
        return unaryRule(c, o, dy, [=](B &b, L l, A a) {
          Value t = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, a[1], cst(b, l, alpha)),
              cst(b, l, beta));
          Value above = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                              t, cst(b, l, 0));
          Value below = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT,
                                              t, cst(b, l, 1));
          Value inside = arith::AndIOp::create(b, l, above, below);
          Value scaled = arith::MulFOp::create(b, l, a[0], cst(b, l, alpha));
          return arith::SelectOp::create(b, l, inside, scaled, cst(b, l, 0))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXHardSwishOp o) {
        // PyTorch's convention: 0 for x < -3, x / 3 + 1/2 for x <= 3, else 1.
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value x = a[1];
          Value low = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                            cst(b, l, -3));
          Value high = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                             cst(b, l, 3));
          Value slope = arith::AddFOp::create(
              b, l, arith::DivFOp::create(b, l, x, cst(b, l, 3)),
              cst(b, l, 0.5));
          Value d = arith::SelectOp::create(
              b, l, low, cst(b, l, 0),
              arith::SelectOp::create(b, l, high, cst(b, l, 1), slope));
          return arith::MulFOp::create(b, l, a[0], d).getResult();
        });
      })
      .Case<onnxd::ONNXMaxOp, onnxd::ONNXMinOp>(
          [&](Operation *o) { return extremumRule(c, o, dy); })
      .Case([&](onnxd::ONNXSoftplusOp o) {
        // dY * sigmoid(x)
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value e =
              math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[1]));
          Value sigmoid = arith::DivFOp::create(
              b, l, cst(b, l, 1), arith::AddFOp::create(b, l, cst(b, l, 1), e));
          return arith::MulFOp::create(b, l, a[0], sigmoid).getResult();
        });
      })
      .Case([&](onnxd::ONNXEluOp o) {
        // dY for x > 0, else dY * (y + alpha).
        double alpha = o.getAlpha().convertToDouble();
        return unaryRule(c, o, dy, [=](B &b, L l, A a) {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                            a[1], cst(b, l, 0));
          Value neg = arith::MulFOp::create(
              b, l, a[0], arith::AddFOp::create(b, l, a[2], cst(b, l, alpha)));
          return arith::SelectOp::create(b, l, pos, a[0], neg).getResult();
        });
      })
      .Case([&](onnxd::ONNXSeluOp o) {
        // gamma dY for x > 0, else dY * (y + gamma alpha).
        double alpha = o.getAlpha().convertToDouble();
        double gamma = o.getGamma().convertToDouble();
        return unaryRule(c, o, dy, [=](B &b, L l, A a) {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                            a[1], cst(b, l, 0));
          Value scaled = arith::MulFOp::create(b, l, a[0], cst(b, l, gamma));
          Value neg = arith::MulFOp::create(
              b, l, a[0],
              arith::AddFOp::create(b, l, a[2], cst(b, l, gamma * alpha)));
          return arith::SelectOp::create(b, l, pos, scaled, neg).getResult();
        });
      })
      .Case([&](onnxd::ONNXAbsOp o) {
        // dY * sign(x), 0 at 0 (PyTorch's convention).
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                            a[1], cst(b, l, 0));
          Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT,
                                            a[1], cst(b, l, 0));
          Value sign = arith::SelectOp::create(
              b, l, pos, cst(b, l, 1),
              arith::SelectOp::create(b, l, neg, cst(b, l, -1), cst(b, l, 0)));
          return arith::MulFOp::create(b, l, a[0], sign).getResult();
        });
      })
      .Case([&](onnxd::ONNXSoftsignOp o) {
        // dY / (1 + |x|)^2
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value d = arith::AddFOp::create(b, l, cst(b, l, 1),
                                          math::AbsFOp::create(b, l, a[1]));
          return arith::DivFOp::create(b, l, a[0],
                                       arith::MulFOp::create(b, l, d, d))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXTanhOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value y2 = arith::MulFOp::create(b, l, a[2], a[2]);
          return arith::MulFOp::create(
                     b, l, a[0], arith::SubFOp::create(b, l, cst(b, l, 1), y2))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXExpOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          return arith::MulFOp::create(b, l, a[0], a[2]).getResult();
        });
      })
      .Case([&](onnxd::ONNXLogOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          return arith::DivFOp::create(b, l, a[0], a[1]).getResult();
        });
      })
      .Case([&](onnxd::ONNXNegOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          return arith::NegFOp::create(b, l, a[0]).getResult();
        });
      })
      .Case([&](onnxd::ONNXSqrtOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          return arith::DivFOp::create(
                     b, l, a[0],
                     arith::MulFOp::create(b, l, cst(b, l, 2), a[2]))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXReciprocalOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          Value y2 = arith::MulFOp::create(b, l, a[2], a[2]);
          return arith::NegFOp::create(b, l,
                                       arith::MulFOp::create(b, l, a[0], y2))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXErfOp o) {
        return unaryRule(c, o, dy, [](B &b, L l, A a) {
          // d erf(x) = 2/sqrt(pi) exp(-x^2)
          Value x2 = arith::MulFOp::create(b, l, a[1], a[1]);
          Value ex = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x2));
          Value k = cst(b, l, 1.1283791670955126);
          return arith::MulFOp::create(b, l, a[0],
                                       arith::MulFOp::create(b, l, k, ex))
              .getResult();
        });
      })
      .Case([&](onnxd::ONNXSoftmaxOp o) {
        return softmaxRule(c, o, dy, o.getAxis(), /*log=*/false);
      })
      .Case([&](onnxd::ONNXLogSoftmaxOp o) {
        return softmaxRule(c, o, dy, o.getAxis(), /*log=*/true);
      })
      .Case([&](onnxd::ONNXAddOp o) {
        return binaryRule(
            c, o, dy, [](B &, L, A a) { return a[0]; },
            [](B &, L, A a) { return a[0]; });
      })
      .Case([&](onnxd::ONNXSubOp o) {
        return binaryRule(
            c, o, dy, [](B &, L, A a) { return a[0]; },
            [](B &b, L l, A a) {
              return arith::NegFOp::create(b, l, a[0]).getResult();
            });
      })
      .Case([&](onnxd::ONNXMulOp o) {
        return binaryRule(
            c, o, dy,
            [](B &b, L l, A a) {
              return arith::MulFOp::create(b, l, a[0], a[2]).getResult();
            },
            [](B &b, L l, A a) {
              return arith::MulFOp::create(b, l, a[0], a[1]).getResult();
            });
      })
      .Case([&](onnxd::ONNXDivOp o) {
        return binaryRule(
            c, o, dy,
            [](B &b, L l, A a) {
              return arith::DivFOp::create(b, l, a[0], a[2]).getResult();
            },
            [](B &b, L l, A a) {
              // -dY * Y / B
              Value t = arith::MulFOp::create(b, l, a[0], a[3]);
              return arith::NegFOp::create(b, l,
                                           arith::DivFOp::create(b, l, t, a[2]))
                  .getResult();
            });
      })
      .Default([&](Operation *other) {
        return other->emitError("no gradient rule for '")
               << other->getName() << "'; it lies between a parameter and "
               << "the loss";
      });
}

FailureOr<SmallVector<Value>>
fqt::training::emitReverse(TensorEmitter &e, func::FuncOp forward,
                           ForwardReplay &replay, unsigned resultIndex,
                           Value seed, ArrayRef<Value> wrt) {
  Block &body = forward.getBody().front();
  // Values that depend on a parameter through a differentiable operand.
  llvm::DenseSet<Value> needs(wrt.begin(), wrt.end());
  for (Operation &op : body.without_terminator()) {
    bool depends = false;
    for (unsigned i = 0, n = op.getNumOperands(); i < n; ++i)
      if (isDifferentiableOperand(&op, i) && needs.contains(op.getOperand(i)))
        depends = true;
    if (depends)
      for (Value r : op.getResults())
        needs.insert(r);
  }

  llvm::DenseMap<Value, Value> grads;
  Value result = body.getTerminator()->getOperand(resultIndex);
  grads[result] = seed;
  RuleContext ctx{e, replay, needs, grads};
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    // The gradient of every result (null where none arrived: Dropout's
    // mask, MaxPool's indices, BatchNormalization's running statistics and
    // unused Split outputs have none).
    SmallVector<Value> dys;
    for (Value r : op.getResults())
      dys.push_back(grads.lookup(r));
    if (llvm::all_of(dys, [](Value g) { return !g; }))
      continue;
    bool anyWanted = false;
    for (unsigned i = 0, n = op.getNumOperands(); i < n; ++i)
      anyWanted |=
          isDifferentiableOperand(&op, i) && needs.contains(op.getOperand(i));
    if (!anyWanted)
      continue;
    e.setLoc(op.getLoc());
    if (failed(applyRule(ctx, &op, dys)))
      return failure();
  }

  SmallVector<Value> out;
  for (Value v : wrt) {
    Value g = grads.lookup(v);
    if (!g) {
      auto type = cast<RankedTensorType>(v.getType());
      g = e.splat(type.getShape(), type.getElementType(), 0.0);
    }
    out.push_back(g);
  }
  return out;
}

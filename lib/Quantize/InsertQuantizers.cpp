//===- InsertQuantizers.cpp - quantizers on forward and backward products -===//
//
// The products come from --fqt-build-training, tagged with their layer and
// role, and the backward products read the very SSA values the forward
// product read (the saved activation and weight). Quantizing each
// (value, quantizer) pair once per function therefore makes the backward
// products reuse the forward codes, as fully quantized training needs.
//
//===----------------------------------------------------------------------===//

#include "fqt/Quantize/Passes.h"

#include "LBTState.h"

#include "FQT/FQTAttrs.h"
#include "FQT/FQTDialect.h"
#include "FQT/FQTOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <cctype>

namespace fqt {
#define GEN_PASS_DEF_FQTINSERTQUANTIZERS
#include "fqt/Quantize/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

enum class Role { Act, Weight, DGrad, WGrad };

StringRef roleName(Role role) {
  switch (role) {
  case Role::Act:
    return "act";
  case Role::Weight:
    return "weight";
  case Role::DGrad:
    return "dgrad";
  case Role::WGrad:
    return "wgrad";
  }
  return "";
}

/// Parses `none`, `KIND:B` or, for the block kinds, `KIND:B/S`
/// (fqt::getQuantizerAttr) for `role`; null with a diagnostic otherwise. A
/// block quantizer's axis is that of the product it serves, set there.
QuantizerAttrInterface parseSpec(MLIRContext *ctx, Location loc, StringRef spec,
                                 Role role) {
  spec = spec.trim();
  if (spec == "none")
    return cast<QuantizerAttrInterface>(NoneAttr::get(ctx));
  auto [kindText, widths] = spec.split(':');
  FailureOr<QuantizerSpecParts> parts = splitQuantizerSpec(kindText, widths);
  if (failed(parts)) {
    emitError(loc, "malformed quantizer '")
        << spec << "' for " << roleName(role)
        << "; expected none, KIND:BITS with KIND one of ptq, psq, psqz, "
           "bhq, percol, percolz, lbt, or KIND:BITS/SIZE with KIND blk or rht";
    return nullptr;
  }
  StringRef kind = parts->kind;
  // On the forward roles ptq:B names the forward quantizers of the papers.
  if (role == Role::Act && kind == "ptq")
    kind = "act";
  if (role == Role::Weight && kind == "ptq")
    kind = "weight";
  std::optional<Rounding> rounding;
  if (role == Role::Act || role == Role::Weight) {
    if (kind != "act" && kind != "weight" && kind != "blk") {
      emitError(loc, "quantizer '")
          << spec << "' cannot be used for " << roleName(role)
          << ": the forward roles take none, ptq:B (per tensor) or blk:B/S";
      return nullptr;
    }
    // Forward values round to nearest, as the papers' forward quantizers.
    rounding = Rounding::nearest;
  } else if (kind == "act" || kind == "weight") {
    emitError(loc, "quantizer '")
        << spec << "' is a forward quantizer; " << roleName(role)
        << " takes ptq, psq, psqz, bhq, percol, percolz, lbt, blk or rht";
    return nullptr;
  }
  // The attribute's verifier checks the bit-width; its message is reported
  // at `loc`, naming the spec and the role.
  return getQuantizerAttr(
      [&]() -> InFlightDiagnostic {
        return emitError(loc, "invalid quantizer '")
               << spec << "' for " << roleName(role) << ": ";
      },
      ctx, kind, parts->bits, isBlockSpecKind(kind) ? rounding : std::nullopt,
      parts->blockSize);
}

/// `q` with its blocks along stored dimension `axis` (and, for rht, the
/// transform size `size` and the signs stream `signs`); `q` itself for the
/// other kinds.
QuantizerAttrInterface alongAxis(QuantizerAttrInterface q, int64_t axis,
                                 int64_t size = 0, int64_t signs = 0) {
  MLIRContext *ctx = q.getContext();
  if (auto blk = dyn_cast<BlockAttr>(q))
    return cast<QuantizerAttrInterface>(BlockAttr::get(
        ctx, blk.getBits(), blk.getSize(), axis, blk.getRounding()));
  if (auto rht = dyn_cast<RHTAttr>(q))
    return cast<QuantizerAttrInterface>(
        RHTAttr::get(ctx, rht.getBits(), size ? size : rht.getSize(), axis,
                     signs, rht.getRounding()));
  return q;
}

struct Policy {
  QuantizerAttrInterface act, weight, dgrad, wgrad;
  QuantizerAttrInterface forRole(Role role) const {
    switch (role) {
    case Role::Act:
      return act;
    case Role::Weight:
      return weight;
    case Role::DGrad:
      return dgrad;
    case Role::WGrad:
      return wgrad;
    }
    return act;
  }
  void set(Role role, QuantizerAttrInterface q) {
    switch (role) {
    case Role::Act:
      act = q;
      break;
    case Role::Weight:
      weight = q;
      break;
    case Role::DGrad:
      dgrad = q;
      break;
    case Role::WGrad:
      wgrad = q;
      break;
    }
  }
};

/// Whether `v` is a trainable parameter (possibly reshaped): it takes the
/// weight quantizer, anything else the activation quantizer.
bool isParameter(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
      return false;
    v = def->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg)
    return false;
  auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!fn)
    return false;
  SlotAttr slot = getArgSlot(fn, arg.getArgNumber());
  return slot && slot.getKind() == SlotKind::param;
}

/// The quantized form of one value.
struct Quantized {
  QuantizeOp op;
  Value dequantized;
};

/// One #fqt.lbt quantizer's clipping factor, a `state` buffer of the
/// training program (docs/quantizers.md §4.3).
struct GammaState {
  std::string name;
  /// The state as the function receives it.
  Value raw;
  /// The gamma the function's quantize op uses.
  Value effective;
  /// The state the function returns, when it updates state; else null.
  Value updated;
};

/// Whether `kind` is carried from step to step by the runtime.
/// A grouped convolution's product (TensorEmitter::groupedMatmul): a
/// linalg.generic over (g, m, n, k) whose operands are 2-D matrices
/// expanded to 3-D, one dimension split into `groups` blocks.
struct GroupedProduct {
  int64_t groups;
  /// The expand_shapes the generic reads, and the 2-D matrices they split.
  tensor::ExpandShapeOp views[2];
  Value matrices[2];
  /// The split dimension of each stored matrix and of the 2-D result.
  int64_t groupDims[2];
  int64_t resultGroupDim;
  bool transposeLhs, transposeRhs;
};

/// The dimension of a 2-D matrix that `view` splits into [groups, size /
/// groups]: 0 or 1, or -1 when `view` is not such a split.
int64_t splitDimension(tensor::ExpandShapeOp view, int64_t groups) {
  auto srcType = dyn_cast<RankedTensorType>(view.getSrc().getType());
  RankedTensorType type = view.getResultType();
  if (!srcType || srcType.getRank() != 2 || type.getRank() != 3 ||
      !srcType.hasStaticShape() || !type.hasStaticShape())
    return -1;
  SmallVector<ReassociationIndices> reassoc = view.getReassociationIndices();
  if (reassoc.size() != 2)
    return -1;
  // [g, size / g] in place of `dim`: g is dimension `dim` of the view.
  int64_t dim = reassoc[0].size() == 2 ? 0 : 1;
  if (reassoc[dim].size() != 2 || type.getDimSize(dim) != groups)
    return -1;
  return dim;
}

/// The 3-D map over (g, m, n, k) of a stored 2-D operand indexed (row,
/// col), g before its split dimension `groupDim`.
AffineMap groupedMap(MLIRContext *ctx, unsigned row, unsigned col,
                     int64_t groupDim) {
  AffineExpr g = getAffineDimExpr(0, ctx), r = getAffineDimExpr(row, ctx),
             c = getAffineDimExpr(col, ctx);
  SmallVector<AffineExpr> exprs = groupDim == 0
                                      ? SmallVector<AffineExpr>{g, r, c}
                                      : SmallVector<AffineExpr>{r, g, c};
  return AffineMap::get(4, 0, exprs, ctx);
}

/// Matches what TensorEmitter::groupedMatmul emits; diagnoses anything
/// else.
FailureOr<GroupedProduct> matchGroupedProduct(linalg::GenericOp op,
                                              int64_t groups) {
  auto fail = [&]() {
    return op.emitError("fqt.product with groups = ")
           << groups
           << " marks a linalg.generic that is not a grouped product (a "
              "contraction over (g, m, n, k) of two 2-D matrices expanded to "
              "[g, size / g] in one dimension)";
  };
  if (groups < 2 || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 4 || op.getNumReductionLoops() != 1 ||
      op.getIteratorTypesArray()[3] != utils::IteratorType::reduction ||
      !linalg::isaContractionOpInterface(op))
    return fail();
  GroupedProduct p;
  p.groups = groups;
  for (int64_t i = 0; i < 2; ++i) {
    auto view =
        op.getDpsInputOperand(i)->get().getDefiningOp<tensor::ExpandShapeOp>();
    if (!view)
      return fail();
    p.views[i] = view;
    p.matrices[i] = view.getSrc();
    p.groupDims[i] = splitDimension(view, groups);
    if (p.groupDims[i] < 0)
      return fail();
  }
  auto resultType =
      dyn_cast<RankedTensorType>(op.getDpsInitOperand(0)->get().getType());
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!resultType || resultType.getRank() != 3 || maps[2].getNumResults() != 3)
    return fail();
  p.resultGroupDim =
      maps[2].getResult(0) == getAffineDimExpr(0, op.getContext()) ? 0 : 1;
  // Loops (g, m, n, k): lhs (m, k) or (k, m), rhs (k, n) or (n, k).
  MLIRContext *ctx = op.getContext();
  p.transposeLhs = maps[0] == groupedMap(ctx, 3, 1, p.groupDims[0]);
  p.transposeRhs = maps[1] == groupedMap(ctx, 2, 3, p.groupDims[1]);
  AffineMap want[3] = {p.transposeLhs ? groupedMap(ctx, 3, 1, p.groupDims[0])
                                      : groupedMap(ctx, 1, 3, p.groupDims[0]),
                       p.transposeRhs ? groupedMap(ctx, 2, 3, p.groupDims[1])
                                      : groupedMap(ctx, 3, 2, p.groupDims[1]),
                       groupedMap(ctx, 1, 2, p.resultGroupDim)};
  for (int64_t i = 0; i < 3; ++i)
    if (maps[i] != want[i])
      return fail();
  if (resultType.getDimSize(p.resultGroupDim) != groups)
    return fail();
  return p;
}

/// How a group's block of a quantized operand's scale (or offset) is cut
/// from the whole: the block size along the scale's dimension 0, or 0 when
/// every group uses the whole scale.
FailureOr<int64_t> scaleBlock(QuantizerAttrInterface q, Value scale,
                              ArrayRef<int64_t> shape, int64_t groupDim,
                              int64_t groups) {
  switch (q.getGranularity()) {
  case Granularity::none:
  case Granularity::tensor:
    return 0;
  case Granularity::row: {
    if (groupDim == 1)
      return 0;
    // One scale per `rows / scales` rows: a group must hold whole ones.
    int64_t scales = cast<RankedTensorType>(scale.getType()).getDimSize(0);
    int64_t block = shape[0] / groups;
    if (scales <= 0 || shape[0] % scales != 0 ||
        block % (shape[0] / scales) != 0)
      return failure();
    return block / (shape[0] / scales);
  }
  case Granularity::column:
    return groupDim == 1 ? shape[1] / groups : 0;
  case Granularity::block: // grouped products of blocks are simulated
    break;
  }
  return failure();
}

/// `v`'s block g of size `block` along `dim` (offset g * block).
Value groupBlock(OpBuilder &b, Location loc, Value v, int64_t dim,
                 int64_t block, Value g) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets, sizes,
      strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    if (d == dim) {
      Value size = arith::ConstantIndexOp::create(b, loc, block);
      offsets.push_back(arith::MulIOp::create(b, loc, g, size).getResult());
      sizes.push_back(b.getIndexAttr(block));
    } else {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    }
  }
  return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
}

struct FQTInsertQuantizersPass
    : fqt::impl::FQTInsertQuantizersBase<FQTInsertQuantizersPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult processFunction(func::FuncOp fn);
  /// Replaces the grouped product `op` by an scf.for over its groups of
  /// fqt.qmatmul on each group's block of the codes `q`.
  LogicalResult emitGroupedQMatmul(linalg::GenericOp op, GroupedProduct p,
                                   MutableArrayRef<Quantized> q,
                                   ArrayRef<QuantizerAttrInterface> quantizers,
                                   DictionaryAttr info);
  /// `samples` is the number of row groups of `v` (0: one per row). A
  /// value already quantized under `key` (the policy's quantizer, whose
  /// block axis the first product fixed; `q` where null) is reused.
  FailureOr<Quantized> quantize(func::FuncOp fn, Value v,
                                QuantizerAttrInterface q, Role role,
                                StringRef layer, int64_t samples, Location loc,
                                Attribute key = Attribute());
  /// Adds the gamma state argument of an lbt quantizer of `layer`.
  FailureOr<GammaState> addGammaState(func::FuncOp fn, StringRef layer,
                                      Role role, Location loc);
  /// Returns the updated gamma states from `fn` and describes the new
  /// buffers in the model description.
  LogicalResult finishGammaStates(func::FuncOp fn);
  /// Gives `init` the initial value of every gamma state.
  LogicalResult initGammaStates(ModuleOp module);

  Policy defaults;
  llvm::StringMap<Policy> perLayer;
  llvm::StringSet<> usedLayers;
  /// Keyed by value, quantizer and role, where the forward roles count as
  /// one: X and W are quantized once for all their products, while the two
  /// gradient paths quantize dY independently (unless shared-grad maps
  /// both to dgrad).
  DenseMap<std::tuple<Value, Attribute, int>, Quantized> cache;
  Value seed, step;
  /// The last op the pass put at the function entry (the seed/step reads).
  Operation *entryEnd = nullptr;
  int64_t nextStream = 0;
  /// The lbt states of the function being processed, in argument order.
  SmallVector<GammaState> gammas;
  /// Where the next gamma argument goes: after the params and state.
  unsigned gammaArgIndex = 0;
  /// Whether the function returns params or state, and so updates gamma.
  bool updatesState = false;
  /// Every gamma state name, in first-seen order, for `init`.
  SmallVector<std::string> allGammas;
  llvm::StringSet<> allGammaSet;
  /// Lines to add to the model description, by function name.
};

} // namespace

FailureOr<GammaState> FQTInsertQuantizersPass::addGammaState(func::FuncOp fn,
                                                             StringRef layer,
                                                             Role role,
                                                             Location loc) {
  std::string name = (layer + "." + roleName(role) + ".lbt_gamma").str();
  if (llvm::any_of(name, [](char c) { return std::isspace(c); }))
    return emitError(loc, "lbt keeps a clipping factor per layer, named "
                          "after the layer, but layer '")
           << layer
           << "' contains whitespace, which the runtime's model description "
              "cannot carry";
  MLIRContext *ctx = fn.getContext();
  OpBuilder b(ctx);
  auto type = RankedTensorType::get({}, b.getF32Type());
  DictionaryAttr attrs = getSlotAttrs(ctx, SlotKind::state, name);
  if (failed(fn.insertArgument(gammaArgIndex, type, attrs, loc)))
    return emitError(loc, "cannot add the lbt state argument '")
           << name << "' to function '" << fn.getName() << "'";
  Value arg = fn.getArgument(gammaArgIndex++);
  if (entryEnd)
    b.setInsertionPointAfter(entryEnd);
  else
    b.setInsertionPointToStart(&fn.getBody().front());
  Value raw = tensor::ExtractOp::create(b, loc, arg, ValueRange{});
  Value effective = quantize::emitEffectiveGamma(b, loc, raw);
  entryEnd = effective.getDefiningOp();
  if (!allGammaSet.contains(name)) {
    allGammaSet.insert(name);
    allGammas.push_back(name);
  }
  // `updated` is filled in once the quantize op exists.
  return GammaState{name, raw, effective, Value()};
}

FailureOr<Quantized> FQTInsertQuantizersPass::quantize(
    func::FuncOp fn, Value v, QuantizerAttrInterface q, Role role,
    StringRef layer, int64_t samples, Location loc, Attribute keyAttr) {
  int path = role == Role::DGrad ? 1 : role == Role::WGrad ? 2 : 0;
  auto key = std::make_tuple(v, keyAttr ? keyAttr : Attribute(q), path);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  auto type = cast<RankedTensorType>(v.getType());
  int64_t groups = samples > 0 ? samples : type.getDimSize(0);
  if (q.getMinRows() > 0 && groups < (int64_t)q.getMinRows())
    return emitError(loc, "")
           << q << " needs at least " << q.getMinRows()
           << " rows (samples) to group, but the gradient has " << groups
           << "; use a larger batch or psq";

  OpBuilder b(fn.getContext());
  if (Operation *def = v.getDefiningOp())
    b.setInsertionPointAfter(def);
  else if (entryEnd)
    b.setInsertionPointAfter(entryEnd);
  else
    b.setInsertionPointToStart(&fn.getBody().front());
  Value seedValue, stepValue;
  if (q.getRounding() == Rounding::stochastic) {
    if (!seed)
      return emitError(loc, "")
             << q << " rounds stochastically, but function '" << fn.getName()
             << "' has no seed/step arguments";
    // Hoisted extracts at the function entry dominate every quantize op.
    seedValue = seed;
    stepValue = step;
  }
  auto codeType = RankedTensorType::get(type.getShape(), b.getI8Type());
  FailureOr<SmallVector<int64_t>> scaleShape =
      getScaleShape(q, type.getShape());
  if (failed(scaleShape))
    return emitError(loc, "") << q << " cannot quantize a " << type;
  // Per-sample quantizers scale whole samples: one scale per group of
  // OH*OW rows of a convolution's dY (Chen et al.'s PSQ; fewer scales, and
  // the wgrad product, whose reduction runs over those rows, can then keep
  // its sums in i32 per sample).
  if (q.getGranularity() == Granularity::row)
    (*scaleShape)[0] = groups;
  auto scaleType = RankedTensorType::get(*scaleShape, b.getF32Type());
  Type offsetType = q.isSymmetric() ? Type() : Type(scaleType);
  Type transformType;
  // BHQ rotates whole samples: a convolution's dY has N*OH*OW rows, and a
  // dense transform over them would be (N*OH*OW)^2 floats.
  if (isa<BHQAttr>(q))
    transformType = RankedTensorType::get({groups, groups}, b.getF32Type());
  // rht yields its random signs.
  if (auto rht = dyn_cast<RHTAttr>(q))
    transformType = RankedTensorType::get({rht.getSize()}, b.getF32Type());
  // lbt clips at gamma * max|g| with gamma kept by the runtime: each
  // function reads it, and the one that updates state returns the next one.
  Value gamma;
  std::optional<GammaState> gammaState;
  if (auto lbt = dyn_cast<LBTAttr>(q)) {
    FailureOr<GammaState> state = addGammaState(fn, layer, role, loc);
    if (failed(state))
      return failure();
    gammaState = *state;
    gamma = state->effective;
  }
  auto op =
      QuantizeOp::create(b, loc, codeType, scaleType, offsetType, transformType,
                         v, seedValue, stepValue, gamma, q, nextStream++);
  if (gammaState) {
    if (updatesState) {
      b.setInsertionPointAfter(op);
      Value next = quantize::emitGammaUpdate(b, loc, v, gammaState->raw, gamma,
                                             cast<LBTAttr>(q));
      gammaState->updated = tensor::FromElementsOp::create(
          b, loc, RankedTensorType::get({}, b.getF32Type()), next);
    }
    gammas.push_back(*gammaState);
  }
  b.setInsertionPointAfter(op);
  Value deq = DequantizeOp::create(b, loc, type, op.getCodes(), op.getScale(),
                                   op.getOffset(), op.getTransform(), q);
  Quantized result{op, deq};
  cache[key] = result;
  return result;
}

LogicalResult FQTInsertQuantizersPass::processFunction(func::FuncOp fn) {
  cache.clear();
  seed = step = Value();
  entryEnd = nullptr;
  nextStream = 0;
  gammas.clear();
  gammaArgIndex = 0;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
    if (isPersistent(getArgSlot(fn, i)))
      gammaArgIndex = i + 1;
  // The gradient half of a split training step updates the state its
  // quantizers keep, as train_step does, even where it returns no other
  // state (a model without BatchNormalization).
  updatesState = fn.getName() == "train_grad_step";
  for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i)
    if (isPersistent(getResultSlot(fn, i)))
      updatesState = true;
  OpBuilder entry = OpBuilder::atBlockBegin(&fn.getBody().front());
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    SlotAttr hyper = getArgSlot(fn, i);
    if (!hyper || hyper.getKind() != SlotKind::hyper)
      continue;
    Value *slot = hyper.getName() == "seed"   ? &seed
                  : hyper.getName() == "step" ? &step
                                              : nullptr;
    if (!slot)
      continue;
    *slot = tensor::ExtractOp::create(entry, fn.getLoc(), fn.getArgument(i),
                                      ValueRange{});
    entryEnd = slot->getDefiningOp();
  }
  if (!seed || !step)
    seed = step = Value();

  SmallVector<linalg::LinalgOp> products;
  fn.walk([&](Operation *op) {
    if (isa<linalg::MatmulOp, linalg::GenericOp>(op) &&
        op->hasAttr("fqt.product"))
      products.push_back(cast<linalg::LinalgOp>(op));
  });
  for (linalg::LinalgOp op : products) {
    auto info = op->getAttrOfType<DictionaryAttr>("fqt.product");
    auto layerAttr = info ? info.getAs<StringAttr>("layer") : StringAttr();
    auto roleAttr = info ? info.getAs<StringAttr>("role") : StringAttr();
    auto gradAttr = info ? info.getAs<IntegerAttr>("grad") : IntegerAttr();
    if (!layerAttr || !roleAttr || !gradAttr)
      return op.emitError("malformed fqt.product attribute ")
             << op->getAttr("fqt.product");
    StringRef layer = layerAttr.getValue(), role = roleAttr.getValue();
    int64_t gradOperand = gradAttr.getInt();
    auto samplesAttr = info.getAs<IntegerAttr>("samples");
    int64_t samples = samplesAttr ? samplesAttr.getInt() : 0;
    auto groupsAttr = info.getAs<IntegerAttr>("groups");
    int64_t groups = groupsAttr ? groupsAttr.getInt() : 1;
    // The 2-D matrices the quantizers see: the product's operands, or those
    // a grouped product splits into groups.
    std::optional<GroupedProduct> grouped;
    if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
      FailureOr<GroupedProduct> match = matchGroupedProduct(generic, groups);
      if (failed(match))
        return failure();
      grouped = *match;
    } else if (groups != 1) {
      return op.emitError("fqt.product groups = ")
             << groups << " on a linalg.matmul; grouped products are "
             << "linalg.generic contractions";
    }
    Value matrices[2];
    for (int64_t i = 0; i < 2; ++i)
      matrices[i] =
          grouped ? grouped->matrices[i] : op.getDpsInputOperand(i)->get();
    if (samples < 0 ||
        (samples > 0 && gradOperand >= 0 &&
         cast<ShapedType>(matrices[gradOperand].getType()).getDimSize(0) %
                 samples !=
             0))
      return op.emitError("fqt.product samples ")
             << samples << " does not divide the rows of the gradient";
    const Policy *policy = &defaults;
    auto found = perLayer.find(layer);
    if (found != perLayer.end()) {
      policy = &found->second;
      usedLayers.insert(layer);
    }
    // The QAT reference: the same quantized forward pass, exact gradients.
    Policy qat;
    if (fn.getName() == "qat_grad_step") {
      qat = *policy;
      auto none = cast<QuantizerAttrInterface>(NoneAttr::get(fn.getContext()));
      qat.dgrad = qat.wgrad = none;
      policy = &qat;
    }

    SmallVector<QuantizerAttrInterface, 2> quantizers(2);
    SmallVector<Role, 2> roles(2);
    for (int64_t i = 0; i < 2; ++i) {
      Value operand = matrices[i];
      Role r;
      if (role == "fwd" || i != gradOperand)
        r = isParameter(operand) ? Role::Weight : Role::Act;
      else if (role == "dgrad" || sharedGrad)
        r = Role::DGrad;
      else
        r = Role::WGrad;
      quantizers[i] = policy->forRole(r);
      roles[i] = r;
    }
    // Transposes, as the indexing maps of the product say.
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    bool transposeLhs =
        grouped ? grouped->transposeLhs
                : maps[0].getResult(0) == getAffineDimExpr(2, op.getContext());
    bool transposeRhs =
        grouped ? grouped->transposeRhs
                : maps[1].getResult(0) == getAffineDimExpr(1, op.getContext());
    // An integer product undoes the BHQ transform on its result rows, which
    // needs the BHQ operand on the left, untransposed; simulated products
    // dequantize first and take it anywhere.
    if (mode == "integer" && isa<BHQAttr>(quantizers[0]) && transposeLhs)
      return op.emitError("bhq cannot quantize the transposed gradient of ")
             << "layer '" << layer << "' (" << role
             << ") in integer mode: BHQ groups rows, and the reduction runs "
                "over them; use ptq, psq or percol for wgrad";
    if (mode == "integer" && isa<BHQAttr>(quantizers[1]))
      return op.emitError("bhq can only quantize the left operand of an "
                          "integer product (layer '")
             << layer << "', " << role << ")";

    // Block quantizers scale blocks of the reduction: the stored dimension
    // that is k.
    int64_t kAxis[2] = {transposeLhs ? 0 : 1, transposeRhs ? 1 : 0};
    // rht transforms the gradient along the reduction with signs of this
    // product, in blocks of its size or of the largest power of two that
    // divides the reduction.
    int64_t rhtSize = 0, signs = 0;
    if (gradOperand >= 0) {
      if (auto rht = dyn_cast<RHTAttr>(quantizers[gradOperand])) {
        int64_t k = cast<ShapedType>(matrices[gradOperand].getType())
                        .getDimSize(kAxis[gradOperand]);
        int64_t size = rht.getSize();
        while (size > 1 && k % size != 0)
          size /= 2;
        if (size < 2)
          return op.emitError("rht cannot transform the reduction of layer '")
                 << layer << "' (" << role << "): no power of two >= 2 "
                 << "divides its " << k << " values; use blk";
        rhtSize = size;
        signs = nextStream++;
      }
    }
    SmallVector<Quantized, 2> q(2);
    for (int64_t i = 0; i < 2; ++i) {
      if (quantizers[i].isNone())
        continue;
      QuantizerAttrInterface actual =
          alongAxis(quantizers[i], kAxis[i], rhtSize, signs);
      Attribute key =
          isa<RHTAttr>(actual) ? Attribute(actual) : Attribute(quantizers[i]);
      FailureOr<Quantized> r =
          quantize(fn, matrices[i], actual, roles[i], layer,
                   i == gradOperand ? samples : 0, op.getLoc(), key);
      if (failed(r))
        return failure();
      q[i] = *r;
    }
    // The partner of an rht gradient is transformed alike, from its
    // quantized forward value (so that the product stays an unbiased
    // estimate of the QAT gradient), and quantized again with its bits and
    // stochastic rounding.
    if (rhtSize && q[1 - gradOperand].op) {
      int64_t p = 1 - gradOperand;
      unsigned bits = std::max(quantizers[p].getBits(), 2u);
      auto partner = cast<QuantizerAttrInterface>(
          RHTAttr::get(fn.getContext(), bits, rhtSize, kAxis[p], signs,
                       Rounding::stochastic));
      FailureOr<Quantized> r =
          quantize(fn, q[p].dequantized, partner, roles[gradOperand], layer, 0,
                   op.getLoc());
      if (failed(r))
        return failure();
      q[p] = *r;
    }
    // Grouped products of block quantizers are simulated (their scales
    // would have to be cut by group as well as by block).
    bool blocked = llvm::any_of(q, [](Quantized &v) {
      return v.op && v.op.getQuantizer().getGranularity() == Granularity::block;
    });
    bool integer =
        mode == "integer" && q[0].op && q[1].op && !(grouped && blocked);
    if (!integer) {
      for (int64_t i = 0; i < 2; ++i) {
        if (!q[i].op)
          continue;
        Value operand = q[i].dequantized;
        if (grouped) {
          // The same split of the dequantized matrix.
          tensor::ExpandShapeOp view = grouped->views[i];
          OpBuilder b(op);
          operand = tensor::ExpandShapeOp::create(
              b, view.getLoc(), view.getResultType(), operand,
              view.getReassociationIndices());
        }
        op->setOperand(i, operand);
      }
      continue;
    }
    if (grouped) {
      if (failed(emitGroupedQMatmul(cast<linalg::GenericOp>(op.getOperation()),
                                    *grouped, q, quantizers, info)))
        return failure();
      continue;
    }
    OpBuilder b(op);
    UnitAttr unit = b.getUnitAttr();
    // The quantizers as the codes were made (block axes, rht signs); only
    // BHQ's transform is undone after the product (rht's cancels in it).
    QuantizerAttrInterface lhsQ = q[0].op.getQuantizer();
    Value lhsTransform = isa<BHQAttr>(lhsQ) ? q[0].op.getTransform() : Value();
    auto qmm = QMatmulOp::create(
        b, op.getLoc(), op->getResultTypes()[0], q[0].op.getCodes(),
        q[0].op.getScale(), q[0].op.getOffset(), lhsTransform,
        q[1].op.getCodes(), q[1].op.getScale(), q[1].op.getOffset(), lhsQ,
        q[1].op.getQuantizer(), transposeLhs ? unit : UnitAttr(),
        transposeRhs ? unit : UnitAttr());
    qmm->setAttr("fqt.product", info);
    op->getResult(0).replaceAllUsesWith(qmm.getResult());
    op.erase();
  }
  // Dequantized values the integer products made dead.
  for (auto &[key, value] : cache)
    if (value.dequantized.use_empty())
      value.dequantized.getDefiningOp()->erase();
  return finishGammaStates(fn);
}

LogicalResult FQTInsertQuantizersPass::emitGroupedQMatmul(
    linalg::GenericOp op, GroupedProduct p, MutableArrayRef<Quantized> q,
    ArrayRef<QuantizerAttrInterface> quantizers, DictionaryAttr info) {
  // Each group's block of the scales and offsets: a block of per-column
  // scales where the columns are split, of per-row scales where the rows
  // are; the others (per tensor, rows of a column-split matrix) serve
  // every group whole.
  int64_t scaleBlocks[2];
  for (int64_t i = 0; i < 2; ++i) {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(p.matrices[i].getType()).getShape();
    FailureOr<int64_t> block = scaleBlock(quantizers[i], q[i].op.getScale(),
                                          shape, p.groupDims[i], p.groups);
    if (failed(block) || (q[i].op.getTransform() && p.groupDims[i] == 0))
      return op.emitError("")
             << quantizers[i] << " cannot quantize operand " << i
             << " of a grouped product with " << p.groups
             << " groups in integer mode: its rows are split into the "
                "groups, and its scales or transform span several groups";
    scaleBlocks[i] = *block;
  }
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto result3 = cast<RankedTensorType>(op.getResult(0).getType());
  ArrayRef<int64_t> shape3 = result3.getShape();
  SmallVector<int64_t> groupShape, flatShape;
  if (p.resultGroupDim == 0) {
    groupShape = {shape3[1], shape3[2]};
    flatShape = {shape3[0] * shape3[1], shape3[2]};
  } else {
    groupShape = {shape3[0], shape3[2]};
    flatShape = {shape3[0], shape3[1] * shape3[2]};
  }
  Type f32 = b.getF32Type();
  auto flatType = RankedTensorType::get(flatShape, f32);
  auto groupType = RankedTensorType::get(groupShape, f32);
  Value init = tensor::EmptyOp::create(b, loc, flatShape, f32);
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, p.groups);
  Value stepOne = arith::ConstantIndexOp::create(b, loc, 1);
  UnitAttr unit = b.getUnitAttr();
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, stepOne, ValueRange{init},
      [&](OpBuilder &nb, Location l, Value g, ValueRange acc) {
        Value codes[2], scales[2], offsets[2];
        for (int64_t i = 0; i < 2; ++i) {
          QuantizeOp quant = q[i].op;
          ArrayRef<int64_t> shape =
              cast<RankedTensorType>(quant.getCodes().getType()).getShape();
          int64_t dim = p.groupDims[i];
          codes[i] = groupBlock(nb, l, quant.getCodes(), dim,
                                shape[dim] / p.groups, g);
          scales[i] = quant.getScale();
          offsets[i] = quant.getOffset();
          if (scaleBlocks[i] == 0)
            continue;
          scales[i] = groupBlock(nb, l, scales[i], 0, scaleBlocks[i], g);
          if (offsets[i])
            offsets[i] = groupBlock(nb, l, offsets[i], 0, scaleBlocks[i], g);
        }
        auto qmm = QMatmulOp::create(
            nb, l, groupType, codes[0], scales[0], offsets[0],
            q[0].op.getTransform(), codes[1], scales[1], offsets[1],
            quantizers[0], quantizers[1], p.transposeLhs ? unit : UnitAttr(),
            p.transposeRhs ? unit : UnitAttr());
        qmm->setAttr("fqt.product", info);
        // Block g of the result along its split dimension.
        SmallVector<OpFoldResult> at(2, nb.getIndexAttr(0)),
            sizes = {nb.getIndexAttr(groupShape[0]),
                     nb.getIndexAttr(groupShape[1])},
            strides(2, nb.getIndexAttr(1));
        Value block =
            arith::ConstantIndexOp::create(nb, l, groupShape[p.resultGroupDim]);
        at[p.resultGroupDim] =
            arith::MulIOp::create(nb, l, g, block).getResult();
        Value next = tensor::InsertSliceOp::create(nb, l, qmm.getResult(),
                                                   acc[0], at, sizes, strides);
        scf::YieldOp::create(nb, l, next);
      });
  Value flat = loop.getResult(0);
  // The generic's users read it through groupedMatmul's collapse_shape.
  for (Operation *user : llvm::make_early_inc_range(op->getUsers()))
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(user);
        collapse && collapse.getResultType() == flatType) {
      collapse.getResult().replaceAllUsesWith(flat);
      collapse.erase();
    }
  if (!op->use_empty()) {
    SmallVector<ReassociationIndices> reassoc =
        p.resultGroupDim == 0 ? SmallVector<ReassociationIndices>{{0, 1}, {2}}
                              : SmallVector<ReassociationIndices>{{0}, {1, 2}};
    op.getResult(0).replaceAllUsesWith(
        tensor::ExpandShapeOp::create(b, loc, result3, flat, reassoc));
  }
  op.erase();
  for (int64_t i = 0; i < 2; ++i)
    if (p.views[i]->use_empty() && (i == 0 || p.views[1] != p.views[0]))
      p.views[i].erase();
  return success();
}

LogicalResult FQTInsertQuantizersPass::finishGammaStates(func::FuncOp fn) {
  if (gammas.empty() || !updatesState)
    return success();
  unsigned index = 0;
  for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i)
    if (isPersistent(getResultSlot(fn, i)))
      index = i + 1;
  OpBuilder b(fn.getContext());
  auto type = RankedTensorType::get({}, b.getF32Type());
  for (const GammaState &state : gammas) {
    DictionaryAttr attrs =
        getSlotAttrs(fn.getContext(), SlotKind::state, state.name);
    if (failed(fn.insertResult(index, type, attrs)))
      return fn.emitError("cannot add the lbt state result '")
             << state.name << "'";
    fn.walk(
        [&](func::ReturnOp ret) { ret->insertOperands(index, state.updated); });
    ++index;
  }
  return success();
}

LogicalResult FQTInsertQuantizersPass::initGammaStates(ModuleOp module) {
  if (allGammas.empty())
    return success();
  auto init = module.lookupSymbol<func::FuncOp>("init");
  if (!init || init.isExternal())
    return success();
  unsigned index = 0;
  for (unsigned i = 0, e = init.getNumResults(); i < e; ++i)
    if (isPersistent(getResultSlot(init, i)))
      index = i + 1;
  OpBuilder b(module.getContext());
  auto type = RankedTensorType::get({}, b.getF32Type());
  for (const std::string &name : allGammas) {
    DictionaryAttr attrs =
        getSlotAttrs(module.getContext(), SlotKind::state, name);
    if (failed(init.insertResult(index, type, attrs)))
      return init.emitError("cannot add the lbt state result '") << name << "'";
    for (Block &block : init.getBody())
      if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator())) {
        b.setInsertionPoint(ret);
        // "Not calibrated yet": the first step calibrates gamma.
        Value value = arith::ConstantOp::create(
            b, init.getLoc(),
            DenseElementsAttr::get(
                type, b.getF32FloatAttr(quantize::kUncalibratedGamma)));
        ret->insertOperands(index, value);
      }
    ++index;
  }
  return success();
}


void FQTInsertQuantizersPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  Location loc = module.getLoc();
  if (mode != "simulate" && mode != "integer") {
    emitError(loc, "unknown mode '")
        << mode << "'; expected simulate or integer";
    return signalPassFailure();
  }
  struct {
    Role role;
    std::string spec;
  } roles[] = {{Role::Act, act},
               {Role::Weight, weight},
               {Role::DGrad, dgrad},
               {Role::WGrad, wgrad}};
  for (auto &[role, spec] : roles) {
    QuantizerAttrInterface q = parseSpec(ctx, loc, spec, role);
    if (!q)
      return signalPassFailure();
    defaults.set(role, q);
  }
  for (const std::string &entry : layerOverrides) {
    // NODE:ROLE=QUANTIZER; NODE may itself contain ':'.
    StringRef text(entry);
    auto [lhs, spec] = text.rsplit('=');
    auto [node, roleText] = lhs.rsplit(':');
    std::optional<Role> role;
    for (Role r : {Role::Act, Role::Weight, Role::DGrad, Role::WGrad})
      if (roleName(r) == roleText)
        role = r;
    if (spec.empty() || node.empty() || !role) {
      emitError(loc, "malformed layer override '")
          << entry
          << "'; expected NODE:ROLE=QUANTIZER with ROLE one of act, "
             "weight, dgrad, wgrad";
      return signalPassFailure();
    }
    QuantizerAttrInterface q = parseSpec(ctx, loc, spec, *role);
    if (!q)
      return signalPassFailure();
    auto [it, inserted] = perLayer.try_emplace(node, defaults);
    it->second.set(*role, q);
  }

  for (auto fn : module.getOps<func::FuncOp>())
    if (failed(processFunction(fn)))
      return signalPassFailure();
  if (failed(initGammaStates(module)))
    return signalPassFailure();
  // Record the policy for the runtime's description of the program.
  if (auto program = module->getAttrOfType<ProgramAttr>("fqt.program")) {
    auto role = [&](StringRef name, StringRef value) {
      return NamedAttribute(StringAttr::get(ctx, name),
                            StringAttr::get(ctx, value.trim()));
    };
    DictionaryAttr quantizers = DictionaryAttr::get(
        ctx, {role("act", act), role("weight", weight), role("dgrad", dgrad),
              role("wgrad", sharedGrad ? StringRef(dgrad) : StringRef(wgrad)),
              role("mode", mode)});
    module->setAttr("fqt.program",
                    ProgramAttr::get(ctx, program.getLoss(),
                                     program.getOptimizer(), program.getLr(),
                                     quantizers));
  }
  for (auto &entry : perLayer)
    if (!usedLayers.contains(entry.getKey())) {
      emitError(loc, "layer override names '")
          << entry.getKey() << "', which is not a layer with a product";
      return signalPassFailure();
    }
}

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

#include "FQT/FQTAttrs.h"
#include "FQT/FQTDialect.h"
#include "FQT/FQTOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

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

/// Parses `none`, `ptq:B`, `psq:B`, `bhq:B`, `percol:B`, `lbt:B`, `act:B`,
/// `weight:B` for `role`; null with a diagnostic otherwise.
QuantizerAttrInterface parseSpec(MLIRContext *ctx, Location loc,
                                 StringRef spec, Role role) {
  spec = spec.trim();
  if (spec == "none")
    return cast<QuantizerAttrInterface>(NoneAttr::get(ctx));
  auto [kind, bitsText] = spec.split(':');
  unsigned bits;
  static const char *known[] = {"ptq", "psq",  "bhq",   "percol",
                                "lbt", "act", "weight"};
  if (!llvm::is_contained(known, kind) || bitsText.getAsInteger(10, bits)) {
    emitError(loc, "malformed quantizer '")
        << spec << "' for " << roleName(role)
        << "; expected none or KIND:BITS with KIND one of ptq, psq, bhq, "
           "percol, lbt";
    return nullptr;
  }
  // On the forward roles ptq:B names the forward quantizers of the papers.
  if (role == Role::Act && kind == "ptq")
    kind = "act";
  if (role == Role::Weight && kind == "ptq")
    kind = "weight";
  if (role == Role::Act || role == Role::Weight) {
    if (kind != "act" && kind != "weight") {
      emitError(loc, "quantizer '")
          << spec << "' cannot be used for " << roleName(role)
          << ": the forward roles take none or ptq:B (per tensor)";
      return nullptr;
    }
  } else if (kind == "act" || kind == "weight") {
    emitError(loc, "quantizer '")
        << spec << "' is a forward quantizer; " << roleName(role)
        << " takes ptq, psq, bhq, percol or lbt";
    return nullptr;
  }
  if (kind == "lbt") {
    emitError(loc, "lbt needs its per-layer gamma state, which "
                   "fqt-insert-quantizers does not thread through the "
                   "training step yet");
    return nullptr;
  }
  std::string text = ("#fqt." + kind + "<bits = " + Twine(bits) + ">").str();
  // The attribute verifier checks the bit-width; report at `loc`.
  std::string problem;
  Attribute attr;
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &diag) {
      if (problem.empty())
        problem = diag.str();
      return success();
    });
    attr = parseAttribute(text, ctx);
  }
  if (!attr || !problem.empty()) {
    emitError(loc, "invalid quantizer '")
        << spec << "' for " << roleName(role) << ": " << problem;
    return nullptr;
  }
  return cast<QuantizerAttrInterface>(attr);
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
  auto kind = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "fqt.kind");
  return kind && kind.getValue() == "param";
}

/// The quantized form of one value.
struct Quantized {
  QuantizeOp op;
  Value dequantized;
};

struct FQTInsertQuantizersPass
    : fqt::impl::FQTInsertQuantizersBase<FQTInsertQuantizersPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult processFunction(func::FuncOp fn);
  FailureOr<Quantized> quantize(func::FuncOp fn, Value v,
                                QuantizerAttrInterface q, Role role,
                                Location loc);

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
};

} // namespace

FailureOr<Quantized>
FQTInsertQuantizersPass::quantize(func::FuncOp fn, Value v,
                                  QuantizerAttrInterface q, Role role,
                                  Location loc) {
  int path = role == Role::DGrad ? 1 : role == Role::WGrad ? 2 : 0;
  auto key = std::make_tuple(v, Attribute(q), path);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  auto type = cast<RankedTensorType>(v.getType());
  if (q.getMinRows() > 0 && type.getDimSize(0) < (int64_t)q.getMinRows())
    return emitError(loc, "")
           << q << " needs at least " << q.getMinRows()
           << " rows (samples) to group, but the gradient has "
           << type.getDimSize(0) << "; use a larger batch or psq";

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
  auto scaleType = RankedTensorType::get(*scaleShape, b.getF32Type());
  Type offsetType = q.isSymmetric() ? Type() : Type(scaleType);
  Type transformType;
  if (isa<BHQAttr>(q))
    transformType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(0)}, b.getF32Type());
  auto op = QuantizeOp::create(b, loc, codeType, scaleType, offsetType,
                               transformType, v, seedValue, stepValue,
                               /*gamma=*/Value(), q, nextStream++);
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
  OpBuilder entry = OpBuilder::atBlockBegin(&fn.getBody().front());
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    auto name = fn.getArgAttrOfType<StringAttr>(i, "onnx.name");
    auto kind = fn.getArgAttrOfType<StringAttr>(i, "fqt.kind");
    if (!name || !kind || kind.getValue() != "hyper")
      continue;
    Value *slot = name.getValue() == "seed"   ? &seed
                  : name.getValue() == "step" ? &step
                                              : nullptr;
    if (!slot)
      continue;
    *slot = tensor::ExtractOp::create(entry, fn.getLoc(), fn.getArgument(i),
                                      ValueRange{});
    entryEnd = slot->getDefiningOp();
  }
  if (!seed || !step)
    seed = step = Value();

  SmallVector<linalg::MatmulOp> products;
  fn.walk([&](linalg::MatmulOp op) {
    if (op->hasAttr("fqt.product"))
      products.push_back(op);
  });
  for (linalg::MatmulOp op : products) {
    auto info = op->getAttrOfType<DictionaryAttr>("fqt.product");
    auto layerAttr = info.getAs<StringAttr>("layer");
    auto roleAttr = info.getAs<StringAttr>("role");
    auto gradAttr = info.getAs<IntegerAttr>("grad");
    if (!layerAttr || !roleAttr || !gradAttr)
      return op.emitError("malformed fqt.product attribute ") << info;
    StringRef layer = layerAttr.getValue(), role = roleAttr.getValue();
    int64_t gradOperand = gradAttr.getInt();
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
      Value operand = op.getDpsInputOperand(i)->get();
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
    bool transposeLhs = maps[0].getResult(0) == getAffineDimExpr(2, op.getContext());
    bool transposeRhs = maps[1].getResult(0) == getAffineDimExpr(1, op.getContext());
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

    SmallVector<Quantized, 2> q(2);
    for (int64_t i = 0; i < 2; ++i) {
      if (quantizers[i].isNone())
        continue;
      FailureOr<Quantized> r =
          quantize(fn, op.getDpsInputOperand(i)->get(), quantizers[i],
                   roles[i], op.getLoc());
      if (failed(r))
        return failure();
      q[i] = *r;
    }
    bool integer = mode == "integer" && q[0].op && q[1].op;
    if (!integer) {
      for (int64_t i = 0; i < 2; ++i)
        if (q[i].op)
          op->setOperand(i, q[i].dequantized);
      continue;
    }
    OpBuilder b(op);
    UnitAttr unit = b.getUnitAttr();
    auto qmm = QMatmulOp::create(
        b, op.getLoc(), op.getResultTypes()[0], q[0].op.getCodes(),
        q[0].op.getScale(), q[0].op.getOffset(), q[0].op.getTransform(),
        q[1].op.getCodes(), q[1].op.getScale(), q[1].op.getOffset(),
        quantizers[0], quantizers[1], transposeLhs ? unit : UnitAttr(),
        transposeRhs ? unit : UnitAttr());
    qmm->setAttr("fqt.product", info);
    op->getResult(0).replaceAllUsesWith(qmm.getResult());
    op.erase();
  }
  // Dequantized values the integer products made dead.
  for (auto &[key, value] : cache)
    if (value.dequantized.use_empty())
      value.dequantized.getDefiningOp()->erase();
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
          << entry << "'; expected NODE:ROLE=QUANTIZER with ROLE one of act, "
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
  // Record the policy in the model description for the runtime.
  if (auto info = module->getAttrOfType<StringAttr>("fqt.model_info")) {
    std::string text = info.getValue().str();
    llvm::raw_string_ostream os(text);
    os << "quantizers act=" << StringRef(act).trim()
       << " weight=" << StringRef(weight).trim()
       << " dgrad=" << StringRef(dgrad).trim() << " wgrad="
       << (sharedGrad ? StringRef(dgrad).trim() : StringRef(wgrad).trim())
       << " mode=" << mode << "\n";
    module->setAttr("fqt.model_info", StringAttr::get(ctx, text));
  }
  for (auto &entry : perLayer)
    if (!usedLayers.contains(entry.getKey())) {
      emitError(loc, "layer override names '")
          << entry.getKey() << "', which is not a layer with a product";
      return signalPassFailure();
    }
}

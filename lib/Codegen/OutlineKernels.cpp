//===- OutlineKernels.cpp - Structured ops as shared kernel functions -----===//
//
// A training step of a deep network repeats a handful of shapes: ResNet-18
// has twenty convolutions but only a few distinct ones, and every one of
// them appears in the forward, the data-gradient and the weight-gradient
// pass of train_step and again in eval_step. Emitting each op's vector
// kernel in place made the code, and LLVM's time, grow with the layer
// count. Here each structured op moves into a function of its own, and equal
// ops call the same one.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace fqt {
#define GEN_PASS_DEF_FQTOUTLINEKERNELS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

/// Ops that move into one kernel, in program order; the last one is where
/// the call goes.
using Group = SmallVector<Operation *, 2>;

bool isI4Buffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getElementType().isInteger(4);
}

/// Whether OP can move into a kernel: a structured op on buffers or a
/// strided copy, none of them on i4 codes.
bool isOutlinable(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  bool structured =
      linalgOp && op->getNumResults() == 0 && linalgOp.hasPureBufferSemantics();
  // A strided copy becomes loops (--fqt-lower-strided-copies); a contiguous
  // one stays a call of memcpy, which costs nothing to emit.
  if (!structured && !fqt::isStridedCopy(op))
    return false;
  return llvm::none_of(op->getOperandTypes(), isI4Buffer);
}

/// The zero fill of OP's single output just before OP (only ops without
/// memory effects, or allocations, in between), or null: the pair that
/// --fqt-tile-and-vectorize turns into a kernel starting from zero.
linalg::FillOp zeroFillOf(Operation *operation) {
  auto op = dyn_cast<linalg::LinalgOp>(operation);
  if (!op || isa<linalg::FillOp>(op) || op.getNumDpsInits() != 1)
    return {};
  Value out = op.getDpsInitOperand(0)->get();
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      Value value = fill.getInputs()[0];
      bool zero = matchPattern(value, m_AnyZeroFloat()) ||
                  matchPattern(value, m_Zero());
      return fill.getOutputs()[0] == out && zero && isOutlinable(fill)
                 ? fill
                 : linalg::FillOp();
    }
    if (!isMemoryEffectFree(prev) && !isa<memref::AllocOp>(prev))
      return {};
  }
  return {};
}

/// A scalar constant without operands, copied into the kernel rather than
/// passed.
bool isCopiedConstant(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>() &&
         !isa<ShapedType>(value.getType());
}

/// TYPE with a dynamic offset where it has a strided layout with a static
/// one; TYPE otherwise.
Type withDynamicOffset(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref)
    return type;
  auto strided = dyn_cast<StridedLayoutAttr>(memref.getLayout());
  if (!strided || ShapedType::isDynamic(strided.getOffset()))
    return type;
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic,
                                       strided.getStrides());
  return MemRefType::get(memref.getShape(), memref.getElementType(), layout,
                         memref.getMemorySpace());
}

struct FQTOutlineKernelsPass
    : fqt::impl::FQTOutlineKernelsBase<FQTOutlineKernelsPass> {
  void runOnOperation() override;

private:
  /// Moves GROUP into a kernel (a new one, or an equal one made before) and
  /// calls it.
  void outline(const Group &group);

  ModuleOp module;
  /// Kernels by their text (printed with a placeholder name).
  llvm::StringMap<func::FuncOp> kernels;
  unsigned numKernels = 0;
  /// Names new kernels uniquely, also next to the kernels of an earlier run.
  std::optional<SymbolTable> symbols;
};

void FQTOutlineKernelsPass::runOnOperation() {
  module = getOperation();
  kernels.clear();
  numKernels = 0;
  symbols.emplace(module);

  SmallVector<Group> groups;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal() || fn.getName().starts_with(fqt::kKernelPrefix))
      continue;
    llvm::SmallPtrSet<Operation *, 8> grouped;
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (isOutlinable(op))
        ops.push_back(op);
    });
    // Fills that join their product's kernel first, so that they are not
    // also outlined alone.
    DenseMap<Operation *, linalg::FillOp> fills;
    for (Operation *op : ops)
      if (linalg::FillOp fill = zeroFillOf(op)) {
        fills[op] = fill;
        grouped.insert(fill);
      }
    for (Operation *op : ops) {
      if (grouped.contains(op))
        continue;
      Group group;
      if (linalg::FillOp fill = fills.lookup(op))
        group.push_back(fill);
      group.push_back(op);
      groups.push_back(std::move(group));
    }
  }
  for (const Group &group : groups)
    outline(group);
}

void FQTOutlineKernelsPass::outline(const Group &group) {
  Operation *anchor = group.back();
  MLIRContext *ctx = anchor->getContext();

  // The values the group uses from outside: arguments, or constants to copy.
  llvm::SetVector<Value> arguments, constants;
  for (Operation *op : group)
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        // Defined by an op of the group, or an argument of a block inside
        // one: the kernel has its copy.
        Operation *owner = operand.getDefiningOp();
        if (!owner)
          owner = cast<BlockArgument>(operand).getOwner()->getParentOp();
        bool inside = llvm::any_of(
            group, [&](Operation *g) { return g->isAncestor(owner); });
        if (inside)
          continue;
        if (isCopiedConstant(operand))
          constants.insert(operand);
        else
          arguments.insert(operand);
      }
    });

  SmallVector<Type> argTypes;
  for (Value v : arguments)
    argTypes.push_back(withDynamicOffset(v.getType()));
  OpBuilder b(ctx);
  auto kernel = func::FuncOp::create(b, anchor->getLoc(), "kernel",
                                     b.getFunctionType(argTypes, {}));
  kernel.setPrivate();
  // no_inline keeps MLIR's inliner away; func-to-llvm carries
  // `passthrough` over to the LLVM function, where it stops LLVM's.
  kernel.setNoInline(true);
  kernel->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
  Block *body = kernel.addEntryBlock();
  OpBuilder kb = OpBuilder::atBlockBegin(body);
  IRMapping mapping;
  for (auto [value, arg] : llvm::zip(arguments, body->getArguments()))
    mapping.map(value, arg);
  for (Value c : constants)
    kb.clone(*c.getDefiningOp(), mapping);
  for (Operation *op : group)
    kb.clone(*op, mapping);
  func::ReturnOp::create(kb, anchor->getLoc());

  // Equal kernels print the same (no locations, one placeholder name).
  std::string text;
  {
    llvm::raw_string_ostream os(text);
    kernel->print(os, OpPrintingFlags().printGenericOpForm());
  }
  func::FuncOp &existing = kernels[text];
  if (existing) {
    kernel->erase();
    kernel = existing;
  } else {
    kernel.setName((fqt::kKernelPrefix + Twine(numKernels++)).str());
    symbols->insert(kernel); // Renamed if an earlier run took the name.
    existing = kernel;
  }

  OpBuilder cb(anchor);
  SmallVector<Value> operands;
  for (auto [value, type] : llvm::zip(arguments, argTypes))
    operands.push_back(
        value.getType() == type
            ? value
            : memref::CastOp::create(cb, anchor->getLoc(), type, value)
                  .getResult());
  func::CallOp::create(cb, anchor->getLoc(), kernel, operands);
  for (Operation *op : llvm::reverse(group))
    op->erase();
}

} // namespace

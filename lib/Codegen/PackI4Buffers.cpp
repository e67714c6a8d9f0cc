//===- PackI4Buffers.cpp - i4 buffers stored two codes per byte ----------===//
//
// memref<... x N x i4> becomes memref<... x ceil(N/2) x i8>; element j of a
// row is the low (even j) or high (odd j) nibble of byte j / 2. Loads shift
// the nibble down and truncate to i4, so the extension that follows (signed
// for symmetric quantizers, unsigned otherwise) unpacks it in a register;
// stores read, merge and write back the byte.
//
// Upstream's narrow-type emulation linearizes the whole buffer instead (rows
// share bytes when N is odd) and stores with atomics; rows of whole bytes
// keep every row addressable on its own, and the single-threaded CPU code
// needs no atomics.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace fqt {
#define GEN_PASS_DEF_FQTPACKI4BUFFERS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// Marks the whole-byte stores of pairStores() until the buffer is packed.
constexpr StringLiteral kWholeByte = "fqt.whole_byte";

/// memref<d0 x ... x dn x i4> -> memref<d0 x ... x ceil(dn/2) x i8>.
static MemRefType packedType(MemRefType type) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = (shape.back() + 1) / 2;
  return MemRefType::get(shape, IntegerType::get(type.getContext(), 8),
                         MemRefLayoutAttrInterface(), type.getMemorySpace());
}

/// Whether the i4 buffer allocated by `alloc` can be packed: a static
/// innermost size, the identity layout, and only uses this pass rewrites
/// (a buffer that escapes to a call, a view or a copy keeps one code per
/// byte, which is still correct).
static bool isPackable(Operation *alloc) {
  auto type = cast<MemRefType>(alloc->getResult(0).getType());
  if (!type.getElementType().isInteger(4) || type.getRank() == 0 ||
      type.isDynamicDim(type.getRank() - 1) || !type.getLayout().isIdentity())
    return false;
  Value buffer = alloc->getResult(0);
  return llvm::all_of(buffer.getUses(), [&](OpOperand &use) {
    Operation *user = use.getOwner();
    if (isa<memref::LoadOp, memref::DeallocOp>(user))
      return true;
    if (auto store = dyn_cast<memref::StoreOp>(user))
      return store.getMemref() == buffer;
    if (auto dim = dyn_cast<memref::DimOp>(user))
      return dim.getConstantIndex().has_value();
    return false;
  });
}

/// The byte index and the nibble's shift (0 or 4, as i8) of logical index
/// `j` of the innermost dimension.
static std::pair<Value, Value> bytePosition(OpBuilder &b, Location loc,
                                            Value j) {
  Value two = arith::ConstantIndexOp::create(b, loc, 2);
  Value byte = arith::DivUIOp::create(b, loc, j, two);
  Value odd = arith::RemUIOp::create(b, loc, j, two);
  Type i8 = b.getI8Type();
  // Operands in named values, constant first: the order in which a call's
  // arguments are evaluated is the compiler's choice, the IR's op order
  // should not be.
  Value four = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 4));
  Value shift = arith::MulIOp::create(
      b, loc, arith::IndexCastUIOp::create(b, loc, i8, odd), four);
  return {byte, shift};
}

/// A load of code j: the byte's nibble shifted down and truncated, so that
/// the extension that follows unpacks it, signed or not, in a register.
static void rewriteLoad(RewriterBase &rewriter, memref::LoadOp op,
                        Value packed) {
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  SmallVector<Value> indices(op.getIndices());
  auto [byte, shift] = bytePosition(rewriter, loc, indices.back());
  indices.back() = byte;
  Value word = memref::LoadOp::create(rewriter, loc, packed, indices);
  Value nibble = arith::ShRUIOp::create(rewriter, loc, word, shift);
  rewriter.replaceOpWithNewOp<arith::TruncIOp>(op, op.getType(), nibble);
}

/// A store of code j: read the byte, keep the other nibble, put this one in
/// place. No atomic is needed: loops that store i4 codes stay serial
/// (--fqt-coarsen-parallel-loops).
static void rewriteStore(RewriterBase &rewriter, memref::StoreOp op,
                         Value packed) {
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  Type i8 = rewriter.getI8Type();
  auto constant = [&](int64_t v) {
    return arith::ConstantOp::create(rewriter, loc,
                                     rewriter.getIntegerAttr(i8, v));
  };
  SmallVector<Value> indices(op.getIndices());
  auto [byte, shift] = bytePosition(rewriter, loc, indices.back());
  indices.back() = byte;
  Value old = memref::LoadOp::create(rewriter, loc, packed, indices);
  Value mask = arith::ShLIOp::create(rewriter, loc, constant(15), shift);
  Value keep = arith::AndIOp::create(
      rewriter, loc, old,
      arith::XOrIOp::create(rewriter, loc, mask, constant(-1)));
  Value nibble = arith::ShLIOp::create(
      rewriter, loc, arith::ExtUIOp::create(rewriter, loc, i8, op.getValue()),
      shift);
  Value merged = arith::OrIOp::create(rewriter, loc, keep, nibble);
  rewriter.replaceOpWithNewOp<memref::StoreOp>(op, merged, packed, indices);
}

/// memref.dim of the innermost dimension is the logical size, not the
/// packed one; the outer sizes are unchanged.
static void rewriteDim(RewriterBase &rewriter, memref::DimOp op,
                       MemRefType logical, Value packed) {
  rewriter.setInsertionPoint(op);
  int64_t index = *op.getConstantIndex();
  if (index == logical.getRank() - 1)
    rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(
        op, logical.getDimSize(index));
  else
    rewriter.replaceOpWithNewOp<memref::DimOp>(op, packed, op.getIndex());
}

/// The value of `v` if it is a constant or a product of constants (the
/// unroller offsets copy i of the body by `i * step` without folding).
static std::optional<int64_t> constantValue(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  if (auto mul = v.getDefiningOp<arith::MulIOp>()) {
    std::optional<int64_t> x = constantValue(mul.getLhs()),
                           y = constantValue(mul.getRhs());
    if (x && y)
      return *x * *y;
  }
  return std::nullopt;
}

/// Whether `v` is the constant `c`.
static bool isConstant(Value v, int64_t c) { return constantValue(v) == c; }

/// A loop that writes a row of codes, one per iteration, stores each into
/// a byte it must first read back (the other nibble): a dependence from one
/// iteration to the next that keeps LLVM from vectorizing the loop, whose
/// body may be a quantizer with its Philox rounds. Unrolled by two, the
/// codes j (even) and j + 1 of one iteration fill a whole byte, written
/// without reading it. Only loops from 0 with step 1 whose induction
/// variable is the innermost index of a store into `buffer` are unrolled;
/// the odd last code, if any, keeps the read-modify-write.
static void pairStores(RewriterBase &rewriter, Value buffer) {
  SmallVector<scf::ForOp> loops;
  for (Operation *user : buffer.getUsers()) {
    auto store = dyn_cast<memref::StoreOp>(user);
    auto loop = store ? dyn_cast<scf::ForOp>(store->getParentOp()) : nullptr;
    if (!loop || store.getIndices().back() != loop.getInductionVar() ||
        !isConstant(loop.getLowerBound(), 0) ||
        !isConstant(loop.getStep(), 1) || !loop.getInitArgs().empty() ||
        llvm::is_contained(loops, loop))
      continue;
    loops.push_back(loop);
  }
  for (scf::ForOp loop : loops) {
    FailureOr<UnrolledLoopInfo> unrolled = loopUnrollByFactor(loop, 2);
    if (failed(unrolled) || !unrolled->mainLoopOp)
      continue;
    scf::ForOp main = *unrolled->mainLoopOp;
    Value iv = main.getInductionVar();
    // The two copies of the store: [..., j] then [..., j + 1]; nothing else
    // in the loop touches the buffer.
    SmallVector<memref::StoreOp> stores;
    bool otherUse = false;
    main.getBody()->walk([&](Operation *op) {
      if (auto store = dyn_cast<memref::StoreOp>(op);
          store && store.getMemref() == buffer &&
          store->getBlock() == main.getBody())
        stores.push_back(store);
      else if (llvm::is_contained(op->getOperands(), buffer))
        otherUse = true;
    });
    if (otherUse || stores.size() != 2)
      continue;
    memref::StoreOp even = stores[0], odd = stores[1];
    auto next = odd.getIndices().back().getDefiningOp<arith::AddIOp>();
    if (even.getIndices().back() != iv || !next || next.getLhs() != iv ||
        !isConstant(next.getRhs(), 1) ||
        even.getIndices().drop_back() != odd.getIndices().drop_back())
      continue;
    rewriter.setInsertionPoint(odd);
    Location loc = odd.getLoc();
    Type i8 = rewriter.getI8Type();
    Value lo = arith::ExtUIOp::create(rewriter, loc, i8, even.getValue());
    Value four =
        arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(i8, 4));
    Value hi = arith::ShLIOp::create(
        rewriter, loc,
        arith::ExtUIOp::create(rewriter, loc, i8, odd.getValue()), four);
    Value byte = arith::OrIOp::create(rewriter, loc, lo, hi);
    SmallVector<Value> indices(odd.getIndices().drop_back());
    indices.push_back(arith::DivUIOp::create(
        rewriter, loc, iv, arith::ConstantIndexOp::create(rewriter, loc, 2)));
    // Marked so that packAlloc() leaves it as a whole-byte store.
    auto whole = memref::StoreOp::create(rewriter, loc, byte, buffer, indices);
    whole->setAttr(kWholeByte, rewriter.getUnitAttr());
    rewriter.eraseOp(even);
    rewriter.eraseOp(odd);
  }
}

template <typename AllocLikeOp>
static void packAlloc(RewriterBase &rewriter, AllocLikeOp alloc) {
  MemRefType logical = alloc.getType();
  rewriter.setInsertionPoint(alloc);
  // Only the innermost size changes, and it is static: the dynamic sizes
  // stay as they are.
  Value packed = AllocLikeOp::create(
      rewriter, alloc.getLoc(), packedType(logical), alloc.getDynamicSizes(),
      alloc.getSymbolOperands(), alloc.getAlignmentAttr());
  for (Operation *user : llvm::make_early_inc_range(alloc->getUsers())) {
    if (user->hasAttr(kWholeByte)) {
      user->removeAttr(kWholeByte);
      rewriter.modifyOpInPlace(user, [&] { user->setOperand(1, packed); });
      continue;
    }
    if (auto load = dyn_cast<memref::LoadOp>(user))
      rewriteLoad(rewriter, load, packed);
    else if (auto store = dyn_cast<memref::StoreOp>(user))
      rewriteStore(rewriter, store, packed);
    else if (auto dim = dyn_cast<memref::DimOp>(user))
      rewriteDim(rewriter, dim, logical, packed);
    else
      rewriter.modifyOpInPlace(user, [&] { user->setOperand(0, packed); });
  }
  rewriter.eraseOp(alloc);
}

struct FQTPackI4BuffersPass
    : fqt::impl::FQTPackI4BuffersBase<FQTPackI4BuffersPass> {
  void runOnOperation() override {
    SmallVector<Operation *> allocs;
    getOperation()->walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp>(op) && isPackable(op))
        allocs.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : allocs) {
      pairStores(rewriter, op->getResult(0));
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        packAlloc(rewriter, alloc);
      else
        packAlloc(rewriter, cast<memref::AllocaOp>(op));
    }
  }
};

} // namespace

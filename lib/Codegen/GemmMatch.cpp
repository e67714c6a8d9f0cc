//===- GemmMatch.cpp - Matrix products on buffers the kernels take --------===//

#include "GemmMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

LogicalResult fqt::matchGemmMaps(ArrayRef<AffineMap> maps, Gemm &gemm) {
  if (maps.size() != 3)
    return failure();
  MLIRContext *ctx = maps[0].getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto map = [&](AffineExpr x, AffineExpr y) {
    return AffineMap::get(3, 0, {x, y}, ctx);
  };
  if (maps[2] != map(m, n))
    return failure();
  if (maps[0] == map(m, k))
    gemm.transA = false;
  else if (maps[0] == map(k, m))
    gemm.transA = true;
  else
    return failure();
  if (maps[1] == map(k, n))
    gemm.transB = false;
  else if (maps[1] == map(n, k))
    gemm.transB = true;
  else
    return failure();
  return success();
}

int64_t fqt::gemmWork(const Gemm &g) {
  auto size = [](Value v, unsigned d) {
    return cast<MemRefType>(v.getType()).getDimSize(d);
  };
  int64_t work = 1;
  for (int64_t n : {size(g.c, 0), size(g.c, 1), size(g.a, g.transA ? 0 : 1)})
    work =
        ShapedType::isDynamic(n) || work > INT64_MAX / std::max<int64_t>(n, 1)
            ? INT64_MAX
            : work * n;
  return work;
}

bool fqt::isUnitStrideMatrix(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == 2 && type.isLastDimUnitStride();
}

bool fqt::isMatrix(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getRank() == 2;
}

/// `ext(x)` of a block argument of `block`: the argument number and whether
/// the extension is signed.
static std::optional<std::pair<unsigned, bool>> matchExt(Value v,
                                                         Block *block) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  bool isSigned;
  if (isa<arith::ExtSIOp>(def))
    isSigned = true;
  else if (isa<arith::ExtUIOp>(def))
    isSigned = false;
  else
    return std::nullopt;
  auto arg = dyn_cast<BlockArgument>(def->getOperand(0));
  if (!arg || arg.getOwner() != block)
    return std::nullopt;
  return std::make_pair(arg.getArgNumber(), isSigned);
}

LogicalResult fqt::matchIntGemmBody(linalg::GenericOp op, Gemm &gemm) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (yield.getNumOperands() != 1)
    return failure();
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add)
    return failure();
  Value acc = body->getArgument(2);
  Value product = add.getLhs() == acc   ? add.getRhs()
                  : add.getRhs() == acc ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulIOp>() : nullptr;
  if (!mul)
    return failure();
  auto x = matchExt(mul.getLhs(), body), y = matchExt(mul.getRhs(), body);
  if (!x || !y || x->first == y->first || x->first > 1 || y->first > 1)
    return failure();
  if (x->first == 1)
    std::swap(x, y);
  gemm.aSigned = x->second;
  gemm.bSigned = y->second;
  // Only the extensions, the multiply and the add.
  if (body->getOperations().size() != 5)
    return failure();
  return success();
}

LogicalResult fqt::matchGemmOperands(linalg::LinalgOp op,
                                     RewriterBase &rewriter, Gemm &g) {
  if (!op.hasPureBufferSemantics())
    return rewriter.notifyMatchFailure(op, "not on buffers");
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return rewriter.notifyMatchFailure(op, "not two inputs, one output");
  if (failed(matchGemmMaps(op.getIndexingMapsArray(), g)))
    return rewriter.notifyMatchFailure(op, "not a plain 2-d product");
  g.a = op.getDpsInputs()[0];
  g.b = op.getDpsInputs()[1];
  g.c = op.getDpsInits()[0];
  for (Value v : {g.a, g.b, g.c})
    if (!isMatrix(v))
      return rewriter.notifyMatchFailure(op, "not matrices");
  return success();
}

LogicalResult fqt::matchIntGemm(linalg::GenericOp op, RewriterBase &rewriter,
                                Gemm &g) {
  auto iterators = op.getIteratorTypesArray();
  if (iterators.size() != 3 || iterators[0] != utils::IteratorType::parallel ||
      iterators[1] != utils::IteratorType::parallel ||
      iterators[2] != utils::IteratorType::reduction)
    return rewriter.notifyMatchFailure(op, "not (parallel, parallel, "
                                           "reduction)");
  g.isInt = true;
  if (failed(matchGemmOperands(op, rewriter, g)))
    return failure();
  auto elt = [](Value v) {
    return cast<MemRefType>(v.getType()).getElementType();
  };
  // i4 codes are read one at a time while the operands are packed (loads
  // that --fqt-pack-i4-buffers unpacks from bytes) and widened like i8 ones.
  auto isCode = [](Type t) { return t.isInteger(8) || t.isInteger(4); };
  if (!isCode(elt(g.a)) || !isCode(elt(g.b)) || !elt(g.c).isInteger(32))
    return rewriter.notifyMatchFailure(op, "not (i8|i4) x (i8|i4) -> i32");
  if (failed(matchIntGemmBody(op, g)))
    return rewriter.notifyMatchFailure(op, "body is not c + ext(a) * ext(b)");
  if (!isUnitStrideMatrix(g.c))
    return rewriter.notifyMatchFailure(op, "result rows not contiguous");
  return success();
}

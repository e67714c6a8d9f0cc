//===- GpuInt8Mma.cpp - i8 products on int8 tensor cores ------------------===//
//
// The integer products of fqt-lower-qmatmul (i8 codes, i32 accumulation)
// become one kernel each whose warps issue mma.sync m16n8k32: the int8
// tensor-core instruction of sm_80 and sm_90. The kernel gathers the
// fragments straight from global memory in the register layout PTX defines
// for that shape (PTX ISA, "Matrix Fragments for mma.m16n8k32"):
//
//   lane = 4 * g + t   (g: group 0..7, t: thread in group 0..3)
//   A (16x32, row): register r holds A[g + 8 (r mod 2)][16 (r / 2) + 4 t + j]
//   B (32x8, col):  register r holds B[16 r + 4 t + j][g]
//   C, D (16x8):    element i holds C[g + 8 (i / 2)][2 t + (i mod 2)]
//
// with j = 0..3 the byte within a register (lowest byte first).
//
//===----------------------------------------------------------------------===//

#include "fqt/Target/BufferedLinalg.h"
#include "fqt/Target/FillInitializer.h"
#include "fqt/Target/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fqt {
#define GEN_PASS_DEF_FQTGPUINT8MMA
#include "fqt/Target/Passes.h.inc"
} // namespace fqt

using namespace mlir;

namespace {

constexpr int64_t kTileM = 16, kTileN = 8, kTileK = 32, kWarpsN = 4;

/// How an operand of the product is read: its memref, whether it is stored
/// transposed, and whether its codes are unsigned.
struct Operand {
  Value buffer;
  bool transposed = false;
  bool isUnsigned = false;
};

/// The extension of a block argument in the product body: extsi (signed) or
/// extui (unsigned); failure for anything else.
FailureOr<std::pair<BlockArgument, bool>> matchExtension(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getNumOperands() != 1)
    return failure();
  auto arg = dyn_cast<BlockArgument>(def->getOperand(0));
  if (!arg || !arg.getType().isInteger(8))
    return failure();
  if (isa<arith::ExtSIOp>(def))
    return std::make_pair(arg, false);
  if (isa<arith::ExtUIOp>(def))
    return std::make_pair(arg, true);
  return failure();
}

/// Reads element (row, col) of a logical matrix stored as OPERAND, with
/// ROWS x COLS its logical size; zero outside it. The index is clamped so
/// that the load itself stays in bounds and no branch is needed.
Value loadOrZero(OpBuilder &b, Location loc, const Operand &operand, Value row,
                 Value col, Value rows, Value cols) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value inRow =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row, rows);
  Value inCol =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, cols);
  Value inside = arith::AndIOp::create(b, loc, inRow, inCol);
  Value r = arith::MinUIOp::create(b, loc, row,
                                   arith::SubIOp::create(b, loc, rows, one));
  Value c = arith::MinUIOp::create(b, loc, col,
                                   arith::SubIOp::create(b, loc, cols, one));
  SmallVector<Value, 2> indices = operand.transposed
                                      ? SmallVector<Value, 2>{c, r}
                                      : SmallVector<Value, 2>{r, c};
  Value v = memref::LoadOp::create(b, loc, operand.buffer, indices);
  Value zero = arith::ConstantIntOp::create(b, loc, v.getType(), 0);
  return arith::SelectOp::create(b, loc, inside, v, zero);
}

/// Packs four i8 values into one i32 register, the first in the lowest byte.
Value pack(OpBuilder &b, Location loc, ArrayRef<Value> bytes) {
  Type i32 = b.getI32Type();
  Value word = arith::ConstantIntOp::create(b, loc, i32, 0);
  for (auto [j, byte] : llvm::enumerate(bytes)) {
    Value w = arith::ExtUIOp::create(b, loc, i32, byte);
    if (j)
      w = arith::ShLIOp::create(
          b, loc, w, arith::ConstantIntOp::create(b, loc, i32, 8 * j));
    word = arith::OrIOp::create(b, loc, word, w);
  }
  return word;
}

/// Whether `op` may write memory that `buffers` (allocations or arguments)
/// hold: conservatively, any op with memory effects other than an
/// allocation, a linalg op or copy that writes only other allocations.
bool mayWrite(Operation *op, ArrayRef<Value> buffers) {
  auto isOther = [&](Value written) {
    Value r = fqt::viewSource(written);
    return r.getDefiningOp<memref::AllocOp>() &&
           llvm::none_of(buffers,
                         [&](Value b) { return fqt::viewSource(b) == r; });
  };
  if (isa<memref::AllocOp>(op) || isMemoryEffectFree(op))
    return false;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return !llvm::all_of(linalgOp.getDpsInits(), isOther);
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return !isOther(copy.getTarget());
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return !isOther(store.getMemRef());
  if (isa<memref::LoadOp>(op))
    return false;
  // A kernel already made of another product, or a loop nest: what its body
  // stores.
  if (isa<gpu::LaunchOp, scf::ForOp, scf::ParallelOp, scf::IfOp>(op)) {
    WalkResult result = op->walk([&](Operation *nested) {
      if (nested == op || nested->hasTrait<OpTrait::IsTerminator>() ||
          isa<gpu::LaunchOp, scf::ForOp, scf::ParallelOp, scf::IfOp>(nested))
        return WalkResult::advance();
      return mayWrite(nested, buffers) ? WalkResult::interrupt()
                                       : WalkResult::advance();
    });
    return result.wasInterrupted();
  }
  return true;
}

/// The elementwise op that reads the product's result `c` after it (the
/// scales and zero-point corrections of fqt-lower-qmatmul's epilogue), where
/// the kernel can apply it to its accumulators instead of storing them: an
/// all-parallel 2-D linalg.generic reading `c` with the identity map and
/// writing another buffer with it, `c` read by nothing else, and nothing in
/// between touching `c` or writing the product's operands `a` and `b` (so
/// that the kernel can run at the epilogue's place).
linalg::GenericOp findEpilogue(linalg::GenericOp product, Value a, Value b,
                               Value c) {
  for (Operation *op = product->getNextNode(); op; op = op->getNextNode()) {
    bool namesC = false;
    op->walk([&](Operation *nested) {
      if (llvm::is_contained(nested->getOperands(), c))
        namesC = true;
    });
    auto epilogue = dyn_cast<linalg::GenericOp>(op);
    if (namesC && epilogue && epilogue.hasPureBufferSemantics() &&
        epilogue.getNumDpsInits() == 1 && epilogue.getNumLoops() == 2 &&
        epilogue.getNumParallelLoops() == 2 && epilogue.getDpsInits()[0] != c &&
        epilogue.getIndexingMapsArray().back().isIdentity()) {
      for (OpOperand *input : epilogue.getDpsInputOperands())
        if (input->get() == c &&
            !epilogue.getMatchingIndexingMap(input).isIdentity())
          return {};
      // Besides the product and the epilogue, only C's zero initializer
      // (which goes) and its deallocation.
      bool onlyReader = llvm::all_of(c.getUsers(), [&](Operation *user) {
        auto copy = dyn_cast<memref::CopyOp>(user);
        return user == product || user == epilogue ||
               isa<memref::DeallocOp, linalg::FillOp>(user) ||
               (copy && copy.getTarget() == c);
      });
      return onlyReader ? epilogue : linalg::GenericOp();
    }
    if (namesC || mayWrite(op, {a, b}))
      return {};
  }
  return {};
}

/// The epilogue's value at (row, col) with `acc` for its read of `c`:
/// every other input loaded through its indexing map, the body cloned.
Value applyEpilogue(OpBuilder &b, Location loc, linalg::GenericOp epilogue,
                    Value c, Value acc, Value row, Value col) {
  SmallVector<Value> ivs = {row, col};
  SmallVector<Value> args;
  for (OpOperand *input : epilogue.getDpsInputOperands())
    args.push_back(input->get() == c
                       ? acc
                       : fqt::loadOperand(b, loc, epilogue, input, ivs));
  // The output's current value, where the body reads it (an accumulation).
  Block &body = epilogue.getRegion().front();
  bool readsOutput = !body.getArgument(epilogue.getNumDpsInputs()).use_empty();
  args.push_back(readsOutput
                     ? fqt::loadOperand(b, loc, epilogue,
                                        epilogue.getDpsInitOperand(0), ivs)
                     : Value());
  return fqt::inlineBody(b, epilogue, args, ivs)[0];
}

struct ProductToMma : OpRewritePattern<linalg::GenericOp> {
  using Base::Base;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized");
    if (op->getParentOfType<gpu::LaunchOp>())
      return rewriter.notifyMatchFailure(op, "already inside a kernel");
    if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
      return rewriter.notifyMatchFailure(op, "not two inputs and one output");
    auto its = op.getIteratorTypesArray();
    if (its.size() != 3 || its[0] != utils::IteratorType::parallel ||
        its[1] != utils::IteratorType::parallel ||
        its[2] != utils::IteratorType::reduction)
      return rewriter.notifyMatchFailure(op, "iterators are not (m, n, k)");
    auto aType = dyn_cast<MemRefType>(op.getDpsInputs()[0].getType());
    auto bType = dyn_cast<MemRefType>(op.getDpsInputs()[1].getType());
    auto cType = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
    if (!aType || !bType || !cType || aType.getRank() != 2 ||
        bType.getRank() != 2 || cType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "operands are not matrices");
    if (!aType.getElementType().isInteger(8) ||
        !bType.getElementType().isInteger(8) ||
        !cType.getElementType().isInteger(32))
      return rewriter.notifyMatchFailure(op, "not i8 x i8 -> i32");

    // Maps: A (m, k) or (k, m); B (k, n) or (n, k); C (m, n).
    MLIRContext *ctx = op.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](AffineExpr x, AffineExpr y) {
      return AffineMap::get(3, 0, {x, y}, ctx);
    };
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (maps[2] != map(m, n))
      return rewriter.notifyMatchFailure(op, "result is not indexed (m, n)");
    Operand a{op.getDpsInputs()[0]}, b{op.getDpsInputs()[1]};
    if (maps[0] == map(k, m))
      a.transposed = true;
    else if (maps[0] != map(m, k))
      return rewriter.notifyMatchFailure(op, "lhs is not indexed (m, k)");
    if (maps[1] == map(n, k))
      b.transposed = true;
    else if (maps[1] != map(k, n))
      return rewriter.notifyMatchFailure(op, "rhs is not indexed (k, n)");

    // Body: yield(acc + ext(a) * ext(b)), in either operand order.
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto add = yield.getValues()[0].getDefiningOp<arith::AddIOp>();
    if (!add)
      return rewriter.notifyMatchFailure(op, "body does not accumulate");
    Value acc = body.getArgument(2);
    Value prod = add.getLhs() == acc ? add.getRhs() : add.getLhs();
    if (add.getLhs() != acc && add.getRhs() != acc)
      return rewriter.notifyMatchFailure(op, "body does not add to the output");
    auto mul = prod.getDefiningOp<arith::MulIOp>();
    if (!mul)
      return rewriter.notifyMatchFailure(op, "body does not multiply");
    auto x = matchExtension(mul.getLhs()), y = matchExtension(mul.getRhs());
    if (failed(x) || failed(y))
      return rewriter.notifyMatchFailure(op, "factors are not extended i8");
    if (x->first == y->first || x->first.getArgNumber() > 1 ||
        y->first.getArgNumber() > 1)
      return rewriter.notifyMatchFailure(op, "factors are not the two inputs");
    if (x->first.getArgNumber() == 0) {
      a.isUnsigned = x->second;
      b.isUnsigned = y->second;
    } else {
      a.isUnsigned = y->second;
      b.isUnsigned = x->second;
    }

    Location loc = op.getLoc();
    Value c = op.getDpsInits()[0];
    // A C just filled with zeros (fqt-lower-qmatmul's i32 products) starts
    // from zero registers, and the fill, a launch of its own, goes.
    std::optional<fqt::FillInitializer> zeroFill =
        fqt::findFillInitializer(op, c);
    if (zeroFill) {
      auto value = dyn_cast<IntegerAttr>(zeroFill->value);
      if (!value || !value.getValue().isZero())
        zeroFill.reset();
    }
    // The epilogue applied to the accumulators, with the kernel at its
    // place (after the code sums it reads), instead of a store of C and a
    // launch of its own. Only from zero registers: C is then never read.
    linalg::GenericOp epilogue;
    if (zeroFill)
      epilogue = findEpilogue(op, a.buffer, b.buffer, c);
    if (epilogue)
      rewriter.setInsertionPoint(epilogue);
    auto cst = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    // The result's sizes: C's, or those of the epilogue's output (the same,
    // both indexed by the identity), so that C is left unused.
    Value shaped = epilogue ? epilogue.getDpsInits()[0] : c;
    Value mSize = memref::DimOp::create(rewriter, loc, shaped, 0);
    Value nSize = memref::DimOp::create(rewriter, loc, shaped, 1);
    Value kSize =
        memref::DimOp::create(rewriter, loc, a.buffer, a.transposed ? 0 : 1);
    auto ceilDiv = [&](Value v, int64_t d) -> Value {
      return arith::CeilDivUIOp::create(rewriter, loc, v, cst(d));
    };
    Value gridX = ceilDiv(nSize, kTileN * kWarpsN);
    Value gridY = ceilDiv(mSize, kTileM);
    auto launch = gpu::LaunchOp::create(rewriter, loc, gridX, gridY, cst(1),
                                        cst(32), cst(kWarpsN), cst(1));
    OpBuilder::InsertionGuard guard(rewriter);
    Block &kernel = launch.getBody().front();
    rewriter.setInsertionPointToStart(&kernel);
    OpBuilder &bld = rewriter;
    gpu::KernelDim3 blockIds = launch.getBlockIds();
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    Value lane = threadIds.x, warp = threadIds.y;
    Value g = arith::DivUIOp::create(bld, loc, lane, cst(4));
    Value t = arith::RemUIOp::create(bld, loc, lane, cst(4));
    Value m0 = arith::MulIOp::create(bld, loc, blockIds.y, cst(kTileM));
    Value n0 = arith::AddIOp::create(
        bld, loc,
        arith::MulIOp::create(bld, loc, blockIds.x, cst(kTileN * kWarpsN)),
        arith::MulIOp::create(bld, loc, warp, cst(kTileN)));
    auto addC = [&](Value v, int64_t d) -> Value {
      return d ? arith::AddIOp::create(bld, loc, v, cst(d)).getResult() : v;
    };
    Value t4 = arith::MulIOp::create(bld, loc, t, cst(4));
    Value t2 = arith::MulIOp::create(bld, loc, t, cst(2));
    Value rowG = arith::AddIOp::create(bld, loc, m0, g);
    Value colG = arith::AddIOp::create(bld, loc, n0, g);

    // C: element i at (g + 8 (i / 2), 2 t + i mod 2) of the tile.
    Operand cOperand{c};
    SmallVector<Value> cIndex[4];
    SmallVector<Value> init;
    for (int64_t i = 0; i < 4; ++i) {
      Value row = addC(rowG, 8 * (i / 2));
      Value col = addC(arith::AddIOp::create(bld, loc, n0, t2), i % 2);
      cIndex[i] = {row, col};
      init.push_back(
          zeroFill ? arith::ConstantIntOp::create(bld, loc, 0, 32).getResult()
                   : loadOrZero(bld, loc, cOperand, row, col, mSize, nSize));
    }

    Type i32 = bld.getI32Type();
    auto resultType =
        LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(4, i32));
    auto loop = scf::ForOp::create(bld, loc, cst(0), kSize, cst(kTileK), init);
    {
      OpBuilder::InsertionGuard inLoop(bld);
      bld.setInsertionPointToStart(loop.getBody());
      Value k0 = loop.getInductionVar();
      Value kt = arith::AddIOp::create(bld, loc, k0, t4);
      SmallVector<Value, 4> aRegs, bRegs;
      for (int64_t r = 0; r < 4; ++r) {
        Value row = addC(rowG, 8 * (r % 2));
        SmallVector<Value, 4> bytes;
        for (int64_t j = 0; j < 4; ++j)
          bytes.push_back(loadOrZero(bld, loc, a, row,
                                     addC(kt, 16 * (r / 2) + j), mSize, kSize));
        aRegs.push_back(pack(bld, loc, bytes));
      }
      for (int64_t r = 0; r < 2; ++r) {
        SmallVector<Value, 4> bytes;
        // B is logically K x N; stored (k, n) or, transposed, (n, k).
        for (int64_t j = 0; j < 4; ++j)
          bytes.push_back(loadOrZero(bld, loc, b, addC(kt, 16 * r + j), colG,
                                     kSize, nSize));
        bRegs.push_back(pack(bld, loc, bytes));
      }
      SmallVector<Value, 4> acc(loop.getRegionIterArgs());
      auto typeOf = [](bool isUnsigned) {
        return isUnsigned ? NVVM::MMATypes::u8 : NVVM::MMATypes::s8;
      };
      // Wrapping overflow: the same i32 arithmetic as the CPU kernels.
      auto mma = NVVM::MmaOp::create(
          bld, loc, resultType, aRegs, bRegs, acc,
          ArrayRef<int64_t>{kTileM, kTileN, kTileK},
          /*b1Op=*/std::nullopt, NVVM::MMAIntOverflow::wrapped,
          std::array<NVVM::MMATypes, 2>{typeOf(a.isUnsigned),
                                        typeOf(b.isUnsigned)},
          std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                         NVVM::MMALayout::col});
      SmallVector<Value, 4> next;
      for (int64_t i = 0; i < 4; ++i)
        next.push_back(
            LLVM::ExtractValueOp::create(bld, loc, mma.getResult(), i));
      scf::YieldOp::create(bld, loc, next);
    }

    // D back to the tile's elements inside the result.
    for (int64_t i = 0; i < 4; ++i) {
      Value inRow = arith::CmpIOp::create(bld, loc, arith::CmpIPredicate::ult,
                                          cIndex[i][0], mSize);
      Value inCol = arith::CmpIOp::create(bld, loc, arith::CmpIPredicate::ult,
                                          cIndex[i][1], nSize);
      Value inside = arith::AndIOp::create(bld, loc, inRow, inCol);
      auto ifOp = scf::IfOp::create(bld, loc, inside, /*withElse=*/false);
      OpBuilder::InsertionGuard inIf(bld);
      bld.setInsertionPointToStart(ifOp.thenBlock());
      if (!epilogue) {
        memref::StoreOp::create(bld, loc, loop.getResult(i), c, cIndex[i]);
        continue;
      }
      Value value = applyEpilogue(bld, loc, epilogue, c, loop.getResult(i),
                                  cIndex[i][0], cIndex[i][1]);
      memref::StoreOp::create(bld, loc, value, epilogue.getDpsInits()[0],
                              cIndex[i]);
    }
    gpu::TerminatorOp::create(bld, loc);
    rewriter.eraseOp(op);
    if (zeroFill)
      fqt::eraseFillInitializer(rewriter, *zeroFill);
    if (epilogue) {
      rewriter.eraseOp(epilogue);
      // C is no longer written or read.
      for (Operation *user : llvm::make_early_inc_range(c.getUsers()))
        if (isa<memref::DeallocOp>(user))
          rewriter.eraseOp(user);
      if (c.use_empty() && c.getDefiningOp<memref::AllocOp>())
        rewriter.eraseOp(c.getDefiningOp());
    }
    return success();
  }
};

struct FQTGpuInt8MmaPass : fqt::impl::FQTGpuInt8MmaBase<FQTGpuInt8MmaPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ProductToMma>(&getContext());
    // Each product is rewritten once; no folding of the rest.
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

//===- AmxKernels.cpp - AMX-INT8 tile kernels for the integer products ----===//
//
// On CPUs with AMX-INT8 (Intel Sapphire Rapids and later) one `tdpbssd`
// multiplies a 16x64 tile of i8 codes by a 64x16 one into a 16x16 tile of
// i32 sums: 16 K multiply-adds per instruction, where AVX-512 VNNI's
// `vpdpbusd` does 64. Each integer product becomes
//
//   if (fqt_amx_ready())  call @fqt_amx_gemm_<N>(A, B, C)  // AMX tiles
//   else                  <the product, as it was>        // VNNI etc.
//
// fqt_amx_ready() asks Linux once for the tile state (the AMX registers are
// 8 KiB of extended state that a process must request: arch_prctl with
// ARCH_REQ_XCOMP_PERM and XFEATURE_XTILEDATA) and is false where the CPU or
// the kernel refuses, or where FQT_AMX=0, so the same executable runs on
// every machine; the product left in place is vectorized as before. The AMX
// kernel is a function of its own because LLVM configures the tiles
// (`ldtilecfg`) at the entry of the function that uses them: it must not
// run before the check.
//
// The kernel pads the operands into tile layouts and computes the result in
// 32x32 blocks held in four accumulator tiles:
//
//   Ap[Mp][Kp]          = A (rows padded to 32, k to 64, zeros)
//   Bp[Np/16][Kp/4][64] = B in VNNI order: Bp[n/16][k/4][(n%16)*4 + k%4]
//   for (mb, nb) in blocks of 32x32:
//     acc[2][2] = 0
//     for k in 0..Kp step 64:  acc[i][j] += Ap[mb+16i.., k..] * Bp[nb/16+j,
//     k/4..] Cp[mb.., nb..] = acc
//   C += Cp (the M x N corner)
//
// Codes are multiplied as they are, signed or unsigned (`tdpbssd`,
// `tdpbsud`, `tdpbusd`, `tdpbuud`): no shift and correction as with
// vpdpbusd. Every sum is exact in i32, so the result is the bits of the
// other kernel families.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "GemmMatch.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/MapVector.h"

namespace fqt {
#define GEN_PASS_DEF_FQTAMXKERNELS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

// One tile holds 16 rows of 64 bytes (the largest configuration): 16x64 i8
// operands, 16x16 i32 accumulators. A block of the result is 2x2 tiles, so
// that 4 accumulators, 2 tiles of A and 2 of B use the 8 tile registers.
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileBytes = 64;
constexpr int64_t kBlock = 2 * kTileRows;
constexpr int64_t kGroup = 4; // k values per i32 lane of a B tile

/// `func.func @fqt_amx_ready() -> i1`: whether this process may use the AMX
/// tiles. The answer is asked of Linux once and kept in a global (0: not
/// asked yet, 1: granted, 2: refused).
/// A declaration of it (a test that asks it directly) gets its body.
func::FuncOp getOrCreateGate(ModuleOp module) {
  func::FuncOp gate = module.lookupSymbol<func::FuncOp>(kAmxGateName);
  if (gate && !gate.isExternal())
    return gate;
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Type i1 = b.getI1Type(), i8 = b.getI8Type(), i32 = b.getI32Type(),
       i64 = b.getI64Type();
  auto ptr = LLVM::LLVMPointerType::get(ctx);

  auto state = LLVM::GlobalOp::create(b, loc, i32, /*isConstant=*/false,
                                      LLVM::Linkage::Internal, "fqt_amx_state",
                                      b.getI32IntegerAttr(0));
  StringRef envText("FQT_AMX\0", 8);
  auto env = LLVM::GlobalOp::create(
      b, loc, LLVM::LLVMArrayType::get(i8, envText.size()),
      /*isConstant=*/true, LLVM::Linkage::Internal, "fqt_amx_env",
      b.getStringAttr(envText));
  auto declare = [&](StringRef name, LLVM::LLVMFunctionType type) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    return LLVM::LLVMFuncOp::create(b, loc, name, type);
  };
  LLVM::LLVMFuncOp getenv =
      declare("getenv", LLVM::LLVMFunctionType::get(ptr, {ptr}));
  LLVM::LLVMFuncOp syscall = declare(
      "syscall", LLVM::LLVMFunctionType::get(i64, {i64}, /*isVarArg=*/true));

  if (!gate)
    gate =
        func::FuncOp::create(b, loc, kAmxGateName, b.getFunctionType({}, {i1}));
  b.setInsertionPointToStart(gate.addEntryBlock());
  auto i32Const = [&](int32_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  };
  auto i64Const = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  Value statePtr = LLVM::AddressOfOp::create(b, loc, state);
  // Threads may ask at the same time: relaxed atomics, and a repeated
  // request is granted again.
  Value known =
      LLVM::LoadOp::create(b, loc, i32, statePtr, /*alignment=*/4, false, false,
                           false, false, LLVM::AtomicOrdering::monotonic);
  Value unknown = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, known,
                                        i32Const(0));
  auto ask = scf::IfOp::create(b, loc, TypeRange{i32}, unknown,
                               /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ask.getThenRegion().front());
    // FQT_AMX=0 in the environment: the other kernels, as on a CPU without
    // AMX (to compare the families on one machine).
    Value name = LLVM::AddressOfOp::create(b, loc, env);
    Value value =
        LLVM::CallOp::create(b, loc, getenv, ValueRange{name}).getResult();
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    Value isSet =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, value, null);
    auto disabled = scf::IfOp::create(b, loc, TypeRange{i1}, isSet, true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&disabled.getThenRegion().front());
      Value first = LLVM::LoadOp::create(b, loc, i8, value);
      Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr('0'));
      scf::YieldOp::create(b, loc,
                           ValueRange{arith::CmpIOp::create(
                               b, loc, arith::CmpIPredicate::eq, first, zero)});
      b.setInsertionPointToStart(&disabled.getElseRegion().front());
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::ConstantOp::create(b, loc, b.getBoolAttr(false))});
    }
    // syscall(SYS_arch_prctl = 158, ARCH_REQ_XCOMP_PERM = 0x1023,
    // XFEATURE_XTILEDATA = 18): 0 where granted; -1 on a CPU without AMX or
    // a kernel older than 5.16.
    auto request =
        scf::IfOp::create(b, loc, TypeRange{i32}, disabled.getResult(0), true);
    {
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPointToStart(&request.getThenRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{i32Const(2)});
      b.setInsertionPointToStart(&request.getElseRegion().front());
      Value result =
          LLVM::CallOp::create(
              b, loc, syscall,
              ValueRange{i64Const(158), i64Const(0x1023), i64Const(18)})
              .getResult();
      Value granted = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            result, i64Const(0));
      scf::YieldOp::create(b, loc,
                           ValueRange{arith::SelectOp::create(
                               b, loc, granted, i32Const(1), i32Const(2))});
    }
    Value answer = request.getResult(0);
    LLVM::StoreOp::create(b, loc, answer, statePtr, /*alignment=*/4, false,
                          false, false, LLVM::AtomicOrdering::monotonic);
    scf::YieldOp::create(b, loc, ValueRange{answer});
    b.setInsertionPointToStart(&ask.getElseRegion().front());
    scf::YieldOp::create(b, loc, ValueRange{known});
  }
  Value ready = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                      ask.getResult(0), i32Const(1));
  func::ReturnOp::create(b, loc, ValueRange{ready});
  gate.setPrivate();
  return gate;
}

/// Emits the body of an AMX kernel function for the product G, whose
/// operands are the function's arguments.
class AmxGemmEmitter {
public:
  AmxGemmEmitter(OpBuilder &b, Location loc, const Gemm &g, bool parallel)
      : b(b), loc(loc), g(g), parallel(parallel) {}

  void emit();

private:
  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value dim(Value v, int64_t d) { return memref::DimOp::create(b, loc, v, d); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, int64_t d) {
    return arith::DivUIOp::create(b, loc, x, cst(d));
  }
  Value rem(Value x, int64_t d) {
    return arith::RemUIOp::create(b, loc, x, cst(d));
  }
  /// X rounded up to a multiple of D.
  Value alignUp(Value x, int64_t d) {
    return mul(arith::CeilDivUIOp::create(b, loc, x, cst(d)), cst(d));
  }
  void forLoop(Value lb, Value ub, int64_t step,
               llvm::function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lb, ub, cst(step), {},
                       [&](OpBuilder &, Location, Value iv, ValueRange) {
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  }
  /// A code as an i8 tile byte: i4 codes extended as the product reads them.
  Value toByte(Value code, bool isSigned) {
    if (code.getType().isInteger(8))
      return code;
    Type i8 = b.getI8Type();
    return isSigned ? arith::ExtSIOp::create(b, loc, i8, code).getResult()
                    : arith::ExtUIOp::create(b, loc, i8, code).getResult();
  }

  /// BODY(i, j, code) for every element (i, j) of the rank-2 SRC.
  void forEachCode(Value src, bool isSigned,
                   llvm::function_ref<void(Value, Value, Value)> body);
  void packA();
  void packB();
  void emitBlocks();
  void accumulate();

  OpBuilder &b;
  Location loc;
  const Gemm &g;
  bool parallel;
  Value M, N, K, Mp, Np, Kp, Ap, Bp, Cp;
};

void AmxGemmEmitter::forEachCode(
    Value src, bool isSigned,
    llvm::function_ref<void(Value, Value, Value)> body) {
  // In the source's memory order, each code as a tile byte.
  Value c0 = cst(0);
  forLoop(c0, dim(src, 0), 1, [&](Value i) {
    forLoop(c0, dim(src, 1), 1, [&](Value j) {
      Value code = memref::LoadOp::create(b, loc, src, ValueRange{i, j});
      body(i, j, toByte(code, isSigned));
    });
  });
}

void AmxGemmEmitter::packA() {
  // Ap[m][k] = A(m, k).
  forEachCode(g.a, g.aSigned, [&](Value i, Value j, Value code) {
    Value m = g.transA ? j : i, k = g.transA ? i : j;
    memref::StoreOp::create(b, loc, code, Ap, ValueRange{m, k});
  });
}

void AmxGemmEmitter::packB() {
  // Bp[n / 16][k / 4][(n % 16) * 4 + k % 4] = B(k, n): one row of a B tile
  // is the 4 k of one group for 16 columns.
  forEachCode(g.b, g.bSigned, [&](Value i, Value j, Value code) {
    Value k = g.transB ? j : i, n = g.transB ? i : j;
    Value col = add(mul(rem(n, kTileRows), cst(kGroup)), rem(k, kGroup));
    memref::StoreOp::create(b, loc, code, Bp,
                            ValueRange{div(n, kTileRows), div(k, kGroup), col});
  });
}

void AmxGemmEmitter::emitBlocks() {
  auto codeTile = amx::TileType::get({kTileRows, kTileBytes}, b.getI8Type());
  auto sumTile = amx::TileType::get({kTileRows, kTileRows}, b.getI32Type());
  auto block = [&](Value mb, Value nb) {
    SmallVector<Value> init;
    for (int i = 0; i < 4; ++i)
      init.push_back(amx::TileZeroOp::create(b, loc, sumTile));
    Value nt = div(nb, kTileRows);
    auto loop = scf::ForOp::create(
        b, loc, cst(0), Kp, cst(kTileBytes), init,
        [&](OpBuilder &, Location, Value k, ValueRange acc) {
          Value kg = div(k, kGroup);
          Value a[2], bt[2];
          for (int i = 0; i < 2; ++i)
            a[i] = amx::TileLoadOp::create(
                b, loc, codeTile, Ap,
                ValueRange{add(mb, cst(i * kTileRows)), k});
          for (int j = 0; j < 2; ++j)
            bt[j] = amx::TileLoadOp::create(
                b, loc, codeTile, Bp, ValueRange{add(nt, cst(j)), kg, cst(0)});
          SmallVector<Value> next;
          for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j) {
              auto product = amx::TileMulIOp::create(b, loc, sumTile, a[i],
                                                     bt[j], acc[i * 2 + j]);
              product.setIsZextLhs(!g.aSigned);
              product.setIsZextRhs(!g.bSigned);
              next.push_back(product);
            }
          scf::YieldOp::create(b, loc, next);
        });
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        amx::TileStoreOp::create(b, loc, Cp,
                                 ValueRange{add(mb, cst(i * kTileRows)),
                                            add(nb, cst(j * kTileRows))},
                                 loop.getResult(i * 2 + j));
  };
  Value c0 = cst(0), step = cst(kBlock);
  if (parallel) {
    // Blocks write disjoint parts of Cp; each thread configures its own
    // tiles (ldtilecfg in the outlined body).
    scf::ParallelOp::create(
        b, loc, ValueRange{c0, c0}, ValueRange{Mp, Np}, ValueRange{step, step},
        [&](OpBuilder &, Location, ValueRange ivs) { block(ivs[0], ivs[1]); });
    return;
  }
  forLoop(c0, Mp, kBlock, [&](Value mb) {
    forLoop(c0, Np, kBlock, [&](Value nb) { block(mb, nb); });
  });
}

void AmxGemmEmitter::accumulate() {
  // C += Cp on the M x N corner.
  Value c0 = cst(0);
  forLoop(c0, M, 1, [&](Value m) {
    forLoop(c0, N, 1, [&](Value n) {
      Value sum = memref::LoadOp::create(b, loc, Cp, ValueRange{m, n});
      Value old = memref::LoadOp::create(b, loc, g.c, ValueRange{m, n});
      memref::StoreOp::create(b, loc, arith::AddIOp::create(b, loc, old, sum),
                              g.c, ValueRange{m, n});
    });
  });
}

void AmxGemmEmitter::emit() {
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  M = dim(g.c, 0);
  N = dim(g.c, 1);
  K = dim(g.a, g.transA ? 0 : 1);
  Mp = alignUp(M, kBlock);
  Np = alignUp(N, kBlock);
  Kp = alignUp(K, kTileBytes);
  auto align = b.getI64IntegerAttr(64);
  int64_t dyn = ShapedType::kDynamic;
  Ap = memref::AllocOp::create(b, loc, MemRefType::get({dyn, dyn}, i8),
                               ValueRange{Mp, Kp}, align);
  Bp = memref::AllocOp::create(
      b, loc, MemRefType::get({dyn, dyn, kTileBytes}, i8),
      ValueRange{div(Np, kTileRows), div(Kp, kGroup)}, align);
  Cp = memref::AllocOp::create(b, loc, MemRefType::get({dyn, dyn}, i32),
                               ValueRange{Mp, Np}, align);
  // The padding multiplies as zeros.
  Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  linalg::FillOp::create(b, loc, zero, Ap);
  linalg::FillOp::create(b, loc, zero, Bp);
  packA();
  packB();
  emitBlocks();
  accumulate();
  for (Value buffer : {Ap, Bp, Cp})
    memref::DeallocOp::create(b, loc, buffer);
}

/// What makes two products share one kernel function.
struct KernelKey {
  FunctionType type;
  bool transA, transB, aSigned, bSigned;
  bool operator<(const KernelKey &o) const {
    const void *x = type.getAsOpaquePointer(), *y = o.type.getAsOpaquePointer();
    return std::tie(x, transA, transB, aSigned, bSigned) <
           std::tie(y, o.transA, o.transB, o.aSigned, o.bSigned);
  }
};

struct FQTAmxKernelsPass : fqt::impl::FQTAmxKernelsBase<FQTAmxKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::GenericOp, Gemm>> products;
    IRRewriter rewriter(&getContext());
    module.walk([&](linalg::GenericOp op) {
      Gemm g;
      if (succeeded(matchIntGemm(op, rewriter, g)))
        products.push_back({op, g});
    });
    if (products.empty())
      return;
    if (auto declared = module.lookupSymbol<func::FuncOp>(kAmxGateName);
        declared && declared.getFunctionType() !=
                        rewriter.getFunctionType({}, {rewriter.getI1Type()})) {
      declared.emitError() << "@" << kAmxGateName
                           << " must have the type () -> i1";
      return signalPassFailure();
    }
    func::FuncOp gate = getOrCreateGate(module);
    SymbolTable symbols(module);
    std::map<KernelKey, func::FuncOp> kernels;
    for (auto &[op, g] : products) {
      auto type = rewriter.getFunctionType(
          {g.a.getType(), g.b.getType(), g.c.getType()}, {});
      KernelKey key{type, g.transA, g.transB, g.aSigned, g.bSigned};
      func::FuncOp &kernel = kernels[key];
      if (!kernel)
        kernel = createKernel(module, symbols, op, g, type);
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      Value ready = func::CallOp::create(rewriter, loc, gate).getResult(0);
      auto branch = scf::IfOp::create(rewriter, loc, ready,
                                      /*withElseRegion=*/true);
      rewriter.setInsertionPointToStart(&branch.getThenRegion().front());
      func::CallOp::create(rewriter, loc, kernel, ValueRange{g.a, g.b, g.c});
      rewriter.moveOpBefore(op, branch.getElseRegion().front().getTerminator());
    }
  }

  func::FuncOp createKernel(ModuleOp module, SymbolTable &symbols,
                            linalg::GenericOp op, const Gemm &g,
                            FunctionType type) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = op.getLoc();
    auto kernel = func::FuncOp::create(b, loc, "fqt_amx_gemm", type);
    kernel.setPrivate();
    // The tiles are configured at the entry of the function that uses them:
    // inlined into its caller, that would run before the gate's check.
    kernel.setNoInline(true);
    kernel->setAttr("passthrough",
                    b.getArrayAttr({b.getStringAttr("noinline")}));
    // Compiled with the AMX features whatever the target's (the rest of the
    // program may be for a CPU without them): the check guards the calls.
    kernel->setAttr(
        "target_features",
        LLVM::TargetFeaturesAttr::get(
            b.getContext(), ArrayRef<StringRef>{"+amx-tile", "+amx-int8"}));
    symbols.insert(kernel);
    Block *body = kernel.addEntryBlock();
    b.setInsertionPointToStart(body);
    Gemm args = g;
    args.a = body->getArgument(0);
    args.b = body->getArgument(1);
    args.c = body->getArgument(2);
    AmxGemmEmitter(b, loc, args, parallel && gemmWork(g) >= minParallelWork)
        .emit();
    func::ReturnOp::create(b, loc);
    return kernel;
  }
};

} // namespace

//===- TileAndVectorize.cpp - register-blocked vector GEMM kernels --------===//
//
// Matrix products on buffers become packed, cache-blocked, register-blocked
// vector kernels, in the style of BLIS / oneDNN:
//
//   pack B into zero-padded panels Bp[nt][k][tileN]   (once per product)
//   for kb in K step tileK:                 reduction block (cache)
//    for mb in M step ~128:                 block of A (L2 resident)
//     for nt in N / tileN:                  one panel (L1 resident)
//       for m0 in mb.. step tileM:          register block
//         acc[tileM][tileN] = C[m0.., nt*tileN..]      (masked on N)
//         for k in kb..kb+tileK: acc += bcast(A[m, k]) * Bp[nt][k]
//         C[m0.., nt*tileN..] = acc                    (masked on N)
//       rows past the last full tileM block: the same with one row
//
// For integer products the inner step is a dot product over a group of
// k values (4 with vpdpbusd, 2 with vpmaddwd, 1 in the generic kernel), and
// both operands are packed so that one group is contiguous.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "GemmMatch.h"
#include "IndependentLoops.h"
#include "VectorTranspose.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

namespace fqt {
#define GEN_PASS_DEF_FQTTILEANDVECTORIZE
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

//===----------------------------------------------------------------------===//
// Target selection
//===----------------------------------------------------------------------===//

FailureOr<KernelOptions> fqt::selectKernelOptions(StringRef isa,
                                                  StringRef features) {
  llvm::StringMap<bool> enabled;
  if (features.empty()) {
    enabled = llvm::sys::getHostCPUFeatures();
  } else {
    SmallVector<StringRef> list;
    features.split(list, ',', -1, /*KeepEmpty=*/false);
    for (StringRef f : list) {
      f = f.trim();
      if (f.consume_front("+"))
        enabled[f] = true;
      else if (f.consume_front("-"))
        enabled[f] = false;
      else
        enabled[f] = true;
    }
  }
  auto has = [&](StringRef f) { return enabled.lookup(f); };

  KernelOptions options;
  options.vectorWidth = has("avx512f") ? 16 : has("avx") ? 8 : 4;
  options.amx = has("amx-int8") && has("amx-tile");
  if (isa == "auto") {
    if (has("avx512vnni") && has("avx512bw"))
      options.isa = IntKernelIsa::avx512vnni;
    else if (has("avx2"))
      options.isa = IntKernelIsa::avx2;
    else
      options.isa = IntKernelIsa::generic;
  } else if (isa == "avx512vnni") {
    options.isa = IntKernelIsa::avx512vnni;
  } else if (isa == "avx2") {
    options.isa = IntKernelIsa::avx2;
  } else if (isa == "generic") {
    options.isa = IntKernelIsa::generic;
  } else {
    return failure();
  }
  return options;
}

namespace {

//===----------------------------------------------------------------------===//
// Matching
//===----------------------------------------------------------------------===//

/// The linalg.fill with zero of `c` that the product `op` follows, with only
/// ops between them that touch no existing memory (constants, index
/// arithmetic, allocations); null otherwise.
static linalg::FillOp zeroFillBefore(Operation *op, Value c) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      Value value = fill.getInputs()[0];
      bool zero = matchPattern(value, m_AnyZeroFloat()) ||
                  matchPattern(value, m_Zero());
      return fill.getOutputs()[0] == c && zero ? fill : linalg::FillOp();
    }
    if (!isMemoryEffectFree(prev) && !isa<memref::AllocOp>(prev))
      return {};
  }
  return {};
}

/// Where the product follows a fill of its result with zeros, drops the
/// fill: the kernels start from zero (a memset and a load of C saved). Only
/// with a reduction of known, non-zero length, since an empty one would
/// leave C unwritten.
static void dropZeroFill(RewriterBase &rewriter, Operation *op, Gemm &g) {
  int64_t k = cast<MemRefType>(g.a.getType()).getDimSize(g.transA ? 0 : 1);
  if (ShapedType::isDynamic(k) || k == 0)
    return;
  if (linalg::FillOp fill = zeroFillBefore(op, g.c)) {
    g.zeroInit = true;
    rewriter.eraseOp(fill);
  }
}

//===----------------------------------------------------------------------===//
// Kernel generation
//===----------------------------------------------------------------------===//

/// What one inner step of the kernel computes.
struct KernelKind {
  Type accType;     // f32 or i32
  int64_t lanes;    // accumulator lanes per vector
  int64_t kGroup;   // k values per dot-product group
  Type packedType;  // element type of the packed panels
  IntKernelIsa isa; // for integer kernels
  bool isFloat;
  /// Shifts that make A unsigned and B signed for vpdpbusd (0 otherwise).
  int64_t alpha = 0, beta = 0;
};

class GemmEmitter {
public:
  GemmEmitter(RewriterBase &b, Location loc, const Gemm &g,
              const KernelOptions &o)
      : b(b), loc(loc), g(g), o(o) {}

  /// Narrows tile-n to the result's width (rounded up to whole vectors)
  /// where that is known, so that a 10-column product does not compute
  /// 24 columns.
  void fitTileN(int64_t lanes) {
    int64_t n = cast<MemRefType>(g.c.getType()).getDimSize(1);
    if (ShapedType::isDynamic(n))
      return;
    o.tileN = std::min<int64_t>(o.tileN, llvm::alignTo(n, lanes));
  }

  void emit();

private:
  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value dim(Value v, int64_t d) { return memref::DimOp::create(b, loc, v, d); }
  /// for iv in [lb, ub) step `step`: body(iv); an scf.parallel when the
  /// product runs on threads (the iterations must be independent).
  void loop(Value lb, Value ub, Value step,
            llvm::function_ref<void(Value)> body) {
    buildIndependentLoops(b, loc, ValueRange{lb}, ValueRange{ub},
                          ValueRange{step}, par,
                          [&](OpBuilder &, ValueRange ivs) { body(ivs[0]); });
  }
  Value minIdx(Value x, Value y) {
    return arith::MinSIOp::create(b, loc, x, y);
  }
  Value ceilDiv(Value x, int64_t d) {
    return arith::CeilDivSIOp::create(b, loc, x, cst(d));
  }
  /// Element (m, k) of A or (k, n) of B, honouring the transposition.
  Value loadA(Value m, Value k) {
    return g.transA ? memref::LoadOp::create(b, loc, g.a, ValueRange{k, m})
                    : memref::LoadOp::create(b, loc, g.a, ValueRange{m, k});
  }
  Value loadB(Value k, Value n) {
    return g.transB ? memref::LoadOp::create(b, loc, g.b, ValueRange{n, k})
                    : memref::LoadOp::create(b, loc, g.b, ValueRange{k, n});
  }
  /// An i8 code widened to `to`, signed or not, then shifted by `shift`.
  Value widen(Value code, bool isSigned, Type to, int64_t shift) {
    Value wide = isSigned
                     ? arith::ExtSIOp::create(b, loc, to, code).getResult()
                     : arith::ExtUIOp::create(b, loc, to, code).getResult();
    if (shift != 0)
      wide = arith::AddIOp::create(
          b, loc, wide,
          arith::ConstantOp::create(b, loc, b.getIntegerAttr(to, shift)));
    return wide;
  }
  /// V (an i8 code or a vector of them) moved by 128: x + 128 and x - 128
  /// are both x xor 0x80 in i8, mapping s8 to u8 and back.
  Value flipSign(Value v) {
    Type i8 = b.getI8Type();
    TypedAttr flip = b.getIntegerAttr(i8, -128);
    if (auto vec = dyn_cast<VectorType>(v.getType()))
      flip = DenseElementsAttr::get(vec, flip);
    return arith::XOrIOp::create(b, loc, v,
                                 arith::ConstantOp::create(b, loc, flip));
  }
  /// A code ready for a packed panel: f32 as is; integers widened to the
  /// packed type (i32 generic, i16 pmaddwd) or shifted in i8 (vpdpbusd).
  Value packValue(Value v, bool isSigned, int64_t shift) {
    if (kind.isFloat)
      return v;
    if (kind.packedType.getIntOrFloatBitWidth() == 8) {
      if (v.getType().getIntOrFloatBitWidth() < 8)
        v = widen(v, isSigned, kind.packedType, 0);
      return shift == 0 ? v : flipSign(v);
    }
    return widen(v, isSigned, kind.packedType, 0);
  }

  void packB();
  void packA();
  /// Vector forms of the packing and the sums, for contiguous rows of i8
  /// codes and the vpdpbusd layout (see canPackVectors).
  bool canPackVectors(Value operand) const;
  Value interleaveFour(Value src, Value row0, Value col0, Value cols,
                       int64_t shift);
  void packBRowsVectors();
  void packBColumnsVectors();
  void packARowsVectors();
  void packAColumnsVectors();
  Value lineSums(Value operand, Value lines, bool kIsRow, bool isSigned,
                 int64_t shift);
  Value maskFor(Value count, int64_t lanes);
  void emitRowSums();
  void emitKernel(int64_t rows, Value m0, Value nt, Value kb, Value kend,
                  bool masked);
  void emitPanel(Value nt, Value kb, Value kend, Value mStart, Value mEnd,
                 bool masked);
  Value step(Value acc, Value aScalar, Value bVector);
  Value broadcastA(Value m, Value kg);
  void emitCorrection();

  RewriterBase &b;
  Location loc;
  const Gemm &g;
  KernelOptions o;
  KernelKind kind;
  Value M, N, K, Kg, NT, Bp, Ap;
  /// Sums for the vpdpbusd shift correction.
  Value rowSumA, colSumB;
  VectorType accVec, bVec;
  /// Whether the loops over parallel dimensions are scf.parallel.
  bool par = false;
  /// Ap is [Kg][4 M] (groups of k major) instead of [M][4 Kg].
  bool apGroupsMajor = false;
};

//===----------------------------------------------------------------------===//
// Vector packing
//
// The scalar packing loops cost more than the product itself where one
// dimension is small and the reduction long (a convolution's weight
// gradient: 32 x 144 x 12544 spent 90 % of its time packing, one code at a
// time with an index division each). For contiguous rows of i8 codes and
// the vpdpbusd layout, the copies, the interleaving of B's groups of four
// rows and the line sums of the correction are vector code.
//===----------------------------------------------------------------------===//

bool GemmEmitter::canPackVectors(Value operand) const {
  return kind.isa == IntKernelIsa::avx512vnni && !kind.isFloat &&
         cast<MemRefType>(operand.getType()).getElementType().isInteger(8) &&
         isUnitStrideMatrix(operand);
}

Value GemmEmitter::maskFor(Value count, int64_t lanes) {
  // The first clamp(count, 0, lanes) lanes.
  Value n = arith::MaxSIOp::create(b, loc, minIdx(count, cst(lanes)), cst(0));
  return vector::CreateMaskOp::create(
      b, loc, VectorType::get({lanes}, b.getI1Type()), ValueRange{n});
}

Value GemmEmitter::interleaveFour(Value src, Value row0, Value col0,
                                  Value cols, int64_t shift) {
  // Rows row0..row0+3 (those before K) and columns col0..col0+15 (those
  // before col0 + cols) of SRC, each code moved by SHIFT (one xor), as
  // the 64 bytes out[4j + r] = src(row0 + r, col0 + j); codes outside stay
  // zero, so that padding multiplies as zero.
  Type i8 = b.getI8Type();
  auto rowType = VectorType::get({16}, i8);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(rowType));
  Value rowsLeft = arith::SubIOp::create(b, loc, K, row0);
  Value lastRow = arith::SubIOp::create(b, loc, K, cst(1));
  SmallVector<int64_t> pairs, quads;
  for (int64_t j = 0; j < 16; ++j)
    pairs.append({j, j + 16});
  for (int64_t j = 0; j < 16; ++j)
    quads.append({2 * j, 2 * j + 1, 32 + 2 * j, 32 + 2 * j + 1});
  SmallVector<Value> rows;
  for (int64_t r = 0; r < 4; ++r) {
    // Rows past K read nothing (an empty mask).
    Value inK = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                      rowsLeft, cst(r));
    Value count = arith::SelectOp::create(b, loc, inK, cols, cst(0));
    Value mask = maskFor(count, 16);
    Value row = minIdx(arith::AddIOp::create(b, loc, row0, cst(r)), lastRow);
    Value codes = vector::MaskedLoadOp::create(b, loc, rowType, src,
                                               ValueRange{row, col0}, mask,
                                               zero);
    if (shift != 0)
      codes = arith::SelectOp::create(b, loc, mask, flipSign(codes), zero);
    rows.push_back(codes);
  }
  Value low = vector::ShuffleOp::create(b, loc, rows[0], rows[1], pairs);
  Value high = vector::ShuffleOp::create(b, loc, rows[2], rows[3], pairs);
  return vector::ShuffleOp::create(b, loc, low, high, quads);
}

void GemmEmitter::packBRowsVectors() {
  // B stored [K, N]: per panel and group of four rows, 16 columns at a
  // time, Bp[nt][kg][4j + r] = B(4 kg + r, n0 + c + j).
  Value c0 = cst(0), c1 = cst(1), tn = cst(o.tileN);
  loop(c0, NT, c1, [&](Value nt) {
    Value n0 = arith::MulIOp::create(b, loc, nt, tn);
    Value cols = arith::SubIOp::create(b, loc, N, n0);
    scf::ForOp::create(
        b, loc, c0, Kg, c1, {},
        [&](OpBuilder &, Location, Value kg, ValueRange) {
          Value k0 = arith::MulIOp::create(b, loc, kg, cst(4));
          for (int64_t c = 0; c < o.tileN; c += 16) {
            Value packed = interleaveFour(
                g.b, k0, arith::AddIOp::create(b, loc, n0, cst(c)),
                arith::SubIOp::create(b, loc, cols, cst(c)), kind.beta);
            vector::StoreOp::create(b, loc, packed, Bp,
                                    ValueRange{nt, kg, cst(c * 4)});
          }
          scf::YieldOp::create(b, loc);
        });
  });
}

void GemmEmitter::packBColumnsVectors() {
  // B stored [N, K]: the four codes of a group of column n are one word of
  // its row, B(n, 4 kg .. 4 kg + 3). 16 rows of B, 64 codes (16 words) each,
  // are a 16 x 16 matrix of words; transposed, its rows are 16 groups of
  // the panel, Bp[nt][kg][4j .. 4j + 3] for 16 columns j. Bp has room for
  // whole blocks of 16 groups; past K and N the words are zero.
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto chunkType = VectorType::get({64}, i8);
  auto wordsType = VectorType::get({16}, i32);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(chunkType));
  Value c0 = cst(0), c1 = cst(1), tn = cst(o.tileN);
  Value lastRow = arith::SubIOp::create(b, loc, N, c1);
  loop(c0, NT, c1, [&](Value nt) {
    Value n0 = arith::MulIOp::create(b, loc, nt, tn);
    Value cols = arith::SubIOp::create(b, loc, N, n0);
    scf::ForOp::create(
        b, loc, c0, ceilDiv(Kg, 16), c1, {},
        [&](OpBuilder &, Location, Value block, ValueRange) {
          Value k0 = arith::MulIOp::create(b, loc, block, cst(64));
          Value kg0 = arith::MulIOp::create(b, loc, block, cst(16));
          Value kLeft = arith::SubIOp::create(b, loc, K, k0);
          for (int64_t c = 0; c < o.tileN; c += 16) {
            SmallVector<Value> rows;
            for (int64_t j = 0; j < 16; ++j) {
              Value inN = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sgt, cols, cst(c + j));
              Value count = arith::SelectOp::create(b, loc, inN, kLeft, c0);
              Value mask = maskFor(count, 64);
              Value row = minIdx(arith::AddIOp::create(b, loc, n0, cst(c + j)),
                                 lastRow);
              Value codes = vector::MaskedLoadOp::create(
                  b, loc, chunkType, g.b, ValueRange{row, k0}, mask, zero);
              if (kind.beta != 0)
                codes = arith::SelectOp::create(b, loc, mask, flipSign(codes),
                                                zero);
              rows.push_back(
                  vector::BitCastOp::create(b, loc, wordsType, codes));
            }
            SmallVector<Value> groups = transpose16(b, loc, rows);
            for (int64_t t = 0; t < 16; ++t)
              vector::StoreOp::create(
                  b, loc,
                  vector::BitCastOp::create(b, loc, chunkType, groups[t]), Bp,
                  ValueRange{nt, arith::AddIOp::create(b, loc, kg0, cst(t)),
                             cst(c * 4)});
          }
          scf::YieldOp::create(b, loc);
        });
  });
}

void GemmEmitter::packAColumnsVectors() {
  // A stored [K, M]: Ap in k-group-major order, Ap[kg][4m + r] =
  // A(4 kg + r, m), the same interleaving as B's; the kernel reads the
  // word of row m in group kg at Ap[kg][4m], next to the other rows'.
  Value c0 = cst(0), c1 = cst(1);
  Value blocks = ceilDiv(M, 16);
  loop(c0, Kg, c1, [&](Value kg) {
    Value k0 = arith::MulIOp::create(b, loc, kg, cst(4));
    scf::ForOp::create(
        b, loc, c0, blocks, c1, {},
        [&](OpBuilder &, Location, Value block, ValueRange) {
          Value m0 = arith::MulIOp::create(b, loc, block, cst(16));
          Value packed =
              interleaveFour(g.a, k0, m0, arith::SubIOp::create(b, loc, M, m0),
                             kind.alpha);
          vector::StoreOp::create(
              b, loc, packed, Ap,
              ValueRange{kg, arith::MulIOp::create(b, loc, m0, cst(4))});
          scf::YieldOp::create(b, loc);
        });
  });
}

void GemmEmitter::packARowsVectors() {
  // A stored [M, K]: each row copied 64 codes at a time (shifted by alpha
  // as one xor), the padding past K left zero.
  Type i8 = b.getI8Type();
  auto chunkType = VectorType::get({64}, i8);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(chunkType));
  Value c0 = cst(0), c1 = cst(1);
  loop(c0, M, c1, [&](Value m) {
    scf::ForOp::create(
        b, loc, c0, K, cst(64), {},
        [&](OpBuilder &, Location, Value k, ValueRange) {
          Value mask = maskFor(arith::SubIOp::create(b, loc, K, k), 64);
          Value chunk = vector::MaskedLoadOp::create(
              b, loc, chunkType, g.a, ValueRange{m, k}, mask, zero);
          if (kind.alpha != 0)
            chunk = flipSign(chunk);
          vector::MaskedStoreOp::create(b, loc, Ap, ValueRange{m, k}, mask,
                                        chunk);
          scf::YieldOp::create(b, loc);
        });
  });
}

Value GemmEmitter::lineSums(Value operand, Value lines, bool kIsRow,
                            bool isSigned, int64_t shift) {
  // sums[i] = sum_k (x(i, k) + shift) in i32, for `lines` lines i of an
  // operand stored with k as its row index (kIsRow: [K, lines]) or its
  // column index ([lines, K]).
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto sums = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, i32), ValueRange{lines});
  Value c0 = cst(0), c1 = cst(1);
  Value kShift = arith::MulIOp::create(
      b, loc, arith::IndexCastOp::create(b, loc, i32, K),
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(shift)));
  auto widen = [&](Value v, VectorType to) -> Value {
    return isSigned ? arith::ExtSIOp::create(b, loc, to, v).getResult()
                    : arith::ExtUIOp::create(b, loc, to, v).getResult();
  };
  if (kIsRow) {
    // 16 lines at a time, one row of k after the other.
    auto codes = VectorType::get({16}, i8), wide = VectorType::get({16}, i32);
    Value zero8 = arith::ConstantOp::create(b, loc, b.getZeroAttr(codes));
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(wide));
    loop(c0, ceilDiv(lines, 16), c1, [&](Value block) {
      Value i0 = arith::MulIOp::create(b, loc, block, cst(16));
      Value mask = maskFor(arith::SubIOp::create(b, loc, lines, i0), 16);
      auto sum = scf::ForOp::create(
          b, loc, c0, K, c1, ValueRange{zero},
          [&](OpBuilder &, Location, Value k, ValueRange acc) {
            Value row = vector::MaskedLoadOp::create(
                b, loc, codes, operand, ValueRange{k, i0}, mask, zero8);
            scf::YieldOp::create(
                b, loc,
                ValueRange{arith::AddIOp::create(b, loc, acc[0],
                                                 widen(row, wide))});
          });
      Value total = arith::AddIOp::create(
          b, loc, sum.getResult(0),
          vector::BroadcastOp::create(b, loc, wide, kShift));
      vector::MaskedStoreOp::create(b, loc, sums, ValueRange{i0}, mask,
                                    total);
    });
    return sums;
  }
  // One line at a time, 64 k at a time, reduced at the end.
  auto codes = VectorType::get({64}, i8), wide = VectorType::get({64}, i32);
  Value zero8 = arith::ConstantOp::create(b, loc, b.getZeroAttr(codes));
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(wide));
  loop(c0, lines, c1, [&](Value i) {
    auto sum = scf::ForOp::create(
        b, loc, c0, K, cst(64), ValueRange{zero},
        [&](OpBuilder &, Location, Value k, ValueRange acc) {
          Value mask = maskFor(arith::SubIOp::create(b, loc, K, k), 64);
          Value chunk = vector::MaskedLoadOp::create(
              b, loc, codes, operand, ValueRange{i, k}, mask, zero8);
          scf::YieldOp::create(
              b, loc,
              ValueRange{
                  arith::AddIOp::create(b, loc, acc[0], widen(chunk, wide))});
        });
    Value total = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::ADD, sum.getResult(0));
    memref::StoreOp::create(b, loc,
                            arith::AddIOp::create(b, loc, total, kShift), sums,
                            ValueRange{i});
  });
  return sums;
}

void GemmEmitter::packB() {
  // Bp[nt][kg][j * kGroup + kk] = B(kg * kGroup + kk, nt * tileN + j), zero
  // where the indices run past K or N.
  int64_t width = o.tileN * kind.kGroup;
  auto type = MemRefType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, width}, kind.packedType);
  // The transposed vector packing writes whole blocks of 16 groups.
  Value groups =
      g.transB && canPackVectors(g.b)
          ? arith::MulIOp::create(b, loc, ceilDiv(Kg, 16), cst(16)).getResult()
          : Kg;
  Bp = memref::AllocOp::create(b, loc, type, ValueRange{NT, groups},
                               b.getI64IntegerAttr(64));
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(kind.packedType));
  if (canPackVectors(g.b)) {
    // Every byte is stored (zeros past N and K): no fill.
    if (g.transB)
      packBColumnsVectors();
    else
      packBRowsVectors();
    return;
  }
  linalg::FillOp::create(b, loc, zero, Bp);
  Value c0 = cst(0), c1 = cst(1), tn = cst(o.tileN), grp = cst(kind.kGroup);
  loop(c0, NT, c1, [&](Value nt) {
    Value n0 = arith::MulIOp::create(b, loc, nt, tn);
    Value cols = minIdx(tn, arith::SubIOp::create(b, loc, N, n0));
    auto body = [&](Value k, Value j) {
      Value n = arith::AddIOp::create(b, loc, n0, j);
      Value v = packValue(loadB(k, n), g.bSigned, kind.beta);
      Value kg = arith::DivUIOp::create(b, loc, k, grp);
      Value kk = arith::RemUIOp::create(b, loc, k, grp);
      Value col = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, j, grp), kk);
      memref::StoreOp::create(b, loc, v, Bp, ValueRange{nt, kg, col});
    };
    // Walk the source in memory order.
    if (g.transB) {
      scf::ForOp::create(b, loc, c0, cols, c1, {},
                         [&](OpBuilder &, Location, Value j, ValueRange) {
                           scf::ForOp::create(
                               b, loc, c0, K, c1, {},
                               [&](OpBuilder &, Location, Value k, ValueRange) {
                                 body(k, j);
                                 scf::YieldOp::create(b, loc);
                               });
                           scf::YieldOp::create(b, loc);
                         });
    } else {
      scf::ForOp::create(b, loc, c0, K, c1, {},
                         [&](OpBuilder &, Location, Value k, ValueRange) {
                           scf::ForOp::create(
                               b, loc, c0, cols, c1, {},
                               [&](OpBuilder &, Location, Value j, ValueRange) {
                                 body(k, j);
                                 scf::YieldOp::create(b, loc);
                               });
                           scf::YieldOp::create(b, loc);
                         });
    }
  });
}

void GemmEmitter::packA() {
  // Ap[m][kg * kGroup + kk] = A(m, kg * kGroup + kk), zero past K, so that
  // one group is one i32 word to broadcast.
  auto type = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                              kind.packedType);
  if (g.transA && canPackVectors(g.a)) {
    // Every byte is stored (zeros past M and K): no fill.
    apGroupsMajor = true;
    Value width = arith::MulIOp::create(b, loc, ceilDiv(M, 16), cst(64));
    Ap = memref::AllocOp::create(b, loc, type, ValueRange{Kg, width},
                                 b.getI64IntegerAttr(64));
    packAColumnsVectors();
    return;
  }
  Value width = arith::MulIOp::create(b, loc, Kg, cst(kind.kGroup));
  Ap = memref::AllocOp::create(b, loc, type, ValueRange{M, width},
                               b.getI64IntegerAttr(64));
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(kind.packedType));
  linalg::FillOp::create(b, loc, zero, Ap);
  if (!g.transA && canPackVectors(g.a)) {
    packARowsVectors();
    return;
  }
  Value c0 = cst(0), c1 = cst(1);
  Value outer = g.transA ? K : M, inner = g.transA ? M : K;
  loop(c0, outer, c1, [&](Value i) {
    scf::ForOp::create(
        b, loc, c0, inner, c1, {},
        [&](OpBuilder &, Location, Value j, ValueRange) {
          Value m = g.transA ? j : i, k = g.transA ? i : j;
          Value v = packValue(loadA(m, k), g.aSigned, kind.alpha);
          memref::StoreOp::create(b, loc, v, Ap, ValueRange{m, k});
          scf::YieldOp::create(b, loc);
        });
  });
}

/// The left operand's element (m, kg) broadcast to a vector the step can use.
Value GemmEmitter::broadcastA(Value m, Value k) {
  if (kind.isFloat)
    return vector::BroadcastOp::create(b, loc, accVec, loadA(m, k));
  if (kind.kGroup == 1) {
    Value wide = widen(loadA(m, k), g.aSigned, b.getI32Type(), 0);
    return vector::BroadcastOp::create(b, loc, accVec, wide);
  }
  // One group of kGroup narrow codes as one i32 word, broadcast and viewed
  // as narrow lanes again.
  auto groupType = VectorType::get({kind.kGroup}, kind.packedType);
  Value group =
      apGroupsMajor
          ? vector::LoadOp::create(
                b, loc, groupType, Ap,
                ValueRange{k, arith::MulIOp::create(b, loc, m,
                                                    cst(kind.kGroup))})
          : vector::LoadOp::create(
                b, loc, groupType, Ap,
                ValueRange{m,
                           arith::MulIOp::create(b, loc, k, cst(kind.kGroup))});
  Value word = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), group);
  Value splat = vector::BroadcastOp::create(b, loc, accVec, word);
  return vector::BitCastOp::create(b, loc, bVec, splat);
}

Value GemmEmitter::step(Value acc, Value a, Value bv) {
  if (kind.isFloat)
    return vector::FMAOp::create(b, loc, a, bv, acc);
  switch (kind.isa) {
  case IntKernelIsa::avx512vnni:
    // acc[i] += sum_{j<4} u8(a[4i+j]) * s8(b[4i+j]), exact in i32.
    return LLVM::CallIntrinsicOp::create(
               b, loc, accVec, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
               ValueRange{acc, a, bv})
        .getResult(0);
  case IntKernelIsa::avx2: {
    // vpmaddwd: acc[i] += a[2i] * b[2i] + a[2i+1] * b[2i+1] on s16 lanes.
    Value dot = LLVM::CallIntrinsicOp::create(
                    b, loc, accVec, b.getStringAttr("llvm.x86.avx2.pmadd.wd"),
                    ValueRange{a, bv})
                    .getResult(0);
    return arith::AddIOp::create(b, loc, acc, dot);
  }
  case IntKernelIsa::generic:
    return arith::AddIOp::create(b, loc, acc,
                                 arith::MulIOp::create(b, loc, a, bv));
  }
  return acc;
}

void GemmEmitter::emitKernel(int64_t rows, Value m0, Value nt, Value kb,
                             Value kend, bool masked) {
  int64_t nv = o.tileN / kind.lanes;
  Value n0 = arith::MulIOp::create(b, loc, nt, cst(o.tileN));
  Value left = arith::SubIOp::create(b, loc, N, n0);
  auto maskType = VectorType::get({kind.lanes}, b.getI1Type());
  SmallVector<Value> masks, cols;
  for (int64_t j = 0; j < nv; ++j) {
    Value off = cst(j * kind.lanes);
    if (masked)
      masks.push_back(vector::CreateMaskOp::create(
          b, loc, maskType,
          ValueRange{arith::SubIOp::create(b, loc, left, off)}));
    cols.push_back(arith::AddIOp::create(b, loc, n0, off));
  }
  SmallVector<Value> rowIdx;
  for (int64_t r = 0; r < rows; ++r)
    rowIdx.push_back(arith::AddIOp::create(b, loc, m0, cst(r)));
  Value zeroVec = arith::ConstantOp::create(b, loc, b.getZeroAttr(accVec));
  SmallVector<Value> loaded;
  auto loadC = [&] {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < nv; ++j)
        loaded.push_back(
            masked ? vector::MaskedLoadOp::create(
                         b, loc, accVec, g.c, ValueRange{rowIdx[r], cols[j]},
                         masks[j], zeroVec)
                         .getResult()
                   : vector::LoadOp::create(b, loc, accVec, g.c,
                                            ValueRange{rowIdx[r], cols[j]})
                         .getResult());
  };
  SmallVector<Value> init;
  if (g.zeroInit) {
    // C holds no sums yet: the first reduction block starts from zero.
    Value first =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, kb, cst(0));
    SmallVector<Type> types(rows * nv, accVec);
    auto start = scf::IfOp::create(b, loc, types, first, /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&start.getThenRegion().front());
    scf::YieldOp::create(b, loc, SmallVector<Value>(rows * nv, zeroVec));
    b.setInsertionPointToStart(&start.getElseRegion().front());
    loadC();
    scf::YieldOp::create(b, loc, loaded);
    init.assign(start.getResults().begin(), start.getResults().end());
  } else {
    loadC();
    init = loaded;
  }
  auto loop = scf::ForOp::create(
      b, loc, kb, kend, cst(1), init,
      [&](OpBuilder &, Location, Value k, ValueRange acc) {
        SmallVector<Value> bv;
        for (int64_t j = 0; j < nv; ++j)
          bv.push_back(vector::LoadOp::create(
              b, loc, bVec, Bp,
              ValueRange{nt, k, cst(j * kind.lanes * kind.kGroup)}));
        SmallVector<Value> next;
        for (int64_t r = 0; r < rows; ++r) {
          Value a = broadcastA(rowIdx[r], k);
          for (int64_t j = 0; j < nv; ++j)
            next.push_back(step(acc[r * nv + j], a, bv[j]));
        }
        scf::YieldOp::create(b, loc, next);
      });
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < nv; ++j)
      if (masked)
        vector::MaskedStoreOp::create(b, loc, g.c,
                                      ValueRange{rowIdx[r], cols[j]}, masks[j],
                                      loop.getResult(r * nv + j));
      else
        vector::StoreOp::create(b, loc, loop.getResult(r * nv + j), g.c,
                                ValueRange{rowIdx[r], cols[j]});
}

void GemmEmitter::emitRowSums() {
  // rowSumA[m] = sum_k (a + alpha) (for beta), colSumB[n] = sum_k (b - beta)
  // (for alpha), both exact in i32.
  Type i32 = b.getI32Type();
  Value c0 = cst(0), c1 = cst(1);
  Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  auto vecType = MemRefType::get({ShapedType::kDynamic}, i32);
  if (kind.beta != 0 && canPackVectors(g.a)) {
    rowSumA = lineSums(g.a, M, /*kIsRow=*/g.transA, g.aSigned, kind.alpha);
  } else if (kind.beta != 0) {
    rowSumA = memref::AllocOp::create(b, loc, vecType, ValueRange{M});
    loop(c0, M, c1, [&](Value m) {
      auto sum = scf::ForOp::create(
          b, loc, c0, K, c1, ValueRange{zero},
          [&](OpBuilder &, Location, Value k, ValueRange acc) {
            Value v = widen(loadA(m, k), g.aSigned, i32, kind.alpha);
            scf::YieldOp::create(
                b, loc, ValueRange{arith::AddIOp::create(b, loc, acc[0], v)});
          });
      memref::StoreOp::create(b, loc, sum.getResult(0), rowSumA, m);
    });
  }
  if (kind.alpha != 0 && canPackVectors(g.b)) {
    colSumB = lineSums(g.b, N, /*kIsRow=*/!g.transB, g.bSigned, -kind.beta);
  } else if (kind.alpha != 0) {
    colSumB = memref::AllocOp::create(b, loc, vecType, ValueRange{N});
    loop(c0, N, c1, [&](Value n) {
      auto sum = scf::ForOp::create(
          b, loc, c0, K, c1, ValueRange{zero},
          [&](OpBuilder &, Location, Value k, ValueRange acc) {
            Value v = widen(loadB(k, n), g.bSigned, i32, -kind.beta);
            scf::YieldOp::create(
                b, loc, ValueRange{arith::AddIOp::create(b, loc, acc[0], v)});
          });
      memref::StoreOp::create(b, loc, sum.getResult(0), colSumB, n);
    });
  }
}

void GemmEmitter::emitCorrection() {
  // With a = a_u - alpha and b = b_s + beta, the kernel summed a_u * b_s:
  //   sum_k a b = sum_k a_u b_s + beta sum_k a_u - alpha sum_k b_s
  //               - alpha beta K.
  if (kind.alpha == 0 && kind.beta == 0)
    return;
  Type i32 = b.getI32Type();
  Value c0 = cst(0), c1 = cst(1);
  Value kI32 = arith::IndexCastOp::create(b, loc, i32, K);
  Value constant = arith::MulIOp::create(
      b, loc, kI32,
      arith::ConstantOp::create(b, loc,
                                b.getI32IntegerAttr(-kind.alpha * kind.beta)));
  Value alpha =
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(-kind.alpha));
  Value beta =
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(kind.beta));
  loop(c0, M, c1, [&](Value m) {
    Value rowTerm = constant;
    if (rowSumA)
      rowTerm = arith::AddIOp::create(
          b, loc, rowTerm,
          arith::MulIOp::create(b, loc, beta,
                                memref::LoadOp::create(b, loc, rowSumA, m)));
    // A vector of the row at a time: as scalar code LLVM fully unrolls a
    // short row (16 columns) and vectorizes over rows with gathers and
    // scatters.
    int64_t lanes = accVec.getNumElements();
    auto i32Vec = VectorType::get({lanes}, i32);
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(i32Vec));
    Value rowTerms = vector::BroadcastOp::create(b, loc, i32Vec, rowTerm);
    Value alphas = vector::BroadcastOp::create(b, loc, i32Vec, alpha);
    scf::ForOp::create(
        b, loc, c0, N, cst(lanes), {},
        [&](OpBuilder &, Location, Value n, ValueRange) {
          Value mask = maskFor(arith::SubIOp::create(b, loc, N, n), lanes);
          Value v = vector::MaskedLoadOp::create(b, loc, i32Vec, g.c,
                                                 ValueRange{m, n}, mask, zero);
          Value term = rowTerms;
          if (colSumB)
            term = arith::AddIOp::create(
                b, loc, term,
                arith::MulIOp::create(
                    b, loc, alphas,
                    vector::MaskedLoadOp::create(b, loc, i32Vec, colSumB,
                                                 ValueRange{n}, mask, zero)));
          vector::MaskedStoreOp::create(b, loc, g.c, ValueRange{m, n}, mask,
                                        arith::AddIOp::create(b, loc, v, term));
          scf::YieldOp::create(b, loc);
        });
  });
}

void GemmEmitter::emitPanel(Value nt, Value kb, Value kend, Value mStart,
                            Value mEnd, bool masked) {
  // Rows of [mStart, mEnd) in full tileM blocks, then one at a time.
  Value tm = cst(o.tileM);
  Value rows = arith::SubIOp::create(b, loc, mEnd, mStart);
  Value mFull = arith::AddIOp::create(
      b, loc, mStart,
      arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, rows, tm),
                            tm));
  scf::ForOp::create(b, loc, mStart, mFull, tm, {},
                     [&](OpBuilder &, Location, Value m0, ValueRange) {
                       emitKernel(o.tileM, m0, nt, kb, kend, masked);
                       scf::YieldOp::create(b, loc);
                     });
  scf::ForOp::create(b, loc, mFull, mEnd, cst(1), {},
                     [&](OpBuilder &, Location, Value m, ValueRange) {
                       emitKernel(1, m, nt, kb, kend, masked);
                       scf::YieldOp::create(b, loc);
                     });
}

void GemmEmitter::emit() {
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  if (!g.isInt) {
    kind = {b.getF32Type(), o.vectorWidth,         1,
            b.getF32Type(), IntKernelIsa::generic, true};
  } else {
    switch (o.isa) {
    case IntKernelIsa::avx512vnni:
      // vpdpbusd multiplies unsigned bytes of A by signed bytes of B: signed
      // A codes move up by 128 (alpha), unsigned B codes down by 128 (beta),
      // and emitCorrection() takes the shifts out of the i32 result.
      kind = {i32, 16, 4, i8, o.isa, false};
      kind.alpha = g.aSigned ? 128 : 0;
      kind.beta = g.bSigned ? 0 : 128;
      break;
    case IntKernelIsa::avx2:
      // Both operands widened to s16 (exact for signed and unsigned codes);
      // vpmaddwd sums pairs into i32.
      kind = {i32, 8, 2, i16, o.isa, false};
      break;
    case IntKernelIsa::generic:
      kind = {i32, o.vectorWidth, 1, i32, o.isa, false};
      break;
    }
  }
  fitTileN(kind.lanes);
  // Threads pay off for products of at least minParallelWork multiply-adds
  // (any product of a dynamic size).
  par = o.parallel && gemmWork(g) >= o.minParallelWork;
  accVec = VectorType::get({kind.lanes}, kind.accType);
  bVec = VectorType::get({kind.lanes * kind.kGroup}, kind.packedType);

  M = dim(g.c, 0);
  N = dim(g.c, 1);
  K = dim(g.a, g.transA ? 0 : 1);
  Kg = ceilDiv(K, kind.kGroup);
  NT = ceilDiv(N, o.tileN);
  packB();
  if (kind.kGroup > 1)
    packA();
  emitRowSums();

  Value c0 = cst(0), c1 = cst(1);
  // tile-k counts f32 values; a block holds as many bytes of narrower
  // packed codes (4x the k of i8 for vpdpbusd, 2x of i16 for vpmaddwd), so
  // that the integer kernels reload their accumulators as rarely as the f32
  // one (measured at 1024^3 with vpdpbusd: 483 GOPS with 256 k per block,
  // 531 with 1024).
  int64_t packedBytes = kind.packedType.getIntOrFloatBitWidth() / 8;
  int64_t kcGroups =
      std::max<int64_t>(1, o.tileK * 4 / packedBytes / kind.kGroup);
  Value kc = cst(kcGroups);
  // Rows of A per cache block: about 128, in whole register blocks, so that
  // a tile-k x 128 block of A stays in L2 while the panels of B go by.
  Value mc = cst(std::max<int64_t>(1, 128 / o.tileM) * o.tileM);
  int64_t n = cast<MemRefType>(g.c.getType()).getDimSize(1);
  // Rows [mb, mEnd) of panel nt over the reduction block [kb, kend).
  auto panel = [&](Value nt, Value kb, Value kend, Value mb, Value mEnd) {
    // Panels that fill tile-n columns of the result read and write it with
    // plain vector loads and stores; only the last one may need masks.
    if (!ShapedType::isDynamic(n) && n % o.tileN == 0) {
      emitPanel(nt, kb, kend, mb, mEnd, /*masked=*/false);
    } else if (!ShapedType::isDynamic(n) && n < o.tileN) {
      emitPanel(nt, kb, kend, mb, mEnd, /*masked=*/true);
    } else {
      Value end = arith::MulIOp::create(
          b, loc, arith::AddIOp::create(b, loc, nt, c1), cst(o.tileN));
      Value full =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, end, N);
      scf::IfOp::create(
          b, loc, full,
          [&](OpBuilder &, Location) {
            emitPanel(nt, kb, kend, mb, mEnd, /*masked=*/false);
            scf::YieldOp::create(b, loc);
          },
          [&](OpBuilder &, Location) {
            emitPanel(nt, kb, kend, mb, mEnd, /*masked=*/true);
            scf::YieldOp::create(b, loc);
          });
    }
  };
  auto forLoop = [&](Value lb, Value ub, Value step,
                     llvm::function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lb, ub, step, {},
                       [&](OpBuilder &, Location, Value iv, ValueRange) {
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  };
  forLoop(c0, Kg, kc, [&](Value kb) {
    Value kend = minIdx(arith::AddIOp::create(b, loc, kb, kc), Kg);
    if (par) {
      // One task per block of the result (mc rows, one panel) and block of
      // the reduction: the tasks of one reduction block write disjoint
      // blocks of C, and the reduction blocks follow each other in order of
      // k as in the serial loops (one fork per tile-k of the reduction), so
      // every thread count gives the same bits. Tasks of one row block are
      // adjacent in the static schedule and share its rows of A.
      scf::ParallelOp::create(
          b, loc, ValueRange{c0, c0}, ValueRange{M, NT}, ValueRange{mc, c1},
          [&](OpBuilder &, Location, ValueRange ivs) {
            Value mb = ivs[0], nt = ivs[1];
            Value mEnd = minIdx(arith::AddIOp::create(b, loc, mb, mc), M);
            panel(nt, kb, kend, mb, mEnd);
          });
      return;
    }
    forLoop(c0, M, mc, [&](Value mb) {
      Value mEnd = minIdx(arith::AddIOp::create(b, loc, mb, mc), M);
      forLoop(c0, NT, c1, [&](Value nt) { panel(nt, kb, kend, mb, mEnd); });
    });
  });
  emitCorrection();
  for (Value buffer : {Bp, Ap, rowSumA, colSumB})
    if (buffer)
      memref::DeallocOp::create(b, loc, buffer);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

static LogicalResult checkOptions(PatternRewriter &rewriter, Operation *op,
                                  const KernelOptions &o, int64_t lanes) {
  if (o.tileM < 1 || o.tileK < 1 || o.tileN < lanes || o.tileN % lanes != 0)
    return rewriter.notifyMatchFailure(
        op, "tile-n must be a positive multiple of the vector width");
  return success();
}

struct VectorizeF32Matmul : OpRewritePattern<linalg::MatmulOp> {
  VectorizeF32Matmul(MLIRContext *ctx, const KernelOptions &o)
      : OpRewritePattern(ctx, /*benefit=*/2), o(o) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Gemm g;
    if (failed(matchGemmOperands(op, rewriter, g)))
      return failure();
    for (Value v : {g.a, g.b, g.c})
      if (!cast<MemRefType>(v.getType()).getElementType().isF32())
        return rewriter.notifyMatchFailure(op, "not f32 matrices");
    if (!isUnitStrideMatrix(g.c))
      return rewriter.notifyMatchFailure(op, "result rows not contiguous");
    if (failed(checkOptions(rewriter, op, o, o.vectorWidth)))
      return failure();
    dropZeroFill(rewriter, op, g);
    rewriter.setInsertionPoint(op);
    GemmEmitter(rewriter, op.getLoc(), g, o).emit();
    rewriter.eraseOp(op);
    return success();
  }

  KernelOptions o;
};

struct VectorizeIntContraction : OpRewritePattern<linalg::GenericOp> {
  // Before the generic reduction vectorizer, which also matches contractions
  // whose operands are contiguous along k.
  VectorizeIntContraction(MLIRContext *ctx, const KernelOptions &o)
      : OpRewritePattern(ctx, /*benefit=*/2), o(o) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    Gemm g;
    if (failed(matchIntGemm(op, rewriter, g)))
      return failure();
    int64_t lanes = o.isa == IntKernelIsa::avx512vnni ? 16
                    : o.isa == IntKernelIsa::avx2     ? 8
                                                      : o.vectorWidth;
    if (failed(checkOptions(rewriter, op, o, lanes)))
      return failure();
    dropZeroFill(rewriter, op, g);
    rewriter.setInsertionPoint(op);
    GemmEmitter(rewriter, op.getLoc(), g, o).emit();
    rewriter.eraseOp(op);
    return success();
  }

  KernelOptions o;
};

struct FQTTileAndVectorizePass
    : fqt::impl::FQTTileAndVectorizeBase<FQTTileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<KernelOptions> selected = selectKernelOptions(isa, cpuFeatures);
    if (failed(selected)) {
      getOperation().emitError()
          << "unknown isa '" << isa
          << "'; expected auto, avx512vnni, avx2 or generic";
      return signalPassFailure();
    }
    KernelOptions options = *selected;
    // Rows x 3 vectors of accumulators, plus the right operand's vectors
    // and a broadcast: 8 rows (24 + 4 registers) fill AVX-512's 32 vector
    // registers (at 1024^3 with vpdpbusd, 540 GOPS against 459 with 4
    // rows), 4 rows AVX2's 16.
    options.tileM = tileM > 0 ? tileM : options.vectorWidth >= 16 ? 8 : 4;
    options.tileK = tileK;
    options.parallel = parallel;
    options.minParallelWork = minParallelWork;
    // The integer kernels' lanes may differ from the f32 ones: take the
    // wider so that one tile-n fits both.
    int64_t lanes = std::max<int64_t>(
        options.vectorWidth, options.isa == IntKernelIsa::avx512vnni ? 16 : 8);
    options.tileN = tileN > 0 ? tileN : 3 * lanes;
    if (options.tileN % lanes != 0 || tileM < 0 || options.tileK < 1) {
      getOperation().emitError() << "tile-n must be a multiple of " << lanes
                                 << " and tile-m, tile-k positive";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateTileAndVectorizePatterns(patterns, options);
    // The kernels are loops that no later pattern rewrites: one walk.
    GreedyRewriteConfig config;
    config.setMaxIterations(1);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);
  }
};

} // namespace

void fqt::populateTileAndVectorizePatterns(RewritePatternSet &patterns,
                                           const KernelOptions &options) {
  patterns.add<VectorizeF32Matmul, VectorizeIntContraction>(
      patterns.getContext(), options);
}

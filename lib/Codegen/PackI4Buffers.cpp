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
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace fqt {
#define GEN_PASS_DEF_FQTPACKI4BUFFERS
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

static bool isI4Buffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getElementType().isInteger(4);
}

/// Why an i4 buffer type cannot be packed, or empty if it can.
static StringRef unpackableReason(MemRefType type) {
  if (type.getRank() == 0)
    return "it has rank 0";
  if (type.isDynamicDim(type.getRank() - 1))
    return "its innermost dimension is dynamic";
  if (!type.getLayout().isIdentity())
    return "its layout is not the identity";
  return {};
}

/// memref<d0 x ... x dn x i4> -> memref<d0 x ... x ceil(dn/2) x i8>.
static MemRefType packedType(MemRefType type) {
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = (shape.back() + 1) / 2;
  return MemRefType::get(shape, IntegerType::get(type.getContext(), 8),
                         MemRefLayoutAttrInterface(), type.getMemorySpace());
}

class PackedTypeConverter : public TypeConverter {
public:
  PackedTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](MemRefType type) -> std::optional<Type> {
      if (!type.getElementType().isInteger(4))
        return type;
      if (!unpackableReason(type).empty())
        return std::nullopt;
      return packedType(type);
    });
  }
};

/// The byte index and the nibble's shift (0 or 4, as i8) of logical index
/// `j` of the innermost dimension.
static std::pair<Value, Value> bytePosition(OpBuilder &b, Location loc,
                                            Value j) {
  Value two = arith::ConstantIndexOp::create(b, loc, 2);
  Value byte = arith::DivUIOp::create(b, loc, j, two);
  Value odd = arith::RemUIOp::create(b, loc, j, two);
  Type i8 = b.getI8Type();
  Value shift = arith::MulIOp::create(
      b, loc, arith::IndexCastUIOp::create(b, loc, i8, odd),
      arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 4)));
  return {byte, shift};
}

template <typename AllocLikeOp>
struct PackAlloc : OpConversionPattern<AllocLikeOp> {
  using OpConversionPattern<AllocLikeOp>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AllocLikeOp op, typename AllocLikeOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = dyn_cast_or_null<MemRefType>(
        this->getTypeConverter()->convertType(op.getType()));
    if (!type)
      return rewriter.notifyMatchFailure(op, "buffer type cannot be packed");
    // Only the innermost size changes, and it is static: the dynamic sizes
    // stay as they are.
    rewriter.replaceOpWithNewOp<AllocLikeOp>(op, type, adaptor.getDynamicSizes(),
                                             adaptor.getSymbolOperands(),
                                             op.getAlignmentAttr());
    return success();
  }
};

struct PackDealloc : OpConversionPattern<memref::DeallocOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::DeallocOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<memref::DeallocOp>(op, adaptor.getMemref());
    return success();
  }
};

struct PackLoad : OpConversionPattern<memref::LoadOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> indices(adaptor.getIndices());
    auto [byte, shift] = bytePosition(rewriter, loc, indices.back());
    indices.back() = byte;
    Value word =
        memref::LoadOp::create(rewriter, loc, adaptor.getMemref(), indices);
    Value nibble = arith::ShRUIOp::create(rewriter, loc, word, shift);
    rewriter.replaceOpWithNewOp<arith::TruncIOp>(op, op.getType(), nibble);
    return success();
  }
};

struct PackStore : OpConversionPattern<memref::StoreOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type i8 = rewriter.getI8Type();
    SmallVector<Value> indices(adaptor.getIndices());
    auto [byte, shift] = bytePosition(rewriter, loc, indices.back());
    indices.back() = byte;
    Value memref = adaptor.getMemref();
    Value old = memref::LoadOp::create(rewriter, loc, memref, indices);
    // Keep the other nibble, put the new one in place.
    Value mask = arith::ShLIOp::create(
        rewriter, loc,
        arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(i8, 15)),
        shift);
    Value keep = arith::AndIOp::create(
        rewriter, loc, old,
        arith::XOrIOp::create(
            rewriter, loc, mask,
            arith::ConstantOp::create(rewriter, loc,
                                      rewriter.getIntegerAttr(i8, -1))));
    Value nibble = arith::ShLIOp::create(
        rewriter, loc, arith::ExtUIOp::create(rewriter, loc, i8, adaptor.getValue()),
        shift);
    Value merged = arith::OrIOp::create(rewriter, loc, keep, nibble);
    rewriter.replaceOpWithNewOp<memref::StoreOp>(op, merged, memref, indices);
    return success();
  }
};

struct PackDim : OpConversionPattern<memref::DimOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(memref::DimOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<MemRefType>(op.getSource().getType());
    std::optional<int64_t> index = op.getConstantIndex();
    if (!index)
      return rewriter.notifyMatchFailure(op, "dimension index not constant");
    if (*index == type.getRank() - 1) {
      // The logical size, not the packed one.
      rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(
          op, type.getDimSize(*index));
      return success();
    }
    rewriter.replaceOpWithNewOp<memref::DimOp>(op, adaptor.getSource(),
                                               adaptor.getIndex());
    return success();
  }
};

struct FQTPackI4BuffersPass
    : fqt::impl::FQTPackI4BuffersBase<FQTPackI4BuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One clear error per buffer the conversion could not follow, instead of
    // a generic legalization failure.
    bool invalid = false;
    module.walk([&](Operation *op) {
      auto check = [&](Type type) {
        if (!isI4Buffer(type))
          return;
        StringRef reason = unpackableReason(cast<MemRefType>(type));
        if (!reason.empty()) {
          op->emitOpError() << "uses " << type
                            << ", which cannot be stored packed: " << reason;
          invalid = true;
        }
      };
      for (Type type : op->getOperandTypes())
        check(type);
      for (Type type : op->getResultTypes())
        check(type);
      // Block arguments (function arguments, loop-carried buffers) would
      // need their producers and consumers rewritten together.
      bool touchesI4 =
          llvm::any_of(op->getOperandTypes(), isI4Buffer) ||
          llvm::any_of(op->getResultTypes(), isI4Buffer) ||
          llvm::any_of(op->getRegions(), [](Region &region) {
            return llvm::any_of(region.getBlocks(), [](Block &block) {
              return llvm::any_of(block.getArgumentTypes(), isI4Buffer);
            });
          });
      if (touchesI4 &&
          !isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
               memref::LoadOp, memref::StoreOp, memref::DimOp>(op)) {
        op->emitOpError() << "uses an i4 buffer; only alloc, alloca, "
                             "dealloc, load, store and dim can be packed";
        invalid = true;
      }
    });
    if (invalid)
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    PackedTypeConverter converter;
    ConversionTarget target(*ctx);
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    RewritePatternSet patterns(ctx);
    patterns.add<PackAlloc<memref::AllocOp>, PackAlloc<memref::AllocaOp>,
                 PackDealloc, PackLoad, PackStore, PackDim>(converter, ctx);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

//===- NarrowCodes.cpp - i4 codes for quantizers of at most 4 bits --------===//
//
// The first half of packed 4-bit storage: codes of narrow quantizers are
// typed i4 on tensors, and --fqt-pack-i4-buffers stores the buffers they
// bufferize to two codes per byte.
//
//===----------------------------------------------------------------------===//

#include "fqt/Codegen/Passes.h"

#include "FQT/FQTOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

namespace fqt {
#define GEN_PASS_DEF_FQTNARROWCODES
#include "fqt/Codegen/Passes.h.inc"
} // namespace fqt

using namespace mlir;
using namespace fqt;

namespace {

/// Whether the codes of `op` can be typed i4 and later stored packed.
static bool canNarrow(QuantizeOp op) {
  QuantizerAttrInterface quantizer = op.getQuantizer();
  unsigned bits = quantizer.getBits();
  if (bits == 0 || bits > 4)
    return false;
  RankedTensorType type = op.getCodes().getType();
  if (type.getElementType().isInteger(4) || type.getRank() == 0 ||
      type.isDynamicDim(type.getRank() - 1))
    return false;
  // The fqt consumers lower to loads that unpack; anything else would see
  // an i4 tensor it does not expect.
  return llvm::all_of(op.getCodes().getUsers(), [](Operation *user) {
    return isa<DequantizeOp, QMatmulOp>(user);
  });
}

struct FQTNarrowCodesPass : fqt::impl::FQTNarrowCodesBase<FQTNarrowCodesPass> {
  void runOnOperation() override {
    getOperation()->walk([](QuantizeOp op) {
      if (!canNarrow(op))
        return;
      RankedTensorType type = op.getCodes().getType();
      // The users accept any integer code type at least `bits` wide, so
      // retyping the result in place keeps the IR valid.
      op.getCodes().setType(type.clone(IntegerType::get(op.getContext(), 4)));
    });
  }
};

} // namespace

//===- FQTDialect.td - fqt dialect definition --------------*- tablegen -*-===//
//
// The `fqt` dialect: quantizers, quantized tensors and quantized products for
// fully quantized training.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DIALECT_FQTDIALECT_TD
#define FQT_DIALECT_FQTDIALECT_TD

include "mlir/IR/OpBase.td"

def FQT_Dialect : Dialect {
  let name = "fqt";
  let summary = "Quantizers and integer products for fully quantized training";
  let description = [{
    The `fqt` dialect describes fully quantized training (FQT): the forward
    activations and weights *and* the backward gradients of every matrix
    product are quantized to low bit-widths, and the products themselves run
    on integers.

    A quantizer is an attribute (`#fqt.ptq<bits = 4>`, `#fqt.bhq<bits = 5>`,
    ...) that says how a float tensor becomes integer codes: granularity of
    its scales (per tensor, per row, per column), bit-width, rounding, and the
    method-specific parameters. `fqt.quantize` applies a quantizer and yields
    the integer codes together with run-time scale (and offset) tensors whose
    shape follows the granularity; `fqt.dequantize` maps codes back to floats;
    `fqt.qmatmul` multiplies two quantized operands and yields a float result.

    Scales are computed from the data at run time, which is why the static
    types of the upstream `quant` dialect are not used here.
  }];
  let cppNamespace = "::fqt";
  let useDefaultAttributePrinterParser = 1;
  // `fqt.slot` on the arguments and results of step functions, and
  // `fqt.program` on the module of a training program.
  let discardableAttrs = (ins "::fqt::SlotAttr":$slot,
                              "::fqt::ProgramAttr":$program);
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

// Base class of every fqt op.
class FQT_Op<string mnemonic, list<Trait> traits = []>
    : Op<FQT_Dialect, mnemonic, traits>;

#endif // FQT_DIALECT_FQTDIALECT_TD

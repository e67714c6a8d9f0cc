//===- FQTOps.td - fqt operations --------------------------*- tablegen -*-===//
//
// Quantize, dequantize and the quantized matrix product.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DIALECT_FQTOPS_TD
#define FQT_DIALECT_FQTOPS_TD

include "FQTDialect.td"
include "FQTAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Any quantizer attribute (an attribute implementing QuantizerAttrInterface).
def FQT_QuantizerAttr
    : Attr<CPred<"::llvm::isa<::fqt::QuantizerAttrInterface>($_self)">,
           "fqt quantizer attribute"> {
  let storageType = "::fqt::QuantizerAttrInterface";
  let returnType = "::fqt::QuantizerAttrInterface";
  let convertFromStorage = "$_self";
}

def FQT_FloatTensor : RankedTensorOf<[F32]>;
def FQT_CodeTensor : RankedTensorOf<[AnySignlessInteger]>;
def FQT_ScaleTensor : RankedTensorOf<[F32]>;

def FQT_QuantizeOp : FQT_Op<"quantize",
    [Pure, AttrSizedOperandSegments, AttrSizedResultSegments]> {
  let summary = "quantize a float tensor into integer codes and scales";
  let description = [{
    Applies `quantizer` to `input`. The codes have the input's shape and an
    integer element type at least `bits` wide; `scale` (and `offset`, absent
    for symmetric quantizers) hold one value per group of elements that
    share a scale:

    | granularity | input `d0 x d1 x ... x dn` | scale / offset shape |
    |---|---|---|
    | tensor (`ptq`, `lbt`, `act`, `weight`) | any rank | `tensor<f32>` |
    | row (`psq`, `bhq`) | rank >= 1 | `tensor<d0xf32>`, or `tensor<Gxf32>` for G row groups |
    | column (`percol`) | rank >= 2 | `tensor<d1x...xdnxf32>` |

    Every element is recovered as `code * scale + offset`. A row quantizer
    whose scale has G < d0 entries (G dividing d0) quantizes row groups: the
    input is seen as the `G x (numel / G)` matrix of its groups of d0 / G
    consecutive rows, one scale per group. That is how `psq` and `bhq` treat
    the samples of a convolution's dY, stored as the `[N*OH*OW, OC]` matrix
    of its products (G = N). For `#fqt.bhq` the codes are those of the
    transformed rows `T * input` (of the row-group matrix), and the op also
    yields `transform`, the `G x G` inverse `T^-1` that undoes the grouping
    rotation after a product.

    Stochastic rounding draws its noise from a counter-based generator keyed
    by `seed`, `step` and the `stream` attribute (one per quantizer in a
    program): the same key gives the same codes on every target. Nearest
    rounding takes no key. `#fqt.lbt` takes its clipping factor `gamma`.

    ```mlir
    %q, %s, %z = fqt.quantize %g seed(%seed, %step)
        {quantizer = #fqt.psq<bits = 4>, stream = 3 : i64}
        : tensor<128x64xf32> -> tensor<128x64xi8>, tensor<128xf32>,
          offset tensor<128xf32>
    ```
  }];
  let arguments = (ins FQT_FloatTensor:$input,
                       Optional<I64>:$seed,
                       Optional<I64>:$step,
                       Optional<F32>:$gamma,
                       FQT_QuantizerAttr:$quantizer,
                       DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs FQT_CodeTensor:$codes,
                      FQT_ScaleTensor:$scale,
                      Optional<FQT_ScaleTensor>:$offset,
                      Optional<FQT_ScaleTensor>:$transform);
  let assemblyFormat = [{
    $input (`seed` `(` $seed^ `,` $step `)`)? (`gamma` `(` $gamma^ `)`)?
    attr-dict `:` type($input) `->` type($codes) `,` type($scale)
    `` custom<OffsetAndTransform>(type($offset), type($transform))
  }];
  let hasVerifier = 1;
}

def FQT_DequantizeOp : FQT_Op<"dequantize",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "map integer codes back to float values";
  let description = [{
    Computes `codes * scale + offset` elementwise, with `scale` and `offset`
    broadcast along the granularity of `quantizer` (see `fqt.quantize`).
    For `#fqt.bhq`, `transform` (the inverse grouping rotation) is applied to
    the row groups afterwards. Codes of unsigned quantizers are read as unsigned,
    codes of symmetric ones as signed.

    ```mlir
    %x = fqt.dequantize %q scale(%s, %z) {quantizer = #fqt.psq<bits = 4>}
        : tensor<128x64xi8>, tensor<128xf32>, tensor<128xf32> -> tensor<128x64xf32>
    ```
  }];
  let arguments = (ins FQT_CodeTensor:$codes,
                       FQT_ScaleTensor:$scale,
                       Optional<FQT_ScaleTensor>:$offset,
                       Optional<FQT_ScaleTensor>:$transform,
                       FQT_QuantizerAttr:$quantizer);
  let results = (outs FQT_FloatTensor:$result);
  let assemblyFormat = [{
    $codes `scale` `(` $scale (`,` $offset^)? `)`
    (`transform` `(` $transform^ `)`)?
    attr-dict `:` type(operands) `->` type($result)
  }];
  let hasVerifier = 1;
}

def FQT_QMatmulOp : FQT_Op<"qmatmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "product of two quantized matrices with a float result";
  let description = [{
    Computes `dequant(lhs) x dequant(rhs)`, where each operand is a matrix of
    integer codes with the scale (and offset) layout of its quantizer. The
    layout is that of the stored matrix, before `transpose_lhs` /
    `transpose_rhs` are applied: `dW = dY^T * X` keeps dY as stored and sets
    `transpose_lhs`.

    The integer lowering computes the code product in i32 and applies scales
    and offsets in an epilogue. A scale that is constant along the reduction
    (per-row of the left operand, per-column of the right one, per tensor)
    factors out; one that varies along it (e.g. a per-column quantizer on the
    left operand) makes the lowering accumulate per block of the reduction.
    A `#fqt.bhq` left operand carries its inverse transform, applied to the
    row groups of the result (those of the left operand).

    ```mlir
    %dx = fqt.qmatmul %g as #fqt.psq<bits = 4> scale(%gs, %gz),
                      %w as #fqt.weight<bits = 8> scale(%ws, %wz)
        : (tensor<128x64xi8>, tensor<128xf32>, tensor<128xf32>,
           tensor<64x32xi8>, tensor<f32>, tensor<f32>) -> tensor<128x32xf32>
    ```
  }];
  let arguments = (ins FQT_CodeTensor:$lhs,
                       FQT_ScaleTensor:$lhs_scale,
                       Optional<FQT_ScaleTensor>:$lhs_offset,
                       Optional<FQT_ScaleTensor>:$lhs_transform,
                       FQT_CodeTensor:$rhs,
                       FQT_ScaleTensor:$rhs_scale,
                       Optional<FQT_ScaleTensor>:$rhs_offset,
                       FQT_QuantizerAttr:$lhs_quantizer,
                       FQT_QuantizerAttr:$rhs_quantizer,
                       UnitAttr:$transpose_lhs,
                       UnitAttr:$transpose_rhs);
  let results = (outs FQT_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `as` $lhs_quantizer `scale` `(` $lhs_scale (`,` $lhs_offset^)? `)`
    (`transform` `(` $lhs_transform^ `)`)? (`transposed` $transpose_lhs^)? `,`
    $rhs `as` $rhs_quantizer `scale` `(` $rhs_scale (`,` $rhs_offset^)? `)`
    (`transposed` $transpose_rhs^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Sizes (M, N, K) of the logical product; ShapedType::kDynamic where
    /// unknown.
    int64_t getM();
    int64_t getN();
    int64_t getK();
  }];
}

#endif // FQT_DIALECT_FQTOPS_TD

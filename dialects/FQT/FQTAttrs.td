//===- FQTAttrs.td - fqt quantizer attributes --------------*- tablegen -*-===//
//
// One attribute per quantization method of Chen et al. (NeurIPS 2020) and
// Kim et al. (ECCV 2024), all implementing QuantizerAttrInterface. The exact
// definitions are in docs/quantizers.md; the descriptions here give the
// part a reader of the IR needs.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DIALECT_FQTATTRS_TD
#define FQT_DIALECT_FQTATTRS_TD

include "FQTDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def FQT_Rounding : I32EnumAttr<"Rounding", "rounding of scaled values to codes",
    [I32EnumAttrCase<"nearest", 0>, I32EnumAttrCase<"stochastic", 1>]> {
  let cppNamespace = "::fqt";
  let genSpecializedAttr = 0;
}

def FQT_Granularity : I32EnumAttr<"Granularity",
    "which elements share one scale",
    [I32EnumAttrCase<"none", 0>,      // not quantized
     I32EnumAttrCase<"tensor", 1>,    // one scale for the whole tensor
     I32EnumAttrCase<"row", 2>,       // one scale per row (sample), dim 0
     I32EnumAttrCase<"column", 3>,    // one scale per column, dims 1..r-1
     I32EnumAttrCase<"block", 4>]> {  // one scale per block of `size`
                                      // consecutive values along `axis`
  let cppNamespace = "::fqt";
  let genSpecializedAttr = 0;
}

def FQT_GranularityAttr : EnumAttr<FQT_Dialect, FQT_Granularity, "granularity">;

def FQT_ZeroPoint : I32EnumAttr<"ZeroPoint",
    "where the grid of a range quantizer starts",
    [I32EnumAttrCase<"range", 0>,     // at the group's minimum (the papers)
     I32EnumAttrCase<"snapped", 1>]> { // so that 0 is a grid point
  let cppNamespace = "::fqt";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// QuantizerAttrInterface
//===----------------------------------------------------------------------===//

def FQT_QuantizerAttrInterface : AttrInterface<"QuantizerAttrInterface"> {
  let cppNamespace = "::fqt";
  let description = [{
    A quantization method. It tells how many bits the codes use, how values
    are rounded, which elements share a scale, and whether the codes are
    signed and symmetric around zero (no offset) or unsigned with an offset
    (the zero point, kept as the float range minimum).

    A quantized value is always dequantized as `code * scale + offset`, where
    `offset` is absent (zero) for symmetric quantizers.
  }];
  let methods = [
    InterfaceMethod<"Number of bits of the integer codes (0 for `none`).",
      "unsigned", "getBits">,
    InterfaceMethod<"How scaled values are rounded to codes.",
      "::fqt::Rounding", "getRounding">,
    InterfaceMethod<"Which elements share one scale.",
      "::fqt::Granularity", "getGranularity">,
    InterfaceMethod<[{True if codes are signed and symmetric around zero, so
      the quantized value carries no offset tensor.}],
      "bool", "isSymmetric", (ins), [{}], [{ return false; }]>,
    InterfaceMethod<[{Smallest number of rows the method accepts (BHQ needs
      three to form groups).}],
      "int64_t", "getMinRows", (ins), [{}], [{ return 1; }]>,
    InterfaceMethod<[{True if 0 is a point of the grid (the zero point
      snapped to an integer code): 0 dequantizes to exactly 0, and stochastic
      rounding leaves it there.}],
      "bool", "snapsZero", (ins), [{}], [{ return false; }]>,
    InterfaceMethod<[{For granularity `block`: how many consecutive values
      along the block axis share one scale (the last block of an axis whose
      length it does not divide is shorter); 0 otherwise.}],
      "int64_t", "getBlockSize", (ins), [{}], [{ return 0; }]>,
    InterfaceMethod<[{For granularity `block`: the dimension the blocks run
      along; -1 otherwise.}],
      "int64_t", "getBlockAxis", (ins), [{}], [{ return -1; }]>,
  ];
  let extraSharedClassDeclaration = [{
    /// True for `#fqt.none`: the tensor stays in float.
    bool isNone() { return $_attr.getGranularity() == ::fqt::Granularity::none; }
    /// Largest code of an unsigned quantizer (2^bits - 1), or largest
    /// magnitude of a symmetric one (2^(bits-1) - 1).
    int64_t getMaxCode() {
      unsigned bits = $_attr.getBits();
      if ($_attr.isSymmetric())
        return (int64_t(1) << (bits - 1)) - 1;
      return (int64_t(1) << bits) - 1;
    }
  }];
}

//===----------------------------------------------------------------------===//
// Quantizer attributes
//===----------------------------------------------------------------------===//

// The bit-width of every quantizer; the range is checked by the verifier so
// that `bits = 9` gets a message naming the range.
def FQT_BitsParameter : AttrParameter<"unsigned", "bit-width of the codes">;

class FQT_RoundingParameter<string default>
    : EnumParameter<FQT_Rounding> {
  let defaultValue = "::fqt::Rounding::" # default;
}

// A real-valued hyper-parameter with a default, written as a plain number
// (`alpha = 2.0e-3`). Stored as an APFloat (double semantics) so that the
// attribute storage can hash it.
class FQT_RealParameter<string default, string desc>
    : APFloatParameter<desc> {
  let defaultValue = "::llvm::APFloat(double(" # default # "))";
  let parser = [{
    [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
      double value;
      if ($_parser.parseFloat(value))
        return ::mlir::failure();
      return ::llvm::APFloat(value);
    }()
  }];
  let printer = [{ $_printer << $_self.convertToDouble() }];
}

// A real number without a default, written as a plain number.
class FQT_NumberParameter<string desc> : APFloatParameter<desc> {
  let parser = [{
    [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
      double value;
      if ($_parser.parseFloat(value))
        return ::mlir::failure();
      return ::llvm::APFloat(value);
    }()
  }];
  let printer = [{ $_printer << $_self.convertToDouble() }];
}

class FQT_ZeroPointParameter : EnumParameter<FQT_ZeroPoint> {
  let defaultValue = "::fqt::ZeroPoint::range";
}

class FQT_Quantizer<string name, string attrMnemonic, string granularity,
                    string rounding, code extraDecl = [{}]>
    : AttrDef<FQT_Dialect, name, [FQT_QuantizerAttrInterface]> {
  let mnemonic = attrMnemonic;
  let parameters = (ins FQT_BitsParameter:$bits,
                        FQT_RoundingParameter<rounding>:$rounding);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::fqt::Granularity getGranularity() const {
      return ::fqt::Granularity::}] # granularity # [{;
    }
  }] # extraDecl;
}

// A quantizer whose grid per group (row or column) spans the group's
// min/max range: from its minimum, as in the papers, or snapped so that 0 is
// on the grid (`zero = snapped`).
class FQT_RangeQuantizer<string name, string attrMnemonic, string granularity>
    : FQT_Quantizer<name, attrMnemonic, granularity, "stochastic", [{
    bool snapsZero() const { return getZero() == ::fqt::ZeroPoint::snapped; }
  }]> {
  let parameters = (ins FQT_BitsParameter:$bits,
                        FQT_RoundingParameter<"stochastic">:$rounding,
                        FQT_ZeroPointParameter<>:$zero);
}

def FQT_PTQAttr : FQT_Quantizer<"PTQ", "ptq", "tensor", "stochastic", [{
    bool snapsZero() const { return true; }
  }]> {
  let summary = "per-tensor gradient quantizer (Chen et al.)";
  let description = [{
    One scale and one offset for the whole tensor. The range is widened to
    contain zero and the zero point is snapped to an integer code, so that a
    zero gradient dequantizes to exactly zero. Stochastic rounding by default,
    which makes the quantizer unbiased.

    ```mlir
    #fqt.ptq<bits = 8>
    #fqt.ptq<bits = 4, rounding = nearest>
    ```
  }];
}

def FQT_PSQAttr : FQT_RangeQuantizer<"PSQ", "psq", "row"> {
  let summary = "per-sample gradient quantizer (Chen et al.)";
  let description = [{
    One scale and one offset (the row minimum) per row, i.e. per sample of
    the batch. In `dX = dY * W^T` the per-row scale factors out of the
    integer dot product. Stochastic rounding by default.

    With `zero = snapped` each row's range is widened to contain 0 and its
    zero point snapped to an integer code, as `#fqt.ptq` does for the
    tensor: exact zeros of the gradient (behind ReLU and max-pooling, most
    of a CNN's) stay exactly zero instead of becoming rounding noise. Still
    unbiased.

    ```mlir
    #fqt.psq<bits = 5>
    #fqt.psq<bits = 4, zero = snapped>
    ```
  }];
}

def FQT_PerColumnAttr : FQT_RangeQuantizer<"PerColumn", "percol", "column"> {
  let summary = "per-column gradient quantizer for the weight-gradient path";
  let description = [{
    One scale and one offset per column: the range of each feature across
    the batch. A convolution's dY reaches its quantizer as the
    [N * OH * OW, OC] matrix of im2col, so there a column is an output
    channel (over all samples and positions). Chen et al. use it on the
    `dW = dY^T * X` path. `zero = snapped` keeps exact zeros, as for
    `#fqt.psq`.

    ```mlir
    #fqt.percol<bits = 8>
    #fqt.percol<bits = 4, zero = snapped>
    ```
  }];
}

// A symmetric quantizer with one scale per block of `size` consecutive
// values along `axis` (the reduction of the product that reads the codes).
class FQT_BlockQuantizer<string name, string attrMnemonic, code extraDecl = [{}]>
    : FQT_Quantizer<name, attrMnemonic, "block", "stochastic", [{
    bool isSymmetric() const { return true; }
    bool snapsZero() const { return true; }
    int64_t getBlockSize() const { return getSize(); }
    int64_t getBlockAxis() const { return getAxis(); }
  }] # extraDecl>;

def FQT_BlockAttr : FQT_BlockQuantizer<"Block", "blk"> {
  let summary = "block-scaled symmetric quantizer along the reduction";
  let description = [{
    One scale per block of `size` consecutive values along dimension `axis`
    (in a product, the reduction: the integer lowering then sums each block
    in i32 and scales it once). Symmetric codes in [-M, M], M = 2^(bits-1) - 1,
    scale max|x| / M over the block, so 0 is a code and stochastic rounding
    leaves exact zeros at zero. A last block shorter than `size` covers the
    rest of an axis that `size` does not divide. Stochastic rounding by
    default (unbiased).

    ```mlir
    #fqt.blk<bits = 4, size = 32, axis = 1>
    #fqt.blk<bits = 8, size = 32, axis = 0, rounding = nearest>
    ```
  }];
  let parameters = (ins FQT_BitsParameter:$bits,
                        "int64_t":$size,
                        "int64_t":$axis,
                        FQT_RoundingParameter<"stochastic">:$rounding);
}

def FQT_RHTAttr : FQT_BlockQuantizer<"RHT", "rht"> {
  let summary = "randomized Hadamard transform, then block-scaled quantizer";
  let description = [{
    Multiplies each block of `size` consecutive values along `axis` by
    T = H D / sqrt(size), with H the Walsh-Hadamard matrix of order `size`
    (a power of two) and D a diagonal of random signs, then quantizes the
    result as `#fqt.blk` does with the same blocks. The signs are drawn from
    the counter-based generator keyed by the quantize op's seed and step and
    by `signs` (a stream of its own), and the op yields them as its
    `transform`, with which `fqt.dequantize` undoes T. T is orthogonal, so
    two operands of a product transformed along its reduction with the same
    `signs` have the product of the untransformed ones: `fqt.qmatmul` takes
    them as they are.

    ```mlir
    #fqt.rht<bits = 4, size = 32, axis = 1, signs = 7>
    ```
  }];
  let parameters = (ins FQT_BitsParameter:$bits,
                        "int64_t":$size,
                        "int64_t":$axis,
                        "int64_t":$signs,
                        FQT_RoundingParameter<"stochastic">:$rounding);
}

def FQT_BHQAttr : FQT_Quantizer<"BHQ", "bhq", "row", "stochastic", [{
    int64_t getMinRows() const { return 3; }
  }]> {
  let summary = "block Householder gradient quantizer (Chen et al.)";
  let description = [{
    Rows are grouped as one large-range leader with small-range followers;
    each group is rotated by a Householder reflection and rescaled by the
    w^(-1/3) rule, then quantized per row. The transform is undone after the
    product. Grouping needs at least three rows.

    ```mlir
    #fqt.bhq<bits = 5>
    ```
  }];
}

def FQT_LBTAttr : FQT_Quantizer<"LBT", "lbt", "tensor", "stochastic", [{
    bool isSymmetric() const { return true; }
  }]> {
  let summary = "adaptive-interval gradient quantizer (Kim et al.)";
  let description = [{
    Symmetric per-tensor quantizer with 2^bits - 1 levels, clipped at
    `gamma * max|g|`. The clipping factor gamma is per-layer training state:
    each step it moves by `gamma_step` towards the point where the fraction of
    clipped elements equals `alpha / (2^bits - 1)`, and stays within
    `[gamma_min, 1]`. Biased on the clipped elements by design. Needs at least
    two bits.

    ```mlir
    #fqt.lbt<bits = 4>
    #fqt.lbt<bits = 4, alpha = 2.000000e-03>
    ```
  }];
  let parameters = (ins FQT_BitsParameter:$bits,
                        FQT_RoundingParameter<"stochastic">:$rounding,
                        FQT_RealParameter<"1.0e-3",
                          "target clipped fraction times 2^bits - 1">:$alpha,
                        FQT_RealParameter<"1.0e-3",
                          "change of gamma per step">:$gamma_step,
                        FQT_RealParameter<"1.0e-3",
                          "lower bound of gamma">:$gamma_min);
}

def FQT_ActAttr : FQT_Quantizer<"Act", "act", "tensor", "nearest"> {
  let summary = "forward activation quantizer";
  let description = [{
    Per-tensor min/max range, no zero snapping, round to nearest; the
    backward pass is straight-through.

    ```mlir
    #fqt.act<bits = 8>
    ```
  }];
}

def FQT_WeightAttr : FQT_Quantizer<"Weight", "weight", "tensor", "nearest", [{
    bool snapsZero() const { return true; }
  }]> {
  let summary = "forward weight quantizer";
  let description = [{
    Per-tensor range widened to contain zero with the zero point snapped to
    an integer code, round to nearest; the backward pass is straight-through.

    ```mlir
    #fqt.weight<bits = 8>
    ```
  }];
}

def FQT_NoneAttr : AttrDef<FQT_Dialect, "None", [FQT_QuantizerAttrInterface]> {
  let mnemonic = "none";
  let extraClassDeclaration = [{
    unsigned getBits() const { return 0; }
    ::fqt::Rounding getRounding() const { return ::fqt::Rounding::nearest; }
    ::fqt::Granularity getGranularity() const {
      return ::fqt::Granularity::none;
    }
  }];
  let summary = "no quantization";
  let description = [{
    The tensor stays in float. Used in policies to switch a role off; it
    cannot be the quantizer of `fqt.quantize`.

    ```mlir
    #fqt.none
    ```
  }];
}

//===----------------------------------------------------------------------===//
// The program interface
//===----------------------------------------------------------------------===//

def FQT_SlotKind : I32EnumAttr<"SlotKind",
    "what an argument or result of a step function is to the runtime",
    [I32EnumAttrCase<"param", 0>, I32EnumAttrCase<"state", 1>,
     I32EnumAttrCase<"weight", 2>, I32EnumAttrCase<"input", 3>,
     I32EnumAttrCase<"label", 4>, I32EnumAttrCase<"hyper", 5>,
     I32EnumAttrCase<"loss", 6>, I32EnumAttrCase<"sample_loss", 7>,
     I32EnumAttrCase<"output", 8>, I32EnumAttrCase<"grad", 9>,
     I32EnumAttrCase<"workspace", 10>]> {
  let cppNamespace = "::fqt";
  let genSpecializedAttr = 0;
}

def FQT_SlotAttr : AttrDef<FQT_Dialect, "Slot"> {
  let mnemonic = "slot";
  let summary = "the role and name of a step function's argument or result";
  let description = [{
    The runtime's view of one buffer of a training program's step function
    (`init`, `train_step`, `eval_step`, `grad_step`, `qat_grad_step`): its
    kind and its name (the ONNX initializer or graph input it stands for, or
    a fixed name such as `loss` or `lr`). It is the value of the dialect's
    discardable attribute `fqt.slot` on the function's arguments and
    results, which the dialect verifies: argument kinds (`param`, `state`,
    `weight`, `input`, `label`, `hyper`, `workspace`) on arguments, result kinds
    (`param`, `state`, `loss`, `sample_loss`, `output`, `grad`) on results
    (or on the arguments that bufferization made of results).

    ```mlir
    func.func @train_step(%w: tensor<3x4xf32> {fqt.slot = #fqt.slot<param, "fc1.weight">}, ...)
        -> (tensor<f32> {fqt.slot = #fqt.slot<loss, "loss">}, ...)
    ```
  }];
  let parameters = (ins EnumParameter<FQT_SlotKind>:$kind,
                        StringRefParameter<"name">:$name);
  let assemblyFormat = "`<` $kind `,` $name `>`";
  let extraClassDeclaration = [{
    /// A kind that an argument can have (param, state, weight, input,
    /// label, hyper, workspace).
    bool isArgumentKind() const;
    /// A kind that a result can have (param, state, loss, sample_loss,
    /// output, grad).
    bool isResultKind() const;
  }];
}

def FQT_ProgramAttr : AttrDef<FQT_Dialect, "Program"> {
  let mnemonic = "program";
  let summary = "the training configuration a program reports to its runtime";
  let description = [{
    The value of the dialect's discardable attribute `fqt.program` on the
    module of a training program: its loss, its optimizer with the default
    learning rate, and (once `--fqt-insert-quantizers` ran) its quantization
    policy by role. `--fqt-emit-entry-points` writes it, with the step
    functions' `#fqt.slot`s, into the description the runtime reads.

    ```mlir
    module attributes {fqt.program = #fqt.program<loss = "softmax-cross-entropy",
        optimizer = "sgd", lr = 1.000000e-02,
        quantizers = {act = "ptq:8", dgrad = "psq:4", mode = "integer",
                      weight = "ptq:8", wgrad = "ptq:8"}>} { ... }
    ```
  }];
  let parameters = (ins StringRefParameter<"loss">:$loss,
                        StringRefParameter<"optimizer">:$optimizer,
                        FQT_NumberParameter<"default learning rate">:$lr,
                        OptionalParameter<"::mlir::DictionaryAttr">:$quantizers);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // FQT_DIALECT_FQTATTRS_TD

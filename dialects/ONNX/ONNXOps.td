//===- ONNXOps.td - onnx operations ------------------------*- tablegen -*-===//
//
// The ops generated from ONNX's schemas (ONNXOps.gen.td) plus the
// hand-written `onnx.NoValue`.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DIALECT_ONNXOPS_TD
#define FQT_DIALECT_ONNXOPS_TD

include "ONNXDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ONNXNoValueOp : ONNX_Op<"NoValue", [Pure]> {
  let summary = "an absent optional ONNX input";
  let description = [{
    Stands for an optional ONNX input the node leaves out (the empty name in
    ONNX). Its single result has type `none` and is passed where the op
    expects the optional operand, so every ONNX input keeps its position.

    ```mlir
    %none = onnx.NoValue
    %y = onnx.Slice %x, %starts, %ends, %none, %none
        : (tensor<8x16xf32>, tensor<1xi64>, tensor<1xi64>, none, none)
        -> tensor<4x16xf32>
    ```
  }];
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
}

include "ONNXOps.gen.td"

#endif // FQT_DIALECT_ONNXOPS_TD

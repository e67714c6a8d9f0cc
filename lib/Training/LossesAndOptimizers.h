//===- LossesAndOptimizers.h - losses and update rules ----------*- C++ -*-===//

#ifndef FQT_LIB_TRAINING_LOSSESANDOPTIMIZERS_H
#define FQT_LIB_TRAINING_LOSSESANDOPTIMIZERS_H

#include "TensorEmitter.h"

#include "mlir/Support/LLVM.h"

namespace fqt::training {

struct LossValues {
  mlir::Value loss;       // tensor<f32>
  mlir::Value sampleLoss; // tensor<Bxf32>
  mlir::Value grad;       // d loss / d output
};

/// ONNX SoftmaxCrossEntropyLoss with mean reduction over the samples whose
/// label is not `ignoreIndex`: logits [B, K] f32, labels [B] i64.
LossValues emitSoftmaxCrossEntropy(TensorEmitter &e, mlir::Value logits,
                                   mlir::Value labels, int64_t ignoreIndex);

/// Mean squared error over every element; output and target of one shape.
LossValues emitMeanSquaredError(TensorEmitter &e, mlir::Value output,
                                mlir::Value target);

enum class OptimizerKind { SGD, Momentum, Nesterov, Adagrad, Adam };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::SGD;
  double alpha = 0.9;  // Momentum alpha / Adam alpha (first moment decay)
  double beta = 1.0;   // Momentum beta (gradient coefficient)
  double beta2 = 0.999; // Adam beta (second moment decay)
  double epsilon = 1e-6;
  double decayFactor = 0.0; // Adagrad
  double weightDecay = 0.0; // ONNX norm_coefficient
  double postWeightDecay = 0.0; // ONNX Adam's norm_coefficient_post
};

/// Number of state tensors the optimizer keeps per parameter, and their
/// name suffixes.
llvm::SmallVector<llvm::StringRef> optimizerStateNames(OptimizerKind kind);

/// Emits the ONNX `ai.onnx.preview.training` update of one parameter.
/// `lr` is tensor<f32>, `step` tensor<i64> (ONNX's T).
void emitOptimizerUpdate(TensorEmitter &e, const OptimizerConfig &config,
                         mlir::Value param, mlir::Value grad,
                         mlir::ValueRange state, mlir::Value lr,
                         mlir::Value step, mlir::Value &newParam,
                         llvm::SmallVectorImpl<mlir::Value> &newState);

} // namespace fqt::training

#endif // FQT_LIB_TRAINING_LOSSESANDOPTIMIZERS_H

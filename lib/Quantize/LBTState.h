//===- LBTState.h - Kim et al.'s clipping factor as training state -*- C++
//-*-===//
//
// The interval quantizer #fqt.lbt clips at gamma * max|g|, and gamma is
// per-layer state of the training program (docs/quantizers.md §4.3). These
// helpers emit, on tensors, the gamma a quantize op uses and the gamma the
// step hands to the next one.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_QUANTIZE_LBTSTATE_H
#define FQT_LIB_QUANTIZE_LBTSTATE_H

#include "FQT/FQTAttrs.h"

#include "mlir/IR/Builders.h"

namespace fqt::quantize {

/// The state value `init` gives gamma: "not calibrated yet". A calibrated
/// gamma is never below the attribute's gamma_min > 0.
constexpr float kUncalibratedGamma = 0.0f;

/// The gamma a step quantizes with, from the state `gamma` (f32): the state
/// itself once calibrated, 1 (min-max) before.
mlir::Value emitEffectiveGamma(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value gamma);

/// The state after a step that quantized `grad` (the unquantized gradient,
/// any rank, f32) with `effective` = emitEffectiveGamma(`gamma`):
///   - uncalibrated: the calibration loop of Kim et al.'s first iteration;
///   - calibrated:   clamp(gamma + step * sign(R - tau), gamma_min, 1) with
///                   R = mean(|g| > effective * max|g|), tau = alpha/(2^b-1);
///   - max|g| == 0:  unchanged (there is nothing to measure).
mlir::Value emitGammaUpdate(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value grad, mlir::Value gamma,
                            mlir::Value effective, LBTAttr quantizer);

} // namespace fqt::quantize

#endif // FQT_LIB_QUANTIZE_LBTSTATE_H

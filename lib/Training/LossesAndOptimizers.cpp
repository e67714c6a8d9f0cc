//===- LossesAndOptimizers.cpp - losses and update rules ------------------===//
//
// The optimizers implement the formulas of ONNX's ai.onnx.preview.training
// operators (Momentum, Adagrad, Adam; SGD is Momentum without state), so
// that a model's TrainingInfoProto and a command-line optimizer compute the
// same thing and ONNX's golden data checks both.
//
//===----------------------------------------------------------------------===//

#include "LossesAndOptimizers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace fqt::training;

static Value cst(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Row-wise max of a [B, K] tensor.
static Value rowMax(TensorEmitter &e, Value x) {
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(x);
  Value init = e.splat({shape[0]}, b.getF32Type(),
                       -std::numeric_limits<double>::infinity());
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(2),
      AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init}, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l,
                                arith::MaximumFOp::create(nb, l, a[0], a[1])
                                    .getResult());
      });
  return generic.getResult(0);
}

/// 1.0 where column k equals the sample's label, else 0: a [B, K] one-hot.
static Value oneHot(TensorEmitter &e, ArrayRef<int64_t> shape, Value labels) {
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  SmallVector<AffineMap> maps = {
      AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx),
      b.getMultiDimIdentityMap(2)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{labels}, ValueRange{init},
      maps, {utils::IteratorType::parallel, utils::IteratorType::parallel},
      [](OpBuilder &nb, Location l, ValueRange a) {
        Value k = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, 1));
        Value hit =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, k, a[0]);
        linalg::YieldOp::create(
            nb, l,
            arith::SelectOp::create(nb, l, hit, cst(nb, l, 1), cst(nb, l, 0))
                .getResult());
      });
  return generic.getResult(0);
}

LossValues fqt::training::emitSoftmaxCrossEntropy(TensorEmitter &e,
                                                  Value logits, Value labels,
                                                  int64_t ignoreIndex) {
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(logits);
  int64_t batch = shape[0], classes = shape[1];
  using B = OpBuilder;
  using L = Location;
  using A = ValueRange;
  Value m = e.reshape(rowMax(e, logits), {batch, 1});
  Value expShifted = e.map({logits, m}, [](B &b, L l, A a) {
    return math::ExpOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]))
        .getResult();
  });
  Value sum = e.reshape(e.reduceSum(expShifted, {1}), {batch, 1});
  // log-sum-exp per sample
  Value lse = e.map({sum, m}, [](B &b, L l, A a) {
    return arith::AddFOp::create(b, l, math::LogOp::create(b, l, a[0]), a[1])
        .getResult();
  });
  Value hot = oneHot(e, {batch, classes}, labels);
  Value picked = e.reduceSum(e.map({logits, hot},
                                   [](B &b, L l, A a) {
                                     return arith::MulFOp::create(b, l, a[0],
                                                                  a[1])
                                         .getResult();
                                   }),
                             {1});
  Value valid = e.map({batch}, e.builder().getF32Type(), {labels},
                      [&](B &b, L l, A a) {
                        Value ignored = arith::CmpIOp::create(
                            b, l, arith::CmpIPredicate::eq, a[0],
                            arith::ConstantOp::create(
                                b, l, b.getI64IntegerAttr(ignoreIndex)));
                        return arith::SelectOp::create(b, l, ignored,
                                                       cst(b, l, 0),
                                                       cst(b, l, 1))
                            .getResult();
                      });
  Value lse1 = e.reshape(lse, {batch});
  Value sampleLoss =
      e.map({lse1, picked, valid}, [](B &b, L l, A a) {
        return arith::MulFOp::create(b, l, a[2],
                                     arith::SubFOp::create(b, l, a[0], a[1]))
            .getResult();
      });
  Value count = e.reduceSum(valid, {0});
  Value loss = e.map({e.reduceSum(sampleLoss, {0}), count},
                     [](B &b, L l, A a) {
                       return arith::DivFOp::create(b, l, a[0], a[1])
                           .getResult();
                     });
  // d loss / d logits = valid * (softmax - onehot) / count
  Value validCol = e.reshape(valid, {batch, 1});
  Value grad = e.map({logits, lse, hot, validCol, count}, [](B &b, L l, A a) {
    Value p = math::ExpOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]));
    Value d = arith::SubFOp::create(b, l, p, a[2]);
    Value w = arith::DivFOp::create(b, l, a[3], a[4]);
    return arith::MulFOp::create(b, l, d, w).getResult();
  });
  return {loss, sampleLoss, grad};
}

LossValues fqt::training::emitMeanSquaredError(TensorEmitter &e, Value output,
                                               Value target) {
  ArrayRef<int64_t> shape = TensorEmitter::shapeOf(output);
  int64_t total = 1;
  for (int64_t s : shape)
    total *= s;
  int64_t perSample = shape.empty() ? 1 : total / shape[0];
  using B = OpBuilder;
  using L = Location;
  using A = ValueRange;
  Value sq = e.map({output, target}, [](B &b, L l, A a) {
    Value d = arith::SubFOp::create(b, l, a[0], a[1]);
    return arith::MulFOp::create(b, l, d, d).getResult();
  });
  SmallVector<int64_t> inner;
  for (int64_t i = 1, r = shape.size(); i < r; ++i)
    inner.push_back(i);
  Value sampleSum = inner.empty() ? sq : e.reduceSum(sq, inner);
  Value sampleLoss = e.map({sampleSum}, [&](B &b, L l, A a) {
    return arith::DivFOp::create(b, l, a[0], cst(b, l, double(perSample)))
        .getResult();
  });
  Value loss = e.map({e.reduceSum(sampleSum, {0})}, [&](B &b, L l, A a) {
    return arith::DivFOp::create(b, l, a[0], cst(b, l, double(total)))
        .getResult();
  });
  Value grad = e.map({output, target}, [&](B &b, L l, A a) {
    Value d = arith::SubFOp::create(b, l, a[0], a[1]);
    return arith::MulFOp::create(b, l, d, cst(b, l, 2.0 / double(total)))
        .getResult();
  });
  return {loss, sampleLoss, grad};
}

SmallVector<StringRef> fqt::training::optimizerStateNames(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::SGD:
    return {};
  case OptimizerKind::Momentum:
  case OptimizerKind::Nesterov:
    return {"momentum"};
  case OptimizerKind::Adagrad:
    return {"accumulated_squared_gradient"};
  case OptimizerKind::Adam:
    return {"first_moment", "second_moment"};
  }
  return {};
}

void fqt::training::emitOptimizerUpdate(TensorEmitter &e,
                                        const OptimizerConfig &config,
                                        Value param, Value grad,
                                        ValueRange state, Value lr, Value step,
                                        Value &newParam,
                                        SmallVectorImpl<Value> &newState) {
  using B = OpBuilder;
  using L = Location;
  using A = ValueRange;
  double wd = config.weightDecay;
  // G_regularized = norm_coefficient * X + G
  auto regularized = [&](B &b, L l, Value x, Value g) -> Value {
    if (wd == 0.0)
      return g;
    return arith::AddFOp::create(
        b, l, arith::MulFOp::create(b, l, cst(b, l, wd), x), g);
  };
  auto stepF32 = [](B &b, L l, Value t) -> Value {
    return arith::SIToFPOp::create(b, l, b.getF32Type(), t);
  };
  switch (config.kind) {
  case OptimizerKind::SGD:
    newParam = e.map({param, grad, lr}, [&](B &b, L l, A a) {
      Value g = regularized(b, l, a[0], a[1]);
      return arith::SubFOp::create(b, l, a[0],
                                   arith::MulFOp::create(b, l, a[2], g))
          .getResult();
    });
    return;
  case OptimizerKind::Momentum:
  case OptimizerKind::Nesterov: {
    bool nesterov = config.kind == OptimizerKind::Nesterov;
    // beta_adjusted = T > 0 ? beta : 1; V' = alpha V + beta_adjusted G_reg
    Value v = e.map({param, grad, state[0], step}, [&](B &b, L l, A a) {
      Value g = regularized(b, l, a[0], a[1]);
      Value first = arith::CmpIOp::create(
          b, l, arith::CmpIPredicate::sgt, a[3],
          arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0)));
      Value beta = arith::SelectOp::create(b, l, first, cst(b, l, config.beta),
                                           cst(b, l, 1.0));
      return arith::AddFOp::create(
                 b, l, arith::MulFOp::create(b, l, cst(b, l, config.alpha), a[2]),
                 arith::MulFOp::create(b, l, beta, g))
          .getResult();
    });
    newState.push_back(v);
    newParam = e.map({param, grad, v, lr}, [&](B &b, L l, A a) {
      Value dir = a[2];
      if (nesterov)
        dir = arith::AddFOp::create(
            b, l, regularized(b, l, a[0], a[1]),
            arith::MulFOp::create(b, l, cst(b, l, config.alpha), a[2]));
      return arith::SubFOp::create(b, l, a[0],
                                   arith::MulFOp::create(b, l, a[3], dir))
          .getResult();
    });
    return;
  }
  case OptimizerKind::Adagrad: {
    Value h = e.map({param, grad, state[0]}, [&](B &b, L l, A a) {
      Value g = regularized(b, l, a[0], a[1]);
      return arith::AddFOp::create(b, l, a[2],
                                   arith::MulFOp::create(b, l, g, g))
          .getResult();
    });
    newState.push_back(h);
    newParam = e.map({param, grad, h, lr, step}, [&](B &b, L l, A a) {
      // r = R / (1 + T * decay_factor)
      Value denom = arith::AddFOp::create(
          b, l, cst(b, l, 1.0),
          arith::MulFOp::create(b, l, stepF32(b, l, a[4]),
                                cst(b, l, config.decayFactor)));
      Value r = arith::DivFOp::create(b, l, a[3], denom);
      Value g = regularized(b, l, a[0], a[1]);
      Value adaptive = arith::AddFOp::create(b, l, math::SqrtOp::create(b, l, a[2]),
                                             cst(b, l, config.epsilon));
      Value upd = arith::MulFOp::create(b, l, r,
                                        arith::DivFOp::create(b, l, g, adaptive));
      return arith::SubFOp::create(b, l, a[0], upd).getResult();
    });
    return;
  }
  case OptimizerKind::Adam: {
    double alpha = config.alpha, beta = config.beta2;
    Value v = e.map({param, grad, state[0]}, [&](B &b, L l, A a) {
      Value g = regularized(b, l, a[0], a[1]);
      return arith::AddFOp::create(
                 b, l, arith::MulFOp::create(b, l, cst(b, l, alpha), a[2]),
                 arith::MulFOp::create(b, l, cst(b, l, 1 - alpha), g))
          .getResult();
    });
    Value h = e.map({param, grad, state[1]}, [&](B &b, L l, A a) {
      Value g = regularized(b, l, a[0], a[1]);
      return arith::AddFOp::create(
                 b, l, arith::MulFOp::create(b, l, cst(b, l, beta), a[2]),
                 arith::MulFOp::create(b, l, cst(b, l, 1 - beta),
                                       arith::MulFOp::create(b, l, g, g)))
          .getResult();
    });
    newState.push_back(v);
    newState.push_back(h);
    newParam = e.map({param, v, h, lr, step}, [&](B &b, L l, A a) {
      // R_adjusted = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R
      Value t = stepF32(b, l, a[4]);
      Value one = cst(b, l, 1.0);
      Value bt = math::PowFOp::create(b, l, cst(b, l, beta), t);
      Value at = math::PowFOp::create(b, l, cst(b, l, alpha), t);
      Value corr = arith::DivFOp::create(
          b, l, math::SqrtOp::create(b, l, arith::SubFOp::create(b, l, one, bt)),
          arith::SubFOp::create(b, l, one, at));
      Value positive = arith::CmpIOp::create(
          b, l, arith::CmpIPredicate::sgt, a[4],
          arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0)));
      Value r = arith::SelectOp::create(
          b, l, positive, arith::MulFOp::create(b, l, a[3], corr), a[3]);
      Value denom = arith::AddFOp::create(b, l, math::SqrtOp::create(b, l, a[2]),
                                          cst(b, l, config.epsilon));
      Value upd = arith::MulFOp::create(b, l, r,
                                        arith::DivFOp::create(b, l, a[1], denom));
      Value updated = arith::SubFOp::create(b, l, a[0], upd);
      // X_final = (1 - norm_coefficient_post) * X_new
      if (config.postWeightDecay == 0.0)
        return updated;
      return arith::MulFOp::create(
                 b, l, cst(b, l, 1.0 - config.postWeightDecay), updated)
          .getResult();
    });
    return;
  }
  }
}

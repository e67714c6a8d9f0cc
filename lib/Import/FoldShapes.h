//===- FoldShapes.h - Fold the shape computations of a model ----*- C++ -*-===//
//
// Part of PrepareModel's worker: evaluates the integer shape arithmetic of
// a model whose input sizes are bound, so that shape inference can give
// every tensor a static shape.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_LIB_IMPORT_FOLDSHAPES_H
#define FQT_LIB_IMPORT_FOLDSHAPES_H

#include "fqt/Import/ONNXProto.h"

namespace fqt::detail {

/// Replaces every node of `model`'s main graph whose result is a small
/// integer tensor computable from known values (initializers, Constants,
/// the Shape and Size of values that shape inference gave a static shape)
/// by a Constant of that result. Returns whether anything was replaced.
bool foldShapeComputations(::onnx::ModelProto &model);

/// Infers the shapes of `model` (with data propagation) and folds its shape
/// computations, alternating until nothing folds: each folded Shape gives
/// the tensors after it static shapes, which may make further Shapes
/// foldable. Throws what shape inference throws.
void inferShapesAndFold(::onnx::ModelProto &model);

} // namespace fqt::detail

#endif // FQT_LIB_IMPORT_FOLDSHAPES_H

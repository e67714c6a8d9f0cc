//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// The runtime reads inputs and labels for --dump-gradients from .npy files
// and writes gradients and losses as .npy, so numpy can check them. Only
// C-order little-endian arrays are read; f64 is narrowed to f32 on reading
// because every float buffer of a compiled program is f32.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_NPY_H
#define FQT_RUNTIME_NPY_H

#include "fqt/Runtime/Tensor.h"

#include <string>
#include <string_view>

namespace fqt::runtime {

/// Reads a .npy file of dtype f4, f8 (returned as f32), i8, i4 or u1.
/// Throws Error(PATH, ...) for other dtypes, Fortran order, big-endian data,
/// or a truncated or malformed file.
Tensor readNpy(const std::string &path);
/// readNpy on bytes already in memory; errors name SOURCE.
Tensor decodeNpy(std::string_view bytes, const std::string &source);

/// The .npy (format 1.0) encoding of TENSOR; bf16, which numpy lacks, is
/// written as f32.
std::string encodeNpy(const Tensor &tensor);
/// Writes encodeNpy(TENSOR) atomically to PATH.
void writeNpy(const std::string &path, const Tensor &tensor);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_NPY_H

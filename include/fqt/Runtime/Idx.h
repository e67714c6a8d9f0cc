//===- Idx.h - Reader of IDX files (MNIST, Fashion-MNIST) -------*- C++ -*-===//
//
// The IDX format of (Fashion-)MNIST: a big-endian header (two zero bytes, a
// type code, the rank, one u32 per dimension) followed by the elements,
// big-endian. Debian's dataset-fashion-mnist ships them gzip'd; zlib reads
// gzip'd and raw files alike, so both work.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_IDX_H
#define FQT_RUNTIME_IDX_H

#include "fqt/Runtime/Tensor.h"

#include <string>

namespace fqt::runtime {

/// Reads the IDX file at PATH into a tensor of its element type (u8, i8,
/// i16, i32, f32 or f64). With LIMIT >= 0 only the first LIMIT items (along
/// dimension 0) are read, which keeps quick runs quick. Throws Error(PATH,
/// ...) on a missing, truncated or malformed file.
Tensor readIdx(const std::string &path, int64_t limit = -1);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_IDX_H

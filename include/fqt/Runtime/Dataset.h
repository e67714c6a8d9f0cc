//===- Dataset.h - Image classification data for training -------*- C++ -*-===//
//
// The training executable trains on an image classification set in IDX
// files (Fashion-MNIST by default): u8 images normalised to f32 as
// (x/255 - mean)/std, and class labels as i64.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_DATASET_H
#define FQT_RUNTIME_DATASET_H

#include "fqt/Runtime/Tensor.h"

#include <string>

namespace fqt::runtime {

struct Normalization {
  // Fashion-MNIST's training-set pixel mean and standard deviation (of
  // x/255), the values torchvision examples use.
  float mean = 0.2860f;
  float std = 0.3530f;
};

/// (x/255 - mean)/std of u8 images, as f32 of the same shape.
Tensor normalizeImages(const Tensor &images, const Normalization &norm);

struct Dataset {
  /// f32, N x (per-sample dims of the files).
  Tensor images;
  /// i64, N.
  Tensor labels;

  int64_t size() const {
    return labels.getShape().empty() ? 0 : labels.getShape()[0];
  }
  /// Elements of one image.
  int64_t sampleSize() const;
};

/// The IDX path of "<DIR>/<NAME>": NAME.gz when it exists, else NAME when
/// that exists, else NAME.gz (so that the error names the file Debian ships).
std::string findIdxFile(const std::string &dir, const std::string &name);

/// Loads "<DIR>/<PREFIX>-images-idx3-ubyte[.gz]" and
/// "<DIR>/<PREFIX>-labels-idx1-ubyte[.gz]" (PREFIX: train or t10k), at most
/// LIMIT samples when LIMIT >= 0. Throws Error on missing or inconsistent
/// files.
Dataset loadIdxDataset(const std::string &dir, const std::string &prefix,
                       int64_t limit, const Normalization &norm);

/// Checks that each sample of SAMPLESIZE elements fits the per-sample shape
/// of a program buffer of shape BUFFERSHAPE (batch first); throws
/// Error(SUBJECT, ...) otherwise.
void checkSampleSize(int64_t sampleSize, const Shape &bufferShape,
                     const std::string &subject, const std::string &what);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_DATASET_H

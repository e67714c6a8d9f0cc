//===- Dataset.cpp - Image classification data for training ---------------===//

#include "fqt/Runtime/Dataset.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Idx.h"

#include <sys/stat.h>

namespace fqt::runtime {

Tensor normalizeImages(const Tensor &images, const Normalization &norm) {
  if (images.getDType() != DType::U8)
    throw Error("images", std::string("expected u8 pixels, got ") +
                              dtypeName(images.getDType()));
  Tensor result(DType::F32, images.getShape());
  // One multiply-add per pixel: (x/255 - mean)/std = x*a + b.
  float scale = 1.0f / (255.0f * norm.std);
  float offset = -norm.mean / norm.std;
  const uint8_t *src = images.as<uint8_t>();
  float *dst = result.as<float>();
  for (int64_t i = 0, e = images.getNumElements(); i < e; ++i)
    dst[i] = static_cast<float>(src[i]) * scale + offset;
  return result;
}

int64_t Dataset::sampleSize() const {
  const Shape &shape = images.getShape();
  int64_t size = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    size *= shape[i];
  return size;
}

static bool exists(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

std::string findIdxFile(const std::string &dir, const std::string &name) {
  std::string base = dir.empty() ? name : dir + "/" + name;
  if (!exists(base + ".gz") && exists(base))
    return base;
  return base + ".gz";
}

Dataset loadIdxDataset(const std::string &dir, const std::string &prefix,
                       int64_t limit, const Normalization &norm) {
  struct stat info;
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw Error(dir, "no such dataset directory (give one with --data=DIR)");
  std::string imagePath = findIdxFile(dir, prefix + "-images-idx3-ubyte");
  std::string labelPath = findIdxFile(dir, prefix + "-labels-idx1-ubyte");
  Tensor images = readIdx(imagePath, limit);
  Tensor labels = readIdx(labelPath, limit);
  if (images.getDType() != DType::U8 || images.getShape().size() < 2)
    throw Error(imagePath, "expected u8 images (an IDX file of rank >= 2)");
  if (labels.getDType() != DType::U8 || labels.getShape().size() != 1)
    throw Error(labelPath, "expected u8 labels (an IDX file of rank 1)");
  if (images.getShape()[0] != labels.getShape()[0])
    throw Error(labelPath,
                "has " + std::to_string(labels.getShape()[0]) + " labels for " +
                    std::to_string(images.getShape()[0]) + " images");
  Dataset data;
  data.images = normalizeImages(images, norm);
  data.labels = Tensor(DType::I64, labels.getShape());
  for (int64_t i = 0, e = labels.getNumElements(); i < e; ++i)
    data.labels.as<int64_t>()[i] = labels.as<uint8_t>()[i];
  return data;
}

void checkSampleSize(int64_t sampleSize, const Shape &bufferShape,
                     const std::string &subject, const std::string &what) {
  int64_t want = 1;
  for (size_t i = 1; i < bufferShape.size(); ++i)
    want *= bufferShape[i];
  if (sampleSize != want)
    throw Error(subject, what + " has " + std::to_string(sampleSize) +
                             " elements per sample, the program's input (" +
                             shapeString(bufferShape) + ") takes " +
                             std::to_string(want));
}

} // namespace fqt::runtime

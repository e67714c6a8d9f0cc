//===- GradientAllreduce.h - Averaging gradients across ranks ---*- C++ -*-===//
//
// The mean over the ranks of a data-parallel job of each parameter's
// gradient, in one of three modes:
//
//  - F32: the ring all-reduce of the f32 values, divided by N. The same
//    bits on every rank, and for a given N the same from run to run.
//  - Int8, Int4: an unbiased estimate of the mean from b-bit integer codes
//    (b = 8 or 4, qmax = 2^(b-1) - 1), 4x or 8x fewer bytes than F32 up to
//    the scales. Each parameter's gradient is cut into blocks of kBlock
//    values. (1) The ranks agree on each block's scale s1 = max over ranks
//    of max|g| / qmax (an all-reduce MAX). (2) Each rank rounds g / s1
//    stochastically to an integer code in [-qmax, qmax]. (3) Rank r owns a
//    chunk of the blocks: every rank sends it that chunk's codes, and it
//    sums the N codes of each value exactly (i32) into m = s1 * sum / N.
//    (4) The owner rounds m stochastically to b-bit codes again, with its
//    blocks' own scale s2 = max|m| / qmax. (5) The owners' codes and scales
//    go round the ring (an all-gather), and every rank decodes the same
//    s2 * code. Stochastic rounding is unbiased and (4) is unbiased given
//    (3), so the result is an unbiased estimate of the mean, identical on
//    every rank, whose variance per value is at most
//    s1^2 / (4N) + s2^2 / 4 (and s2 <= s1).
//    The uniforms of the rounding come from Philox (Philox.h) keyed by
//    (seed, step, stream) with stream = 2^31 + stage * 2^30 + rank * 2^16 +
//    parameter (stage 0 for (2), 1 for (4)) and counter index / 4 for the
//    value at INDEX of the parameter (word index % 4).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_GRADIENTALLREDUCE_H
#define FQT_RUNTIME_GRADIENTALLREDUCE_H

#include "fqt/Runtime/Communicator.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fqt::runtime {

enum class AllreduceMode { F32, Int8, Int4 };

const char *allreduceModeName(AllreduceMode mode);
std::optional<AllreduceMode> parseAllreduceMode(const std::string &name);

class GradientAllreduce {
public:
  /// Values per block of one scale (Int8, Int4).
  static constexpr size_t kBlock = 256;

  /// For gradients of SIZES elements, one per parameter; the local work of
  /// the quantized modes (rounding, decoding) on THREADS threads, with the
  /// same results for any number. Throws Error when the job is too large
  /// for the stream layout (2^14 ranks, 2^16 parameters).
  GradientAllreduce(Communicator &comm, AllreduceMode mode,
                    std::vector<size_t> sizes, int threads = 1);

  /// Replaces every GRADS[p] (of sizes[p] floats) by the mean over the
  /// ranks (F32) or its unbiased estimate (Int8, Int4). SEED and STEP key
  /// the rounding.
  void run(const std::vector<float *> &grads, uint64_t seed, uint64_t step);

private:
  void runF32(const std::vector<float *> &grads);
  void runQuantized(const std::vector<float *> &grads, uint64_t seed,
                    uint64_t step);

  Communicator &comm;
  AllreduceMode mode;
  std::vector<size_t> sizes;
  int threads;
  /// Block b covers values [blockStart[b], blockStart[b] + blockSize[b]) of
  /// parameter blockParam[b]; blocks never span two parameters.
  std::vector<uint32_t> blockParam;
  std::vector<size_t> blockStart, blockSize;
  /// Where block b's values are in the flat code arrays: [codeStart[b],
  /// codeStart[b + 1]).
  std::vector<size_t> codeStart;
  /// Buffers kept from step to step (their pages are touched once).
  struct Scratch {
    std::vector<float> flat, scale1, scale2;
    std::vector<int8_t> codes;
    std::vector<int32_t> sums;
    std::vector<uint8_t> out, in;
  } scratch;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_GRADIENTALLREDUCE_H

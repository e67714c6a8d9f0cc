//===- GradientAllreduce.cpp - Averaging gradients across ranks -----------===//

#include "fqt/Runtime/GradientAllreduce.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Philox.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

namespace fqt::runtime {

const char *allreduceModeName(AllreduceMode mode) {
  switch (mode) {
  case AllreduceMode::F32:
    return "fp32";
  case AllreduceMode::Int8:
    return "int8";
  case AllreduceMode::Int4:
    return "int4";
  }
  return "?";
}

std::optional<AllreduceMode> parseAllreduceMode(const std::string &name) {
  for (AllreduceMode mode :
       {AllreduceMode::F32, AllreduceMode::Int8, AllreduceMode::Int4})
    if (name == allreduceModeName(mode))
      return mode;
  return std::nullopt;
}

GradientAllreduce::GradientAllreduce(Communicator &comm, AllreduceMode mode,
                                     std::vector<size_t> sizesIn, int threads)
    : comm(comm), mode(mode), sizes(std::move(sizesIn)),
      threads(std::max(1, threads)) {
  if (mode == AllreduceMode::F32)
    return;
  if (comm.getSize() > (1 << 14) || sizes.size() > (1u << 16))
    throw Error("--allreduce=" + std::string(allreduceModeName(mode)),
                "the quantized all-reduce keys its rounding by rank and "
                "parameter and takes at most 16384 ranks and 65536 "
                "parameters; this job has " +
                    std::to_string(comm.getSize()) + " ranks and " +
                    std::to_string(sizes.size()) + " parameters");
  for (size_t p = 0; p < sizes.size(); ++p)
    for (size_t start = 0; start < sizes[p]; start += kBlock) {
      blockParam.push_back(static_cast<uint32_t>(p));
      blockStart.push_back(start);
      blockSize.push_back(std::min(kBlock, sizes[p] - start));
    }
  codeStart.assign(blockSize.size() + 1, 0);
  for (size_t b = 0; b < blockSize.size(); ++b)
    codeStart[b + 1] = codeStart[b] + blockSize[b];
}

void GradientAllreduce::run(const std::vector<float *> &grads, uint64_t seed,
                            uint64_t step) {
  if (grads.size() != sizes.size())
    throw Error("allreduce", "expected " + std::to_string(sizes.size()) +
                                 " gradients, got " +
                                 std::to_string(grads.size()));
  if (comm.getSize() == 1)
    return;
  if (mode == AllreduceMode::F32)
    runF32(grads);
  else
    runQuantized(grads, seed, step);
}

void GradientAllreduce::runF32(const std::vector<float *> &grads) {
  size_t total = 0;
  for (size_t n : sizes)
    total += n;
  std::vector<float> &flat = scratch.flat;
  flat.resize(total);
  size_t offset = 0;
  for (size_t p = 0; p < sizes.size(); ++p) {
    std::memcpy(flat.data() + offset, grads[p], sizes[p] * sizeof(float));
    offset += sizes[p];
  }
  allreduceSum(comm, flat.data(), total);
  float n = static_cast<float>(comm.getSize());
  offset = 0;
  for (size_t p = 0; p < sizes.size(); ++p) {
    for (size_t i = 0; i < sizes[p]; ++i)
      grads[p][i] = flat[offset + i] / n;
    offset += sizes[p];
  }
}

namespace {

/// Stochastic rounding of VALUES[0, n) / SCALE to codes in [-qmax, qmax],
/// the uniforms of the Philox stream STREAM from counter FIRST / 4 on
/// (FIRST, a block's start in its parameter, is a multiple of 4; n is at
/// most kBlock).
// Compiled for the CPU the program runs on (picked when it loads): with
// AVX2 or AVX-512 the Philox lanes and the rounding are vector code, with
// the baseline x86-64 ISA (SSE2) mostly scalar, 3x slower.
__attribute__((target_clones("avx512f", "avx2", "default"))) void
roundBlock(const float *values, size_t n, float scale, int qmax, uint64_t seed,
           uint64_t step, uint32_t stream, size_t first, int8_t *codes) {
  if (!(scale > 0)) {
    std::fill(codes, codes + n, 0);
    return;
  }
  float u[GradientAllreduce::kBlock];
  philoxUniforms(seed, step, stream, first / 4, (n + 3) / 4, u);
  float inverse = 1.0f / scale, limit = static_cast<float>(qmax);
  int32_t wide[GradientAllreduce::kBlock];
  for (size_t i = 0; i < n; ++i) {
    float x = values[i] * inverse;
    x = x < -limit ? -limit : x > limit ? limit : x;
    // floor(x), from the truncation (|x| <= qmax, so it fits), in a form
    // the compiler vectorizes.
    float truncated = static_cast<float>(static_cast<int32_t>(x));
    float low = truncated - (x < truncated ? 1.0f : 0.0f);
    float code = low + (u[i] < x - low ? 1.0f : 0.0f);
    wide[i] = static_cast<int32_t>(code > limit ? limit : code);
  }
  for (size_t i = 0; i < n; ++i)
    codes[i] = static_cast<int8_t>(wide[i]);
}

uint32_t streamOf(int stage, int rank, uint32_t param) {
  return 0x80000000u | (uint32_t(stage) << 30) | (uint32_t(rank) << 16) | param;
}

/// BODY(begin, end) over [0, N) in THREADS contiguous ranges, one thread
/// each. The blocks are independent, so the results do not depend on
/// THREADS.
template <typename Body> void parallelFor(size_t n, int threads, Body body) {
  if (threads <= 1 || n < 2 * static_cast<size_t>(threads)) {
    body(size_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    auto [begin, end] = chunkOf(n, threads, t);
    pool.emplace_back([&body, begin = begin, end = end] { body(begin, end); });
  }
  auto [begin, end] = chunkOf(n, threads, 0);
  body(begin, end);
  for (std::thread &thread : pool)
    thread.join();
}

/// max |V[i]| over [0, n). On the bits: the magnitudes of floats order as
/// their bit patterns do (a NaN above infinity, so that it wins), and an
/// integer maximum vectorizes where a float one, with its NaN rules, does
/// not.
float absMax(const float *v, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], sizeof(bits));
    m = std::max(m, bits & 0x7FFFFFFFu);
  }
  float result;
  std::memcpy(&result, &m, sizeof(result));
  return result;
}

/// Codes as they travel: one per byte (8 bits), or two per byte (4 bits:
/// code + 8 in each nibble, the first in the low one).
size_t wireBytes(size_t n, bool int4) { return int4 ? (n + 1) / 2 : n; }

void pack(const int8_t *codes, size_t n, bool int4, uint8_t *out, int threads) {
  if (!int4) {
    if (n) // the buffers of an empty chunk may be null
      std::memcpy(out, codes, n);
    return;
  }
  parallelFor(n / 2, threads, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j)
      out[j] = static_cast<uint8_t>((codes[2 * j] + 8) |
                                    ((codes[2 * j + 1] + 8) << 4));
  });
  if (n % 2)
    out[n / 2] = static_cast<uint8_t>((codes[n - 1] + 8) | (8 << 4));
}

void unpack(const uint8_t *in, size_t n, bool int4, int8_t *codes,
            int threads) {
  if (!int4) {
    if (n)
      std::memcpy(codes, in, n);
    return;
  }
  parallelFor(n / 2, threads, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; ++j) {
      codes[2 * j] = static_cast<int8_t>(int(in[j] & 0xF) - 8);
      codes[2 * j + 1] = static_cast<int8_t>(int(in[j] >> 4) - 8);
    }
  });
  if (n % 2)
    codes[n - 1] = static_cast<int8_t>(int(in[n / 2] & 0xF) - 8);
}

/// SUMS[i] += the code at I of the N on the wire.
void unpackAdd(const uint8_t *in, size_t n, bool int4, int32_t *sums,
               int threads) {
  parallelFor(int4 ? n / 2 : n, threads, [&](size_t begin, size_t end) {
    if (!int4) {
      for (size_t i = begin; i < end; ++i)
        sums[i] += static_cast<int8_t>(in[i]);
      return;
    }
    for (size_t j = begin; j < end; ++j) {
      sums[2 * j] += int(in[j] & 0xF) - 8;
      sums[2 * j + 1] += int(in[j] >> 4) - 8;
    }
  });
  if (int4 && n % 2)
    sums[n - 1] += int(in[n / 2] & 0xF) - 8;
}

int wrap(int r, int size) { return ((r % size) + size) % size; }

} // namespace

void GradientAllreduce::runQuantized(const std::vector<float *> &grads,
                                     uint64_t seed, uint64_t step) {
  int size = comm.getSize(), rank = comm.getRank();
  bool int4 = mode == AllreduceMode::Int4;
  int qmax = int4 ? 7 : 127;
  size_t numBlocks = blockParam.size();
  auto values = [&](size_t b) { return grads[blockParam[b]] + blockStart[b]; };

  // (1) One scale per block that every rank uses.
  std::vector<float> &scale1 = scratch.scale1;
  scale1.resize(numBlocks);
  parallelFor(numBlocks, threads, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b)
      scale1[b] = absMax(values(b), blockSize[b]);
  });
  allreduceMax(comm, scale1.data(), numBlocks);
  for (float &s : scale1)
    s /= static_cast<float>(qmax);

  // (2) This rank's codes of every block.
  std::vector<int8_t> &codes = scratch.codes;
  codes.resize(codeStart[numBlocks]);
  parallelFor(numBlocks, threads, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b)
      roundBlock(values(b), blockSize[b], scale1[b], qmax, seed, step,
                 streamOf(0, rank, blockParam[b]), blockStart[b],
                 codes.data() + codeStart[b]);
  });

  // (3) Every rank's codes of this rank's chunk of blocks, summed exactly.
  auto [ownBegin, ownEnd] = chunkOf(numBlocks, size, rank);
  size_t ownFirst = codeStart[ownBegin],
         ownCount = codeStart[ownEnd] - ownFirst;
  std::vector<int32_t> &sums = scratch.sums;
  sums.assign(codes.begin() + ownFirst, codes.begin() + ownFirst + ownCount);
  std::vector<uint8_t> &sendWire = scratch.out, &recvWire = scratch.in;
  recvWire.resize(wireBytes(ownCount, int4));
  for (int s = 1; s < size; ++s) {
    int to = wrap(rank + s, size), from = wrap(rank - s, size);
    auto [toBegin, toEnd] = chunkOf(numBlocks, size, to);
    size_t toFirst = codeStart[toBegin], toCount = codeStart[toEnd] - toFirst;
    sendWire.resize(wireBytes(toCount, int4));
    pack(codes.data() + toFirst, toCount, int4, sendWire.data(), threads);
    comm.exchange(sendWire.data(), sendWire.size(), to, recvWire.data(),
                  recvWire.size(), from);
    unpackAdd(recvWire.data(), ownCount, int4, sums.data(), threads);
  }

  // (4) The owner's b-bit codes of the mean of its blocks.
  std::vector<float> &scale2 = scratch.scale2;
  scale2.resize(numBlocks);
  float ranks = static_cast<float>(size);
  parallelFor(ownEnd - ownBegin, threads, [&](size_t begin, size_t end) {
    float mean[kBlock];
    for (size_t b = ownBegin + begin; b < ownBegin + end; ++b) {
      const int32_t *sum = sums.data() + (codeStart[b] - ownFirst);
      for (size_t i = 0; i < blockSize[b]; ++i)
        mean[i] = scale1[b] * static_cast<float>(sum[i]) / ranks;
      scale2[b] = absMax(mean, blockSize[b]) / static_cast<float>(qmax);
      roundBlock(mean, blockSize[b], scale2[b], qmax, seed, step,
                 streamOf(1, rank, blockParam[b]), blockStart[b],
                 codes.data() + codeStart[b]);
    }
  });

  // (5) The owners' scales and codes round the ring; message = the chunk's
  // scales, then its codes on the wire.
  auto message = [&](int owner) {
    auto [begin, end] = chunkOf(numBlocks, size, owner);
    return std::make_pair((end - begin) * sizeof(float),
                          wireBytes(codeStart[end] - codeStart[begin], int4));
  };
  std::vector<uint8_t> &out = scratch.out, &in = scratch.in;
  int next = wrap(rank + 1, size), prev = wrap(rank - 1, size);
  for (int s = 0; s < size - 1; ++s) {
    int sendOwner = wrap(rank - s, size), recvOwner = wrap(rank - s - 1, size);
    auto [sendScales, sendCodes] = message(sendOwner);
    auto [sb, se] = chunkOf(numBlocks, size, sendOwner);
    out.resize(sendScales + sendCodes);
    if (sendScales)
      std::memcpy(out.data(), scale2.data() + sb, sendScales);
    pack(codes.data() + codeStart[sb], codeStart[se] - codeStart[sb], int4,
         out.data() + sendScales, threads);
    auto [recvScales, recvCodes] = message(recvOwner);
    auto [rb, re] = chunkOf(numBlocks, size, recvOwner);
    in.resize(recvScales + recvCodes);
    comm.exchange(out.data(), out.size(), next, in.data(), in.size(), prev);
    if (recvScales)
      std::memcpy(scale2.data() + rb, in.data(), recvScales);
    unpack(in.data() + recvScales, codeStart[re] - codeStart[rb], int4,
           codes.data() + codeStart[rb], threads);
  }

  // (6) The same decoded mean on every rank.
  parallelFor(numBlocks, threads, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      float *v = values(b);
      const int8_t *c = codes.data() + codeStart[b];
      for (size_t i = 0; i < blockSize[b]; ++i)
        v[i] = scale2[b] * static_cast<float>(c[i]);
    }
  });
}

} // namespace fqt::runtime

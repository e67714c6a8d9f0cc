//===- Philox.h - Philox-4x32-10 for the runtime ----------------*- C++ -*-===//
//
// The counter-based generator of the compiled quantizers (the arith version
// and its key and counter layout are documented in
// include/fqt/Conversion/Philox.h), for the stochastic rounding the runtime
// does itself: the quantized gradient all-reduce of data-parallel training.
// Ten rounds of Random123's philox4x32; the known-answer vectors are in the
// unit tests.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_PHILOX_H
#define FQT_RUNTIME_PHILOX_H

#include <array>
#include <cstdint>

namespace fqt::runtime {

inline std::array<uint32_t, 4> philox4x32x10(std::array<uint32_t, 4> c,
                                             std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += 0x9E3779B9u;
      k[1] += 0xBB67AE85u;
    }
    uint64_t p0 = uint64_t(0xD2511F53u) * c[0];
    uint64_t p1 = uint64_t(0xCD9E8D57u) * c[2];
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }
  return c;
}

/// The four uniform floats in [0, 1) of counter INDEX of the stream keyed
/// by (SEED, STEP, STREAM): the top 24 bits of each output word times
/// 2^-24, with the key and counter of the compiled quantizers'
/// (key = seed, counter = (lo32(index), hi32(index), lo32(step), stream)).
/// Like the compiled quantizers, the runtime's users take all four words,
/// one per element: element i of a tensor reads word i % 4 of counter i / 4.
inline std::array<float, 4> philoxUniform4(uint64_t seed, uint64_t step,
                                           uint32_t stream, uint64_t index) {
  std::array<uint32_t, 4> words = philox4x32x10(
      {uint32_t(index), uint32_t(index >> 32), uint32_t(step), stream},
      {uint32_t(seed), uint32_t(seed >> 32)});
  std::array<float, 4> u;
  for (int i = 0; i < 4; ++i)
    u[i] = float(words[i] >> 8) * 0x1p-24f;
  return u;
}

/// philoxUniform4 of counters FIRST, FIRST + 1, ..., FIRST + COUNT - 1 into
/// OUT[0, 4 COUNT), word by word: the same floats, computed eight counters
/// at a time in lanes the compiler vectorizes (32 x 32 -> 64-bit products).
inline void philoxUniforms(uint64_t seed, uint64_t step, uint32_t stream,
                           uint64_t first, size_t count, float *out) {
  constexpr size_t lanes = 64;
  for (size_t base = 0; base < count; base += lanes) {
    uint32_t c0[lanes], c1[lanes], c2[lanes], c3[lanes];
    for (size_t l = 0; l < lanes; ++l) {
      uint64_t index = first + base + l;
      c0[l] = uint32_t(index);
      c1[l] = uint32_t(index >> 32);
      c2[l] = uint32_t(step);
      c3[l] = stream;
    }
    uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      for (size_t l = 0; l < lanes; ++l) {
        uint64_t p0 = uint64_t(0xD2511F53u) * c0[l];
        uint64_t p1 = uint64_t(0xCD9E8D57u) * c2[l];
        uint32_t n0 = uint32_t(p1 >> 32) ^ c1[l] ^ k0;
        uint32_t n2 = uint32_t(p0 >> 32) ^ c3[l] ^ k1;
        c0[l] = n0;
        c1[l] = uint32_t(p1);
        c2[l] = n2;
        c3[l] = uint32_t(p0);
      }
    }
    for (size_t l = 0; l < lanes && base + l < count; ++l) {
      float *u = out + 4 * (base + l);
      u[0] = float(c0[l] >> 8) * 0x1p-24f;
      u[1] = float(c1[l] >> 8) * 0x1p-24f;
      u[2] = float(c2[l] >> 8) * 0x1p-24f;
      u[3] = float(c3[l] >> 8) * 0x1p-24f;
    }
  }
}

} // namespace fqt::runtime

#endif // FQT_RUNTIME_PHILOX_H

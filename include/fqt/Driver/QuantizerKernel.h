//===- QuantizerKernel.h - One quantizer, compiled for one shape -*- C++ -*-===//
//
// `fqt.quantize` / `fqt.dequantize` on a tensor of one static shape, lowered
// with fqt's CPU pipeline (the same lowering as inside a training program)
// and JIT-compiled in the process. The Python bindings use it to run the
// compiled quantizers on numpy arrays; tests use it to check them.
//
// A kernel is called like a program's entry point (Model.h): one array of
// buffer pointers, the arguments and then the results in the order args()
// and results() list them, each a dense row-major buffer the caller owns.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_DRIVER_QUANTIZERKERNEL_H
#define FQT_DRIVER_QUANTIZERKERNEL_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fqt {

/// What a quantizer spec means, independently of a shape.
struct QuantizerSpec {
  /// The attribute, e.g. "#fqt.psq<bits = 4>".
  std::string attribute;
  /// "ptq", "psq", "bhq", "percol", "lbt", "act", "weight".
  std::string kind;
  unsigned bits = 0;
  /// Codes are signed around zero and there is no offset (lbt).
  bool symmetric = false;
  /// Stochastic rounding: the kernel takes seed and step.
  bool stochastic = false;
  /// BHQ: quantize also returns the d0 x d0 inverse transform; rht: its
  /// `transformSize` random signs.
  bool transform = false;
  /// rht: the number of signs (its block size); 0: BHQ's d0 x d0.
  int64_t transformSize = 0;
  /// LBT: quantize takes the clipping factor gamma.
  bool gamma = false;
  /// Fewest rows (dimension 0) the quantizer accepts.
  int64_t minRows = 1;
};

/// Parses SPEC: `KIND:BITS` with KIND one of ptq, psq, bhq, percol, lbt, act,
/// weight, or `KIND:BITS/SIZE` with KIND blk or rht (blocks along the last
/// dimension), optionally `:nearest` or `:stochastic` (e.g. `ptq:4:nearest`),
/// or an attribute such as `#fqt.ptq<bits = 4, rounding = nearest>`. Returns
/// false with a one-line message in ERROR when SPEC is not a quantizer.
bool parseQuantizerSpec(const std::string &spec, QuantizerSpec &result,
                        std::string &error);

class QuantizerKernel {
public:
  enum class Kind { Quantize, Dequantize };

  /// One buffer of the kernel: "f32", "i8" or "i64", and its shape.
  struct Buffer {
    std::string name;
    std::string dtype;
    std::vector<int64_t> shape;
  };

  /// Compiles the kernel of KIND for SPEC on a tensor of SHAPE; the random
  /// stream of stochastic rounding is STREAM (the `stream` attribute of
  /// fqt.quantize). Returns null with the diagnostics in ERROR on failure.
  ///
  /// quantize:   (input f32 SHAPE, [seed i64, step i64], [gamma f32])
  ///          -> (codes i8 SHAPE, scale f32 S, [offset f32 S],
  ///              [transform f32 d0 x d0 (bhq) or SIZE (rht)])
  /// dequantize: (codes i8 SHAPE, scale f32 S, [offset f32 S],
  ///              [transform]) -> (result f32 SHAPE)
  /// where S is the scale shape of the quantizer's granularity.
  static std::unique_ptr<QuantizerKernel>
  create(Kind kind, const std::string &spec, const std::vector<int64_t> &shape,
         int64_t stream, std::string &error);
  ~QuantizerKernel();

  const QuantizerSpec &getSpec() const { return spec; }
  const std::vector<Buffer> &args() const { return argBuffers; }
  const std::vector<Buffer> &results() const { return resultBuffers; }
  /// The module that was compiled, before lowering (for error reports).
  const std::string &getSource() const { return source; }

  /// Runs the kernel on BUFFERS (args, then results).
  void call(void **buffers) const;

private:
  struct Impl;
  QuantizerKernel();

  QuantizerSpec spec;
  std::vector<Buffer> argBuffers, resultBuffers;
  std::string source;
  std::unique_ptr<Impl> impl;
};

} // namespace fqt

#endif // FQT_DRIVER_QUANTIZERKERNEL_H

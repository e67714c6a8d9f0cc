//===- StepAverager.h - The reducer of a data-parallel step -----*- C++ -*-===//
//
// What the ranks of a data-parallel job do between the halves of a split
// training step (Program::setStepReducer): the gradients become their mean
// over the ranks (GradientAllreduce, in the job's mode), the loss and the
// state the step updated (running statistics, lbt factors) their f32 mean
// (one exact ring all-reduce). Counts what that costs. The training
// executable and the Python trainer install it alike.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_STEPAVERAGER_H
#define FQT_RUNTIME_STEPAVERAGER_H

#include "fqt/Runtime/Communicator.h"
#include "fqt/Runtime/GradientAllreduce.h"
#include "fqt/Runtime/Program.h"

#include <optional>

namespace fqt::runtime {

class StepAverager {
public:
  /// THREADS: of the quantized modes' local work.
  StepAverager(Communicator &comm, AllreduceMode mode, int threads)
      : comm(comm), mode(mode), threads(threads) {}

  /// Averages VALUES in place. Throws Error for a gradient or state that is
  /// not f32, or a failed exchange.
  void operator()(Program::StepValues &values);

  AllreduceMode getMode() const { return mode; }
  /// Steps averaged, and the bytes this rank sent and the seconds it spent
  /// doing so (0 with one rank).
  int64_t getSteps() const { return steps; }
  uint64_t getBytes() const { return bytes; }
  double getSeconds() const { return seconds; }

private:
  Communicator &comm;
  AllreduceMode mode;
  int threads;
  /// Built at the first step, when the gradients' sizes are known.
  std::optional<GradientAllreduce> gradients;
  int64_t steps = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_STEPAVERAGER_H

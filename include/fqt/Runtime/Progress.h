//===- Progress.h - A progress bar on stderr --------------------*- C++ -*-===//
//
// Shown only when stderr is a terminal, so logs and pipes (and the scripts
// that parse stdout) never see it.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_PROGRESS_H
#define FQT_RUNTIME_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace fqt::runtime {

class Progress {
public:
  /// Enabled when ENABLED and stderr is a terminal.
  explicit Progress(bool enabled);

  /// Starts a bar labelled LABEL of TOTAL steps.
  void start(const std::string &label, int64_t total);
  /// DONE of the steps are done; redraws at most ten times a second.
  void update(int64_t done, double loss);
  /// Erases the bar.
  void finish();

private:
  bool enabled;
  std::string label;
  int64_t total = 0;
  std::chrono::steady_clock::time_point begin, lastDraw;
  bool drawn = false;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_PROGRESS_H

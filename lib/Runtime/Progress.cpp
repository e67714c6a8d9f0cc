//===- Progress.cpp - A progress bar on stderr ----------------------------===//

#include "fqt/Runtime/Progress.h"

#include <cstdio>
#include <unistd.h>

namespace fqt::runtime {

Progress::Progress(bool enabled) : enabled(enabled && isatty(2)) {}

void Progress::start(const std::string &newLabel, int64_t newTotal) {
  label = newLabel;
  total = newTotal;
  begin = lastDraw = std::chrono::steady_clock::now();
  drawn = false;
}

void Progress::update(int64_t done, double loss) {
  if (!enabled)
    return;
  auto now = std::chrono::steady_clock::now();
  if (drawn && done < total && now - lastDraw < std::chrono::milliseconds(100))
    return;
  lastDraw = now;
  drawn = true;
  double seconds = std::chrono::duration<double>(now - begin).count();
  double rate = seconds > 0 ? done / seconds : 0;
  const int width = 30;
  int filled = total ? static_cast<int>(width * done / total) : width;
  char bar[width + 1];
  for (int i = 0; i < width; ++i)
    bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
  bar[width] = 0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f step/s loss=%.4f\x1b[K",
               label.c_str(), bar, static_cast<long long>(done),
               static_cast<long long>(total), rate, loss);
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled && drawn) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
  drawn = false;
}

} // namespace fqt::runtime

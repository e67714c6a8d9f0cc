//===- Error.h - The runtime's one error type -------------------*- C++ -*-===//
//
// Every failure the runtime can meet (a missing dataset, a malformed .npy, a
// bad option, a corrupt checkpoint) is reported as one line
//
//   fqt: error: <subject>: <what>
//
// where the subject is the file or option at fault. The runtime throws
// fqt::runtime::Error from deep inside readers and loops and catches it once,
// in fqt_train_main, so that no reader needs an error-return path and no
// failure can turn into a crash. (The runtime is plain C++ with exceptions;
// it does not use LLVM's no-exceptions configuration.)
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_ERROR_H
#define FQT_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>

namespace fqt::runtime {

class Error : public std::runtime_error {
public:
  Error(std::string subject, const std::string &what)
      : std::runtime_error(what), subject(std::move(subject)) {}

  /// The file or option the error is about.
  const std::string &getSubject() const { return subject; }

  /// `<subject>: <what>`, the text after "fqt: error: ".
  std::string message() const { return subject + ": " + what(); }

private:
  std::string subject;
};

} // namespace fqt::runtime

#endif // FQT_RUNTIME_ERROR_H

//===- PrepareModel.cpp - ONNX checking, conversion, shape inference ------===//
//
// The ONNX library's version converter and shape inference dereference null
// on some malformed models that pass the checker (found by fuzzing). They
// therefore run in a worker process forked on first use and kept for later
// models: a crash there is reported as a diagnostic and the next model gets
// a new worker. Keeping the worker alive makes importing many models (the
// Python bindings, the fuzzer) cost one fork, not one per model. The checker
// runs in the calling process: it rejects most malformed models before any
// process is involved, and fuzzing has not made it crash.
//
//===----------------------------------------------------------------------===//

#include "PrepareModel.h"
#include "ConvertOpset.h"
#include "FoldShapes.h"
#include "fqt/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringRef.h"

#include "onnx/checker.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_set>

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;

namespace {

/// Joins ONNX's multi-line exception text into one diagnostic line.
std::string oneLine(StringRef text) {
  std::string message;
  for (char c : text.trim())
    if (!(c == '\n' || c == ' ') || (!message.empty() && message.back() != ' '))
      message.push_back(c == '\n' ? ' ' : c);
  return message;
}

/// Converts a checked model to `targetOpset` and infers its shapes. On
/// failure returns the library's message, prefixed with the stage that
/// failed. Runs in the worker.
std::optional<std::string>
convertAndInfer(::onnx::ModelProto &model, int64_t opset, int64_t targetOpset,
                const std::unordered_set<std::string> &importableOps) {
  std::string stage;
  try {
    stage = "converting opset " + std::to_string(opset) + " to " +
            std::to_string(targetOpset) + " of";
    fqt::detail::convertOpset(model, opset, targetOpset, importableOps);
    stage = "checking the converted";
    ::onnx::checker::check_model(model);
    stage = "inferring the shapes of";
    fqt::detail::inferShapesAndFold(model);
  } catch (const std::exception &e) {
    return stage + " the model failed: " + oneLine(e.what());
  }
  return std::nullopt;
}

bool sendAll(int fd, const void *data, size_t size) {
  const char *bytes = static_cast<const char *>(data);
  while (size > 0) {
    // MSG_NOSIGNAL: a dead peer must give an error, not a SIGPIPE.
    ssize_t n = send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes += n;
    size -= size_t(n);
  }
  return true;
}

bool receiveAll(int fd, void *data, size_t size) {
  char *bytes = static_cast<char *>(data);
  while (size > 0) {
    ssize_t n = recv(fd, bytes, size, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes += n;
    size -= size_t(n);
  }
  return true;
}

/// A message on the socket: an 8-byte length, then the bytes.
bool sendMessage(int fd, const std::string &message) {
  uint64_t size = message.size();
  return sendAll(fd, &size, sizeof(size)) &&
         sendAll(fd, message.data(), message.size());
}

bool receiveMessage(int fd, std::string &message) {
  uint64_t size = 0;
  if (!receiveAll(fd, &size, sizeof(size)))
    return false;
  message.resize(size);
  return receiveAll(fd, message.data(), size);
}

/// The worker's loop. A request is two messages, the opsets and the ops the
/// importer knows ("OPSET TARGET OP..."), and the serialized model; the reply
/// is 'M' + the prepared model or 'E' + the message. Ends when the importing
/// process closes its end.
[[noreturn]] void serve(int fd) {
  // A crash is reported by the importing process, so the tool's crash
  // handlers (stack dumps) are switched off.
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
    signal(sig, SIG_DFL);
  std::string opsets, bytes;
  while (receiveMessage(fd, opsets) && receiveMessage(fd, bytes)) {
    long long opset = 0, target = 0;
    ::onnx::ModelProto model;
    std::string reply;
    std::istringstream header(opsets);
    std::unordered_set<std::string> importableOps;
    bool parsed = bool(header >> opset >> target);
    for (std::string op; header >> op;)
      importableOps.insert(op);
    if (!parsed || !model.ParseFromString(bytes))
      reply = "Ethe worker received a garbled request";
    else if (std::optional<std::string> error =
                 convertAndInfer(model, opset, target, importableOps))
      reply = "E" + *error;
    else
      reply = "M" + model.SerializeAsString();
    if (!sendMessage(fd, reply))
      break;
  }
  _exit(0);
}

/// The worker process, started on first use and after a crash.
class Worker {
public:
  /// Sends one request; returns the reply, or an error message when the
  /// worker could not be started or died on this model.
  bool request(const std::string &opsets, const std::string &model,
               std::string &reply, std::string &error) {
    std::lock_guard<std::mutex> lock(mutex);
    if (pid < 0 && !start(error))
      return false;
    if (sendMessage(fd, opsets) && sendMessage(fd, model) &&
        receiveMessage(fd, reply))
      return true;
    int status = stop();
    ++crashes;
    if (WIFSIGNALED(status))
      error = "the ONNX library crashed (signal " +
              std::to_string(WTERMSIG(status)) +
              ") while converting or inferring the shapes of the model: "
              "the model is malformed";
    else
      error = "preparing the model failed unexpectedly";
    return false;
  }

private:
  bool start(std::string &error) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      error =
          std::string("cannot create a socket pair: ") + std::strerror(errno);
      return false;
    }
    pid_t child = fork();
    if (child < 0) {
      close(fds[0]);
      close(fds[1]);
      error = std::string("cannot fork: ") + std::strerror(errno);
      return false;
    }
    if (child == 0) {
      close(fds[0]);
      serve(fds[1]);
    }
    close(fds[1]);
    pid = child;
    fd = fds[0];
    return true;
  }

  /// Closes the socket and reaps the worker; returns its wait status.
  int stop() {
    close(fd);
    fd = -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return status;
  }

public:
  /// Requests on which the worker died.
  std::atomic<unsigned> crashes{0};

private:
  std::mutex mutex;
  pid_t pid = -1;
  int fd = -1;
};

/// The one worker; never destroyed: it ends when this process does.
Worker &getWorker() {
  static Worker *worker = new Worker();
  return *worker;
}

} // namespace

FailureOr<int64_t> fqt::detail::prepareModel(
    ::onnx::ModelProto &model, int64_t opset, int64_t targetOpset,
    ArrayRef<std::string> importableOps, Location fileLoc) {
  try {
    ::onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    emitError(fileLoc) << "checking the model failed: " << oneLine(e.what());
    return failure();
  }
  std::string reply, error;
  std::string header =
      std::to_string(opset) + " " + std::to_string(targetOpset);
  for (const std::string &op : importableOps)
    header += " " + op;
  if (!getWorker().request(header, model.SerializeAsString(), reply, error)) {
    emitError(fileLoc) << error;
    return failure();
  }
  if (!reply.empty() && reply[0] == 'E') {
    emitError(fileLoc) << StringRef(reply).drop_front();
    return failure();
  }
  ::onnx::ModelProto prepared;
  if (reply.empty() ||
      !prepared.ParseFromArray(reply.data() + 1, int(reply.size() - 1))) {
    emitError(fileLoc) << "preparing the model failed unexpectedly";
    return failure();
  }
  model = std::move(prepared);
  return targetOpset;
}

unsigned fqt::getONNXLibraryCrashCount() { return getWorker().crashes; }

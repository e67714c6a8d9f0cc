//===- StepAverager.cpp - The reducer of a data-parallel step -------------===//

#include "fqt/Runtime/StepAverager.h"
#include "fqt/Runtime/Error.h"

#include <chrono>
#include <cstring>

namespace fqt::runtime {

static float *f32Data(const std::string &kind, const std::string &name,
                      Tensor &tensor) {
  if (tensor.getDType() != DType::F32)
    throw Error("fqt_model_info", kind + " '" + name + "' is " +
                                      dtypeName(tensor.getDType()) +
                                      "; the all-reduce takes f32");
  return static_cast<float *>(tensor.data());
}

void StepAverager::operator()(Program::StepValues &values) {
  ++steps;
  int ranks = comm.getSize();
  if (ranks == 1)
    return;
  auto begin = std::chrono::steady_clock::now();
  uint64_t bytesBefore = comm.getBytesSent();
  std::vector<float *> grads;
  std::vector<size_t> sizes;
  for (auto &[name, grad] : values.grads) {
    grads.push_back(f32Data("gradient", name, *grad));
    sizes.push_back(static_cast<size_t>(grad->getNumElements()));
  }
  if (!gradients)
    gradients.emplace(comm, mode, sizes, threads);
  gradients->run(grads, static_cast<uint64_t>(values.seed),
                 static_cast<uint64_t>(values.step));
  // The loss and the state: their f32 mean, in one exact all-reduce.
  std::vector<float> rest = {static_cast<float>(values.loss)};
  for (auto &[name, state] : values.state) {
    const float *v = f32Data("state", name, *state);
    rest.insert(rest.end(), v, v + state->getNumElements());
  }
  allreduceSum(comm, rest.data(), rest.size());
  for (float &v : rest)
    v /= static_cast<float>(ranks);
  values.loss = rest[0];
  size_t offset = 1;
  for (auto &[name, state] : values.state) {
    std::memcpy(state->data(), rest.data() + offset, state->getByteSize());
    offset += static_cast<size_t>(state->getNumElements());
  }
  bytes += comm.getBytesSent() - bytesBefore;
  seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
          .count();
}

} // namespace fqt::runtime

//===- DistributedTest.cpp - Collectives, the gradient all-reduce, the split
// step -===//
//
// The ranks of a job are threads here, exchanging through mailboxes: the
// collectives and the all-reduce run as they do over MPI, without mpirun.
//
//===----------------------------------------------------------------------===//

#include "fqt/Runtime/Communicator.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/GradientAllreduce.h"
#include "fqt/Runtime/Philox.h"
#include "fqt/Runtime/Program.h"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

using namespace fqt::runtime;

namespace {

std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.message();
  }
  return "(no error)";
}

/// Messages between the threads of one job, by (from, to).
struct Mailboxes {
  std::mutex mutex;
  std::condition_variable arrived;
  std::map<std::pair<int, int>, std::deque<std::vector<char>>> queues;
};

class ThreadCommunicator final : public Communicator {
public:
  ThreadCommunicator(Mailboxes &boxes, int rank, int size)
      : boxes(boxes), rank(rank), size(size) {}
  int getRank() const override { return rank; }
  int getSize() const override { return size; }
  std::string getName() const override { return "threads"; }

protected:
  void sendRecv(const void *send, size_t sendBytes, int to, void *recv,
                size_t recvBytes, int from) override {
    std::unique_lock<std::mutex> lock(boxes.mutex);
    const char *bytes = static_cast<const char *>(send);
    boxes.queues[{rank, to}].emplace_back(bytes,
                                          bytes ? bytes + sendBytes : bytes);
    boxes.arrived.notify_all();
    auto &queue = boxes.queues[{from, rank}];
    boxes.arrived.wait(lock, [&] { return !queue.empty(); });
    std::vector<char> message = std::move(queue.front());
    queue.pop_front();
    if (message.size() != recvBytes)
      throw Error("threads", "rank " + std::to_string(rank) + " expected " +
                                 std::to_string(recvBytes) + " bytes from " +
                                 std::to_string(from) + ", got " +
                                 std::to_string(message.size()));
    if (recvBytes) // an empty chunk's buffer may be null
      std::memcpy(recv, message.data(), recvBytes);
  }

private:
  Mailboxes &boxes;
  int rank, size;
};

/// Runs BODY(comm) on SIZE threads, one rank each; rethrows the first
/// exception.
void runRanks(int size, const std::function<void(Communicator &)> &body) {
  Mailboxes boxes;
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      ThreadCommunicator comm(boxes, r, size);
      try {
        body(comm);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (std::exception_ptr &e : errors)
    if (e)
      std::rethrow_exception(e);
}

TEST(PhiloxTest, MatchesRandom123sKnownAnswers) {
  // Random123's tests/kat_vectors, philox4x32 10.
  EXPECT_EQ(philox4x32x10({0, 0, 0, 0}, {0, 0}),
            (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c,
                                     0x9b00dbd8}));
  EXPECT_EQ(philox4x32x10({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}),
            (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6,
                                     0x6d5451fd}));
  EXPECT_EQ(philox4x32x10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                          {0xa4093822, 0x299f31d0}),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420,
                                     0x24126ea1}));
  // The uniforms: the top 24 bits of each word.
  std::array<float, 4> u = philoxUniform4(0, 0, 0, 0);
  EXPECT_EQ(u[0], float(0x6627e8d5u >> 8) * 0x1p-24f);
  EXPECT_EQ(u[3], float(0x9b00dbd8u >> 8) * 0x1p-24f);
  // The batched version computes the same floats, counter by counter,
  // across the carry into the counter's high word.
  std::vector<float> batch(4 * 21);
  uint64_t first = 0xFFFFFFFFull - 9;
  philoxUniforms(5, 6, 7, first, 21, batch.data());
  for (uint64_t c = 0; c < 21; ++c) {
    std::array<float, 4> one = philoxUniform4(5, 6, 7, first + c);
    for (int w = 0; w < 4; ++w)
      EXPECT_EQ(batch[4 * c + w], one[w]) << c << " " << w;
  }
}

TEST(CollectivesTest, ChunksCoverTheRangeInOrder) {
  for (size_t n : {0, 1, 5, 7, 64})
    for (int size : {1, 2, 3, 8}) {
      size_t expected = 0;
      for (int r = 0; r < size; ++r) {
        auto [begin, end] = chunkOf(n, size, r);
        EXPECT_EQ(begin, expected);
        EXPECT_LE(end - begin, n / size + 1);
        expected = end;
      }
      EXPECT_EQ(expected, n);
    }
}

TEST(CollectivesTest, RingSumIsTheSameBitsOnEveryRank) {
  for (int size : {1, 2, 3, 5})
    for (size_t n : {1, 2, 7, 1000}) {
      std::vector<std::vector<float>> results(static_cast<size_t>(size));
      runRanks(size, [&](Communicator &comm) {
        std::vector<float> data(n);
        for (size_t i = 0; i < n; ++i)
          data[i] = std::sin(0.1f * float(i) + float(comm.getRank())) /
                    float(1 + comm.getRank());
        allreduceSum(comm, data.data(), n);
        results[comm.getRank()] = data;
      });
      for (size_t i = 0; i < n; ++i) {
        double exact = 0;
        for (int r = 0; r < size; ++r)
          exact += std::sin(0.1f * float(i) + float(r)) / float(1 + r);
        EXPECT_NEAR(results[0][i], exact, 1e-5);
      }
      for (int r = 1; r < size; ++r)
        EXPECT_EQ(std::memcmp(results[r].data(), results[0].data(),
                              n * sizeof(float)),
                  0)
            << "rank " << r << " of " << size << ", n = " << n;
    }
}

TEST(CollectivesTest, MaxAndGather) {
  runRanks(4, [](Communicator &comm) {
    float data[3] = {float(comm.getRank()), -float(comm.getRank()),
                     comm.getRank() == 2 ? NAN : 0.0f};
    allreduceMax(comm, data, 3);
    EXPECT_EQ(data[0], 3.0f);
    EXPECT_EQ(data[1], 0.0f);
    EXPECT_TRUE(std::isnan(data[2])); // a NaN reaches every rank
    std::vector<uint64_t> all = allgather(comm, 10 + comm.getRank());
    EXPECT_EQ(all, (std::vector<uint64_t>{10, 11, 12, 13}));
    EXPECT_EQ(firstRankDiffering(comm, 5), -1);
    EXPECT_EQ(firstRankDiffering(comm, comm.getRank() >= 2 ? 7 : 5), 2);
  });
}

/// Rank R's gradient of parameter P, value I: magnitudes that differ
/// between blocks and between ranks.
float gradientOf(int r, int p, size_t i) {
  float scale = (i / GradientAllreduce::kBlock) % 2 ? 4.0f : 0.25f;
  return scale * std::sin(0.37f * float(i) + 1.3f * float(r) + float(p)) +
         0.01f * float(r);
}

/// RANK's gradients of parameters of SIZES (gradientOf), and the pointers
/// GradientAllreduce::run takes.
struct RankGradients {
  RankGradients(int rank, const std::vector<size_t> &sizes) {
    for (size_t p = 0; p < sizes.size(); ++p) {
      values.emplace_back(sizes[p]);
      for (size_t i = 0; i < sizes[p]; ++i)
        values[p][i] = gradientOf(rank, int(p), i);
    }
    for (std::vector<float> &value : values)
      pointers.push_back(value.data());
  }
  std::vector<std::vector<float>> values;
  std::vector<float *> pointers;
};

TEST(GradientAllreduceTest, F32IsTheMeanOnEveryRank) {
  std::vector<size_t> sizes = {1000, 3, 300};
  std::vector<std::vector<std::vector<float>>> results(3);
  runRanks(3, [&](Communicator &comm) {
    RankGradients grads(comm.getRank(), sizes);
    GradientAllreduce(comm, AllreduceMode::F32, sizes)
        .run(grads.pointers, 1, 2);
    results[comm.getRank()] = grads.values;
  });
  for (size_t p = 0; p < sizes.size(); ++p)
    for (size_t i = 0; i < sizes[p]; ++i) {
      double mean = 0;
      for (int r = 0; r < 3; ++r)
        mean += gradientOf(r, int(p), i) / 3.0;
      EXPECT_NEAR(results[0][p][i], mean, 1e-6);
      EXPECT_EQ(results[1][p][i], results[0][p][i]);
      EXPECT_EQ(results[2][p][i], results[0][p][i]);
    }
}

/// The quantized modes: every rank decodes the same values; each is within
/// 2 s1 of the mean (s1, the block's agreed scale: the rounding of (2) moves
/// every rank's value by less than s1, that of (4) by less than s2 <= s1);
/// and over many steps (independent roundings) the average converges to
/// the mean at the rate the variance bound s1^2/(4N) + s2^2/4 allows: with
/// z = (average - mean) / sqrt(bound / steps), E[z^2] <= 1 for every value.
void checkUnbiased(AllreduceMode mode, int size) {
  std::vector<size_t> sizes = {1000, 300};
  int qmax = mode == AllreduceMode::Int8 ? 127 : 7;
  const int steps = 400;
  std::vector<std::vector<double>> sum(sizes.size());
  for (size_t p = 0; p < sizes.size(); ++p)
    sum[p].assign(sizes[p], 0.0);
  std::vector<std::vector<std::vector<float>>> results(
      static_cast<size_t>(size));
  for (int step = 0; step < steps; ++step) {
    runRanks(size, [&](Communicator &comm) {
      RankGradients grads(comm.getRank(), sizes);
      GradientAllreduce(comm, mode, sizes).run(grads.pointers, 7, step);
      results[comm.getRank()] = grads.values;
    });
    for (int r = 1; r < size; ++r)
      ASSERT_EQ(results[r], results[0]) << "step " << step << " rank " << r;
    for (size_t p = 0; p < sizes.size(); ++p)
      for (size_t i = 0; i < sizes[p]; ++i)
        sum[p][i] += results[0][p][i];
  }
  double zSquared = 0, zMax = 0;
  size_t count = 0;
  for (size_t p = 0; p < sizes.size(); ++p)
    for (size_t i = 0; i < sizes[p]; ++i) {
      size_t block = i / GradientAllreduce::kBlock;
      float absMax = 0;
      double mean = 0;
      for (int r = 0; r < size; ++r) {
        for (size_t j = block * GradientAllreduce::kBlock;
             j < std::min(sizes[p], (block + 1) * GradientAllreduce::kBlock);
             ++j)
          absMax = std::max(absMax, std::fabs(gradientOf(r, int(p), j)));
        mean += gradientOf(r, int(p), i) / double(size);
      }
      double s1 = absMax / qmax;
      double bound = s1 * s1 / (4.0 * size) + s1 * s1 / 4.0;
      // Deterministic: within 2 s1 at every step (checked on the last).
      EXPECT_LE(std::fabs(results[0][p][i] - mean), 2 * s1 * (1 + 1e-5));
      double z = (sum[p][i] / steps - mean) / std::sqrt(bound / steps);
      zSquared += z * z;
      zMax = std::max(zMax, std::fabs(z));
      ++count;
    }
  // 1300 values: the mean of z^2 (each of expectation <= 1, variance about
  // 2) has a standard deviation near 0.04; 1.2 is five of them above 1.
  EXPECT_LE(zSquared / count, 1.2) << allreduceModeName(mode);
  EXPECT_LE(zMax, 5.5) << allreduceModeName(mode);
}

TEST(GradientAllreduceTest, Int8IsUnbiasedAndTheSameOnEveryRank) {
  checkUnbiased(AllreduceMode::Int8, 2);
  checkUnbiased(AllreduceMode::Int8, 3);
}

TEST(GradientAllreduceTest, Int4IsUnbiasedAndTheSameOnEveryRank) {
  checkUnbiased(AllreduceMode::Int4, 2);
  checkUnbiased(AllreduceMode::Int4, 3);
}

TEST(GradientAllreduceTest, ThreadsDoNotChangeTheResult) {
  std::vector<size_t> sizes = {5000, 700};
  for (AllreduceMode mode : {AllreduceMode::Int8, AllreduceMode::Int4}) {
    std::map<int, std::vector<std::vector<float>>> byThreads;
    for (int threads : {1, 3})
      runRanks(2, [&](Communicator &comm) {
        RankGradients grads(comm.getRank(), sizes);
        GradientAllreduce(comm, mode, sizes, threads).run(grads.pointers, 3, 4);
        if (comm.getRank() == 1)
          byThreads[threads] = grads.values;
      });
    EXPECT_EQ(byThreads[1], byThreads[3]) << allreduceModeName(mode);
  }
}

TEST(GradientAllreduceTest, CodesTravelInAQuarterAndAnEighthOfTheBytes) {
  std::vector<size_t> sizes = {100000};
  std::map<AllreduceMode, uint64_t> bytes;
  for (AllreduceMode mode :
       {AllreduceMode::F32, AllreduceMode::Int8, AllreduceMode::Int4})
    runRanks(2, [&](Communicator &comm) {
      std::vector<float> grad(sizes[0], 0.5f);
      std::vector<float *> pointers = {grad.data()};
      GradientAllreduce(comm, mode, sizes).run(pointers, 0, 0);
      EXPECT_EQ(grad[12345], 0.5f); // equal values are exact
      if (comm.getRank() == 0)
        bytes[mode] = comm.getBytesSent();
    });
  // fp32: 2 (N-1)/N of 4 bytes per value. The codes: 1 byte or half a
  // byte per value, half of them each way; the scales of the 391 blocks:
  // the MAX all-reduce of all (both ways, 4 bytes), rank 0's 196 s2.
  EXPECT_EQ(bytes[AllreduceMode::F32], 400000u);
  EXPECT_EQ(bytes[AllreduceMode::Int8], 100000u + 391 * 4 + 196 * 4);
  EXPECT_EQ(bytes[AllreduceMode::Int4], 50000u + 391 * 4 + 196 * 4);
}

TEST(GradientAllreduceTest, ModesParseAndLimitsAreChecked) {
  EXPECT_EQ(parseAllreduceMode("int4"), AllreduceMode::Int4);
  EXPECT_EQ(parseAllreduceMode("int2"), std::nullopt);
  SingleProcess one;
  EXPECT_NE(errorOf([&] {
              GradientAllreduce(one, AllreduceMode::Int8,
                                std::vector<size_t>(70000, 1));
            }).find("at most 16384 ranks and 65536 parameters"),
            std::string::npos);
  // One rank: nothing to average, nothing sent.
  std::vector<float> g = {1.5f, -2.0f};
  std::vector<float *> pointers = {g.data()};
  GradientAllreduce(one, AllreduceMode::Int4, {2}).run(pointers, 0, 0);
  EXPECT_EQ(g, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(one.getBytesSent(), 0u);
}

//===----------------------------------------------------------------------===//
// The split step of a program compiled with --distributed
//===----------------------------------------------------------------------===//

// w (f32 2) starts at 1; train_grad_step's gradient is w, its loss the
// step, and it counts steps in the running statistic s; apply_update is
// SGD with a momentum-like sum m of the gradients.
const char *splitInfo = R"(fqt-model 1
optimizer sgd lr=0.5
function init
result param w f32 2
result state m f32 2
result state s f32 scalar
end
function train_grad_step
arg param w f32 2
arg state s f32 scalar
arg input x f32 4x3
arg label y i64 4
arg hyper step i64 scalar
arg hyper seed i64 scalar
result loss loss f32 scalar
result grad w f32 2
result state s f32 scalar
end
function apply_update
arg param w f32 2
arg state m f32 2
arg grad w f32 2
arg hyper lr f32 scalar
arg hyper step i64 scalar
result param w f32 2
result state m f32 2
end
)";

void splitInit(void **b) {
  float *w = static_cast<float *>(b[0]), *m = static_cast<float *>(b[1]);
  w[0] = w[1] = 1;
  m[0] = m[1] = 0;
  *static_cast<float *>(b[2]) = 0;
}
void splitGrad(void **b) {
  const float *w = static_cast<const float *>(b[0]);
  *static_cast<float *>(b[6]) = float(*static_cast<int64_t *>(b[4]));
  float *g = static_cast<float *>(b[7]);
  g[0] = w[0];
  g[1] = w[1];
  *static_cast<float *>(b[8]) = *static_cast<float *>(b[1]) + 1;
}
void splitUpdate(void **b) {
  const float *w = static_cast<const float *>(b[0]);
  const float *m = static_cast<const float *>(b[1]);
  const float *g = static_cast<const float *>(b[2]);
  float lr = *static_cast<float *>(b[3]);
  float *w2 = static_cast<float *>(b[5]), *m2 = static_cast<float *>(b[6]);
  for (int i = 0; i < 2; ++i) {
    w2[i] = w[i] - lr * g[i];
    m2[i] = m[i] + g[i];
  }
}

fqt_program splitProgram() {
  fqt_program abi = {};
  abi.info = splitInfo;
  abi.init = splitInit;
  abi.train_grad_step = splitGrad;
  abi.apply_update = splitUpdate;
  return abi;
}

TEST(SplitStepTest, TheReducerRunsBetweenTheHalves) {
  fqt_program abi = splitProgram();
  Program program(abi);
  EXPECT_TRUE(program.isSplitStep());
  program.init();
  Tensor x = program.makeInput(), y = program.makeLabel();
  int calls = 0;
  program.setStepReducer([&](Program::StepValues &values) {
    ++calls;
    EXPECT_EQ(values.step, 3);
    EXPECT_EQ(values.seed, 9);
    ASSERT_EQ(values.grads.size(), 1u);
    EXPECT_EQ(values.grads[0].first, "w");
    ASSERT_EQ(values.state.size(), 1u);
    EXPECT_EQ(values.state[0].first, "s");
    EXPECT_EQ(values.state[0].second->as<float>()[0], 1.0f);
    // Doubling the gradient doubles the update.
    float *g = static_cast<float *>(values.grads[0].second->data());
    g[0] *= 2;
    g[1] *= 2;
    values.loss = 42;
  });
  EXPECT_EQ(program.trainStep(x, y, 0.25, 3, 9), 42.0);
  EXPECT_EQ(calls, 1);
  auto params = program.getParams();
  EXPECT_EQ(params[0].second->as<float>()[0], 0.5f);
  auto state = program.getState();
  ASSERT_EQ(state.size(), 2u);
  for (auto &[name, value] : state)
    EXPECT_EQ(value->as<float>()[0], name == "m" ? 2.0f : 1.0f) << name;
  // The step can be undone as a whole.
  program.revertLastStep();
  EXPECT_EQ(program.getParams()[0].second->as<float>()[0], 1.0f);
}

TEST(SplitStepTest, BothHalvesAreNeededAndMustFit) {
  fqt_program abi = splitProgram();
  abi.apply_update = nullptr;
  EXPECT_NE(errorOf([&] { Program p(abi); }).find("has no entry point"),
            std::string::npos)
      << errorOf([&] { Program p(abi); });
  std::string info = splitInfo;
  info = info.substr(0, info.find("function apply_update"));
  abi = splitProgram();
  abi.info = info.c_str();
  EXPECT_NE(errorOf([&] {
              Program p(abi);
            }).find("train_grad_step but no apply_update"),
            std::string::npos);
  // A gradient train_grad_step does not return.
  info = splitInfo;
  info.replace(info.find("arg grad w f32 2"), 16, "arg grad v f32 2");
  abi.info = info.c_str();
  EXPECT_NE(errorOf([&] { Program p(abi); })
                .find("apply_update takes grad v f32 2, which "
                      "train_grad_step does not return"),
            std::string::npos);
  // A state neither half returns.
  info = splitInfo;
  info.replace(info.rfind("result state m f32 2"), 20, "");
  abi.info = info.c_str();
  EXPECT_NE(errorOf([&] {
              Program p(abi);
            }).find("do not return all the params and state"),
            std::string::npos)
      << errorOf([&] { Program p(abi); });
}

} // namespace

//===- RuntimeTest.cpp - Unit tests of the training runtime ---------------===//

#include "fqt/Runtime/AtomicFile.h"
#include "fqt/Runtime/Batching.h"
#include "fqt/Runtime/Checkpoint.h"
#include "fqt/Runtime/Cpu.h"
#include "fqt/Runtime/Dataset.h"
#include "fqt/Runtime/Error.h"
#include "fqt/Runtime/Idx.h"
#include "fqt/Runtime/ModelInfo.h"
#include "fqt/Runtime/Npy.h"
#include "fqt/Runtime/OnnxExport.h"
#include "fqt/Runtime/Options.h"
#include "fqt/Runtime/Program.h"
#include "fqt/Runtime/Weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <zlib.h>

using namespace fqt::runtime;
namespace fs = std::filesystem;

namespace {

/// Runs STATEMENT, which must throw Error, and returns its message.
template <typename F> std::string errorOf(F &&statement) {
  try {
    statement();
  } catch (const Error &error) {
    return error.message();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

#define EXPECT_ERROR(statement, substring)                                     \
  EXPECT_NE(errorOf([&] { statement; }).find(substring), std::string::npos)    \
      << errorOf([&] { statement; })

/// A fresh directory per test, removed afterwards.
class RuntimeFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "fqt-runtime-XXXXXX");
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir = templ;
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string path(const std::string &name) const { return dir / name; }
  void writeBytes(const std::string &name, const std::string &bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  void writeGzip(const std::string &name, const std::string &bytes) const {
    gzFile file = gzopen(path(name).c_str(), "wb");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(file);
  }
  /// Names in the directory (to see leftover temporary files).
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir))
      names.insert(entry.path().filename());
    return names;
  }

  fs::path dir;
};

//===----------------------------------------------------------------------===//
// fqt_model_info
//===----------------------------------------------------------------------===//

const char *goodInfo = R"(fqt-model 1
loss softmax_cross_entropy
optimizer sgd lr=0.05 momentum=0.9

function init
result param fc.weight f32 10x784
result state fc.weight.momentum f32 10x784
end
function train_step
arg param fc.weight f32 10x784
arg state fc.weight.momentum f32 10x784
arg input input f32 64x1x28x28
arg label labels i64 64
arg hyper lr f32 scalar
arg hyper step i64 scalar
arg hyper seed i64 scalar
result loss loss f32 scalar
result param fc.weight f32 10x784
result state fc.weight.momentum f32 10x784
end
)";

TEST(TensorTest, AnAllocationPastMemoryNamesItsSize) {
  // 2 x 10^6 x 10^6 floats: 7.3 TiB, more than any test machine has.
  EXPECT_ERROR(Tensor(DType::F32, Shape{2, 1000000, 1000000}),
               "memory: cannot allocate 7450.6 GiB (8000000000000 bytes) for "
               "a f32 tensor of shape 2x1000000x1000000");
}

TEST(ModelInfoTest, ParsesTheDocumentedFormat) {
  ModelInfo info = parseModelInfo(goodInfo);
  EXPECT_EQ(info.version, 1);
  EXPECT_EQ(info.loss, "softmax_cross_entropy");
  EXPECT_EQ(info.optimizer, "sgd");
  ASSERT_TRUE(info.getOptimizerLr().has_value());
  EXPECT_DOUBLE_EQ(*info.getOptimizerLr(), 0.05);
  EXPECT_EQ(info.optimizerOptions.at("momentum"), "0.9");
  ASSERT_EQ(info.functions.size(), 2u);
  EXPECT_EQ(info.getFunction("eval_step"), nullptr);
  const FunctionDesc *train = info.getFunction("train_step");
  ASSERT_NE(train, nullptr);
  ASSERT_EQ(train->args.size(), 7u);
  ASSERT_EQ(train->results.size(), 3u);
  EXPECT_EQ(train->numBuffers(), 10u);
  const BufferDesc &input = train->args[2];
  EXPECT_EQ(input.kind, BufferKind::Input);
  EXPECT_EQ(input.name, "input");
  EXPECT_EQ(input.dtype, DType::F32);
  EXPECT_EQ(input.shape, (Shape{64, 1, 28, 28}));
  EXPECT_EQ(train->args[4].shape, Shape{});
  EXPECT_EQ(train->args[3].dtype, DType::I64);
  EXPECT_EQ(train->results[0].kind, BufferKind::Loss);
  EXPECT_EQ(train->argsOfKind(BufferKind::Hyper).size(), 3u);
  EXPECT_EQ(train->resultsOfKind(BufferKind::State)[0]->name,
            "fc.weight.momentum");
  EXPECT_EQ(input.str(), "input input f32 64x1x28x28");
}

TEST(ModelInfoTest, ReadsTheTextFqtCompileWrites) {
  // As lib/Training's BuildTraining prints it: MLIR's type names, a
  // hyphenated loss, lr in scientific notation.
  ModelInfo info = parseModelInfo("fqt-model 1\nloss softmax-cross-entropy\n"
                                  "optimizer sgd lr=1.000000e-02\n"
                                  "function eval_step\n"
                                  "arg input input f32 64x1x28x28\n"
                                  "arg label labels ui8 64\n"
                                  "result output logits f32 64x10\nend\n");
  EXPECT_EQ(info.loss, "softmax-cross-entropy");
  EXPECT_DOUBLE_EQ(*info.getOptimizerLr(), 0.01);
  EXPECT_EQ(info.functions[0].args[1].dtype, DType::U8);
}

TEST(ModelInfoTest, OptimizerLrIsOptional) {
  EXPECT_FALSE(parseModelInfo("fqt-model 1\noptimizer sgd\n")
                   .getOptimizerLr()
                   .has_value());
  EXPECT_FALSE(parseModelInfo("fqt-model 1\noptimizer sgd lr=fast\n")
                   .getOptimizerLr()
                   .has_value());
}

TEST(CpuTest, ComparesTheProgramsFlagsWithTheCpus) {
  std::set<std::string> flags =
      parseCpuFlags("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n"
                    "bugs\t\t: spectre_v1\nprocessor\t: 1\n"
                    "flags\t\t: other\n");
  EXPECT_EQ(flags,
            (std::set<std::string>{"fpu", "sse2", "avx", "avx2", "fma"}));
  EXPECT_TRUE(parseCpuFlags("processor\t: 0\n").empty());
  EXPECT_TRUE(missingCpuFlags("avx2 fma", flags).empty());
  EXPECT_TRUE(missingCpuFlags("", flags).empty());
  EXPECT_EQ(missingCpuFlags("avx2 avx512f fma avx512_vnni", flags),
            (std::vector<std::string>{"avx512f", "avx512_vnni"}));
}

TEST(ModelInfoTest, RejectsMalformedText) {
  auto parse = [](const std::string &text) { parseModelInfo(text, "info"); };
  EXPECT_ERROR(parse(""), "info: empty model description");
  EXPECT_ERROR(parse("function f\nend\n"), "line 1: expected the header");
  EXPECT_ERROR(parse("fqt-model 2\n"), "unsupported format version '2'");
  EXPECT_ERROR(parse("fqt-model 1\nwhatever x\n"),
               "line 2: unknown line 'whatever'");
  EXPECT_ERROR(parse("fqt-model 1\narg param w f32 3\n"),
               "line 2: 'arg' outside a function");
  EXPECT_ERROR(parse("fqt-model 1\nend\n"), "'end' outside a function");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f32 3\n"),
               "line 2: function 'f' has no 'end'");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\nfunction g\n"),
               "line 3: expected 'arg', 'result' or 'end' in function f");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg parm w f32 3\nend\n"),
               "line 3: unknown buffer kind 'parm'");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f33 3\nend\n"),
               "unknown element type 'f33'");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f32 3xx4\nend\n"),
               "bad shape '3xx4'");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f32 0x4\nend\n"),
               "dimensions must be positive");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f32 ?x4\nend\n"),
               "bad shape '?x4'");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f32\nend\n"),
               "expected 'arg KIND NAME TYPE SHAPE', got 4 fields");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg loss l f32 scalar\nend\n"),
               "'loss' buffers are results, not arguments");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\nresult input x f32 3\nend\n"),
               "'input' buffers are arguments, not results");
  EXPECT_ERROR(
      parse("fqt-model 1\nfunction f\nresult workspace ws i8 64\nend\n"),
      "'workspace' buffers are arguments, not results");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg workspace ws f32 64\nend\n"),
               "a workspace is a vector of bytes (i8 N), got f32 64");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg workspace ws i8 8x8\nend\n"),
               "a workspace is a vector of bytes (i8 N), got i8 8x8");
  EXPECT_ERROR(
      parse("fqt-model 1\nfunction f\narg param w f32 3\narg param w f32 3\n"
            "end\n"),
      "line 4: duplicate arg param 'w' in f");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\nend\nfunction f\nend\n"),
               "function 'f' defined twice");
  EXPECT_ERROR(parse("fqt-model 1\nfunction f\narg param w f32 3x4\nend\n"
                     "function g\narg param w f32 4x3\nend\n"),
               "line 6: param 'w' is f32 4x3 in g but f32 3x4 on line 3");
  EXPECT_ERROR(parse("fqt-model 1\noptimizer sgd lr\n"),
               "expected key=value in the optimizer line");
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

/// An IDX file of u8 items of shape N x 2 x 3 with values i % 251.
std::string idxU8(uint32_t n) {
  std::string bytes = {0, 0, 0x08, 3};
  for (uint32_t dim : {n, 2u, 3u})
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes += static_cast<char>((dim >> shift) & 0xff);
  for (uint32_t i = 0; i < n * 6; ++i)
    bytes += static_cast<char>(i % 251);
  return bytes;
}

TEST_F(RuntimeFileTest, ReadsRawAndGzippedIdx) {
  std::string bytes = idxU8(5);
  writeBytes("raw-idx3-ubyte", bytes);
  writeGzip("gz-idx3-ubyte.gz", bytes);
  for (const char *name : {"raw-idx3-ubyte", "gz-idx3-ubyte.gz"}) {
    Tensor t = readIdx(path(name));
    EXPECT_EQ(t.getDType(), DType::U8);
    EXPECT_EQ(t.getShape(), (Shape{5, 2, 3}));
    for (int i = 0; i < 30; ++i)
      EXPECT_EQ(t.as<uint8_t>()[i], i % 251);
  }
  Tensor limited = readIdx(path("gz-idx3-ubyte.gz"), 2);
  EXPECT_EQ(limited.getShape(), (Shape{2, 2, 3}));
  EXPECT_EQ(limited.as<uint8_t>()[11], 11);
  EXPECT_EQ(readIdx(path("raw-idx3-ubyte"), 99).getShape()[0], 5);
}

TEST_F(RuntimeFileTest, ConvertsBigEndianIdxElements) {
  // i32, rank 1, two items: 0x01020304 and -2.
  std::string bytes = {0, 0, 0x0C, 1, 0, 0, 0, 2, 1, 2, 3, 4};
  bytes += std::string("\xff\xff\xff\xfe", 4);
  writeBytes("i32.idx", bytes);
  Tensor t = readIdx(path("i32.idx"));
  ASSERT_EQ(t.getDType(), DType::I32);
  EXPECT_EQ(t.as<int32_t>()[0], 0x01020304);
  EXPECT_EQ(t.as<int32_t>()[1], -2);
}

TEST_F(RuntimeFileTest, RejectsBadIdx) {
  EXPECT_ERROR(readIdx(path("missing.gz")),
               path("missing.gz") + ": No such file or directory");
  EXPECT_ERROR(readIdx(dir), "is a directory");
  std::string bytes = idxU8(5);
  writeGzip("short.gz", bytes.substr(0, bytes.size() - 1));
  EXPECT_ERROR(readIdx(path("short.gz")), "truncated data");
  writeBytes("long", bytes + "x");
  EXPECT_ERROR(readIdx(path("long")), "trailing data");
  // A header that claims 4 GB of u8 (1024 x 2048 x 2048) over 10 bytes of
  // data: refused after reading them, with no allocation of the claimed
  // size (found by fuzzing: the reader allocated what the header said).
  std::string lying = {0, 0, 0x08, 3, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 8, 0};
  writeBytes("lying", lying + std::string(10, 'x'));
  EXPECT_ERROR(readIdx(path("lying")),
               "truncated data (expected 4294967296 bytes, found 10)");
  writeBytes("magic", "PK\x03\x04 not idx");
  EXPECT_ERROR(readIdx(path("magic")), "not an IDX file");
  writeBytes("type", std::string("\0\0\x42\x01\0\0\0\0", 8));
  EXPECT_ERROR(readIdx(path("type")), "unknown IDX element type code 66");
  writeBytes("header", std::string("\0\0\x08\x03\0\0", 6));
  EXPECT_ERROR(readIdx(path("header")), "truncated header");
  writeBytes("corrupt.gz", "\x1f\x8b\x08\x00garbage that is not deflate");
  EXPECT_NE(errorOf([&] { readIdx(path("corrupt.gz")); }), "");
}

TEST_F(RuntimeFileTest, LoadsAnIdxDatasetNormalised) {
  // Two 2x2 images and their labels, gzip'd like Debian's files.
  std::string images = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2};
  images += std::string("\x00\xff\x00\xff\x10\x20\x30\x40", 8);
  std::string labels = {0, 0, 0x08, 1, 0, 0, 0, 2, 7, 3};
  writeGzip("train-images-idx3-ubyte.gz", images);
  writeBytes("train-labels-idx1-ubyte", labels); // raw works too
  Normalization norm{0.5f, 0.25f};
  Dataset data = loadIdxDataset(dir, "train", -1, norm);
  ASSERT_EQ(data.size(), 2);
  EXPECT_EQ(data.sampleSize(), 4);
  EXPECT_FLOAT_EQ(data.images.as<float>()[0], -2.0f); // (0 - 0.5)/0.25
  EXPECT_FLOAT_EQ(data.images.as<float>()[1], 2.0f);  // (1 - 0.5)/0.25
  EXPECT_EQ(data.labels.getDType(), DType::I64);
  EXPECT_EQ(data.labels.as<int64_t>()[0], 7);
  EXPECT_EQ(data.labels.as<int64_t>()[1], 3);
  EXPECT_EQ(loadIdxDataset(dir, "train", 1, norm).size(), 1);

  EXPECT_ERROR(loadIdxDataset(dir, "t10k", -1, norm),
               "t10k-images-idx3-ubyte.gz: No such file");
  EXPECT_ERROR(loadIdxDataset(path("nope"), "train", -1, norm),
               "no such dataset directory");
  writeBytes("train-labels-idx1-ubyte", {0, 0, 0x08, 1, 0, 0, 0, 1, 7});
  EXPECT_ERROR(loadIdxDataset(dir, "train", -1, norm),
               "has 1 labels for 2 images");
}

TEST(DatasetTest, DefaultNormalisationIsFashionMnist) {
  Tensor pixels(DType::U8, {1, 2});
  pixels.as<uint8_t>()[1] = 255;
  Tensor f = normalizeImages(pixels, Normalization());
  EXPECT_NEAR(f.as<float>()[0], -0.2860 / 0.3530, 1e-6);
  EXPECT_NEAR(f.as<float>()[1], (1 - 0.2860) / 0.3530, 1e-6);
  EXPECT_EQ(f.getShape(), (Shape{1, 2}));
}

TEST(DatasetTest, SampleSizeMustMatchTheInput) {
  checkSampleSize(784, {64, 1, 28, 28}, "x", "each image");
  checkSampleSize(784, {64, 784}, "x", "each image");
  EXPECT_ERROR(checkSampleSize(784, {64, 3, 32, 32}, "x", "each image"),
               "x: each image has 784 elements per sample, the program's "
               "input (64x3x32x32) takes 3072");
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

TEST_F(RuntimeFileTest, NpyRoundTrips) {
  for (DType type : {DType::F32, DType::I64, DType::I32, DType::U8}) {
    for (const Shape &shape : {Shape{}, Shape{3}, Shape{2, 3, 4}}) {
      Tensor t(type, shape);
      for (int64_t i = 0; i < t.getNumElements(); ++i)
        t.setFromDouble(i, static_cast<double>(i * 3 + 1));
      std::string file = path("a.npy");
      writeNpy(file, t);
      // numpy starts the data on a 64-byte boundary.
      EXPECT_EQ((fs::file_size(file) - t.getByteSize()) % 64, 0u);
      Tensor back = readNpy(file);
      EXPECT_EQ(back.getDType(), type);
      EXPECT_EQ(back.getShape(), shape);
      ASSERT_EQ(back.getByteSize(), t.getByteSize());
      EXPECT_EQ(std::memcmp(back.data(), t.data(), t.getByteSize()), 0);
    }
  }
  EXPECT_EQ(listing(), std::set<std::string>{"a.npy"});
}

/// A .npy file with the given header dict and data bytes.
std::string npy(const std::string &dict, const std::string &data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY\x01";
  bytes += '\0';
  bytes += static_cast<char>(header.size());
  bytes += '\0';
  return bytes + header + data;
}

TEST_F(RuntimeFileTest, NpyNarrowsF64) {
  double values[2] = {0.5, -3.25};
  writeBytes("d.npy", npy("{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (2,), }",
                          std::string(reinterpret_cast<char *>(values), 16)));
  Tensor t = readNpy(path("d.npy"));
  EXPECT_EQ(t.getDType(), DType::F32);
  EXPECT_EQ(t.getShape(), Shape{2});
  EXPECT_EQ(t.as<float>()[0], 0.5f);
  EXPECT_EQ(t.as<float>()[1], -3.25f);
}

TEST_F(RuntimeFileTest, NpyRejectsWhatItCannotRead) {
  std::string data(24, '\0');
  writeBytes(
      "fortran.npy",
      npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data));
  EXPECT_ERROR(readNpy(path("fortran.npy")),
               "Fortran-order arrays are not supported");
  writeBytes("big.npy", npy("{'descr': '>f4', 'fortran_order': False, "
                            "'shape': (2, 3), }",
                            data));
  EXPECT_ERROR(readNpy(path("big.npy")), "unsupported .npy dtype '>f4'");
  writeBytes("half.npy", npy("{'descr': '<f2', 'fortran_order': False, "
                             "'shape': (12,), }",
                             data));
  EXPECT_ERROR(readNpy(path("half.npy")), "unsupported .npy dtype '<f2'");
  writeBytes("short.npy", npy("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (2, 4), }",
                              data));
  EXPECT_ERROR(readNpy(path("short.npy")),
               "has 24 bytes of data, its header (shape 2x4, dtype <f4) "
               "needs 32");
  writeBytes("noshape.npy",
             npy("{'descr': '<f4', 'fortran_order': False}", data));
  EXPECT_ERROR(readNpy(path("noshape.npy")), "no 'shape'");
  writeBytes("text.npy", "just some text, not numpy");
  EXPECT_ERROR(readNpy(path("text.npy")), "not a .npy file");
  EXPECT_ERROR(readNpy(path("missing.npy")), "No such file or directory");
}

//===----------------------------------------------------------------------===//
// Shuffling and batching
//===----------------------------------------------------------------------===//

TEST(BatchingTest, SplitMix64MatchesTheReference) {
  // The first outputs of splitmix64 seeded with 0 (Vigna's splitmix64.c):
  // pinning them keeps shuffles identical across platforms and releases.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(rng.next(), 0x06c45d188009454full);
  for (int i = 0; i < 1000; ++i)
    EXPECT_LT(rng.nextBelow(7), 7u);
}

TEST(BatchingTest, ShuffleIsASeededPermutation) {
  SplitMix64 a(42), b(42), c(43);
  std::vector<int64_t> first = shuffledOrder(1000, a);
  EXPECT_EQ(first, shuffledOrder(1000, b));
  EXPECT_NE(first, shuffledOrder(1000, c));
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i)
    EXPECT_EQ(sorted[i], i);
  // The next epoch's order continues the generator: another permutation.
  EXPECT_NE(first, shuffledOrder(1000, a));
  // Restoring the state restores the sequence (what a checkpoint relies on).
  SplitMix64 d(7);
  shuffledOrder(10, d);
  SplitMix64 e;
  e.setState(d.getState());
  EXPECT_EQ(shuffledOrder(50, d), shuffledOrder(50, e));
  EXPECT_TRUE(shuffledOrder(0, d).empty());
}

TEST(BatchingTest, TrainingDropsAndEvaluationPadsTheLastBatch) {
  BatchPlan train{250, 100, false}, eval{250, 100, true};
  EXPECT_EQ(train.numBatches(), 2);
  EXPECT_EQ(eval.numBatches(), 3);
  EXPECT_EQ(eval.validRows(0), 100);
  EXPECT_EQ(eval.validRows(2), 50);
  EXPECT_EQ(eval.firstRow(2), 200);
  BatchPlan exact{200, 100, true};
  EXPECT_EQ(exact.numBatches(), 2);
  EXPECT_EQ(exact.validRows(1), 100);
  BatchPlan small{99, 100, false};
  EXPECT_EQ(small.numBatches(), 0);
  // Counting only valid rows covers every sample exactly once.
  int64_t counted = 0;
  for (int64_t b = 0; b < eval.numBatches(); ++b)
    counted += eval.validRows(b);
  EXPECT_EQ(counted, 250);
}

TEST(BatchingTest, GatherFollowsTheOrderAndPadsWithValidRows) {
  int32_t src[5][2] = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}};
  int64_t order[5] = {4, 2, 0, 3, 1};
  int32_t dst[4][2];
  gatherRows(src, sizeof(src[0]), order, 1, 4, 4, dst);
  EXPECT_EQ(dst[0][0], 2);
  EXPECT_EQ(dst[1][1], 0);
  EXPECT_EQ(dst[3][0], 1);
  // The last batch: two valid rows (3 and 4), padded by repeating them.
  gatherRows(src, sizeof(src[0]), nullptr, 3, 2, 4, dst);
  EXPECT_EQ(dst[0][0], 3);
  EXPECT_EQ(dst[1][0], 4);
  EXPECT_EQ(dst[2][0], 3);
  EXPECT_EQ(dst[3][0], 4);
}

//===----------------------------------------------------------------------===//
// Checkpoints and atomic files
//===----------------------------------------------------------------------===//

Checkpoint sampleCheckpoint() {
  Checkpoint c;
  c.epoch = 3;
  c.step = 180;
  c.rngState = 0x0123456789abcdefull;
  c.seed = 5;
  c.threads = 2;
  c.lastTrainLoss = 0.25;
  c.batchInEpoch = 7;
  c.epochLossSum = 3.5;
  c.trainSamples = 1000;
  c.ranks = 4;
  Tensor w(DType::F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    w.as<float>()[i] = 0.5f * i;
  Tensor s(DType::I64, {});
  s.as<int64_t>()[0] = 180;
  c.buffers.push_back({BufferKind::Param, "fc/weight", w});
  c.buffers.push_back({BufferKind::State, "steps", s});
  return c;
}

TEST_F(RuntimeFileTest, CheckpointRoundTrips) {
  writeCheckpoint(path("ck"), sampleCheckpoint());
  Checkpoint c = readCheckpoint(path("ck"));
  EXPECT_EQ(c.epoch, 3);
  EXPECT_EQ(c.step, 180);
  EXPECT_EQ(c.rngState, 0x0123456789abcdefull);
  EXPECT_EQ(c.seed, 5);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.lastTrainLoss, 0.25);
  EXPECT_EQ(c.batchInEpoch, 7);
  EXPECT_EQ(c.epochLossSum, 3.5);
  EXPECT_EQ(c.trainSamples, 1000);
  EXPECT_EQ(c.ranks, 4);
  ASSERT_EQ(c.buffers.size(), 2u);
  const Checkpoint::Buffer *w = c.find(BufferKind::Param, "fc/weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->value.getShape(), (Shape{2, 3}));
  EXPECT_EQ(w->value.as<float>()[5], 2.5f);
  EXPECT_EQ(c.find(BufferKind::State, "steps")->value.as<int64_t>()[0], 180);
  EXPECT_EQ(c.find(BufferKind::Param, "steps"), nullptr);
  EXPECT_EQ(listing(), std::set<std::string>{"ck"});
}

// Versions 1 (epoch-end checkpoints only) and 2 (no ranks) are still read:
// the same bytes without the fields added since.
std::string olderCheckpoint(uint32_t version) {
  std::string v3 = encodeCheckpoint(sampleCheckpoint());
  // magic(8) version(4) epoch step rng seed threads loss (6 x 8), then the
  // 24 bytes of the v2 fields and the 8 of v3's.
  size_t fields = 8 + 4 + 6 * 8, dropped = version == 1 ? 32 : 8;
  size_t kept = version == 1 ? fields : fields + 24;
  std::string old = v3.substr(0, kept) +
                    v3.substr(kept + dropped, v3.size() - 4 - kept - dropped);
  old[8] = static_cast<char>(version);
  uLong crc = crc32(0, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef *>(old.data()),
              static_cast<uInt>(old.size()));
  uint32_t stored = static_cast<uint32_t>(crc);
  old.append(reinterpret_cast<const char *>(&stored), 4);
  return old;
}

TEST_F(RuntimeFileTest, OlderCheckpointVersionsAreRead) {
  Checkpoint c = decodeCheckpoint(olderCheckpoint(1), "ck");
  EXPECT_EQ(c.step, 180);
  EXPECT_EQ(c.lastTrainLoss, 0.25);
  EXPECT_EQ(c.batchInEpoch, 0);
  EXPECT_EQ(c.trainSamples, 0);
  EXPECT_EQ(c.ranks, 0);
  EXPECT_EQ(c.buffers.size(), 2u);
  c = decodeCheckpoint(olderCheckpoint(2), "ck");
  EXPECT_EQ(c.batchInEpoch, 7);
  EXPECT_EQ(c.trainSamples, 1000);
  EXPECT_EQ(c.ranks, 0);
  EXPECT_EQ(c.buffers.size(), 2u);
  std::string future = encodeCheckpoint(sampleCheckpoint());
  future[8] = 4;
  EXPECT_ERROR(decodeCheckpoint(future, "ck"),
               "unsupported checkpoint version 4");
}

TEST_F(RuntimeFileTest, CorruptCheckpointsAreRejected) {
  std::string bytes = encodeCheckpoint(sampleCheckpoint());
  // Every single flipped byte is caught.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x20;
    EXPECT_NE(errorOf([&] { decodeCheckpoint(damaged, "ck"); }), "")
        << "byte " << i;
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 1;
  EXPECT_ERROR(decodeCheckpoint(flipped, "ck"),
               "ck: corrupt checkpoint (checksum mismatch)");
  for (size_t size : {size_t(0), size_t(5), size_t(20), bytes.size() - 1})
    EXPECT_NE(errorOf([&] { decodeCheckpoint(bytes.substr(0, size), "ck"); }),
              "")
        << "truncated to " << size;
  EXPECT_ERROR(decodeCheckpoint("not a checkpoint at all", "ck"),
               "not an fqt checkpoint");
  EXPECT_ERROR(readCheckpoint(path("none")), "No such file or directory");
  // A thread count libomp cannot start (it aborts the process) is refused
  // before any training.
  Checkpoint manyThreads = sampleCheckpoint();
  manyThreads.threads = 100000;
  EXPECT_ERROR(decodeCheckpoint(encodeCheckpoint(manyThreads), "ck"),
               "ck: corrupt checkpoint (100000 threads; at most 1024)");
}

TEST_F(RuntimeFileTest, AtomicFileLeavesNoPartialFile) {
  {
    AtomicFile file(path("out"));
    file.write("half of it");
    // Destroyed without commit(): the write failed somewhere.
  }
  EXPECT_TRUE(listing().empty());

  writeFileAtomically(path("out"), "old");
  try {
    AtomicFile file(path("out"));
    file.write("new but incomplete");
    throw Error("test", "interrupted");
  } catch (const Error &) {
  }
  EXPECT_EQ(readFile(path("out")), "old");
  EXPECT_EQ(listing(), std::set<std::string>{"out"});

  writeFileAtomically(path("out"), "new");
  EXPECT_EQ(readFile(path("out")), "new");

  // A rename that fails (onto a non-empty directory) leaves no temporary.
  fs::create_directory(path("sub"));
  writeBytes("sub/x", "x");
  EXPECT_ERROR(writeFileAtomically(path("sub"), "data"),
               "cannot replace the file");
  EXPECT_EQ(listing(), (std::set<std::string>{"out", "sub"}));
  EXPECT_ERROR(writeFileAtomically(path("no/such/dir/file"), "data"),
               "cannot create file");
}

//===----------------------------------------------------------------------===//
// Program: binding buffers, ping-pong, checkpoints
//===----------------------------------------------------------------------===//

// A tiny program: w (f32 2) starts at 1; each train step adds lr to it and
// counts steps in its state. The entry points check the runtime's side.
const char *tinyInfo = R"(fqt-model 1
optimizer sgd lr=0.5
function init
result param w f32 2
result state n i64 scalar
end
function train_step
arg param w f32 2
arg state n i64 scalar
arg input x f32 4x3
arg label y i64 4
arg hyper lr f32 scalar
arg hyper step i64 scalar
result loss loss f32 scalar
result param w f32 2
result state n i64 scalar
end
function eval_step
arg param w f32 2
arg input x f32 4x3
arg label y i64 4
result sample_loss l f32 4
result output o f32 4x5
end
)";

int aliasing = 0;

void tinyInit(void **b) {
  static_cast<float *>(b[0])[0] = static_cast<float *>(b[0])[1] = 1;
  *static_cast<int64_t *>(b[1]) = 0;
}
void tinyTrain(void **b) {
  if (b[7] == b[0] || b[8] == b[1])
    ++aliasing;
  float lr = *static_cast<float *>(b[4]);
  for (int i = 0; i < 2; ++i)
    static_cast<float *>(b[7])[i] = static_cast<float *>(b[0])[i] + lr;
  *static_cast<int64_t *>(b[8]) = *static_cast<int64_t *>(b[1]) + 1;
  *static_cast<float *>(b[6]) =
      static_cast<float>(*static_cast<int64_t *>(b[5]));
}
void tinyEval(void **b) {
  for (int i = 0; i < 4; ++i)
    static_cast<float *>(b[3])[i] = static_cast<float *>(b[0])[0];
}

fqt_program tinyProgram() {
  return {tinyInfo, tinyInit, tinyTrain, tinyEval, nullptr,
          nullptr,  nullptr,  nullptr,   nullptr};
}

TEST(ProgramTest, PingPongsParamsBetweenTwoSets) {
  fqt_program abi = tinyProgram();
  Program program(abi);
  EXPECT_EQ(program.getBatchSize(), 4);
  EXPECT_EQ(program.getNumClasses(), 5);
  EXPECT_FALSE(program.hasGradStep());
  EXPECT_TRUE(program.getOnnxModel().empty());
  program.init();
  Tensor x = program.makeInput(), y = program.makeLabel();
  aliasing = 0;
  EXPECT_EQ(program.trainStep(x, y, 0.25, 0, 0), 0.0);
  EXPECT_EQ(program.trainStep(x, y, 0.25, 1, 0), 1.0);
  EXPECT_EQ(program.trainStep(x, y, 0.25, 2, 0), 2.0);
  EXPECT_EQ(aliasing, 0);
  auto params = program.getParams();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].first, "w");
  EXPECT_FLOAT_EQ(params[0].second->as<float>()[1], 1.75f);
  program.evalStep(x, y);
  EXPECT_FLOAT_EQ(program.getSampleLoss().as<float>()[3], 1.75f);
  // The output is all zeros: the first class is the largest (ties go to
  // the first), and only the rows asked for count.
  int64_t classes[4] = {0, 1, 0, 0};
  auto [lossSum, correct] = program.scoreRows(classes, 3);
  EXPECT_FLOAT_EQ(lossSum, 3 * 1.75);
  EXPECT_EQ(correct, 2);

  // Snapshot, train on, restore: back to the snapshot's values.
  Checkpoint c;
  c.buffers = program.snapshot();
  ASSERT_EQ(c.buffers.size(), 2u);
  EXPECT_EQ(c.buffers[1].value.as<int64_t>()[0], 3);
  program.trainStep(x, y, 0.25, 3, 0);
  program.restore(c, "ck");
  EXPECT_FLOAT_EQ(program.getParams()[0].second->as<float>()[0], 1.75f);

  // revertLastStep makes the params and state before the last step current
  // again; findNonFinite names a buffer holding a NaN.
  program.trainStep(x, y, 0.25, 3, 0);
  EXPECT_FLOAT_EQ(program.getParams()[0].second->as<float>()[0], 2.0f);
  program.revertLastStep();
  EXPECT_FLOAT_EQ(program.getParams()[0].second->as<float>()[0], 1.75f);
  EXPECT_EQ(program.findNonFinite(), std::nullopt);
  float *w = const_cast<float *>(program.getParams()[0].second->as<float>());
  w[1] = std::numeric_limits<float>::max();
  w[0] = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(program.findNonFinite(), std::nullopt);
  w[1] = -INFINITY;
  EXPECT_EQ(program.findNonFinite(), std::optional<std::string>("w"));
  w[1] = NAN;
  EXPECT_EQ(program.findNonFinite(), std::optional<std::string>("w"));
  program.restore(c, "ck");

  // A checkpoint of another program is rejected by name.
  Checkpoint other = c;
  other.buffers[0].value = Tensor(DType::F32, {3});
  EXPECT_ERROR(program.restore(other, "ck"),
               "ck: param 'w' is f32 3 in the checkpoint but f32 2 in the "
               "program");
  other = c;
  other.buffers.pop_back();
  EXPECT_ERROR(program.restore(other, "ck"), "ck: has no state 'n'");
  other = c;
  other.buffers.push_back({BufferKind::Param, "extra", Tensor(DType::F32, {})});
  EXPECT_ERROR(program.restore(other, "ck"), "has param 'extra'");
}

TEST(ProgramTest, LabelsBecomeIndicesAndAreRangeChecked) {
  fqt_program abi = tinyProgram();
  Program program(abi);
  Tensor y = program.makeLabel();
  int64_t classes[4] = {0, 4, 2, 1};
  program.setLabels(y, classes, "labels");
  EXPECT_EQ(y.as<int64_t>()[1], 4);
  classes[2] = 5;
  EXPECT_ERROR(program.setLabels(y, classes, "labels"),
               "labels: label 5 is outside the model's 5 classes");
}

TEST(ProgramTest, RejectsInconsistentPrograms) {
  auto make = [](const std::string &info) {
    static std::string text;
    text = info;
    fqt_program abi = tinyProgram();
    abi.info = text.c_str();
    Program program(abi);
  };
  std::string info = tinyInfo;
  auto replace = [&](const std::string &from, const std::string &to) {
    std::string copy = info;
    copy.replace(copy.find(from), from.size(), to);
    return copy;
  };
  EXPECT_ERROR(make(replace("function init", "function start")),
               "fqt_model_info: the program has no init function");
  EXPECT_ERROR(make(replace("result state n i64 scalar\nend\nfunction eval",
                            "end\nfunction eval")),
               "train_step does not return exactly the params and state");
  EXPECT_ERROR(make(replace("arg hyper lr", "arg hyper momentum")),
               "takes hyper 'momentum'");
  EXPECT_ERROR(
      make(replace("result output o f32 4x5", "result output o f32 3x5")),
      "eval_step must return one float output of shape 4xK");
  EXPECT_ERROR(make(replace("arg label y i64 4\narg hyper",
                            "arg label y i64 3\narg hyper")),
               "label has batch 3 but its input has batch 4");
  // Only init takes weights, and init nothing else.
  EXPECT_ERROR(
      make(replace("function init\n", "function init\narg param w f32 2\n")),
      "init takes param w f32 2; it takes weights only");
  EXPECT_ERROR(make(replace("arg input x f32 4x3\narg label y i64 4\narg hyper",
                            "arg weight w f32 2\narg input x f32 4x3\narg "
                            "label y i64 4\narg hyper")),
               "train_step takes weight w f32 2; only init takes weights");
}

// The tiny program with a workspace in each step (train_step 100 bytes,
// eval_step 300): the runtime passes one buffer of the larger size to both,
// 64-byte aligned, the same in every call.
std::vector<void *> workspacesSeen;

void tinyTrainWithWorkspace(void **b) {
  workspacesSeen.push_back(b[6]);
  std::memset(b[6], 0xab, 100);
  void *shifted[9] = {b[0], b[1], b[2], b[3], b[4], b[5], b[7], b[8], b[9]};
  tinyTrain(shifted);
}
void tinyEvalWithWorkspace(void **b) {
  workspacesSeen.push_back(b[3]);
  std::memset(b[3], 0xcd, 300);
  void *shifted[5] = {b[0], b[1], b[2], b[4], b[5]};
  tinyEval(shifted);
}

TEST(ProgramTest, PassesOneWorkspaceToEveryFunction) {
  std::string info = tinyInfo;
  auto insert = [&](const std::string &before, const std::string &line) {
    info.insert(info.find(before), line);
  };
  insert("result loss loss", "arg workspace workspace i8 100\n");
  insert("result sample_loss", "arg workspace workspace i8 300\n");
  EXPECT_EQ(parseModelInfo(info).getWorkspaceBytes(), 300);
  fqt_program abi = tinyProgram();
  abi.info = info.c_str();
  abi.train_step = tinyTrainWithWorkspace;
  abi.eval_step = tinyEvalWithWorkspace;
  Program program(abi);
  program.init();
  Tensor x = program.makeInput(), y = program.makeLabel();
  workspacesSeen.clear();
  program.trainStep(x, y, 0.25, 0, 0);
  program.evalStep(x, y);
  program.trainStep(x, y, 0.25, 1, 0);
  ASSERT_EQ(workspacesSeen.size(), 3u);
  EXPECT_NE(workspacesSeen[0], nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(workspacesSeen[0]) % 64, 0u);
  EXPECT_EQ(workspacesSeen[1], workspacesSeen[0]);
  EXPECT_EQ(workspacesSeen[2], workspacesSeen[0]);
  EXPECT_FLOAT_EQ(program.getParams()[0].second->as<float>()[0], 1.5f);

  std::string twice = info;
  twice.insert(twice.find("result loss loss"), "arg workspace other i8 100\n");
  abi.info = twice.c_str();
  EXPECT_ERROR(Program{abi},
               "train_step takes 2 workspaces; a function takes one at most");
}

TEST(ProgramTest, InitWithoutTheProgramsWeightsIsAnError) {
  std::string info = tinyInfo;
  info.replace(info.find("function init\n"), 14,
               "function init\narg weight w f32 2\n");
  fqt_program abi = tinyProgram();
  abi.info = info.c_str();
  Program program(abi); // abi.weights is null: no fqt_weights.
  EXPECT_ERROR(program.init(),
               "fqt_model_info: init takes weights, but the program has no "
               "fqt_weights");
}

//===----------------------------------------------------------------------===//
// Options and the learning-rate schedule
//===----------------------------------------------------------------------===//

Options parse(std::vector<std::string> args) {
  std::vector<char *> argv{const_cast<char *>("train")};
  for (std::string &arg : args)
    argv.push_back(arg.data());
  return parseOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(OptionsTest, ParsesAndRejects) {
  Options o = parse({"--epochs=3", "--batch=64", "--seed=9", "--lr=0.2",
                     "--lr-schedule=step:2:0.5", "--train-limit=600",
                     "--normalize=0.1307,0.3081", "--threads=4", "--quiet"});
  EXPECT_EQ(o.epochs, 3);
  EXPECT_EQ(*o.batch, 64);
  EXPECT_EQ(o.seed, 9);
  EXPECT_TRUE(o.seedGiven);
  EXPECT_DOUBLE_EQ(*o.lr, 0.2);
  EXPECT_EQ(o.schedule.kind, LrSchedule::Step);
  EXPECT_EQ(o.schedule.every, 2);
  EXPECT_EQ(o.trainLimit, 600);
  EXPECT_EQ(o.testLimit, -1);
  EXPECT_FLOAT_EQ(o.normalize.mean, 0.1307f);
  EXPECT_EQ(*o.threads, 4);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(parse({}).data, "/usr/share/datasets/fashion-mnist");
  EXPECT_FLOAT_EQ(parse({}).normalize.std, 0.3530f);

  EXPECT_ERROR(parse({"--epochs=two"}), "--epochs: 'two' is not an integer");
  EXPECT_ERROR(parse({"--epochs"}), "--epochs: needs a value");
  EXPECT_ERROR(parse({"--lr=-1"}), "--lr: must be positive");
  EXPECT_ERROR(parse({"--lr-schedule=linear"}), "expected constant");
  EXPECT_ERROR(parse({"--normalize=0.5"}), "expected MEAN,STD");
  EXPECT_ERROR(parse({"--bogus=1"}), "--bogus=1: unknown option");
  EXPECT_ERROR(parse({"--inputs=x.npy"}), "only goes with --dump-gradients");
  EXPECT_EQ(parse({"--threads=1024"}).threads, 1024);
  EXPECT_ERROR(parse({"--threads=100000"}), "--threads: must be at most 1024");
  EXPECT_ERROR(parse({"--dump-gradients=d", "--inputs=x.npy"}),
               "needs --inputs=X.npy and --labels=Y.npy");
  EXPECT_EQ(
      parse({"--batch-steps=3", "--inputs=x.npy", "--labels=y.npy"}).batchSteps,
      3);
  EXPECT_ERROR(parse({"--batch-steps=0"}), "--batch-steps:");
  EXPECT_ERROR(parse({"--gradient-variance=4", "--batch-steps=3",
                      "--inputs=x.npy", "--labels=y.npy"}),
               "--batch-steps: cannot be combined with --gradient-variance");
}

TEST(OptionsTest, LearningRateSchedules) {
  LrSchedule constant;
  EXPECT_EQ(constant.at(0.1, 5, 500, 100, 10), 0.1);
  LrSchedule step;
  step.kind = LrSchedule::Step;
  step.every = 2;
  step.gamma = 0.5;
  EXPECT_DOUBLE_EQ(step.at(0.1, 0, 0, 100, 10), 0.1);
  EXPECT_DOUBLE_EQ(step.at(0.1, 1, 150, 100, 10), 0.1);
  EXPECT_DOUBLE_EQ(step.at(0.1, 2, 200, 100, 10), 0.05);
  EXPECT_DOUBLE_EQ(step.at(0.1, 5, 500, 100, 10), 0.025);
  LrSchedule cosine;
  cosine.kind = LrSchedule::Cosine;
  EXPECT_DOUBLE_EQ(cosine.at(0.1, 0, 0, 100, 2), 0.1);
  EXPECT_NEAR(cosine.at(0.1, 1, 100, 100, 2), 0.05, 1e-12);
  EXPECT_NEAR(cosine.at(0.1, 1, 200, 100, 2), 0.0, 1e-12);
}

TEST(OnnxExportTest, RejectsAModelThatDoesNotParse) {
  EXPECT_ERROR(checkOnnxModel("\xff\xff\xff garbage", "model"),
               "model: the embedded model is not a valid ONNX ModelProto");
}

} // namespace

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// A weights blob as fqt-compile writes it: w (f32 2x3, values 0..5) and b
/// (f32 2, values 10, 11), with or without its data.
std::string weightsBlob(bool withData, float bias = 10) {
  std::vector<float> w = {0, 1, 2, 3, 4, 5}, b = {bias, bias + 1};
  std::vector<fqt::weights::Entry> entries = {{"w", "f32 2x3", 0, 24},
                                         {"b", "f32 2", 0, 8}};
  std::string data(fqt::weights::layout(entries), '\0');
  std::memcpy(data.data() + entries[0].offset, w.data(), 24);
  std::memcpy(data.data() + entries[1].offset, b.data(), 8);
  std::string blob = fqt::weights::encodeHeader(
      entries, data.size(), fqt::weights::checksum(data.data(), data.size()),
      withData);
  return withData ? blob + data : blob;
}

TEST(WeightsTest, PointsIntoTheBlobAtAlignedOffsets) {
  std::string blob = weightsBlob(true);
  Weights w = Weights::parse(blob, "fqt_weights");
  ASSERT_TRUE(w.hasData());
  EXPECT_EQ(w.size(), 2u);
  auto *values = static_cast<const float *>(
      w.find({BufferKind::Weight, "w", DType::F32, {2, 3}}));
  auto *bias = static_cast<const float *>(
      w.find({BufferKind::Weight, "b", DType::F32, {2}}));
  EXPECT_EQ(values[5], 5.0f);
  EXPECT_EQ(bias[1], 11.0f);
  EXPECT_EQ((reinterpret_cast<const char *>(bias) -
             reinterpret_cast<const char *>(values)) %
                fqt::weights::kAlignment,
            0);
  EXPECT_ERROR(w.find({BufferKind::Weight, "w", DType::F32, {3, 2}}),
               "fqt_weights: weight 'w' is f32 2x3, but init takes f32 3x2");
  EXPECT_ERROR(w.find({BufferKind::Weight, "v", DType::F32, {2}}),
               "fqt_weights: has no weight 'v', which init takes");
}

TEST(WeightsTest, RejectsMalformedBlobs) {
  std::string blob = weightsBlob(true);
  EXPECT_ERROR(Weights::parse("not weights", "x"),
               "x: not fqt weights (no FQTWGT01 header)");
  EXPECT_ERROR(Weights::parse(blob.substr(0, 30), "x"),
               "x: the weights' header is cut short");
  EXPECT_ERROR(Weights::parse(blob.substr(0, blob.size() - 1), "x"),
               "x: is cut short");
  // An entry whose data would lie past the end.
  std::vector<fqt::weights::Entry> entries = {{"w", "f32 2x3", 64, 24}};
  std::string header = fqt::weights::encodeHeader(entries, 24, 0, false);
  EXPECT_ERROR(Weights::parse(header, "x"),
               "x: weight 'w' lies outside the weights' data");
}

TEST_F(RuntimeFileTest, ReadsOnlyTheProgramsOwnWeightsFile) {
  Weights program = Weights::parse(weightsBlob(false), "fqt_weights");
  EXPECT_FALSE(program.hasData());
  writeBytes("good.weights", weightsBlob(true));
  Weights read = Weights::readFile(path("good.weights"), program);
  EXPECT_EQ(static_cast<const float *>(read.find(
                {BufferKind::Weight, "b", DType::F32, {2}}))[0],
            10.0f);

  // Another program's weights: same layout, other values.
  writeBytes("other.weights", weightsBlob(true, 20));
  EXPECT_ERROR(Weights::readFile(path("other.weights"), program),
               "holds other weights than the program was compiled with");
  // A damaged file: its data no longer matches its own checksum.
  std::string damaged = weightsBlob(true);
  damaged.back() ^= 1;
  writeBytes("damaged.weights", damaged);
  EXPECT_ERROR(Weights::readFile(path("damaged.weights"), program),
               "is damaged: its data does not match its checksum");
  // Other names or shapes.
  std::vector<fqt::weights::Entry> entries = {{"w", "f32 3x2", 0, 24},
                                         {"b", "f32 2", 0, 8}};
  std::string data(fqt::weights::layout(entries), '\0');
  writeBytes("shape.weights",
             fqt::weights::encodeHeader(entries, data.size(),
                                   fqt::weights::checksum(data.data(), data.size()),
                                   true) +
                 data);
  EXPECT_ERROR(Weights::readFile(path("shape.weights"), program),
               "weight 'w' is f32 3x2 in the file but f32 2x3 in the program");
  writeBytes("header.weights", weightsBlob(false));
  EXPECT_ERROR(Weights::readFile(path("header.weights"), program),
               "holds a header without the weights' data");
  EXPECT_ERROR(Weights::readFile(path("missing.weights"), program),
               "cannot read the program's weights: No such file or directory");
}

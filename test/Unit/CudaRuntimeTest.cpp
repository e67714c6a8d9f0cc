//===- CudaRuntimeTest.cpp - The GPU runtime without a GPU ----------------===//
//
// lib/Runtime/CudaRuntime.cpp over test/Unit/FakeCudaDriver.cpp (host
// memory behind the driver API): the buffer pool that keeps a step's device
// memory across steps, its out-of-memory fallback, the argument checks, and
// the one-line errors of a machine without a driver or a device.
//
//===----------------------------------------------------------------------===//

#include "fqt/Runtime/CudaRuntime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" {
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuModuleUnload(void *module);
void mgpuSetDefaultDevice(int32_t device);
}

namespace {

struct Counters {
  uint64_t memAlloc, memAllocManaged, memFree, memcpy, streamSynchronize;
};

/// Points the runtime at the fake driver (before its first call) and reads
/// the fake's counters. Death tests run in a process of their own
/// (threadsafe style) where nothing has started the driver yet, so that
/// they can set the environment it reads first.
class CudaRuntimeDeathTest : public ::testing::Test {
protected:
  void SetUp() override {
    setenv("FQT_LIBCUDA", FQT_FAKE_CUDA_PATH, /*overwrite=*/1);
    unsetenv("FQT_FAKE_CUDA_MEMORY");
  }
  /// (After the runtime's first call, which loads the fake.)
  static const Counters &counters() {
    void *fake = dlopen(FQT_FAKE_CUDA_PATH, RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(fake, nullptr);
    auto get = reinterpret_cast<const Counters *(*)()>(
        dlsym(fake, "fake_cuda_counters"));
    return *get();
  }
  static FqtGpuPoolStats stats() {
    FqtGpuPoolStats s;
    fqt_gpu_pool_stats(&s);
    return s;
  }
};

class CudaRuntimeTest : public CudaRuntimeDeathTest {
protected:
  void SetUp() override {
    CudaRuntimeDeathTest::SetUp();
    // Start every test from an empty pool.
    fqt_gpu_pool_trim();
  }
};

TEST_F(CudaRuntimeTest, StepsReuseTheirBuffers) {
  // A step allocates the same buffers each time: after the first, the
  // driver allocates nothing more.
  uint64_t before = counters().memAlloc;
  for (int step = 0; step < 5; ++step) {
    void *a = mgpuMemAlloc(4096, nullptr, false);
    void *b = mgpuMemAlloc(100, nullptr, false);
    void *c = mgpuMemAlloc(4096, nullptr, false);
    EXPECT_NE(a, c);
    mgpuMemFree(b, nullptr);
    mgpuMemFree(a, nullptr);
    mgpuMemFree(c, nullptr);
  }
  EXPECT_EQ(counters().memAlloc - before, 3u);
  FqtGpuPoolStats s = stats();
  EXPECT_EQ(s.liveBytes, 0u);
  EXPECT_EQ(s.cachedBytes, 2 * 4096u + 100u);
}

TEST_F(CudaRuntimeTest, AFreedBufferServesTheNextOfItsSizeAndKind) {
  void *device = mgpuMemAlloc(512, nullptr, false);
  mgpuMemFree(device, nullptr);
  uint64_t reused = stats().reused;
  // Another size, and managed memory of the same size, are new buffers.
  void *other = mgpuMemAlloc(256, nullptr, false);
  void *managed = mgpuMemAlloc(512, nullptr, true);
  EXPECT_NE(managed, device);
  EXPECT_EQ(stats().reused, reused);
  void *again = mgpuMemAlloc(512, nullptr, false);
  EXPECT_EQ(again, device);
  EXPECT_EQ(stats().reused, reused + 1);
  for (void *p : {other, managed, again})
    mgpuMemFree(p, nullptr);
}

TEST_F(CudaRuntimeTest, EmptyTensorsGetABuffer) {
  void *empty = mgpuMemAlloc(0, nullptr, false);
  EXPECT_NE(empty, nullptr);
  mgpuMemFree(empty, nullptr);
}

TEST_F(CudaRuntimeTest, AFreeOnAStreamWaitsForItsKernels) {
  void *stream = mgpuStreamCreate();
  void *buffer = mgpuMemAlloc(64, stream, false);
  uint64_t waits = counters().streamSynchronize;
  mgpuMemFree(buffer, stream);
  EXPECT_EQ(counters().streamSynchronize, waits + 1);
  mgpuStreamDestroy(stream);
}

TEST_F(CudaRuntimeTest, CopiesMoveBytes) {
  char *a = static_cast<char *>(mgpuMemAlloc(6, nullptr, true));
  char *b = static_cast<char *>(mgpuMemAlloc(6, nullptr, true));
  std::snprintf(a, 6, "fqt!!");
  mgpuMemcpy(b, a, 6, nullptr);
  EXPECT_STREQ(b, "fqt!!");
  mgpuMemcpy(nullptr, nullptr, 0, nullptr); // nothing to copy: allowed
  mgpuMemFree(a, nullptr);
  mgpuMemFree(b, nullptr);
}

TEST_F(CudaRuntimeTest, OutOfMemoryEmptiesThePoolAndTriesAgain) {
  void *kept = mgpuMemAlloc(600, nullptr, false);
  mgpuMemFree(kept, nullptr);
  ASSERT_EQ(stats().cachedBytes, 600u);
  // 600 cached + 700 exceed the device: the pool gives its buffer back.
  setenv("FQT_FAKE_CUDA_MEMORY", "1000", 1);
  uint64_t freed = counters().memFree;
  void *big = mgpuMemAlloc(700, nullptr, false);
  EXPECT_NE(big, nullptr);
  EXPECT_EQ(counters().memFree, freed + 1);
  EXPECT_EQ(stats().cachedBytes, 0u);
  mgpuMemFree(big, nullptr);
}

TEST_F(CudaRuntimeDeathTest, OutOfMemoryIsOneError) {
  EXPECT_EXIT(
      {
        setenv("FQT_FAKE_CUDA_MEMORY", "1000", 1);
        void *live = mgpuMemAlloc(800, nullptr, false);
        (void)live;
        mgpuMemAlloc(4000, nullptr, false);
      },
      ::testing::ExitedWithCode(1),
      "error: cuMemAlloc of 4000 bytes \\(800 in use\\) failed: "
      "CUDA_ERROR_OUT_OF_MEMORY \\(out of memory\\)");
}

TEST_F(CudaRuntimeDeathTest, FreeingWhatWasNotAllocatedIsAnError) {
  int local = 0;
  EXPECT_EXIT(mgpuMemFree(&local, nullptr), ::testing::ExitedWithCode(1),
              "error: mgpuMemFree of a pointer that mgpuMemAlloc did not "
              "return, or freed twice");
  EXPECT_EXIT(
      {
        void *p = mgpuMemAlloc(8, nullptr, false);
        mgpuMemFree(p, nullptr);
        mgpuMemFree(p, nullptr);
      },
      ::testing::ExitedWithCode(1), "freed twice");
}

TEST_F(CudaRuntimeDeathTest, ANullCopyIsAnError) {
  EXPECT_EXIT(mgpuMemcpy(nullptr, nullptr, 4, nullptr),
              ::testing::ExitedWithCode(1),
              "error: mgpuMemcpy of a null pointer");
}

TEST_F(CudaRuntimeDeathTest, WithoutThePoolBuffersGoBackAtOnce) {
  // The pool reads FQT_GPU_POOL when it starts: in a process of its own.
  EXPECT_EXIT(
      {
        setenv("FQT_GPU_POOL", "0", 1);
        void *buffer = mgpuMemAlloc(64, nullptr, false);
        uint64_t freed = counters().memFree;
        mgpuMemFree(buffer, nullptr);
        FqtGpuPoolStats s = stats();
        std::exit(counters().memFree == freed + 1 && s.cachedBytes == 0 ? 3
                                                                        : 4);
      },
      ::testing::ExitedWithCode(3), "");
}

TEST_F(CudaRuntimeDeathTest, MachinesWithoutADriverOrADevice) {
  EXPECT_EXIT(
      {
        setenv("FQT_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
        mgpuMemAlloc(8, nullptr, false);
      },
      ::testing::ExitedWithCode(1),
      "error: no CUDA driver \\(libcuda.so.1\\): .*; the program was "
      "compiled for an NVIDIA GPU \\(--target=nvptx\\)");
  EXPECT_EXIT(
      {
        setenv("FQT_FAKE_CUDA_DEVICES", "0", 1);
        mgpuMemAlloc(8, nullptr, false);
      },
      ::testing::ExitedWithCode(1), "error: no CUDA device: no device");
}

TEST_F(CudaRuntimeDeathTest, OnlyDeviceZero) {
  mgpuSetDefaultDevice(0);
  EXPECT_EXIT(mgpuSetDefaultDevice(1), ::testing::ExitedWithCode(1),
              "error: only CUDA device 0 is supported");
}

TEST_F(CudaRuntimeDeathTest, AModuleTheDriverRefusesIsNamed) {
  static const char ptx[] = "not a module";
  void *module = mgpuModuleLoad(const_cast<char *>(ptx), sizeof(ptx));
  // Loading is deferred to the first kernel lookup.
  EXPECT_EXIT(mgpuModuleGetFunction(module, "kernel"),
              ::testing::ExitedWithCode(1),
              "error: cuModuleLoadData failed: CUDA_ERROR_NOT_SUPPORTED");
  mgpuModuleUnload(module);
}

} // namespace

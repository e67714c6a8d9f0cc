//===- FakeCudaDriver.cpp - A CUDA driver without a GPU, for tests --------===//
//
// The driver API functions lib/Runtime/CudaRuntime.cpp looks up, over host
// memory, so that the runtime's own logic (the buffer pool, argument checks,
// error paths) is tested on machines without a GPU: FQT_LIBCUDA names this
// library instead of libcuda.so.1. No kernel runs: module loads and launches
// fail with CUDA's "not supported".
//
//   FQT_FAKE_CUDA_DEVICES  devices cuDeviceGetCount reports (default 1)
//   FQT_FAKE_CUDA_MEMORY   bytes the device holds (default 1 GiB); an
//                          allocation beyond it fails with out of memory
//
// fake_cuda_counters() returns what was called, for the tests to compare.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace {
using CUresult = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2,
                   kNoDevice = 100, kNotSupported = 801;

std::mutex mutex;
std::unordered_map<CUdeviceptr, size_t> allocations;
size_t used = 0;

size_t capacity() {
  const char *value = std::getenv("FQT_FAKE_CUDA_MEMORY");
  return value ? std::strtoull(value, nullptr, 10) : size_t(1) << 30;
}

struct Counters {
  uint64_t memAlloc, memAllocManaged, memFree, memcpy, streamSynchronize;
} counters;

CUresult allocate(CUdeviceptr *ptr, size_t size, uint64_t &counter) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!ptr || size == 0)
    return kInvalidValue;
  if (used + size > capacity())
    return kOutOfMemory;
  void *memory = std::malloc(size);
  *ptr = reinterpret_cast<CUdeviceptr>(memory);
  allocations[*ptr] = size;
  used += size;
  ++counter;
  return kSuccess;
}
} // namespace

extern "C" {
const Counters *fake_cuda_counters() { return &counters; }
size_t fake_cuda_used_bytes() {
  std::lock_guard<std::mutex> lock(mutex);
  return used;
}

CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDeviceGetCount(int *count) {
  const char *value = std::getenv("FQT_FAKE_CUDA_DEVICES");
  *count = value ? std::atoi(value) : 1;
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
  static int primary;
  *context = &primary;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *) { return kSuccess; }
CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case kInvalidValue:
    *name = "CUDA_ERROR_INVALID_VALUE";
    break;
  case kOutOfMemory:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    break;
  case kNoDevice:
    *name = "CUDA_ERROR_NO_DEVICE";
    break;
  default:
    *name = "CUDA_ERROR_NOT_SUPPORTED";
  }
  return kSuccess;
}
CUresult cuGetErrorString(CUresult error, const char **text) {
  *text = error == kOutOfMemory ? "out of memory" : "fake driver";
  return kSuccess;
}
CUresult cuModuleLoadData(void **, const void *) { return kNotSupported; }
CUresult cuModuleLoadDataEx(void **, const void *, unsigned, int *, void **) {
  return kNotSupported;
}
CUresult cuModuleUnload(void *) { return kSuccess; }
CUresult cuModuleGetFunction(void **, void *, const char *) {
  return kNotSupported;
}
CUresult cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned,
                        unsigned, unsigned, unsigned, void *, void **,
                        void **) {
  return kNotSupported;
}
CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = std::malloc(1);
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *stream) {
  std::free(stream);
  return kSuccess;
}
CUresult cuStreamSynchronize(void *) {
  ++counters.streamSynchronize;
  return kSuccess;
}
CUresult cuStreamWaitEvent(void *, void *, unsigned) { return kSuccess; }
CUresult cuEventCreate(void **event, unsigned) {
  *event = std::malloc(1);
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *event) {
  std::free(event);
  return kSuccess;
}
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventRecord(void *, void *) { return kSuccess; }
CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t size) {
  return allocate(ptr, size, counters.memAlloc);
}
CUresult cuMemAllocManaged(CUdeviceptr *ptr, size_t size, unsigned) {
  return allocate(ptr, size, counters.memAllocManaged);
}
CUresult cuMemFree_v2(CUdeviceptr ptr) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = allocations.find(ptr);
  if (it == allocations.end())
    return kInvalidValue;
  used -= it->second;
  allocations.erase(it);
  std::free(reinterpret_cast<void *>(ptr));
  ++counters.memFree;
  return kSuccess;
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t size, void *) {
  if (size == 0)
    return kSuccess;
  std::memcpy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src),
              size);
  ++counters.memcpy;
  return kSuccess;
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                          void *) {
  auto *words = reinterpret_cast<unsigned *>(dst);
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  return kSuccess;
}
CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count,
                          void *) {
  auto *halves = reinterpret_cast<unsigned short *>(dst);
  for (size_t i = 0; i < count; ++i)
    halves[i] = value;
  return kSuccess;
}
CUresult cuMemHostRegister_v2(void *, size_t, unsigned) { return kSuccess; }
CUresult cuMemHostUnregister(void *) { return kSuccess; }
}

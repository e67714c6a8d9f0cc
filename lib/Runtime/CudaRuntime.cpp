//===- CudaRuntime.cpp - The mgpu* functions over the CUDA driver API -----===//
//
// Programs compiled with `fqt-compile --target=nvptx` launch their kernels
// through the functions MLIR's GPU lowering calls (mgpuModuleLoad,
// mgpuLaunchKernel, mgpuMemAlloc, ...), the same names and signatures as
// MLIR's CUDA runtime wrappers, which Debian does not ship. They are
// implemented here over the CUDA driver API.
//
// libcuda.so.1 is opened with dlopen on first use and never linked, so a
// training executable builds and starts on a machine without a GPU; there
// the first GPU call prints one message
//
//   <program>: error: no CUDA driver (libcuda.so.1): <reason>
//   <program>: error: no CUDA device
//
// and exits with status 1. A failing CUDA call likewise names the call and
// CUDA's error and exits: a training step cannot continue after one.
// FQT_LIBCUDA names another driver library (tests use it to simulate a
// machine without one, and test/Unit's fake driver to test this file).
//
// Device and managed memory is pooled: a training step allocates the same
// buffers every time it runs, and cuMemAlloc/cuMemFree cost tens of
// microseconds each and synchronize the device. A freed buffer waits in a
// list by size and kind for the next allocation of its size; where the
// device runs out of memory, the pool is emptied and the allocation tried
// once more. FQT_GPU_POOL=0 frees every buffer at once instead.
//
//===----------------------------------------------------------------------===//

#include <dlfcn.h>
#include <errno.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "fqt/Runtime/CudaRuntime.h"

namespace {

// The few driver API types used, as cuda.h defines them (the driver ABI is
// stable), so that this file builds without the CUDA toolkit.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
constexpr CUresult kSuccess = 0;
constexpr CUresult kOutOfMemory = 2;
constexpr CUresult kHostMemoryAlreadyRegistered = 712;
constexpr CUresult kHostMemoryNotRegistered = 713;
constexpr unsigned kMemAttachGlobal = 1;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuMemHostRegister)(void *, size_t, unsigned);
  CUresult (*cuMemHostUnregister)(void *);
  CUcontext context;
};

const char *programName() {
#ifdef __GLIBC__
  return program_invocation_short_name;
#else
  return "fqt";
#endif
}

[[noreturn]] void fatal(const char *message, const char *detail = nullptr) {
  std::fprintf(stderr, "%s: error: %s%s%s\n", programName(), message,
               detail ? ": " : "", detail ? detail : "");
  std::exit(1);
}

Driver loadDriver() {
  const char *path = std::getenv("FQT_LIBCUDA");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    std::fprintf(stderr,
                 "%s: error: no CUDA driver (libcuda.so.1): %s; the program "
                 "was compiled for an NVIDIA GPU (--target=nvptx)\n",
                 programName(), why ? why : "cannot be loaded");
    std::exit(1);
  }
  Driver d{};
  bool missing = false;
  auto get = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        dlsym(lib, name));
    if (!fn) {
      std::fprintf(stderr, "%s: error: the CUDA driver has no %s\n",
                   programName(), name);
      missing = true;
    }
  };
  get(d.cuInit, "cuInit");
  get(d.cuDeviceGetCount, "cuDeviceGetCount");
  get(d.cuDeviceGet, "cuDeviceGet");
  get(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  get(d.cuCtxSetCurrent, "cuCtxSetCurrent");
  get(d.cuGetErrorName, "cuGetErrorName");
  get(d.cuGetErrorString, "cuGetErrorString");
  get(d.cuModuleLoadData, "cuModuleLoadData");
  get(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  get(d.cuModuleUnload, "cuModuleUnload");
  get(d.cuModuleGetFunction, "cuModuleGetFunction");
  get(d.cuLaunchKernel, "cuLaunchKernel");
  get(d.cuStreamCreate, "cuStreamCreate");
  get(d.cuStreamDestroy, "cuStreamDestroy_v2");
  get(d.cuStreamSynchronize, "cuStreamSynchronize");
  get(d.cuStreamWaitEvent, "cuStreamWaitEvent");
  get(d.cuEventCreate, "cuEventCreate");
  get(d.cuEventDestroy, "cuEventDestroy_v2");
  get(d.cuEventSynchronize, "cuEventSynchronize");
  get(d.cuEventRecord, "cuEventRecord");
  get(d.cuMemAlloc, "cuMemAlloc_v2");
  get(d.cuMemAllocManaged, "cuMemAllocManaged");
  get(d.cuMemFree, "cuMemFree_v2");
  get(d.cuMemcpyAsync, "cuMemcpyAsync");
  get(d.cuMemsetD32Async, "cuMemsetD32Async");
  get(d.cuMemsetD16Async, "cuMemsetD16Async");
  get(d.cuMemHostRegister, "cuMemHostRegister_v2");
  get(d.cuMemHostUnregister, "cuMemHostUnregister");
  if (missing)
    std::exit(1);
  return d;
}

void check(const Driver &d, CUresult result, const char *call) {
  if (result == kSuccess)
    return;
  const char *name = "unknown error", *text = "";
  d.cuGetErrorName(result, &name);
  d.cuGetErrorString(result, &text);
  std::fprintf(stderr, "%s: error: %s failed: %s (%s)\n", programName(), call,
               name, text);
  std::exit(1);
}

/// The driver, initialized with device 0's primary context current on the
/// calling thread.
const Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    d = loadDriver();
    CUresult init = d.cuInit(0);
    int count = 0;
    if (init == kSuccess)
      init = d.cuDeviceGetCount(&count);
    if (init != kSuccess || count == 0) {
      const char *name = "no device";
      if (init != kSuccess)
        d.cuGetErrorName(init, &name);
      fatal("no CUDA device", name);
    }
    CUdevice device;
    check(d, d.cuDeviceGet(&device, 0), "cuDeviceGet");
    check(d, d.cuDevicePrimaryCtxRetain(&d.context, device),
          "cuDevicePrimaryCtxRetain");
  });
  // Kernels may be launched from any thread of the program.
  thread_local bool current = false;
  if (!current) {
    check(d, d.cuCtxSetCurrent(d.context), "cuCtxSetCurrent");
    current = true;
  }
  return d;
}

/// Buffers of mgpuMemAlloc, reused across steps (see the file comment).
class BufferPool {
public:
  void *allocate(const Driver &d, size_t size, bool managed) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<CUdeviceptr> &cached =
        (managed ? freeManaged : freeDevice)[size];
    CUdeviceptr ptr = 0;
    if (!cached.empty()) {
      ptr = cached.back();
      cached.pop_back();
      cachedBytes -= size;
      ++stats.reused;
    } else {
      CUresult result = driverAlloc(d, &ptr, size, managed);
      if (result == kOutOfMemory && cachedBytes > 0) {
        // Buffers of other sizes wait in the pool: give them back and try
        // once more.
        trimLocked(d);
        result = driverAlloc(d, &ptr, size, managed);
      }
      if (result != kSuccess) {
        char what[160];
        std::snprintf(what, sizeof(what), "%s of %zu bytes (%zu in use)",
                      managed ? "cuMemAllocManaged" : "cuMemAlloc", size,
                      liveBytes);
        check(d, result, what);
      }
      ++stats.driverAllocations;
    }
    live[ptr] = {size, managed};
    liveBytes += size;
    return reinterpret_cast<void *>(ptr);
  }

  void release(const Driver &d, void *pointer) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = live.find(reinterpret_cast<CUdeviceptr>(pointer));
    if (it == live.end())
      fatal("mgpuMemFree of a pointer that mgpuMemAlloc did not return, or "
            "freed twice");
    auto [size, managed] = it->second;
    live.erase(it);
    liveBytes -= size;
    if (!enabled) {
      check(d, d.cuMemFree(reinterpret_cast<CUdeviceptr>(pointer)),
            "cuMemFree");
      return;
    }
    (managed ? freeManaged : freeDevice)[size].push_back(
        reinterpret_cast<CUdeviceptr>(pointer));
    cachedBytes += size;
  }

  void trim(const Driver &d) {
    std::lock_guard<std::mutex> lock(mutex);
    trimLocked(d);
  }

  FqtGpuPoolStats getStats() {
    std::lock_guard<std::mutex> lock(mutex);
    FqtGpuPoolStats result = stats;
    result.liveBytes = liveBytes;
    result.cachedBytes = cachedBytes;
    return result;
  }

private:
  static CUresult driverAlloc(const Driver &d, CUdeviceptr *ptr, size_t size,
                              bool managed) {
    return managed ? d.cuMemAllocManaged(ptr, size, kMemAttachGlobal)
                   : d.cuMemAlloc(ptr, size);
  }

  void trimLocked(const Driver &d) {
    for (auto *lists : {&freeDevice, &freeManaged})
      for (auto &[size, pointers] : *lists)
        for (CUdeviceptr ptr : pointers)
          check(d, d.cuMemFree(ptr), "cuMemFree");
    freeDevice.clear();
    freeManaged.clear();
    cachedBytes = 0;
  }

  std::mutex mutex;
  std::unordered_map<size_t, std::vector<CUdeviceptr>> freeDevice, freeManaged;
  std::unordered_map<CUdeviceptr, std::pair<size_t, bool>> live;
  size_t liveBytes = 0, cachedBytes = 0;
  FqtGpuPoolStats stats{};
  const bool enabled = [] {
    const char *value = std::getenv("FQT_GPU_POOL");
    return !(value && std::strcmp(value, "0") == 0);
  }();
};

BufferPool &pool() {
  // Never destroyed: buffers may be freed by static destructors after
  // main returns.
  static BufferPool *instance = new BufferPool;
  return *instance;
}

} // namespace

extern "C" {

// The host code loads its device module in a global constructor. Loading
// is deferred to the first kernel lookup, so that a training executable
// starts (and answers --help) on a machine without a GPU and reports the
// missing driver only when a step runs.
struct LazyModule {
  LazyModule(const void *image, bool jit, int optLevel)
      : image(image), jit(jit), optLevel(optLevel) {}
  const void *image;
  bool jit;
  int optLevel;
  CUmodule module = nullptr;
  std::once_flag loaded;
};

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return new LazyModule(data, false, 0);
}

void *mgpuModuleLoadJIT(void *data, int optLevel, size_t /*size*/) {
  return new LazyModule(data, true, optLevel);
}

void mgpuModuleUnload(void *handle) {
  auto *lazy = static_cast<LazyModule *>(handle);
  if (lazy->module) {
    const Driver &d = driver();
    check(d, d.cuModuleUnload(lazy->module), "cuModuleUnload");
  }
  delete lazy;
}

CUfunction mgpuModuleGetFunction(void *handle, const char *name) {
  auto *lazy = static_cast<LazyModule *>(handle);
  const Driver &d = driver();
  std::call_once(lazy->loaded, [&] {
    if (!lazy->jit) {
      check(d, d.cuModuleLoadData(&lazy->module, lazy->image),
            "cuModuleLoadData");
      return;
    }
    // PTX, compiled by the driver: CU_JIT_OPTIMIZATION_LEVEL = 7.
    int options[] = {7};
    void *values[] = {
        reinterpret_cast<void *>(static_cast<intptr_t>(lazy->optLevel))};
    check(d,
          d.cuModuleLoadDataEx(&lazy->module, lazy->image, 1, options, values),
          "cuModuleLoadDataEx");
  });
  CUfunction function = nullptr;
  check(d, d.cuModuleGetFunction(&function, lazy->module, name),
        "cuModuleGetFunction");
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, CUstream stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  const Driver &d = driver();
  check(d,
        d.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                         smem, stream, params, extra),
        "cuLaunchKernel");
}

CUstream mgpuStreamCreate() {
  const Driver &d = driver();
  CUstream stream = nullptr;
  // CU_STREAM_NON_BLOCKING = 1.
  check(d, d.cuStreamCreate(&stream, 1), "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(CUstream stream) {
  const Driver &d = driver();
  check(d, d.cuStreamDestroy(stream), "cuStreamDestroy");
}

void mgpuStreamSynchronize(CUstream stream) {
  const Driver &d = driver();
  check(d, d.cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  const Driver &d = driver();
  check(d, d.cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

CUevent mgpuEventCreate() {
  const Driver &d = driver();
  CUevent event = nullptr;
  // CU_EVENT_DISABLE_TIMING = 2.
  check(d, d.cuEventCreate(&event, 2), "cuEventCreate");
  return event;
}

void mgpuEventDestroy(CUevent event) {
  const Driver &d = driver();
  check(d, d.cuEventDestroy(event), "cuEventDestroy");
}

void mgpuEventSynchronize(CUevent event) {
  const Driver &d = driver();
  check(d, d.cuEventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(CUevent event, CUstream stream) {
  const Driver &d = driver();
  check(d, d.cuEventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t sizeBytes, CUstream /*stream*/, bool isHostShared) {
  const Driver &d = driver();
  // Zero-sized buffers exist (empty tensors); CUDA refuses them.
  size_t size = sizeBytes ? sizeBytes : 1;
  return pool().allocate(d, size, isHostShared);
}

void mgpuMemFree(void *ptr, CUstream stream) {
  const Driver &d = driver();
  // Kernels of STREAM may still read the buffer: it waits in the pool only
  // once they are done.
  if (stream)
    check(d, d.cuStreamSynchronize(stream), "cuStreamSynchronize");
  pool().release(d, ptr);
}

void fqt_gpu_pool_stats(FqtGpuPoolStats *stats) { *stats = pool().getStats(); }

void fqt_gpu_pool_trim() { pool().trim(driver()); }

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, CUstream stream) {
  const Driver &d = driver();
  if (sizeBytes && (!dst || !src))
    fatal("mgpuMemcpy of a null pointer");
  check(d,
        d.cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                        reinterpret_cast<CUdeviceptr>(src), sizeBytes, stream),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, CUstream stream) {
  const Driver &d = driver();
  check(d,
        d.cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                           stream),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  CUstream stream) {
  const Driver &d = driver();
  check(d,
        d.cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                           stream),
        "cuMemsetD16Async");
}

void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes) {
  const Driver &d = driver();
  CUresult r = d.cuMemHostRegister(ptr, sizeBytes, 0);
  if (r != kHostMemoryAlreadyRegistered)
    check(d, r, "cuMemHostRegister");
}

void mgpuMemHostUnregister(void *ptr) {
  const Driver &d = driver();
  CUresult r = d.cuMemHostUnregister(ptr);
  if (r != kHostMemoryNotRegistered)
    check(d, r, "cuMemHostUnregister");
}

void mgpuSetDefaultDevice(int32_t device) {
  if (device != 0)
    fatal("only CUDA device 0 is supported");
}

} // extern "C"

//===- CudaRuntime.h - What the GPU runtime reports about itself -*- C++
//-*-===//
//
// The mgpu* functions of lib/Runtime/CudaRuntime.cpp are called by compiled
// GPU programs under MLIR's names; these two are the runtime's own, for
// tests and tools.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_CUDARUNTIME_H
#define FQT_RUNTIME_CUDARUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The buffer pool of mgpuMemAlloc/mgpuMemFree.
typedef struct FqtGpuPoolStats {
  /// Allocations the driver made (cuMemAlloc, cuMemAllocManaged).
  uint64_t driverAllocations;
  /// Allocations served by a freed buffer of the same size and kind.
  uint64_t reused;
  /// Bytes allocated and not freed, and freed bytes kept for reuse.
  uint64_t liveBytes;
  uint64_t cachedBytes;
} FqtGpuPoolStats;

void fqt_gpu_pool_stats(FqtGpuPoolStats *stats);

/// Gives every buffer kept for reuse back to the driver.
void fqt_gpu_pool_trim(void);

#ifdef __cplusplus
}
#endif

#endif // FQT_RUNTIME_CUDARUNTIME_H

// fqt's int8 GEMM kernel (fqt-gpu-int8-mma: mma.sync m16n8k32, s8 x s8 ->
// s32) against cuBLASLt's int8 GEMM (CUBLAS_COMPUTE_32I, TN layout) on the
// same device buffers, in one process. Checks that both give the same i32
// result, then prints one Markdown table row:
//
//   | M x N x K | fqt TOPS | cuBLASLt TOPS | ratio |
//
// fqt's side is the host function `gemm` that fqt-opt --fqt-gpu-pipeline
// compiled (gpu_gemm.sh builds it); it launches through lib/Runtime's mgpu*
// functions and synchronizes after each launch, which is included in its
// time (as in a training step).
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

template <typename T> struct MemRef2D {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

extern "C" void _mlir_ciface_gemm(MemRef2D<int8_t> *a, MemRef2D<int8_t> *b,
                                  MemRef2D<int32_t> *c);

#define CHECK_CUDA(x)                                                          \
  do {                                                                         \
    cudaError_t e = (x);                                                       \
    if (e != cudaSuccess) {                                                    \
      std::fprintf(stderr, "gpu_gemm: %s: %s\n", #x, cudaGetErrorString(e));   \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)
#define CHECK_LT(x)                                                            \
  do {                                                                         \
    cublasStatus_t s = (x);                                                    \
    if (s != CUBLAS_STATUS_SUCCESS) {                                          \
      std::fprintf(stderr, "gpu_gemm: %s: status %d\n", #x, int(s));           \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

template <typename T> MemRef2D<T> view(T *p, int64_t rows, int64_t cols) {
  return {p, p, 0, {rows, cols}, {cols, 1}};
}

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: gpu_gemm M N K [reps]\n");
    return 2;
  }
  int64_t m = std::atoll(argv[1]), n = std::atoll(argv[2]),
          k = std::atoll(argv[3]);
  int reps = argc > 4 ? std::atoi(argv[4]) : 20;

  std::vector<int8_t> ha(m * k), hb(n * k);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> dist(-128, 127);
  for (auto &x : ha)
    x = dist(rng);
  for (auto &x : hb)
    x = dist(rng);
  int8_t *a, *b;
  int32_t *cFqt, *cLt;
  CHECK_CUDA(cudaMalloc(&a, m * k));
  CHECK_CUDA(cudaMalloc(&b, n * k));
  CHECK_CUDA(cudaMalloc(&cFqt, m * n * 4));
  CHECK_CUDA(cudaMalloc(&cLt, m * n * 4));
  CHECK_CUDA(cudaMemcpy(a, ha.data(), m * k, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(b, hb.data(), n * k, cudaMemcpyHostToDevice));

  // fqt: C += A B^T; from zero once for the check.
  MemRef2D<int8_t> va = view(a, m, k), vb = view(b, n, k);
  MemRef2D<int32_t> vc = view(cFqt, m, n);
  CHECK_CUDA(cudaMemset(cFqt, 0, m * n * 4));
  _mlir_ciface_gemm(&va, &vb, &vc);

  // cuBLASLt, column-major: C^T (N x M) = B_stored^T(op T of K x N) * A^T
  // (K x M), i.e. the TN int8 GEMM.
  cublasLtHandle_t lt;
  CHECK_LT(cublasLtCreate(&lt));
  cublasLtMatmulDesc_t desc;
  CHECK_LT(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32I, CUDA_R_32I));
  cublasOperation_t opT = CUBLAS_OP_T, opN = CUBLAS_OP_N;
  CHECK_LT(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA,
                                          &opT, sizeof(opT)));
  CHECK_LT(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB,
                                          &opN, sizeof(opN)));
  cublasLtMatrixLayout_t la, lb, lc;
  CHECK_LT(cublasLtMatrixLayoutCreate(&la, CUDA_R_8I, k, n, k));
  CHECK_LT(cublasLtMatrixLayoutCreate(&lb, CUDA_R_8I, k, m, k));
  CHECK_LT(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32I, n, m, n));
  int32_t alpha = 1, beta = 0;
  size_t workspaceSize = 32 << 20;
  void *workspace;
  CHECK_CUDA(cudaMalloc(&workspace, workspaceSize));
  cublasLtMatmulPreference_t pref;
  CHECK_LT(cublasLtMatmulPreferenceCreate(&pref));
  CHECK_LT(cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspaceSize,
      sizeof(workspaceSize)));
  cublasLtMatmulHeuristicResult_t heuristic;
  int found = 0;
  CHECK_LT(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, lc, pref, 1,
                                          &heuristic, &found));
  if (!found) {
    std::fprintf(stderr, "gpu_gemm: cuBLASLt has no int8 algorithm for "
                         "%lldx%lldx%lld\n",
                 (long long)m, (long long)n, (long long)k);
    return 1;
  }
  auto runLt = [&] {
    CHECK_LT(cublasLtMatmul(lt, desc, &alpha, b, la, a, lb, &beta, cLt, lc,
                            cLt, lc, &heuristic.algo, workspace,
                            workspaceSize, 0));
  };
  runLt();
  CHECK_CUDA(cudaDeviceSynchronize());

  std::vector<int32_t> r1(m * n), r2(m * n);
  CHECK_CUDA(cudaMemcpy(r1.data(), cFqt, m * n * 4, cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaMemcpy(r2.data(), cLt, m * n * 4, cudaMemcpyDeviceToHost));
  for (int64_t i = 0; i < m * n; ++i)
    if (r1[i] != r2[i]) {
      std::fprintf(stderr,
                   "gpu_gemm: results differ at (%lld, %lld): fqt %d, "
                   "cuBLASLt %d\n",
                   (long long)(i / n), (long long)(i % n), r1[i], r2[i]);
      return 1;
    }

  auto time = [&](auto &&fn) {
    fn();
    CHECK_CUDA(cudaDeviceSynchronize());
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r)
      fn();
    CHECK_CUDA(cudaDeviceSynchronize());
    auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double>(t1 - t0).count() / reps;
  };
  double tFqt = time([&] { _mlir_ciface_gemm(&va, &vb, &vc); });
  double tLt = time(runLt);
  double ops = 2.0 * m * n * k;
  std::printf("| %lld x %lld x %lld | %.2f | %.2f | %.3f |\n", (long long)m,
              (long long)n, (long long)k, ops / tFqt * 1e-12,
              ops / tLt * 1e-12, tLt / tFqt);
  return 0;
}

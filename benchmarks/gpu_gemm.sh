#!/usr/bin/env bash
# fqt's int8 tensor-core GEMM (fqt-gpu-int8-mma) against cuBLASLt's int8
# GEMM on an NVIDIA GPU, same buffers, same process per shape; each run
# first checks that both give the same i32 result. Needs a GPU, the CUDA
# toolkit (nvcc, cuBLASLt) and a build of fqt. Prints a Markdown table.
#
#   benchmarks/gpu_gemm.sh [BUILD_DIR] [sm_80|sm_90]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ARCH=${2:-sm_90}
CUDA_ROOT=${CUDA_ROOT:-/usr/local/cuda}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

SHAPES=(
  "1024 1024 1024"
  "2048 2048 2048"
  "4096 4096 4096"
  "128 256 784"
  "128 784 256"
  "256 784 128"
)

echo "| M x N x K | fqt TOPS | cuBLASLt TOPS | ratio |"
echo "|---|---|---|---|"
for shape in "${SHAPES[@]}"; do
  read -r m n k <<<"$shape"
  sed "s/@M@/$m/g; s/@N@/$n/g; s/@K@/$k/g" benchmarks/gpu_gemm/gemm.mlir.in > "$WORK/gemm.mlir"
  "$BUILD/bin/fqt-opt" "$WORK/gemm.mlir" \
    --fqt-gpu-pipeline="chip=$ARCH format=bin toolkit=$CUDA_ROOT" -o "$WORK/gemm.llvm.mlir"
  /usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir "$WORK/gemm.llvm.mlir" -o "$WORK/gemm.ll"
  clang++-22 -O2 -c "$WORK/gemm.ll" -o "$WORK/gemm.o"
  "$CUDA_ROOT/bin/nvcc" -O2 -o "$WORK/gpu_gemm" benchmarks/gpu_gemm/gpu_gemm.cu "$WORK/gemm.o" \
    "$BUILD/lib/libfqt_cuda_runtime.a" -lcublasLt -ldl
  "$WORK/gpu_gemm" "$m" "$n" "$k"
done

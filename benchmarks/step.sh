#!/usr/bin/env bash
# Training-step time of a bundled model with the CPU pipeline as it was
# before fqt's code generation (--fqt-cpu-pipeline="vectorize=0
# simulate-qmatmul=1 openmp=0": quantized products as dequantize + f32
# product, linalg to scalar loops, one thread) and the default one (integer
# products, fused elementwise ops, vector kernels, parallel loops on
# OpenMP threads), same program, same data, same seed.
# Prints both final lines and the speed-up. THREADS="1 2" runs the vector
# program once per thread count (--threads=T); without it, once with
# OpenMP's default (OMP_NUM_THREADS, else one thread per core).
#
#   benchmarks/step.sh [BUILD_DIR] [MODEL.onnx] [TRAIN_LIMIT] [fqt-compile flags...]
#   benchmarks/step.sh build examples/fashion-mnist/cnn.onnx 1280 --dgrad=psq:4
set -euo pipefail

BUILD=${1:-build}
MODEL=${2:-examples/fashion-mnist/mlp.onnx}
LIMIT=${3:-12800}
shift $(( $# < 3 ? $# : 3 ))
LLVM_BIN=${LLVM_BIN:-/usr/lib/llvm-22/bin}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BUILD/bin/fqt-compile" "$MODEL" -o "$WORK/vector" "$@"
"$BUILD/bin/fqt-compile" "$MODEL" --emit=mlir -o "$WORK/program.mlir" "$@"
"$BUILD/bin/fqt-opt" "$WORK/program.mlir" \
  --fqt-cpu-pipeline="entry-points=1 vectorize=0 simulate-qmatmul=1 openmp=0" \
  | "$LLVM_BIN/mlir-translate" --mlir-to-llvmir -o "$WORK/scalar.ll"
read -r -a RUNTIME <"$BUILD/lib/fqt-runtime-link.txt"
clang++-22 -O3 -march=native -fuse-ld=lld -Wno-override-module "$WORK/scalar.ll" \
  "${RUNTIME[@]}" "$LLVM_BIN/../lib/libmlir_c_runner_utils.so" \
  -Wl,-rpath,"$LLVM_BIN/../lib" -o "$WORK/scalar"

run() { "$@" --epochs=1 --train-limit="$LIMIT" --test-limit=1000 -q | tail -1; }
scalar=$(run "$WORK/scalar")
echo "scalar: $scalar"
ms() { sed -n 's/.*step_ms=\([0-9.]*\).*/\1/p' <<<"$1"; }
# One vector run per thread count of THREADS (default: one run, OpenMP's
# default thread count).
for t in ${THREADS:-default}; do
  if [[ $t == default ]]; then
    vector=$(run "$WORK/vector")
    echo "vector: $vector"
  else
    vector=$(run "$WORK/vector" --threads="$t")
    echo "vector, $t threads: $vector"
  fi
  awk -v a="$(ms "$scalar")" -v b="$(ms "$vector")" \
    'BEGIN { printf "speed-up: %.1fx (%.2f ms -> %.2f ms per step)\n", a / b, a, b }'
done

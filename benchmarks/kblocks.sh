#!/usr/bin/env bash
# Training-step time of a bundled model whose wgrad quantizer scales per
# sample (default: the CNN with --wgrad=psq:8, integer mode), with the
# weight-gradient products of its convolutions as K-blocked integer products
# (--fqt-cpu-pipeline="k-blocks=1", the default: i32 sums per sample, f32
# scaling per block) and as dequantize + f32 product ("k-blocks=0"); every
# other product is an integer one in both. Same program, data and seed; one
# thread (openmp=0), so that only the products differ.
# Prints both final lines and the ratio.
#
#   benchmarks/kblocks.sh [BUILD_DIR] [MODEL.onnx] [TRAIN_LIMIT] [fqt-compile flags...]
set -euo pipefail

BUILD=${1:-build}
MODEL=${2:-examples/fashion-mnist/cnn.onnx}
LIMIT=${3:-1280}
shift $(( $# < 3 ? $# : 3 ))
FLAGS=("$@")
if ((${#FLAGS[@]} == 0)); then FLAGS=(--wgrad=psq:8 --mode=integer); fi
LLVM_BIN=${LLVM_BIN:-/usr/lib/llvm-22/bin}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BUILD/bin/fqt-compile" "$MODEL" --emit=mlir -o "$WORK/program.mlir" "${FLAGS[@]}"
read -r -a RUNTIME <"$BUILD/lib/fqt-runtime-link.txt"
for blocks in 1 0; do
  "$BUILD/bin/fqt-opt" "$WORK/program.mlir" \
    --fqt-cpu-pipeline="entry-points=1 openmp=0 k-blocks=$blocks" \
    | "$LLVM_BIN/mlir-translate" --mlir-to-llvmir -o "$WORK/k$blocks.ll"
  clang++-22 -O3 -march=native -fuse-ld=lld -Wno-override-module "$WORK/k$blocks.ll" \
    "${RUNTIME[@]}" "$LLVM_BIN/../lib/libmlir_c_runner_utils.so" \
    -Wl,-rpath,"$LLVM_BIN/../lib" -o "$WORK/k$blocks"
done

run() { "$1" --epochs=1 --train-limit="$LIMIT" --test-limit=1000 -q | tail -1; }
blocked=$(run "$WORK/k1")
float=$(run "$WORK/k0")
echo "k-blocks=1 (i32 per sample): $blocked"
echo "k-blocks=0 (f32 product):    $float"
ms() { sed -n 's/.*step_ms=\([0-9.]*\).*/\1/p' <<<"$1"; }
awk -v a="$(ms "$float")" -v b="$(ms "$blocked")" \
  'BEGIN { printf "f32 / k-blocks: %.2fx (%.2f ms -> %.2f ms per step)\n", a / b, a, b }'

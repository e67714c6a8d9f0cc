#!/usr/bin/env bash
# fqt's GEMM kernels against oneDNN, both single-threaded, in one process per
# shape: square sizes, then the Fashion-MNIST MLP's products at batch 128
# (784-256-128-10): forward (weight stored transposed), data gradient
# dX = dY W, weight gradient dW = dY^T X. Prints a Markdown table with the
# ratios fqt / oneDNN.
#
#   benchmarks/gemm.sh [BUILD_DIR] [extra fqt-bench-gemm flags]
set -euo pipefail

BUILD=${1:-build}
shift || true
BENCH="$BUILD/bin/fqt-bench-gemm"
if [[ ! -x "$BENCH" ]]; then
  echo "gemm.sh: $BENCH not found (build it: ninja -C $BUILD fqt-bench-gemm; needs libdnnl-dev)" >&2
  exit 1
fi

# name M N K flags
SHAPES=(
  "square-256 256 256 256"
  "square-512 512 512 512"
  "square-1024 1024 1024 1024"
  "square-2048 2048 2048 2048 --reps=2 --min-ms=0"
  "fc1-fwd 128 256 784 --b-transposed"
  "fc2-fwd 128 128 256 --b-transposed"
  "fc3-fwd 128 10 128 --b-transposed"
  "fc1-dgrad 128 784 256"
  "fc2-dgrad 128 256 128"
  "fc3-dgrad 128 128 10"
  "fc1-wgrad 256 784 128 --a-transposed"
  "fc2-wgrad 128 256 128 --a-transposed"
  "fc3-wgrad 10 128 128 --a-transposed"
)

# Which kernel family each library runs (ONEDNN_MAX_CPU_ISA=AVX2 or
# AVX512_CORE_VNNI caps oneDNN's, for a like-with-like comparison).
families=$("$BENCH" 64 64 64 --reps=1 --min-ms=0 "$@" | grep -o 'fqt_kernel=[^ ]* onednn_isa=[^ ]*')
echo "kernels: $families"
echo
echo "| shape | M x N x K | fqt i8 GOPS | oneDNN i8 GOPS | i8 ratio | fqt f32 GFLOPS | oneDNN f32 GFLOPS | f32 ratio |"
echo "|---|---|---|---|---|---|---|---|"
for entry in "${SHAPES[@]}"; do
  read -r name m n k flags <<<"$entry"
  # shellcheck disable=SC2086
  line=$("$BENCH" "$m" "$n" "$k" $flags "$@")
  get() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$line"; }
  fi8=$(get fqt_i8_gops); ff32=$(get fqt_f32_gflops)
  oi8=$(get onednn_i8_gops); of32=$(get onednn_f32_gflops)
  ri8=$(awk -v a="$fi8" -v b="$oi8" 'BEGIN { printf "%.2f", a / b }')
  rf32=$(awk -v a="$ff32" -v b="$of32" 'BEGIN { printf "%.2f", a / b }')
  echo "| $name | ${m}x${n}x${k} | $fi8 | $oi8 | $ri8 | $ff32 | $of32 | $rf32 |"
done

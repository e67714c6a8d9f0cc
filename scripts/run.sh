#!/usr/bin/env bash
# The main job. Installs what is missing, builds, then compiles the bundled
# example -- a per-sample 4-bit data-gradient product dX = dY * W^T and a
# per-column 8-bit weight-gradient product dW = X^T * dY -- through fqt-opt's
# CPU pipeline and runs it on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FQT_BUILD_DIR:-build}
LIB=/usr/lib/llvm-22/lib

bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh >/dev/null

EXAMPLE=scripts/example/backward-products.mlir
echo "== $EXAMPLE after --fqt-simulate-qmatmul (quantized products as dequantize + matmul)"
"$BUILD_DIR/bin/fqt-opt" "$EXAMPLE" --fqt-simulate-qmatmul --canonicalize |
  sed -n '/func.func @backward/,/^  }/p'
echo
echo "== compiled with --fqt-cpu-pipeline and run on the CPU"
"$BUILD_DIR/bin/fqt-opt" "$EXAMPLE" --fqt-cpu-pipeline |
  /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
    -shared-libs="$LIB/libmlir_runner_utils.so,$LIB/libmlir_c_runner_utils.so"

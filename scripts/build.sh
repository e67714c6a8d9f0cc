#!/usr/bin/env bash
# Configures (once) and builds fqt into build/ (or $FQT_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FQT_BUILD_DIR:-build}
# The ONNX C++ library fqt links: built once, cached (scripts/build-onnx.sh).
ONNX_PREFIX=$(bash scripts/build-onnx.sh | tail -n 1)
ONNX_DIR="$ONNX_PREFIX/lib/cmake/ONNX"
if [[ ! -f "$BUILD_DIR/build.ninja" ]] ||
   ! grep -qx "ONNX_DIR:PATH=$ONNX_DIR" "$BUILD_DIR/CMakeCache.txt"; then
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DONNX_DIR:PATH="$ONNX_DIR"
fi
cmake --build "$BUILD_DIR"

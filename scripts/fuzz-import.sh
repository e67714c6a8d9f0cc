#!/usr/bin/env bash
# Builds the importer's libFuzzer target with clang-22 (+ASan) in build-fuzz/
# and runs it on a seed corpus made from ONNX's node-test models.
#   scripts/fuzz-import.sh [RUNS]      (default 1000000 executions)
#   scripts/fuzz-import.sh --configure-only   (what fuzz-runtime.sh needs)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
bash scripts/install-deps.sh >/dev/null
if ! dpkg-query -W -f='${Status}' libclang-rt-22-dev 2>/dev/null | grep -q "ok installed"; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends libclang-rt-22-dev
fi
ONNX_PREFIX=$(bash scripts/build-onnx.sh | tail -n 1)
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang-22 CXX=clang++-22 cmake -S . -B build-fuzz -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFQT_ENABLE_FUZZER=ON \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DONNX_DIR:PATH="$ONNX_PREFIX/lib/cmake/ONNX"
fi
[[ $RUNS == --configure-only ]] && exit 0
cmake --build build-fuzz --target fqt-import-fuzzer
mkdir -p build-fuzz/artifacts

CORPUS=build-fuzz/corpus
if [[ ! -d $CORPUS ]]; then
  mkdir -p "$CORPUS"
  for d in /usr/share/libonnx-testdata/data/node/test_*/; do
    cp "$d/model.onnx" "$CORPUS/$(basename "$d").onnx"
  done
fi
# Leaks are reported by the importer's caches of MLIR contexts being
# recreated per input; only crashes matter here. A small quarantine and short
# allocation stacks keep the process small and fast.
mkdir -p build-fuzz/worker-deaths
ASAN_OPTIONS=detect_leaks=0:quarantine_size_mb=4:malloc_context_size=2 FQT_FUZZ_WORKER_DEATHS=build-fuzz/worker-deaths \
  build-fuzz/test/Fuzz/fqt-import-fuzzer "$CORPUS" \
  -runs="$RUNS" -max_len=65536 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/

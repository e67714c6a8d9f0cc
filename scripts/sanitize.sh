#!/usr/bin/env bash
# Builds fqt with AddressSanitizer and UndefinedBehaviorSanitizer (clang-22,
# -DFQT_SANITIZE=address,undefined) in build-san/ and runs the whole test
# suite there: lit (the tools, the training executables they compile, whose
# runtime links the sanitizers too, and pytest over the Python bindings) and
# the unit tests. A finding ends the process that made it, so the run passes
# only with none.
#   scripts/sanitize.sh                 build + lit + unit tests
#   scripts/sanitize.sh --filter=RE     build + the lit tests whose path
#                                       matches RE (any lit options)
#   FQT_SANITIZE=SET scripts/sanitize.sh   another -fsanitize= set, in its
#                                       own build directory (build-san-SET)
set -euo pipefail
cd "$(dirname "$0")/.."
SANITIZE=${FQT_SANITIZE:-address,undefined}
BUILD_DIR=build-san
[[ $SANITIZE != address,undefined ]] && BUILD_DIR=build-san-${SANITIZE//,/-}

start=$(date +%s)
bash scripts/install-deps.sh >/dev/null
if ! dpkg-query -W -f='${Status}' libclang-rt-22-dev 2>/dev/null | grep -q "ok installed"; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libclang-rt-22-dev
fi
ONNX_PREFIX=$(bash scripts/build-onnx.sh | tail -n 1)
if [[ ! -f $BUILD_DIR/build.ninja ]]; then
  CC=clang-22 CXX=clang++-22 cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DFQT_SANITIZE="$SANITIZE" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    -DONNX_DIR:PATH="$ONNX_PREFIX/lib/cmake/ONNX"
fi
cmake --build "$BUILD_DIR"
built=$(date +%s)

# Allocation stacks of 8 frames keep reports readable and the tools fast; an
# allocation larger than memory returns null, as it does without ASan, for
# the runtime to report (a test asks for terabytes on purpose).
export ASAN_OPTIONS=malloc_context_size=8:allocator_may_return_null=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1
if [[ $# -gt 0 ]]; then
  /usr/bin/python3 /usr/lib/llvm-22/bin/lit -sv "$@" "$BUILD_DIR/test"
else
  /usr/bin/python3 /usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -E '^lit$'
fi
done_at=$(date +%s)
echo "fqt sanitize ($SANITIZE): build $((built - start)) s, tests $((done_at - built)) s"

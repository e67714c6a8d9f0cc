#!/usr/bin/env bash
# Installs every Debian package fqt uses. Idempotent: packages already present
# are skipped, and `apt-get update` runs at most once per invocation.
set -euo pipefail

PACKAGES=(
  # LLVM/MLIR 22 and the toolchain fqt-compile drives.
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  # The OpenMP runtime of the CPU pipeline's parallel loops.
  libomp-22-dev
  # The sanitizers' runtimes: fqt-compile --sanitize=address|thread, the
  # sanitizer build (scripts/sanitize.sh) and the fuzzers.
  libclang-rt-22-dev
  # Build and format.
  cmake ninja-build ccache g++ libgtest-dev clang-format
  # ONNX import: scripts/build-onnx.sh builds a current ONNX C++ library
  # against Debian's protobuf; pip (with setuptools and wheel, to read the
  # source distribution's metadata) downloads its sources once.
  libprotobuf-dev protobuf-compiler zlib1g-dev
  python3-pip python3-setuptools python3-wheel
  # Python side: tests, reference checks, bindings.
  python3 python3-numpy python3-onnx python3-pytest pybind11-dev python3-dev
  python3-matplotlib
  # Reference runtimes and conformance data: ONNX's backend node tests,
  # PyTorch for exported models and autograd references.
  libonnx-testdata python3-torch
  # torchvision: the model zoo's models (scripts/zoo, test/Zoo).
  python3-torchvision
  # oneDNN, the peer of fqt's GEMM kernels in benchmarks/.
  libdnnl-dev
  # Data-parallel training (fqt-compile --distributed=mpi) and its tests.
  libopenmpi-dev openmpi-bin
  # Real data.
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

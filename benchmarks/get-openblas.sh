#!/usr/bin/env bash
# Unpacks Debian's OpenBLAS (libopenblas0-pthread) into build/peers/openblas
# without installing it: the PyTorch peer of benchmarks/study.py then runs
# with LD_LIBRARY_PATH pointing at its libblas.so.3, while the system keeps
# its BLAS alternative (Debian's python3-torch links libblas.so.3, the
# reference netlib BLAS unless another one is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=build/peers/openblas
mkdir -p "$DEST"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
chmod 777 "$WORK"
(cd "$WORK" && apt-get download libopenblas0-pthread)
dpkg -x "$WORK"/libopenblas0-pthread_*.deb "$DEST"
ls "$DEST"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3

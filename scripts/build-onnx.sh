#!/usr/bin/env bash
# Builds the C++ library of a current ONNX release once and caches it.
#
# Debian's libonnx-dev (1.12) knows opsets up to 17 and IR version 8; models
# exported by current PyTorch use opsets 18-23 and IR version 10. PyPI's
# `onnx` source distribution carries the C++ sources of each release, so this
# script downloads that one pinned archive with pip (no build, no install),
# builds its C++ libraries (schemas of every opset, checker, shape inference,
# version converter, inliner) against Debian's protobuf, and installs them
# under the cache. Nothing is fetched when the cache holds the build; fqt
# never downloads anything at run time.
#
# Prints the install prefix on its last line. FQT_ONNX_PREFIX overrides the
# cache location.
set -euo pipefail

ONNX_VERSION=1.18.0
ONNX_SHA256=3d8dbf9e996629131ba3aa1afd1d8239b660d1f830c6688dd7e03157cccd6b9c
CACHE_ROOT=${FQT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fqt}
PREFIX=${FQT_ONNX_PREFIX:-$CACHE_ROOT/onnx-$ONNX_VERSION-fqt_onnx}

if [[ -f "$PREFIX/.complete" ]]; then
  echo "$PREFIX"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
archive="$CACHE_ROOT/onnx-$ONNX_VERSION.tar.gz"
mkdir -p "$CACHE_ROOT"
if [[ ! -f "$archive" ]]; then
  echo "build-onnx: downloading the onnx $ONNX_VERSION source distribution" >&2
  # --no-build-isolation: reading the archive's metadata must not build
  # anything (pip would otherwise build cmake from source first).
  PIP_FIND_LINKS= /usr/bin/python3 -m pip download --quiet --no-deps \
    --no-build-isolation --no-binary onnx -d "$work/dl" \
    "onnx==$ONNX_VERSION" >&2
  mv "$work/dl/onnx-$ONNX_VERSION.tar.gz" "$archive"
fi
actual=$(sha256sum "$archive" | cut -d' ' -f1)
if [[ "$actual" != "$ONNX_SHA256" ]]; then
  echo "build-onnx: $archive has sha256 $actual, expected $ONNX_SHA256" >&2
  rm -f "$archive"
  exit 1
fi

echo "build-onnx: building the ONNX $ONNX_VERSION C++ library into $PREFIX" >&2
tar -xzf "$archive" -C "$work"
# The C++ libraries only: no Python extension, no tests. Position-independent
# code because fqt links them into shared libraries (the Python bindings).
# Its own C++ namespace and protobuf package (fqt_onnx): a process that also
# loads another ONNX (Debian's python3-onnx, next to fqt's Python bindings)
# then sees neither clashing symbols nor a protobuf file registered twice.
cmake -S "$work/onnx-$ONNX_VERSION" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DONNX_BUILD_PYTHON=OFF \
  -DONNX_BUILD_TESTS=OFF \
  -DONNX_ML=ON \
  -DONNX_NAMESPACE=fqt_onnx \
  -DONNX_USE_PROTOBUF_SHARED_LIBS=ON \
  -DONNX_USE_UNITY_BUILD=OFF \
  -DONNX_GEN_PB_TYPE_STUBS=OFF >&2
cmake --build "$work/build" >&2
rm -rf "$PREFIX"
cmake --install "$work/build" >&2
touch "$PREFIX/.complete"
echo "$PREFIX"

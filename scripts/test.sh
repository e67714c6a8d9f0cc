#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (lit + unit tests).
# This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FQT_BUILD_DIR:-build}

start=$(date +%s)
bash scripts/install-deps.sh
bash scripts/build.sh
built=$(date +%s)

# The lit suite first (its summary counts every test file), then the unit
# tests through ctest (its `lit` entry is the suite just run).
/usr/bin/python3 /usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test"
ctest --test-dir "$BUILD_DIR" --output-on-failure -E '^lit$'
done_at=$(date +%s)
echo "fqt: build $((built - start)) s, tests $((done_at - built)) s"

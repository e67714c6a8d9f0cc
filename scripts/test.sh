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

ctest --test-dir "$BUILD_DIR" --output-on-failure
done_at=$(date +%s)
echo "fqt: build $((built - start)) s, tests $((done_at - built)) s"

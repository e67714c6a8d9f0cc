#!/usr/bin/env bash
# Builds the libFuzzer targets of the training executables' readers (.npy,
# IDX gzip'd or raw, checkpoints; test/Fuzz/runtime_fuzzers.cpp) with
# clang-22 and ASan in build-fuzz/, makes a seed corpus for each, and runs
# each for RUNS executions (default 1000000).
#   scripts/fuzz-runtime.sh [RUNS] [npy|idx|checkpoint ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
shift || true
READERS=${*:-npy idx checkpoint}
bash scripts/fuzz-import.sh --configure-only
cmake --build build-fuzz --target fqt-npy-fuzzer fqt-idx-fuzzer \
  fqt-checkpoint-fuzzer fqt-runtime-fake-model
SEEDS=build-fuzz/runtime-seeds
if [[ ! -d $SEEDS ]]; then
  mkdir -p "$SEEDS"/{npy,idx,checkpoint,tmp}
  /usr/bin/python3 - "$SEEDS/npy" <<'PY'
import os, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
arrays = {
    "f4": rng.normal(size=(4, 1, 3, 3)).astype("<f4"),
    "f8": rng.normal(size=(2, 5)),
    "i8": np.arange(6, dtype="<i8"),
    "i4": np.arange(6, dtype="<i4").reshape(2, 3),
    "u1": rng.integers(0, 256, size=(2, 4, 4)).astype(np.uint8),
    "scalar": np.array(1.5, dtype="<f4"),
    "fortran": np.asfortranarray(rng.normal(size=(3, 2))),
    "f2": np.ones(3, dtype="<f2"),
    "empty": np.zeros((0, 3), dtype="<f4"),
}
for name, a in arrays.items():
    np.save(os.path.join(out, name + ".npy"), a)
PY
  /usr/bin/python3 test/Runtime/Inputs/make_idx.py "$SEEDS/tmp/gz" --count=4 --size=4
  /usr/bin/python3 test/Runtime/Inputs/make_idx.py "$SEEDS/tmp/raw" --count=4 --size=4 --raw-test
  for f in "$SEEDS"/tmp/gz/* "$SEEDS"/tmp/raw/*; do
    cp "$f" "$SEEDS/idx/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  # A checkpoint of the runtime's test model (softmax regression, batch 100).
  /usr/bin/python3 test/Runtime/Inputs/make_idx.py "$SEEDS/tmp/data" --count=100
  build-fuzz/bin/fqt-runtime-fake-model --epochs=1 --quiet --data="$SEEDS/tmp/data" \
    --checkpoint="$SEEDS/checkpoint/ck" >/dev/null
fi
mkdir -p build-fuzz/artifacts
for reader in $READERS; do
  mkdir -p "build-fuzz/corpus-$reader"
  echo "== fqt-$reader-fuzzer: $RUNS runs"
  ASAN_OPTIONS=detect_leaks=1:malloc_context_size=4 \
    "build-fuzz/test/Fuzz/fqt-$reader-fuzzer" "build-fuzz/corpus-$reader" \
    "$SEEDS/$reader" -runs="$RUNS" -max_len=65536 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/artifacts/$reader-"
done

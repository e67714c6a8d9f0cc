#!/usr/bin/env bash
# Builds the libFuzzer target of fqt IR (test/Fuzz/opt_fuzzer.cpp: the
# parser, the verifiers and the fqt lowering passes) with clang-22 and ASan
# in build-fuzz/, seeds it with the fqt dialect's and the lowering passes'
# tests (split at `// -----`), and runs it for RUNS executions (default
# 1000000).
#   scripts/fuzz-opt.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
bash scripts/fuzz-import.sh --configure-only
cmake --build build-fuzz --target fqt-opt-fuzzer
SEEDS=build-fuzz/opt-seeds
if [[ ! -d $SEEDS ]]; then
  mkdir -p "$SEEDS"
  /usr/bin/python3 - "$SEEDS" test/Dialect/FQT/*.mlir \
    test/Conversion/lower-quantize.mlir test/Conversion/lower-dequantize.mlir \
    test/Codegen/lower-qmatmul.mlir test/Codegen/lower-qmatmul-kblocks.mlir \
    test/Codegen/narrow-codes.mlir <<'PY'
import os, re, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    if not os.path.exists(path):
        continue
    text = open(path).read()
    for i, part in enumerate(re.split(r"^// -----$", text, flags=re.M)):
        # Keep the IR, not the RUN and CHECK lines.
        body = "\n".join(l for l in part.splitlines()
                         if not l.lstrip().startswith("//"))
        if body.strip():
            name = os.path.basename(path).replace(".mlir", "")
            open(os.path.join(out, f"{name}-{i}.mlir"), "w").write(body)
PY
fi
mkdir -p build-fuzz/corpus-opt build-fuzz/artifacts
ASAN_OPTIONS=detect_leaks=0:malloc_context_size=2 \
  build-fuzz/test/Fuzz/fqt-opt-fuzzer build-fuzz/corpus-opt "$SEEDS" \
  -runs="$RUNS" -max_len=8192 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/opt-

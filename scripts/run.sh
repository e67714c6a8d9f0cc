#!/usr/bin/env bash
# The main job. Installs what is missing, builds fqt, compiles the bundled
# Fashion-MNIST CNN (examples/fashion-mnist/cnn.onnx) into a fully quantized
# training executable -- 8-bit activations and weights, a 4-bit per-sample
# (PSQ) data gradient, an 8-bit per-tensor weight gradient, SGD with momentum
# (ONNX Momentum, alpha 0.9) -- and trains it on
# Debian's dataset-fashion-mnist, printing progress, per-epoch metrics and
# the final machine-readable line.
#
# Environment knobs (defaults in brackets):
#   FQT_MODEL [examples/fashion-mnist/cnn.onnx]   FQT_DGRAD [psq:4]
#   FQT_EPOCHS [1]  FQT_BATCH [64]  FQT_LR [0.02]  FQT_SEED [0]
#   FQT_TRAIN_ARGS [] extra options for the training executable
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FQT_BUILD_DIR:-build}
MODEL=${FQT_MODEL:-examples/fashion-mnist/cnn.onnx}
DGRAD=${FQT_DGRAD:-psq:4}
BATCH=${FQT_BATCH:-64}

bash scripts/install-deps.sh >/dev/null
bash scripts/build.sh >/dev/null

OUT="$BUILD_DIR/fashion-mnist-train"
LR=${FQT_LR:-0.02}
echo "== fqt-compile $MODEL --batch=$BATCH --act=ptq:8 --weight=ptq:8 --dgrad=$DGRAD --wgrad=ptq:8 --optimizer=momentum --lr=$LR"
start=$(date +%s%N)
"$BUILD_DIR/bin/fqt-compile" "$MODEL" -o "$OUT" --batch="$BATCH" \
  --act=ptq:8 --weight=ptq:8 --dgrad="$DGRAD" --wgrad=ptq:8 \
  --optimizer=momentum --lr="$LR"
echo "compiled in $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo "== $OUT --epochs=${FQT_EPOCHS:-1} (Fashion-MNIST from /usr/share/datasets/fashion-mnist)"
# shellcheck disable=SC2086
"$OUT" --epochs="${FQT_EPOCHS:-1}" --seed="${FQT_SEED:-0}" ${FQT_TRAIN_ARGS:-}

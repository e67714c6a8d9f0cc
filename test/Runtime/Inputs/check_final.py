"""Checks a training executable's stdout: its last line must be exactly
`final train_loss=%.6f test_loss=%.6f test_accuracy=%.4f step_ms=%.3f`
(scripts parse it), with the accuracy above --min-accuracy. Prints the
parsed fields; exits 1 with a message otherwise."""
import argparse
import math
import re
import sys

FINAL = re.compile(r"final train_loss=(-?\d+\.\d{6}) test_loss=(-?\d+\.\d{6}) "
                   r"test_accuracy=(\d\.\d{4}) step_ms=(\d+\.\d{3})")

parser = argparse.ArgumentParser()
parser.add_argument("stdout")
parser.add_argument("--min-accuracy", type=float, default=0.0)
parser.add_argument("--epochs", type=int, help="expected 'epoch E/N' lines")
args = parser.parse_args()

lines = open(args.stdout).read().splitlines()
if not lines:
    sys.exit("check_final: empty stdout")
match = FINAL.fullmatch(lines[-1])
if not match:
    sys.exit("check_final: last line is not the final line: %r" % lines[-1])
train_loss, test_loss, accuracy, step_ms = map(float, match.groups())
if not all(map(math.isfinite, (train_loss, test_loss))):
    sys.exit("check_final: non-finite loss")
if accuracy <= args.min_accuracy:
    sys.exit("check_final: accuracy %.4f <= %.4f" % (accuracy, args.min_accuracy))
if args.epochs is not None:
    epochs = [l for l in lines if l.startswith("epoch ")]
    if len(epochs) != args.epochs:
        sys.exit("check_final: %d epoch lines, expected %d" % (len(epochs), args.epochs))
print("accuracy ok: %.4f > %.4f" % (accuracy, args.min_accuracy))

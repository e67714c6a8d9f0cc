#!/usr/bin/env python3
"""Low-bit fully quantized training of a bundled model with each gradient
quantizer: final test accuracy and loss against fp32 and 8-bit FQT.

Every configuration is compiled with fqt-compile (--mode=integer, the same
seed and optimizer) and trained by its executable on Fashion-MNIST; "all
three products at B bits" means --act=ptq:B --weight=ptq:B and the row's
dgrad/wgrad quantizers at B bits. Prints a markdown table (one row per
configuration: test accuracy, its distance to fp32 in points, final train
and test loss).

    /usr/bin/python3 benchmarks/low_bit_training.py [--model cnn]
        [--epochs 2] [--bits 4] [--threads 2] [--build build]
"""
import argparse
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def configs(bits):
    b = bits
    fwd = ["--act=ptq:%d" % b, "--weight=ptq:%d" % b]
    return [
        ("fp32", ["--fp32"]),
        ("FQT 8-bit (ptq:8 everywhere)", []),
        ("%d-bit, PTQ dY" % b, fwd + ["--dgrad=ptq:%d" % b,
                                      "--wgrad=ptq:%d" % b]),
        ("%d-bit, PSQ / percol dY (papers)" % b,
         fwd + ["--dgrad=psq:%d" % b, "--wgrad=percol:%d" % b]),
        ("%d-bit, PSQZ / percolz dY (zero snapped)" % b,
         fwd + ["--dgrad=psqz:%d" % b, "--wgrad=percolz:%d" % b]),
        ("%d-bit, PSQZ / PTQ dY" % b,
         fwd + ["--dgrad=psqz:%d" % b, "--wgrad=ptq:%d" % b]),
    ]


def final_line(text):
    line = [l for l in text.splitlines() if l.startswith("final ")][-1]
    return dict(re.findall(r"(\w+)=([^\s]+)", line))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()
    model = os.path.join(ROOT, "examples", "fashion-mnist",
                         args.model + ".onnx")
    compiler = os.path.join(args.build, "bin", "fqt-compile")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, flags in configs(args.bits):
            exe = os.path.join(work, "train")
            subprocess.run([compiler, model, "--mode=integer",
                            "--batch=%d" % args.batch, "-o", exe] + flags,
                           check=True)
            run = subprocess.run(
                [exe, "--epochs=%d" % args.epochs, "--seed=%d" % args.seed,
                 "--threads=%d" % args.threads, "--quiet"],
                check=True, capture_output=True, text=True)
            values = final_line(run.stdout)
            rows.append((name, " ".join(flags) or "(defaults)", values))
            print("#", name, values, flush=True)
    base = float(rows[0][2]["test_accuracy"])
    print("\n| %s, %d epochs, batch %d | flags | test accuracy | vs fp32 "
          "(points) | train loss | test loss |" %
          (args.model, args.epochs, args.batch))
    print("|---|---|---|---|---|---|")
    for name, flags, v in rows:
        acc = float(v["test_accuracy"])
        print("| %s | `%s` | %.4f | %+.2f | %s | %s |" %
              (name, flags, acc, 100 * (acc - base), v["train_loss"],
               v["test_loss"]))


if __name__ == "__main__":
    main()

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
        [--onnx FILE] [--curves DIR] [--lr F] [--only 0,2,...]

--model rowtf trains the small transformer of make_row_transformer.py (a
Fashion-MNIST image as a sequence of its rows), exported on the fly by
Debian's PyTorch; --onnx trains any other model file. --curves writes each
configuration's per-epoch test loss and accuracy (the executable's --log)
and, with matplotlib, a PNG of the loss curves.
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
        ("%d-bit, blk/32 dY (blocks along the reduction)" % b,
         fwd + ["--dgrad=blk:%d/32" % b, "--wgrad=blk:%d/32" % b]),
        ("%d-bit, rht/32 dY (randomized Hadamard)" % b,
         fwd + ["--dgrad=rht:%d/32" % b, "--wgrad=rht:%d/32" % b]),
        ("%d-bit, rht/32 dgrad, blk/32 wgrad" % b,
         fwd + ["--dgrad=rht:%d/32" % b, "--wgrad=blk:%d/32" % b]),
        # Blocks on the forward operands too; the backward products then
        # read X and W in blocks across their reductions and run as
        # dequantize + f32 product (docs/quantizers.md §3.6).
        ("%d-bit, blk/32 forward, rht/32 dgrad, blk/32 wgrad" % b,
         ["--act=blk:%d/32" % b, "--weight=blk:%d/32" % b,
          "--dgrad=rht:%d/32" % b, "--wgrad=blk:%d/32" % b]),
    ]


def write_curves(args, curves):
    """The --log CSV of each configuration, and a PNG of their loss
    curves where matplotlib is installed."""
    os.makedirs(args.curves, exist_ok=True)
    stem = "%s-%dbit" % (args.model, args.bits)
    series = {}
    for i, (name, text) in enumerate(curves.items()):
        with open(os.path.join(args.curves, "%s-%d.csv" % (stem, i)),
                  "w") as f:
            f.write(text)
        lines = [l.split(",") for l in text.strip().splitlines()]
        header, body = lines[0], lines[1:]
        series[name] = [dict(zip(header, l)) for l in body]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("# matplotlib missing: curves written as CSV only")
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    window = 50
    for name, points in series.items():
        loss = [float(p["train_loss"]) for p in points]
        steps = [int(p["step"]) for p in points]
        # The mean of the last `window` steps: one step's loss is noisy.
        smooth = [sum(loss[max(0, i - window + 1):i + 1]) /
                  (i + 1 - max(0, i - window + 1)) for i in range(len(loss))]
        ax.plot(steps, smooth, label=name, linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (mean of the last %d steps)" % window)
    ax.set_title("%s, %d-bit FQT" % (args.model, args.bits))
    ax.legend(fontsize=7)
    fig.savefig(os.path.join(args.curves, stem + ".png"), dpi=100)


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
    parser.add_argument("--lr", type=float,
                        help="learning rate (default: the compiled one)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--onnx", help="an ONNX model to train instead")
    parser.add_argument("--curves", help="directory for the loss curves")
    parser.add_argument("--only", default="",
                        help="comma-separated row numbers to run (0-based)")
    args = parser.parse_args()
    compiler = os.path.join(args.build, "bin", "fqt-compile")
    rows = []
    curves = {}
    with tempfile.TemporaryDirectory() as work:
        model = args.onnx or os.path.join(ROOT, "examples", "fashion-mnist",
                                          args.model + ".onnx")
        if args.model == "rowtf" and not args.onnx:
            model = os.path.join(work, "rowtf.onnx")
            subprocess.run(["/usr/bin/python3",
                            os.path.join(ROOT, "benchmarks",
                                         "make_row_transformer.py"), model],
                           check=True)
        chosen = configs(args.bits)
        if args.only:
            chosen = [chosen[int(i)] for i in args.only.split(",")]
        for name, flags in chosen:
            exe = os.path.join(work, "train")
            subprocess.run([compiler, model, "--mode=integer",
                            "--batch=%d" % args.batch, "-o", exe] + flags,
                           check=True)
            log = os.path.join(work, "log.csv")
            run = subprocess.run(
                [exe, "--epochs=%d" % args.epochs, "--seed=%d" % args.seed,
                 "--threads=%d" % args.threads, "--quiet", "--log=" + log] +
                (["--lr=%g" % args.lr] if args.lr else []),
                check=True, capture_output=True, text=True)
            with open(log) as f:
                curves[name] = f.read()
            values = final_line(run.stdout)
            rows.append((name, " ".join(flags) or "(defaults)", values))
            print("#", name, values, flush=True)
    if args.curves:
        write_curves(args, curves)
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

#!/usr/bin/env python3
"""Data-parallel training of a bundled Fashion-MNIST model over MPI, against
one process: the same global batch (one process with batch 2B, two ranks with
B each), the same quantizers, one epoch, in each all-reduce mode.

  benchmarks/distributed_training.py [--model cnn|mlp] [--ranks 2] [--batch 32]
      [--epochs 1] [--modes fp32,int8,int4] [--quantizers "..."] [--out DIR]

Prints one row per run (test accuracy, loss, step time, bytes and time of the
all-reduce per step) and the byte ratios against fp32, in the Markdown of
benchmarks/RESULTS.md. The ranks of the job share this machine's cores
(mpirun --oversubscribe, one thread each), so step times say what the
all-reduce costs on shared memory, not on a network (docs/distributed.md has
the network model).
"""

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, env=None):
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit("%s\nexited %d:\n%s" % (" ".join(command), result.returncode,
                                         result.stderr[-4000:]))
    return result.stdout, time.monotonic() - started


def final(stdout):
    line = [l for l in stdout.splitlines() if l.startswith("final ")][-1]
    return dict(re.findall(r"(\w+)=(\S+)", line))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32, help="per rank")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--modes", default="fp32,int8,int4")
    parser.add_argument("--quantizers", default="--act=ptq:8 --weight=ptq:8 "
                        "--dgrad=psq:4 --wgrad=ptq:8 --mode=integer")
    parser.add_argument("--optimizer", default="--optimizer=momentum --lr=0.02")
    parser.add_argument("--train-args", default="", help="extra ./train options")
    parser.add_argument("--out", default="/tmp/fqt-distributed")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    compiler = os.path.join(args.build, "bin", "fqt-compile")
    model = os.path.join(ROOT, "examples", "fashion-mnist", args.model + ".onnx")
    flags = args.quantizers.split() + args.optimizer.split()
    single = os.path.join(args.out, "single")
    ranked = os.path.join(args.out, "ranked")
    run([compiler, model, "-o", single, "--batch=%d" % (args.batch * args.ranks)] + flags)
    run([compiler, model, "-o", ranked, "--batch=%d" % args.batch,
         "--distributed=mpi"] + flags)

    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    common = ["--epochs=%d" % args.epochs, "--quiet", "--threads=1"] + args.train_args.split()
    print("| run | test accuracy | test loss | train loss | step ms | all-reduce bytes/step | all-reduce ms/step | bytes vs fp32 | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    out, wall = run([single] + common, env)
    f = final(out)
    print("| 1 process, batch %d | %s | %s | %s | %s | — | — | — | %.0f |" % (
        args.batch * args.ranks, f["test_accuracy"], f["test_loss"],
        f["train_loss"], f["step_ms"], wall))
    fp32_bytes = None
    for mode in args.modes.split(","):
        out, wall = run(["mpirun", "--oversubscribe", "-np", str(args.ranks), ranked]
                        + common + ["--allreduce=" + mode], env)
        f = final(out)
        nbytes = float(f["comm_bytes_per_step"])
        if mode == "fp32":
            fp32_bytes = nbytes
        ratio = "%.2fx fewer" % (fp32_bytes / nbytes) if fp32_bytes and mode != "fp32" else "—"
        print("| %d ranks x batch %d, %s | %s | %s | %s | %s | %.0f | %s | %s | %.0f |" % (
            args.ranks, args.batch, mode, f["test_accuracy"], f["test_loss"],
            f["train_loss"], f["step_ms"], nbytes, f["comm_ms_per_step"], ratio, wall))
        sys.stdout.flush()


if __name__ == "__main__":
    main()

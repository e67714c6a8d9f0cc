#!/usr/bin/python3
"""Accuracy and speed study of fully quantized training (issue 7).

For the bundled MLP and CNN (examples/fashion-mnist), compiles and trains,
with the same seed and optimizer:
  fp32         no quantizers
  QAT          8-bit forward (act, weight ptq:8), float gradients
  PTQ 8        FQT: 8-bit forward, dgrad ptq:8, wgrad ptq:8
  PSQ 5, BHQ 5 dgrad psq:5 / bhq:5, wgrad ptq:8
  PTQ/PSQ/BHQ 4   dgrad ptq:4 / psq:4 / bhq:4, wgrad ptq:8
  Kim (LBT) 4  dgrad lbt:4 quantized once for both products (--shared-grad)
Quantized products run on integer codes (--mode=integer). A configuration
that fqt-compile refuses is a row marked "not available" with its message.

Then times, interleaved in rounds (best of the rounds), one training step
of: fqt fp32, fqt PTQ 8 (the issue's 8-bit FQT step), PyTorch fp32, and a
fake-quantized PyTorch step emulating the PTQ 8 setup (quantize-dequantize of
activations and weights, nearest; dY quantized twice, independently, with
stochastic rounding for dX and dW), same models, same batch, same thread
count (--threads, default 1: torch.set_num_threads and OMP_NUM_THREADS).
PyTorch is timed with the BLAS it loads by default and, when --torch-blas
names a directory with another libblas.so.3 (e.g. OpenBLAS from Debian's
libopenblas0-pthread), with that one too.

Writes a markdown section (table + ratios) to stdout, or into
benchmarks/RESULTS.md with --write, and the loss curves to
benchmarks/study-loss.png (--quick: study-loss-quick.png).

  benchmarks/study.py [--build=build] [--quick] [--write] [--models=mlp,cnn]
                      [--threads=1] [--torch-blas=DIR] [--max-minutes=4]

--torch-blas defaults to build/peers/openblas/... where
benchmarks/get-openblas.sh unpacked Debian's OpenBLAS (without installing it,
so the system's BLAS stays as it is).
"""

import argparse
import csv
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGS = [
    ("fp32", ["--fp32"]),
    ("QAT (8-bit fwd, float grads)",
     ["--act=ptq:8", "--weight=ptq:8", "--dgrad=none", "--wgrad=none"]),
    ("FQT PTQ 8", ["--dgrad=ptq:8", "--wgrad=ptq:8"]),
    ("FQT PSQ 5", ["--dgrad=psq:5", "--wgrad=ptq:8"]),
    ("FQT BHQ 5", ["--dgrad=bhq:5", "--wgrad=ptq:8"]),
    ("FQT PTQ 4", ["--dgrad=ptq:4", "--wgrad=ptq:8"]),
    ("FQT PSQ 4", ["--dgrad=psq:4", "--wgrad=ptq:8"]),
    ("FQT BHQ 4", ["--dgrad=bhq:4", "--wgrad=ptq:8"]),
    ("FQT Kim (LBT) 4", ["--dgrad=lbt:4", "--shared-grad"]),
]
FQT8 = "FQT PTQ 8"

# Per model: batch, optimizer flags, samples of a --quick run.
MODELS = {
    "mlp": {"batch": 128, "quick_train": 200 * 128},
    "cnn": {"batch": 64, "quick_train": 100 * 64},
}
OPTIMIZER = ["--optimizer=momentum", "--lr=0.02"]
SEED = 0


def log(message):
    print(message, file=sys.stderr, flush=True)


def parse_final(text):
    lines = [l for l in text.splitlines() if l.startswith("final ")]
    if not lines:
        raise RuntimeError("no final line in:\n" + text)
    return {k: float(v) for k, v in
            (kv.split("=") for kv in lines[-1].split()[1:])}


def compile_model(args, model, name, flags):
    """The training executable of MODEL with FLAGS, cached under
    BUILD/study/ by the flags and the mtimes of the compiler, the model and
    the runtime libraries it links; None and the message when fqt-compile
    refuses it."""
    compiler = os.path.join(args.build, "bin", "fqt-compile")
    onnx = os.path.join(ROOT, "examples", "fashion-mnist", model + ".onnx")
    cmd = [compiler, onnx, "--batch=%d" % MODELS[model]["batch"],
           "--mode=integer"] + OPTIMIZER + flags
    with open(os.path.join(args.build, "lib", "fqt-runtime-link.txt")) as f:
        runtime = [p for p in f.read().split() if p.startswith(args.build)]
    key = hashlib.sha1(json.dumps(
        [cmd] + [os.path.getmtime(p) for p in [compiler, onnx] + runtime]
    ).encode())
    exe = os.path.join(args.build, "study", "%s-%s" % (model, key.hexdigest()[:12]))
    if os.path.exists(exe):
        return exe, None, cmd
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    log("compiling %s %s" % (model, name))
    result = subprocess.run(cmd + ["-o", exe], capture_output=True, text=True)
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()
        message = message[-1] if message else "exit %d" % result.returncode
        message = message.split(": error: ", 1)[-1]
        return None, message, cmd
    return exe, None, cmd


def train(args, model, exe, tag):
    """Trains 1 epoch (--quick: the first quick_train samples); a
    configuration whose epoch would take longer than --max-minutes (by a
    probe of 2 steps) trains on as many batches as fit in that time. Returns
    the final line's values (with 'steps': the steps trained, 'capped') and
    the per-step losses."""
    spec = MODELS[model]
    log_csv = os.path.join(args.build, "study", "%s-%s.csv" % (model, tag))
    cmd = [exe, "--epochs=1", "--seed=%d" % SEED, "--threads=%d" % args.threads,
           "--log=" + log_csv, "--quiet"]
    samples = spec["quick_train"] if args.quick else 60000
    probe_ms = time_fqt(args, exe, model, 2)
    steps = samples // spec["batch"]
    capped = steps * probe_ms > args.max_minutes * 60e3
    if capped:
        steps = max(2, int(args.max_minutes * 60e3 / probe_ms))
        samples = steps * spec["batch"]
        log("%s %s: %.0f ms per step; training the first %d steps only"
            % (model, tag, probe_ms, steps))
    if samples < 60000:
        cmd += ["--train-limit=%d" % samples]
    if args.quick:
        cmd += ["--test-limit=2000"]
    log("training %s %s" % (model, tag))
    result = subprocess.run(cmd, capture_output=True, text=True,
                            env=thread_env(args))
    if result.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ":\n" + result.stderr)
    with open(log_csv) as f:
        losses = [float(row["train_loss"]) for row in csv.DictReader(f)]
    final = parse_final(result.stdout)
    final["steps"] = steps
    final["capped"] = capped
    return final, losses


def thread_env(args, blas=None):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    if blas:
        env["LD_LIBRARY_PATH"] = blas + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return env


def time_fqt(args, exe, model, steps):
    """Mean step_ms of a short run (the runtime times train_step alone)."""
    spec = MODELS[model]
    cmd = [exe, "--epochs=1", "--seed=%d" % SEED, "--threads=%d" % args.threads,
           "--train-limit=%d" % (steps * spec["batch"]),
           "--test-limit=%d" % spec["batch"], "--quiet"]
    result = subprocess.run(cmd, capture_output=True, text=True,
                            env=thread_env(args), check=True)
    return parse_final(result.stdout)["step_ms"]


def time_torch(args, model, steps, blas):
    """{'fp32': ms, 'fakequant': ms} from benchmarks/torch_step.py."""
    cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "torch_step.py"),
           "--model=" + model, "--batch=%d" % MODELS[model]["batch"],
           "--steps=%d" % steps, "--threads=%d" % args.threads]
    result = subprocess.run(cmd, capture_output=True, text=True,
                            env=thread_env(args, blas), check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def smooth(values, window=20):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot(curves, path):
    """Top: train loss per step (mean of the last 20 steps); bottom: its
    difference to the fp32 run's, where the configurations separate."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    models = list(curves)
    fig, axes = plt.subplots(2, len(models), figsize=(7 * len(models), 8),
                             squeeze=False)
    for col, model in enumerate(models):
        top, bottom = axes[0][col], axes[1][col]
        base = smooth(curves[model].get("fp32", []))
        for name, losses in curves[model].items():
            s = smooth(losses)
            top.plot(range(len(s)), s, label=name, linewidth=1.1)
            n = min(len(s), len(base))
            if name != "fp32" and n:
                bottom.plot(range(n), [a - b for a, b in zip(s[:n], base[:n])],
                            label=name, linewidth=1.1)
        top.set_title("%s, batch %d: train loss (mean of last 20 steps)"
                      % (model.upper(), MODELS[model]["batch"]))
        top.set_ylabel("train loss")
        top.set_ylim(0, 2.5)
        bottom.set_title("%s: train loss minus fp32's" % model.upper())
        bottom.set_ylabel("difference")
        for ax in (top, bottom):
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--quick", action="store_true",
                        help="a few hundred steps per run instead of 1 epoch")
    parser.add_argument("--write", action="store_true",
                        help="replace the study's section of benchmarks/RESULTS.md")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timing-rounds", type=int, default=3)
    parser.add_argument("--max-minutes", type=float, default=4,
                        help="cap on one training run (fewer steps beyond)")
    default_blas = os.path.join(ROOT, "build", "peers", "openblas", "usr", "lib",
                                "x86_64-linux-gnu", "openblas-pthread")
    parser.add_argument("--torch-blas",
                        default=default_blas if os.path.isdir(default_blas)
                        else None,
                        help="directory of another libblas.so.3 for PyTorch")
    parser.add_argument("--only", default=None,
                        help="comma-separated configuration names: train just "
                        "these and print their table rows (no timing, plot "
                        "or --write)")
    args = parser.parse_args()
    if args.only:
        wanted = args.only.split(",")
        unknown = [n for n in wanted if n not in dict(CONFIGS)]
        if unknown:
            parser.error("unknown configuration(s): %s" % ", ".join(unknown))
        CONFIGS[:] = [c for c in CONFIGS if c[0] in wanted]
        args.write = False
    args.build = os.path.abspath(args.build)
    models = args.models.split(",")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()

    rows, curves, exes = [], {}, {}
    for model in models:
        curves[model] = {}
        for name, flags in CONFIGS:
            exe, refused, cmd = compile_model(args, model, name, flags)
            if exe is None:
                rows.append((model, name, flags, None, refused))
                log("%s %s: not available: %s" % (model, name, refused))
                continue
            exes[(model, name)] = exe
            tag = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            final, losses = train(args, model, exe, tag)
            curves[model][name] = losses
            rows.append((model, name, flags, final, None))
            log("%s %s: %s" % (model, name, final))

    if args.only:
        for model, name, flags, final, refused in rows:
            if final is None:
                print("| %s | %s | `%s` | not available | | | (%s) |"
                      % (model, name, " ".join(flags), refused))
            else:
                print("| %s | %s | `%s` | %.4f | %.4f | %.4f | %.2f |"
                      % (model, name, " ".join(flags), final["test_accuracy"],
                         final["train_loss"], final["test_loss"],
                         final["step_ms"]))
        return

    # Speed: interleaved rounds, best of each.
    timing_steps = {"mlp": 200, "cnn": 20}
    blases = [("default BLAS", None)]
    if args.torch_blas:
        blases.append(("BLAS of --torch-blas", args.torch_blas))
    speed = {}
    for model in models:
        best = {}
        for r in range(args.timing_rounds):
            log("timing %s, round %d" % (model, r + 1))
            samples = {}
            for name in ("fp32", FQT8):
                if (model, name) in exes:
                    samples["fqt " + name] = time_fqt(
                        args, exes[(model, name)], model, timing_steps[model])
            for label, blas in blases:
                t = time_torch(args, model, timing_steps[model], blas)
                samples["PyTorch fp32 (%s)" % label] = t["fp32"]
                samples["PyTorch fake-quant 8-bit (%s)" % label] = t["fakequant"]
            for k, v in samples.items():
                best[k] = min(best.get(k, float("inf")), v)
        speed[model] = best
    load_after = os.getloadavg()

    png = os.path.join(ROOT, "benchmarks",
                       "study-loss-quick.png" if args.quick else "study-loss.png")
    plot(curves, png)

    command = "/usr/bin/python3 benchmarks/study.py" + \
        "".join(" " + a for a in sys.argv[1:] if a != "--write")
    out = []
    out.append("## Accuracy and speed study (issue 7)\n")
    out.append("Command: `%s` (%s; load average %.1f before, %.1f after; "
               "the 2-core machine is shared with other builds, so step "
               "times carry their load: read the ratios of the speed table, "
               "measured interleaved in the same run).\n"
               % (command, started, load_before[0], load_after[0]))
    limit = ("%s" % ", ".join("%s: first %d training samples, 2000 test samples"
                              % (m, MODELS[m]["quick_train"]) for m in models)
             if args.quick else "1 epoch of the 60000 training samples, "
             "all 10000 test samples")
    out.append("Setup: %s; batch %s; seed %d; `%s`; quantized products on "
               "integer codes (`--mode=integer`); %d thread(s). Train loss is "
               "the epoch's mean (the `final` line); step ms is the runtime's "
               "mean train_step time in the training run.\n"
               % (limit, ", ".join("%s %d" % (m, MODELS[m]["batch"])
                                   for m in models), SEED, " ".join(OPTIMIZER),
                  args.threads))
    out.append("| model | configuration | fqt-compile flags | test accuracy "
               "| train loss | test loss | step ms |")
    out.append("|---|---|---|---|---|---|---|")
    for model, name, flags, final, refused in rows:
        f = "`%s`" % " ".join(flags)
        if final is None:
            out.append("| %s | %s | %s | not available | | | (%s) |"
                       % (model, name, f, refused))
        else:
            note = (" (first %d steps only: the step is too slow for a "
                    "full run)" % final["steps"]) if final["capped"] else ""
            out.append("| %s | %s%s | %s | %.4f | %.4f | %.4f | %.2f |"
                       % (model, name, note, f, final["test_accuracy"],
                          final["train_loss"], final["test_loss"],
                          final["step_ms"]))
    out.append("")
    out.append("![loss curves](%s)\n" % os.path.basename(png))
    out.append("Training-step time, best of %d interleaved rounds (fqt: %d "
               "MLP / %d CNN steps per round; PyTorch the same, after 5 "
               "warm-up steps), ms per step:\n"
               % (args.timing_rounds, timing_steps["mlp"], timing_steps["cnn"]))
    out.append("| model | step | ms | fqt PTQ 8 / this |")
    out.append("|---|---|---|---|")
    for model in models:
        fqt8 = speed[model].get("fqt " + FQT8)
        for k, v in speed[model].items():
            ratio = "%.2f" % (fqt8 / v) if fqt8 else ""
            out.append("| %s | %s | %.2f | %s |" % (model, k, v, ratio))
    out.append("")
    text = "\n".join(out) + "\n"
    print(text)
    for model in models:
        fqt8 = speed[model].get("fqt " + FQT8)
        for k, v in speed[model].items():
            if k.startswith("PyTorch") and fqt8:
                log("ratio %s: fqt %s step / %s step = %.2f"
                    % (model, FQT8, k, fqt8 / v))
    if args.write:
        write_section(text)


def write_section(text):
    """Replaces (or appends) the '## Accuracy and speed study' section."""
    path = os.path.join(ROOT, "benchmarks", "RESULTS.md")
    with open(path) as f:
        old = f.read()
    title = "## Accuracy and speed study (issue 7)"
    start = old.find(title)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(title))
        new = old[:start] + text + (old[end + 1:] if end >= 0 else "")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What a compile costs: seconds, peak memory and executable size of
`fqt-compile MODEL --batch=B --mode=integer` (8-bit FQT, the default
quantizers) for the bundled MLP and CNN and for torchvision's ResNet-18,
ResNet-50 and the zoo's ViT, next to the size of each model's weights.
With --before, the same compiles by another fqt-compile (an older build)
in the same run, and the ratios.

    /usr/bin/python3 benchmarks/compile_cost.py [--build build]
        [--before OLD/bin/fqt-compile] [--models mlp cnn resnet18 ...]
        [--batch 32] [--out DIR] [-- extra fqt-compile flags]

The torchvision models are exported by scripts/zoo/export.py (Debian's
torch 1.13, the TorchScript exporter, opset 17) at the batch size, into
--out (default: a temporary directory). Peak memory is GNU time's maximum
resident set size of the compiler process (the linker it starts is a
separate process, far smaller).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED = {"mlp": "examples/fashion-mnist/mlp.onnx",
           "cnn": "examples/fashion-mnist/cnn.onnx"}


def model_path(name, batch, out):
    if name in BUNDLED:
        return os.path.join(ROOT, BUNDLED[name])
    path = os.path.join(out, name, "model.onnx")
    if not os.path.exists(path):
        subprocess.run(["/usr/bin/python3",
                        os.path.join(ROOT, "scripts", "zoo", "export.py"),
                        "--exporter=legacy", "--opset=17", "--out", out,
                        "--batch", str(batch), name],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return path


def weight_bytes(path):
    """Bytes of the model's float initializers."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    return sum(numpy_helper.to_array(i).nbytes
               for i in model.graph.initializer
               if i.data_type in (onnx.TensorProto.FLOAT,
                                  onnx.TensorProto.FLOAT16,
                                  onnx.TensorProto.DOUBLE))


def compile_once(compiler, model, batch, exe, flags):
    """(seconds, peak MiB, executable MiB) of one compile."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", compiler, model,
         f"--batch={batch}", "--mode=integer", "-o", exe] + flags,
        capture_output=True, text=True)
    match = re.search(r"TIME ([0-9.]+) ([0-9]+)", result.stderr)
    if result.returncode != 0 or not match:
        lines = [l for l in result.stderr.splitlines() if "error" in l]
        raise RuntimeError(lines[0] if lines else result.stderr[-400:])
    size = os.path.getsize(exe)
    if os.path.exists(exe + ".weights"):
        size += os.path.getsize(exe + ".weights")
    return float(match.group(1)), int(match.group(2)) / 1024, size / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--before", help="another fqt-compile to compare")
    parser.add_argument("--models", nargs="+",
                        default=["mlp", "cnn", "resnet18", "resnet50", "vit"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--out", help="where exported models are kept")
    parser.add_argument("flags", nargs="*", help="extra fqt-compile flags")
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="fqt-compile-cost-")
    after = os.path.join(args.build, "bin", "fqt-compile")
    compilers = [("after", after)]
    if args.before:
        compilers.insert(0, ("before", args.before))

    header = "| model | weights MiB |"
    rule = "|---|---|"
    for label, _ in compilers:
        header += f" {label}: s | {label}: peak MiB | {label}: exe MiB |"
        rule += "---|---|---|"
    if args.before:
        header += " time ratio | memory ratio |"
        rule += "---|---|"
    print(header)
    print(rule)
    work = tempfile.mkdtemp(prefix="fqt-compile-cost-exe-")
    for name in args.models:
        try:
            model = model_path(name, args.batch, out)
            row = f"| {name} | {weight_bytes(model) / 2**20:.1f} |"
            figures = []
            for label, compiler in compilers:
                exe = os.path.join(work, f"{name}-{label}")
                figures.append(compile_once(compiler, model, args.batch, exe,
                                            args.flags))
                seconds, peak, size = figures[-1]
                row += f" {seconds:.1f} | {peak:.0f} | {size:.1f} |"
                for f in (exe, exe + ".weights"):
                    if os.path.exists(f):
                        os.remove(f)
            if args.before:
                row += (f" {figures[0][0] / figures[1][0]:.1f}x |"
                        f" {figures[0][1] / figures[1][1]:.1f}x |")
        except (RuntimeError, subprocess.CalledProcessError) as error:
            row = f"| {name} | failed: {str(error)[:200]} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()

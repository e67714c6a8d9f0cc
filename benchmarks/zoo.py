#!/usr/bin/env python3
"""The model zoo: torchvision and PyTorch models exported to ONNX, compiled
by fqt, their gradients checked against PyTorch's float64 autograd and
trained for 50 steps. Prints a table and a summary.

    /usr/bin/python3 benchmarks/zoo.py [--out DIR] [--models resnet18 vit ...]
        [--exports legacy:13,legacy:17,dynamo:18] [--steps 50] [--batch B]

Exports (scripts/zoo/export.py): `legacy` runs Debian's torch 1.13
(/usr/bin/python3) with the TorchScript exporter in training mode;
`dynamo` runs the current PyTorch of the venv scripts/setup-torch-venv.sh
makes ($FQT_TORCH_VENV, default ~/.cache/fqt/venv-torch), skipped with a
note when there is none. Each model of each export is then checked by
scripts/zoo/check.py in its own process (a crash is that model's row):
  compile   seconds of `fqt-compile model.onnx --fp32 --batch=B -o train`
  worst err the largest relative error over the loss, |l - l_ref| /
            |l_ref|, and every parameter gradient, max |g - g_ref| /
            max |g_ref| (a gradient zero in float64 against 0.1 of the
            model's largest one); PASS needs <= 1e-4
  torch f32 the same measure of PyTorch's own float32 gradients; where
            both miss 1e-4 the row is F32 (the float64 reference is beyond
            float32's reach on that batch), reported apart
  loss      the loss of the first and of the last of --steps SGD steps
            on the same batch (the executable's --batch-steps), at lr 0.02
            or, where PyTorch's float32 does not train at that rate, the
            halved rate it trains at (PyTorch's losses shown beside);
            PASS needs the last below the first
A failing model shows its single error line. Models: scripts/zoo/models.py
(ZOO; --tiny for the small ones of the default test run). Tools:
--tools, else $FQT_TOOLS_DIR, else build/bin; the bindings:
build/python_packages (or $PYTHONPATH).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO_DIR = os.path.join(ROOT, "scripts", "zoo")
sys.path.insert(0, ZOO_DIR)
import check  # noqa: E402  (scripts/zoo/check.py: table format)


def torch_python(exporter):
    """The interpreter of an exporter, or None with the reason."""
    if exporter == "legacy":
        return "/usr/bin/python3", None
    venv = os.environ.get("FQT_TORCH_VENV",
                          os.path.expanduser("~/.cache/fqt/venv-torch"))
    python = os.path.join(venv, "bin", "python")
    if not os.access(python, os.X_OK):
        return None, (f"no venv at {venv} (scripts/setup-torch-venv.sh "
                      "makes one)")
    probe = subprocess.run(
        [python, "-c", "import torch, onnxscript; print(torch.__version__)"],
        capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"{python} cannot import torch and onnxscript"
    return python, None


def export(python, exporter, opset, names, out, batch, steps):
    """Runs export.py; returns {model: error or None}."""
    result = subprocess.run(
        [python, os.path.join(ZOO_DIR, "export.py"), f"--exporter={exporter}",
         f"--opset={opset}", f"--steps={steps}", "--out", out] +
        ([f"--batch={batch}"] if batch else []) + names,
        capture_output=True, text=True)
    status = {}
    for name in names:
        meta = os.path.join(out, name, "meta.json")
        if not os.path.isfile(meta):
            lines = (result.stderr or result.stdout).strip().splitlines()
            status[name] = ("export crashed: " +
                            (lines[-1] if lines else f"exit {result.returncode}"))
        else:
            status[name] = None
    return status


def run_check(directory, tools, steps, env):
    """One check.py row, in its own process."""
    result = subprocess.run(
        [sys.executable, os.path.join(ZOO_DIR, "check.py"),
         os.path.dirname(directory), os.path.basename(directory),
         "--tools", tools, f"--steps={steps}", "--json"],
        capture_output=True, text=True, env=env)
    for line in result.stdout.splitlines():
        if line.startswith("JSON "):
            return json.loads(line[5:])
    lines = (result.stderr + result.stdout).strip().splitlines()
    return {"error": "check crashed: " +
            (lines[-1] if lines else f"exit {result.returncode}")}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--out", help="work directory (default: a new "
                                      "temporary one, kept)")
    parser.add_argument("--models", nargs="*")
    parser.add_argument("--tiny", action="store_true",
                        help="the default test run's small models")
    parser.add_argument("--exports", default="legacy:13,legacy:17,dynamo:18",
                        help="EXPORTER:OPSET,... (default %(default)s)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int,
                        help="batch size (default: each model's, 2 or 4)")
    parser.add_argument("--tools", default=os.environ.get(
        "FQT_TOOLS_DIR", os.path.join(ROOT, "build", "bin")))
    args = parser.parse_args()

    import models as zoo
    names = args.models or list(zoo.TINY if args.tiny else zoo.ZOO)
    unknown = [n for n in names if n not in zoo.MODELS]
    if unknown:
        parser.error("unknown model(s) " + ", ".join(unknown))
    out = args.out or tempfile.mkdtemp(prefix="fqt-zoo-")
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", os.path.join(ROOT, "build",
                                              "python_packages"))
    print(f"zoo: {len(names)} models, exports {args.exports}, work "
          f"directory {out}", flush=True)
    print(check.HEADER, flush=True)
    rows, notes = [], []
    for spec in args.exports.split(","):
        exporter, opset = spec.split(":")
        python, why = torch_python(exporter)
        if python is None:
            notes.append(f"{exporter} exporter skipped: {why}")
            continue
        directory = os.path.join(out, f"{exporter}-{opset}")
        start = time.perf_counter()
        exported = export(python, exporter, opset, names, directory,
                          args.batch, args.steps)
        notes.append(f"{exporter} opset {opset}: exported in "
                     f"{time.perf_counter() - start:.0f} s with {python}")
        for name in names:
            if exported[name]:
                row = {"error": exported[name]}
            else:
                row = run_check(os.path.join(directory, name), args.tools,
                                args.steps, env)
            base = {"model": name, "family": zoo.MODELS[name].family,
                    "exporter": exporter, "opset": int(opset),
                    "compile_s": None, "worst": None, "status": "FAIL"}
            base.update(row)
            rows.append(base)
            print(check.format_row(base), flush=True)

    passed = [r for r in rows if r["status"] == "PASS"]
    beyond = [r for r in rows if r["status"] == "F32"]
    print(f"\nzoo: {len(passed)} of {len(rows)} model exports pass "
          f"(gradients within 1e-4 of float64 PyTorch, loss decreasing over "
          f"{args.steps} steps); {len(beyond)} beyond float32's reach (F32)")
    families = {}
    for row in rows:
        families.setdefault(row["family"], []).append(row)
    for family, members in sorted(families.items()):
        ok = sum(r["status"] == "PASS" for r in members)
        print(f"  {family}: {ok} of {len(members)}")
    for note in notes:
        print("  " + note)
    with open(os.path.join(out, "zoo.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print(f"  rows: {os.path.join(out, 'zoo.json')}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs ONNX's backend node tests through fqt-run.

Every test under DATA/node/test_*/ whose operators are all in fqt's ONNX
dialect (dialects/ONNX/ONNXOps.gen.td) is run as
`fqt-run model.onnx --test-data test_data_set_0` in parallel; the others are
counted as skipped. Prints one line per failure (with fqt-run's first error
line), the counts, and exits non-zero if the pass rate is below --min-rate.

Usage: onnx_node_tests.py --fqt-run build/bin/fqt-run [--jobs 2]
                          [--min-rate 0.95] [--filter SUBSTRING]
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = "/usr/share/libonnx-testdata/data"


def supported_ops():
    with open(os.path.join(ROOT, "dialects/ONNX/ONNXOps.gen.td")) as f:
        return set(re.findall(r'ONNX_Op<"(\w+)"', f.read()))


def model_ops(path):
    model = onnx.load(path, load_external_data=False)
    return {(n.domain, n.op_type) for n in model.graph.node}


def run_one(fqt_run, test_dir, timeout):
    cmd = [fqt_run, os.path.join(test_dir, "model.onnx"), "--test-data",
           os.path.join(test_dir, "test_data_set_0")]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout} s"
    if proc.returncode == 0 and proc.stdout.strip().endswith("PASS"):
        return True, ""
    if proc.returncode < 0:
        return False, f"crashed with signal {-proc.returncode}"
    first = (proc.stderr.strip().splitlines() or ["(no message)"])[0]
    return False, first[:300]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fqt-run", required=True)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min-rate", type=float, default=0.0)
    parser.add_argument("--filter", default="")
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()

    ops = supported_ops()
    node_dir = os.path.join(args.data, "node")
    selected, skipped = [], 0
    for name in sorted(os.listdir(node_dir)):
        if args.filter not in name:
            continue
        test_dir = os.path.join(node_dir, name)
        if not os.path.exists(os.path.join(test_dir, "model.onnx")):
            continue
        used = model_ops(os.path.join(test_dir, "model.onnx"))
        if all(domain in ("", "ai.onnx") and op in ops for domain, op in used):
            selected.append(test_dir)
        else:
            skipped += 1

    failures = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, args.fqt_run, d, args.timeout): d
                   for d in selected}
        for future in concurrent.futures.as_completed(futures):
            ok, message = future.result()
            if not ok:
                failures.append((os.path.basename(futures[future]), message))

    for name, message in sorted(failures):
        print(f"FAIL {name}: {message}")
    passed = len(selected) - len(failures)
    rate = passed / len(selected) if selected else 0.0
    print(f"onnx node tests with supported ops: {len(selected)}, "
          f"skipped (unsupported ops): {skipped}, pass rate {rate:.1%}")
    print(f"{passed} passed, {len(failures)} failed, {skipped} skipped")
    return 0 if selected and rate >= args.min_rate else 1


if __name__ == "__main__":
    sys.exit(main())

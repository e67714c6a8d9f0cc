#!/usr/bin/env python3
"""Runs ONNX's backend node tests through fqt-run.

Every test under DATA/node/test_*/ whose operators are all in fqt's ONNX
dialect (dialects/ONNX/ONNXOps.gen.td) is run as
`fqt-run model.onnx --test-data test_data_set_0` in parallel. The others are
skipped, counted apart:

  * unsupported ops: the model uses an operator the dialect does not have;
  * not applicable: the test cannot pass by design, whatever the lowering:
    its graph has STRING tensors or sequence / optional values (fqt compiles
    numeric tensors only), it compares the random mask of a training-mode
    Dropout (ratio > 0), which no other implementation reproduces, or its
    expected outputs contradict its own model (INCONSISTENT_TESTS).

Prints one line per failure (with fqt-run's first error line), one per test
not applicable (with the reason), the counts, and exits non-zero if the pass
rate over the applicable tests is below --min-rate, or with --tests when any
listed test is not run or fails.

Usage: onnx_node_tests.py --fqt-run build/bin/fqt-run [--jobs 2]
                          [--min-rate 0.95] [--filter SUBSTRING]
                          [--tests FILE]
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

import onnx
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The operator domains of fqt's ONNX dialect.
DOMAINS = ("", "ai.onnx", "ai.onnx.preview.training")
# Tests whose expected outputs were computed from another model than the one
# they ship. test/Import/onnx-training-ops.test runs the corrected model.
INCONSISTENT_TESTS = {
    "test_adam_multiple": "the outputs were computed with epsilon=1e-2, but "
                          "the model's Adam node leaves epsilon at the "
                          "schema's default 1e-6 (onnx/onnx#7749)",
}
DEFAULT_DATA = "/usr/share/libonnx-testdata/data"


def supported_ops():
    with open(os.path.join(ROOT, "dialects/ONNX/ONNXOps.gen.td")) as f:
        return set(re.findall(r'ONNX_Op<"(\w+)"', f.read()))


def test_input(test_dir, model, name):
    """The test data of graph input `name`, or None."""
    names = [i.name for i in model.graph.input
             if i.name not in {t.name for t in model.graph.initializer}]
    if name not in names:
        return None
    path = os.path.join(test_dir, "test_data_set_0",
                        "input_%d.pb" % names.index(name))
    if not os.path.exists(path):
        return None
    return numpy_helper.to_array(onnx.load_tensor(path))


def not_applicable(test_dir, model):
    """Why the test cannot pass whatever fqt lowers, or None."""
    name = os.path.basename(os.path.normpath(test_dir))
    if name in INCONSISTENT_TESTS:
        return INCONSISTENT_TESTS[name]
    for value in list(model.graph.input) + list(model.graph.output):
        kind = value.type.WhichOneof("value")
        if kind != "tensor_type":
            return "%s values are not compiled" % kind.replace("_type", "")
        if value.type.tensor_type.elem_type == onnx.TensorProto.STRING:
            return "STRING tensors are not compiled"
    for node in model.graph.node:
        if node.op_type != "Dropout" or len(node.input) < 3:
            continue
        training = test_input(test_dir, model, node.input[2])
        if training is None or not bool(training):
            continue
        ratio = 0.5
        if len(node.input) > 1 and node.input[1]:
            value = test_input(test_dir, model, node.input[1])
            ratio = None if value is None else float(value)
        if ratio != 0.0:
            return "training-mode Dropout compares a random mask"
    return None


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


def read_test_list(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fqt-run", required=True)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min-rate", type=float, default=0.0)
    parser.add_argument("--filter", default="")
    parser.add_argument("--tests", metavar="FILE",
                        help="run only the tests named in FILE (one per "
                        "line, '#' comments); each must be run and pass")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--all-ops", action="store_true",
                        help="also run the tests whose ops the dialect "
                        "lacks: the importer expands ops that ONNX defines "
                        "by a function, and the failures are counted by "
                        "reason")
    args = parser.parse_args()

    ops = supported_ops()
    node_dir = os.path.join(args.data, "node")
    if args.tests:
        names = read_test_list(args.tests)
        missing = [n for n in names
                   if not os.path.exists(os.path.join(node_dir, n,
                                                      "model.onnx"))]
        if missing:
            print("no such test: " + ", ".join(missing))
            return 1
    else:
        names = sorted(os.listdir(node_dir))

    selected, unsupported, inapplicable = [], 0, []
    for name in names:
        if args.filter not in name:
            continue
        test_dir = os.path.join(node_dir, name)
        path = os.path.join(test_dir, "model.onnx")
        if not os.path.exists(path):
            continue
        model = onnx.load(path, load_external_data=False)
        used = {(n.domain, n.op_type) for n in model.graph.node}
        if not args.all_ops and not all(domain in DOMAINS and op in ops
                                        for domain, op in used):
            unsupported += 1
            continue
        reason = not_applicable(test_dir, model)
        if reason:
            inapplicable.append((name, reason))
            continue
        selected.append(test_dir)

    failures = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, args.fqt_run, d, args.timeout): d
                   for d in selected}
        for future in concurrent.futures.as_completed(futures):
            ok, message = future.result()
            if not ok:
                failures.append((os.path.basename(futures[future]), message))

    for name, reason in inapplicable:
        print(f"SKIP {name}: not applicable: {reason}")
    for name, message in sorted(failures):
        print(f"FAIL {name}: {message}")
    if args.all_ops:
        # The failures by reason, the most common first.
        reasons = {}
        for _, message in failures:
            m = re.search(r"unsupported ONNX operator '(\w+)'", message)
            reason = (f"unsupported operator {m.group(1)}" if m else
                      re.sub(r"^\S+: error: ", "", message)[:100])
            reasons[reason] = reasons.get(reason, 0) + 1
        for reason, count in sorted(reasons.items(), key=lambda r: -r[1]):
            print(f"REASON {count:4d} {reason}")
    passed = len(selected) - len(failures)
    skipped = unsupported + len(inapplicable)
    rate = passed / len(selected) if selected else 0.0
    print(f"onnx node tests with supported ops: {len(selected)} applicable, "
          f"skipped: {unsupported} (unsupported ops) + {len(inapplicable)} "
          f"(not applicable), pass rate {rate:.1%}")
    print(f"{passed} passed, {len(failures)} failed, {skipped} skipped")
    if args.tests:
        # A curated list: every test must run and pass.
        if unsupported or inapplicable or failures:
            return 1
        return 0
    return 0 if selected and rate >= args.min_rate else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes an ONNX model with a TrainingInfoProto, and the numpy reference of
its training, for fqt's tests (test/Import/training-info.test).

The inference graph is a linear layer Y = X W + B. The training algorithm
(ONNX's TrainingInfoProto.algorithm) computes the loss L = (Y - Z)^2 per
element, its gradient with ONNX's Gradient operator (the gradient of the sum
of L), a Momentum or Adam update of W and B, and T + 1; update_binding writes
the new W, B, optimizer state and T back. The initialization graph sets the
optimizer state to zeros (initialization_binding).

Usage: make_training_info_model.py OUT_DIR --optimizer momentum|adam
                                   --steps N
Writes OUT_DIR/model.onnx, OUT_DIR/data/input_*.pb (X, Z) and
OUT_DIR/data/output_*.pb: the outputs of the N-th step (Y, then the
algorithm's outputs), computed with numpy in float64.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TRAINING = "ai.onnx.preview.training"


def build(optimizer):
    rng = np.random.default_rng(7)
    w = rng.normal(size=(3, 2)).astype(np.float32)
    b = rng.normal(size=(2,)).astype(np.float32)
    f = TensorProto.FLOAT
    inference = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["XW"], name="matmul"),
         helper.make_node("Add", ["XW", "B"], ["Y"], name="bias")],
        "linear",
        [helper.make_tensor_value_info("X", f, [4, 3])],
        [helper.make_tensor_value_info("Y", f, [4, 2])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B"),
         numpy_helper.from_array(np.zeros_like(w), "V_W"),
         numpy_helper.from_array(np.zeros_like(b), "V_B"),
         numpy_helper.from_array(np.zeros_like(w), "H_W"),
         numpy_helper.from_array(np.zeros_like(b), "H_B"),
         numpy_helper.from_array(np.array(0.05, np.float32), "R"),
         numpy_helper.from_array(np.array(0, np.int64), "T"),
         numpy_helper.from_array(np.array(1, np.int64), "one")])

    nodes = [
        helper.make_node("Sub", ["Y", "Z"], ["D"], name="diff"),
        helper.make_node("Mul", ["D", "D"], ["L"], name="square"),
        helper.make_node("Gradient", ["W", "B"], ["G_W", "G_B"],
                         name="gradient", domain=TRAINING, xs=["W", "B"],
                         y="L"),
        helper.make_node("Add", ["T", "one"], ["T_new"], name="count"),
    ]
    state = [("V_W", "V_W_new"), ("V_B", "V_B_new")]
    if optimizer == "momentum":
        nodes.append(helper.make_node(
            "Momentum", ["R", "T", "W", "B", "G_W", "G_B", "V_W", "V_B"],
            ["W_new", "B_new", "V_W_new", "V_B_new"], name="momentum",
            domain=TRAINING, alpha=0.9, beta=1.0, mode="nesterov",
            norm_coefficient=0.01))
    else:
        nodes.append(helper.make_node(
            "Adam", ["R", "T", "W", "B", "G_W", "G_B", "V_W", "V_B", "H_W",
                     "H_B"],
            ["W_new", "B_new", "V_W_new", "V_B_new", "H_W_new", "H_B_new"],
            name="adam", domain=TRAINING, alpha=0.9, beta=0.99,
            epsilon=1e-3, norm_coefficient=0.01))
        state += [("H_W", "H_W_new"), ("H_B", "H_B_new")]
    outputs = ["W_new", "B_new"] + [new for _, new in state] + ["T_new"]
    shapes = {"W": [3, 2], "B": [2], "T": []}
    for old, _ in state:
        shapes[old] = shapes[old[-1]]
    algorithm = helper.make_graph(
        nodes, "step", [helper.make_tensor_value_info("Z", f, [4, 2])],
        [helper.make_tensor_value_info(
            n, TensorProto.INT64 if n == "T_new" else f,
            shapes[n[:-4]]) for n in outputs])

    # The initialization graph zeroes the optimizer state.
    init_nodes, init_outputs = [], []
    for old, _ in state:
        init_nodes.append(helper.make_node(
            "ConstantOfShape", ["shape_" + old], ["zero_" + old],
            name="zero_" + old,
            value=numpy_helper.from_array(np.zeros(1, np.float32))))
        init_nodes.insert(0, helper.make_node(
            "Constant", [], ["shape_" + old], name="shape_of_" + old,
            value=numpy_helper.from_array(
                np.array(shapes[old], np.int64))))
        init_outputs.append(helper.make_tensor_value_info(
            "zero_" + old, f, shapes[old]))
    initialization = helper.make_graph(init_nodes, "init", [], init_outputs)

    info = onnx.TrainingInfoProto()
    info.algorithm.CopyFrom(algorithm)
    info.initialization.CopyFrom(initialization)
    for old, new in [("W", "W_new"), ("B", "B_new"), ("T", "T_new")] + state:
        info.update_binding.add(key=old, value=new)
    for old, _ in state:
        info.initialization_binding.add(key=old, value="zero_" + old)

    model = helper.make_model(
        inference, opset_imports=[helper.make_opsetid("", 17),
                                  helper.make_opsetid(TRAINING, 1)])
    model.training_info.append(info)
    onnx.checker.check_model(model)
    return model, w, b


def reference(optimizer, w, b, x, z, steps):
    """The outputs of the last of `steps` training steps, in float64."""
    w, b = w.astype(np.float64), b.astype(np.float64)
    x, z = x.astype(np.float64), z.astype(np.float64)
    v = [np.zeros_like(w), np.zeros_like(b)]
    h = [np.zeros_like(w), np.zeros_like(b)]
    r, t, wd = 0.05, 0, 0.01
    for _ in range(steps):
        y = x @ w + b
        d = 2 * (y - z)  # d sum((y - z)^2) / dy
        grads = [x.T @ d, d.sum(axis=0)]
        params = [w, b]
        new = []
        for i, (p, g) in enumerate(zip(params, grads)):
            g = wd * p + g
            if optimizer == "momentum":
                beta = 1.0 if t > 0 else 1.0
                v[i] = 0.9 * v[i] + beta * g
                new.append(p - r * (g + 0.9 * v[i]))
            else:
                v[i] = 0.9 * v[i] + 0.1 * g
                h[i] = 0.99 * h[i] + 0.01 * g * g
                rate = r * np.sqrt(1 - 0.99 ** t) / (1 - 0.9 ** t) if t > 0 \
                    else r
                new.append(p - rate * v[i] / (np.sqrt(h[i]) + 1e-3))
        w, b = new
        t += 1
    outputs = [y, w, b, v[0], v[1]]
    if optimizer == "adam":
        outputs += [h[0], h[1]]
    return outputs + [np.array(t, np.int64)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--optimizer", choices=["momentum", "adam"],
                        default="momentum")
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    model, w, b = build(args.optimizer)
    os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    rng = np.random.default_rng(11)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    z = rng.normal(size=(4, 2)).astype(np.float32)
    for i, value in enumerate([x, z]):
        onnx.save_tensor(numpy_helper.from_array(value),
                         os.path.join(args.out, "data", "input_%d.pb" % i))
    for i, value in enumerate(reference(args.optimizer, w, b, x, z,
                                        args.steps)):
        if value.dtype == np.float64:
            value = value.astype(np.float32)
        onnx.save_tensor(numpy_helper.from_array(value),
                         os.path.join(args.out, "data", "output_%d.pb" % i))


if __name__ == "__main__":
    main()

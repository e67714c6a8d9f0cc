"""Writes a model that differentiates through Cast (f32 -> f16 -> f32 and
f32 -> f64 -> f32) with ONNX's Gradient operator, and its expected outputs,
into OUT_DIR (model.onnx, data/input_*.pb, data/output_*.pb).

    c = Cast<f32>(Cast<f16>(a)) * Cast<f32>(Cast<f64>(b))
    dc/da = f16(b)   (the gradient goes through the f16 cast as PyTorch's
                      autograd sends it: rounded to f16 and back)
    dc/db = f32(f16(a))
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "data"), exist_ok=True)
F, H, D = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE
nodes = [
    helper.make_node("Cast", ["a"], ["a16"], to=H, name="to_half"),
    helper.make_node("Cast", ["a16"], ["a32"], to=F, name="from_half"),
    helper.make_node("Cast", ["b"], ["b64"], to=D, name="to_double"),
    helper.make_node("Cast", ["b64"], ["b32"], to=F, name="from_double"),
    helper.make_node("Mul", ["a32", "b32"], ["c"], name="product"),
    helper.make_node("Gradient", ["a", "b"], ["da", "db"], name="gradient",
                     domain="ai.onnx.preview.training", xs=["a", "b"], y="c"),
]
graph = helper.make_graph(
    nodes, "cast_gradient",
    [helper.make_tensor_value_info(n, F, [5]) for n in ("a", "b")],
    [helper.make_tensor_value_info(n, F, [5]) for n in ("c", "da", "db")])
model = helper.make_model(graph, opset_imports=[
    helper.make_opsetid("", 17),
    helper.make_opsetid("ai.onnx.preview.training", 1)])
onnx.save(model, os.path.join(out, "model.onnx"))

rng = np.random.default_rng(3)
a = rng.normal(size=5).astype(np.float32) * 3
b = rng.normal(size=5).astype(np.float32) * 3
a16 = a.astype(np.float16).astype(np.float32)
b16 = b.astype(np.float16).astype(np.float32)
for i, v in enumerate([a, b]):
    onnx.save_tensor(numpy_helper.from_array(v),
                     os.path.join(out, "data", "input_%d.pb" % i))
for i, v in enumerate([a16 * b, b16, a16]):
    onnx.save_tensor(numpy_helper.from_array(v.astype(np.float32)),
                     os.path.join(out, "data", "output_%d.pb" % i))

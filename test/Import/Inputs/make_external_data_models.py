"""Writes models whose weights live in external data files, good and bad.

usage: make_external_data_models.py DIR

DIR/good/model.onnx (+ model.onnx.data): a Gemm whose weight and bias are
external, as PyTorch's dynamo exporter writes them. Then one copy per way a
model file may try to read what it must not, or names bytes that are not
there: each bad/NAME/model.onnx differs from the good one in the external
data entries of the weight only.
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model():
    w = numpy_helper.from_array(
        np.arange(12, dtype=np.float32).reshape(3, 4) / 10, "w")
    b = numpy_helper.from_array(np.array([1, 2, 3], dtype=np.float32), "b")
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1,
                            name="fc")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [w, b])
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", 17)])


def save_good(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save_model(model(), path, save_as_external_data=True,
                    all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=0)


def with_weight_entries(src, dst, **entries):
    """Copies the good model to DST, the weight's external data replaced."""
    proto = onnx.load_model(src, load_external_data=False)
    weight = next(t for t in proto.graph.initializer if t.name == "w")
    old = {e.key: e.value for e in weight.external_data}
    old.update({k: str(v) for k, v in entries.items()})
    del weight.external_data[:]
    for key, value in old.items():
        weight.external_data.add(key=key, value=value)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    onnx.save_model(proto, dst)


def main():
    out = sys.argv[1]
    good = os.path.join(out, "good", "model.onnx")
    save_good(good)
    size = os.path.getsize(good + ".data")
    bad = os.path.join(out, "bad")
    # The data file beside the bad models, so only the entry is wrong.
    for name, entries in {
        "absolute": {"location": os.path.abspath(good + ".data")},
        "parent": {"location": "../model.onnx.data"},
        "missing": {"location": "nothing.data"},
        "past-end": {"offset": size - 8},
        "offset-past-end": {"offset": size + 100},
        "wrong-length": {"length": 44},
    }.items():
        dst = os.path.join(bad, name, "model.onnx")
        with_weight_entries(good, dst, **entries)
        if name != "missing":
            shutil.copy(good + ".data", os.path.join(bad, name))
    # A data file that is a symbolic link out of the model's folder: the
    # location looks innocent, the file it leads to is elsewhere.
    link = os.path.join(bad, "symlink-out")
    with_weight_entries(good, os.path.join(link, "model.onnx"))
    os.symlink(os.path.abspath(good + ".data"),
               os.path.join(link, "model.onnx.data"))


if __name__ == "__main__":
    main()

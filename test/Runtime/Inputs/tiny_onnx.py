"""The ONNX model matching Inputs/softmax_regression.c, and checks of what
the training executable's --save makes of it.

  make OUT.onnx [--variant=good|missing-bias|transposed]
  check SAVED.onnx ORIGINAL.onnx STDOUT DATA_DIR TEST_LIMIT
      SAVED must be ORIGINAL with trained initializers: it passes the ONNX
      checker, keeps every node and input, and its weights, run in numpy on
      the first TEST_LIMIT test samples, give the test_loss and
      test_accuracy of STDOUT's final line.
"""
import gzip
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from softmax_reference import B, D, K, initial_weights  # noqa: E402


def make(out, variant):
    w, b = initial_weights()
    if variant == "transposed":
        w = np.ascontiguousarray(w.T)
    inits = [numpy_helper.from_array(w, "fc/weight")]
    if variant != "missing-bias":
        inits.append(numpy_helper.from_array(b, "fc.bias"))
    else:  # the bias is a constant of the graph, not an initializer
        inits.append(numpy_helper.from_array(b, "bias_const"))
    nodes = [
        helper.make_node("Flatten", ["image"], ["flat"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["flat", "fc/weight",
                                  "bias_const" if variant == "missing-bias" else "fc.bias"],
                         ["logits"], transB=0 if variant == "transposed" else 1,
                         name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "softmax_regression",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [B, 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [B, K])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, out)


def read_idx(path, limit):
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    array = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)
    return array[:limit]


def check(saved, original, stdout, data_dir, limit):
    model = onnx.load(saved)
    onnx.checker.check_model(model)
    before = onnx.load(original)
    assert [n.name for n in model.graph.node] == [n.name for n in before.graph.node]
    inits = {t.name: t for t in model.graph.initializer}
    assert sorted(inits) == ["fc.bias", "fc/weight"], sorted(inits)
    for t in inits.values():
        assert t.data_type == TensorProto.FLOAT and t.raw_data and not t.float_data
    w = numpy_helper.to_array(inits["fc/weight"])
    b = numpy_helper.to_array(inits["fc.bias"])
    w0, b0 = initial_weights()
    assert w.shape == (K, D) and b.shape == (K,)
    assert np.abs(w - w0).max() > 1e-3, "the weights were not updated"

    final = open(stdout).read().splitlines()[-1]
    fields = dict(re.findall(r"(\w+)=([-\d.]+)", final))
    images = read_idx(data_dir + "/t10k-images-idx3-ubyte.gz", limit)
    labels = read_idx(data_dir + "/t10k-labels-idx1-ubyte.gz", limit).astype(np.int64)
    x = ((images.reshape(len(images), D).astype(np.float32) / np.float32(255)
          - np.float32(0.2860)) / np.float32(0.3530)).astype(np.float64)
    logits = x @ w.astype(np.float64).T + b
    accuracy = (logits.argmax(axis=1) == labels).mean()
    logits -= logits.max(axis=1, keepdims=True)
    loss = (np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(labels)), labels]).mean()
    print("numpy on the saved model: test_loss=%.6f test_accuracy=%.4f" % (loss, accuracy))
    assert abs(accuracy - float(fields["test_accuracy"])) <= 1e-4, final
    assert abs(loss - float(fields["test_loss"])) <= 1e-4, final
    print("saved model ok")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        variant = sys.argv[3].split("=", 1)[1] if len(sys.argv) > 3 else "good"
        make(sys.argv[2], variant)
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))

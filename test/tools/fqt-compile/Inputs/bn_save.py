"""Builds a Fashion-MNIST model with a training-mode BatchNormalization
(Flatten -> BatchNormalization over the 784 pixels -> Gemm), or checks the
model a training run saved.

    bn_save.py make OUT.onnx
    bn_save.py check SAVED.onnx IDX_DIR

check: the running statistics were written back (they are training state,
not params). The running mean must no longer be its initial zeros and must
follow the pixels' means over the training images (correlation > 0.9, which
holds whatever the batches were since the normalisation is affine); the
running variance must be positive and no longer all ones.
"""
import gzip
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def make(path):
    rng = np.random.default_rng(0)
    f = TensorProto.FLOAT
    inits = [
        numpy_helper.from_array(np.ones(784, np.float32), "bn.scale"),
        numpy_helper.from_array(np.zeros(784, np.float32), "bn.bias"),
        numpy_helper.from_array(np.zeros(784, np.float32), "bn.running_mean"),
        numpy_helper.from_array(np.ones(784, np.float32), "bn.running_var"),
        numpy_helper.from_array(
            (rng.normal(size=(10, 784)) / 28).astype(np.float32), "fc.weight"),
        numpy_helper.from_array(np.zeros(10, np.float32), "fc.bias"),
    ]
    nodes = [
        helper.make_node("Flatten", ["x"], ["flat"], name="flatten"),
        helper.make_node("BatchNormalization",
                         ["flat", "bn.scale", "bn.bias", "bn.running_mean",
                          "bn.running_var"],
                         ["normed", "mean_out", "var_out"], name="bn",
                         training_mode=1, momentum=0.9),
        helper.make_node("Gemm", ["normed", "fc.weight", "fc.bias"],
                         ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "bn_mlp",
        [helper.make_tensor_value_info("x", f, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", f, ["N", 10])], inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 15)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def check(path, data_dir):
    model = onnx.load(path)
    values = {t.name: numpy_helper.to_array(t)
              for t in model.graph.initializer}
    mean, var = values["bn.running_mean"], values["bn.running_var"]
    name = os.path.join(data_dir, "train-images-idx3-ubyte")
    opener = gzip.open if os.path.exists(name + ".gz") else open
    with opener(name + ".gz" if os.path.exists(name + ".gz") else name,
                "rb") as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16)
    pixel_mean = pixels.reshape(-1, 784).astype(np.float64).mean(axis=0)
    corr = np.corrcoef(mean, pixel_mean)[0, 1]
    print("running_mean changed: %s" % bool(np.any(mean != 0)))
    print("running_mean follows the pixel means: %s (corr %.3f)" %
          (corr > 0.9, corr))
    print("running_var positive and changed: %s" %
          bool(np.all(var > 0) and np.any(var != 1)))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])

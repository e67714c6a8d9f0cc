"""Shared fixtures of the fqt Python tests (run by python.test under lit, or
directly: PYTHONPATH=build/python_packages FQT_TOOLS_DIR=build/bin
/usr/bin/python3 -m pytest test/Python).

The tests use a small MLP (8x8 images, 10 classes) written here in the ONNX
text syntax: it compiles in seconds, where the bundled Fashion-MNIST MLP
takes half a minute on two cores."""
import os
import subprocess

import numpy as np
import pytest

import fqt

SOURCE_DIR = os.environ.get(
    "FQT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SMALL_MLP = os.path.join(SOURCE_DIR, "test", "Import", "mlp.onnxtxt")
BATCH = 8
SIDE = 8
HIDDEN = 24
CLASSES = 10
PARAMS = ("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias")


def mlp_text(seed=0):
    """Flatten, Gemm 64->24, Relu, Gemm 24->10, with seeded weights."""
    rng = np.random.default_rng(seed)
    inputs = SIDE * SIDE
    values = {
        "fc1_weight": rng.normal(size=(HIDDEN, inputs)) / np.sqrt(inputs),
        "fc1_bias": np.zeros(HIDDEN),
        "fc2_weight": rng.normal(size=(CLASSES, HIDDEN)) / np.sqrt(HIDDEN),
        "fc2_bias": np.zeros(CLASSES),
    }

    def initializer(name):
        v = values[name]
        dims = ", ".join(str(d) for d in v.shape)
        numbers = ", ".join(f"{x:.6f}" for x in v.ravel())
        return f"  float[{dims}] {name} = {{{numbers}}}"

    initializers = ",\n".join(initializer(n) for n in PARAMS)
    return f"""<
  ir_version: 8,
  opset_import: ["" : 17],
  producer_name: "fqt-python-test"
>
mlp (float[N, 1, {SIDE}, {SIDE}] input) => (float[N, {CLASSES}] logits)
<
{initializers}
>
{{
  flat = Flatten <axis = 1> (input)
  h = Gemm <transB = 1> (flat, fc1_weight, fc1_bias)
  r = Relu (h)
  logits = Gemm <transB = 1> (r, fc2_weight, fc2_bias)
}}
"""


@pytest.fixture(scope="session")
def mlp_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "mlp.onnxtxt"
    path.write_text(mlp_text())
    return str(path)


def tools_dir():
    """The directory of fqt-compile, or None."""
    path = os.environ.get("FQT_TOOLS_DIR")
    if not path or not os.path.isfile(os.path.join(path, "fqt-compile")):
        return None
    return path


#: The executables test_gradients compares with: fqt-compile flags by name.
CLI_PROGRAMS = {"fp32": ["--fp32"], "psq4": ["--dgrad=psq:4"]}


@pytest.fixture(scope="session", autouse=True)
def cli_programs(tmp_path_factory, mlp_path):
    """Starts fqt-compile on CLI_PROGRAMS at once, so that they compile
    while the other tests run; yields name -> (process, executable)."""
    tools = tools_dir()
    if tools is None:
        yield None
        return
    directory = tmp_path_factory.mktemp("cli")
    programs = {}
    for name, flags in CLI_PROGRAMS.items():
        exe = str(directory / name)
        process = subprocess.Popen(
            [os.path.join(tools, "fqt-compile"), mlp_path, f"--batch={BATCH}",
             "--entry-points=train,eval,grad", "-o", exe] + flags)
        programs[name] = (process, exe)
    yield programs
    for process, _ in programs.values():
        if process.poll() is None:
            process.kill()
        process.wait()


def fashion_like_batch(n, seed):
    """N 1x8x8 images whose mean depends on the class, and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, size=n).astype(np.int64)
    prototypes = np.random.default_rng(1234).normal(size=(CLASSES, 1, SIDE, SIDE))
    images = prototypes[labels] + 0.5 * rng.normal(size=(n, 1, SIDE, SIDE))
    return images.astype(np.float32), labels


@pytest.fixture(scope="session")
def mlp_fp32(mlp_path):
    return fqt.compile(mlp_path, batch=BATCH, fp32=True, seed=7)


@pytest.fixture(scope="session")
def mlp_quantized(mlp_path):
    return fqt.compile(mlp_path, batch=BATCH, dgrad="psq:4", seed=7)


def save_image_model(directory, name, nodes, weights):
    """Saves an opset-17 model of `nodes` from x [BATCH, 1, 8, 8] to logits
    [BATCH, 10], with `weights` ({name: array}) as float32 initializers, as
    DIRECTORY/NAME.onnx; returns its path."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [BATCH, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [BATCH, 10])],
        [numpy_helper.from_array(v.astype(np.float32), k)
         for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = os.path.join(str(directory), name + ".onnx")
    onnx.save(model, path)
    return path

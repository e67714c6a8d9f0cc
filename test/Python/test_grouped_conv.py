"""Grouped and depthwise convolutions (ONNX Conv with group > 1). Their
products are those of a group-1 convolution restricted to the groups: the
quantizers see the same [N*OH*OW, C*KH*KW], [OC, C/G*KH*KW] and
[N*OH*OW, OC] matrices (one per-tensor scale over all groups, per-sample
scales over all of a sample's channels), and in integer mode each group's
block of the codes is one fqt.qmatmul inside an scf.for over the groups.
Integer mode's gradients equal simulate mode's (the same codes, an f32
product of the dequantized values) within float rounding."""
import numpy as np
import pytest
from onnx import helper

import fqt
from conftest import BATCH, fashion_like_batch, save_image_model

SEED = 7


@pytest.fixture(scope="module")
def grouped_path(tmp_path_factory):
    """Conv 1->4, Relu, depthwise Conv 4->4 (group 4, stride 2), Relu,
    Conv 4->6 (group 2, no bias), Relu, Flatten, Gemm 96->10 (8x8 input).
    Both grouped convolutions have all three products."""
    rng = np.random.default_rng(0)
    weights = {
        "conv1_w": rng.normal(size=(4, 1, 3, 3)) / 3.0,
        "conv1_b": np.zeros(4),
        "dw_w": rng.normal(size=(4, 1, 3, 3)) / 3.0,
        "dw_b": rng.normal(size=4) * 0.1,
        "gc_w": rng.normal(size=(6, 2, 3, 3)) / 4.0,
        "fc_w": rng.normal(size=(10, 6 * 16)) / 10.0,
        "fc_b": np.zeros(10),
    }
    conv = dict(pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    nodes = [
        helper.make_node("Conv", ["x", "conv1_w", "conv1_b"], ["c1"],
                         name="conv1", **conv),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "dw_w", "dw_b"], ["c2"], name="dw",
                         group=4, strides=[2, 2], **conv),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "gc_w"], ["c3"], name="gc", group=2,
                         **conv),
        helper.make_node("Relu", ["c3"], ["r3"], name="relu3"),
        helper.make_node("Flatten", ["r3"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], name="fc",
                         transB=1),
    ]
    return save_image_model(tmp_path_factory.mktemp("grouped"), "grouped", nodes,
                            weights)


def test_integer_products_loop_over_groups(grouped_path):
    text = fqt.ir(grouped_path, "quantized", batch=BATCH, dgrad="psq:8",
                  wgrad="percol:8", mode="integer")
    # The depthwise layer's dY: [N*4*4, 4] codes with N per-sample scales;
    # the per-column wgrad scales are cut per group (one column each).
    rows = BATCH * 16
    assert f"tensor<{rows}x4xi8>, tensor<{BATCH}xf32>" in text
    assert "scf.for" in text
    assert f"tensor<{rows}x1xi8>, tensor<1xf32>, tensor<1xf32>" in text
    # The G=2 layer: per-group blocks of 3 of dY's 6 columns.
    assert f"tensor<{rows}x3xi8>, tensor<3xf32>, tensor<3xf32>" in text


# The gradient quantizers, per layer, so that one pair of programs covers
# them: on the group-2 layer psq:4 (per-sample scales, 4-bit codes packed
# two per byte, sliced per group) and percol:8 (per-column scales cut per
# group); on the depthwise layer bhq:8 (the transform undone on each
# group's rows) and psq:8 on the wgrad path (K-blocked sums per sample).
# The per-tensor act and weight scales serve every group. (bhq before a
# 4-bit quantizer would make the test flaky: its f32 rounding differences
# flip stochastic 4-bit roundings downstream, each 1/15 of a range.)
LAYERS = ["gc:dgrad=psq:4", "gc:wgrad=percol:8", "dw:dgrad=bhq:8",
          "dw:wgrad=psq:8"]


def test_integer_matches_simulate(grouped_path):
    x, y = fashion_like_batch(BATCH, seed=5)
    grads = {}
    for mode in ("integer", "simulate"):
        trainer = fqt.compile(grouped_path, batch=BATCH, layers=LAYERS,
                              mode=mode, seed=SEED)
        grads[mode] = trainer.gradients(x, y)
    for name, value in grads["simulate"].items():
        # As in test_conv_row_groups: f32 rounding of i32 sums against f32
        # products may move a few stochastic roundings downstream by one
        # step. Here three layers of stochastic gradient quantizers follow
        # each other, so a few such steps add up (1.5e-3 of the largest
        # gradient of dw_w measured); a wrong group, scale block or
        # transform is of order 1.
        scale = np.abs(value).max()
        assert scale > 0, name
        np.testing.assert_allclose(grads["integer"][name], value,
                                   rtol=0, atol=1e-2 * scale, err_msg=name)

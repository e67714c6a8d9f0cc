#!/usr/bin/env python3
"""Exports the model zoo (scripts/zoo/models.py) to ONNX with a float64
PyTorch reference of the loss and of every parameter gradient.

    export.py --exporter=legacy --opset=17 --out DIR [--batch B] [MODEL...]
    export.py --exporter=dynamo --opset=18 --out DIR ...   # torch >= 2.5

For each model writes DIR/MODEL/:
  model.onnx      the model in training mode (BatchNormalization with batch
                  statistics); the dynamo exporter writes its weights to
                  model.onnx.data beside it
  x.npy, y.npy    one seeded batch: float32 inputs, int64 class labels
  reference.npz   "loss" and "grad:NAME" for each parameter, NAME its ONNX
                  initializer; float64, from autograd of model.double()
  meta.json       model, family, exporter, opset, torch version, batch,
                  export seconds, the parameter -> initializer map,
                  float32_worst: the error of PyTorch's own float32
                  gradients by check.py's measure; with --steps N,
                  torch_losses: PyTorch's float32 SGD losses over N steps
                  on the batch at steps_lr (--lr, halved until they
                  decrease); or "error": the exporter's one-line error

The loss is fqt-compile's default: softmax cross-entropy of the model's
output against the labels, mean over the batch (torch's cross_entropy).
Exporters:
  legacy  torch.onnx.export (TorchScript), training=TrainingMode.TRAINING,
          do_constant_folding=False: initializers keep their state_dict
          names (Debian's torch 1.13, opsets 13 and 17)
  dynamo  torch.onnx.export(dynamo=True, optimize=False) of a model in
          train() mode, with external data; initializers keep the
          state_dict names. (Its optimizer folds parameters into constants,
          e.g. ViT's class token.) Measured with torch 2.14: a train-mode
          BatchNorm comes out as an inference-mode BatchNormalization on the
          running statistics; for such graphs the reference runs its
          BatchNorms in eval mode too (meta.json: "reference":
          "batchnorm-eval"), so that it computes what was exported.
Initializers whose name is not a parameter's are matched to a parameter by
value (or by the value of its transpose, which some exports of a Linear
layer hold); a parameter with no initializer is an error of that model.
One line per model; exits 1 if any export failed.
"""
import argparse
import copy
import json
import math
import os
import sys
import time
import traceback

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check  # noqa: E402  (its error measure)
import models as zoo  # noqa: E402


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:400]


def export_legacy(model, x, path, opset):
    torch.onnx.export(model, (x,), path, input_names=["input"],
                      output_names=["logits"], opset_version=opset,
                      training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False)


def export_dynamo(model, x, path, opset):
    program = torch.onnx.export(model, (x,), dynamo=True,
                                opset_version=opset,
                                input_names=["input"],
                                output_names=["logits"],
                                optimize=False, verify=False)
    program.save(path, external_data=True)


EXPORTERS = {"legacy": export_legacy, "dynamo": export_dynamo}


def initializers(path):
    """{name: float array} of the model's float initializers."""
    import onnx
    import onnx.numpy_helper
    proto = onnx.load(path, load_external_data=True)
    found = {}
    for tensor in proto.graph.initializer:
        array = onnx.numpy_helper.to_array(tensor)
        if array.dtype.kind == "f":
            found[tensor.name] = array
    return found


def parameter_map(params, inits):
    """parameter name -> (initializer name, transposed). By name, else by
    value; raises KeyError for a parameter found in neither way."""
    mapping, taken = {}, set()
    for name in params:
        if name in inits:
            mapping[name] = (name, False)
            taken.add(name)
    for name, value in params.items():
        if name in mapping:
            continue
        value = value.detach().float().numpy()
        for iname, array in inits.items():
            if iname in taken:
                continue
            if array.shape == value.shape and np.array_equal(array, value):
                mapping[name] = (iname, False)
            elif (value.ndim == 2 and array.shape == value.T.shape and
                  np.array_equal(array, value.T)):
                mapping[name] = (iname, True)
            else:
                continue
            taken.add(iname)
            break
        else:
            raise KeyError(f"parameter {name} {tuple(value.shape)} has no "
                           "initializer in the ONNX model")
    return mapping


def inference_batchnorms(path):
    """Whether the exported graph normalizes with the running statistics:
    it has BatchNormalizations and none is in training mode (what the
    dynamo exporter writes for a train-mode BatchNorm)."""
    import onnx
    proto = onnx.load(path, load_external_data=False)
    opset = next((o.version for o in proto.opset_import
                  if o.domain in ("", "ai.onnx")), 0)

    def training(node):
        # Before opset 14 a training-mode BatchNormalization is one with
        # more than one output (the statistics); from 14 on, training_mode.
        if opset < 14:
            return len([o for o in node.output if o]) > 1
        return any(a.name == "training_mode" and a.i for a in node.attribute)

    modes = [training(node) for node in proto.graph.node
             if node.op_type == "BatchNormalization"]
    return bool(modes) and not any(modes)


def reference(model, x, y, batchnorm_eval=False, dtype=torch.float64):
    """Loss and parameter gradients of model.double() in training mode;
    with `batchnorm_eval`, its BatchNorms normalize with their running
    statistics, as an exported graph in inference form does. With
    dtype=torch.float32, the same in float32: how far float32 arithmetic
    itself lands from the float64 reference."""
    ref = copy.deepcopy(model).to(dtype).train()
    if batchnorm_eval:
        for module in ref.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
    ref.zero_grad()
    loss = nn.functional.cross_entropy(
        ref(torch.tensor(x, dtype=dtype)), torch.tensor(y))
    loss.backward()
    grads = {name: (p.grad if p.grad is not None else torch.zeros_like(p))
             for name, p in ref.named_parameters()}
    return loss.item(), grads


def trajectory(model, x, y, batchnorm_eval, steps, lr):
    """The losses of `steps` plain SGD steps at rate `lr` of the model in
    float32 on the batch (each loss before its step's update), as
    --batch-steps of a --fp32 executable runs them."""
    net = copy.deepcopy(model).float().train()
    if batchnorm_eval:
        for module in net.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    inputs, labels = torch.tensor(x), torch.tensor(y)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def trains(losses):
    return bool(losses) and math.isfinite(losses[-1]) and \
        losses[-1] < losses[0]


def export_one(name, exporter, opset, batch, out, seed, steps=0, lr=0.02):
    spec = zoo.MODELS[name]
    directory = os.path.join(out, name)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "model.onnx")
    for stale in ("model.onnx", "model.onnx.data", "reference.npz"):
        if os.path.exists(os.path.join(directory, stale)):
            os.remove(os.path.join(directory, stale))
    meta = {"model": name, "family": spec.family, "exporter": exporter,
            "opset": opset, "torch": torch.__version__, "batch": batch,
            "num_classes": spec.num_classes}
    try:
        model = spec.factory().train()
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((batch,) + spec.sample_shape).astype(
            np.float32)
        y = rng.integers(0, spec.num_classes, size=batch).astype(np.int64)
        np.save(os.path.join(directory, "x.npy"), x)
        np.save(os.path.join(directory, "y.npy"), y)
        # The reference first: a training-mode export runs the model, which
        # updates BatchNormalization's running statistics (not parameters).
        loss, grads = reference(model, x, y)
        start = time.perf_counter()
        EXPORTERS[exporter](copy.deepcopy(model), torch.from_numpy(x), path,
                            opset)
        meta["export_s"] = round(time.perf_counter() - start, 3)
        if inference_batchnorms(path):
            # Train what was exported: the reference normalizes with the
            # running statistics too (the model is untouched by the export,
            # which ran on a copy).
            loss, grads = reference(model, x, y, batchnorm_eval=True)
            meta["reference"] = "batchnorm-eval"
        params = dict(model.named_parameters())
        mapping = parameter_map(params, initializers(path))
        arrays = {"loss": np.array(loss)}
        for pname, (iname, transposed) in mapping.items():
            g = grads[pname].numpy()
            arrays["grad:" + iname] = g.T if transposed else g
        np.savez(os.path.join(directory, "reference.npz"), **arrays)
        # PyTorch's own float32 against the float64 reference, by
        # check.py's measure: where it misses check.py's bound too, no
        # float32 program can be expected to meet it (kinks of ReLU6 that
        # float32 rounding puts on the other side, BatchNorm over few
        # values amplifying that).
        loss32, grads32 = reference(model, x, y, meta.get("reference") ==
                                    "batchnorm-eval", torch.float32)
        ours32 = {"loss": loss32}
        for pname, (iname, transposed) in mapping.items():
            g = grads32[pname].numpy().astype(np.float64)
            ours32[iname] = g.T if transposed else g
        worst32, errors32, _ = check.compare(ours32, arrays)
        meta["float32_worst"] = worst32
        meta["float32_worst_tensor"] = max(errors32, key=errors32.get)
        if steps:
            # The rate at which PyTorch trains the model on this batch: lr,
            # halved while its float32 SGD does not lower the loss (a
            # ResNet-50 with BatchNorms on running statistics diverges at
            # 0.02). check.py trains fqt's executable at the same rate.
            for _ in range(8):
                losses = trajectory(model, x, y, meta.get("reference") ==
                                    "batchnorm-eval", steps, lr)
                if trains(losses):
                    break
                lr /= 2
            meta["steps"] = steps
            meta["steps_lr"] = lr if trains(losses) else None
            meta["torch_losses"] = [round(v, 6) for v in losses]
        meta["parameters"] = {p: i for p, (i, _) in mapping.items()}
        meta["transposed"] = sorted(p for p, (_, t) in mapping.items() if t)
        meta["loss"] = loss
    except Exception as error:  # one line per failed model, and go on
        meta["error"] = one_line(error)
        if os.environ.get("FQT_ZOO_TRACEBACK"):
            traceback.print_exc()
    with open(os.path.join(directory, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("models", nargs="*",
                        help="models of scripts/zoo/models.py (default: the "
                             "zoo's full-size ones)")
    parser.add_argument("--exporter", choices=sorted(EXPORTERS),
                        default="legacy")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int,
                        help="batch size (default: the model's, 2 or 4)")
    parser.add_argument("--steps", type=int, default=0,
                        help="also record PyTorch's float32 SGD losses over "
                             "this many steps on the batch (check.py "
                             "--steps)")
    parser.add_argument("--lr", type=float, default=0.02,
                        help="their rate, halved until the loss decreases")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the batch (models: models.py's seeds)")
    args = parser.parse_args()
    names = args.models or list(zoo.ZOO)
    unknown = [n for n in names if n not in zoo.MODELS]
    if unknown:
        parser.error("unknown model(s) " + ", ".join(unknown) +
                     "; known: " + ", ".join(zoo.MODELS))
    if args.exporter == "dynamo":
        major, minor = (int(v) for v in torch.__version__.split(".")[:2])
        if (major, minor) < (2, 5):
            sys.exit(f"export.py: the dynamo exporter needs torch >= 2.5, "
                     f"this is {torch.__version__} "
                     "(scripts/setup-torch-venv.sh makes a venv with one)")
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    failed = 0
    for name in names:
        meta = export_one(name, args.exporter, args.opset,
                          args.batch or zoo.MODELS[name].batch, args.out,
                          args.seed, args.steps, args.lr)
        if "error" in meta:
            failed += 1
            print(f"{name}: export failed: {meta['error']}", flush=True)
        else:
            print(f"{name}: exported ({args.exporter}, opset {args.opset}, "
                  f"{len(meta['parameters'])} parameters, "
                  f"{meta['export_s']:.1f} s)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

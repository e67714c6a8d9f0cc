#!/usr/bin/env python3
"""Variance of fqt's compiled gradient quantizers: PTQ, PSQ, BHQ, LBT and the
zero-snapped PSQ and per-column quantizers (psqz, percolz; per-column percol
beside them).

Two measurements (docs/quantizers.md §5, §7):

--part quantizers (default with --part all): the quantizers alone, through
  the Python bindings' fqt.quantize (the same lowering a training program
  runs), on
    - the real output gradients dY of the bundled Fashion-MNIST MLP and CNN:
      every layer with a data-gradient product (MLP fc2, fc3; CNN conv2, fc),
      and of the row transformer (rowtf: its feed-forward linear1, linear2
      and head), from PyTorch autograd at the models' initial weights, or
      after --epochs of fp32 SGD, on one batch of 128 test images, each
      flattened to N x D with one row per sample (docs/quantizers.md §2);
      blk and rht see dY as the dgrad product reads it (one row per output
      position, the features along the reduction), in blocks of 32 (rht:
      the largest power of two <= 32 dividing the features);
    - with --zoo, the output gradients of a first, a middle and the last
      Conv2d/Linear of models of scripts/zoo/models.py (a transformer
      encoder, a depthwise CNN, ...) at their seeded initial weights on a
      seeded random batch of 32;
    - the synthetic 128 x 1024 matrices of §7: balanced (row scale 1),
      lognormal2 (row scale exp(2z)), fewlarge (4 rows of scale 1, the rest
      10^U(-3,-2)).
  For each: the Monte Carlo E|Q(g) - g|^2 / |g|^2 over --draws seeds, and
  beside it the worst-case bound of §5.2 computed from the scales fqt chose
  (PTQ N D Delta^2/4; PSQ D sum_i Delta_i^2/4; percol N sum_j Delta_j^2/4;
  psqz and percolz the same over the non-zero entries only, which they
  keep exact; BHQ D/4 sum_j |T^-1 e_j|^2 Delta'_j^2; LBT
  sum_{|g|<=c} Delta^2/4 + sum_{|g|>c} (|g| - c)^2). LBT
  uses the gamma its first training step calibrates on that gradient
  (the rule of §4.3, replayed in float32 as test/Python/test_lbt.py checks
  against the compiled one); its error includes its clipping bias.

--part params: the parameter gradients of a compiled training program.
  For each model, quantizer and bit-width, compiles the model
  (--dgrad=Q --wgrad=none, 8-bit forward) and runs the executable's
  --gradient-variance=N: N stochastic gradients against the QAT gradient.
  Prints the total variance sum_p E|g_p - E g_p|^2 and the largest relative
  bias. Each configuration recompiles the model (about a minute for the MLP
  on two cores, several for the CNN). LBT runs with init's gamma state
  (uncalibrated: gamma = 1, min-max, no clipping).

    /usr/bin/python3 benchmarks/quantizer_variance.py [--part quantizers]
        [--build build] [--draws 16] [--models mlp,cnn] [--bits 4,5,6,8]
"""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = "/usr/share/datasets/fashion-mnist"
F32 = np.float32
KINDS = ("ptq", "psq", "psqz", "percol", "percolz", "bhq", "lbt", "blk",
         "rht")
# Not in the papers: zero on every group's grid (docs/quantizers.md §3.4.1),
# blocks of 32 along the reduction and the randomized Hadamard transform
# (§3.6, §3.7).
NEW_KINDS = ("psqz", "percolz", "blk", "rht")
BLOCK = 32


def batch(n, split="t10k"):
    with gzip.open(os.path.join(DATA, split + "-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(os.path.join(DATA, split + "-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    n = min(n, labels.size)
    x = images[:n * 784].reshape(n, 1, 28, 28).astype(np.float32) / 255.0
    x = (x - 0.2860) / 0.3530
    return x, labels[:n].astype(np.int64)


def train_epochs(model, epochs, batch_size=64, lr=0.01, momentum=0.9):
    """`epochs` epochs of fp32 SGD (PyTorch, seeded order) on the
    Fashion-MNIST training set: the gradients "after training"."""
    import torch
    x, y = batch(60000, "train")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    order = np.random.default_rng(0)
    for _ in range(epochs):
        perm = order.permutation(len(y))
        for start in range(0, len(y) - batch_size + 1, batch_size):
            idx = perm[start:start + batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                model(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
            loss.backward()
            optimizer.step()


# ---------------------------------------------------------------------------
# Parameter gradients of compiled programs (--gradient-variance)
# ---------------------------------------------------------------------------

def measure_params(build, model, spec, samples, work, x_path, y_path):
    exe = os.path.join(work, "train")
    subprocess.run([os.path.join(build, "bin", "fqt-compile"), model, "-o",
                    exe, "--batch", "128", "--dgrad=" + spec, "--wgrad=none",
                    "--entry-points=train,grad,qat-grad"],
                   check=True)
    out = subprocess.run([exe, "--gradient-variance=%d" % samples,
                          "--inputs=" + x_path, "--labels=" + y_path],
                         check=True, capture_output=True, text=True).stdout
    total, bias = 0.0, 0.0
    for line in out.splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        total += float(fields["variance"])
        bias = max(bias, float(fields["rel_bias"]))
    return total, bias


def params_part(args):
    work = tempfile.mkdtemp(prefix="fqt-variance-")
    x, y = batch(128)
    x_path, y_path = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
    np.save(x_path, x)
    np.save(y_path, y)
    kinds = args.kinds.split(",")
    ratios = [k for k in kinds if k != "ptq"] if "ptq" in kinds else []
    print("| model | bits | "
          + " | ".join([k.upper() + " variance" for k in kinds]
                       + [k.upper() + "/PTQ" for k in ratios])
          + " | max rel. bias |")
    print("|---" * (3 + len(kinds) + len(ratios)) + "|")
    for name in args.models.split(","):
        model = os.path.join(ROOT, "examples", "fashion-mnist", name + ".onnx")
        for bits in args.bits.split(","):
            v, b = {}, 0.0
            for kind in kinds:
                v[kind], bias = measure_params(
                    args.build, model, "%s:%s" % (kind, bits), args.samples,
                    work, x_path, y_path)
                b = max(b, bias)
            print("| %s | %s | " % (name, bits)
                  + " | ".join(["%.3g" % v[k] for k in kinds]
                               + ["%.3f" % (v[k] / v["ptq"]) for k in ratios])
                  + " | %.3g |" % b)
            sys.stdout.flush()


# ---------------------------------------------------------------------------
# The quantizers alone (fqt.quantize) on real and synthetic gradients
# ---------------------------------------------------------------------------

def real_gradients(name, n, epochs=0):
    """{layer: dY (float32, its own shape)} of the bundled model (mlp, cnn:
    the initial weights of its ONNX file) or of the row transformer of
    make_row_transformer.py (rowtf: its seeded initialization) on n test
    images, after `epochs` epochs of fp32 training."""
    import torch
    if name == "rowtf":
        sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
        from make_row_transformer import RowTransformer
        torch.manual_seed(0)
        model = RowTransformer()
    else:
        import onnx
        from onnx import numpy_helper
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from make_example_models import CNN, MLP
        model = {"mlp": MLP, "cnn": CNN}[name]()
        onnx_model = onnx.load(os.path.join(ROOT, "examples", "fashion-mnist",
                                            name + ".onnx"))
        weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
                   for i in onnx_model.graph.initializer}
        state = model.state_dict()
        assert set(weights) == set(state), (set(weights), set(state))
        model.load_state_dict(weights)
    if epochs:
        torch.manual_seed(1)
        train_epochs(model, epochs)
    x, y = batch(n)
    x = torch.from_numpy(x)
    outputs = {}

    def keep(layer, value):
        value.retain_grad()
        outputs[layer] = value
        return value

    if name == "mlp":
        h = torch.relu(model.fc1(model.flatten(x)))
        h = torch.relu(keep("fc2", model.fc2(h)))
        logits = keep("fc3", model.fc3(h))
    elif name == "cnn":
        h = model.pool(torch.relu(model.conv1(x)))
        h = model.pool(torch.relu(keep("conv2", model.conv2(h))))
        logits = keep("fc", model.fc(torch.flatten(h, 1)))
    else:
        # The dY of the feed-forward block (behind ReLU: linear2's input
        # is relu(linear1), so linear1's dY has the zeros) and of the head.
        layer = model.layer
        rows = model.embed(x.reshape(n, 28, 28)) + model.position
        attn = layer.self_attn(rows, rows, rows, need_weights=False)[0]
        h = layer.norm1(rows + attn)
        ff = keep("linear2", layer.linear2(torch.relu(
            keep("linear1", layer.linear1(h)))))
        h = layer.norm2(h + ff)
        logits = keep("head", model.head(h.mean(dim=1)))
    torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
    return {layer: v.grad.detach().numpy().astype(F32)
            for layer, v in outputs.items()}


def zoo_gradients(name, n, layers=3):
    """{layer: dY (float32, its own shape)} of a model of scripts/zoo/models.py at
    its seeded initial weights on a seeded random batch of n samples and
    labels: the output gradients of the first, a middle and the last of
    its Conv2d/Linear modules whose output keeps one row per sample."""
    import torch
    sys.path.insert(0, os.path.join(ROOT, "scripts", "zoo"))
    import models as zoo
    spec = zoo.MODELS[name]
    model = spec.factory().train()
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal(
        (n,) + tuple(spec.sample_shape)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, spec.num_classes, n))
    outputs = []

    def keep(module, args, out):
        if isinstance(out, torch.Tensor) and out.dim() >= 2 and \
                out.shape[0] == n:
            out.retain_grad()
            outputs.append((type(module).__name__, out))

    hooks = [m.register_forward_hook(keep) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    torch.nn.functional.cross_entropy(model(x), y).backward()
    for h in hooks:
        h.remove()
    found = [(kind, v) for kind, v in outputs if v.grad is not None]
    picks = sorted({0, len(found) // 2, len(found) - 1})[:layers]
    return {"%s %d/%d" % (found[i][0], i + 1, len(found)):
            found[i][1].grad.detach().numpy().astype(F32)
            for i in picks}


def synthetic(kind, rng, n=128, d=1024):
    """The gradient models of docs/quantizers.md §7."""
    if kind == "balanced":
        scale = np.ones(n)
    elif kind == "lognormal2":
        scale = np.exp(2 * rng.normal(size=n))
    else:
        scale = 10.0 ** rng.uniform(-3, -2, size=n)
        scale[:4] = 1.0
    return (rng.normal(size=(n, d)) * scale[:, None]).astype(F32)


def lbt_gamma(g, bits, alpha=1e-3, step=1e-3, gamma_min=1e-3):
    """The gamma fqt's first training step calibrates on g (§4.3)."""
    a = np.abs(g.astype(F32))
    amax = a.max()
    tau = F32(alpha / (2**bits - 1))
    s = F32(step)
    gamma, m = F32(1.0), F32(0.0)
    while True:
        r = F32(np.count_nonzero(a > F32(gamma * amax))) / F32(a.size)
        m = F32(m * F32(F32(1.0) - s)) + F32(s * r)
        t = F32(np.sign(m - tau))
        gamma = F32(gamma + F32(s * t))
        if t > 0:
            break
    return float(min(max(gamma, F32(gamma_min)), F32(1.0)))


def product_view(v):
    """dY as the dgrad product dX = dY W^T reads it: one row per output
    position (a convolution's N*OH*OW, a sequence's N*T), the features (the
    reduction) along the last dimension."""
    if v.ndim == 4:
        v = v.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(v.reshape(-1, v.shape[-1]))


def block_size(d):
    """The pass's rule for rht (and the block of blk): 32, or the largest
    power of two that divides the reduction."""
    size = BLOCK
    while size > 1 and d % size:
        size //= 2
    return size


def measure_quantizer(fqt, g, kind, bits, draws):
    """(Monte Carlo E|Q(g) - g|^2, bound), both over |g|^2. The block
    quantizers see g in its product layout (g["product"])."""
    g, product = g["rows"], g["product"]
    spec = "%s:%d" % (kind, bits)
    if kind in ("blk", "rht"):
        g = product
        size = block_size(g.shape[1]) if kind == "rht" else BLOCK
        spec = "%s:%d/%d" % (kind, bits, size)
    gamma = lbt_gamma(g, bits) if kind == "lbt" else None
    g64 = g.astype(np.float64)
    n, d = g.shape
    error = 0.0
    for seed in range(draws):
        result = fqt.quantize(g, spec, seed=seed, step=0, gamma=gamma)
        if kind == "lbt" or kind == "blk":
            codes, scale = result
            q = fqt.dequantize(codes, scale, None, spec)
        elif kind == "rht":
            codes, scale, transform = result
            q = fqt.dequantize(codes, scale, None, spec, transform)
        elif kind == "bhq":
            codes, scale, offset, transform = result
            q = fqt.dequantize(codes, scale, offset, spec, transform)
        else:
            codes, scale, offset = result
            q = fqt.dequantize(codes, scale, offset, spec)
        error += np.sum((q.astype(np.float64) - g64) ** 2)
    scale = np.asarray(scale, np.float64)
    if kind == "ptq":
        bound = n * d * float(scale) ** 2 / 4
    elif kind == "psq":
        bound = d * np.sum(scale ** 2) / 4
    elif kind == "psqz":
        bound = np.sum(np.count_nonzero(g, axis=1) * scale ** 2) / 4
    elif kind == "percol":
        bound = n * np.sum(scale ** 2) / 4
    elif kind == "percolz":
        bound = np.sum(np.count_nonzero(g, axis=0) * scale ** 2) / 4
    elif kind == "bhq":
        inverse = np.asarray(transform, np.float64)
        bound = d / 4 * np.sum(np.sum(inverse ** 2, axis=0) * scale ** 2)
    elif kind in ("blk", "rht"):
        size = int(spec.split("/")[1])
        pad = (-d) % size
        per_block = np.pad(g64 if kind == "blk" else np.ones_like(g64),
                           ((0, 0), (0, pad))).reshape(n, -1, size)
        # blk: the non-zero entries of each block (zeros stay exact); rht:
        # all of them (the transform mixes zeros away).
        count = np.count_nonzero(per_block, axis=2)
        bound = np.sum(count * scale ** 2) / 4
    else:
        delta = float(scale)
        c = delta * (2**(bits - 1) - 1)
        a = np.abs(g64)
        bound = (np.count_nonzero(a <= c) * delta ** 2 / 4
                 + np.sum(np.maximum(a - c, 0.0) ** 2))
    norm2 = np.sum(g64 ** 2)
    return error / draws / norm2, bound / norm2, gamma


def quantizers_part(args):
    sys.path.insert(0, os.path.join(args.build, "python_packages"))
    import fqt
    cases = []
    def both(v):
        return dict(rows=np.ascontiguousarray(v.reshape(v.shape[0], -1)),
                    product=product_view(v))
    for name in args.models.split(","):
        for epochs in [int(e) for e in args.epochs.split(",")]:
            when = "init" if epochs == 0 else "%d ep" % epochs
            for layer, g in real_gradients(name, 128, epochs).items():
                cases.append(("%s %s (%s)" % (name, layer, when), both(g)))
    for name in filter(None, args.zoo.split(",")):
        for layer, g in zoo_gradients(name, 32).items():
            cases.append(("%s %s" % (name, layer), both(g)))
    rng = np.random.default_rng(12345)
    for kind in ("balanced", "lognormal2", "fewlarge"):
        cases.append((kind, both(synthetic(kind, rng))))
    names = {"ptq": "PTQ", "psq": "PSQ", "psqz": "PSQZ", "percol": "percol",
             "percolz": "percolz", "bhq": "BHQ", "lbt": "LBT (gamma)",
             "blk": "blk/32", "rht": "rht/32"}
    print("| gradient (N x D), zeros | bits | " +
          " | ".join(names[k] for k in KINDS) +
          " | best new / PTQ | best new / PSQ |")
    print("|---|---|" + "---|" * (len(KINDS) + 2))
    for label, g in cases:
        zeros = np.count_nonzero(g["rows"] == 0) / g["rows"].size
        for bits in [int(b) for b in args.bits.split(",")]:
            cell, var = {}, {}
            for kind in KINDS:
                v, bound, gamma = measure_quantizer(fqt, g, kind, bits,
                                                    args.draws)
                var[kind] = v
                cell[kind] = "%.3g (%.3g)" % (v, bound)
                if kind == "lbt":
                    cell[kind] = "%.3g (%.3g) γ=%.3f" % (v, bound, gamma)
            best = min(var[k] for k in NEW_KINDS)
            print("| %s (%dx%d), %.0f %% | %d | %s | %.3g | %.3g |"
                  % (label, g["rows"].shape[0], g["rows"].shape[1],
                     100 * zeros, bits,
                     " | ".join(cell[k] for k in KINDS),
                     best / var["ptq"], best / var["psq"]))
            sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("quantizers", "params", "all"),
                        default="all")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--samples", type=int, default=128,
                        help="--gradient-variance samples (params)")
    parser.add_argument("--draws", type=int, default=16,
                        help="quantizer draws per cell (quantizers)")
    parser.add_argument("--models", default="mlp,cnn",
                        help="mlp, cnn, rowtf (benchmarks/"
                        "make_row_transformer.py)")
    parser.add_argument("--epochs", default="0",
                        help="real gradients after these numbers of fp32 "
                        "training epochs, e.g. 0,1 (quantizers)")
    parser.add_argument("--zoo", default="",
                        help="models of scripts/zoo/models.py whose output "
                        "gradients at initialization join the table "
                        "(quantizers), e.g. encoder-post-gelu,mobilenet_v2")
    parser.add_argument("--kinds", default="ptq,psq,bhq,lbt",
                        help="quantizers of the params part")
    parser.add_argument("--bits", default="4,5,6,8")
    args = parser.parse_args()
    if args.part in ("quantizers", "all"):
        quantizers_part(args)
    if args.part in ("params", "all"):
        params_part(args)


if __name__ == "__main__":
    main()

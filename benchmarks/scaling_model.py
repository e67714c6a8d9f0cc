#!/usr/bin/env python3
"""The alpha-beta model of data-parallel training's gradient all-reduce
(docs/distributed.md), fed with figures measured on one machine, predicting
the step time and scaling efficiency at N nodes on a network.

  benchmarks/scaling_model.py [--nodes 8,64,512] [--links 25,100]
      [--latency-us 25=15,100=5] [--local-ns fp32=1.1,int8=1.8,int4=2.5]
      [--model NAME:PARAMS:STATE:STEP_MS ...]

One rank per node, the per-rank batch fixed (weak scaling), no overlap of the
all-reduce with the backward pass (fqt's steps do none). Per step and rank,
with n gradient values, B the link's bandwidth in bytes/s, alpha its
per-message latency, N the nodes:

  fp32: 2(N-1) alpha + 2(N-1)/N * 4n / B                  (ring all-reduce)
  intb: 2(N-1) alpha + 2(N-1)/N * 4 ceil(n/256) / B       (scales: ring MAX)
        + (N-1) alpha + (N-1)/N * n b/8 / B               (codes to the owners)
        + (N-1) alpha + (N-1)/N * (n b/8 + 4 ceil(n/256)) / B  (owners' codes)
        + local: c_b n (1 + 1/N)                          (rounding, decoding)

plus, in every mode, the fp32 ring all-reduce of the state the step updates
(running statistics) and the loss. c_b is the local cost per value that
`mpirun -np 2 build/bin/fqt-bench-allreduce` measures (local_ns_per_value).
Efficiency = step / (step + all-reduce).
"""

import argparse
import math

# Measured on the project's 2-core Intel Xeon (AVX-512 VNNI), see
# benchmarks/RESULTS.md ("Data-parallel training"): params, state values the
# step updates, train-step ms of one rank (8-bit integer FQT, batch per rank;
# the CNN on 1 thread, the ResNets on 2).
MODELS = [
    ("bundled CNN, batch 64", 20490, 0, 23.9),
    ("ResNet-18 (10 classes), batch 32", 11181642, 9600, 121.0),
    ("ResNet-50 (10 classes), batch 32", 23528522, 53120, 318.0),
]


def parse_pairs(text, cast=float):
    return {k: cast(v) for k, v in (item.split("=") for item in text.split(","))}


def allreduce_seconds(mode, n, state, nodes, bandwidth, latency, local_ns):
    N = nodes
    if N == 1:
        return 0.0
    ring = lambda nbytes: 2 * (N - 1) * latency + 2 * (N - 1) / N * nbytes / bandwidth
    t = ring(4 * (state + 1))
    if mode == "fp32":
        return t + ring(4 * n)
    bits = 8 if mode == "int8" else 4
    blocks = math.ceil(n / 256)
    codes = n * bits / 8
    t += ring(4 * blocks)
    t += (N - 1) * latency + (N - 1) / N * codes / bandwidth
    t += (N - 1) * latency + (N - 1) / N * (codes + 4 * blocks) / bandwidth
    t += local_ns[mode] * 1e-9 * n * (1 + 1 / N)
    return t


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", default="8,64,512")
    parser.add_argument("--links", default="25,100", help="Gb/s")
    parser.add_argument("--latency-us", default="25=15,100=5",
                        help="per-message latency of each link, microseconds")
    parser.add_argument("--local-ns", default="fp32=1.1,int8=1.8,int4=2.5",
                        help="local work per value and mode (fqt-bench-allreduce)")
    parser.add_argument("--model", action="append", default=[],
                        help="NAME:PARAMS:STATE:STEP_MS (replaces the defaults)")
    args = parser.parse_args()

    models = MODELS
    if args.model:
        models = []
        for spec in args.model:
            name, params, state, step = spec.rsplit(":", 3)
            models.append((name, int(params), int(state), float(step)))
    nodes = [int(n) for n in args.nodes.split(",")]
    links = [int(l) for l in args.links.split(",")]
    latency = parse_pairs(args.latency_us)
    local_ns = parse_pairs(args.local_ns)
    # fp32's local work (copies, the sums) is memory traffic; the network
    # terms dominate it, but it is counted for every mode alike.

    print("Predicted step time in ms (scaling efficiency), one rank per node.")
    print()
    header = "| model | link | mode | " + " | ".join("%d nodes" % n for n in nodes) + " |"
    print(header)
    print("|" + "---|" * (3 + len(nodes)))
    for name, params, state, step_ms in models:
        for link in links:
            bandwidth = link * 1e9 / 8
            alpha = latency[str(link)] * 1e-6
            for mode in ("fp32", "int8", "int4"):
                cells = []
                for n in nodes:
                    comm = allreduce_seconds(mode, params, state, n, bandwidth,
                                             alpha, local_ns)
                    if mode == "fp32":
                        comm += local_ns["fp32"] * 1e-9 * params
                    total = step_ms + 1000 * comm
                    cells.append("%.1f (%.0f %%)" % (total, 100 * step_ms / total))
                print("| %s | %d Gb/s | %s | %s |" % (name, link, mode, " | ".join(cells)))


if __name__ == "__main__":
    main()

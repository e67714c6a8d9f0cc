"""One rank of a data-parallel job of fqt trainers (run under mpirun).

  mpi_rank.py MODEL.onnx OUT ALLREDUCE

Every rank compiles MODEL (fp32, batch 32, distributed="mpi") and takes 20
steps on its half of each global batch of 64 seeded random samples, then
writes its parameters to OUT.rankR.npz and prints one line. Rank 0 of an
fp32 job also trains one process with batch 64 on the whole batches and
prints how far the two are apart (they compute the same mean gradient).
"""

import sys

import numpy as np

import fqt


def main():
    model, out, allreduce = sys.argv[1], sys.argv[2], sys.argv[3]
    options = dict(fp32=True, optimizer="momentum", lr=0.05,
                   entry_points=("train", "eval"), seed=0)
    trainer = fqt.compile(model, batch=32, distributed="mpi",
                          allreduce=allreduce, threads=1, **options)
    rank, ranks = trainer.rank, trainer.ranks
    rng = np.random.default_rng(7)
    shape = (20, 32 * ranks) + tuple(trainer.input_shape[1:])
    x = rng.standard_normal(shape, dtype=np.float32)
    y = rng.integers(0, 10, (20, 32 * ranks))
    mine = slice(32 * rank, 32 * (rank + 1))
    for s in range(20):
        loss = trainer.step(x[s, mine], y[s, mine])
    params = trainer.parameters()
    np.savez(f"{out}.rank{rank}.npz", **params)
    print(f"rank {rank} of {ranks}: allreduce={allreduce} loss={loss:.6f} "
          f"comm_bytes_per_step={trainer.comm_bytes // 20}")
    if rank == 0 and allreduce == "fp32":
        single = fqt.compile(model, batch=32 * ranks, **options)
        for s in range(20):
            single.step(x[s], y[s])
        worst = max(
            float(np.abs(value - params[name]).max()) /
            max(float(np.abs(value).max()), 1e-30)
            for name, value in single.parameters().items())
        verdict = "same" if worst <= 1e-5 else "DIFFERENT"
        print(f"one process, batch {32 * ranks}: {verdict} weights within "
              f"1e-5 (worst {worst:.1e})")


if __name__ == "__main__":
    main()

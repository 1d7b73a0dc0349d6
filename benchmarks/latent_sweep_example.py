"""``bm.latent_sweep`` on latentmi's example: does the estimate stabilise with the latent size
and the sample size? Prints the table (bits) and the stabilisation check, and saves the plot.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/latent_sweep_example.py \
        [--latent-dims 1 2 8 16] [--n-samples 2500 10000] [--n-repeats 2] [--png sweep.png]
"""

from __future__ import annotations

import argparse
import os
import time

from latent_vs_latentmi import TRUTH_NATS, make_data


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latent-dims", type=int, nargs="+", default=[1, 2, 8, 16])
    p.add_argument("--n-samples", type=int, nargs="+", default=[2500, 10000])
    p.add_argument("--n-repeats", type=int, default=2)
    p.add_argument("--data-seed", type=int, default=2121)
    p.add_argument("--png", default=None)
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import torch

    import bayesmi as bm

    torch.set_num_threads(1)
    x, y = make_data(max(args.n_samples), args.data_seed)
    t = time.perf_counter()
    s = bm.latent_sweep(
        x,
        y,
        latent_dims=args.latent_dims,
        n_samples=args.n_samples,
        seed=0,
        n_repeats=args.n_repeats,
        n_draws=20 * args.n_repeats,
    )
    seconds = time.perf_counter() - t
    print(s.table(units="bits").round(4).to_string(index=False))
    print(f"truth {TRUTH_NATS / 0.6931471805599453:.4f} bits; stabilised: {s.stabilised()}")
    print(f"{seconds:.0f} s; load average {os.getloadavg()}")
    if args.png:
        ax = s.plot(units="bits", truth_nats=TRUTH_NATS)
        ax.figure.savefig(args.png, dpi=120, bbox_inches="tight")


if __name__ == "__main__":
    main()

"""How often latent MI's 90% interval holds the truth at the test suite's small size.

The data and settings of ``tests/test_latent.py`` (latentmi's example at 600 samples and 20-D,
``FAST``: latent 2, 2 repeats), one fit per data set (seeds 100, 101, ...).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/latent_coverage.py [--n-sets 30]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-sets", type=int, default=30)
    args = p.parse_args(argv)
    import torch
    from test_latent import FAST, TRUTH_NATS, embedded

    from bayesmi import LatentMI

    torch.set_num_threads(1)
    hdi_hits = et_hits = 0
    means, sds = [], []
    t = time.perf_counter()
    for s in range(100, 100 + args.n_sets):
        x, y = embedded(600, s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = LatentMI(**FAST, seed=s).estimate(x, y)
        lo, hi = r.hdi(0.9)
        hdi_hits += lo <= TRUTH_NATS <= hi
        q = r.quantile([0.05, 0.95])
        et_hits += q[0] <= TRUTH_NATS <= q[1]
        means.append(r.mean)
        sds.append(r.sd)
    n = args.n_sets
    print(
        f"{n} data sets: 90% HDI coverage {hdi_hits / n:.2f}, equal-tailed {et_hits / n:.2f}; "
        f"mean of the estimates {np.mean(means):.4f} nats (truth {TRUTH_NATS:.4f}), their sd "
        f"{np.std(means, ddof=1):.4f}, mean draw sd {np.mean(sds):.4f}; "
        f"{time.perf_counter() - t:.0f} s"
    )


if __name__ == "__main__":
    main()

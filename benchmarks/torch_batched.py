"""``bayesmi.torch``: the batched estimators against a Python loop over the batch, and their
accuracy against the closed-form truth as n grows.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/torch_batched.py [--device cpu]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from bayesmi import truth
from bayesmi.torch import kde_mi, knn_mi, soft_bin_mi

FNS = {"knn_mi": knn_mi, "kde_mi": kde_mi, "soft_bin_mi": soft_bin_mi}


def batch(rho, n, b, seed=0):
    xs, ys = zip(
        *[truth.correlated_gaussian(rho, n, seed=seed + i)[:2] for i in range(b)], strict=True
    )
    return torch.tensor(np.stack(xs)), torch.tensor(np.stack(ys))


def best(fn, repeat=3):
    t_best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--n", type=int, default=256)
    args = p.parse_args(argv)
    x, y = (t.to(args.device) for t in batch(0.6, args.n, args.batch))
    print(f"batch {args.batch} x n {args.n}, 1-D pairs, device {args.device}; best of 3")
    print(f"{'estimator':<12} {'batched s':>10} {'loop s':>10} {'speed-up':>8}")
    for name, fn in FNS.items():
        t_b = best(lambda fn=fn: fn(x, y))
        t_l = best(lambda fn=fn: [fn(x[i], y[i]) for i in range(args.batch)])
        print(f"{name:<12} {t_b:10.4f} {t_l:10.4f} {t_l / t_b:7.1f}x")
    print("\naccuracy: mean ± sd over 16 data sets, rho 0.6 (truth 0.2231 nats)")
    print(f"{'n':>6} " + " ".join(f"{name:>17}" for name in FNS))
    for n in (250, 1000, 4000):
        x, y = (t.to(args.device) for t in batch(0.6, n, 16, seed=100))
        cells = []
        for fn in FNS.values():
            v = fn(x, y).cpu().numpy()
            cells.append(f"{v.mean():8.4f} ± {v.std(ddof=1):6.4f}")
        print(f"{n:>6} " + " ".join(f"{c:>17}" for c in cells))


if __name__ == "__main__":
    main()

"""bayesmi's KSG against scikit-learn's ``mutual_info_regression`` (k = 3), side by side.

Same 1-D pairs (correlated Gaussian, rho 0.6, truth 0.2231 nats) at n = 10^4, 10^5, 10^6 in one
run: the time of one full-data KSG estimate each (bayesmi's ``KSGMI`` core with the same
scaling and tie-breaking noise as scikit-learn), and both values. bayesmi counts 1-D neighbours
by binary search in sorted values instead of a tree, and runs its tree searches on ``--workers``
threads. Then the estimator's bias against the truth as dimension and MI grow (what the
``HighMIWarning`` is calibrated on), which scikit-learn cannot run (one-dimensional y only).

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ksg_vs_sklearn.py [--workers 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.feature_selection import mutual_info_regression

from bayesmi import knn, truth


def ours(x, y, workers):
    rng = np.random.default_rng(0)
    xs, ys = knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10)
    return float(knn.ksg_mi_pointwise(xs, ys, 3, 1, workers).mean())


def timed(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = p.parse_args(argv)
    print("1-D pairs, rho 0.6, truth 0.2231 nats; best of 3 (one run at 10^6)")
    print(
        f"{'n':>9} {'bayesmi s':>10} {'sklearn s':>10} {'speed-up':>8} "
        f"{'bayesmi':>8} {'sklearn':>8}"
    )
    for n in args.sizes:
        x, y, _ = truth.correlated_gaussian(0.6, n, seed=1)
        repeat = 1 if n >= 1_000_000 else 3
        t_ours, v_ours = timed(lambda x=x, y=y: ours(x, y, args.workers), repeat)
        t_sk, v_sk = timed(
            lambda x=x, y=y: mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0],
            repeat,
        )
        print(f"{n:>9} {t_ours:10.3f} {t_sk:10.3f} {t_sk / t_ours:7.1f}x {v_ours:8.4f} {v_sk:8.4f}")
    print("\nbias of KSG (k = 3) and the drop from k to 2k, n = 2000 (Gaussian blocks)")
    print(f"{'dim':>3} {'rho':>5} {'truth':>7} {'k=3':>7} {'k=6':>7} {'bias':>7} {'drop':>7}")
    for dim in (1, 3, 5):
        for rho in (0.6, 0.9):
            x, y, mi_true = truth.correlated_gaussian(rho, 2000, dim=dim, seed=1)
            rng = np.random.default_rng(0)
            xs, ys = knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10)
            a = knn.ksg_mi_pointwise(xs, ys, 3).mean()
            b = knn.ksg_mi_pointwise(xs, ys, 6).mean()
            print(
                f"{dim:>3} {rho:>5} {mi_true:7.3f} {a:7.3f} {b:7.3f} {a - mi_true:+7.3f} "
                f"{a - b:+7.3f}"
            )


if __name__ == "__main__":
    main()

"""bayesmi's KSG against scikit-learn's ``mutual_info_regression`` (k = 3), side by side.

Same 1-D pairs (correlated Gaussian, rho 0.6, truth 0.2231 nats) at n = 10^4, 10^5, 10^6 in one
run: the time of one full-data KSG estimate each (bayesmi's ``KSGMI`` core with the same
scaling and tie-breaking noise as scikit-learn), and both values. bayesmi counts 1-D neighbours
by binary search in sorted values instead of a tree, and runs its tree searches on ``--workers``
threads. Then the estimator's bias against the truth as dimension and MI grow (what the
``HighMIWarning`` is calibrated on), which scikit-learn cannot run (one-dimensional y only).

``--full`` adds the estimate a user gets, with its draws and permutation null
(``bm.estimate(x, y, method="ksg", seed=0, n_jobs=1)``), against the same point value, and
``--clock cpu`` times in CPU seconds of the process (the fair figure on a shared machine; with
``--workers 1`` everything runs on one thread).

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ksg_vs_sklearn.py [--workers 2] \
        [--full] [--clock cpu] [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.feature_selection import mutual_info_regression

import bayesmi as bm
from bayesmi import knn, truth

clock = time.perf_counter


def ours(x, y, workers):
    rng = np.random.default_rng(0)
    xs, ys = knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10)
    return float(knn.ksg_mi_pointwise(xs, ys, 3, 1, workers).mean())


def full(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bm.estimate(x, y, method="ksg", seed=0, progress=False, n_jobs=1).mean


def timed(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = clock()
        out = fn()
        best = min(best, clock() - t)
    return best, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--full", action="store_true", help="also the estimate with its draws")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = p.parse_args(argv)
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"1-D pairs, rho 0.6, truth 0.2231 nats; best of 3 (one run at 10^6); {args.clock} s")
    print(
        f"{'n':>9} {'bayesmi s':>10} {'sklearn s':>10} {'speed-up':>8} "
        f"{'bayesmi':>8} {'sklearn':>8}"
        + (f" {'full s':>8} {'full x':>7} {'mean':>7}" if args.full else "")
    )
    for n in args.sizes:
        x, y, _ = truth.correlated_gaussian(0.6, n, seed=1)
        repeat = 1 if n >= 1_000_000 else 3
        t_ours, v_ours = timed(lambda x=x, y=y: ours(x, y, args.workers), repeat)
        t_sk, v_sk = timed(
            lambda x=x, y=y: mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0],
            repeat,
        )
        line = f"{n:>9} {t_ours:10.3f} {t_sk:10.3f} {t_sk / t_ours:7.1f}x {v_ours:8.4f} {v_sk:8.4f}"
        if args.full:
            t_full, v_full = timed(lambda x=x, y=y: full(x, y), repeat)
            line += f" {t_full:8.3f} {t_sk / t_full:6.2f}x {v_full:7.4f}"
        print(line, flush=True)
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

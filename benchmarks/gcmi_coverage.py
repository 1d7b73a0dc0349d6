"""gcmi on many Gaussian data sets: how often the 90% HDI holds the truth, the spread of the
normal-score estimate against the Pearson one, and the null distribution of the Gaussian-copula
check (Mardia's kurtosis z of the scores).

    PYTHONPATH=. python benchmarks/gcmi_coverage.py                 # all three, 1000 data sets
    PYTHONPATH=. python benchmarks/gcmi_coverage.py --part coverage --reps 200

Data: ``truth.correlated_gaussian`` (1-D pairs at rho 0.6 and 0.9; 3-D blocks at rho 0.5),
seeded by the data set's index (plus 20000; 3-D: 30000), at n = 300, 1000 and 3000 (3-D: 300
and 1000).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import warnings

import numpy as np

import bayesmi as bm
from bayesmi import truth
from bayesmi.copula import normal_scores


def coverage(reps: int) -> None:
    rows = [(0.6, 1, n) for n in (300, 1000, 3000)] + [(0.9, 1, n) for n in (300, 1000, 3000)]
    rows += [(0.5, 3, n) for n in (300, 1000)]
    for rho, dim, n in rows:
        held, means = 0, []
        base = 20_000 if dim == 1 else 30_000
        for rep in range(reps):
            x, y, mi_true = truth.correlated_gaussian(rho, n, dim=dim, seed=base + rep)
            r = bm.GaussianCopulaMI(seed=rep, progress=False).estimate(x, y)
            lo, hi = r.hdi(0.9)
            held += lo <= mi_true <= hi
            means.append(r.mean)
        c = held / reps
        print(
            f"rho {rho} dim {dim} n {n:>5}: 90% HDI coverage {c:.3f} (se "
            f"{np.sqrt(c * (1 - c) / reps):.3f}), bias of the posterior mean "
            f"{np.mean(means) - mi_true:+.4f} nats"
        )


def spread(reps: int) -> None:
    for rho in (0.6, 0.9):
        for n in (300, 3000):
            pearson, scores = [], []
            for rep in range(reps):
                x, y, mi_true = truth.correlated_gaussian(rho, n, seed=10_000 + rep)
                a = np.hstack([x, y])
                r1 = np.corrcoef(a.T)[0, 1]
                r2 = np.corrcoef(normal_scores(a, warn_ties=False).T)[0, 1]
                pearson.append(-0.5 * np.log1p(-(r1**2)))
                scores.append(-0.5 * np.log1p(-(r2**2)))
            p, s = np.array(pearson), np.array(scores)
            print(
                f"rho {rho} n {n:>5}: truth {mi_true:.4f} | Pearson mean {p.mean():.4f} sd "
                f"{p.std():.4f} | normal scores mean {s.mean():.4f} sd {s.std():.4f} | sd ratio "
                f"{s.std() / p.std():.3f}"
            )


def check_null(reps: int) -> None:
    for n in (100, 300, 1000):
        for kind in ("pair", "cmi", "3d"):
            zs = []
            for rep in range(reps):
                z = None
                if kind == "pair":
                    x, y, _ = truth.correlated_gaussian(0.6, n, seed=rep)
                elif kind == "cmi":
                    x, y, z, _ = truth.gaussian_cmi(0.6, 1.0, n, seed=rep)
                else:
                    x, y, _ = truth.correlated_gaussian(0.5, n, dim=3, seed=rep)
                r = bm.GaussianCopulaMI(n_draws=10, seed=0, progress=False).estimate(x, y, z)
                zs.append(r.extras["copula_kurtosis_z"][0])
            zs = np.array(zs)
            print(
                f"Mardia z under a Gaussian copula, n {n:>4}, {kind:>4}: mean {zs.mean():+.2f} "
                f"sd {zs.std():.2f} max |z| {np.abs(zs).max():.2f}"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("coverage", "spread", "check", "all"), default="all")
    p.add_argument("--reps", type=int, default=1000)
    args = p.parse_args()
    warnings.simplefilter("ignore", bm.BayesMIWarning)
    if args.part in ("coverage", "all"):
        coverage(args.reps)
    if args.part in ("spread", "all"):
        spread(args.reps)
    if args.part in ("check", "all"):
        check_null(min(args.reps, 300))


if __name__ == "__main__":
    main()

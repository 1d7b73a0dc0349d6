"""bayesmi's EM (``bayesmi.estimators._em.fit_mixture``) against scikit-learn's ``GaussianMixture``.

Same data, same component count, same tolerance (change in mean log-likelihood per sample),
one k-means start each; prints the median time per fit and the mean log-likelihood reached.
This is the measurement behind using our own EM for GMM-MI: it takes bootstrap weights without
copying points, warm-starts cheaply, and is accelerated by SQUAREM.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/em_vs_sklearn.py [--n 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture

from bayesmi.estimators._em import fit_mixture


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 2.0]])
    u = centres[lab] + rng.standard_normal((n, 2)) @ np.array([[1.0, 0.4], [0.0, 0.8]])
    return (u - u.mean(0)) / u.std(0)


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--tol", type=float, default=1e-5)
    args = p.parse_args(argv)
    u = data(args.n)
    ut = np.ascontiguousarray(u.T)
    print(f"n = {args.n}, tol = {args.tol}, one k-means start, median of {args.repeat}")
    print(
        f"{'K':>2} {'bayesmi ms':>11} {'sklearn ms':>11} {'ratio':>6} "
        f"{'bayesmi ll':>11} {'sklearn ll':>11}"
    )
    for k in (2, 3, 4, 6):

        def ours(k=k):
            return fit_mixture(ut, k, np.random.default_rng(0), n_init=1, tol=args.tol)

        def theirs(k=k):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gm = GaussianMixture(k, tol=args.tol, max_iter=1000, reg_covar=1e-6, random_state=0)
                return gm.fit(u)

        t_ours, fit = timed(ours, args.repeat)
        t_sk, gm = timed(theirs, args.repeat)
        print(
            f"{k:>2} {1e3 * t_ours:11.1f} {1e3 * t_sk:11.1f} {t_sk / t_ours:5.1f}x "
            f"{fit.log_likelihood:11.5f} {gm.score(u):11.5f}"
        )


if __name__ == "__main__":
    main()

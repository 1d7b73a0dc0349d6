"""How often ksg's independence test rejects at 0.1 on independent data, and how often its 90%
interval reaches 0 there (the zero rule's own error rates), for the estimator as a user gets
it (``bm.estimate(x, y, method="ksg", seed=rep)``, any ``--param`` overrides).

Cases (all with MI, or conditional MI, exactly 0): independent normals (1-D pair), independent
3+3-D normal blocks, independent Student-t pair (3 degrees of freedom, heavy tails), continuous x
with independent labels y (``discrete_y``), and the Markov chain X -> Z -> Y (I(X;Y|Z) = 0).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/ksg_null_calibration.py --n 1000 \
        --reps 200 [--param n_permutations=50] [--n-jobs 1]

Printed per case: P(p < 0.1) and P(p < 0.05) with their binomial se, and the share of 90%
intervals that start at 0.
"""

from __future__ import annotations

import argparse
import ast
import time
import warnings

import numpy as np
from joblib import Parallel, delayed

import bayesmi as bm
from bayesmi import truth


def _independent(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "gauss":
        return rng.standard_normal(n), rng.standard_normal(n), None, {}
    if kind == "gauss_3d":
        return rng.standard_normal((n, 3)), rng.standard_normal((n, 3)), None, {}
    if kind == "student_df3":
        return rng.standard_t(3, n), rng.standard_t(3, n), None, {}
    if kind == "labels":
        return rng.standard_normal(n), rng.integers(0, 4, n), None, {"discrete_y": True}
    if kind == "chain":
        x, y, z, _ = truth.gaussian_chain(1.0, 1.0, n, seed=seed)
        return x, y, z, {}
    raise ValueError(kind)


CASES = ("gauss", "gauss_3d", "student_df3", "labels", "chain")


def one(kind, n, rep, params):
    x, y, z, kw = _independent(kind, n, [n, rep, CASES.index(kind)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = bm.estimate(x, y, z=z, method="ksg", seed=rep, progress=False, **kw, **params)
    return r.p_value, r.hdi(0.9)[0] == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--param", action="append", default=[], help="name=value (python literal)")
    ap.add_argument("--n-jobs", type=int, default=1)
    a = ap.parse_args()
    params = {}
    for p in a.param:
        k, v = p.split("=", 1)
        params[k] = ast.literal_eval(v)
    t0 = time.time()
    print(f"n = {a.n}, {a.reps} data sets a case, params {params}")
    print(f"{'case':12} {'P(p<0.1)':>12} {'P(p<0.05)':>12} {'reaches 0':>10}")
    with Parallel(n_jobs=a.n_jobs) as parallel:
        for kind in a.cases.split(","):
            out = parallel(delayed(one)(kind, a.n, rep, params) for rep in range(a.reps))
            p = np.array([o[0] for o in out])
            zero = np.mean([o[1] for o in out])
            se = np.sqrt(0.1 * 0.9 / a.reps)
            print(
                f"{kind:12} {np.mean(p < 0.1):7.3f}±{se:.3f} {np.mean(p < 0.05):7.3f}      "
                f"{zero:10.3f}  [{time.time() - t0:.0f} s]",
                flush=True,
            )


if __name__ == "__main__":
    main()

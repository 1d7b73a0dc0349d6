"""Does the spread of KSG over disjoint subsamples of size m, rescaled by sqrt(m / n), give the
spread of the full-data estimate across data sets? And the permutation null on subsamples?

For each case, ``--reps`` data sets of size n. On each: the full-data estimate (k = 3), one
estimate with y shuffled at full size (a draw of the permutation null at n), and for each q in
``--parts`` one random partition into q parts of size m = n // q, with the estimate on each
part and on each part with y shuffled within it (for conditional MI: among neighbours in z, as
the estimator's null does). Printed per case and q:

- ``ratio``: sqrt(mean over data sets of the within-partition variance of the parts, times
  m / n) over the sd of the full-data estimates across data sets; 1 where the 1/m law holds.
- ``null``: the same for the within-part shuffled estimates against the sd of the full-size
  shuffled estimates across data sets; ``dnull``: mean at m minus mean at n of the shuffled
  estimates, in units of the null sd at n (the shift a subsample null would carry).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/ksg_variance_scaling.py --n 1000 \
        --reps 200 --parts 2 4 8 16 --out /tmp/kp/scaling_n1000.npz
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from joblib import Parallel, delayed

from bayesmi import knn
from bayesmi.estimators import ksg
from bayesmi.estimators.ksg import KSGMI
from benchmarks.validation.panel import GAUSS_SRC, Case, _gauss, get_cases

#: The speed benchmark's Gaussian blocks (benchmarks/ksg_speed.py --dims), rho 0.6 per pair.
BENCH = {
    f"bench_gauss_{d}d_r0.6": Case(
        f"bench_gauss_{d}d_r0.6", "gaussian", f"{d}+{d}-D Gaussian blocks, rho 0.6",
        -0.5 * d * np.log(1 - 0.36), GAUSS_SRC, _gauss(0.6, d), dx=d, dy=d,
    )
    for d in (3, 25)
}  # fmt: skip


def _prepared(case, n, rep, seed):
    x, y, z = case.sample(n, rep, seed=seed)
    est = KSGMI(discrete_y=case.discrete_y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, y, z = est._check(x, y, z)
    rng = np.random.default_rng([seed, rep, 99])
    parts = tuple(a if a is None or a.ndim == 1 else knn.prepare(a, rng, 1e-10) for a in (x, y, z))
    return parts, ("mi" if z is None else "cmi")


def _value(quantity, x, y, z):
    return float(ksg._terms(quantity, 3, 1, x, y, z).mean())


def _shuffled(quantity, x, y, z, rng):
    perm = rng.permutation(len(y)) if z is None else knn.local_permutation(z, rng)
    return _value(quantity, x, y[perm], z)


def one(case, n, rep, seed, qs):
    (x, y, z), quantity = _prepared(case, n, rep, seed)
    rng = np.random.default_rng([seed, rep, 7])
    terms = ksg._terms(quantity, 3, 1, x, y, z)
    out = {
        "full": float(terms.mean()),
        "terms_se": float(terms.std(ddof=1) / np.sqrt(len(terms))),
        "perm": _shuffled(quantity, x, y, z, rng),
    }
    for q in qs:
        idx = np.array_split(rng.permutation(n), q)
        m = min(len(p) for p in idx)
        vals, nulls = [], []
        for p in idx:
            p = p[:m]
            sub = (x[p], y[p], None if z is None else z[p])
            vals.append(_value(quantity, *sub))
            nulls.append(_shuffled(quantity, *sub, rng))
        out[f"q{q}"] = np.array(vals)
        out[f"n{q}"] = np.array(nulls)
    return out


def summarise(res, n, qs):
    full = np.array([r["full"] for r in res])
    perm = np.array([r["perm"] for r in res])
    sd_n, sd_null = full.std(ddof=1), perm.std(ddof=1)
    terms_se = np.sqrt(np.mean([r["terms_se"] ** 2 for r in res]))
    row = {"sd_n": sd_n, "sd_null": sd_null, "bias_null_n": perm.mean(), "terms": terms_se / sd_n}
    for q in qs:
        m = n // q
        within = np.mean([r[f"q{q}"].var(ddof=1) for r in res])
        within_null = np.mean([r[f"n{q}"].var(ddof=1) for r in res])
        null_mean_m = np.mean([r[f"n{q}"].mean() for r in res])
        row[f"ratio{q}"] = np.sqrt(within * m / n) / sd_n
        row[f"null{q}"] = np.sqrt(within_null * m / n) / sd_null
        row[f"dnull{q}"] = (null_mean_m - perm.mean()) / sd_null
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--parts", type=int, nargs="+", default=[2, 4, 8, 16])
    ap.add_argument("--cases", default="all")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    names = a.cases.split(",")
    cases = [BENCH[c] for c in names if c in BENCH]
    rest = [c for c in names if c not in BENCH]
    cases += get_cases(",".join(rest)) if rest else []
    t0 = time.time()
    rows, raw = {}, {}
    with Parallel(n_jobs=a.n_jobs) as parallel:
        for c in cases:
            res = parallel(delayed(one)(c, a.n, rep, a.seed, a.parts) for rep in range(a.reps))
            rows[c.name] = summarise(res, a.n, a.parts)
            raw[c.name] = res
            r = rows[c.name]
            print(
                f"{c.name:20} sd_n {r['sd_n']:.4f} terms {r['terms']:.2f} "
                + " ".join(f"r{q} {r[f'ratio{q}']:.2f}" for q in a.parts)
                + f" | null sd {r['sd_null']:.4f} mean {r['bias_null_n']:+.4f} "
                + " ".join(f"n{q} {r[f'null{q}']:.2f}/{r[f'dnull{q}']:+.2f}" for q in a.parts)
                + f"  [{time.time() - t0:.0f} s]",
                flush=True,
            )
    if a.out:
        np.save(a.out, {"rows": rows, "raw": raw, "args": vars(a)}, allow_pickle=True)


if __name__ == "__main__":
    main()

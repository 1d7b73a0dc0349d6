"""``marginals="raw"`` against ``marginals="copula"`` for ksg and gmm on the validation panel's
cases (the same seeded data sets as ``python -m validation``): bias, RMSE and how
often the 90% HDI holds the truth, per case and method. gcmi runs beside them for reference.

    PYTHONPATH=. python benchmarks/copula_marginals.py --reps 20 --n 1000 --n-jobs 2 \\
        --out /tmp/copula_marginals.csv
    PYTHONPATH=. python benchmarks/copula_marginals.py --reps 20 --first-rep 20 ... --out b.csv
    PYTHONPATH=. python benchmarks/copula_marginals.py --summarise a.csv b.csv   # together

Each (case, data set) is one task: every method and option on the same data, with the seed
the suite gives it (the data set's index) and its defaults otherwise (ksg without its
permutation null, which no interval uses). The 90% coverage is given with its binomial standard
error, sqrt(c (1 - c) / reps).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import time
import warnings

import numpy as np
import pandas as pd

CASES = (
    "gauss_r0.6",
    "gauss_r0.9",
    "exp_halfcube_r0.6",
    "asinh_wiggly_r0.75",
    "student_df3_r0",
    "student_df5_r0.6",
)
RUNS = (
    ("ksg", "raw", {"n_permutations": 0}),
    ("ksg", "copula", {"n_permutations": 0}),
    ("gmm", "raw", {}),
    ("gmm", "copula", {}),
    ("gcmi", "copula", {}),
)
#: ``--rescored``: gmm with the normal scores computed again inside every bootstrap resample
#: (a prototype, patched in here; gmm itself scores once on the full data).
RESCORED = (("gmm", "copula_per_resample", {}),)


def _draw_rescored(ctx, seed):
    """gmm's bootstrap draw (bayesmi.estimators.gmm._draw, continuous case) with the scores
    recomputed from the resample: the weighted normal scores of the full-data scores with the
    resample's counts as weights (the same ranks as the raw data's, so the same scores)."""
    from bayesmi.copula import normal_scores
    from bayesmi.estimators import gmm
    from bayesmi.resampling import bootstrap_counts

    rng = np.random.default_rng(seed)
    n = ctx.ut.shape[1]
    counts = bootstrap_counts(n, rng, ctx.block_length).astype(np.float64)
    ut = np.ascontiguousarray(normal_scores(ctx.ut.T, weights=counts, warn_ties=False).T)
    fit, k = gmm._refit(ut, counts, ctx.selection, ctx, rng)
    model = fit.model.affine(ctx.scale, ctx.shift)
    value, err = gmm._quantity(model, ctx, rng)
    return {"value": value, "error": err, "n_components": k, "converged": fit.converged,
            "model": model}  # fmt: skip


def one(task) -> list[dict]:
    import bayesmi as bm
    from bayesmi.estimators import gmm
    from validation.panel import get_cases

    name, n, rep, runs = task
    case = get_cases(name)[0]
    x, y, z = case.sample(n, rep, 0)
    rows = []
    for method, marginals, kw in runs:
        if method != "gcmi":
            kw = dict(kw, marginals="copula" if marginals.startswith("copula") else marginals)
        original = gmm._draw
        if marginals == "copula_per_resample":
            gmm._draw = _draw_rescored
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            try:
                r = bm.estimate(x, y, z, method=method, seed=rep, progress=False, **kw)
            finally:
                gmm._draw = original
            secs = time.perf_counter() - t0
        lo, hi = r.hdi(0.9)
        rows.append(
            {
                "case": name,
                "n": n,
                "rep": rep,
                "method": method,
                "marginals": marginals,
                "truth": case.truth_nats,
                "estimate": r.mean,
                "sd": r.sd,
                "hdi90_lo": lo,
                "hdi90_hi": hi,
                "covered90": bool(lo <= case.truth_nats <= hi),
                "seconds": secs,
                "warnings": ";".join(
                    sorted(
                        {w.category.__name__ for w in caught if issubclass(w.category, UserWarning)}
                    )
                ),
            }
        )
    return rows


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    g = df.assign(err=df.estimate - df.truth).groupby(["case", "method", "marginals"], sort=False)
    out = g.agg(
        reps=("rep", "size"),
        bias=("err", "mean"),
        rmse=("err", lambda e: float(np.sqrt(np.mean(e**2)))),
        cover90=("covered90", "mean"),
        mean_sd=("sd", "mean"),
        seconds=("seconds", "median"),
        warned=("warnings", lambda w: float(np.mean(w.str.len() > 0))),
    )
    out["cover90_se"] = np.sqrt(out.cover90 * (1 - out.cover90) / out.reps)
    return out.reset_index()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=20)
    p.add_argument(
        "--first-rep", type=int, default=0, help="data sets first-rep, first-rep + 1, ..."
    )
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument(
        "--rescored",
        action="store_true",
        help="run only gmm with the scores recomputed in every resample (a prototype)",
    )
    p.add_argument("--out", default="copula_marginals.csv")
    p.add_argument(
        "--summarise", nargs="+", metavar="CSV", help="only summarise earlier runs' files together"
    )
    args = p.parse_args()
    if args.summarise:
        df = pd.concat([pd.read_csv(f) for f in args.summarise], ignore_index=True)
        with pd.option_context("display.width", 200, "display.max_rows", 200):
            print(summarise(df).round(4).to_string(index=False))
        return
    from joblib import Parallel, delayed

    runs = RESCORED if args.rescored else RUNS
    first, last = args.first_rep, args.first_rep + args.reps
    tasks = [(c, args.n, rep, runs) for c in args.cases.split(",") for rep in range(first, last)]
    t0 = time.perf_counter()
    parts = Parallel(n_jobs=args.n_jobs)(delayed(one)(t) for t in tasks)
    df = pd.DataFrame([row for rows in parts for row in rows])
    df.to_csv(args.out, index=False)
    s = summarise(df)
    s.to_csv(args.out.replace(".csv", "_summary.csv"), index=False)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(s.round(4).to_string(index=False))
    print(f"{len(tasks)} data sets, n = {args.n}, {time.perf_counter() - t0:.0f} s wall")


if __name__ == "__main__":
    main()

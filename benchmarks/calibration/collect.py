"""Collect raw draws of a method on the validation panel, for choosing an interval offline.

Each data set's raw draws (before any interval step), the full-data estimate, the p-value
and the truth go into one .npz per (method, n, panel seed), so that interval constructions can
be compared on the same draws (``benchmarks/calibration/evaluate.py``).

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.calibration.collect --method gmm --n 1000 \
        --reps 30 --seed 0 --out /tmp/cal
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from benchmarks.validation.panel import get_cases


def one(method, params, case, n, rep, seed):
    import bayesmi as bm

    x, y, z = case.sample(n, rep, seed=seed)
    kw = dict(params)
    if case.discrete_y:
        kw["categorical"] = True
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", bm.BayesMIWarning)  # kept: which warnings fired where
        try:
            r = bm.estimate(x, y, z=z, method=method, seed=rep, progress=False, **kw)
        except Exception as err:  # a failed fit is a row with no draws
            return {"case": case.name, "rep": rep, "error": repr(err)}
    raw = getattr(r, "raw_draws_nats", None)
    raw = r.draws_nats if raw is None else raw
    full = r.extras.get("full_data_estimate_nats", [np.nan])[0]
    p = r.extras.get("p_value", [np.nan])[0]
    extrap = r.extras.get("extrapolated_estimate_nats", [np.nan])[0]
    return {
        "case": case.name,
        "rep": rep,
        "truth": case.truth_nats,
        "full": float(full),
        "p": float(p),
        "extrap": float(extrap),
        "raw": np.asarray(raw).ravel(),
        "shown": np.asarray(r.draws_nats).ravel(),
        "seconds": time.perf_counter() - t0,
        "warnings": ";".join(sorted({type(w.message).__name__ for w in caught})),
        "error": "",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0, help="panel seed (0: the tuning panel)")
    ap.add_argument("--cases", default="all")
    ap.add_argument("--param", action="append", default=[], help="name=value (python literal)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", default="/tmp/cal")
    ap.add_argument("--resume", action="store_true", help="keep the replicates already in the file")
    a = ap.parse_args()
    import ast

    params = {}
    for p in a.param:
        k, v = p.split("=", 1)
        try:
            params[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            params[k] = v
    cases = get_cases(a.cases)
    if a.method == "bins":
        cases = [c for c in cases if c.quantity == "mi"]
    Path(a.out).mkdir(parents=True, exist_ok=True)
    tag = "_".join(f"{k}-{v}" for k, v in sorted(params.items()))
    path = Path(a.out) / f"{a.method}_n{a.n}_s{a.seed}{'_' + tag if tag else ''}.npz"
    t0 = time.time()
    rows = _load(path) if a.resume and path.exists() else []
    done = {r["rep"] for r in rows}
    with Parallel(n_jobs=a.n_jobs) as parallel:
        for rep in range(a.reps):  # one replicate of every case at a time, saved as it comes
            if rep in done:
                continue
            rows += parallel(delayed(one)(a.method, params, c, a.n, rep, a.seed) for c in cases)
            _save(path, rows)
            print(f"rep {rep}: {time.time() - t0:.0f} s", flush=True)
    print(f"{path}: {len(rows)} data sets, {time.time() - t0:.0f} s")


def _load(path: Path) -> list[dict]:
    """The rows of an earlier run (failed fits were not kept, so their replicate is redone)."""
    f = np.load(path, allow_pickle=True)
    keys = ["case", "rep", "truth", "full", "p", "extrap", "raw", "shown", "seconds", "warnings"]
    rows = [{k: f[k][i] for k in keys} | {"error": ""} for i in range(len(f["case"]))]
    failed = {int(e.split(":")[1]) for e in f["errors"]}
    return [r for r in rows if int(r["rep"]) not in failed]


def _save(path: Path, rows: list[dict]) -> None:
    ok = [r for r in rows if not r["error"]]
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        case=np.array([r["case"] for r in ok]),
        rep=np.array([r["rep"] for r in ok]),
        truth=np.array([r["truth"] for r in ok]),
        full=np.array([r["full"] for r in ok]),
        p=np.array([r["p"] for r in ok]),
        extrap=np.array([r["extrap"] for r in ok]),
        raw=np.array([r["raw"] for r in ok], dtype=object),
        shown=np.array([r["shown"] for r in ok], dtype=object),
        seconds=np.array([r["seconds"] for r in ok]),
        warnings=np.array([r["warnings"] for r in ok]),
        errors=np.array([f"{r['case']}:{r['rep']}:{r['error']}" for r in rows if r["error"]]),
    )
    tmp.replace(path)


if __name__ == "__main__":
    main()

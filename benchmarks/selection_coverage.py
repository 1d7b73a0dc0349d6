"""Coverage and accuracy of the gmm method's three component-count modes (``select=``).

For each case and each ``select`` mode ("oob", "cv", "fixed") the script draws ``--reps``
seeded replicate data sets, runs ``bm.estimate(x, y, method="gmm", select=MODE, ...)`` on
each, and records, against the known truth:

- coverage of the 90% HDI (fraction of replicates with lo <= truth <= hi, ± binomial SE);
- mean bias (``r.mean - truth``), RMSE of ``r.mean``, mean HDI width;
- "boot sd / emp sd": the mean bootstrap sd (``r.sd``) over the sd of ``r.mean`` across
  replicates (1 means the draws' spread matches the replicate-to-replicate spread);
- the component counts chosen on the resamples (``r.extras["n_components"]``): their mean
  over all draws of all replicates, their sd within a replicate (averaged over replicates:
  how much the count varies across one estimate's resamples) and their sd over everything;
- the median wall seconds per estimate.

Every mode sees the same data sets (replicate i of a case uses the same data seed in every
mode) and the same estimator seed, so the comparison between modes is paired.

Cases (true MI in nats):

- ``gauss``: bivariate normal, rho = 0.6 (``bayesmi.truth.correlated_gaussian``), 0.2231;
- ``mix2``: a two-component mixture whose components overlap so much that cross-validation
  on n = 1000 picks 1 component on about 60% of data sets and 2 on the rest (weights
  [0.5, 0.5], means [0, 0] and [0.6, 0.4], covariances [[1, 0.6], [0.6, 1]] and
  [[0.7, 0], [0, 0.8]]); its MI, 0.0912, is computed by quadrature on the true mixture
  (``bayesmi.mixture.mi``, exact to ~1e-4);
- ``exp``: the ``gauss`` case with y replaced by exp(y): MI is unchanged (0.2231), but the
  joint is skewed and mixtures need several components.

Usage (one BLAS thread per process; ``--workers 2`` runs estimates in 2 processes)::

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/selection_coverage.py \\
        --reps 100 --n 1000 --n-bootstrap 50 --cases gauss,mix2,exp --modes oob,cv,fixed \\
        --workers 2 --out benchmarks/selection_coverage.md

``--cv-reps`` runs the slow "cv" mode on fewer replicates (its first ones). ``--raw FILE``
appends every replicate's record to FILE (JSON lines) as it finishes; with ``--resume`` the
records already there are kept and only the missing estimates run (an interrupted run picks
up where it stopped; the table is built from every record in the file that matches the
options). Each estimate runs with ``n_jobs=1``. "wall s" is the median wall seconds per
estimate, "cpu s" the median CPU seconds of the process running it (the steadier number when
other work shares the machine); with ``--workers 2`` on a 2-core machine both cores are busy.
"""

from __future__ import annotations

import os

# One BLAS thread per process, set before numpy is imported (workers inherit it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

import bayesmi as bm
from bayesmi import truth
from bayesmi.mixture import GaussianMixtureModel, mi

MODES = ("oob", "cv", "fixed")
HDI_PROB = 0.9
RHO = 0.6

MIX2 = GaussianMixtureModel(
    weights=np.array([0.5, 0.5]),
    means=np.array([[0.0, 0.0], [0.6, 0.4]]),
    covariances=np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.7, 0.0], [0.0, 0.8]]]),
)

#: Data seed of replicate i of a case: SEED_BASE[case] + i (cases get distinct data).
SEED_BASE = {"gauss": 100_000, "mix2": 200_000, "exp": 300_000}


def make_case(case: str, n: int, rep: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Replicate ``rep`` of ``case``: x, y and the true MI in nats."""
    seed = SEED_BASE[case] + rep
    if case == "gauss":
        x, y, value = truth.correlated_gaussian(RHO, n, seed=seed)
        return x[:, 0], y[:, 0], float(value)
    if case == "exp":
        x, y, value = truth.correlated_gaussian(RHO, n, seed=seed)
        return x[:, 0], np.exp(y[:, 0]), float(value)  # MI is invariant to monotone maps
    if case == "mix2":
        u = MIX2.sample(n, np.random.default_rng(seed))
        return u[:, 0], u[:, 1], mix2_truth()
    raise ValueError(f"unknown case {case!r}; choose from {sorted(SEED_BASE)}")


_MIX2_TRUTH: float | None = None


def mix2_truth() -> float:
    global _MIX2_TRUTH
    if _MIX2_TRUTH is None:
        _MIX2_TRUTH = float(mi(MIX2, dx=1)[0])
    return _MIX2_TRUTH


def run_one(case: str, mode: str, rep: int, n: int, n_bootstrap: int) -> dict:
    """One estimate on one replicate; returns a JSON-able record."""
    x, y, true = make_case(case, n, rep)
    rec = {"case": case, "mode": mode, "rep": rep, "truth": true}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            r = bm.estimate(
                x,
                y,
                method="gmm",
                seed=rep,
                n_jobs=1,
                progress=False,
                n_bootstrap=n_bootstrap,
                select=mode,
            )
        except Exception as err:  # record the failure, keep the run going
            rec.update(error=f"{type(err).__name__}: {err}", seconds=time.perf_counter() - t0)
            return rec
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    lo, hi = (float(v) for v in r.hdi(HDI_PROB))
    ks = np.asarray(r.extras["n_components"]).ravel()
    rec.update(
        mean=float(r.mean),
        sd=float(r.sd),
        lo=lo,
        hi=hi,
        k=ks.astype(int).tolist(),
        k_full=r.provenance.get("n_components_selected"),
        seconds=seconds,
        cpu_seconds=cpu,
        warnings=sorted({type(w.message).__name__ for w in caught}),
    )
    return rec


def summarise(recs: list[dict]) -> dict:
    ok = [r for r in recs if "error" not in r]
    out = {"reps": len(ok), "failed": len(recs) - len(ok)}
    if not ok:
        return out
    true = ok[0]["truth"]
    means = np.array([r["mean"] for r in ok])
    cover = np.array([r["lo"] <= true <= r["hi"] for r in ok], dtype=float)
    p, m = cover.mean(), len(ok)
    ks_all = np.concatenate([r["k"] for r in ok])
    emp_sd = means.std(ddof=1) if m > 1 else float("nan")
    out.update(
        truth=true,
        coverage=p,
        coverage_se=float(np.sqrt(p * (1 - p) / m)),
        bias=float(means.mean() - true),
        rmse=float(np.sqrt(np.mean((means - true) ** 2))),
        width=float(np.mean([r["hi"] - r["lo"] for r in ok])),
        sd_ratio=float(np.mean([r["sd"] for r in ok]) / emp_sd),
        k_mean=float(ks_all.mean()),
        k_sd_within=float(np.mean([np.std(r["k"]) for r in ok])),
        k_sd_all=float(ks_all.std()),
        seconds=float(np.median([r["seconds"] for r in ok])),
        cpu_seconds=float(np.median([r["cpu_seconds"] for r in ok])),
        warned=sum(bool(r["warnings"]) for r in ok),
    )
    return out


def table(records: list[dict], cases: list[str], modes: list[str], args) -> str:
    lines = [
        f"n = {args.n}, n_bootstrap = {args.n_bootstrap}, {int(HDI_PROB * 100)}% HDI; "
        "MI in nats; coverage ± binomial SE",
        "",
        "| case | truth | select | reps | coverage | bias | RMSE | width | boot sd / emp sd "
        "| k mean | k sd within | k sd all | wall s | cpu s |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for case in cases:
        for mode in modes:
            s = summarise([r for r in records if r["case"] == case and r["mode"] == mode])
            if s["failed"]:
                notes.append(f"- {case}/{mode}: {s['failed']} estimates failed")
            if not s["reps"]:
                continue
            if s["warned"]:
                notes.append(f"- {case}/{mode}: {s['warned']} estimates raised warnings")
            lines.append(
                f"| {case} | {s['truth']:.4f} | {mode} | {s['reps']} "
                f"| {s['coverage']:.2f} ± {s['coverage_se']:.2f} | {s['bias']:+.4f} "
                f"| {s['rmse']:.4f} | {s['width']:.4f} | {s['sd_ratio']:.2f} "
                f"| {s['k_mean']:.2f} | {s['k_sd_within']:.2f} | {s['k_sd_all']:.2f} "
                f"| {s['seconds']:.2f} | {s['cpu_seconds']:.2f} |"
            )
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def write_atomic(path: str, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def parse_list(text: str, allowed, what: str) -> list[str]:
    items = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in items if s not in allowed]
    if bad or not items:
        raise SystemExit(f"--{what}: unknown {bad or text!r}; choose from {list(allowed)}")
    return items


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=100, help="replicate data sets per case")
    ap.add_argument("--cv-reps", type=int, default=None, help="replicates for 'cv' (default all)")
    ap.add_argument("--n", type=int, default=1000, help="samples per data set")
    ap.add_argument("--n-bootstrap", type=int, default=50)
    ap.add_argument("--cases", default="gauss,mix2,exp", help="comma list of gauss,mix2,exp")
    ap.add_argument("--modes", default="oob,cv,fixed", help="comma list of oob,cv,fixed")
    ap.add_argument("--workers", type=int, default=1, help="processes running estimates")
    ap.add_argument("--out", default=None, help="also write the table here (atomically)")
    ap.add_argument("--raw", default=None, help="append every record here (JSON lines)")
    ap.add_argument("--resume", action="store_true", help="keep --raw's records, run the rest")
    args = ap.parse_args(argv)
    cases = parse_list(args.cases, SEED_BASE, "cases")
    modes = parse_list(args.modes, MODES, "modes")
    cv_reps = args.reps if args.cv_reps is None else min(args.cv_reps, args.reps)

    # The slow "cv" mode last, replicate by replicate across cases, so that a run stopped early
    # holds the same first replicates of every case (resume it with a smaller --cv-reps).
    tasks = [
        (case, mode, rep, args.n, args.n_bootstrap)
        for mode in modes
        if mode != "cv"
        for case in cases
        for rep in range(args.reps)
    ]
    if "cv" in modes:
        tasks += [(c, "cv", rep, args.n, args.n_bootstrap) for rep in range(cv_reps) for c in cases]
    records = []
    if args.raw and args.resume and Path(args.raw).exists():
        wanted = {t[:3] for t in tasks}
        with open(args.raw) as f:
            old = [json.loads(line) for line in f if line.strip()]
        records = [
            r
            for r in old
            if (r["case"], r["mode"], r["rep"]) in wanted
            and (r.get("n"), r.get("n_bootstrap")) == (args.n, args.n_bootstrap)
        ]
        done = {(r["case"], r["mode"], r["rep"]) for r in records}
        tasks = [t for t in tasks if t[:3] not in done]
        print(f"resuming: {len(records)} records kept, {len(tasks)} to run", file=sys.stderr)
    elif args.raw:
        Path(args.raw).write_text("")
    raw = open(args.raw, "a") if args.raw else None

    def keep(rec: dict, i: int) -> None:
        rec.update(n=args.n, n_bootstrap=args.n_bootstrap)
        records.append(rec)
        if raw:
            raw.write(json.dumps(rec) + "\n")
            raw.flush()
        print(f"\r{i}/{len(tasks)}", end="", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    try:
        if args.workers <= 1:
            for i, t in enumerate(tasks, 1):
                keep(run_one(*t), i)
        else:
            with ProcessPoolExecutor(args.workers) as pool:
                futures = [pool.submit(run_one, *t) for t in tasks]
                for i, fut in enumerate(as_completed(futures), 1):
                    keep(fut.result(), i)
    finally:
        if raw:
            raw.close()
    elapsed = time.perf_counter() - t0
    print(f"\ndone in {elapsed:.0f} s", file=sys.stderr)

    text = table(records, cases, modes, args)
    print(text, end="")
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()

"""Run the panel through the methods and score them: bias, RMSE, interval coverage, time.

Each replicate data set is generated once and given to every method in turn (side by side, in
one task), so the methods are compared on the same data. Tasks fan out over joblib workers;
the peers in environments of their own (``methods.EXTERNAL``) run afterwards, in subprocesses,
on the same data sets regenerated from their seeds.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bayesmi.resampling import run_parallel
from bayesmi.validation import check_positive_int
from validation import methods as M
from validation.panel import Case, get_cases

__all__ = ["SIZES", "Size", "replace_method", "run_suite", "summarise"]

LEVELS = (0.5, 0.9, 0.95)


@dataclass(frozen=True)
class Size:
    """How much to run: sample sizes, replicate data sets per (case, n), and how many of
    those the slow peers get (``ExternalPeer.reps == "peer"``)."""

    ns: tuple[int, ...]
    reps: int
    peer_reps: int
    cases: tuple[str, ...] | None = None  # None: the whole panel
    #: Whether the peers in environments of their own join by default (else only when named).
    external_peers: bool = True


SIZES = {
    "tiny": Size(ns=(200,), reps=2, peer_reps=1, cases=("gauss_r0.6", "discrete_uniform5")),
    # Minutes: every bayesmi method and scikit-learn (the peers in environments of their own
    # join when named: gmm-mi and latentmi alone add half an hour).
    "small": Size(ns=(300, 1000), reps=10, peer_reps=3, external_peers=False),
    # Every method and every peer whose environment exists, side by side in one run (41 minutes
    # on 2 cores, measured 2026-12-02: 24 for bayesmi and scikit-learn, 17 for the peers).
    "medium": Size(ns=(300, 1000, 3000), reps=20, peer_reps=3),
    # Every bayesmi method and scikit-learn, in under an hour on 2 cores: 30 data sets for the
    # fast methods, 3 for the slow ones (methods.SCOPES). The peers in environments of their own
    # join when named (--methods): with them, and at 50 data sets, it takes hours (docs).
    "full": Size(ns=(300, 1000, 3000), reps=30, peer_reps=3, external_peers=False),
}


def _task(
    size: str, method_names: list[str], seed: int, peer_reps: int, task
) -> list[dict[str, Any]]:
    case, n, rep = task
    x, y, z = case.sample(n, rep, seed)
    rows = []
    for m in method_names:
        if not M.runs_on(m, case, n, rep, peer_reps):
            continue
        if m == "sklearn":
            row = M.run_sklearn(case, x, y, seed=rep)
        else:
            row = M.run_bayesmi(m, case, x, y, z, size, seed=rep)
        if row is not None:
            rows.append({"method": m, "case": case.name, "n": n, "rep": rep, **row})
    return rows


def _check_methods(methods: str | list[str] | None, external_peers: bool = True) -> list[str]:
    available = M.available_methods()
    if methods is None:
        return available if external_peers else [m for m in available if m not in M.EXTERNAL]
    if methods == "all":
        return available
    if isinstance(methods, str):
        methods = [s.strip() for s in methods.split(",") if s.strip()]
    unknown = [m for m in methods if m not in available]
    if unknown or not methods:
        raise ValueError(
            f"methods: unknown or unavailable method(s) {unknown or methods!r}; available here "
            f"are {available}. A peer in an environment of its own joins where that environment "
            "exists: "
            + "; ".join(f"{p.name}: {p.setup}" for p in M.EXTERNAL.values() if p.name in unknown)
            + "."
        )
    return list(methods)


def run_suite(
    size: str = "small",
    *,
    methods: str | list[str] | None = None,
    cases: str | list[str] | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool = True,
    reps: int | None = None,
    ns: tuple[int, ...] | None = None,
    slow_reps: int | None = None,
):
    """Run the validation suite and (with ``out``) write its table, summary and figures.

    Parameters
    ----------
    size : {"tiny", "small", "medium", "full"}
        Sample sizes and replicate counts (``SIZES``).
    methods : list of str or comma-separated str, optional
        Registered bayesmi methods and peers ("sklearn" and ``methods.EXTERNAL``); default
        every one available here.
    cases : list of str or comma-separated str, optional
        Panel case names; default the size's cases (all but for "tiny").
    out : path, optional
        Folder for ``results.csv`` (one row per method and data set), ``summary.csv`` (per
        method, case and n), ``meta.json`` and the figures.
    seed : int
        Seeds every data set (with the case, n and replicate).
    n_jobs : int
        Workers over data sets (each method runs single-threaded inside).
    reps, ns : optional
        Override the size's replicate count and sample sizes.
    slow_reps : int, optional
        Override how many data sets a case the slow methods (``methods.SCOPES``) and the
        peers marked "first" run on (the size's ``peer_reps``).

    Returns
    -------
    results, summary : pandas.DataFrame
    """
    import pandas as pd

    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}.")
    spec = SIZES[size]
    for name, value in (("reps", reps), ("slow_reps", slow_reps)):
        if value is not None:
            check_positive_int(value, name, caller="run_suite")
    method_names = _check_methods(methods, spec.external_peers)
    case_list = get_cases(cases if cases is not None else (list(spec.cases or []) or None))
    ns = tuple(ns or spec.ns)
    reps = int(reps or spec.reps)
    peer_reps = min(reps, int(slow_reps or spec.peer_reps))
    # Replicate by replicate, so that every chunk of tasks a worker takes (run_parallel splits
    # the list into a few contiguous chunks per worker) holds every case and n: equal chunks.
    tasks = [(c, n, r) for r in range(reps) for c in case_list for n in ns]
    local = [m for m in method_names if m not in M.EXTERNAL]
    external = [m for m in method_names if m in M.EXTERNAL]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    chunks = run_parallel(
        partial(_task, size, local, seed, peer_reps),
        tasks,
        n_jobs=n_jobs,
        progress=progress,
        desc=f"validation ({size})",
    )
    at = {c.name: i for i, c in enumerate(case_list)}
    rows = sorted((row for chunk in chunks for row in chunk),
                  key=lambda row: (at[row["case"]], row["n"], row["rep"]))  # fmt: skip
    if external:
        if out is not None and rows:  # keep what is done if a slow peer is stopped
            Path(out).mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(Path(out) / "results_before_peers.csv", index=False)
        rows += _run_external(external, case_list, ns, reps, peer_reps, seed, n_jobs)
    elapsed = time.perf_counter() - t0
    results = pd.DataFrame(rows)
    truth = {c.name: c.truth_nats for c in case_list}
    results.insert(2, "truth_nats", results["case"].map(truth))
    summary = summarise(results, case_list)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        results.to_csv(out / "results.csv", index=False, float_format="%.6g")
        summary.to_csv(out / "summary.csv", index=False, float_format="%.4g")
        (out / "results_before_peers.csv").unlink(missing_ok=True)  # in results.csv now
        meta = {
            "command": " ".join(shlex.quote(a) for a in sys.argv) if sys.argv else "",
            "size": size,
            "methods": method_names,
            "cases": [c.name for c in case_list],
            "ns": list(ns),
            "reps": reps,
            "slow_reps": peer_reps,
            "seed": seed,
            "n_jobs": n_jobs,
            "elapsed_seconds": round(elapsed, 1),
            "loadavg_start": [round(v, 2) for v in load0],
            "loadavg_end": [round(v, 2) for v in os.getloadavg()],
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "panel": {c.name: {"truth_nats": c.truth_nats, "source": c.source,
                               "description": c.description} for c in case_list},
        }  # fmt: skip
        (out / "meta.json").write_text(json.dumps(meta, indent=1))
        from validation.figures import plot_all

        plot_all(results, summary, out)
    return results, summary


def _run_external(
    names: list[str], case_list: list[Case], ns, reps: int, peer_reps: int, seed: int, n_jobs: int
) -> list[dict]:
    """The peers in environments of their own, each on the cases, sizes and data sets its
    entry names; the peers of one batch script share a subprocess per worker."""
    rows: list[dict] = []
    for script in dict.fromkeys(M.EXTERNAL[m].script for m in names):
        todo = []  # (case, n, rep, the script's methods that apply there)
        for c in case_list:
            for n in ns:
                for r in range(reps):
                    ms = [
                        m for m in names
                        if M.EXTERNAL[m].script == script
                        and M.Scope(M.EXTERNAL[m].applies, M.EXTERNAL[m].ns,
                                    M.EXTERNAL[m].reps).runs(c, n, r, peer_reps)
                    ]  # fmt: skip
                    if ms:
                        todo.append((c, n, r, ms))
        if not todo:
            continue
        data = [(*c.sample(n, r, seed)[:2], r, ms) for c, n, r, ms in todo]
        # One subprocess per worker, each with a share of the data sets.
        k = max(1, min(n_jobs if n_jobs > 0 else os.cpu_count() or 1, len(todo)))
        parts = [list(range(i, len(todo), k)) for i in range(k)]

        def batch(idx, script=script, data=data):
            try:
                return M.run_external_batch(script, [data[i] for i in idx])
            except subprocess.CalledProcessError as e:  # the peer crashed: report it, go on
                err = {"seconds": np.nan, "error": f"{script} exited with {e.returncode}",
                       "warnings": ""}  # fmt: skip
                return [{m: err for m in data[i][3]} for i in idx]

        outs = run_parallel(batch, parts, n_jobs=k, progress=False, backend="threading")
        for idx, part in zip(parts, outs, strict=True):
            for i, by_method in zip(idx, part, strict=True):
                c, n, r, _ = todo[i]
                for m, row in by_method.items():
                    rows.append({"method": m, "case": c.name, "n": n, "rep": r, **row})
    return rows


def _binom_se(p: float, n: int) -> float:
    return float(np.sqrt(max(p * (1 - p), 1e-12) / n)) if n else float("nan")


def summarise(results, case_list: list[Case] | None = None):
    """Per method, case and n: truth, mean estimate, bias, RMSE, spread of the estimates
    across data sets against the method's own sd, coverage of the 50/90/95% HDIs and the 90%
    equal-tailed interval (with binomial standard errors), median seconds, share of data sets
    with a warning, errors."""
    import pandas as pd

    rows = []
    for (method, case, n), g in results.groupby(["method", "case", "n"], sort=False):
        ok = g[g["error"].astype(object).fillna("") == ""] if "error" in g else g
        truth = float(g["truth_nats"].iloc[0])
        est = ok["estimate"].to_numpy(dtype=float) if "estimate" in ok else np.array([])
        row = {
            "method": method,
            "case": case,
            "n": int(n),
            "truth_nats": truth,
            "reps": len(ok),
            "errors": len(g) - len(ok),
            "mean_nats": float(np.mean(est)) if len(est) else np.nan,
            "bias_nats": float(np.mean(est) - truth) if len(est) else np.nan,
            "rmse_nats": float(np.sqrt(np.mean((est - truth) ** 2))) if len(est) else np.nan,
            "sd_across_nats": float(np.std(est, ddof=1)) if len(est) > 1 else np.nan,
            "mean_sd_nats": float(ok["sd"].mean()) if "sd" in ok else np.nan,
        }
        for p in LEVELS:
            lo_c, hi_c = f"hdi{int(p * 100)}_lo", f"hdi{int(p * 100)}_hi"
            if lo_c in ok and ok[lo_c].notna().any():
                hit = ((ok[lo_c] <= truth) & (truth <= ok[hi_c])).to_numpy()
                row[f"cover{int(p * 100)}"] = float(hit.mean())
                row[f"cover{int(p * 100)}_se"] = _binom_se(hit.mean(), len(hit))
            else:
                row[f"cover{int(p * 100)}"] = row[f"cover{int(p * 100)}_se"] = np.nan
        if "eti90_lo" in ok and ok["eti90_lo"].notna().any():
            row["cover90_eti"] = float(
                ((ok["eti90_lo"] <= truth) & (truth <= ok["eti90_hi"])).mean()
            )
        else:
            row["cover90_eti"] = np.nan
        # Read as a lower bound (neural critics, latent MI, binned continuous data): the
        # one-sided 95% bound (the draws' 5% quantile) at or below the truth.
        if "eti90_lo" in ok and ok["eti90_lo"].notna().any():
            row["lower95_held"] = float((ok["eti90_lo"] <= truth).mean())
        else:
            row["lower95_held"] = np.nan
        row["median_seconds"] = float(g["seconds"].median())
        warned = g["warnings"].astype(object).fillna("").astype(str) != ""
        row["warned_frac"] = float(warned.mean())
        row["warnings"] = ";".join(sorted({w for s in g["warnings"].dropna() for w in
                                           str(s).split(";") if w}))  # fmt: skip
        errs = sorted(set(g["error"].dropna().astype(str)) - {""})
        row["error_messages"] = " | ".join(e[:120] for e in errs)
        rows.append(row)
    order = {c.name: i for i, c in enumerate(case_list or [])}
    out = pd.DataFrame(rows)
    if len(out):
        out["_o"] = out["case"].map(order)
        out = out.sort_values(["method", "_o", "n"]).drop(columns="_o").reset_index(drop=True)
    return out


def _finite(fn, values) -> float:
    """``fn`` over the finite values; NaN, quietly, where there are none (a method that failed
    on every data set)."""
    v = np.asarray(values, dtype=float)
    return float(fn(v[np.isfinite(v)])) if np.isfinite(v).any() else np.nan


def pooled_coverage(summary):
    """Per method: coverage of each interval pooled over every (case, n) it ran on, with the
    worst cell; the 'at a glance' table of the docs."""
    import pandas as pd

    rows = []
    for method, g in summary.groupby("method", sort=True):
        g = g[g["reps"] > 0]  # cells where the method applies
        w = g["reps"].to_numpy(dtype=float)
        row = {"method": method, "cells": len(g), "data_sets": int(w.sum())}
        # A point estimate (scikit-learn, most peers) has bias and RMSE but no coverage.
        row["interval"] = bool(g["cover90"].notna().any())
        for col in ("cover50", "cover90", "cover95", "cover90_eti", "lower95_held"):
            if col not in g:  # a summary written before the column existed
                row[col] = np.nan
                continue
            v = g[col].to_numpy(dtype=float)
            keep = ~np.isnan(v)
            row[col] = float(np.average(v[keep], weights=w[keep])) if keep.any() else np.nan
        # Where the truth is 0 a non-negative estimator's interval cannot reach it (read the
        # permutation null there instead): the 90% coverage without those cases.
        pos = g[g["truth_nats"] > 0]
        v = pos["cover90"].to_numpy(dtype=float)
        keep = ~np.isnan(v)
        row["cover90_truth_above_0"] = (
            float(np.average(v[keep], weights=pos["reps"].to_numpy(dtype=float)[keep]))
            if keep.any()
            else np.nan
        )
        v90 = g["cover90"].to_numpy(dtype=float)
        if (~np.isnan(v90)).any():
            worst = g.iloc[int(np.nanargmin(v90))]
            row["worst90"] = f"{worst['cover90']:.2f} ({worst['case']}, n={worst['n']})"
        else:
            row["worst90"] = ""
        row["mean_abs_bias_nats"] = _finite(np.nanmean, np.abs(g["bias_nats"]))
        row["mean_rmse_nats"] = _finite(np.nanmean, g["rmse_nats"])
        row["median_seconds"] = _finite(np.nanmedian, g["median_seconds"])
        rows.append(row)
    return pd.DataFrame(rows)


def replace_method(folder: str | Path, rerun: str | Path, method: str, why: str = "") -> None:
    """Put ``method``'s rows of the run in ``rerun`` in place of its rows in the run in
    ``folder`` (same seed, so the same data sets), then rewrite that run's summary and figures
    and record the rerun in its ``meta.json`` ("reruns")."""
    import pandas as pd

    from validation.figures import plot_all

    folder, rerun = Path(folder), Path(rerun)
    meta = json.loads((folder / "meta.json").read_text())
    meta_r = json.loads((rerun / "meta.json").read_text())
    if meta.get("seed") != meta_r.get("seed"):
        raise ValueError(
            f"replace: the runs used different seeds ({meta.get('seed')} and "
            f"{meta_r.get('seed')}), so different data sets."
        )
    new = pd.read_csv(rerun / "results.csv")
    new = new[new["method"] == method]
    if new.empty:
        raise ValueError(f"replace: {rerun} has no rows of method {method!r}.")
    old = pd.read_csv(folder / "results.csv")
    results = pd.concat([old[old["method"] != method], new], ignore_index=True)
    summary = summarise(results, get_cases(meta["cases"]))
    results.to_csv(folder / "results.csv", index=False, float_format="%.6g")
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.4g")
    keep = ("command", "elapsed_seconds", "loadavg_start", "loadavg_end")
    meta.setdefault("reruns", []).append(
        {"method": method, **{k: meta_r.get(k) for k in keep}, "why": why}
    )
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))
    plot_all(results, summary, folder)

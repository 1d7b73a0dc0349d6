"""Who runs on the panel: every registered bayesmi method, and the peers where they apply.

bayesmi methods are looked up in ``bayesmi.estimators.REGISTRY``, so a method registered
later joins the suite with no change here. Settings are given by what an estimator accepts
(``Estimator._param_names``), not by method name: a permutation count is set to 0 wherever
there is one (the null is not needed to score intervals), and the ``tiny`` size caps every
draw count it finds so the end-to-end test stays fast. Discrete labels are passed with
``discrete_y=True`` or ``categorical=True``, whichever the estimator has; one with neither is
not run on discrete cases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bayesmi.estimators import REGISTRY
from bayesmi.exceptions import BayesMIWarning
from bayesmi.result import MIResult

__all__ = ["PEERS", "available_methods", "gmmmi_python", "run_bayesmi", "run_sklearn"]

#: Per-size settings applied to every estimator that has the parameter.
COMMON_SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {
        "n_permutations": 0,
        "n_bootstrap": 10,
        "n_draws": 20,
        "max_components": 3,
        "n_init": 1,
    },
    "small": {"n_permutations": 0},
    "medium": {"n_permutations": 0},
    "full": {"n_permutations": 0},
}

#: Per-method settings on top of COMMON_SETTINGS (a method absent here runs with defaults).
METHOD_SETTINGS: dict[str, dict[str, dict[str, Any]]] = {}

#: Peer libraries: scikit-learn's KSG (point estimate) and the gmm-mi package (bootstrap).
PEERS = ("sklearn", "gmmmi")

HERE = Path(__file__).resolve().parent


def gmmmi_python() -> Path | None:
    """The gmm-mi environment's interpreter (``GMMMI_ENV``, default /work/bench-envs/gmmmi),
    or None where it is not set up (``bash benchmarks/setup_gmmmi_env.sh``)."""
    p = Path(os.environ.get("GMMMI_ENV", "/work/bench-envs/gmmmi")) / "bin" / "python"
    return p if p.exists() else None


def available_methods() -> list[str]:
    """Every registered bayesmi method, then the peers that can run here."""
    out = sorted(REGISTRY)
    out.append("sklearn")
    if gmmmi_python() is not None:
        out.append("gmmmi")
    return out


def settings_for(method: str, size: str, case) -> dict[str, Any] | None:
    """Keyword arguments for ``method`` on ``case`` at ``size``; None where it does not apply."""
    cls = REGISTRY[method]
    accepted = set(cls._param_names())
    kw = {k: v for k, v in COMMON_SETTINGS[size].items() if k in accepted}
    kw.update(METHOD_SETTINGS.get(method, {}).get(size, {}))
    if case.discrete_y:
        if "discrete_y" in accepted:
            kw["discrete_y"] = True
        elif "categorical" in accepted:
            kw["categorical"] = True
        else:
            return None
    return kw


def _record(r: MIResult | None, seconds: float, caught, error: str = "") -> dict[str, Any]:
    """One row's numbers: point estimate, sd, intervals, warnings, time."""
    row: dict[str, Any] = {"seconds": seconds, "error": error}
    names = sorted({w.category.__name__ for w in caught if issubclass(w.category, BayesMIWarning)})
    row["warnings"] = ";".join(names)
    if r is None:
        return row
    row.update(estimate=r.mean, sd=r.sd, n_draws=r.n_draws, kind=r.kind, bound=r.bound or "")
    for p in (0.5, 0.9, 0.95):
        lo, hi = r.hdi(p)
        row[f"hdi{int(p * 100)}_lo"], row[f"hdi{int(p * 100)}_hi"] = lo, hi
    lo, hi = r.quantile([0.05, 0.95])
    row["eti90_lo"], row["eti90_hi"] = lo, hi
    return row


def run_bayesmi(method: str, case, x, y, z, size: str, seed: int) -> dict[str, Any] | None:
    """Run a registered method on one data set; None where it does not apply to the case."""
    kw = settings_for(method, size, case)
    if kw is None:
        return None
    cls = REGISTRY[method]
    accepted = set(cls._param_names())
    common = {"seed": seed, "n_jobs": 1, "progress": False}
    est = cls(**{k: v for k, v in common.items() if k in accepted}, **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        try:
            r = est.estimate(x, y, z)
        except (ValueError, NotImplementedError, TypeError) as e:
            return _record(None, time.perf_counter() - t0, caught, f"{type(e).__name__}: {e}")
        seconds = time.perf_counter() - t0
    return _record(r, seconds, caught)


def run_sklearn(case, x, y, seed: int) -> dict[str, Any] | None:
    """scikit-learn's KSG (``mutual_info_regression``; ``mutual_info_classif`` for labels),
    k = 3: a point estimate of MI between one column of x and a 1-D y (no interval)."""
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    if case.quantity != "mi" or case.dx != 1 or case.dy != 1:
        return None
    t0 = time.perf_counter()
    xx = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    yy = np.asarray(y).ravel()
    if case.discrete_y:
        v = mutual_info_classif(xx, yy, n_neighbors=3, random_state=seed)[0]
    else:
        v = mutual_info_regression(xx, yy, n_neighbors=3, random_state=seed)[0]
    return {"seconds": time.perf_counter() - t0, "error": "", "warnings": "", "estimate": float(v)}


def run_gmmmi_batch(datasets: list[tuple[np.ndarray, np.ndarray]]) -> list[dict[str, Any]]:
    """Run the gmm-mi package (its defaults: 50 bootstrap refits, 1e5 Monte Carlo samples)
    on each (x, y) in one subprocess of its own environment (``gmmmi_batch.py``); rows as
    ``run_bayesmi`` gives, with intervals from its bootstrap draws."""
    py = gmmmi_python()
    if py is None:
        raise RuntimeError(
            "gmmmi: no gmm-mi environment; run `bash benchmarks/setup_gmmmi_env.sh` or set "
            "GMMMI_ENV."
        )
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "in.npz", Path(tmp) / "out.json"
        arrays = {}
        for i, (x, y) in enumerate(datasets):
            arrays[f"x_{i}"] = np.ravel(x)
            arrays[f"y_{i}"] = np.ravel(y)
        np.savez(data, **arrays)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        cmd = [str(py), str(HERE / "gmmmi_batch.py"), str(data), str(out), str(len(datasets))]
        subprocess.run(cmd, check=True, env=env, stdout=sys.stderr)
        raw = json.loads(out.read_text())
    rows = []
    for res in raw:
        if res.get("error"):
            rows.append({"seconds": res["seconds"], "error": res["error"], "warnings": ""})
            continue
        draws = np.asarray(res["draws"], dtype=np.float64)
        r = MIResult(draws_nats=draws[None, :], kind="bootstrap", method="gmmmi")
        row = _record(r, res["seconds"], [])
        # gmm-mi reports the mean of its bootstrap MI values; its draws carry the spread.
        row["estimate"], row["sd"] = res["mi_mean"], res["mi_std"]
        row["warnings"] = ";".join(res.get("warnings", []))[:200]
        rows.append(row)
    return rows

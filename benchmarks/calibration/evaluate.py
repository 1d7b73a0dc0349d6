"""Score interval constructions on draws collected by ``collect.py``: coverage of the 90%
interval per case and pooled over MI > 0, the zero cases' rate of reaching 0, and RMSE.

    python -m benchmarks.calibration.evaluate /tmp/cal/gmm_n1000_s0_n_draws-100.npz \
        "percentile,full s1.2"

The second argument names the constructions (``VARIANTS``); "shown" scores the draws the
method returned as they are (the defaults, on a fresh panel).
"""

from __future__ import annotations

import sys

import numpy as np

from bayesmi.intervals import finish
from bayesmi.result import MIResult


def interval(raw, full, p, extrap_value=np.nan, **kw):
    kw = dict(kw)
    if "first" in kw:  # the first draws only (what a smaller n_draws gives, where draws are
        raw = raw[: kw.pop("first")]  # taken in a fixed order: ksg's splits, gmm's resamples)
    if kw.pop("full_is_mean", False):
        full, kw["bias_nats"] = float(np.mean(raw)), 0.0
    if kw.pop("extrap", False):
        kw["bias_nats"] = full - extrap_value
    draws, _ = finish(raw[None, :], full, p_value=p if np.isfinite(p) else None, **kw)
    r = MIResult(draws_nats=draws, kind="bootstrap")
    return r.hdi(0.9), r.mean


def score(data, variants):
    cases = list(dict.fromkeys(data["case"]))
    rows = {}
    for name, kw in variants.items():
        cov, rmse = {}, {}
        for c in cases:
            idx = np.nonzero(data["case"] == c)[0]
            hits, errs = [], []
            for i in idx:
                ex = data["extrap"][i] if "extrap" in data else np.nan
                if kw.get("shown"):  # the draws the method returned, as they are
                    r = MIResult(draws_nats=data["shown"][i][None, :], kind="bootstrap")
                    (lo, hi), m = r.hdi(0.9), r.mean
                else:
                    (lo, hi), m = interval(data["raw"][i], data["full"][i], data["p"][i], ex, **kw)
                t = data["truth"][i]
                hits.append(lo <= t <= hi)
                errs.append(m - t)
            cov[c] = np.mean(hits)
            rmse[c] = np.sqrt(np.mean(np.square(errs)))
        pos = [c for c in cases if data["truth"][data["case"] == c][0] > 0]
        pooled = np.mean([cov[c] for c in pos])
        rows[name] = (pooled, cov, rmse)
    return cases, rows


VARIANTS = {
    "shown": {"shown": True},
    "percentile": {"scheme": "percentile"},
    "basic": {"scheme": "basic"},
    **{f"bc s{v}": {"scheme": "calibrated", "scale": v} for v in (1.0, 1.1, 1.2, 1.3, 1.4, 1.5)},
    **{f"full s{v}": {"scheme": "calibrated", "scale": v, "bias_nats": 0.0}
       for v in (1.0, 1.1, 1.2, 1.3, 1.35, 1.4, 1.5)},
    **{f"mean s{v}": {"scheme": "calibrated", "scale": v, "full_is_mean": True}
       for v in (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)},
    **{f"extrap s{v}": {"scheme": "calibrated", "scale": v, "extrap": True}
       for v in (0.9, 1.0, 1.1, 1.2, 1.3)},
    **{f"d{d} s{v}": {"scheme": "calibrated", "scale": v, "bias_nats": 0.0, "first": d}
       for d in (50, 100) for v in (1.0, 1.1, 1.2, 1.25, 1.3, 1.35, 1.4)},
}  # fmt: skip


def _warned(data, case: str) -> str:
    """Which of the library's warnings fired on the case's data sets, and how often."""
    if "warnings" not in data:
        return ""
    names = [w for w in data["warnings"][data["case"] == case]]
    counts: dict[str, int] = {}
    for ws in names:
        for w in filter(None, str(ws).split(";")):
            counts[w] = counts.get(w, 0) + 1
    return " ".join(f"{w} {k}/{len(names)}" for w, k in sorted(counts.items()))


def main() -> None:
    data = dict(np.load(sys.argv[1], allow_pickle=True))
    names = sys.argv[2].split(",") if len(sys.argv) > 2 else list(VARIANTS)
    variants = {k: VARIANTS[k] for k in names}
    if not np.isfinite(data.get("extrap", np.array([np.nan]))).all():
        variants = {k: v for k, v in variants.items() if not v.get("extrap")}
    cases, rows = score(data, variants)
    width = max(len(c) for c in cases)
    print(f"{len(data['case'])} data sets")
    print(f"{'case':{width}} " + " ".join(f"{v:>10}" for v in variants))
    for c in cases:
        print(f"{c:{width}} " + " ".join(f"{rows[v][1][c]:10.2f}" for v in variants)
              + f"  {_warned(data, c)}")  # fmt: skip
    print(f"{'pooled MI>0':{width}} " + " ".join(f"{rows[v][0]:10.3f}" for v in variants))
    # RMSE against the first variant's, on the cases with MI > 0 (at 0 every RMSE is tiny).
    ref = rows[next(iter(variants))][2]
    pos = [c for c in cases if data["truth"][data["case"] == c][0] > 0]
    print(f"{'max RMSE ratio':{width}} "
          + " ".join(f"{max(rows[v][2][c] / ref[c] for c in pos):10.2f}"
                     for v in variants))  # fmt: skip
    print(f"{'worst case':{width}} "
          + " ".join(f"{max(pos, key=lambda c: rows[v][2][c] / ref[c])[:10]:>10}"
                     for v in variants))  # fmt: skip


if __name__ == "__main__":
    main()

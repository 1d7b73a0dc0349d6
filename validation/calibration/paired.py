"""Compare two settings of a method on the same data sets, against the efficiency floor.

Two files from ``collect.py`` on one panel seed and n (say ``--param marginals="raw"`` and
``"auto"``) hold the same data sets, so their errors are paired. For each case this prints the
RMSE of each setting's point estimate (the mean of the draws shown), the ratio of the two with
a bootstrap standard error over the data sets (resampled in pairs), the 90% coverage of each,
and the efficiency floor: no regular estimator of MI has an RMSE below ``sd(i(X;Y)) / sqrt(n)``
asymptotically, ``i`` the pointwise MI ``log p(x, y) / (p(x) p(y))`` (its influence function is
``i - I``), so an RMSE near the floor cannot be halved by any choice of setting.

    python -m validation.calibration.paired A.npz B.npz
"""

from __future__ import annotations

import re
import sys

import numpy as np

from bayesmi import truth
from bayesmi.result import MIResult

#: Monte Carlo sample size of the floor where it has no closed form (Student-t): the sd of
#: ``i`` is then known to about 0.1%.
FLOOR_SAMPLES = 1_000_000


def pointwise_sd(case: str) -> float:
    """sd of the pointwise MI of a panel case, or nan where the case's density is not at hand.

    A Gaussian copula with correlation rho in each of d coordinate pairs (the Gaussian and
    the monotone-transformed cases: ``i`` is unchanged by invertible maps of x and y) has
    ``Var(i) = d rho^2``; the bivariate Student-t's is computed by Monte Carlo with its density.
    """
    m = re.fullmatch(r"gauss(?:_(\d)d)?_r([\d.]+)", case)
    if m:
        return float(np.sqrt(int(m.group(1) or 1)) * float(m.group(2)))
    m = re.fullmatch(r"(?:exp_halfcube|asinh_wiggly|expo_uniform)_r([\d.]+)", case)
    if m:
        return float(m.group(1))
    m = re.fullmatch(r"student_df(\d+)_r([\d.]+)", case)
    if m:
        from scipy import stats

        df, rho = int(m.group(1)), float(m.group(2))
        x, y, _ = truth.student_t(rho, df, FLOOR_SAMPLES, seed=0)
        joint = stats.multivariate_t([0.0, 0.0], [[1.0, rho], [rho, 1.0]], df=df)
        margin = stats.t(df)
        i = joint.logpdf(np.hstack([x, y])) - margin.logpdf(x[:, 0]) - margin.logpdf(y[:, 0])
        return float(i.std())
    return float("nan")


def _load(path: str) -> dict:
    """A collect file's rows (failed fits are not stored there)."""
    return dict(np.load(path, allow_pickle=True))


def _point_and_hit(shown: np.ndarray, t: float) -> tuple[float, bool]:
    r = MIResult(draws_nats=shown[None, :], kind="bootstrap")
    lo, hi = r.hdi(0.9)
    return r.mean, bool(lo <= t <= hi)


def compare(path_a: str, path_b: str, n: int, n_boot: int = 2000, seed: int = 0) -> list[dict]:
    """Per case: RMSE of each setting, their ratio B/A with its bootstrap se, coverage of each,
    and the floor ``pointwise_sd(case) / sqrt(n)``, on the data sets present in both files."""
    a, b = _load(path_a), _load(path_b)
    key_b = {(c, int(r)): i for i, (c, r) in enumerate(zip(b["case"], b["rep"], strict=True))}
    rng = np.random.default_rng(seed)
    out = []
    for case in dict.fromkeys(a["case"]):
        pairs = [(i, key_b[(case, int(r))]) for i, (c, r) in
                 enumerate(zip(a["case"], a["rep"], strict=True))
                 if c == case and (case, int(r)) in key_b]  # fmt: skip
        if not pairs:
            continue
        t = float(a["truth"][pairs[0][0]])
        ea, eb, ha, hb = [], [], [], []
        for i, j in pairs:
            m, h = _point_and_hit(a["shown"][i], t)
            ea.append(m - t)
            ha.append(h)
            m, h = _point_and_hit(b["shown"][j], t)
            eb.append(m - t)
            hb.append(h)
        sa, sb = np.square(ea), np.square(eb)
        idx = rng.integers(0, len(pairs), (n_boot, len(pairs)))
        ratios = np.sqrt(sb[idx].mean(1) / sa[idx].mean(1))
        out.append({
            "case": case,
            "data_sets": len(pairs),
            "rmse_a": float(np.sqrt(sa.mean())),
            "rmse_b": float(np.sqrt(sb.mean())),
            "ratio": float(np.sqrt(sb.mean() / sa.mean())),
            "ratio_se": float(ratios.std()),
            "bias_a": float(np.mean(ea)),
            "bias_b": float(np.mean(eb)),
            "cover_a": float(np.mean(ha)),
            "cover_b": float(np.mean(hb)),
            "floor": pointwise_sd(case) / np.sqrt(n),
        })  # fmt: skip
    return out


def main() -> None:
    path_a, path_b = sys.argv[1], sys.argv[2]
    n = int(re.search(r"_n(\d+)_", path_a).group(1))
    rows = compare(path_a, path_b, n)
    print(f"A = {path_a}\nB = {path_b}\nn = {n}; RMSE and bias in nats; floor sd(i)/sqrt(n)")
    print(f"{'case':20} {'sets':>4} {'RMSE A':>7} {'RMSE B':>7} {'B/A':>5} {'se':>5} "
          f"{'bias A':>7} {'bias B':>7} {'cov A':>5} {'cov B':>5} {'floor':>6} "
          f"{'A/fl':>5} {'B/fl':>5}")  # fmt: skip
    for r in rows:
        print(f"{r['case']:20} {r['data_sets']:4d} {r['rmse_a']:7.4f} {r['rmse_b']:7.4f} "
              f"{r['ratio']:5.2f} {r['ratio_se']:5.2f} {r['bias_a']:+7.4f} {r['bias_b']:+7.4f} "
              f"{r['cover_a']:5.2f} {r['cover_b']:5.2f} {r['floor']:6.4f} "
              f"{r['rmse_a'] / r['floor']:5.2f} {r['rmse_b'] / r['floor']:5.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

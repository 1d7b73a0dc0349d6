"""The measurements behind the input checks and warnings of issue 18 (each threshold's comment
and docs page quotes this script's output).

    export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
    python benchmarks/robustness_thresholds.py bins
    python benchmarks/robustness_thresholds.py gmm
    python benchmarks/robustness_thresholds.py repeats
    python benchmarks/robustness_thresholds.py deterministic
    python benchmarks/robustness_thresholds.py offsets

``bins`` (about 2 min): independent x (1 to 10 dimensions) and y, n = 300, 1000, 3000, bins
"auto", 3, 5, 10, 6 data sets each: cells per sample (occupied x cells times occupied y cells,
over n) against whether the 5% quantile of the draws is above 0 (a false "I >= a > 0"):
``bayesmi.estimators.bins.MAX_CELLS_PER_SAMPLE``.

``gmm`` (about 10 min): independent d-D x and 1-D y, 4 data sets per (d, n): the estimate and
the lower end of its 90% HDI against samples per dimension: ``gmm.MIN_SAMPLES_PER_DIM``.

``repeats`` (1 min): ksg on independent x, y (n = 1000) with a fraction of rows replaced by
copies of others: the estimate against the share of rows in repeated groups:
``validation.MAX_REPEATED_FRACTION``.

``deterministic`` (2 min): the share of ``validation.deterministic_share`` and ksg's estimate for
y = f(x) plus noise of several sizes, and for independent data: ``DETERMINISTIC_SHARE``.

``offsets`` (1 min): ksg, bins and gmm on x + offset: ``validation.RESOLUTION_MAX``.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

import bayesmi as bm
from bayesmi import validation
from bayesmi.estimators.bins import bin_codes

warnings.simplefilter("ignore")


def bins() -> None:
    print("d n bins seed cells_per_sample lo5 false_claim")
    for d in [1, 2, 3, 4, 6, 8, 10]:
        for n in [300, 1000, 3000]:
            for rule in ["auto", 3, 5, 10]:
                for s in range(6):
                    rng = np.random.default_rng(1000 * d + s + 7 * n)
                    x, y = rng.standard_normal((n, d)), rng.standard_normal(n)
                    r = bm.estimate(x, y, method="bins", bins=rule, seed=s, progress=False,
                                    n_permutations=0)  # fmt: skip
                    cx = bin_codes(x, rule, "quantile", False, d + 1).max() + 1
                    cy = bin_codes(y[:, None], rule, "quantile", False, d + 1).max() + 1
                    lo = float(np.quantile(r.draws, 0.05))
                    print(d, n, rule, s, round(cx * cy / n, 3), round(lo, 4), int(lo > 0))


def gmm() -> None:
    print("d n seed samples_per_dim mean lo90")
    grid = [(4, 200), (8, 200), (16, 200), (32, 200), (8, 400), (16, 400), (32, 400), (16, 800),
            (32, 800), (32, 1600), (50, 200)]  # fmt: skip
    for d, n in grid:
        for s in range(4):
            rng = np.random.default_rng(100 * d + s + n)
            x, y = rng.standard_normal((n, d)), rng.standard_normal(n)
            r = bm.estimate(x, y, method="gmm", seed=s, progress=False)
            print(d, n, s, round(n / (d + 1), 1), round(r.mean, 3), round(r.hdi(0.9)[0], 3))


def repeats() -> None:
    n = 1000
    for f in [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]:
        row = []
        for s in range(3):
            rng = np.random.default_rng(s)
            x, y = rng.standard_normal((n, 1)), rng.standard_normal((n, 1))
            m = int(f * n)
            idx = rng.choice(n, size=m, replace=False)
            src = rng.choice(np.setdiff1d(np.arange(n), idx), size=m)
            x[idx], y[idx] = x[src], y[src]
            r = bm.estimate(x, y, method="ksg", seed=0, progress=False, n_permutations=0)
            share = validation.repeated_fraction(x, y)
            row.append(f"{r.mean:.3f}+-{r.sd:.3f} (repeated {share:.3f})")
        print(f, *row)


def deterministic() -> None:
    for n in [300, 1000, 5000]:
        rng = np.random.default_rng(n)
        x = rng.standard_normal((n, 1))
        for name, f in [("2x+1", lambda x: 2 * x + 1), ("sin3x", lambda x: np.sin(3 * x)),
                        ("x^3", lambda x: x**3)]:  # fmt: skip
            for noise in [0, 1e-4, 1e-3, 1e-2, 0.1, 1]:
                y = f(x) + noise * rng.standard_normal((n, 1))
                share = validation.deterministic_share(x, y)
                print(n, name, noise, round(share, 3))
        x2 = rng.standard_normal((n, 2))
        print(n, "x1+x2", 0, round(validation.deterministic_share(x2, x2.sum(1, keepdims=True)), 3))
        for d in (1, 5):
            indep = validation.deterministic_share(rng.standard_normal((n, d)),
                                                   rng.standard_normal((n, 1)))  # fmt: skip
            print(n, f"independent {d}-D x", 0, round(indep, 3))


def offsets() -> None:
    validation.RESOLUTION_MAX = np.inf  # measure past the check
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    y = 0.6 * x + 0.8 * rng.standard_normal(1000)
    for off in [0, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]:
        xs = x + off
        ratio = np.spacing(np.abs(xs).max()) / np.abs(xs - np.median(xs)).max()
        row = []
        for m in ["ksg", "bins", "gmm"]:
            kw = {} if m == "gmm" else {"n_permutations": 0}
            r = bm.estimate(xs, y, method=m, seed=0, progress=False, **kw)
            row.append(f"{m} {r.mean:.4f}+-{r.sd:.4f}")
        print(f"{off:g} resolution/spread {ratio:.2g}", *row)


if __name__ == "__main__":
    {"bins": bins, "gmm": gmm, "repeats": repeats, "deterministic": deterministic,
     "offsets": offsets}[sys.argv[1]]()  # fmt: skip

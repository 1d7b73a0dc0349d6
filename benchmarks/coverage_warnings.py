"""The measurements behind the coverage warnings (``bm.CoverageWarning``; docs/validation.md,
"Where the methods warn").

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/coverage_warnings.py ksg [--reps 30]
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/coverage_warnings.py gmm [--reps 10]
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/coverage_warnings.py bins-small

``ksg``: coverage of KSG's 90% HDI against the dimension of the joint space, at a total MI of
0.43-0.47 nats (and at independence in 4 + 4 dimensions), n = 300 and 1000, ``--reps`` data sets
per cell: where the suite's threshold (``bayesmi.estimators.ksg.HIGH_DIM``) comes from.

``gmm``: the edge statistic of categorical ``gmm`` (``bayesmi.estimators._edges.edge_test``) on
flat (uniform), one-sided (exponential) and smooth (Gaussian, Student-t, bimodal, 2-D Gaussian)
class densities, 5 classes, n = 300, 1000 and 3000: how often it crosses the warning's p-value.

``gmm-joint``: the same statistic on the joint mixture of continuous ``gmm`` (x, y and z
together, one "class"), on the validation panel's own data sets (seed 0), n = 300, 1000 and
3000; with ``--results docs/validation/fast/results.csv`` also gmm's 90% HDI coverage where it
fires and where it does not.

``bins-small``: ``bins`` where the MI is small (independence, rho 0.3, Student-t at rho 0): how
often its draws straddle 0, how often its 90% HDI and its 95% lower bound hold the truth, and
how often a k-NN permutation test or a G-test on a finer table would see the dependence there.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import bayesmi as bm
from bayesmi import truth
from bayesmi.resampling import run_parallel

KSG_CASES = [
    ("1+1, rho 0.78", lambda n, s: truth.correlated_gaussian(0.78, n, dim=1, seed=s)),
    ("2+2, rho 0.6", lambda n, s: truth.correlated_gaussian(0.6, n, dim=2, seed=s)),
    ("1 in 2 + 1 in 2, rho 0.78",
     lambda n, s: truth.embedded_gaussian(0.78, n, dim=1, embed_dim=2, seed=s)),
    ("3+3, rho 0.5", lambda n, s: truth.correlated_gaussian(0.5, n, dim=3, seed=s)),
    ("2 in 3 + 2 in 3, rho 0.6",
     lambda n, s: truth.embedded_gaussian(0.6, n, dim=2, embed_dim=3, seed=s)),
    ("4+4, rho 0.44", lambda n, s: truth.correlated_gaussian(0.44, n, dim=4, seed=s)),
    ("2 in 4 + 2 in 4, rho 0.6",
     lambda n, s: truth.embedded_gaussian(0.6, n, dim=2, embed_dim=4, seed=s)),
    ("4+4, independent", lambda n, s: truth.correlated_gaussian(0.0, n, dim=4, seed=s)),
    # other MI levels (run with --n 1000 3000)
    ("3+3, rho 0.3", lambda n, s: truth.correlated_gaussian(0.3, n, dim=3, seed=s)),
    ("3+3, rho 0.6", lambda n, s: truth.correlated_gaussian(0.6, n, dim=3, seed=s)),
    ("2+2, rho 0.8", lambda n, s: truth.correlated_gaussian(0.8, n, dim=2, seed=s)),
]  # fmt: skip


def _ksg_one(task):
    ci, n, rep = task
    x, y, mi = KSG_CASES[ci][1](n, 1000 * rep + 7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = bm.KSGMI(seed=rep, progress=False, n_permutations=0).estimate(x, y)
    lo, hi = r.hdi(0.9)
    kinds = {w.category for w in caught}
    return (ci, n, mi, r.mean, r.sd, lo <= mi <= hi, bm.HighMIWarning in kinds,
            bm.CoverageWarning in kinds)  # fmt: skip


def ksg(reps: int, n_jobs: int, ns: tuple[int, ...], only: list[str] | None) -> None:
    which = [i for i, (name, _) in enumerate(KSG_CASES) if not only or name in only]
    tasks = [(ci, n, r) for ci in which for n in ns for r in range(reps)]
    out = run_parallel(_ksg_one, tasks, n_jobs=n_jobs, progress=False)
    print(f"{'x + y dims':28s} {'n':>5s} {'truth':>6s} {'mean':>6s} {'bias':>7s} {'sd':>6s} "
          f"{'90% HDI':>8s} {'HighMI':>7s} {'Coverage':>8s}   (nats; {reps} data sets; "
          "the last three columns: shares of data sets)")  # fmt: skip
    for ci in which:
        name = KSG_CASES[ci][0]
        for n in ns:
            a = np.array([o[2:] for o in out if o[0] == ci and o[1] == n], dtype=float)
            print(f"{name:28s} {n:5d} {a[0, 0]:6.3f} {a[:, 1].mean():6.3f} "
                  f"{a[:, 1].mean() - a[0, 0]:+7.3f} {a[:, 2].mean():6.3f} {a[:, 3].mean():8.2f} "
                  f"{a[:, 4].mean():7.2f} {a[:, 5].mean():8.2f}")  # fmt: skip


def _classes(kind: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 5, n)
    if kind == "uniform":  # the panel's discrete_uniform5
        return c + 2 * rng.random(n), c
    if kind == "exponential":
        return 0.7 * c + rng.exponential(1.0, n), c
    if kind == "gaussian":
        return 0.7 * c + rng.standard_normal(n), c
    if kind == "student_t4":
        return 0.7 * c + rng.standard_t(4, n), c
    if kind == "bimodal":
        return 0.7 * c + rng.choice([-1.5, 1.5], n) + 0.5 * rng.standard_normal(n), c
    if kind == "gaussian_2d":
        return np.c_[0.7 * c + rng.standard_normal(n), 0.3 * c + rng.standard_normal(n)], c
    raise ValueError(kind)


def gmm(reps: int) -> None:
    from bayesmi.estimators._edges import EDGE_P_VALUE, edge_test
    from bayesmi.validation import check_paired

    print(f"{'class density':14s} {'n':>5s} {'median sum':>10s} {'expected':>8s} "
          f"{'warns (p < ' + str(EDGE_P_VALUE) + ')':>18s}   ({reps} data sets)")  # fmt: skip
    for kind in ("uniform", "exponential", "gaussian", "student_t4", "bimodal", "gaussian_2d"):
        for n in (300, 1000, 3000):
            sums, warned = [], []
            for seed in range(reps):
                x, c = _classes(kind, n, seed)
                est = bm.GMMMI(seed=seed, progress=False, categorical=True)
                x, labels, _ = check_paired(x, c, caller="bench", y_labels=True)
                ut = np.ascontiguousarray(((x - x.mean(0)) / x.std(0)).T)
                rng = np.random.default_rng(seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sels = [est._select(ut[:, labels == k], rng) for k in range(5)]
                beyond, expected, p = edge_test(
                    ut, labels, [s.fits[s.n_components].model for s in sels]
                )
                sums.append(beyond)
                warned.append(p < EDGE_P_VALUE)
            print(f"{kind:14s} {n:5d} {np.median(sums):10.1f} {expected:8d} "
                  f"{np.mean(warned):18.2f}")  # fmt: skip


def _gmm_joint_one(task):
    from bayesmi.estimators._edges import edge_test
    from validation.panel import get_cases

    name, n, rep = task
    (case,) = get_cases([name])
    x, y, z = case.sample(n, rep, 0)  # the validation suite's data set (seed 0)
    u = np.hstack([np.asarray(a, dtype=np.float64).reshape(n, -1) for a in (x, y, z)
                   if a is not None])  # fmt: skip
    ut = np.ascontiguousarray(((u - u.mean(0)) / u.std(0)).T)
    est = bm.GMMMI(seed=rep, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = est._select(ut, np.random.default_rng(rep))
    beyond, expected, p = edge_test(ut, np.zeros(n, dtype=int), [sel.fits[sel.n_components].model])
    return name, n, rep, beyond, expected, p


def gmm_joint(reps: int, n_jobs: int, results: str | None) -> None:
    """The edge test on the joint mixture of continuous gmm, on the validation panel's own data
    sets (seed 0): how often it fires (p < ``JOINT_EDGE_P_VALUE``) per case and n, and (with the
    suite's results.csv of a seed-0 run) the coverage of gmm's 90% HDI where it fires and where
    it does not."""
    import pandas as pd

    from bayesmi.estimators._edges import JOINT_EDGE_P_VALUE
    from validation.panel import get_cases

    names = [c.name for c in get_cases(None) if not c.discrete_y]
    tasks = [(name, n, r) for name in names for n in (300, 1000, 3000) for r in range(reps)]
    rows = run_parallel(_gmm_joint_one, tasks, n_jobs=n_jobs, progress=False)
    t = pd.DataFrame(rows, columns=["case", "n", "rep", "beyond", "expected", "p"])
    t["warns"] = t["p"] < JOINT_EDGE_P_VALUE
    agg = {"beyond": "median", "expected": "first", "warns": "mean"}
    if results:
        r = pd.read_csv(results)
        r = r[r["method"] == "gmm"]
        r = r.assign(
            covered=(r["hdi90_lo"] <= r["truth_nats"]) & (r["truth_nats"] <= r["hdi90_hi"])
        )
        t = t.merge(r[["case", "n", "rep", "covered"]], on=["case", "n", "rep"], how="left")
        t["covered_if_warned"] = t["covered"].where(t["warns"])
        t["covered_if_not"] = t["covered"].where(~t["warns"])
        agg.update(covered_if_warned="mean", covered_if_not="mean")
    print(f"p < {JOINT_EDGE_P_VALUE}; {reps} data sets per row; coverage: gmm's 90% HDI")
    print(t.groupby(["case", "n"], sort=False).agg(agg).round(2).to_string())
    if results:
        both = t.dropna(subset=["covered"])
        for w, g in both.groupby("warns"):
            print(f"warns={w}: {len(g)} data sets, gmm 90% HDI held the truth in "
                  f"{g['covered'].mean():.2f}")  # fmt: skip


def _bins_small_one(task):
    from scipy.stats import chi2

    from bayesmi.estimators._knn import ksg_mi_pointwise, prepare
    from bayesmi.estimators.bins import bin_codes, plugin_mi
    from validation.panel import get_cases

    name, n, rep = task
    (case,) = get_cases([name])
    x, y, _ = case.sample(n, rep, 0)  # the validation suite's data set (seed 0)
    x, y = (np.asarray(a, dtype=np.float64).reshape(n, -1) for a in (x, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = bm.BinsMI(seed=rep, progress=False, n_permutations=0).estimate(x, y)
    lo, hi = r.hdi(0.9)
    # Could a test see the dependence the table missed? k-NN (KSG, k = 3) against 20
    # permutations of y, and a G-test on a finer table (about 5 points a cell).
    rng = np.random.default_rng(rep)
    xs, ys = prepare(x, rng, 1e-10), prepare(y, rng, 1e-10)
    k0 = ksg_mi_pointwise(xs, ys).mean()
    null = [ksg_mi_pointwise(xs, ys[rng.permutation(n)]).mean() for _ in range(20)]
    z = (k0 - np.mean(null)) / np.std(null, ddof=1)
    k = max(2, int(np.sqrt(n / 5)))
    cx, cy = (bin_codes(a, k, "quantile", False, 2) for a in (x, y))
    p_g = chi2.sf(2 * n * plugin_mi(cx, cy, correction="none"), cx.max() * cy.max())
    mi = case.truth_nats
    return (name, n, rep, lo <= 0, lo <= mi <= hi, r.at_least(0.95) <= mi,  # lo <= 0: straddles
            z > 2.5, p_g < 0.01)  # fmt: skip


def bins_small(reps: int, n_jobs: int) -> None:
    """bins where the MI is small: how often its draws straddle 0, its 90% HDI and its 95%
    lower bound hold the truth, and how often a k-NN permutation test or a G-test on a finer
    table would see the dependence there (the candidates for a warning), on the validation
    panel's own data sets (seed 0)."""
    import pandas as pd

    names = ["gauss_r0", "gauss_r0.3", "student_df3_r0"]
    tasks = [(name, n, r) for name in names for n in (300, 1000, 3000) for r in range(reps)]
    rows = run_parallel(_bins_small_one, tasks, n_jobs=n_jobs, progress=False)
    cols = ["case", "n", "rep", "straddles", "hdi90_held", "lower95_held", "ksg_z", "g_test"]
    t = pd.DataFrame(rows, columns=cols)
    for c in ("ksg_z", "g_test"):  # a warning would fire only where the draws straddle 0
        t[c] = t[c] & t["straddles"]
    print(
        f"{reps} data sets per row; ksg_z: KSG z > 2.5 against 20 permutations, g_test: "
        "p < 0.01 on a table of about 5 points a cell; both counted where the draws straddle 0"
    )
    print(t.groupby(["case", "n"], sort=False)[cols[3:]].mean().round(2).to_string())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["ksg", "gmm", "gmm-joint", "bins-small"])
    p.add_argument("--reps", type=int, default=None)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--n", type=int, nargs="+", default=[300, 1000], help="ksg: sample sizes")
    p.add_argument("--cases", nargs="+", default=None, help="ksg: case names (default: all)")
    p.add_argument(
        "--results",
        default=None,
        help="gmm-joint: a seed-0 validation run's results.csv, for coverage",
    )
    args = p.parse_args()
    t0 = time.perf_counter()
    if args.what == "ksg":
        ksg(args.reps or 30, args.n_jobs, tuple(args.n), args.cases)
    elif args.what == "gmm":
        gmm(args.reps or 10)
    elif args.what == "gmm-joint":
        gmm_joint(args.reps or 10, args.n_jobs, args.results)
    else:
        bins_small(args.reps or 30, args.n_jobs)
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""Where bayes_gmm's misses come from, and what K uncertainty does to them: posteriors of the
same data sets under several component counts and weight priors, with timings and PSIS-LOO.

For every (case, replicate) of the validation panel it draws one data set, chooses K_cv as the
estimator does (gmm's cross-validation, the estimator's own random stream), then runs the
estimator once per variant with ``n_components = K_cv + extra`` and the variant's Dirichlet
concentration, and saves the MI draws, wall and CPU seconds, divergences, R-hat, how many
components hold weight, and the pointwise PSIS-LOO elpd (``arviz.loo`` on the mixture's
log-likelihood per point and draw) for averaging over K offline. One .npz per data set, written
as it comes, so a run can be stopped and resumed.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python -m validation.calibration.bayes_k run \
        --n 1000 --reps 10 --seed 160 --variants fixed,k+1,sparse+2 --out /tmp/bk
    python -m validation.calibration.bayes_k report /tmp/bk --n 1000 --seed 160 [--common]

Variants: ``fixed`` (K_cv, the default prior: the estimator as it was), ``k+1`` / ``k-1`` (one
component more / fewer, Dirichlet(1)), ``sparse+E`` (K_cv + E components, Dirichlet(0.1): spare
components empty out, Rousseau & Mengersen 2011), ``sparse+E:A`` (concentration A), and
``default`` (the estimator exactly as a user gets it now).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from validation.panel import get_cases

#: The cases bayes_gmm runs on in the validation panel (docs/validation.md).
CASES = "gauss_r0.6,gauss_r0.9,gauss_3d_r0.5,exp_halfcube_r0.6,student_df5_r0.6,mixture_x"


def parse_variant(name: str) -> dict:
    if name in ("default", "fixed"):
        return {"extra": 0, "alpha": None if name == "default" else 1.0, "k": name == "fixed"}
    if name.startswith("k+") or name.startswith("k-"):
        return {"extra": int(name[1:]), "alpha": 1.0, "k": True}
    if name.startswith("sparse+"):
        body = name[len("sparse+") :]
        extra, _, alpha = body.partition(":")
        return {"extra": int(extra), "alpha": float(alpha) if alpha else 0.1, "k": True}
    raise ValueError(f"unknown variant {name!r}")


def pointwise_loo(u: np.ndarray, weights, means, covs) -> tuple[np.ndarray, float]:
    """PSIS-LOO elpd per point (n,) and the largest Pareto k, from draws in data units."""
    import arviz as az

    from bayesmi.mixture import GaussianMixtureModel

    chains, draws = weights.shape[:2]
    ll = np.empty((chains, draws, len(u)))
    for c in range(chains):
        for d in range(draws):
            ll[c, d] = GaussianMixtureModel(weights[c, d], means[c, d], covs[c, d]).logpdf(u)
    idata = az.from_dict(posterior={"dummy": np.zeros((chains, draws))}, log_likelihood={"u": ll})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = az.loo(idata, pointwise=True)
    return np.asarray(res.loo_i), float(np.max(res.pareto_k))


#: Draws of the mixture kept per fit (evenly spaced over the chains), for offline statistics.
THIN = 100


def thinned(extras: dict, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``size`` evenly spaced draws of weights, means, covariances, flattened over chains."""
    w = extras["weights"].reshape(-1, *extras["weights"].shape[2:])
    idx = np.linspace(0, len(w) - 1, size).astype(int)
    return tuple(
        extras[k].reshape(-1, *extras[k].shape[2:])[idx] for k in ("weights", "means", "covs")
    )


def pointwise_pmi(u: np.ndarray, dx: int, weights, means, covs) -> np.ndarray:
    """Pointwise MI of every data point under each draw's mixture, shape (draws, n)."""
    from bayesmi.mixture import GaussianMixtureModel, pointwise_mi

    return np.stack(
        [
            pointwise_mi(GaussianMixtureModel(w, mu, cov), dx, u)
            for w, mu, cov in zip(weights, means, covs, strict=True)
        ]
    )


def one(case, n: int, rep: int, seed: int, variants: list[str], out: Path) -> None:
    import bayesmi as bm
    from bayesmi.estimators.bayes_gmm import BayesGMMMI
    from bayesmi.resampling import spawn_seeds

    path = out / f"{case.name}_n{n}_s{seed}_r{rep}.npz"
    have = dict(np.load(path, allow_pickle=True)) if path.exists() else {}
    todo = [v for v in variants if f"{v}__mi" not in have]
    if not todo:
        return
    x, y, _ = case.sample(n, rep, seed=seed)
    est = BayesGMMMI(seed=rep, progress=False)
    u = np.hstack([np.asarray(x).reshape(n, -1), np.asarray(y).reshape(n, -1)])
    u_std = (u - u.mean(0)) / u.std(0)
    k_cv, _ = est._choose_k(
        np.ascontiguousarray(u_std.T), np.random.default_rng(spawn_seeds(rep, 3)[0])
    )
    rec = dict(have)
    rec |= {"truth": case.truth_nats, "k_cv": k_cv, "case": case.name, "rep": rep}
    for v in todo:
        spec = parse_variant(v)
        kw = {}
        if spec["k"]:
            kw = {
                "n_components": max(1, k_cv + spec["extra"]),
                "weight_concentration": spec["alpha"],
            }
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", bm.BayesMIWarning)
            r = bm.estimate(x, y, method="bayes_gmm", seed=rep, progress=False, **kw)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        w = r.extras["weights"]
        loo_i, kmax = pointwise_loo(u, w, r.extras["means"], r.extras["covs"])
        thin = thinned(r.extras, THIN)
        pmi = pointwise_pmi(u, x.reshape(n, -1).shape[1], *thin)
        d = r.provenance["diagnostics"]
        rec |= {
            f"{v}__mi": np.asarray(r.raw_draws_nats),
            f"{v}__shown": np.asarray(r.draws_nats),
            f"{v}__k": r.provenance["n_components_used"],
            f"{v}__wall": wall,
            f"{v}__cpu": cpu,
            f"{v}__div": d.get("divergences", -1),
            f"{v}__rhat": d.get("r_hat", np.nan),
            f"{v}__ess": d.get("ess_bulk", np.nan),
            f"{v}__occupied": float(np.mean(np.sum(w > 0.02, axis=-1))),
            f"{v}__loo_i": loo_i,
            f"{v}__pareto_k": kmax,
            f"{v}__warnings": np.array([type(m.message).__name__ for m in caught]),
            f"{v}__p": float(np.ravel(r.extras.get("p_value", [np.nan]))[0]),
            f"{v}__thin_w": thin[0],
            f"{v}__thin_mu": thin[1],
            f"{v}__thin_cov": thin[2],
            # Per draw of the thinned set: the sd over the data points of the pointwise MI
            # (log p(x,y) / p(x) p(y)) divided by sqrt(n), the sampling sd of an efficient
            # nonparametric MI estimate (MI's influence function is pmi - I); and the pointwise
            # MI averaged over those draws, per point.
            f"{v}__np_sd": pmi.std(axis=1) / np.sqrt(n),
            f"{v}__pmi_mean": pmi.mean(axis=0),
        }
        print(
            f"{case.name} r{rep} {v}: K={rec[f'{v}__k']} mi {r.mean:.4f} ± {r.sd:.4f} "
            f"(truth {case.truth_nats:.4f}) {wall:.0f} s wall {cpu:.0f} s cpu "
            f"div {rec[f'{v}__div']} occ {rec[f'{v}__occupied']:.2f}",
            flush=True,
        )
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **rec)
        tmp.replace(path)


def run(a) -> None:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    variants = a.variants.split(",")
    for v in variants:
        parse_variant(v)
    cases = get_cases(a.cases)
    t0 = time.time()
    for rep in range(a.first_rep, a.first_rep + a.reps):
        for c in cases:
            one(c, a.n, rep, a.seed, variants, out)
        print(f"rep {rep}: {time.time() - t0:.0f} s", flush=True)


# -- the report ------------------------------------------------------------------------------
def load(out: str, n: int, seed: int) -> list[dict]:
    rows = []
    for p in sorted(Path(out).glob(f"*_n{n}_s{seed}_r*.npz")):
        d = dict(np.load(p, allow_pickle=True))
        rows.append({k: (v.item() if v.ndim == 0 else v) for k, v in d.items()})
    return rows


def hdi(draws: np.ndarray, prob: float = 0.9) -> tuple[float, float]:
    from bayesmi.intervals import hdi_bounds

    start, width, x = hdi_bounds(draws, prob)
    return float(x[start]), float(x[start + width])


def stacking_weights(loo: np.ndarray) -> np.ndarray:
    """Stacking weights (Yao et al. 2018) from pointwise LOO elpd, shape (n, models)."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    m = loo.shape[1]

    def neg(z):
        return -np.sum(logsumexp(loo + np.log(softmax(np.r_[z, 0.0]))[None, :], axis=1))

    res = minimize(neg, np.zeros(m - 1), method="Nelder-Mead" if m > 2 else "BFGS")
    return softmax(np.r_[res.x, 0.0])


def report(a) -> None:
    rows = load(a.out, a.n, a.seed)
    variants = sorted({k.split("__")[0] for r in rows for k in r if k.endswith("__mi")})
    if a.common:  # only the data sets every variant ran on: the same data for each
        rows = [r for r in rows if all(f"{v}__mi" in r for v in variants)]
    cases = list(dict.fromkeys(r["case"] for r in rows))
    print(f"{len(rows)} data sets, n = {a.n}, panel seed {a.seed}")
    print(
        "case: K_cv counts | per variant: bias of the posterior mean, mean posterior sd, sd of "
        "the posterior means, z var, coverage of the 90% HDI, median CPU s, divergences"
    )
    for v in variants:
        print(f"\n== {v}")
        hits_all = []
        for c in cases:
            rs = [r for r in rows if r["case"] == c and f"{v}__mi" in r]
            if not rs:
                continue
            t = rs[0]["truth"]
            means = np.array([r[f"{v}__mi"].mean() for r in rs])
            sds = np.array([r[f"{v}__mi"].std() for r in rs])
            hits = [
                hdi(widened(r[f"{v}__mi"], 1.0))[0] <= t <= hdi(widened(r[f"{v}__mi"], 1.0))[1]
                for r in rs
            ]
            z = (means - t) / sds
            ks = np.bincount([r["k_cv"] for r in rs])
            hits_all.append(np.mean(hits))
            print(
                f"{c:20s} n={len(rs):2d} Kcv {dict((i, int(k)) for i, k in enumerate(ks) if k)} "
                f"bias {means.mean() - t:+.4f} postsd {sds.mean():.4f} sd(means) "
                f"{means.std(ddof=1):.4f} zvar {np.mean(z**2):.2f} cov {np.mean(hits):.2f} "
                f"cpu {np.median([r[f'{v}__cpu'] for r in rs]):.0f} "
                f"div {sum(r[f'{v}__div'] > 0 for r in rs)} "
                f"occ {np.mean([r[f'{v}__occupied'] for r in rs]):.2f} "
                f"np/post {np.mean([np.mean(r[f'{v}__np_sd']) for r in rs]) / sds.mean():.2f}"
            )
        print(f"{'pooled':20s} cov {np.mean(hits_all):.3f}")
    constructed(rows, cases, variants)


def widened(draws: np.ndarray, scale: float) -> np.ndarray:
    """The posterior's deviations about its mean times ``scale``, clipped at 0."""
    return np.maximum(draws.mean() + scale * (draws - draws.mean()), 0.0)


def averaged(rows_draws: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Draws of a mixture of posteriors: from model m, round(w_m * S) evenly spaced draws."""
    size = rows_draws[0].size
    counts = np.round(weights * size).astype(int)
    counts[np.argmax(counts)] += size - counts.sum()
    parts = [
        np.ravel(d)[np.linspace(0, d.size - 1, c).astype(int)]
        for d, c in zip(rows_draws, counts, strict=True)
        if c > 0
    ]
    return np.concatenate(parts)


def constructed(rows, cases, variants) -> None:
    """Coverage of intervals built from the draws offline: the fixed-K posterior widened about
    its mean, and averages over K by stacking of PSIS-LOO (Yao et al. 2018)."""
    cons = {f"fixed x{s}": ("fixed", s) for s in (1.0, 1.1, 1.2, 1.3, 1.4, 1.5)}
    # The posterior widened to the nonparametric sd sqrt(Var(pmi) / n) where that is larger,
    # times a constant.
    cons |= {f"np x{s}": ("fixed", ("np", s)) for s in (1.0, 1.1, 1.2, 1.3)}
    for v in variants:
        if v != "fixed":
            cons |= {f"{v} x{s}": (v, s) for s in (1.0, 1.2)}
    if "k+1" in variants:
        cons["stack fixed,k+1"] = (["fixed", "k+1"], None)
    if "k+1" in variants and "k-1" in variants:
        cons["stack k-1,fixed,k+1"] = (["k-1", "fixed", "k+1"], None)
    print("\nconstructed intervals: coverage per case; pooled; largest RMSE ratio to fixed")
    table = {}
    for name, (base, s) in cons.items():
        cov, rmse, wts = {}, {}, []
        for c in cases:
            rs = [r for r in rows if r["case"] == c]
            names = base if isinstance(base, list) else [base]
            rs = [r for r in rs if all(f"{v}__mi" in r for v in names)]
            if not rs:
                continue
            hits, errs = [], []
            for r in rs:
                if isinstance(base, list):
                    # K_cv - 1 does not exist at K_cv = 1: stack what exists.
                    names_r = [
                        v for v in names if r[f"{v}__k"] != r.get("fixed__k", -1) or v == "fixed"
                    ]
                    loo = np.stack([r[f"{v}__loo_i"] for v in names_r], axis=1)
                    w = stacking_weights(loo)
                    wts.append(w[-1])
                    d = averaged([r[f"{v}__mi"] for v in names_r], w)
                elif isinstance(s, tuple):
                    raw = r[f"{base}__mi"]
                    ratio = max(1.0, float(np.mean(r[f"{base}__np_sd"])) / raw.std())
                    wts.append(ratio)
                    d = widened(raw, s[1] * ratio)
                else:
                    d = widened(r[f"{base}__mi"], s)
                lo, hi = hdi(d)
                hits.append(lo <= r["truth"] <= hi)
                errs.append(d.mean() - r["truth"])
            cov[c] = np.mean(hits)
            rmse[c] = np.sqrt(np.mean(np.square(errs)))
        table[name] = (cov, rmse, np.mean(wts) if wts else np.nan)
    ref = table["fixed x1.0"][1]
    print(f"{'case':20s} " + " ".join(f"{n[:18]:>18s}" for n in table))
    for c in cases:
        print(f"{c:20s} " + " ".join(f"{table[n][0].get(c, np.nan):18.2f}" for n in table))
    print(
        f"{'pooled':20s} " + " ".join(f"{np.mean(list(table[n][0].values())):18.3f}" for n in table)
    )
    print(
        f"{'RMSE ratio max':20s} "
        + " ".join(f"{max(table[n][1][c] / ref[c] for c in table[n][1]):18.2f}" for n in table)
    )
    print(f"{'mean w or ratio':20s} " + " ".join(f"{table[n][2]:18.2f}" for n in table))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--n", type=int, default=1000)
    r.add_argument("--reps", type=int, default=10)
    r.add_argument("--first-rep", type=int, default=0)
    r.add_argument("--seed", type=int, default=160)
    r.add_argument("--cases", default=CASES)
    r.add_argument("--variants", default="fixed,sparse+2")
    r.add_argument("--out", default="/tmp/bk")
    p = sub.add_parser("report")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=160)
    p.add_argument("--common", action="store_true", help="only data sets with every variant")
    a = ap.parse_args()
    run(a) if a.cmd == "run" else report(a)


if __name__ == "__main__":
    main()

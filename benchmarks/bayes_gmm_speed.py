"""Speed of ``bayes_gmm`` end to end (compilation included), with its diagnostics.

The issue's targets on a 2-core machine: n = 1000 two-dimensional points, 2 chains x 1000 draws
after the default tuning (1000 steps until 2026-12-02, 500 with nutpie since), in at most 60 s
with R-hat(mi) <= 1.01 and no divergences; n = 10000 in at most 5 minutes (NUTS or ADVI,
stated).

Each case runs in a fresh Python process, so the time includes importing PyMC and compiling the
model. ``--cold`` also points PyTensor at an empty compile directory, turns numba's disk cache
off and gives JAX an empty persistent cache, as on a fresh machine; without it a second run
reuses what the first compiled. ``--jax-cache DIR`` sets bayes_gmm's JAX cache directory
(``BAYESMI_JAX_CACHE``; "off" for none): run twice with the same empty DIR to time a fresh
process with an empty cache, then one with a warm cache.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --cold --jax-cache /tmp/jc  # empty
    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --cold --jax-cache /tmp/jc  # warm

    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --cold
    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --n 10000 --inference advi
    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --n-components 5 \
        --weight-concentration 0.2      # an overfitted mixture with a sparse Dirichlet
    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --data sin3x --n 2000
    OPENBLAS_NUM_THREADS=1 python benchmarks/bayes_gmm_speed.py --data moons --n 2000

``--data`` picks the case (``gauss``, rho = 0.6, the default; ``sin3x`` and ``moons``, shapes a
mixture fits only with many components, see :func:`make_data`); ``--draws``, ``--tune`` and
``--target-accept`` change those settings from the estimator's defaults; ``--nutpie NAME=VALUE``
passes an option to ``nutpie.sample`` (``low_rank_modified_mass_matrix=False``: its diagonal
mass matrix, bayes_gmm's before 2026-12-02); ``--start support`` starts the chains at PyMC's
support point (every component at the origin), as before 2026-12-02, instead of at the EM fit.

Prints, per case: wall time (s), the gradient evaluations nutpie made (warm-up and draws: a
count that the machine's load does not change) and CPU time (s: on a shared machine the CPU
time is the better guide to a quiet machine's wall time, which lies between CPU/2 and CPU with
2 chains on 2 cores), compile time (wall and CPU, s), divergences, R-hat, bulk ESS and the MI
posterior (nats) against the truth, and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CASE = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import bayesmi as bm
from bayesmi import truth
args = json.loads(sys.argv[1])
sys.path.insert(0, args["here"])
from bayes_gmm_speed import make_data
import nutpie
_sample, _seen = nutpie.sample, {}
def _counting(*a, **kw):  # keeps the warm-up's statistics, to count every gradient
    kw.update(args["nutpie_kw"])  # nutpie.sample's own options, passed through
    kw["save_warmup"] = True
    _seen["idata"] = _sample(*a, **kw)
    return _seen["idata"]
nutpie.sample = _counting
if args["start"] == "support":  # the chains at PyMC's support point, as before 2026-12-02
    from bayesmi.estimators import _bayes_model
    _bayes_model.START_AT_EM = False
x, y, mi_true = make_data(args["data"], args["n"], args["seed"])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", bm.BayesMIWarning)
    r = bm.estimate(x, y, method="bayes_gmm", seed=0, progress=False, inference=args["inference"],
                    sampler=args["sampler"], n_draws=args["draws"], tune=args["tune"], chains=2,
                    target_accept=args["target_accept"],
                    n_components=args["k"], weight_concentration=args["alpha"])
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
stats = r.to_inferencedata().get("sample_stats")
steps = gradients = None
if stats is not None and "n_steps" in stats:
    steps = float(stats["n_steps"].mean())
if "idata" in _seen:
    gradients = int(_seen["idata"].warmup_sample_stats["n_steps"].sum()
                    + _seen["idata"].sample_stats["n_steps"].sum())
p = r.provenance
d = p["diagnostics"]
print(json.dumps({
    "wall_s": wall, "cpu_s": use.ru_utime + use.ru_stime, "compile_s": p["compile_seconds"],
    "compile_cpu_s": p["compile_cpu_seconds"], "divergences": d.get("divergences"),
    "r_hat": d.get("r_hat"), "ess_bulk": d.get("ess_bulk"), "mean_nats": r.mean, "sd_nats": r.sd,
    "hdi90_nats": list(map(float, r.hdi(0.9))), "truth_nats": mi_true, "kind": r.kind,
    "k": p["n_components_used"], "mi_s": p.get("integral_seconds"),
    "warnings": [str(w.message)[:120] for w in caught], "steps": steps,
    "gradients": gradients,
}))
"""


NOISE = {"sin3x": 0.3, "moons": 0.1}


def make_data(name: str, n: int, seed: int):
    """x, y and the true MI (nats) of a case: ``gauss`` (rho = 0.6); ``sin3x``, y = sin(3x) +
    0.3 e with x, e standard normal (the mixture needs many components; the truth h(Y) - h(Y|X)
    by quadrature); ``moons``, two noisy half circles (sd 0.1 noise in each coordinate; the
    truth by Monte Carlo over 200,000 points with the densities integrated over the arc)."""
    import numpy as np

    from bayesmi import truth

    if name == "gauss":
        return truth.correlated_gaussian(0.6, n=n, seed=seed)
    rng = np.random.default_rng(seed)
    s = NOISE[name]
    if name == "sin3x":
        x = rng.standard_normal(n)
        return x, np.sin(3 * x) + s * rng.standard_normal(n), _sin3x_truth(s)
    x, y = _moons(rng, n, s)
    return x, y, _moons_truth(s)


def _sin3x_truth(s: float) -> float:
    import numpy as np
    from scipy.special import roots_hermitenorm

    t, w = roots_hermitenorm(400)
    w = w / w.sum()
    grid = np.linspace(-1 - 8 * s, 1 + 8 * s, 20001)
    dens = np.zeros_like(grid)
    for ti, wi in zip(t, w, strict=True):
        dens += wi * np.exp(-0.5 * ((grid - np.sin(3 * ti)) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    h_y = -np.trapezoid(np.where(dens > 0, dens * np.log(dens), 0.0), grid)
    return float(h_y - 0.5 * np.log(2 * np.pi * np.e * s**2))


def _moons(rng, n: int, s: float):
    import numpy as np

    t = rng.uniform(0, np.pi, n)
    upper = rng.integers(0, 2, n).astype(bool)
    x = np.where(upper, np.cos(t), 1 - np.cos(t)) + s * rng.standard_normal(n)
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t)) + s * rng.standard_normal(n)
    return x, y


def _moons_truth(s: float, n_mc: int = 200_000) -> float:
    import numpy as np

    rng = np.random.default_rng(12345)
    t = (np.arange(4000) + 0.5) / 4000 * np.pi
    arcs = [(np.cos(t), np.sin(t)), (1 - np.cos(t), 0.5 - np.sin(t))]
    x, y = _moons(rng, n_mc, s)
    total = 0.0
    for lo in range(0, n_mc, 500):
        xb, yb = x[lo : lo + 500, None], y[lo : lo + 500, None]
        px = py = pxy = 0.0
        for cx, cy in arcs:
            gx = np.exp(-0.5 * ((xb - cx) / s) ** 2) / (s * np.sqrt(2 * np.pi))
            gy = np.exp(-0.5 * ((yb - cy) / s) ** 2) / (s * np.sqrt(2 * np.pi))
            px, py, pxy = px + gx.mean(1) / 2, py + gy.mean(1) / 2, pxy + (gx * gy).mean(1) / 2
        total += np.sum(np.log(pxy) - np.log(px) - np.log(py))
    return float(total / n_mc)


def run_case(
    data: str,
    n: int,
    inference: str,
    sampler: str,
    cold: bool,
    seed: int,
    k: int | None,
    alpha: float,
    jax_cache: str | None = None,
    draws: int = 1000,
    tune: int | None = None,
    target_accept: float = 0.9,
    nutpie_kw: dict | None = None,
    start: str = "em",
) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if jax_cache is not None:
        env["BAYESMI_JAX_CACHE"] = jax_cache
    if cold:
        tmp = tempfile.mkdtemp(prefix="bayesmi-pytensor-")
        env["PYTENSOR_FLAGS"] = ",".join(
            f
            for f in (env.get("PYTENSOR_FLAGS"), f"base_compiledir={tmp}", "numba__cache=False")
            if f
        )
        if jax_cache is None:  # JAX's persistent cache, empty
            env["BAYESMI_JAX_CACHE"] = tempfile.mkdtemp(prefix="bayesmi-jax-")
    payload = json.dumps(
        {
            "data": data,
            "here": os.path.dirname(os.path.abspath(__file__)),
            "n": n,
            "inference": inference,
            "sampler": sampler,
            "seed": seed,
            "k": k,
            "alpha": alpha,
            "draws": draws,
            "tune": tune,
            "target_accept": target_accept,
            "nutpie_kw": nutpie_kw or {},
            "start": start,
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", CASE, payload], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--data", default="gauss", choices=["gauss", "sin3x", "moons"])
    ap.add_argument("--inference", default="nuts", choices=["nuts", "advi"])
    ap.add_argument("--sampler", default="nutpie", choices=["nutpie", "nutpie-numba", "pymc"])
    ap.add_argument("--cold", action="store_true", help="empty PyTensor and numba caches")
    ap.add_argument("--jax-cache", default=None, help="BAYESMI_JAX_CACHE for the fit")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--n-components", type=int, default=None, help="K (default: cross-validated, as gmm)"
    )
    ap.add_argument("--weight-concentration", type=float, default=1.0, help="Dirichlet alpha")
    ap.add_argument("--draws", type=int, default=1000, help="draws a chain (the default)")
    ap.add_argument(
        "--tune", type=int, default=None, help="tuning steps a chain (default: the estimator's)"
    )
    ap.add_argument("--target-accept", type=float, default=0.9, help="NUTS (the default)")
    ap.add_argument(
        "--nutpie",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an option of nutpie.sample, passed through (a Python literal), e.g. "
        "low_rank_modified_mass_matrix=False",
    )
    ap.add_argument(
        "--start",
        default="em",
        choices=["em", "support"],
        help="where the chains start: the EM fit (the default) or PyMC's support point",
    )
    args = ap.parse_args()
    import ast

    nutpie_kw = {k: ast.literal_eval(v) for k, v in (o.split("=", 1) for o in args.nutpie)}
    for n in args.n:
        load_before = os.getloadavg()[0]
        res = run_case(
            args.data,
            n,
            args.inference,
            args.sampler,
            args.cold,
            args.seed,
            args.n_components,
            args.weight_concentration,
            args.jax_cache,
            args.draws,
            args.tune,
            args.target_accept,
            nutpie_kw,
            args.start,
        )
        load_after = os.getloadavg()[0]
        rhat = "n/a" if res["r_hat"] is None else f"{res['r_hat']:.3f}"
        ess = "n/a" if res["ess_bulk"] is None else f"{res['ess_bulk']:.0f}"
        lo, hi = res["hdi90_nats"]
        print(
            f"{args.data} n={n} "
            f"{args.inference}/{args.sampler if args.inference == 'nuts' else 'advi'}"
            f"{' cold' if args.cold else ''}: {res['wall_s']:.1f} s end to end, "
            f"{res['cpu_s']:.1f} s CPU (compile {res['compile_s'] or 0:.1f} s, "
            f"{res['compile_cpu_s'] or 0:.1f} s CPU; per-draw MI {res['mi_s'] or 0:.1f} s), "
            f"K={res['k']}, "
            f"divergences {res['divergences']}, leapfrog steps a draw "
            f"{'n/a' if res['steps'] is None else format(res['steps'], '.1f')}, gradients "
            f"(warm-up and draws) {res['gradients'] or 'n/a'}, "
            f"R-hat(mi) {rhat}, ESS_bulk(mi) {ess}, MI {res['mean_nats']:.4f} +- "
            f"{res['sd_nats']:.4f} nats, 90% HDI [{lo:.4f}, {hi:.4f}] nats (truth "
            f"{res['truth_nats']:.4f} nats), {res['kind']}; load average {load_before:.1f} -> "
            f"{load_after:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        for w in res["warnings"]:
            print(f"  warning: {w}")


if __name__ == "__main__":
    main()

"""Speed of ``bayes_gmm`` end to end (compilation included), with its diagnostics.

The issue's targets on a 2-core machine: n = 1000 two-dimensional points, 2 chains x 1000 draws
after 1000 tuning steps, in at most 60 s with R-hat(mi) <= 1.01 and no divergences; n = 10000 in
at most 5 minutes (NUTS or ADVI, stated).

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

Prints, per case: wall time (s) and CPU time (s: on a shared machine the CPU time is the
better guide to a quiet machine's wall time, which lies between CPU/2 and CPU with 2 chains on
2 cores), compile time (wall and CPU, s), divergences, R-hat, bulk ESS and the MI
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
x, y, mi_true = truth.correlated_gaussian(0.6, n=args["n"], seed=args["seed"])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", bm.BayesMIWarning)
    r = bm.estimate(x, y, method="bayes_gmm", seed=0, progress=False, inference=args["inference"],
                    sampler=args["sampler"], n_draws=1000, tune=1000, chains=2,
                    n_components=args["k"], weight_concentration=args["alpha"])
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
p = r.provenance
d = p["diagnostics"]
print(json.dumps({
    "wall_s": wall, "cpu_s": use.ru_utime + use.ru_stime, "compile_s": p["compile_seconds"],
    "compile_cpu_s": p["compile_cpu_seconds"], "divergences": d.get("divergences"),
    "r_hat": d.get("r_hat"), "ess_bulk": d.get("ess_bulk"), "mean_nats": r.mean, "sd_nats": r.sd,
    "hdi90_nats": list(map(float, r.hdi(0.9))), "truth_nats": mi_true, "kind": r.kind,
    "k": p["n_components_used"], "warnings": [str(w.message)[:120] for w in caught],
}))
"""


def run_case(
    n: int,
    inference: str,
    sampler: str,
    cold: bool,
    seed: int,
    k: int | None,
    alpha: float,
    jax_cache: str | None = None,
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
        {"n": n, "inference": inference, "sampler": sampler, "seed": seed, "k": k, "alpha": alpha}
    )
    out = subprocess.run(
        [sys.executable, "-c", CASE, payload], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000])
    ap.add_argument("--inference", default="nuts", choices=["nuts", "advi"])
    ap.add_argument("--sampler", default="nutpie", choices=["nutpie", "nutpie-numba", "pymc"])
    ap.add_argument("--cold", action="store_true", help="empty PyTensor and numba caches")
    ap.add_argument("--jax-cache", default=None, help="BAYESMI_JAX_CACHE for the fit")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--n-components", type=int, default=None, help="K (default: cross-validated, as gmm)"
    )
    ap.add_argument("--weight-concentration", type=float, default=1.0, help="Dirichlet alpha")
    args = ap.parse_args()
    for n in args.n:
        load_before = os.getloadavg()[0]
        res = run_case(
            n,
            args.inference,
            args.sampler,
            args.cold,
            args.seed,
            args.n_components,
            args.weight_concentration,
            args.jax_cache,
        )
        load_after = os.getloadavg()[0]
        rhat = "n/a" if res["r_hat"] is None else f"{res['r_hat']:.3f}"
        ess = "n/a" if res["ess_bulk"] is None else f"{res['ess_bulk']:.0f}"
        lo, hi = res["hdi90_nats"]
        print(
            f"n={n} {args.inference}/{args.sampler if args.inference == 'nuts' else 'advi'}"
            f"{' cold' if args.cold else ''}: {res['wall_s']:.1f} s end to end, "
            f"{res['cpu_s']:.1f} s CPU (compile {res['compile_s'] or 0:.1f} s, "
            f"{res['compile_cpu_s'] or 0:.1f} s CPU), K={res['k']}, "
            f"divergences {res['divergences']}, "
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

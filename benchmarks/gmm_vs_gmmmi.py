"""bayesmi's ``gmm`` against the gmm-mi package, side by side on the same data, in one run.

gmm-mi runs in its own environment (``bash benchmarks/setup_gmmmi_env.sh``; it needs
scikit-learn 1.5 and numpy < 2) as a subprocess of ``gmmmi_runner.py``; bayesmi runs here.
Both get one BLAS thread per process, the same data, the same bootstrap count and the same
Monte Carlo sample count.

Rows:
- ``bayesmi matched``: gmm-mi's scheme (count chosen once, Monte Carlo with the same sample
  count), so the ratio compares like with like;
- ``bayesmi default``: the library's defaults (count chosen again on every resample, quadrature
  for 1-D pairs);
- each with ``n_jobs=1`` and ``n_jobs=2``.

Usage::

    bash benchmarks/setup_gmmmi_env.sh
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/gmm_vs_gmmmi.py [--n 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GMMMI_PYTHON = Path(os.environ.get("GMMMI_ENV", "/work/bench-envs/gmmmi")) / "bin" / "python"


def run_gmmmi(x, y, n_bootstrap, mc_samples, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "in.npz", Path(tmp) / "out.json"
        np.savez(data, x=x, y=y)
        cmd = [
            str(GMMMI_PYTHON),
            str(HERE / "gmmmi_runner.py"),
            str(data),
            str(out),
            "--n-bootstrap",
            str(n_bootstrap),
            "--mc-samples",
            str(mc_samples),
            "--repeat",
            str(repeat),
        ]
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        subprocess.run(cmd, check=True, env=env)
        res = json.loads(out.read_text())
    return res["mi_mean"], res["mi_std"], res["seconds"]


def run_bayesmi(x, y, repeat, **kw):
    import bayesmi as bm

    times, r = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        r = bm.estimate(x, y, method="gmm", progress=False, **kw)
        times.append(time.perf_counter() - t)
    return r.mean, r.sd, statistics.median(times), r.provenance.get("n_mc_used")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rho", type=float, nargs="+", default=[0.6, 0.9])
    p.add_argument("--n-bootstrap", type=int, default=50)
    p.add_argument("--mc-samples", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    if not GMMMI_PYTHON.exists():
        sys.exit(
            f"gmm-mi environment not found at {GMMMI_PYTHON}: run benchmarks/setup_gmmmi_env.sh"
        )
    from bayesmi import truth

    # Warm the joblib worker pool once, so n_jobs=2 rows time the work, not process start-up.
    run_bayesmi(*truth.correlated_gaussian(0.5, 300, seed=0)[:2], 1, n_jobs=2, n_draws=4)
    # "MC" is the Monte Carlo sample count each draw used ("quad": quadrature); bayesmi raises
    # it only when the Monte Carlo error is not below 0.2 sd of the draws.
    print(
        f"n = {args.n}, {args.n_bootstrap} bootstraps, {args.mc_samples} MC samples, "
        f"median of {args.repeat} runs; MI in nats"
    )
    header = (
        f"{'rho':>4} {'estimator':<28} {'mean':>7} {'sd':>6} {'seconds':>8} {'speed-up':>8} "
        f"{'MC':>7}"
    )
    print(header)
    for rho in args.rho:
        x, y, mi_true = truth.correlated_gaussian(rho, args.n, seed=0)
        x, y = x[:, 0], y[:, 0]
        m, s, t_ref = run_gmmmi(x, y, args.n_bootstrap, args.mc_samples, args.repeat)
        print(
            f"{rho:>4} {'gmm-mi 0.8.2':<28} {m:7.4f} {s:6.4f} {t_ref:8.2f} {'1.0x':>8} "
            f"{args.mc_samples:>7}   truth {mi_true:.4f}"
        )
        matched = {"select": "fixed", "mi_method": "mc", "n_mc": args.mc_samples}
        rows = [
            ("bayesmi matched, n_jobs=1", matched | {"n_jobs": 1}),
            ("bayesmi matched, n_jobs=2", matched | {"n_jobs": 2}),
            ("bayesmi default, n_jobs=1", {"n_jobs": 1}),
            ("bayesmi default, n_jobs=2", {"n_jobs": 2}),
        ]
        for name, kw in rows:
            m, s, t, n_mc = run_bayesmi(x, y, args.repeat, seed=0, n_draws=args.n_bootstrap, **kw)
            mc = "quad" if n_mc is None else str(n_mc)
            print(f"{rho:>4} {name:<28} {m:7.4f} {s:6.4f} {t:8.2f} {t_ref / t:7.1f}x {mc:>7}")


if __name__ == "__main__":
    main()

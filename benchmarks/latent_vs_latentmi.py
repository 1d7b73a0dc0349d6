"""bayesmi's ``latent`` against the latentmi package on latentmi's own example, side by side.

The data (latentmi's quick-start notebook): a 2-D Gaussian latent with covariance
[[6, 3], [3, 3.5]]; x is its first coordinate times a random 1 x 100 projection, y its second
times another; 10^4 samples. True MI: -1/2 log2(1 - 3^2 / (6 * 3.5)) = 0.4037 bits
(0.2798 nats): the projections are injective, so MI is that of the 2-D latent.
``--data-seed 2121`` draws exactly the notebook's data (numpy's legacy generator, same calls).

latentmi runs in its own venv (``bash validation/setup_latentmi_env.sh``) as a subprocess of
``latentmi_runner.py`` with its defaults; bayesmi runs here with its defaults. Both use one
torch thread on the CPU, one after the other on the same data, so the machine load is the
same for both (it is printed). On a shared machine compare the CPU seconds: the
wall time depends on what else runs.

Usage::

    bash validation/setup_latentmi_env.sh
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/latent_vs_latentmi.py \
        [--data-seeds 2121 7] [--n 10000] [--skip-latentmi] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

#: The peers' environments (validation/setup_*_env.sh), inside the repository.
PEER_ENVS = Path(__file__).resolve().parent.parent / ".peer-envs"
LATENTMI_PYTHON = (
    Path(os.environ.get("LATENTMI_ENV", str(PEER_ENVS / "latentmi"))) / "bin" / "python"
)
COV = np.array([[6.0, 3.0], [3.0, 3.5]])
TRUTH_NATS = -0.5 * np.log(1 - COV[0, 1] ** 2 / (COV[0, 0] * COV[1, 1]))
LN2 = np.log(2.0)


def make_data(n: int, seed: int, dim: int = 100):
    """latentmi's example; with seed 2121 and n 10^4, exactly the notebook's arrays."""
    rs = np.random.RandomState(seed)
    intrinsic = rs.multivariate_normal([0, 0], cov=COV, size=n)
    x_proj = rs.normal(size=(1, dim))
    y_proj = rs.normal(size=(1, dim))
    return intrinsic[:, [0]] @ x_proj, intrinsic[:, [1]] @ y_proj


def run_latentmi(x, y, seed: int, epochs: int):
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "in.npz", Path(tmp) / "out.json"
        np.savez(data, x=x, y=y)
        cmd = [str(LATENTMI_PYTHON), str(HERE / "latentmi_runner.py"), str(data), str(out)]
        cmd += ["--seed", str(seed), "--epochs", str(epochs)]
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        subprocess.run(cmd, check=True, env=env)
        return json.loads(out.read_text())


def run_bayesmi(x, y, seed: int, **kw):
    import torch

    import bayesmi as bm

    torch.set_num_threads(1)
    t, cpu = time.perf_counter(), time.process_time()
    r = bm.estimate(x, y, method="latent", seed=seed, progress=False, **kw)
    seconds = time.perf_counter() - t
    cpu_seconds = time.process_time() - cpu
    b = r.to("bits")
    lo, hi = b.hdi(0.9)
    return {
        "mi_bits": b.mean,
        "sd_bits": b.sd,
        "hdi90_bits": [lo, hi],
        "at_least_95_bits": b.at_least(0.95),
        "repeat_estimates_bits": (r.extras["repeat_estimate_nats"] / LN2).tolist(),
        "best_epochs": r.extras["member_best_epoch"].tolist(),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--data-seeds", type=int, nargs="+", default=[2121])
    p.add_argument("--epochs", type=int, default=300, help="latentmi's max epochs")
    p.add_argument("--skip-latentmi", action="store_true")
    p.add_argument("--json", type=Path, help="write every row here as well")
    args = p.parse_args(argv)
    if not args.skip_latentmi and not LATENTMI_PYTHON.exists():
        sys.exit(
            f"no latentmi venv at {LATENTMI_PYTHON}: run bash validation/setup_latentmi_env.sh"
        )
    truth_bits = TRUTH_NATS / LN2
    print(f"truth {truth_bits:.4f} bits ({TRUTH_NATS:.4f} nats), n = {args.n}, x and y 100-D")
    rows = []
    for ds in args.data_seeds:
        x, y = make_data(args.n, ds)
        print(f"\n-- data seed {ds}: load average before bayesmi {load()}", flush=True)
        ours = run_bayesmi(x, y, seed=ds)
        rows.append({"tool": "bayesmi latent (defaults)", "data_seed": ds, **ours})
        print(
            f"bayesmi  {ours['mi_bits']:.4f} bits (error {ours['mi_bits'] - truth_bits:+.4f}), "
            f"sd {ours['sd_bits']:.4f}, 90% HDI [{ours['hdi90_bits'][0]:.4f}, "
            f"{ours['hdi90_bits'][1]:.4f}] bits, MI >= {ours['at_least_95_bits']:.4f} bits "
            f"w.p. 0.95; {ours['seconds']:.0f} s wall, {ours['cpu_seconds']:.0f} s CPU; "
            f"load after {load()}",
            flush=True,
        )
        if not args.skip_latentmi:
            theirs = run_latentmi(x, y, seed=ds, epochs=args.epochs)
            rows.append({"tool": "latentmi (defaults)", "data_seed": ds, **theirs})
            print(
                f"latentmi {theirs['mi_bits']:.4f} bits (error "
                f"{theirs['mi_bits'] - truth_bits:+.4f}), no interval; "
                f"{theirs['seconds']:.0f} s wall, {theirs['cpu_seconds']:.0f} s CPU; "
                f"load after {load()}; latentmi / bayesmi: "
                f"wall {theirs['seconds'] / ours['seconds']:.1f}x, "
                f"CPU {theirs['cpu_seconds'] / ours['cpu_seconds']:.1f}x",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps({"truth_bits": truth_bits, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()

"""bayesmi method="neural" beside torch-mist 0.2.17 on a correlated Gaussian, same data, same
held-out 20%, one thread each, run one after the other in this process's run.

    python3 -m venv .peer-envs/torchmist
    .peer-envs/torchmist/bin/pip install -c constraints.txt \
        torch==2.13.0 torch-mist pandas
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/neural_vs_torchmist.py

torch-mist runs in its own environment (never a bayesmi dependency) through
benchmarks/torchmist_runner.py. Both: MLP critics with hidden layers (64, 64), batch 128, at
most 2000 steps, early stopping on a validation part; torch-mist gives one number, bayesmi a
distribution over 5 critics (mean, sd, "MI >= a with probability 0.95").
"""

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch

import bayesmi as bm
from bayesmi import truth

#: The peers' environments (validation/setup_*_env.sh), inside the repository.
PEER_ENVS = Path(__file__).resolve().parent.parent / ".peer-envs"

TM_PYTHON = os.environ.get("TORCHMIST_PYTHON", str(PEER_ENVS / "torchmist" / "bin" / "python"))
RUNNER = str(Path(__file__).with_name("torchmist_runner.py"))


def main(rho=0.9, dim=1, n=5000, seed=0):
    torch.set_num_threads(1)
    x, y, mi = truth.correlated_gaussian(rho, n, dim=dim, seed=seed)
    print(f"rho {rho}, dim {dim}, n {n}, truth {mi:.4f} nats; load {os.getloadavg()}")
    print(f"{'estimator':32s} {'MI nats':>8s} {'sd':>6s} {'MI >= a':>8s} {'seconds':>8s}")
    for est in ("infonce", "smile"):
        out = subprocess.run(
            [TM_PYTHON, RUNNER, str(rho), str(dim), str(n), str(seed), est],
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{'torch-mist ' + est:32s} {res['mi_nats']:8.3f} {'':>6s} {'':>8s} "
            f"{res['seconds']:8.1f}",
            flush=True,
        )
        for n_critics in (1, 5):
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", bm.ConvergenceWarning)
                r = bm.estimate(
                    x,
                    y,
                    method="neural",
                    objective=est,
                    n_critics=n_critics,
                    seed=seed,
                    progress=False,
                )
            sec = time.perf_counter() - t
            a = f"{r.at_least(0.95):8.3f}" if r.bound == "lower" else f"{'-':>8s}"
            print(
                f"{f'bayesmi {est}, {n_critics} critic(s)':32s} {r.mean:8.3f} {r.sd:6.3f} {a} "
                f"{sec:8.1f}",
                flush=True,
            )
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main(*[float(a) if i == 0 else int(a) for i, a in enumerate(sys.argv[1:])])

"""Run torch-mist on a correlated Gaussian; called by neural_vs_torchmist.py in torch-mist's own
environment (python3 -m venv .peer-envs/torchmist; pip install torch==2.13.0 torch-mist).

    python torchmist_runner.py RHO DIM N SEED ESTIMATOR

Prints one JSON line: the estimate on held-out data (nats) and the seconds. The data are drawn
as bayesmi.truth.correlated_gaussian draws them (same generator, same seed), and the last 20%
are the test data, as bayesmi holds out 20% per critic.
"""

import json
import sys
import time

import numpy as np
import torch


def main():
    rho, dim, n, seed = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    estimator = sys.argv[5]
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    x, y = x.astype(np.float32), y.astype(np.float32)
    t = time.perf_counter()
    mi = estimate(x, y, estimator)
    seconds = time.perf_counter() - t
    print(json.dumps({"mi_nats": mi, "seconds": seconds}))


def estimate(x, y, estimator: str) -> float:
    """torch-mist's estimate in nats: MLP critics (64, 64), batch 128, at most 2000 steps, its
    early stopping, the first 20% of the rows as test data (float32 arrays, (n, d))."""
    from torch_mist import estimate_mi

    n_test = int(0.2 * len(x))
    mi = estimate_mi(
        data=(x[n_test:], y[n_test:]),
        test_data=(x[:n_test], y[:n_test]),
        estimator=estimator,
        hidden_dims=[64, 64],
        batch_size=128,
        max_iterations=2000,
        verbose=False,
    )
    return float(mi[0] if isinstance(mi, tuple) else mi)


if __name__ == "__main__":
    main()

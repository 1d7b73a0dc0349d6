#!/usr/bin/env python3
"""Run torch-mist (0.2.17) on many (x, y) data sets in one process, for the validation suite.

Executed by the interpreter of torch-mist's own environment (python3 -m venv
/work/bench-envs/torchmist; pip install torch==2.13.0 torch-mist), never imported by bayesmi.
The settings are those of ``benchmarks/neural_vs_torchmist.py``: MLP critics (64, 64), batch
128, at most 2000 steps, torch-mist's own early stopping, and the first 20% of the rows given
as test data (by default it reads its estimate out on the training data). A point estimate
in nats.

Usage: PYTHON torchmist_batch.py IN.npz OUT.json   (the format of ``peer_io.py``)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ESTIMATORS = {"torchmist_infonce": "infonce", "torchmist_smile": "smile"}


def one(x, y, seed: int, estimator: str) -> dict:
    import numpy as np
    import torch
    from torch_mist import estimate_mi

    torch.manual_seed(seed)
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
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
    mi = mi[0] if isinstance(mi, tuple) else mi
    return {"estimate_nats": float(mi)}


def main(argv):
    import peer_io
    import torch

    torch.set_num_threads(1)
    for x, y, seed, methods, put in peer_io.datasets(argv[1]):
        for m in methods:
            put(m, lambda m=m, x=x, y=y, seed=seed: one(x, y, seed, ESTIMATORS[m]))
    peer_io.write(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

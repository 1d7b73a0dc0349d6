#!/usr/bin/env python3
"""Run torch-mist (0.2.17) on many (x, y) data sets in one process, for the validation suite.

Executed by the interpreter of torch-mist's own environment (python3 -m venv
.peer-envs/torchmist; pip install torch==2.13.0 torch-mist), never imported by bayesmi.
The call is ``benchmarks/torchmist_runner.py``'s (as ``benchmarks/neural_vs_torchmist.py`` makes
it): MLP critics (64, 64), batch 128, at most 2000 steps, torch-mist's own early stopping, and
the first 20% of the rows given as test data (by default it reads its estimate out on the
training data). A point estimate in nats.

Usage: PYTHON torchmist_batch.py IN.npz OUT.json   (the format of ``peer_io.py``)
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

ESTIMATORS = {"torchmist_infonce": "infonce"}


def one(x, y, seed: int, estimator: str) -> dict:
    import numpy as np
    import torch
    from torchmist_runner import estimate

    torch.manual_seed(seed)
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    return {"estimate_nats": estimate(x, y, estimator)}


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

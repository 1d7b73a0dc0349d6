#!/usr/bin/env python3
"""Run latentmi (0.1.3) on many (x, y) data sets in one process, for the validation suite.

Executed by the interpreter of latentmi's own environment (``validation/setup_latentmi_env.sh``),
never imported by bayesmi. Its documented call with its defaults (latent size 8, half the
samples held out, up to 300 epochs, patience 30), as ``benchmarks/latentmi_runner.py`` makes
it; the estimate is the mean of its pointwise MI on the held-out half, converted from bits
(latentmi's unit) to nats. A point estimate.

Usage: PYTHON latentmi_batch.py IN.npz OUT.json   (the format of ``peer_io.py``)
"""

import contextlib
import io
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def one(x, y, seed: int) -> dict:
    import numpy as np
    import torch
    from latentmi import lmi

    np.random.seed(seed)  # noqa: NPY002 - latentmi draws its split from numpy's global generator
    torch.manual_seed(seed)  # and its weights from torch's
    # latentmi prints one progress line per epoch even when quiet: keep it out of the log.
    with contextlib.redirect_stdout(io.StringIO()):
        pmis, _, _ = lmi.estimate(np.asarray(x), np.asarray(y), device="cpu")
    return {"estimate_nats": float(np.nanmean(pmis)) * math.log(2)}


def main(argv):
    import peer_io
    import torch

    torch.set_num_threads(1)
    for x, y, seed, methods, put in peer_io.datasets(argv[1]):
        for m in methods:
            put(m, lambda x=x, y=y, seed=seed: one(x, y, seed))
    peer_io.write(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

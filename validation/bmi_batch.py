#!/usr/bin/env python3
"""Run the BMI benchmark's estimators (benchmark-mi 0.1.3, ``import bmi``) on many (x, y) data
sets in one process, for the validation suite.

Executed by the interpreter of its own environment (``validation/setup_bmi_env.sh``), never
imported by bayesmi. Each estimator is the package's own class with its defaults, except the
neural one's step count (below); every one gives a point estimate in nats.

Usage: PYTHON bmi_batch.py IN.npz OUT.json   (the format of ``peer_io.py``)
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# One CPU thread for XLA, as every method of the suite runs single-threaded.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

#: InfoNCE's step count: its default is 10,000 (minutes a data set on one CPU thread); 2,000
#: steps with its other defaults (batch 256, half the data held out for the readout).
INFONCE_STEPS = 2000


def make(method: str, seed: int):
    from bmi import estimators as E

    if method == "bmi_ksg":
        return E.KSGEnsembleFirstEstimator()  # KSG eq. 8, mean over k = 5 and 10, Euclidean
    if method == "bmi_hist":
        return E.HistogramEstimator()  # 5 equal-width bins per dimension
    if method == "bmi_cca":
        return E.CCAMutualInformationEstimator()  # the MI of a Gaussian with the sample's CCA
    if method == "bmi_kde":
        return E.KDEMutualInformationEstimator()  # top-hat kernels, Scott's bandwidth
    if method == "bmi_infonce":
        return E.InfoNCEEstimator(max_n_steps=INFONCE_STEPS, verbose=False, seed=seed)
    raise ValueError(f"bmi_batch: unknown method {method!r}")


def main(argv):
    import peer_io

    for x, y, seed, methods, put in peer_io.datasets(argv[1]):
        for m in methods:
            put(m, lambda m=m, x=x, y=y, seed=seed: {
                "estimate_nats": float(make(m, seed).estimate(x, y))})  # fmt: skip
    peer_io.write(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

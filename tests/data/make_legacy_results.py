"""Writes the result files that tests/test_result_fields.py loads: saved by bayesmi as it was at
commit 2d26579 (before MIResult had typed fields for the full-data estimate, the independence
test, the training log and the ceiling), so that files from that version keep loading.

Run once, from the repository root, with that version: python tests/data/make_legacy_results.py
"""

import warnings

import numpy as np

import bayesmi as bm
from bayesmi import truth

x, y, _ = truth.correlated_gaussian(0.6, n=200, seed=7)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    bm.estimate(
        x,
        y,
        method="gmm",
        seed=0,
        progress=False,
        n_bootstrap=8,
        n_permutations=9,
        max_components=2,
    ).save("tests/data/legacy_gmm.nc")
    bm.estimate(x, y, method="ksg", seed=0, progress=False, n_draws=12, n_permutations=9).save(
        "tests/data/legacy_ksg.nc"
    )
    bm.estimate(
        x,
        y,
        method="neural",
        seed=0,
        progress=False,
        n_critics=2,
        n_resamples=4,
        max_iterations=40,
        eval_every=20,
        hidden=(8,),
        embed_dim=4,
        batch_size=32,
    ).save("tests/data/legacy_neural.nc")
print(np.__version__, bm.__version__)

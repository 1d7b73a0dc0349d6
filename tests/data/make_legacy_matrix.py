"""Writes the MIMatrix files that tests/test_matrix.py loads: a saved matrix and a run's
checkpoint, written by bayesmi at commit 5067e0f (``bayesmi/matrix.py`` one module, before it
became the package ``bayesmi/matrix/``), so that files from that version keep loading.

Run once, from the repository root, with that version: python tests/data/make_legacy_matrix.py
"""

import numpy as np
import pandas as pd

import bayesmi as bm

rng = np.random.default_rng(11)
a = rng.standard_normal(200)
table = pd.DataFrame(
    {"a": a, "b": 0.8 * a + 0.6 * rng.standard_normal(200), "c": rng.standard_normal(200)}
)
np.save("tests/data/legacy_matrix_data.npy", table.to_numpy())  # columns a, b, c
kw = dict(method="ksg", seed=3, progress=False, n_draws=12, n_permutations=9)
m = bm.mi_matrix(table, checkpoint="tests/data/legacy_matrix_checkpoint.nc", **kw)
m.save("tests/data/legacy_matrix.nc")
print(m.mean.round(4), bm.__version__)

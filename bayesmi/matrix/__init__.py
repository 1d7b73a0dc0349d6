"""MI with draws for many pairs of variables: every pair of columns of a table, every column of
one table against every column of another, or column groups; on one machine (joblib) or on a
Dask cluster.

Each pair is one call of a registered estimator (``bm.methods()``), so every method, including
ones registered later, works unchanged. Each pair's seed is derived from the master seed and the
pair's *names* (a hash of ``(seed, name_x, name_y)``), so a pair's draws do not depend on which
other columns are present, on ``n_jobs``, on the backend that ran it, or on how the pairs were
chunked for the workers.

The result, :class:`MIMatrix`, wraps an xarray Dataset with the draws in nats,
dims ``(x_var, y_var, chain, draw)``, and gives mean, sd and HDI tables, a tidy table, a heat
map, a multiple-testing-aware list of the pairs whose MI is above zero, and atomic netCDF files.

The package, one job a module:

- :mod:`~bayesmi.matrix.pairs`: the tables read and checked, the variables and the pairs, each
  pair's seed (:func:`pair_seed`);
- :mod:`~bayesmi.matrix.running`: running the pairs (this process, joblib workers in timed
  chunks, or Dask), each pair one call of its registered estimator;
- :mod:`~bayesmi.matrix.checkpoint`: the finished pairs and the checkpoint file;
- :mod:`~bayesmi.matrix.stats`: p-values per pair and their multiple-testing adjustment;
- :mod:`~bayesmi.matrix.labelled`: the labelled result (:class:`MIMatrix`) and its files;
- :mod:`~bayesmi.matrix.entry`: :func:`mi_matrix`, which puts them together.
"""

from bayesmi.matrix.checkpoint import CHECKPOINT_EVERY_S
from bayesmi.matrix.entry import BACKENDS, SELECT_SUBSAMPLE, mi_matrix
from bayesmi.matrix.labelled import LabelledDraws, MIMatrix, load_matrix
from bayesmi.matrix.pairs import pair_seed
from bayesmi.matrix.running import CHUNK_SECONDS, CHUNK_SHARE
from bayesmi.matrix.stats import CORRECTIONS, P_SOURCES, adjust_p

__all__ = [
    "BACKENDS",
    "CHECKPOINT_EVERY_S",
    "CHUNK_SECONDS",
    "CHUNK_SHARE",
    "CORRECTIONS",
    "P_SOURCES",
    "SELECT_SUBSAMPLE",
    "LabelledDraws",
    "MIMatrix",
    "adjust_p",
    "load_matrix",
    "mi_matrix",
    "pair_seed",
]

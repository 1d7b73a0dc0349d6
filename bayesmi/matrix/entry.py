"""``mi_matrix``: the call that checks its arguments, reads the tables, builds the pairs, runs
them (:mod:`bayesmi.matrix.running`) with a checkpoint (:mod:`bayesmi.matrix.checkpoint`) and
returns the labelled result (:class:`~bayesmi.matrix.labelled.MIMatrix`)."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayesmi.estimators.base import check_method_params, data_hash
from bayesmi.matrix.checkpoint import FinishedPairs, checkpoint_seed
from bayesmi.matrix.labelled import MIMatrix
from bayesmi.matrix.pairs import CALLER, read_table, tasks_for, variables
from bayesmi.matrix.running import chooses_count, dask_client, run_pairs
from bayesmi.validation import check_array, check_choice

__all__ = ["BACKENDS", "SELECT_SUBSAMPLE", "mi_matrix"]

BACKENDS = ("loky", "dask")
#: Parameters that ``mi_matrix`` sets for each pair itself.
_OWN = ("seed", "n_jobs", "progress", "backend")
#: Mixture methods: a count of components chosen on a subsample above this many rows (see
#: ``select_subsample`` in :func:`mi_matrix`).
SELECT_SUBSAMPLE = 20_000


def mi_matrix(
    X,
    Y=None,
    method: str = "ksg",
    z=None,
    seed: int | None = 0,
    n_jobs: int = 1,
    backend: str = "loky",
    client=None,
    groups: Mapping | tuple[Mapping | None, Mapping | None] | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    select_subsample: int | None = SELECT_SUBSAMPLE,
    **method_params: Any,
) -> MIMatrix:
    """MI, with draws, for every pair of columns of ``X`` (or every column of ``X`` against
    every column of ``Y``, or every pair of column groups).

    Parameters
    ----------
    X : array-like or DataFrame, shape (n_samples, p)
        The variables, one per column; a DataFrame's column names name the pairs (else
        ``x0, x1, ...``).
    Y : array-like or DataFrame, shape (n_samples, q), optional
        Given: every X column against every Y column (``y0, y1, ...``). Else: every unordered
        pair of X columns, shown as a symmetric matrix.
    method : str, default="ksg"
        Any registered method (``bm.methods()``); it is called once per pair.
    z : array-like, shape (n_samples, dz), optional
        Condition every pair on z: conditional MI I(X_i; X_j | Z).
    seed : int or None, default=0
        Master seed; pair (a, b) gets :func:`pair_seed` (seed, a, b). None draws one (recorded in
        the result, and taken from ``checkpoint`` when resuming) so the run can be repeated.
    n_jobs : int, default=1
        Local worker processes (joblib "loky"; -1: every core). Each pair runs in one process,
        single-threaded; workers take the pairs in chunks of about ``CHUNK_SECONDS`` of work.
    backend : {"loky", "dask"}, default="loky"
        "dask": run the pairs on a ``distributed.Client`` (``client``, or the current one).
    client : distributed.Client, optional
        The cluster for ``backend="dask"``.
    groups : dict, or (dict or None, dict or None), optional
        Column groups as variables: ``{"pos": ["x", "y"], "vel": ["vx", "vy"]}``; the pairs are
        then between groups (multi-dimensional MI). With Y, a tuple gives groups for X and Y.
    checkpoint : path, optional
        A netCDF file to which finished pairs are written (atomically) as they finish: at most
        every ``CHECKPOINT_EVERY_S`` (5) seconds while the run goes on, and always when it ends,
        fails or is interrupted (Ctrl-C). If it exists from an interrupted run of the same call
        (same data, method, parameters and seed), only the missing pairs are computed.
    progress : bool, default=True
        A progress bar over pairs.
    select_subsample : int or None, default=20000
        Mixture methods (``gmm``): with more rows than this, each pair's component count is
        chosen by the method's cross-validation on a seeded random subsample of this many rows,
        then held fixed (``n_components``) for the full-data fit and every bootstrap refit.
        None: choose on the full data (the method's default). See docs/matrix.md.
    **method_params
        The method's hyperparameters, the same for every pair.

    Returns
    -------
    MIMatrix
        Draws in nats, ``(x_var, y_var, chain, draw)``.

    Examples
    --------
    >>> m = bm.mi_matrix(df, method="ksg", seed=0, n_jobs=2)
    >>> m.mean                     # DataFrame, nats
    >>> m.significant(alpha=0.05)  # pairs above zero, Benjamini-Hochberg
    >>> m.plot()
    """
    cls = check_method_params(
        method,
        method_params,
        caller=CALLER,
        own=_OWN,
        own_hint="are set by mi_matrix for each pair (seed from the master seed and the pair's "
        "names, one process per pair); pass seed/n_jobs/progress/backend to mi_matrix itself.",
        stacklevel=3,
    )
    _check_run(seed, n_jobs, backend, client, select_subsample)
    if seed is None:
        # Resuming a run that drew its seed: take that seed again; else draw one.
        seed = checkpoint_seed(checkpoint)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    xa, x_names, ya, y_names, za = _read(X, Y, z, groups)
    vars_x, vars_y = variables(groups, x_names, y_names, symmetric=Y is None)
    pairs, tasks = tasks_for(vars_x, vars_y, Y is None, seed, cls, method_params)
    data = {"X": xa, "Y": ya, "Z": za}
    n = len(xa)
    subsample = None
    if select_subsample is not None and n > select_subsample and chooses_count(cls, method_params):
        subsample = select_subsample
    # What makes a checkpoint this call's: a checkpoint of another run is refused.
    fingerprint = {
        "method": method,
        "params": json.dumps(method_params, sort_keys=True, default=repr),
        "seed": str(seed),
        "data_sha256": data_hash(xa, ya, za),
        "pairs": json.dumps([[t["name_x"], t["name_y"], t["cols_x"], t["cols_y"]] for t in tasks]),
        "select_subsample": str(subsample),
    }
    finished = FinishedPairs(len(tasks), fingerprint, checkpoint)
    todo = [t | {"select_subsample": subsample} for t in tasks if not finished.done[t["index"]]]
    client = dask_client(client) if backend == "dask" else None
    _run(finished, tasks, todo, data, n_jobs, client, progress, method)
    groups_by_name = {"x": {k: [x_names[i] for i in v] for k, v in vars_x.items()}}
    if Y is not None:
        groups_by_name["y"] = {k: [y_names[i] for i in v] for k, v in vars_y.items()}
    attrs = {
        "method": method,
        "seed": int(seed),
        "n_samples": n,
        "params": fingerprint["params"],
        "groups": json.dumps(groups_by_name),
        "conditional_on_z": int(za is not None),
        "data_sha256": fingerprint["data_sha256"],
        "select_subsample": subsample if subsample is not None else -1,
    }
    return finished.to_matrix(list(vars_x), list(vars_y), pairs, Y is None, attrs)


def _check_run(seed, n_jobs, backend, client, select_subsample) -> None:
    """The arguments that say how to run (not what): ValueError or TypeError naming them."""
    check_choice(backend, "backend", BACKENDS, caller=CALLER)
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, int | np.integer)
        or not (n_jobs >= 1 or n_jobs == -1)
    ):
        raise ValueError(f"{CALLER}: n_jobs must be a positive integer or -1, got {n_jobs!r}.")
    if client is not None and backend != "dask":
        raise ValueError(
            f"{CALLER}: client is only used with backend='dask'; got backend={backend!r}."
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"{CALLER}: seed must be an integer or None, got {seed!r}.")
    if select_subsample is not None and (
        isinstance(select_subsample, bool)
        or not isinstance(select_subsample, int | np.integer)
        or select_subsample < 100
    ):
        raise ValueError(
            f"{CALLER}: select_subsample must be an integer >= 100 or None, got "
            f"{select_subsample!r}."
        )


def _read(X, Y, z, groups):
    """X, its column names, Y and its names (X's without Y), and z, checked: arrays of equal
    length."""
    xa, x_names = read_table(X, "X", "x")
    if Y is None:
        if xa.shape[1] < 2 and groups is None:
            raise ValueError(
                f"{CALLER}: X has {xa.shape[1]} column; pairs need at least 2 (or pass Y)."
            )
        ya, y_names = None, x_names
    else:
        ya, y_names = read_table(Y, "Y", "y")
        if len(ya) != len(xa):
            raise ValueError(
                f"{CALLER}: X and Y must have the same number of rows; got X with {len(xa)} "
                f"and Y with {len(ya)}. Pass paired samples, one row per observation."
            )
    za = None
    if z is not None:
        za = check_array(z, "z", caller=CALLER, min_samples=2)
        if len(za) != len(xa):
            raise ValueError(
                f"{CALLER}: z must have as many rows as X; got {len(za)} and {len(xa)}."
            )
    return xa, x_names, ya, y_names, za


def _run(finished, tasks, todo, data, n_jobs, client, progress, method) -> None:
    """Run the pairs of ``todo`` into ``finished`` (and so its checkpoint) with a progress bar
    over every pair, each pair's warnings passed on with the pair's names."""
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks),
        initial=len(tasks) - len(todo),
        desc=f"mi_matrix ({method}, pairs)",
        disable=not progress,
        leave=False,
    )
    try:
        for out in run_pairs(data, todo, n_jobs, client):
            t = tasks[out["index"]]
            for category, message in out["warnings"]:
                warnings.warn(
                    f"{CALLER}, pair ({t['name_x']!r}, {t['name_y']!r}): {message}",
                    category,
                    stacklevel=3,
                )
            finished.add(out)
            bar.update()
    finally:
        # Also on an error or Ctrl-C: every pair finished so far is on disk.
        finished.flush()
        bar.close()

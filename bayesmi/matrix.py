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
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bayesmi.estimators.base import REGISTRY, check_method_params, data_hash
from bayesmi.resampling import _exit_when_orphaned, one_blas_thread, roomy_malloc
from bayesmi.result import QUANTITIES, MIResult, convert_units
from bayesmi.validation import check_array, check_choice

__all__ = [
    "BACKENDS",
    "CHECKPOINT_EVERY_S",
    "CORRECTIONS",
    "LabelledDraws",
    "MIMatrix",
    "adjust_p",
    "load_matrix",
    "mi_matrix",
    "pair_seed",
]

BACKENDS = ("loky", "dask")
#: Multiple-testing corrections of :meth:`MIMatrix.significant`.
CORRECTIONS = ("bh", "bonferroni", "none")
#: Where the p-values of :meth:`MIMatrix.significant` come from.
P_SOURCES = ("auto", "null", "permutation", "draws")
#: Parameters that ``mi_matrix`` sets for each pair itself.
_OWN = ("seed", "n_jobs", "progress", "backend")
#: Mixture methods: a count of components chosen on a subsample above this many rows (see
#: ``select_subsample`` in :func:`mi_matrix`).
SELECT_SUBSAMPLE = 20_000
_CALLER = "mi_matrix"
#: The checkpoint is written at most this often while pairs arrive (one write costs tens to
#: hundreds of milliseconds), and always when the run ends, fails or is interrupted.
CHECKPOINT_EVERY_S = 5.0


# -- seeds ---------------------------------------------------------------------------------------
def pair_seed(seed: int, name_x: str, name_y: str) -> int:
    """The seed of the pair (name_x, name_y): the first 63 bits of SHA-256 of
    ``json([seed, name_x, name_y])``. It depends only on the master seed and the two names, so
    adding or removing other columns leaves a pair's draws unchanged."""
    text = json.dumps([int(seed), str(name_x), str(name_y)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


# -- input ---------------------------------------------------------------------------------------
def _table(a: Any, arg: str, prefix: str) -> tuple[np.ndarray, list[str]]:
    """A 2-D float array and its column names (a DataFrame's own, else ``prefix`` + index)."""
    columns = getattr(a, "columns", None)
    arr = check_array(a, arg, caller=_CALLER, min_samples=2, allow_constant=True)
    if columns is not None:
        names = [str(c) for c in columns]
    elif getattr(a, "name", None) is not None and arr.shape[1] == 1:  # a named pandas Series
        names = [str(a.name)]
    else:
        names = [f"{prefix}{i}" for i in range(arr.shape[1])]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"{_CALLER}: {arg} has repeated column names {dup[:5]}; each pair is named (and "
            "seeded) by its columns' names, so they must be unique. Rename the columns."
        )
    constant = np.flatnonzero(np.ptp(arr, axis=0) == 0)
    if constant.size:
        raise ValueError(
            f"{_CALLER}: {arg} has a constant column {names[constant[0]]!r}: it carries no "
            "information and makes the estimate ill-defined. Remove that column."
        )
    return arr, names


def _groups(spec: Any, names: list[str], arg: str) -> dict[str, list[int]]:
    """Group name -> column indices, from a mapping of names to lists of column names or
    positions."""
    if not isinstance(spec, Mapping) or not spec:
        raise TypeError(
            f"{_CALLER}: {arg} must be a non-empty dict of group name -> list of columns, got "
            f"{type(spec).__name__}."
        )
    out: dict[str, list[int]] = {}
    seen: dict[int, str] = {}
    for gname, cols in spec.items():
        if isinstance(cols, str | int | np.integer):
            cols = [cols]
        idx = []
        for c in cols:
            if isinstance(c, int | np.integer) and not isinstance(c, bool):
                if not 0 <= c < len(names):
                    raise ValueError(
                        f"{_CALLER}: {arg}[{gname!r}] has column position {c}, outside the "
                        f"{len(names)} columns."
                    )
                i = int(c)
            elif str(c) in names:
                i = names.index(str(c))
            else:
                raise ValueError(
                    f"{_CALLER}: {arg}[{gname!r}] names column {c!r}, which is not one of the "
                    f"columns {names[:10]}{' ...' if len(names) > 10 else ''}."
                )
            if i in seen:
                raise ValueError(
                    f"{_CALLER}: {arg}: column {names[i]!r} is in both group {seen[i]!r} and "
                    f"group {gname!r}; groups must not overlap (the MI of a variable with "
                    "itself is infinite)."
                )
            seen[i] = str(gname)
            idx.append(i)
        if not idx:
            raise ValueError(f"{_CALLER}: {arg}[{gname!r}] is empty; give it at least one column.")
        out[str(gname)] = idx
    return out


def _check_params(method: str, params: dict[str, Any]) -> type:
    return check_method_params(
        method,
        params,
        caller=_CALLER,
        own=_OWN,
        own_hint="are set by mi_matrix for each pair (seed from the master seed and the pair's "
        "names, one process per pair); pass seed/n_jobs/progress/backend to mi_matrix itself.",
        stacklevel=4,
    )


# -- one pair (runs on a worker) -----------------------------------------------------------------
def _pair_task(data: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """Estimate one pair; the caller holds the one-BLAS-thread limit (:func:`_run_chunk`)."""
    start = time.perf_counter()
    x = data["X"][:, task["cols_x"]]
    y = (data["Y"] if data["Y"] is not None else data["X"])[:, task["cols_y"]]
    z = data["Z"]
    # The class travels with the task (by reference when importable, by value through
    # cloudpickle when defined in a script or notebook), so a method registered in the calling
    # process works on workers that never ran that registration.
    cls = task["cls"]
    valid = set(cls._param_names())
    params = dict(task["params"])
    n_components = -1
    own = {"seed": task["seed"], "n_jobs": 1, "progress": False}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)  # libraries' notices, not the pair's
        if task["select_subsample"] is not None:  # mixture methods at large n
            n_components = _select_count(cls, params, data, task)
            params["n_components"] = n_components
        est = cls(**{k: v for k, v in own.items() if k in valid}, **params)
        try:
            r = est.estimate(x, y, z)
        except Exception as err:
            err.add_note(
                f"{_CALLER}: while estimating pair ({task['name_x']!r}, {task['name_y']!r})"
            )
            raise
    p, null, full = r.p_value, r.null_draws_nats, r.full_estimate_nats
    z_null = math.nan
    if null is not None and full is not None and len(null) > 1 and np.std(null) > 0:
        # How many null sds the observed estimate lies above the null's mean.
        z_null = float((full - np.mean(null)) / np.std(null, ddof=1))
    return {
        "index": task["index"],
        "draws_nats": r.draws_nats,
        "p_value": p if p is not None else math.nan,
        "z_null": z_null,
        "kind": r.kind,
        "quantity": r.quantity,
        "bound": r.bound,
        "n_components": n_components,
        "warnings": [(m.category, str(m.message)) for m in w],
        "seconds": time.perf_counter() - start,
    }


def _select_count(cls, params: dict, data: dict, task: dict) -> int:
    """The component count of a mixture method, chosen by its own cross-validation on a seeded
    random subsample of ``size`` rows (the count is then held fixed for the full data)."""
    from bayesmi.em import FitError

    x = data["X"][:, task["cols_x"]]
    y = (data["Y"] if data["Y"] is not None else data["X"])[:, task["cols_y"]]
    parts = [x, y] if data["Z"] is None else [x, y, data["Z"]]
    u = np.hstack(parts)
    rng = np.random.default_rng(np.random.SeedSequence([task["seed"], 1]))
    u = u[rng.choice(len(u), size=task["select_subsample"], replace=False)]
    ut = np.ascontiguousarray(((u - u.mean(0)) / u.std(0)).T)
    est = cls(**params)
    try:
        return int(est._select(ut, rng).n_components)
    except (FitError, ValueError) as err:
        err.add_note(
            f"{_CALLER}: while choosing the component count of pair ({task['name_x']!r}, "
            f"{task['name_y']!r}) on a subsample of {task['select_subsample']} rows"
        )
        raise


def _is_mixture(cls, params: dict) -> bool:
    """A mixture method whose count can be chosen apart: it has ``n_components`` (None: chosen
    by cross-validation) and a ``_select`` step (see bayesmi.estimators.gmm)."""
    names = cls._param_names()
    return (
        "n_components" in names
        and hasattr(cls, "_select")
        and params.get("n_components") is None
        and not params.get("categorical", False)
    )


# -- running the pairs ---------------------------------------------------------------------------
#: Workers take the pairs in chunks of about this many seconds of work (from the pairs timed so
#: far): sending a task and its columns and returning its results costs milliseconds (on Dask a
#: scheduler round trip too), a small share of a chunk, while a pair can take 0.1 s. A chunk's
#: pairs reach the checkpoint when the chunk ends, so this is also the most work that a hard kill
#: loses beyond the last checkpoint write, per worker.
CHUNK_SECONDS = 2.0
#: No chunk takes more than 1/(this * workers) of the pairs not yet handed out, so chunks shrink
#: towards the end of the run and no worker waits long for another's last chunk.
CHUNK_SHARE = 2


class _Chunker:
    """Hands out the pairs in chunks sized from the pairs timed so far: one pair per chunk until
    a pair has been timed, then about ``CHUNK_SECONDS`` of work, never more than a
    ``1 / (CHUNK_SHARE * n_workers)`` share of the pairs left. Chunks never change a pair's
    draws (each pair has its own seed); after :meth:`stop` (a pair failed) none are handed out,
    so the chunks already running finish and nothing finished is lost."""

    def __init__(self, tasks: list[dict[str, Any]], n_workers: int) -> None:
        self.tasks = list(tasks)
        self.next_i = 0
        self.n_workers = max(1, int(n_workers))
        self.n_timed = 0
        self.seconds = 0.0
        self.stopped = False

    def record(self, results: list[dict[str, Any]]) -> None:
        for r in results:
            self.n_timed += 1
            self.seconds += r["seconds"]

    def stop(self) -> None:
        self.stopped = True

    def next_chunk(self) -> list[dict[str, Any]] | None:
        left = len(self.tasks) - self.next_i
        if self.stopped or left == 0:
            return None
        size = 1
        if self.n_timed:
            by_time = int(CHUNK_SECONDS / max(self.seconds / self.n_timed, 1e-6))
            size = max(1, min(by_time, left // (CHUNK_SHARE * self.n_workers)))
        chunk = self.tasks[self.next_i : self.next_i + size]
        self.next_i += len(chunk)
        return chunk

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        while (chunk := self.next_chunk()) is not None:
            yield chunk


class _RemoteTraceback(Exception):
    """The traceback of an error raised on a worker, as text (its ``__cause__``)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _run_chunk(
    data: dict[str, Any], tasks: list[dict[str, Any]], parent: int | None = None
) -> dict[str, Any]:
    """Estimate a chunk's pairs in turn, in one process, with one BLAS thread (as every
    estimator's own workers use: the draws do not depend on a worker's thread count) and glibc's
    own allocation thresholds (:func:`~bayesmi.resampling.roomy_malloc`: Dask workers fix them).
    A pair that fails ends the chunk; the pairs finished before it come back with the error, so
    they reach the checkpoint."""
    import pickle
    import traceback

    if parent is not None:
        _exit_when_orphaned(parent)
    results = []
    with one_blas_thread(), roomy_malloc():
        for t in tasks:
            try:
                results.append(_pair_task(data, t))
            except Exception as err:
                text = traceback.format_exc()
                try:  # it must survive the way back, or the finished pairs are lost with it
                    pickle.loads(pickle.dumps(err))
                except Exception:
                    err = RuntimeError(f"{type(err).__name__}: {err}")
                return {"results": results, "error": err, "traceback": text}
    return {"results": results, "error": None, "traceback": None}


def _chunk_data(data: dict[str, Any], tasks: list[dict[str, Any]]):
    """Only the columns a chunk's pairs use (renumbered in copies of its tasks): a worker is
    sent a few columns, not the whole table."""
    from_x = data["Y"] is None  # a symmetric matrix: both columns of a pair come from X
    cols_x = sorted({c for t in tasks for c in t["cols_x"] + (t["cols_y"] if from_x else [])})
    cols_y = [] if from_x else sorted({c for t in tasks for c in t["cols_y"]})
    at_x = {c: i for i, c in enumerate(cols_x)}
    at_y = at_x if from_x else {c: i for i, c in enumerate(cols_y)}
    sub = {
        "X": data["X"][:, cols_x],
        "Y": None if from_x else data["Y"][:, cols_y],
        "Z": data["Z"],
    }
    renumbered = [
        t | {"cols_x": [at_x[c] for c in t["cols_x"]], "cols_y": [at_y[c] for c in t["cols_y"]]}
        for t in tasks
    ]
    return sub, renumbered


def _unpack(out: dict[str, Any], chunker: _Chunker, errors: list[BaseException]):
    """The pairs of a finished chunk; its error (if any) is kept for the end of the run."""
    chunker.record(out["results"])
    if out["error"] is not None:
        err = out["error"]
        err.__cause__ = _RemoteTraceback(out["traceback"])
        errors.append(err)
        chunker.stop()
    return out["results"]


def _run_local(data, tasks, n_jobs) -> Iterator[dict[str, Any]]:
    if not tasks:  # resuming a finished run
        return
    if n_jobs == 1:
        # In this process, pair by pair: each is checkpointed as it ends.
        with one_blas_thread(), roomy_malloc():
            for t in tasks:
                yield _pair_task(data, t)
        return
    from joblib import Parallel, cpu_count, delayed

    n_workers = min(cpu_count() if n_jobs == -1 else n_jobs, len(tasks))
    chunker = _Chunker(tasks, n_workers)
    errors: list[BaseException] = []
    # joblib pulls the next chunk from the chunker as each one ends (so the sizes follow the
    # timings), reuses its worker processes across calls and memory-maps large column blocks.
    parallel = Parallel(
        n_jobs=n_workers,
        backend="loky",
        return_as="generator_unordered",
        batch_size=1,
        pre_dispatch="2 * n_jobs",
    )
    me = os.getpid()  # workers end themselves if this process dies (resampling)
    for out in parallel(delayed(_run_chunk)(*_chunk_data(data, c), me) for c in chunker):
        yield from _unpack(out, chunker, errors)
    if errors:
        raise errors[0]


def _run_dask(data, tasks, client) -> Iterator[dict[str, Any]]:
    from distributed import as_completed

    if not tasks:  # resuming a finished run
        return
    n_workers = max(1, sum(client.nthreads().values()))
    chunker = _Chunker(tasks, n_workers)
    errors: list[BaseException] = []
    # The data go to every worker once; each task carries only its chunk's descriptions. Two
    # chunks per worker thread in flight keep every worker busy while a result travels back.
    remote = client.scatter(data, broadcast=True)
    pending = as_completed(loop=client.loop)
    for chunk in itertools.islice(chunker, 2 * n_workers):
        pending.add(client.submit(_run_chunk, remote, chunk, pure=False))
    try:
        for fut in pending:
            try:
                out = fut.result()
            except Exception as err:  # the worker was lost, or the chunk could not travel
                errors.append(err)
                chunker.stop()
                continue
            yield from _unpack(out, chunker, errors)
            chunk = chunker.next_chunk()
            if chunk is not None:
                pending.add(client.submit(_run_chunk, remote, chunk, pure=False))
    finally:
        # Only on an interruption (Ctrl-C, the caller stopping) are chunks still running.
        client.cancel(list(pending.futures))
    if errors:
        raise errors[0]


def _dask_client(client):
    try:
        import distributed
    except ImportError as err:
        raise ImportError(
            f"{_CALLER}: backend='dask' needs dask.distributed: pip install 'bayesmi[dask]'."
        ) from err
    if client is None:
        try:
            return distributed.get_client()
        except ValueError as err:
            raise ValueError(
                f"{_CALLER}: backend='dask' needs a client: pass client=distributed.Client(...) "
                "(for a cluster: Client('tcp://scheduler:8786')), or create one first."
            ) from err
    if not isinstance(client, distributed.Client):
        raise TypeError(
            f"{_CALLER}: client must be a distributed.Client, got {type(client).__name__}."
        )
    return client


# -- the entry point -----------------------------------------------------------------------------
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
    cls = _check_params(method, method_params)
    check_choice(backend, "backend", BACKENDS, caller=_CALLER)
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, int | np.integer)
        or not (n_jobs >= 1 or n_jobs == -1)
    ):
        raise ValueError(f"{_CALLER}: n_jobs must be a positive integer or -1, got {n_jobs!r}.")
    if client is not None and backend != "dask":
        raise ValueError(
            f"{_CALLER}: client is only used with backend='dask'; got backend={backend!r}."
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"{_CALLER}: seed must be an integer or None, got {seed!r}.")
    if select_subsample is not None and (
        isinstance(select_subsample, bool)
        or not isinstance(select_subsample, int | np.integer)
        or select_subsample < 100
    ):
        raise ValueError(
            f"{_CALLER}: select_subsample must be an integer >= 100 or None, got "
            f"{select_subsample!r}."
        )
    if seed is None:
        # Resuming a run that drew its seed: take that seed again.
        seed = _checkpoint_seed(checkpoint)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))

    xa, x_names = _table(X, "X", "x")
    if Y is None:
        if xa.shape[1] < 2 and groups is None:
            raise ValueError(
                f"{_CALLER}: X has {xa.shape[1]} column; pairs need at least 2 (or pass Y)."
            )
        ya, y_names = None, x_names
    else:
        ya, y_names = _table(Y, "Y", "y")
        if len(ya) != len(xa):
            raise ValueError(
                f"{_CALLER}: X and Y must have the same number of rows; got X with {len(xa)} "
                f"and Y with {len(ya)}. Pass paired samples, one row per observation."
            )
    za = None
    if z is not None:
        za = check_array(z, "z", caller=_CALLER, min_samples=2)
        if len(za) != len(xa):
            raise ValueError(
                f"{_CALLER}: z must have as many rows as X; got {len(za)} and {len(xa)}."
            )

    # Variables: single columns, or groups of columns.
    gx = gy = None
    if groups is not None:
        if isinstance(groups, tuple):
            if Y is None or len(groups) != 2:
                raise ValueError(
                    f"{_CALLER}: groups as a tuple (groups of X, groups of Y) needs Y; without Y "
                    "pass one dict."
                )
            gx = None if groups[0] is None else _groups(groups[0], x_names, "groups[0]")
            gy = None if groups[1] is None else _groups(groups[1], y_names, "groups[1]")
        else:
            gx = _groups(groups, x_names, "groups")
    vars_x = gx if gx is not None else {n: [i] for i, n in enumerate(x_names)}
    vars_y = (
        vars_x if Y is None else (gy if gy is not None else {n: [i] for i, n in enumerate(y_names)})
    )
    symmetric = Y is None
    if symmetric and len(vars_x) < 2:
        raise ValueError(f"{_CALLER}: groups has {len(vars_x)} group; pairs need at least 2.")
    names_x, names_y = list(vars_x), list(vars_y)
    pairs = [
        (i, j) for i in range(len(names_x)) for j in range(len(names_y)) if not symmetric or j > i
    ]
    tasks = [
        {
            "index": k,
            "name_x": names_x[i],
            "name_y": names_y[j],
            "cols_x": vars_x[names_x[i]],
            "cols_y": vars_y[names_y[j]],
            "seed": pair_seed(seed, names_x[i], names_y[j]),
            "cls": cls,
            "params": method_params,
        }
        for k, (i, j) in enumerate(pairs)
    ]
    data = {"X": xa, "Y": ya, "Z": za}
    n = len(xa)
    subsample = (
        select_subsample
        if select_subsample is not None and n > select_subsample and _is_mixture(cls, method_params)
        else None
    )
    fingerprint = {
        "method": method,
        "params": json.dumps(method_params, sort_keys=True, default=repr),
        "seed": str(seed),
        "data_sha256": data_hash(xa, ya, za),
        "pairs": json.dumps([[t["name_x"], t["name_y"], t["cols_x"], t["cols_y"]] for t in tasks]),
        "select_subsample": str(subsample),
    }
    state = _State(len(tasks), fingerprint, checkpoint)
    todo = [t for t in tasks if not state.done[t["index"]]]
    for t in todo:
        t["select_subsample"] = subsample
    client = _dask_client(client) if backend == "dask" else None

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks),
        initial=len(tasks) - len(todo),
        desc=f"mi_matrix ({method}, pairs)",
        disable=not progress,
        leave=False,
    )
    try:
        runs = (
            _run_dask(data, todo, client) if client is not None else _run_local(data, todo, n_jobs)
        )
        for out in runs:
            t = tasks[out["index"]]
            for category, message in out["warnings"]:
                warnings.warn(
                    f"{_CALLER}, pair ({t['name_x']!r}, {t['name_y']!r}): {message}",
                    category,
                    stacklevel=2,
                )
            state.add(out)
            bar.update()
    finally:
        # Also on an error or Ctrl-C: every pair finished so far is on disk.
        state.flush()
        bar.close()
    return state.to_matrix(
        names_x,
        names_y,
        pairs,
        symmetric,
        {
            "method": method,
            "seed": int(seed),
            "n_samples": n,
            "params": fingerprint["params"],
            "groups": json.dumps(
                {"x": {k: [x_names[i] for i in v] for k, v in vars_x.items()}}
                | (
                    {}
                    if Y is None
                    else {"y": {k: [y_names[i] for i in v] for k, v in vars_y.items()}}
                )
            ),
            "conditional_on_z": int(za is not None),
            "data_sha256": fingerprint["data_sha256"],
            "select_subsample": subsample if subsample is not None else -1,
        },
    )


def _checkpoint_seed(path) -> int | None:
    """The master seed stored in an existing checkpoint, or None."""
    if path is None or not Path(path).exists():
        return None
    return int(_open_checkpoint(path).attrs["fp_seed"])


def _open_checkpoint(path):
    """The checkpoint's dataset, loaded; a file that is not one is a ValueError naming it."""
    import xarray as xr

    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except Exception as err:
        raise ValueError(
            f"{_CALLER}: checkpoint {str(path)!r} is not a bayesmi checkpoint (it cannot be read "
            f"as netCDF: {type(err).__name__}). Delete it or pass another checkpoint path."
        ) from err
    if "fp_seed" not in ds.attrs or "done" not in ds:
        raise ValueError(
            f"{_CALLER}: checkpoint {str(path)!r} is a netCDF file but not a bayesmi checkpoint "
            "(no run fingerprint). Delete it or pass another checkpoint path."
        )
    return ds


class _State:
    """The finished pairs, kept in flat arrays and written to the checkpoint as they arrive."""

    def __init__(self, n_pairs: int, fingerprint: dict[str, str], path) -> None:
        self.n_pairs = n_pairs
        self.fingerprint = fingerprint
        self.path = None if path is None else Path(path)
        self.done = np.zeros(n_pairs, dtype=bool)
        self.draws: np.ndarray | None = None
        self.p_value = np.full(n_pairs, np.nan)
        self.z_null = np.full(n_pairs, np.nan)
        self.n_components = np.full(n_pairs, -1, dtype=np.int64)
        self.meta: dict[str, Any] = {}
        self.dirty = False
        self.saved_at = -math.inf
        if self.path is not None and self.path.exists():
            self._resume()

    def _resume(self) -> None:
        ds = _open_checkpoint(self.path)
        stored = {k: ds.attrs.get(f"fp_{k}") for k in self.fingerprint}
        diff = [k for k, v in self.fingerprint.items() if stored[k] != v]
        if diff:
            raise ValueError(
                f"{_CALLER}: checkpoint {str(self.path)!r} was written by a different run (its "
                f"{', '.join(diff)} differ from this call's); delete it or pass another path."
            )
        self.done = ds["done"].values.astype(bool)
        self.p_value = ds["p_value"].values
        self.z_null = ds["z_null"].values
        self.n_components = ds["n_components"].values
        if "draws_nats" in ds:
            self.draws = ds["draws_nats"].values
        self.meta = json.loads(ds.attrs["meta"])

    def add(self, out: dict[str, Any]) -> None:
        i, d = out["index"], out["draws_nats"]
        if self.draws is None:
            self.draws = np.full((self.n_pairs, *d.shape), np.nan)
            self.meta = {"kind": out["kind"], "quantity": out["quantity"], "bound": out["bound"]}
        if d.shape != self.draws.shape[1:]:
            raise RuntimeError(
                f"{_CALLER}: the method returned draws of shape {d.shape} for one pair and "
                f"{self.draws.shape[1:]} for another; every pair needs the same (chain, draw)."
            )
        self.draws[i] = d
        self.p_value[i] = out["p_value"]
        self.z_null[i] = out["z_null"]
        self.n_components[i] = out["n_components"]
        self.done[i] = True
        self.dirty = True
        if self.path is not None and time.monotonic() - self.saved_at >= CHECKPOINT_EVERY_S:
            self.flush()

    def flush(self) -> None:
        """Write the finished pairs to the checkpoint, if any arrived since the last write."""
        if self.path is not None and self.dirty:
            self._save()
            self.dirty = False
            self.saved_at = time.monotonic()

    def _save(self) -> None:
        import xarray as xr

        data = {
            "done": (("pair",), self.done.astype(np.int8)),
            "p_value": (("pair",), self.p_value),
            "z_null": (("pair",), self.z_null),
            "n_components": (("pair",), self.n_components),
        }
        if self.draws is not None:
            data["draws_nats"] = (("pair", "chain", "draw"), self.draws)
        ds = xr.Dataset(data)
        ds.attrs.update({f"fp_{k}": v for k, v in self.fingerprint.items()})
        ds.attrs["meta"] = json.dumps(self.meta)
        _atomic_netcdf(ds, self.path)

    def to_matrix(self, names_x, names_y, pairs, symmetric, attrs) -> MIMatrix:
        import xarray as xr

        shape = (len(names_x), len(names_y))
        draws = np.full((*shape, *self.draws.shape[1:]), np.nan)
        p = np.full(shape, np.nan)
        zn = np.full(shape, np.nan)
        k = np.full(shape, -1, dtype=np.int64)
        for idx, (i, j) in enumerate(pairs):
            for a, b in [(i, j), (j, i)] if symmetric else [(i, j)]:
                draws[a, b], k[a, b] = self.draws[idx], self.n_components[idx]
                p[a, b], zn[a, b] = self.p_value[idx], self.z_null[idx]
        chain, draw = self.draws.shape[1:]
        ds = xr.Dataset(
            {
                "mi": (("x_var", "y_var", "chain", "draw"), draws),
                "p_value": (("x_var", "y_var"), p),
                "z_null": (("x_var", "y_var"), zn),
                "n_components": (("x_var", "y_var"), k),
            },
            coords={
                "x_var": np.array(names_x, dtype=object),
                "y_var": np.array(names_y, dtype=object),
                "chain": np.arange(chain),
                "draw": np.arange(draw),
            },
        )
        ds["mi"].attrs["units"] = "nats"
        ds.attrs.update(attrs)
        ds.attrs.update(
            kind=self.meta["kind"],
            quantity=self.meta["quantity"],
            bound=self.meta["bound"] or "none",
            symmetric=int(symmetric),
            stored_units="nats",
        )
        return MIMatrix(ds)


def _atomic_netcdf(ds, path: Path) -> str:
    """Write ``ds`` to ``path`` atomically (:func:`bayesmi._io.atomic_write`)."""
    from bayesmi._io import atomic_write

    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


# -- statistics over the last axis ---------------------------------------------------------------
def _hdi(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """The narrowest window holding ``prob`` of the draws, along the last axis (as
    :meth:`MIResult.hdi` and ArviZ compute it); NaN rows give NaN."""
    x = np.sort(draws, axis=-1)
    n = x.shape[-1]
    width = max(1, int(np.floor(prob * n)))
    if width >= n:
        return x[..., 0], x[..., -1]
    gaps = x[..., width:] - x[..., : n - width]
    i = np.argmin(np.where(np.isnan(gaps), np.inf, gaps), axis=-1)[..., None]
    return np.take_along_axis(x, i, -1)[..., 0], np.take_along_axis(x, i + width, -1)[..., 0]


def _normal_sf(t: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(-t)


def adjust_p(p: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values: Benjamini–Hochberg (1995) step-up ("bh", false discovery rate),
    Bonferroni ("bonferroni", family-wise error) or none."""
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if correction == "none" or m == 0:
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(1.0, p * m)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    # q_(i) = min over j >= i of p_(j) m / j
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(1.0, q)
    return out


class LabelledDraws:
    """What the labelled results (:class:`MIMatrix`, :class:`bayesmi.layers.LayerMI`) share: an
    xarray Dataset ``data`` with the draws in nats under labelled string coordinates
    (``_LABELS``), shown in ``units``, saved to and read from netCDF atomically."""

    #: The string coordinates (stored as str in files, object arrays in memory).
    _LABELS: tuple[str, ...] = ()

    def __init__(self, data, units: str = "nats") -> None:
        convert_units(0.0, units)
        self.data = data
        self.units = units

    @property
    def method(self) -> str:
        return str(self.data.attrs["method"])

    @property
    def kind(self) -> str:
        return str(self.data.attrs["kind"])

    def to(self, units: str):
        """The same result shown in other units ("nats" or "bits"); the data stay in nats."""
        return type(self)(self.data, units)

    def save(self, path: str | os.PathLike) -> str:
        """Write the result to a netCDF file atomically (draws in nats)."""
        ds = self.data.copy()
        ds.attrs["units"] = self.units
        ds = ds.assign_coords({c: ds[c].values.astype(str) for c in self._LABELS})
        return _atomic_netcdf(ds, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Read a result written by :meth:`save`."""
        import xarray as xr

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{cls.__name__}.load: no file at {str(path)!r}.")
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
        units = ds.attrs.pop("units", "nats")
        ds = ds.assign_coords({c: ds[c].values.astype(object) for c in cls._LABELS})
        return cls(ds, units)


class MIMatrix(LabelledDraws):
    """MI draws for many pairs: an xarray Dataset with the draws in nats, dims
    ``(x_var, y_var, chain, draw)``, and the tables and plots over it.

    Attributes
    ----------
    data : xarray.Dataset
        ``mi`` (draws, nats), ``p_value`` (the method's permutation p-value where it reports
        one, else NaN), ``n_components`` (the count chosen on a subsample, else -1); attributes:
        method, kind, quantity, seed, n_samples, params, groups, symmetric.
    units : {"nats", "bits"}
        What every table and plot shows; change with :meth:`to`.
    """

    _LABELS = ("x_var", "y_var")

    # -- views ---------------------------------------------------------------------------------
    @property
    def symmetric(self) -> bool:
        return bool(self.data.attrs["symmetric"])

    @property
    def x_names(self) -> list[str]:
        return [str(v) for v in self.data["x_var"].values]

    @property
    def y_names(self) -> list[str]:
        return [str(v) for v in self.data["y_var"].values]

    @property
    def draws(self) -> np.ndarray:
        """The draws in ``self.units``, shape (x_var, y_var, chain, draw); NaN on the diagonal
        of a symmetric matrix."""
        return convert_units(self.data["mi"].values, self.units)

    def _flat(self) -> np.ndarray:
        d = self.draws
        return d.reshape(*d.shape[:2], -1)

    def _frame(self, values: np.ndarray):
        import pandas as pd

        out = pd.DataFrame(values, index=self.x_names, columns=self.y_names)
        out.index.name, out.columns.name = "x_var", "y_var"
        out.attrs["units"] = self.units
        return out

    @property
    def mean(self):
        """Mean of the draws per pair, a DataFrame (x_var by y_var) in ``self.units``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the NaN diagonal
            return self._frame(np.nanmean(self._flat(), axis=-1))

    @property
    def sd(self):
        """Standard deviation of the draws per pair, a DataFrame in ``self.units``."""
        flat = self._flat()
        return self._frame(flat.std(axis=-1, ddof=1) if flat.shape[-1] > 1 else 0 * flat[..., 0])

    def hdi(self, prob: float = 0.9):
        """The ``prob`` highest-density interval per pair: (lower, upper) DataFrames in
        ``self.units``."""
        if not 0 < prob < 1:
            raise ValueError(f"MIMatrix.hdi: prob must lie in (0, 1), got {prob}.")
        lo, hi = _hdi(self._flat(), prob)
        return self._frame(lo), self._frame(hi)

    def result(self, x_name: str, y_name: str) -> MIResult:
        """One pair as an :class:`MIResult` (its draws, kind and method), in ``self.units``."""
        for name, names, arg in (
            (x_name, self.x_names, "x_name"),
            (y_name, self.y_names, "y_name"),
        ):
            if str(name) not in names:
                raise KeyError(f"MIMatrix.result: {arg} {name!r} is not one of {names[:10]}.")
        d = self.data["mi"].sel(x_var=str(x_name), y_var=str(y_name)).values
        if np.isnan(d).all():
            raise ValueError(
                f"MIMatrix.result: ({x_name!r}, {y_name!r}) is the diagonal: a variable's MI "
                "with itself is not estimated."
            )
        bound = self.data.attrs.get("bound", "none")
        return MIResult(
            draws_nats=d,
            kind=self.kind,
            quantity=str(self.data.attrs["quantity"]),
            method=self.method,
            provenance={"seed": pair_seed(int(self.data.attrs["seed"]), x_name, y_name)},
            bound=None if bound == "none" else bound,
        ).to(self.units)

    def _pairs(self) -> list[tuple[int, int]]:
        nx, ny = len(self.x_names), len(self.y_names)
        return [(i, j) for i in range(nx) for j in range(ny) if not self.symmetric or j > i]

    def to_dataframe(self, hdi_prob: float = 0.9):
        """A tidy table, one row per pair (each unordered pair once when symmetric): x_var,
        y_var, mean, sd, hdi_low, hdi_high (in ``units``), p_value, n_draws, method, kind."""
        import pandas as pd

        flat = self._flat()
        lo, hi = _hdi(flat, hdi_prob)
        p = self.data["p_value"].values
        k = self.data["n_components"].values
        rows = []
        for i, j in self._pairs():
            rows.append(
                {
                    "x_var": self.x_names[i],
                    "y_var": self.y_names[j],
                    "mean": float(flat[i, j].mean()),
                    "sd": float(flat[i, j].std(ddof=1)) if flat.shape[-1] > 1 else 0.0,
                    "hdi_low": float(lo[i, j]),
                    "hdi_high": float(hi[i, j]),
                    "units": self.units,
                    "p_value": float(p[i, j]),
                    "n_draws": flat.shape[-1],
                    "method": self.method,
                    "kind": self.kind,
                }
                | ({"n_components": int(k[i, j])} if (k >= 0).any() else {})
            )
        table = pd.DataFrame(rows)
        table.attrs["hdi_prob"] = hdi_prob
        return table

    def significant(
        self,
        alpha: float = 0.05,
        correction: str = "bh",
        *,
        p_source: str = "auto",
        threshold: float = 0.0,
    ):
        """Which pairs have MI above ``threshold`` (zero by default), corrected for testing
        many pairs at once.

        Each pair gets a one-sided p-value for "MI <= threshold", from one of:

        - ``"permutation"``: the method's permutation p-value (``ksg``, ``bins``: y shuffled),
          (1 + #null >= estimate) / (1 + n_permutations): valid at any n, but it cannot fall
          below 1 / (n_permutations + 1), so over m pairs raise n_permutations to well above
          m / alpha for power. Threshold 0 only.
        - ``"null"``: the same permutation null, normal approximation: p = 1 - Phi((estimate -
          mean of null) / sd of null). It reaches small p-values with few permutations, but
          the null of a binned estimate is skewed (chi-square-like) and its tail is then too
          light: anti-conservative. Threshold 0 only.
        - ``"draws"``: the draws, normal approximation: p = 1 - Phi((mean - threshold) / sd).
          For a method whose estimate cannot fall below zero (``gmm``), draws at independence
          sit a little above zero, so this test is too eager at threshold 0: give a threshold
          (the smallest MI of interest), or use a method with a permutation null.
        - ``"auto"`` (default): "permutation" where every pair has a permutation p-value and
          threshold is 0, else "draws".

        The p-values are adjusted over the m pairs: ``"bh"`` (Benjamini & Hochberg 1995: false
        discovery rate at most alpha), ``"bonferroni"`` (family-wise error rate at most alpha)
        or ``"none"``; a pair is flagged when its adjusted p-value is <= alpha.

        Parameters
        ----------
        alpha : float, default=0.05
        correction : {"bh", "bonferroni", "none"}, default="bh"
        p_source : {"auto", "null", "permutation", "draws"}, default="auto"
        threshold : float, default=0.0
            In ``self.units``.

        Returns
        -------
        pandas.DataFrame
            :meth:`to_dataframe`'s table with the columns p_source, p, p_adjusted and
            excludes_zero (the flag); ``attrs["statement"]`` says what was done, in words.
        """
        c = "MIMatrix.significant"
        check_choice(correction, "correction", CORRECTIONS, caller=c)
        check_choice(p_source, "p_source", P_SOURCES, caller=c)
        if not 0 < alpha < 1:
            raise ValueError(f"{c}: alpha must lie in (0, 1), got {alpha!r}.")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise TypeError(f"{c}: threshold must be a number, got {threshold!r}.")
        table = self.to_dataframe()
        nats_per_unit = math.log(2.0) if self.units == "bits" else 1.0
        threshold_nats = float(threshold) * nats_per_unit
        pairs = self._pairs()
        z_null = np.array([self.data["z_null"].values[i, j] for i, j in pairs])
        have = {
            "null": len(pairs) > 0 and bool(np.isfinite(z_null).all()),
            "permutation": len(pairs) > 0 and bool(np.isfinite(table["p_value"]).all()),
        }
        if p_source in have and (not have[p_source] or threshold_nats != 0):
            raise ValueError(
                f"{c}: p_source={p_source!r} needs a permutation null for every pair (method "
                f"{self.method!r} gives {'one' if have[p_source] else 'none'}) and threshold=0; "
                "use p_source='draws'."
            )
        if p_source == "auto":
            p_source = "permutation" if have["permutation"] and threshold_nats == 0 else "draws"
        m = len(table)
        if p_source == "null":
            p = _normal_sf(z_null)
            source = "the permutation null (normal approximation)"
        elif p_source == "permutation":
            p = table["p_value"].to_numpy()
            source = "permutations"
        else:
            mean_nats = table["mean"].to_numpy() * nats_per_unit
            sd_nats = table["sd"].to_numpy() * nats_per_unit
            with np.errstate(divide="ignore", invalid="ignore"):
                p = _normal_sf((mean_nats - threshold_nats) / sd_nats)
            p = np.where(sd_nats > 0, p, (mean_nats <= threshold_nats).astype(float))
            source = "the draws (normal approximation)"
        q = adjust_p(p, correction)
        table["p_source"] = p_source
        table["p"] = p
        table["p_adjusted"] = q
        table["excludes_zero"] = q <= alpha
        what = {
            "bh": "Benjamini-Hochberg (false discovery rate)",
            "bonferroni": "Bonferroni (family-wise error rate)",
            "none": "no correction",
        }[correction]
        statement = (
            f"{int(table['excludes_zero'].sum())} of {m} pairs have {self.method} MI above "
            f"{threshold:g} {self.units}: one-sided p-values from {source}, {what} over {m} "
            f"pairs at alpha = {alpha:g}."
        )
        if p_source == "permutation":
            n_perm = self._n_permutations()
            if n_perm and 1.0 / (n_perm + 1) > alpha / max(m, 1):
                statement += (
                    f" With {n_perm} permutations the smallest p-value is "
                    f"1/{n_perm + 1} = {1 / (n_perm + 1):.3g}, above alpha/m = {alpha / m:.3g}: "
                    "raise n_permutations for power."
                )
        table.attrs["statement"] = statement
        table.attrs["correction"] = correction
        return table

    def summary(self, alpha: float = 0.05, correction: str = "bh", **kwargs: Any):
        """The tidy table with each pair's test: :meth:`significant` (the same arguments)."""
        return self.significant(alpha, correction, **kwargs)

    def _n_permutations(self) -> int | None:
        params = json.loads(self.data.attrs.get("params", "{}"))
        cls = REGISTRY.get(self.method)
        if "n_permutations" in params:
            return int(params["n_permutations"])
        if cls is not None and "n_permutations" in cls._param_names():
            import inspect

            return int(inspect.signature(cls.__init__).parameters["n_permutations"].default)
        return None

    # -- plots ---------------------------------------------------------------------------------
    def plot(
        self,
        hdi_prob: float = 0.9,
        alpha: float = 0.05,
        correction: str = "bh",
        ax=None,
        annotate: bool | None = None,
        **significant_kwargs: Any,
    ):
        """Heat map of the lower end of each pair's ``hdi_prob`` HDI (in ``units``; clipped at
        zero), pairs flagged by :meth:`significant` outlined, and (for up to 12 by 12 pairs)
        each cell's mean and interval written in it. Returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        lo, hi = (f.to_numpy() for f in self.hdi(hdi_prob))
        mean = self.mean.to_numpy()
        sig = self.significant(alpha, correction, **significant_kwargs)
        nx, ny = lo.shape
        own_figure = ax is None
        if own_figure:
            _, ax = plt.subplots(figsize=(max(5.0, 2.0 + 0.55 * ny), max(4.0, 1.6 + 0.5 * nx)))
        shown = np.clip(lo, 0, None)
        im = ax.imshow(shown, cmap="viridis", vmin=0, aspect="auto")
        ax.figure.colorbar(im, ax=ax, label=f"lower end of {hdi_prob:.0%} HDI [{self.units}]")
        xi = {n: i for i, n in enumerate(self.x_names)}
        yi = {n: j for j, n in enumerate(self.y_names)}
        for row in sig.itertuples():
            if row.excludes_zero:
                cells = [(xi[row.x_var], yi[row.y_var])]
                if self.symmetric:
                    cells.append((xi[row.y_var], yi[row.x_var]))
                for i, j in cells:
                    ax.add_patch(
                        plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.8)
                    )
        if annotate is None:
            annotate = nx <= 12 and ny <= 12
        if annotate:
            vmax = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
            for i in range(nx):
                for j in range(ny):
                    if np.isfinite(mean[i, j]):
                        ax.text(
                            j,
                            i,
                            f"{mean[i, j]:.2f}\n[{lo[i, j]:.2f}, {hi[i, j]:.2f}]",
                            ha="center",
                            va="center",
                            fontsize=6,
                            color="white" if shown[i, j] < 0.6 * vmax else "black",
                        )
        ax.set_xticks(range(ny), self.y_names, rotation=90)
        ax.set_yticks(range(nx), self.x_names)
        ax.set_xlabel("y_var")
        ax.set_ylabel("x_var")
        quantity = QUANTITIES.get(str(self.data.attrs["quantity"]), "MI")
        ax.set_title(
            f"{quantity} [{self.units}], {self.method}, n = {self.data.attrs['n_samples']}\n"
            f"red: above zero ({sig.attrs['correction']}, alpha {alpha:g})",
            fontsize="small",
        )
        if own_figure:
            ax.figure.tight_layout()
        return ax

    def __repr__(self) -> str:
        shape = f"{len(self.x_names)} x {len(self.y_names)}"
        chain, draw = self.data.sizes["chain"], self.data.sizes["draw"]
        return (
            f"MIMatrix({shape} {'symmetric ' if self.symmetric else ''}matrix of "
            f"{QUANTITIES.get(str(self.data.attrs['quantity']), 'MI')} in {self.units}, "
            f"method {self.method!r}, {self.kind}, {chain * draw} draws per pair, "
            f"n = {self.data.attrs['n_samples']})"
        )


def load_matrix(path: str | os.PathLike) -> MIMatrix:
    """Read an :class:`MIMatrix` written by :meth:`MIMatrix.save`."""
    return MIMatrix.load(path)

"""Running the pairs: each pair is one call of its estimator, on this process, on local worker
processes (joblib's loky, in chunks timed from the pairs so far) or on a Dask cluster; the
finished pairs come back as they end, so the caller can checkpoint them."""

from __future__ import annotations

import itertools
import math
import os
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from bayesmi.matrix.pairs import CALLER
from bayesmi.resampling import worker

__all__ = ["CHUNK_SECONDS", "CHUNK_SHARE", "chooses_count", "dask_client", "run_pairs"]


# -- one pair (runs on a worker) -----------------------------------------------------------------
def _columns(data: dict[str, Any], task: dict[str, Any]):
    """The pair's x and y (from X alone in a symmetric matrix) and the shared z."""
    x = data["X"][:, task["cols_x"]]
    y = (data["Y"] if data["Y"] is not None else data["X"])[:, task["cols_y"]]
    return x, y, data["Z"]


def _pair_task(data: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """Estimate one pair; the caller runs it as a worker (:func:`bayesmi.resampling.worker`)."""
    start = time.perf_counter()
    x, y, z = _columns(data, task)
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
                f"{CALLER}: while estimating pair ({task['name_x']!r}, {task['name_y']!r})"
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
    """The component count of a mixture method, chosen by its own selection
    (``choose_n_components``) on a seeded random subsample of ``task["select_subsample"]`` rows
    (the count is then held fixed for the full data)."""
    u = np.hstack([p for p in _columns(data, task) if p is not None])
    rng = np.random.default_rng(np.random.SeedSequence([task["seed"], 1]))
    u = u[rng.choice(len(u), size=task["select_subsample"], replace=False)]
    try:
        return cls(**params).choose_n_components(u, rng)
    except ValueError as err:
        err.add_note(
            f"{CALLER}: while choosing the component count of pair ({task['name_x']!r}, "
            f"{task['name_y']!r}) on a subsample of {task['select_subsample']} rows"
        )
        raise


def chooses_count(cls, params: dict) -> bool:
    """Whether the pairs' component count is chosen apart, on a subsample: the method declares
    ``chooses_n_components`` and the call leaves the count to it (``n_components`` None, not
    categorical)."""
    return (
        cls.chooses_n_components
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
    """Estimate a chunk's pairs in turn, in one process, as a worker
    (:func:`bayesmi.resampling.worker`: one BLAS thread, as every estimator's own workers use,
    and glibc's own allocation thresholds). A pair that fails ends the chunk; the pairs finished
    before it come back with the error, so they reach the checkpoint."""
    import pickle
    import traceback

    results = []
    with worker(parent):
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
        with worker():
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


def run_pairs(data, tasks, n_jobs: int, client) -> Iterator[dict[str, Any]]:
    """Each task's outcome as its pair ends: on ``client`` (Dask) where given, else on
    ``n_jobs`` local processes. An error is raised once the pairs already running have ended."""
    return _run_dask(data, tasks, client) if client is not None else _run_local(data, tasks, n_jobs)


def dask_client(client):
    """The Dask client to run the pairs on: ``client``, else the current one."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(
            f"{CALLER}: backend='dask' needs dask.distributed: pip install 'bayesmi[dask]'."
        ) from err
    if client is None:
        try:
            return distributed.get_client()
        except ValueError as err:
            raise ValueError(
                f"{CALLER}: backend='dask' needs a client: pass client=distributed.Client(...) "
                "(for a cluster: Client('tcp://scheduler:8786')), or create one first."
            ) from err
    if not isinstance(client, distributed.Client):
        raise TypeError(
            f"{CALLER}: client must be a distributed.Client, got {type(client).__name__}."
        )
    return client

"""Resampling, seeding and parallel fan-out, shared by every estimator.

Seeding: one ``seed`` becomes a numpy ``SeedSequence`` whose children seed each task, so a
task's random stream depends only on the seed and the task's index, never on which worker ran
it: the same seed gives the same draws whatever ``n_jobs`` is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

__all__ = ["bootstrap_counts", "resolve_block_length", "run_parallel", "spawn_seeds"]


def spawn_seeds(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of ``seed`` (None: fresh entropy)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)


def resolve_block_length(block_length: int | str | None, n: int) -> int | None:
    """Block length for the moving-block bootstrap; "auto" is n**(1/3) (Hall, Horowitz & Jing
    1995, the rate for variance estimation), at least 2."""
    if block_length is None:
        return None
    if block_length == "auto":
        return max(2, round(n ** (1 / 3)))
    return int(block_length)


def bootstrap_counts(
    n: int, rng: np.random.Generator, block_length: int | None = None
) -> np.ndarray:
    """How many times each of n points appears in one resample, shape (n,).

    ``block_length=None`` gives the i.i.d. bootstrap (counts ~ Multinomial(n, 1/n)).
    An integer gives the moving-block bootstrap (Kuensch 1989): ceil(n / L) blocks of L
    consecutive points with uniformly drawn starts, cut to n points, which keeps the
    dependence within each block for autocorrelated (time-series) data.
    """
    if block_length is None or block_length <= 1:
        return np.bincount(rng.integers(0, n, size=n), minlength=n)
    block_length = min(block_length, n)
    n_blocks = -(-n // block_length)
    starts = rng.integers(0, n - block_length + 1, size=n_blocks)
    idx = (starts[:, None] + np.arange(block_length)).ravel()[:n]
    return np.bincount(idx, minlength=n)


def _run_chunk(fn: Callable, chunk: list[Any]) -> list[Any]:
    # One BLAS thread per worker: tiny matrix products are far slower with a thread pool, and
    # parallelism comes from the workers.
    with threadpool_limits(limits=1, user_api="blas"):
        return [fn(t) for t in chunk]


def run_parallel(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any] | Iterable[Any],
    *,
    n_jobs: int | None = 1,
    progress: bool = True,
    desc: str = "bayesmi",
    backend: str | None = None,
) -> list[Any]:
    """``[fn(t) for t in tasks]``, in order, over joblib workers, with a progress bar.

    Tasks go to the workers in chunks (a few per worker), so that the cost of shipping a task
    is paid a few times, not once per task; results come back in task order, so a task's
    output never depends on how the tasks were split.

    Parameters
    ----------
    fn : callable
        Must be picklable for process backends (a module-level function or a partial).
    tasks : sequence
    n_jobs : int or None
        1 runs in this process; -1 uses every core; see joblib.
    progress : bool
        Show a tqdm progress bar.
    backend : str, optional
        Any joblib backend ("loky", "threading", "dask", "ray" once registered).
    """
    tasks = list(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress, leave=False)
    try:
        if n_jobs == 1 and backend is None:
            out = []
            with threadpool_limits(limits=1, user_api="blas"):
                for t in tasks:
                    out.append(fn(t))
                    bar.update()
            return out
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
        n_chunks = min(len(tasks), 4 * max(1, parallel._effective_n_jobs()))
        chunks = [list(c) for c in np.array_split(np.arange(len(tasks)), n_chunks) if len(c)]
        out = []
        for part in parallel(delayed(_run_chunk)(fn, [tasks[i] for i in c]) for c in chunks):
            out.extend(part)
            bar.update(len(part))
        return out
    finally:
        bar.close()

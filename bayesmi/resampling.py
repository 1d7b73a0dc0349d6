"""Resampling, seeding and parallel fan-out, shared by every estimator.

Seeding: one ``seed`` becomes a numpy ``SeedSequence`` whose children seed each task, so a
task's random stream depends only on the seed and the task's index, never on which worker ran
it: the same seed gives the same draws whatever ``n_jobs`` is.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

__all__ = [
    "bootstrap_counts",
    "one_blas_thread",
    "resolve_block_length",
    "roomy_malloc",
    "run_parallel",
    "spawn_seeds",
    "worker",
]

_limit = threading.local()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread in this process while the block runs (threadpoolctl).

    Every estimate runs single-threaded (tiny matrix products are far slower with a thread pool,
    and parallelism comes from the workers), so the limit is entered once per task and again in
    every nested call. threadpoolctl scans the loaded libraries each time (about 4 ms); inside an
    outer limit of the same thread that scan is skipped unless modules were imported since it
    began (a newly loaded library then gets its limit too).
    """
    modules = len(sys.modules)
    if getattr(_limit, "modules", None) == modules:
        yield
        return
    outer = getattr(_limit, "modules", None)
    with threadpool_limits(limits=1, user_api="blas"):
        _limit.modules = modules
        try:
            yield
        finally:
            _limit.modules = outer


#: glibc's mallopt parameters (malloc.h) and its fixed defaults (malloc.c:
#: DEFAULT_MMAP_THRESHOLD_MIN, DEFAULT_TRIM_THRESHOLD); its dynamic ceiling for the mmap
#: threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX), and twice that for trimming (the
#: ratio glibc keeps when it raises the threshold itself).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_GLIBC_DEFAULT = 128 * 1024
_ROOMY = {_M_MMAP_THRESHOLD: 32 * 1024 * 1024, _M_TRIM_THRESHOLD: 64 * 1024 * 1024}
_ENV = {_M_MMAP_THRESHOLD: "MALLOC_MMAP_THRESHOLD_", _M_TRIM_THRESHOLD: "MALLOC_TRIM_THRESHOLD_"}
_malloc_lock = threading.Lock()
_malloc_users = 0


@functools.cache
def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _fixed_thresholds() -> dict[int, int] | None:
    """The thresholds fixed by this process's environment, or None if none is."""
    out = {}
    for param, var in _ENV.items():
        value = os.environ.get(var)
        if value is None:
            out[param] = _GLIBC_DEFAULT
            continue
        try:
            out[param] = int(value)
        except ValueError:
            return None
    return out if any(v in os.environ for v in _ENV.values()) else None


@contextmanager
def roomy_malloc() -> Iterator[None]:
    """glibc's own large-allocation thresholds while the block runs, in a process whose
    environment fixed them (Dask's nannies start every worker with MALLOC_TRIM_THRESHOLD_=65536).

    A fixed threshold turns off glibc's dynamic mmap threshold, so every array of 128 KiB or more
    is a fresh mmap, zeroed page by page, and unmapped again when freed: measured on gmm pairs at
    n = 5000 (arrays of n x components), 1000 times the page faults and 1.8-2.4 times the time
    (docs/matrix.md). Here the thresholds are raised to glibc's dynamic ceiling (32 MiB, trimming
    above 64 MiB) while the block runs, then set back to the environment's values and the free
    memory handed back to the system (malloc_trim), so between tasks the process keeps the memory
    behaviour it was started with. No-op elsewhere (no fixed threshold, or not glibc)."""
    global _malloc_users
    libc, fixed = _glibc(), _fixed_thresholds()
    if libc is None or fixed is None:
        yield
        return
    with _malloc_lock:
        if _malloc_users == 0:
            for param, value in _ROOMY.items():
                libc.mallopt(param, value)
        _malloc_users += 1
    try:
        yield
    finally:
        with _malloc_lock:
            _malloc_users -= 1
            if _malloc_users == 0:
                for param, value in fixed.items():
                    libc.mallopt(param, value)
                libc.malloc_trim(0)


def spawn_seeds(seed: int | np.random.SeedSequence | None, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of ``seed`` (None: fresh entropy)."""
    from bayesmi.validation import check_seed

    check_seed(seed, caller="bayesmi")
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)


def resolve_block_length(
    block_length: int | str | None, n: int, caller: str = "bayesmi"
) -> int | None:
    """Block length for the moving-block bootstrap; "auto" is n**(1/3) (Hall, Horowitz & Jing
    1995, the rate for variance estimation), at least 2. A length above n / 2 is refused: with
    fewer than two whole blocks every resample is nearly the data itself (block_length = n gave
    50 identical draws, sd 0)."""
    if block_length is None:
        return None
    if block_length == "auto":
        return max(2, round(n ** (1 / 3)))
    if int(block_length) > n // 2:
        raise ValueError(
            f"{caller}: block_length must be at most n / 2 = {n // 2} so that a resample joins "
            f"at least two blocks; got {block_length} for {n} samples. Use a shorter block "
            "(about the autocorrelation length of the data) or block_length='auto'."
        )
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


#: How often (seconds) a worker process checks that the process that started it still runs.
PARENT_POLL_S = 0.5
_watching: int | None = None


def _exit_when_orphaned(parent: int) -> None:
    """In a worker process started by ``parent`` (loky's workers are its children), a daemon
    thread that ends the worker once ``parent`` has died (the worker is then re-parented).

    Why: loky's workers leave only when they next read their call queue, so a worker in the
    middle of a chunk of tasks kept computing for more than a minute after its parent was killed
    (SIGKILL gives the parent no chance to stop them). Workers that the parent did not start
    itself (Dask, Ray, a loky pool outliving it by design) are left alone.
    """
    global _watching
    if _watching is not None or os.getpid() == parent or os.getppid() != parent:
        return
    _watching = parent

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="bayesmi-parent-watch", daemon=True).start()


@contextmanager
def worker(parent: int | None = None) -> Iterator[None]:
    """How every worker runs its tasks (here and in :mod:`bayesmi.matrix`): it ends itself if
    ``parent`` (the process that started it, where given) dies, and computes with one BLAS
    thread (tiny matrix products are far slower with a thread pool, and parallelism comes from
    the workers; the draws do not depend on a worker's thread count) and glibc's own allocation
    thresholds (:func:`roomy_malloc`: Dask workers fix them)."""
    if parent is not None:
        _exit_when_orphaned(parent)
    with one_blas_thread(), roomy_malloc():
        yield


def _run_chunk(fn: Callable, chunk: list[Any], parent: int | None = None) -> list[Any]:
    with worker(parent):
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
    from bayesmi.validation import check_n_jobs

    check_n_jobs(n_jobs, caller="bayesmi")
    tasks = list(tasks)
    bar = tqdm(total=len(tasks), desc=desc, disable=not progress, leave=False)
    try:
        if n_jobs == 1 and backend is None:
            out = []
            with one_blas_thread():
                for t in tasks:
                    out.append(fn(t))
                    bar.update()
            return out
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
        n_chunks = min(len(tasks), 4 * max(1, parallel._effective_n_jobs()))
        chunks = [list(c) for c in np.array_split(np.arange(len(tasks)), n_chunks) if len(c)]
        out = []
        me = os.getpid()
        for part in parallel(delayed(_run_chunk)(fn, [tasks[i] for i in c], me) for c in chunks):
            out.extend(part)
            bar.update(len(part))
        return out
    finally:
        bar.close()

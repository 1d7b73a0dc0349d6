"""The exchange format between the validation suite and a peer's batch script.

A peer runs in an environment of its own (its own interpreter, numpy and torch/jax versions), so
it never imports bayesmi: its batch script imports only this file (numpy and the standard
library) and the peer. The suite writes ``IN.npz`` holding ``count`` and, for each data set i,
``x_i`` and ``y_i`` (2-D, one row per sample), ``seed_i`` (the replicate's seed, for peers
that take one) and ``methods_i`` (the peer's method names to run on it); the script writes
``OUT.json``: one dict per data set, method name -> a row (``estimate_nats``, ``seconds``,
``error``, ``warnings`` and, where the peer gives them, ``sd_nats`` and ``draws_nats``).

Usage from a batch script::

    for x, y, seed, methods, put in peer_io.datasets(sys.argv[1]):
        for m in methods:
            put(m, lambda: {"estimate_nats": ...})   # timed; an exception becomes an error row
    peer_io.write(sys.argv[2])
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

__all__ = ["datasets", "write"]

_OUT: list[dict] = []


def _put(row_of: dict, method: str, fn: Callable[[], dict]) -> None:
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            row = dict(fn())
            row.setdefault("error", "")
        except Exception as e:  # a peer's crash is a result to report, not a stop
            row = {"error": f"{type(e).__name__}: {e}"[:300]}
    row["seconds"] = row.get("seconds", time.perf_counter() - t0)
    names = sorted({w.category.__name__ for w in caught} - {"DeprecationWarning", "FutureWarning"})
    row.setdefault("warnings", ";".join(names))
    row_of[method] = row


def datasets(path: str) -> Iterator[tuple[np.ndarray, np.ndarray, int, list[str], Callable]]:
    """(x, y, seed, method names, put) for each data set of ``IN.npz``; ``put(method, fn)`` runs
    ``fn() -> row`` timed and records its row (or its exception as an error)."""
    with np.load(path) as data:
        for i in range(int(data["count"])):
            row_of: dict = {}
            _OUT.append(row_of)
            methods = [str(m) for m in data[f"methods_{i}"]]
            put = lambda m, fn, r=row_of: _put(r, m, fn)  # noqa: E731
            yield data[f"x_{i}"], data[f"y_{i}"], int(data[f"seed_{i}"]), methods, put


def write(path: str) -> None:
    """Write the rows collected so far to ``OUT.json``."""
    Path(path).write_text(json.dumps(_OUT))

"""Which pairs ``mi_matrix`` runs: the tables read and checked, the variables (single columns or
column groups), and one task per pair with its own seed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayesmi.validation import check_array

__all__ = ["CALLER", "pair_seed", "read_table", "tasks_for", "variables"]

CALLER = "mi_matrix"


def pair_seed(seed: int, name_x: str, name_y: str) -> int:
    """The seed of the pair (name_x, name_y): the first 63 bits of SHA-256 of
    ``json([seed, name_x, name_y])``. It depends only on the master seed and the two names, so
    adding or removing other columns leaves a pair's draws unchanged."""
    text = json.dumps([int(seed), str(name_x), str(name_y)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


# -- input ---------------------------------------------------------------------------------------
def read_table(a: Any, arg: str, prefix: str) -> tuple[np.ndarray, list[str]]:
    """A 2-D float array and its column names (a DataFrame's own, else ``prefix`` + index)."""
    columns = getattr(a, "columns", None)
    arr = check_array(a, arg, caller=CALLER, min_samples=2, allow_constant=True)
    if columns is not None:
        names = [str(c) for c in columns]
    elif getattr(a, "name", None) is not None and arr.shape[1] == 1:  # a named pandas Series
        names = [str(a.name)]
    else:
        names = [f"{prefix}{i}" for i in range(arr.shape[1])]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"{CALLER}: {arg} has repeated column names {dup[:5]}; each pair is named (and "
            "seeded) by its columns' names, so they must be unique. Rename the columns."
        )
    constant = np.flatnonzero(np.ptp(arr, axis=0) == 0)
    if constant.size:
        raise ValueError(
            f"{CALLER}: {arg} has a constant column {names[constant[0]]!r}: it carries no "
            "information and makes the estimate ill-defined. Remove that column."
        )
    return arr, names


def _groups(spec: Any, names: list[str], arg: str) -> dict[str, list[int]]:
    """Group name -> column indices, from a mapping of names to lists of column names or
    positions."""
    if not isinstance(spec, Mapping) or not spec:
        raise TypeError(
            f"{CALLER}: {arg} must be a non-empty dict of group name -> list of columns, got "
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
                        f"{CALLER}: {arg}[{gname!r}] has column position {c}, outside the "
                        f"{len(names)} columns."
                    )
                i = int(c)
            elif str(c) in names:
                i = names.index(str(c))
            else:
                raise ValueError(
                    f"{CALLER}: {arg}[{gname!r}] names column {c!r}, which is not one of the "
                    f"columns {names[:10]}{' ...' if len(names) > 10 else ''}."
                )
            if i in seen:
                raise ValueError(
                    f"{CALLER}: {arg}: column {names[i]!r} is in both group {seen[i]!r} and "
                    f"group {gname!r}; groups must not overlap (the MI of a variable with "
                    "itself is infinite)."
                )
            seen[i] = str(gname)
            idx.append(i)
        if not idx:
            raise ValueError(f"{CALLER}: {arg}[{gname!r}] is empty; give it at least one column.")
        out[str(gname)] = idx
    return out


def variables(
    groups: Mapping | tuple | None, x_names: list[str], y_names: list[str], symmetric: bool
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The variables of X and of Y (those of X when ``symmetric``): name -> column indices,
    single columns or the groups of ``groups``."""
    gx = gy = None
    if groups is not None:
        if isinstance(groups, tuple):
            if symmetric or len(groups) != 2:
                raise ValueError(
                    f"{CALLER}: groups as a tuple (groups of X, groups of Y) needs Y; without Y "
                    "pass one dict."
                )
            gx = None if groups[0] is None else _groups(groups[0], x_names, "groups[0]")
            gy = None if groups[1] is None else _groups(groups[1], y_names, "groups[1]")
        else:
            gx = _groups(groups, x_names, "groups")
    vars_x = gx if gx is not None else {n: [i] for i, n in enumerate(x_names)}
    if symmetric:
        if len(vars_x) < 2:
            raise ValueError(f"{CALLER}: groups has {len(vars_x)} group; pairs need at least 2.")
        return vars_x, vars_x
    return vars_x, gy if gy is not None else {n: [i] for i, n in enumerate(y_names)}


def tasks_for(
    vars_x: dict[str, list[int]],
    vars_y: dict[str, list[int]],
    symmetric: bool,
    seed: int,
    cls: type,
    params: dict[str, Any],
) -> tuple[list[tuple[int, int]], list[dict[str, Any]]]:
    """The pairs (i, j) of variables (each unordered pair once when ``symmetric``) and one task
    per pair: its names, columns, seed (:func:`pair_seed`), the estimator class and its
    parameters."""
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
            "params": params,
        }
        for k, (i, j) in enumerate(pairs)
    ]
    return pairs, tasks

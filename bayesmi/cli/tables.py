"""Reading data files for the command line, and choosing columns by name, list or pattern."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import numpy as np

__all__ = ["load_table", "select_columns"]


def load_table(path: str | Path):
    """A pandas DataFrame from CSV, Parquet, NumPy ``.npy`` (2-D: columns "0", "1", ...) or
    ``.npz`` (each array a column, or columns "name_0", "name_1", ... for a 2-D array)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no data file at {str(path)!r}.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError as err:
            raise ImportError(
                f"reading {path.name} needs a Parquet engine: pip install pyarrow"
            ) from err
    if suffix == ".npy":
        a = _read_numpy(path, "a NumPy .npy file (numpy.save)")
        if not isinstance(a, np.ndarray):
            raise ValueError("not a NumPy .npy file: it holds several arrays (use .npz).")
        a = a[:, None] if a.ndim == 1 else a
        if a.ndim != 2:
            raise ValueError(f"a .npy file must hold a 1-D or 2-D array, got {a.ndim}-D {a.shape}.")
        return pd.DataFrame(a, columns=[str(i) for i in range(a.shape[1])])
    if suffix == ".npz":
        data = _read_numpy(path, "a NumPy .npz archive (numpy.savez)")
        if isinstance(data, np.ndarray):
            raise ValueError("not a NumPy .npz archive: it holds one .npy array (rename it .npy).")
        columns = {}
        with data:
            for name in data.files:
                try:
                    a = data[name]
                except Exception as err:  # a truncated or corrupt member
                    raise ValueError(
                        f"array {name!r} cannot be read ({type(err).__name__}: {err}); the "
                        "archive is damaged or truncated: write it again with numpy.savez."
                    ) from err
                if a.ndim == 1:
                    columns[name] = a
                elif a.ndim == 2:
                    columns.update({f"{name}_{i}": a[:, i] for i in range(a.shape[1])})
                else:
                    raise ValueError(f"array {name!r} is {a.ndim}-D; expected 1-D or 2-D.")
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"arrays of different lengths {sorted(lengths)}.")
        return pd.DataFrame(columns)
    raise ValueError(
        f"unknown data file type {suffix!r} for {path.name}: "
        "use .csv, .tsv, .parquet, .npy or .npz."
    )


def _read_numpy(path: Path, what: str):
    """``numpy.load`` without pickles, its failures as one ValueError saying what was expected."""
    try:
        return np.load(path, allow_pickle=False)
    except Exception as err:  # BadZipFile, EOFError, a pickle or a text file, a bad header
        head = path.read_bytes()[:6]
        if head == b"\x93NUMPY":
            why = f"its array data is damaged or truncated ({type(err).__name__}: {err})"
        elif head[:2] == b"PK":
            why = f"the archive is damaged or truncated ({type(err).__name__}: {err})"
        else:
            why = "it does not start with NumPy's header (a text or other file renamed?)"
        raise ValueError(
            f"not {what}: {why}. Write it again with numpy, or save text tables as .csv."
        ) from err


def select_columns(table, spec: str, name: str) -> list[str]:
    """Column names chosen by ``spec``: comma-separated names, shell patterns (``f1_*`` takes
    every column starting with ``f1_``, as torch-mist's column groups do), or a mix."""
    chosen: list[str] = []
    columns = [str(c) for c in table.columns]
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        hits = (
            fnmatch.filter(columns, part)
            if any(ch in part for ch in "*?[")
            else ([part] if part in columns else [])
        )
        if not hits:
            raise ValueError(
                f"--{name}: no column matches {part!r}; the columns are {columns[:20]}"
                + (" ..." if len(columns) > 20 else "")
            )
        chosen.extend(h for h in hits if h not in chosen)
    if not chosen:
        raise ValueError(f"--{name}: choose at least one column.")
    return chosen

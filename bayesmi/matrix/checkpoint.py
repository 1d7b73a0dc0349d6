"""The checkpoint of a ``mi_matrix`` run: the finished pairs, kept in flat arrays and written to
a netCDF file (atomically) as they arrive, with the run's fingerprint, so that an interrupted run
of the same call computes only the pairs it lacks. Files written by every earlier version load."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from bayesmi._io import write_netcdf
from bayesmi.matrix.labelled import MIMatrix
from bayesmi.matrix.pairs import CALLER

__all__ = ["CHECKPOINT_EVERY_S", "FinishedPairs", "checkpoint_seed"]

#: The checkpoint is written at most this often while pairs arrive (one write costs tens to
#: hundreds of milliseconds), and always when the run ends, fails or is interrupted.
CHECKPOINT_EVERY_S = 5.0


def checkpoint_seed(path) -> int | None:
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
            f"{CALLER}: checkpoint {str(path)!r} is not a bayesmi checkpoint (it cannot be read "
            f"as netCDF: {type(err).__name__}). Delete it or pass another checkpoint path."
        ) from err
    if "fp_seed" not in ds.attrs or "done" not in ds:
        raise ValueError(
            f"{CALLER}: checkpoint {str(path)!r} is a netCDF file but not a bayesmi checkpoint "
            "(no run fingerprint). Delete it or pass another checkpoint path."
        )
    return ds


class FinishedPairs:
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
                f"{CALLER}: checkpoint {str(self.path)!r} was written by a different run (its "
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
                f"{CALLER}: the method returned draws of shape {d.shape} for one pair and "
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
        write_netcdf(ds, self.path, engine="h5netcdf")

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

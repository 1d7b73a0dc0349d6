"""Every piece of code that touches ArviZ (or netCDF) lives here, so that moving to ArviZ 1.x
(an xarray DataTree) is a change in one file.

Layout of a result as ``InferenceData``:
- ``posterior``: the draws in nats under the quantity's name (``mi``, ``cmi`` or ``kl``), dims
  (chain, draw), plus every per-draw extra; attributes hold kind, quantity, units, method and the
  provenance (JSON).
- ``bayesmi``: the extras that are not per draw (CV curves, the full-data model) and the
  pointwise values.
- any further groups the result carries in ``MIResult.groups`` (a sampler's ``sample_stats``,
  the ``observed_data``), as they are.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bayesmi.result import QUANTITIES, MIResult, convert_units

__all__ = [
    "dataset",
    "from_inferencedata",
    "load",
    "mcmc_diagnostics",
    "plot",
    "save",
    "summary",
    "to_inferencedata",
]

#: Groups that to_inferencedata writes itself; any other group of a file is a carried group.
_OWN_GROUPS = ("posterior", "bayesmi")


def _az():
    """ArviZ, imported so that processes importing it at the same moment cannot fail.

    ArviZ 0.23 writes a daily stamp on import through one fixed temporary file
    (``~/.cache/arviz/daily_warning.tmp``): the first import of a day in two processes at once
    (pytest-xdist workers, joblib's process workers) can move that file from under the other,
    whose import then fails with FileNotFoundError. The winner has written today's stamp, so a
    second import reads it and writes nothing. Import ArviZ through this before PyMC or nutpie
    does (they import it too).
    """
    with warnings.catch_warnings():
        # ArviZ 0.2x announces its 1.x refactor on import.
        warnings.simplefilter("ignore", FutureWarning)
        try:
            import arviz
        except FileNotFoundError as err:
            if not str(err.filename).endswith("daily_warning.tmp"):
                raise
            import arviz

    return arviz


def _dataset(draws: np.ndarray, name: str, extras: dict[str, np.ndarray]):
    import xarray as xr

    chain, draw = draws.shape
    data = {name: (("chain", "draw"), draws)}
    for key, arr in extras.items():
        dims = ("chain", "draw", *tuple(f"{key}_dim_{i}" for i in range(arr.ndim - 2)))
        data[key] = (dims, arr)
    return xr.Dataset(data, coords={"chain": np.arange(chain), "draw": np.arange(draw)})


def to_inferencedata(result: MIResult):
    """The result as an ArviZ ``InferenceData`` (draws in nats)."""
    import xarray as xr

    az = _az()
    shape = result.draws_nats.shape
    per_draw = {k: v for k, v in result.extras.items() if np.shape(v)[:2] == shape}
    other = {k: np.asarray(v) for k, v in result.extras.items() if k not in per_draw}
    posterior = _dataset(result.draws_nats, result.quantity, per_draw)
    posterior.attrs.update(
        kind=result.kind,
        quantity=result.quantity,
        units=result.units,
        method=result.method,
        provenance=json.dumps(result.provenance, sort_keys=True, default=str),
        per_draw_extras=json.dumps(sorted(per_draw)),
        stored_units="nats",
        bound=result.bound or "none",
        note=result.note,
    )
    extra_vars = {k: (tuple(f"{k}_dim_{i}" for i in range(v.ndim)), v) for k, v in other.items()}
    if result.pointwise_nats is not None:
        extra_vars["pointwise_nats"] = (("sample",), np.asarray(result.pointwise_nats))
    idata = az.InferenceData(posterior=posterior)
    idata.add_groups({"bayesmi": xr.Dataset(extra_vars)})
    carried = {k: v for k, v in result.groups.items() if k not in _OWN_GROUPS}
    if carried:
        with warnings.catch_warnings():
            # ArviZ warns about group names outside its schema; these are ours to keep.
            warnings.simplefilter("ignore", UserWarning)
            idata.add_groups(carried)
    return idata


def from_inferencedata(idata) -> MIResult:
    """Rebuild an :class:`MIResult` from :func:`to_inferencedata`'s output."""
    post = idata.posterior
    attrs = post.attrs
    quantity = attrs["quantity"]
    per_draw = json.loads(attrs.get("per_draw_extras", "[]"))
    extras = {k: post[k].values for k in per_draw}
    pointwise = None
    if "bayesmi" in idata.groups():
        group = idata["bayesmi"]
        for k in group.data_vars:
            if k == "pointwise_nats":
                pointwise = group[k].values
            else:
                extras[k] = group[k].values
    result = MIResult(
        draws_nats=post[quantity].values,
        kind=attrs["kind"],
        quantity=quantity,
        units=attrs.get("units", "nats"),
        method=attrs.get("method", ""),
        provenance=json.loads(attrs.get("provenance", "{}")),
        pointwise_nats=pointwise,
        extras=extras,
        bound=None if attrs.get("bound", "none") == "none" else attrs["bound"],
        note=str(attrs.get("note", "")),
        groups={g: idata[g] for g in idata.groups() if g not in _OWN_GROUPS},
    )
    result.model = _rebuild_model(result)
    return result


def _rebuild_model(result: MIResult) -> Any:
    """The fitted model, where it stored itself in the extras (a Gaussian mixture:
    ``GaussianMixtureModel.to_extras``); else None."""
    from bayesmi.mixture import GaussianMixtureModel

    return GaussianMixtureModel.from_extras(result.extras)


def save(result: MIResult, path: str | os.PathLike) -> str:
    """Write ``result`` to a netCDF file atomically (:func:`bayesmi._io.write_netcdf`): a crash
    never leaves half a file."""
    from bayesmi._io import write_netcdf

    return write_netcdf(to_inferencedata(result), path)


def _object_type(path: Path) -> str | None:
    """The ``bayesmi_object`` attribute of a netCDF file's root group (set by objects other
    than MIResult, such as LayerMI), or None."""
    import h5netcdf

    try:
        with h5netcdf.File(path, "r") as f:
            value = f.attrs.get("bayesmi_object")
    except Exception:  # not HDF5-based netCDF (netCDF3): ArviZ's reader says what is wrong
        return None
    return value.decode() if isinstance(value, bytes) else value


def load(path: str | os.PathLike):
    """Read a result written by :meth:`MIResult.save` (an :class:`MIResult`) or by
    :meth:`bayesmi.layers.LayerMI.save` (a :class:`~bayesmi.layers.LayerMI`)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no file at {str(path)!r}.")
    if _object_type(path) == "LayerMI":
        from bayesmi.layers import LayerMI

        return LayerMI.load(path)
    try:
        idata = _az().from_netcdf(path)
        idata.load()  # read everything now, so the file is not held open
    except Exception as err:  # not netCDF/HDF5 at all, or damaged
        raise ValueError(
            f"load: {str(path)!r} is not a bayesmi result file: it cannot be read as netCDF "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}). Pass a "
            "file written by MIResult.save or --out."
        ) from err
    attrs = idata.posterior.attrs if "posterior" in idata.groups() else {}
    quantity = attrs.get("quantity")
    if quantity not in QUANTITIES or quantity not in idata.posterior or "kind" not in attrs:
        what = "a netCDF file of another kind"
        if _is_matrix(path):
            what = "a saved MIMatrix (load it with bm.load_matrix)"
        raise ValueError(
            f"load: {str(path)!r} is not a bayesmi result file: it is {what}. Pass a file "
            "written by MIResult.save or --out."
        )
    return from_inferencedata(idata)


def _is_matrix(path: Path) -> bool:
    import xarray as xr

    try:
        with xr.open_dataset(path) as ds:
            return {"x_var", "y_var"} <= set(ds.dims)
    except Exception:
        return False


def dataset(arrays: dict[str, np.ndarray]):
    """An xarray Dataset of plain arrays (dims named ``<name>_dim_<i>``), for an extra group
    such as ``observed_data``."""
    import xarray as xr

    return xr.Dataset(
        {
            k: (tuple(f"{k}_dim_{i}" for i in range(np.ndim(v))), np.asarray(v))
            for k, v in arrays.items()
        }
    )


def mcmc_diagnostics(draws: np.ndarray) -> dict[str, float]:
    """Rank-normalised R-hat (with two chains or more), bulk and tail ESS of draws shaped
    (chain, draw) (Vehtari et al. 2021, as ArviZ computes them)."""
    az = _az()
    draws = np.asarray(draws, dtype=np.float64)
    out = {
        "ess_bulk": float(az.ess(draws, method="bulk")),
        "ess_tail": float(az.ess(draws, method="tail")),
    }
    if draws.shape[0] > 1:
        out["r_hat"] = float(az.rhat(draws))
    return out


def _display_idata(result: MIResult):
    az = _az()
    draws = convert_units(result.draws_nats, result.units)
    return az.from_dict(posterior={result.quantity: draws})


def summary(result: MIResult, hdi_prob: float = 0.9):
    """ArviZ summary (mean, sd, HDI; R-hat and ESS when the draws are MCMC chains)."""
    az = _az()
    kind = "all" if result.kind == "posterior" and result.draws_nats.shape[0] > 1 else "stats"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = az.summary(_display_idata(result), kind=kind, hdi_prob=hdi_prob, round_to="none")
    table.insert(0, "units", result.units)
    table.insert(1, "kind", result.kind)
    return table


def plot(result: MIResult, hdi_prob: float = 0.9, ax=None, **kwargs):
    """ArviZ posterior plot with the HDI marked; the axis label carries the units."""
    az = _az()
    ax = az.plot_posterior(
        _display_idata(result), var_names=[result.quantity], hdi_prob=hdi_prob, ax=ax, **kwargs
    )
    ax = np.ravel(ax)[0]
    ax.set_title(f"{QUANTITIES[result.quantity]} ({result.kind}, {result.method or 'bayesmi'})")
    ax.set_xlabel(f"{QUANTITIES[result.quantity]} [{result.units}]")
    return ax


def trace_and_rank(result: MIResult) -> list:
    """Trace plot and rank plot of MCMC draws (ArviZ); returns their figures."""
    az = _az()
    idata = _display_idata(result)
    label = f"{QUANTITIES[result.quantity]} [{result.units}]"
    trace = np.ravel(az.plot_trace(idata, var_names=[result.quantity], figsize=(9, 2.5)))
    trace[0].set_xlabel(label)
    rank = np.ravel(az.plot_rank(idata, var_names=[result.quantity], figsize=(5, 3)))
    rank[0].set_title(f"rank plot, {label}")
    return [trace[0].figure, rank[0].figure]


def forest(results: dict[str, MIResult], hdi_prob: float = 0.9, ax=None):
    """ArviZ forest plot of several results of one quantity, in the first one's units."""
    az = _az()
    first = next(iter(results.values()))
    units = first.units
    datas = [_display_idata(r.to(units)) for r in results.values()]
    axes = az.plot_forest(
        datas,
        model_names=list(results),
        var_names=[first.quantity],
        hdi_prob=hdi_prob,
        combined=True,
        figsize=(6, 1 + 0.5 * len(results)),
        ax=ax,
    )
    ax = np.ravel(axes)[0]
    ax.set_xlabel(f"{QUANTITIES[first.quantity]} [{units}]")
    return ax

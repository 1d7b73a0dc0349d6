"""The labelled results: draws in nats in an xarray Dataset under labelled coordinates, shown in
either unit and saved to netCDF atomically. :class:`MIMatrix` (a matrix of pairs) is one;
:class:`bayesmi.layers.LayerMI` (layers by targets) another."""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from bayesmi._io import write_netcdf
from bayesmi.estimators.base import REGISTRY
from bayesmi.matrix.pairs import pair_seed
from bayesmi.matrix.stats import CORRECTION_NAMES, CORRECTIONS, P_SOURCES, adjust_p, one_sided_p
from bayesmi.result import QUANTITIES, MIResult, convert_units, hdi, nats_per_unit
from bayesmi.validation import check_choice

__all__ = ["LabelledDraws", "MIMatrix", "label_view", "load_matrix"]


def label_view(coord: str) -> property:
    """A read-only property of a :class:`LabelledDraws`: its labels along ``coord`` (one of
    ``_LABELS``), as a list of str."""
    return property(
        lambda self: [str(v) for v in self.data[coord].values],
        doc=f"The labels along ``{coord}``, as str.",
    )


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

    @property
    def draws(self) -> np.ndarray:
        """The draws in ``self.units``, shaped as ``data["mi"]``: (x_var, y_var, chain, draw) for
        :class:`MIMatrix`, NaN on the diagonal of a symmetric matrix; (epoch, layer, target,
        chain, draw) for :class:`~bayesmi.layers.LayerMI`."""
        return convert_units(self.data["mi"].values, self.units)

    def _described(self, quantity: str, per: str) -> str:
        """What the reprs share: the quantity, units, method, kind, the draws ``per`` entry and
        n."""
        chain, draw = self.data.sizes["chain"], self.data.sizes["draw"]
        return (
            f"{quantity} in {self.units}, method {self.method!r}, {self.kind}, {chain * draw} "
            f"draws {per}, n = {self.data.attrs['n_samples']}"
        )

    def to(self, units: str):
        """The same result shown in other units ("nats" or "bits"); the data stay in nats."""
        return type(self)(self.data, units)

    def save(self, path: str | os.PathLike) -> str:
        """Write the result to a netCDF file atomically (draws in nats)."""
        ds = self.data.copy()
        ds.attrs["units"] = self.units
        ds = ds.assign_coords({c: ds[c].values.astype(str) for c in self._LABELS})
        return write_netcdf(ds, path, engine="h5netcdf")

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Read a result written by :meth:`save`."""
        import xarray as xr

        if not os.path.exists(path):
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

    x_names = label_view("x_var")
    y_names = label_view("y_var")

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
        lo, hi = hdi(self._flat(), prob)
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
        lo, hi = hdi(flat, hdi_prob)
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
        per_unit = nats_per_unit(self.units)
        threshold_nats = float(threshold) * per_unit
        z_null = np.array([self.data["z_null"].values[i, j] for i, j in self._pairs()])
        p_source, p, source = one_sided_p(
            p_source, table, z_null, threshold_nats, per_unit, method=self.method, caller=c
        )
        m = len(table)
        q = adjust_p(p, correction)
        table["p_source"] = p_source
        table["p"] = p
        table["p_adjusted"] = q
        table["excludes_zero"] = q <= alpha
        statement = (
            f"{int(table['excludes_zero'].sum())} of {m} pairs have {self.method} MI above "
            f"{threshold:g} {self.units}: one-sided p-values from {source}, "
            f"{CORRECTION_NAMES[correction]} over {m} pairs at alpha = {alpha:g}."
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
        quantity = QUANTITIES.get(str(self.data.attrs["quantity"]), "MI")
        return (
            f"MIMatrix({shape} {'symmetric ' if self.symmetric else ''}matrix of "
            f"{self._described(quantity, 'per pair')})"
        )


def load_matrix(path: str | os.PathLike) -> MIMatrix:
    """Read an :class:`MIMatrix` written by :meth:`MIMatrix.save`."""
    return MIMatrix.load(path)

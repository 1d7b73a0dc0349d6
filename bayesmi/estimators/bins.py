"""Binning (histogram) mutual information with a bias correction and a bootstrap distribution.

Each continuous column is cut into bins (equal width or equal frequency; the count by the
Freedman–Diaconis or Sturges rule, or given); a multi-dimensional variable is binned jointly
(one cell per combination of its columns' bins); discrete columns are used as they are. The
plug-in MI of the contingency table is then corrected for its finite-sample bias:

- Miller–Madow (Miller 1955): each entropy gains (m - 1) / (2n), m its occupied cells, so
  I_MM = I_ML + (m_x + m_y - m_xy - 1) / (2n);
- jackknife (Efron & Stein 1981; Zahl 1977 for entropies): I_JK = n I - (n - 1) mean_i I_(-i),
  the leave-one-out values computed per occupied cell in closed form.

The bootstrap refits the table on resampled counts, bins fixed from the full data; since a
resample repeats points, which biases a table upward by itself, the draws are the bootstrap's
deviations around the corrected full-data estimate. They capture sampling variability, not the
discretisation bias (binning can only lose information: with too few bins the MI is low in
every draw).

With a continuous variable binned, the quantity estimated is the MI of the binned variables,
a lower bound on I(X;Y) by the data-processing inequality (Cover & Thomas 2006, sec. 2.8),
which it reaches only as the bins grow finer: the result says so (``bound="lower"``), and an
interval at zero then means "no dependence this table can see", not independence (on the
validation panel a Student-t pair with 0.042 nats, all of it in the joint tails, gave draws
straddling 0 at n = 300).
"""

from __future__ import annotations

import warnings
from dataclasses import KW_ONLY
from functools import partial
from typing import ClassVar

import numpy as np

from bayesmi import intervals
from bayesmi.estimators.base import Estimator, register
from bayesmi.exceptions import WARNINGS_PAGE, CoverageWarning, SparseTableWarning
from bayesmi.resampling import bootstrap_counts, spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import check_choice, check_paired, check_positive_int

__all__ = ["BinsMI", "bin_codes", "plugin_mi"]

RULES = ("auto", "fd", "sturges")
#: Samples per cell of the joint table that the "auto" rule aims at.
AUTO_PER_CELL = 20
#: Most cells per sample (occupied x cells times occupied y cells, over n) at which the result
#: still claims a lower bound. Beyond it the plug-in's upward bias (of order cells / 2n, more than
#: Miller-Madow removes) outgrows the binning's loss. Measured on independent x (1 to 10
#: dimensions) and y, n = 300, 1000 and 3000, bins "auto", 3, 5 and 10, 6 data sets each: at
#: 0.27 cells per sample or fewer, 0 of 210 data sets put the 5% quantile of the draws above 0
#: (the false claim "I >= a > 0"); from 0.33 on, 1 to 6 of every 6 did (10-D x at n = 1000:
#: 1.28 cells per sample, "I >= 0.34"). benchmarks/robustness_thresholds.py bins; docs/bins.md.
MAX_CELLS_PER_SAMPLE = 0.25
STRATEGIES = ("uniform", "quantile")
CORRECTIONS = ("miller_madow", "jackknife", "none")


def _n_bins(col: np.ndarray, rule: str | int, n_dims: int) -> int:
    n = len(col)
    if not isinstance(rule, str):
        return int(rule)
    if rule == "auto":
        # The joint table of all n_dims binned columns gets about AUTO_PER_CELL samples a cell
        # (the 2-D case of Cellucci et al. 2005 with 20 instead of 5: measured less biased).
        return max(2, int((n / AUTO_PER_CELL) ** (1 / n_dims)))
    if rule == "sturges":
        return int(np.ceil(np.log2(n))) + 1
    # Freedman & Diaconis (1981): width 2 IQR n^(-1/3).
    q75, q25 = np.percentile(col, [75, 25])
    width = 2.0 * (q75 - q25) * n ** (-1 / 3)
    if width <= 0:
        return int(np.ceil(np.log2(n))) + 1
    return max(1, int(np.ceil(np.ptp(col) / width)))


def bin_codes(a: np.ndarray, rule, strategy: str, discrete: bool, n_dims: int) -> np.ndarray:
    """One integer code per row: the joint bin of the row's columns, shape (n,).

    ``n_dims``: how many binned columns the joint table of x and y has (for the "auto" rule).
    """
    per_column = []
    for col in a.T:
        if discrete:
            per_column.append(np.unique(col, return_inverse=True)[1])
            continue
        k = _n_bins(col, rule, n_dims)
        levels, level_codes = np.unique(col, return_inverse=True)
        if len(levels) <= k:
            # As many values as bins or fewer (a binary or coarsely tied column): one bin per
            # value. Quantile edges would collapse onto the values and merge the top ones
            # (x > 0 gave a single bin and MI 0.000 [0, 0] against a truth of 0.130).
            per_column.append(level_codes.ravel())
            continue
        if strategy == "uniform":
            edges = np.linspace(col.min(), col.max(), k + 1)
        else:
            edges = np.unique(np.quantile(col, np.linspace(0, 1, k + 1)))
        # Inner edges only: the extremes fall into the first and last bins.
        per_column.append(np.searchsorted(edges[1:-1], col, side="right"))
    codes = np.stack(per_column, axis=1)
    return np.unique(codes, axis=0, return_inverse=True)[1].ravel()


def _entropy_sum(counts: np.ndarray) -> float:
    """S = sum c log c over occupied cells (H = log n - S / n)."""
    c = counts[counts > 0]
    return float(c @ np.log(c))


def plugin_mi(
    cx: np.ndarray,
    cy: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    correction: str = "miller_madow",
) -> float:
    """MI in nats of the contingency table of codes cx, cy (shape (n,)), each row weighted by
    ``weights`` (bootstrap counts), with a bias correction."""
    w = np.ones(len(cx)) if weights is None else weights
    nx, ny = cx.max() + 1, cy.max() + 1
    joint = np.bincount(cx * ny + cy, weights=w, minlength=nx * ny)
    px = np.bincount(cx, weights=w, minlength=nx)
    py = np.bincount(cy, weights=w, minlength=ny)
    n = w.sum()
    s_x, s_y, s_xy = _entropy_sum(px), _entropy_sum(py), _entropy_sum(joint)
    mi = np.log(n) + (s_xy - s_x - s_y) / n
    if correction == "miller_madow":
        m_x, m_y, m_xy = (px > 0).sum(), (py > 0).sum(), (joint > 0).sum()
        return float(mi + (m_x + m_y - m_xy - 1) / (2 * n))
    if correction == "jackknife":
        # Leaving out one point of cell (a, b) changes only c_ab, c_a, c_b: I_(-i) per cell.
        cells = np.flatnonzero(joint > 0)
        c_ab = joint[cells]
        c_a, c_b = px[cells // ny], py[cells % ny]

        def drop(c):  # change of c log c when c falls by one
            return (c - 1) * np.log(np.maximum(c - 1, 1)) - c * np.log(c)

        loo = np.log(n - 1) + (s_xy + drop(c_ab) - s_x - drop(c_a) - s_y - drop(c_b)) / (n - 1)
        mean_loo = float(c_ab @ loo) / n
        return float(n * mi - (n - 1) * mean_loo)
    return float(mi)


def _boot(codes, correction, block_length, seed) -> float:
    cx, cy = codes
    counts = bootstrap_counts(len(cx), np.random.default_rng(seed), block_length)
    return plugin_mi(cx, cy, counts.astype(np.float64), correction=correction)


def _perm(codes, correction, seed) -> float:
    cx, cy = codes
    return plugin_mi(
        cx, cy[np.random.default_rng(seed).permutation(len(cy))], correction=correction
    )


@register
class BinsMI(Estimator):
    """Histogram mutual information with a bias correction and a bootstrap distribution.

    With a continuous variable binned, the result is a lower bound on I(X;Y)
    (``bound="lower"``: the MI of the binned variables); with every variable discrete
    (``discrete_x`` and ``categorical``) it estimates I(X;Y) itself.

    Parameters
    ----------
    bins : {"auto", "fd", "sturges"} or int, default="auto"
        Bins per continuous column: "auto" gives the joint table of x and y about 20 samples
        per cell ((n/20)^(1/d) per column, d the binned columns in all); or the
        Freedman–Diaconis or Sturges rule (density rules: too many bins for MI, biased high);
        or a number.
    strategy : {"uniform", "quantile"}, default="quantile"
        Equal-width or equal-frequency bins.
    correction : {"miller_madow", "jackknife", "none"}, default="miller_madow"
        Finite-sample bias correction of the plug-in estimate.
    discrete_x : bool, default=False
        Use x's values as they are (categories), unbinned.
    categorical : bool, default=False
        Use y's values as they are (class labels), unbinned. (Formerly ``discrete_y``, still
        accepted with a ``FutureWarning``.)
    n_draws : int, default=200
        Resampled tables; each gives one draw. (Formerly ``n_bootstrap``, still accepted with a
        ``FutureWarning``.)
    n_permutations : int, default=100
        Tables with y shuffled: a p-value and the estimator's value at zero MI. Where
        independence is not rejected at the 0.1 level the interval starts at 0 and the
        printout says "no dependence detected" (``bayesmi.intervals``).
    interval : {"calibrated", "percentile", "basic"}, default="calibrated"
        How the bootstrap tables become the draws shown: "calibrated" keeps the bootstrap's
        spread around the corrected full-data estimate (a resample repeats points, which adds
        its own upward bias to a table); "percentile" keeps the resampled values. Negative
        values are set to 0 in every scheme; the raw draws stay on the result.
    seed, n_jobs, progress, backend
        As for every estimator.
    """

    name = "bins"
    kind = "bootstrap"
    bound = "lower"
    supports_categorical = True
    renamed: ClassVar[dict[str, str]] = {"discrete_y": "categorical", "n_bootstrap": "n_draws"}
    # Draw i's bootstrap counts come from np.random.default_rng(child i) of the first seed.
    aligned_draws = True
    summary = (
        "Histogram MI (equal-width or equal-frequency bins, joint bins for vectors), "
        "Miller-Madow or jackknife bias correction; draws from the bootstrap."
    )
    references = (
        "Miller, G. A. (1955). Note on the bias of information estimates. In Information "
        "Theory in Psychology, 95-100. Free Press.",
        "Paninski, L. (2003). Estimation of entropy and mutual information. Neural Computation "
        "15, 1191-1253.",
        "Efron, B. & Stein, C. (1981). The jackknife estimate of variance. Ann. Statist. 9, "
        "586-596.",
        "Freedman, D. & Diaconis, P. (1981). On the histogram as a density estimator: L2 "
        "theory. Z. Wahrscheinlichkeitstheorie verw. Gebiete 57, 453-476.",
        "Cover, T. M. & Thomas, J. A. (2006). Elements of Information Theory, 2nd ed., "
        "sec. 2.8 (data-processing inequality). Wiley.",
    )

    bins: str | int = "auto"
    _: KW_ONLY
    strategy: str = "quantile"
    correction: str = "miller_madow"
    discrete_x: bool = False
    categorical: bool = False
    n_draws: int = 200
    n_permutations: int = 100
    interval: str = "calibrated"

    def _check_params(self) -> None:
        c = type(self).__name__
        if isinstance(self.bins, str):
            check_choice(self.bins, "bins", RULES, caller=c)
        else:
            check_positive_int(self.bins, "bins", caller=c, minimum=2)
        check_choice(self.strategy, "strategy", STRATEGIES, caller=c)
        check_choice(self.correction, "correction", CORRECTIONS, caller=c)
        check_positive_int(self.n_draws, "n_draws", caller=c, minimum=2)
        check_positive_int(self.n_permutations, "n_permutations", caller=c, minimum=0)
        check_choice(self.interval, "interval", intervals.SCHEMES, caller=c)

    def _codes(self, a: np.ndarray, discrete: bool, n_dims: int) -> np.ndarray:
        return bin_codes(a, self.bins, self.strategy, discrete, n_dims)

    def estimate(self, x, y, z=None) -> MIResult:
        """I(X;Y) in nats as a bootstrap distribution (conditional MI is not available)."""
        self._check_params()
        c = type(self).__name__
        if z is not None:
            raise ValueError(f"{c}: conditional MI is not available for binning; use gmm or ksg.")
        x, y, _ = check_paired(x, y, caller=c, min_samples=10)
        n_dims = (0 if self.discrete_x else x.shape[1]) + (0 if self.categorical else y.shape[1])
        codes = (
            self._codes(x, self.discrete_x, max(n_dims, 1)),
            self._codes(y, self.categorical, max(n_dims, 1)),
        )
        full = plugin_mi(*codes, correction=self.correction)
        seeds = spawn_seeds(self.seed, 2)
        boot = self._map(
            partial(_boot, codes, self.correction, None),
            spawn_seeds(seeds[0], self.n_draws),
            "bins bootstrap",
        )
        boot = np.asarray(boot)
        n_cells = (codes[0].max() + 1) * (codes[1].max() + 1)
        sparse = n_cells / len(x) > MAX_CELLS_PER_SAMPLE
        extras = {
            "bootstrap_bias_nats": np.array([boot.mean() - full]),
            "full_data_estimate_nats": np.array([full]),
            "n_cells": np.array([codes[0].max() + 1, codes[1].max() + 1]),
        }
        if self.n_permutations:
            extras |= self._permutation_null(
                partial(_perm, codes, self.correction), seeds[1], full, "bins permutations"
            )
        # A resample repeats points, which adds its own upward bias to a table: the calibrated
        # draws keep the bootstrap's spread around the corrected full-data estimate (bias 0).
        draws, info = intervals.finish(
            boot[None, :], full, scheme=self.interval, bias_nats=0.0, extras=extras
        )
        if sparse:
            self._warn_sparse(n_cells, len(x))
        elif n_dims > 0:
            self._warn_coverage(draws)
        provenance = self._provenance(x, y)
        provenance["interval"] = info
        return MIResult(
            draws_nats=draws,
            kind="bootstrap",
            quantity="mi",
            method=self.name,
            provenance=provenance,
            extras=extras,
            # Binning a continuous variable loses information: the binned MI bounds it below.
            # Not where the table is too sparse: the upward bias then outgrows that loss.
            bound="lower" if n_dims > 0 and not sparse else None,
        )

    def _warn_sparse(self, n_cells: int, n: int) -> None:
        warnings.warn(
            f"{type(self).__name__}: the table has {n_cells} cells for {n} samples "
            f"({n_cells / n:.2f} cells per sample, more than {MAX_CELLS_PER_SAMPLE}): the "
            "plug-in estimate is biased upward here by more than the correction removes, so "
            "it is neither an estimate of I(X;Y) nor a lower bound on it (no bound is claimed): "
            "on independent data the draws sit above 0 (measured: docs/bins.md). Use fewer bins "
            "(bins=2 or 3), fewer dimensions, more samples, or ksg / gmm.",
            SparseTableWarning,
            stacklevel=3,
        )

    def _warn_coverage(self, draws: np.ndarray) -> None:
        # Binning only loses information (data processing inequality), so with continuous
        # data every draw sits low by the discretisation bias, which grows with the MI and the
        # dimension and which the bootstrap does not see. The validation suite measured the
        # interval missing the truth wherever the MI was clearly above zero; near zero the
        # bias-corrected draws straddle 0 and the interval held it (docs/validation.md).
        low = float(np.quantile(draws, 0.05))
        if low > 0:
            warnings.warn(
                f"{type(self).__name__}: continuous data binned, with MI clearly above zero "
                f"(5% quantile of the draws {low:.3f} nats): the interval reflects the "
                "bootstrap's sampling spread only, not the binning bias, which is negative and "
                "grows with the MI and the dimension, so the interval holds the truth far less "
                f"often than its level (measured: {WARNINGS_PAGE}; docs/bins.md). Read it as a "
                "lower range; for an interval that covers use "
                "ksg (low dimension) or gmm.",
                CoverageWarning,
                stacklevel=3,
            )

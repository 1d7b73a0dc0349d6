"""The one result type: a distribution of MI (or conditional MI, or KL), never a bare number."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

__all__ = [
    "KINDS",
    "NATS_PER_BIT",
    "QUANTITIES",
    "TRAINING_LOG_KEYS",
    "MIResult",
    "convert_units",
    "hdi",
    "hdi_start",
    "nats_per_unit",
]

#: What the draws are, and so what their spread captures (see docs/intervals.md).
KINDS = ("posterior", "variational", "bootstrap", "block_bootstrap", "subsample", "ensemble")
#: The quantity the draws are of, and how it is written.
QUANTITIES = {
    "mi": "I(X;Y)",
    "cmi": "I(X;Y|Z)",
    "kl": "KL(p_X || p_Y)",
    # a paired difference between two estimates (bayesmi.layers.LayerMI.diff)
    "mi_diff": "I(T_b;Y) - I(T_a;Y)",
}
UNITS = ("nats", "bits")
#: What an estimate bounds: None (it estimates the quantity), "lower" or "upper".
BOUNDS = (None, "lower", "upper")

# Where an estimator stores what MIResult's typed accessors read (full_estimate_nats,
# null_draws_nats, p_value, ceiling_nats, cv_curve, training_log; margins under
# bayesmi.copula.MARGIN_EXTRAS): ``extras`` keys, written to saved files under these names since
# the first version, so files of every version load.
FULL_ESTIMATE_KEY = "full_data_estimate_nats"
NULL_DRAWS_KEY = "null_draws_nats"
P_VALUE_KEY = "p_value"
CEILING_KEY = "ceiling_nats"
CV_KEYS = ("cv_n_components", "cv_score")
#: The training log (neural and latent methods, bayes_gmm's ADVI): equal-length 1-D arrays of
#: the iteration, the member (ensemble member or repeat), the split (0 train, 1 validation), the
#: loss and the MI in nats (NaN where not evaluated).
TRAINING_LOG_KEYS = ("log_iteration", "log_member", "log_split", "log_loss", "log_mi_nats")


#: 1 bit = ln 2 nats: the one constant that every conversion between the units uses.
NATS_PER_BIT = math.log(2.0)


def nats_per_unit(units: str) -> float:
    """How many nats one unit of ``units`` is ("nats": 1, "bits": ln 2)."""
    if units == "nats":
        return 1.0
    if units == "bits":
        return NATS_PER_BIT
    raise ValueError(f"units must be 'nats' or 'bits', got {units!r}.")


def convert_units(values_nats: Any, units: str) -> Any:
    """Nats to ``units``: the one place where bits are made (1 bit = ln 2 nats)."""
    if nats_per_unit(units) == 1.0:
        return values_nats
    return np.asarray(values_nats) / NATS_PER_BIT


def hdi_start(sorted_draws: np.ndarray, prob: float) -> tuple[np.ndarray, int]:
    """Where the ``prob`` highest-density interval starts in draws sorted along the last axis
    (an index per row), and how many places further it ends: the narrowest window holding
    ``floor(prob * n) + 1`` draws, as ArviZ's ``hdi`` computes it (the first of equal windows
    wins). The library's one HDI: :meth:`MIResult.hdi`, the labelled results' tables
    (:mod:`bayesmi.matrix`, :mod:`bayesmi.layers`) and the zero rule of
    :mod:`bayesmi.intervals` all go through it. A window that reaches a NaN (sorted last) is
    never the narrowest; a row of NaN only (a matrix's diagonal) starts at 0."""
    n = sorted_draws.shape[-1]
    width = max(1, int(np.floor(prob * n)))
    if width >= n:
        return np.zeros(sorted_draws.shape[:-1], dtype=np.intp), n - 1
    gaps = sorted_draws[..., width:] - sorted_draws[..., : n - width]
    return np.argmin(np.where(np.isnan(gaps), np.inf, gaps), axis=-1), width


def hdi(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``prob`` highest-density interval of ``draws`` along the last axis (:func:`hdi_start`):
    (low, high), each of the draws' leading shape; a row of NaN only gives NaN."""
    x = np.sort(draws, axis=-1)
    start, width = hdi_start(x, prob)
    i = np.asarray(start)[..., None]
    return np.take_along_axis(x, i, -1)[..., 0], np.take_along_axis(x, i + width, -1)[..., 0]


@dataclass
class MIResult:
    """A distribution of mutual information, conditional MI or KL divergence.

    Parameters
    ----------
    draws_nats : array, shape (chain, draw)
        The draws, always stored in nats. Bootstrap and ensemble results have one chain.
    kind : str
        What the draws are: one of ``KINDS``. The docs say, per method, what spread they
        capture (sampling variability, model uncertainty, training randomness) and what they
        do not (the estimator's bias).
    quantity : {"mi", "cmi", "kl", "mi_diff"}
        ``"mi_diff"``: a paired difference of two MI estimates, draw by draw
        (:meth:`bayesmi.layers.LayerMI.diff`); it may be negative.
    units : {"nats", "bits"}
        The units every accessor and printout uses; change with :meth:`to`.
    method : str
        The registered method name that produced it.
    provenance : dict
        Method, hyperparameters, seed, n, dims, library versions, data hash.
    pointwise_nats : array, shape (n_samples,), optional
        Per-sample pointwise MI, where the method has it.
    extras : dict of str to array
        Method-specific arrays that travel with the result (for ``gmm``: the component count of
        every draw, the CV curve, the fitted mixtures). Arrays whose leading shape is
        (chain, draw) are per-draw. What every consumer reads has a typed accessor
        (:attr:`full_estimate_nats`, :attr:`null_draws_nats`, :attr:`p_value`,
        :attr:`ceiling_nats`, :attr:`cv_curve`, :attr:`training_log`, :attr:`margins`): read
        those, not the keys; an estimator stores them under the keys named in this module.
    model : object, optional
        The fitted model(s) (for plots and reuse); rebuilt from ``extras`` on load where possible.
    bound : {None, "lower", "upper"}
        Set where the method estimates a bound on the quantity, not the quantity (InfoNCE,
        NWJ and Donsker-Varadhan critics, latent MI by the data-processing inequality): the
        printout says so and :meth:`at_least` reads the draws as "MI >= a with probability p".
    note : str
        One line that the printout ends with, where the method has something to say about what
        the draws mean (``gcmi``: exact under a Gaussian copula, a lower bound otherwise).
    groups : dict of str to xarray.Dataset
        Further ArviZ groups that travel with the result, such as a sampler's ``sample_stats``
        and the ``observed_data`` (``bayes_gmm``); kept by :meth:`to_inferencedata`,
        :meth:`save` and :func:`bayesmi.load`.

    Examples
    --------
    >>> r = bm.estimate(x, y, method="gmm", seed=0)
    >>> r.mean, r.sd, r.hdi(0.9)      # nats
    >>> r.to("bits").hdi(0.9)
    """

    draws_nats: np.ndarray
    kind: str
    quantity: str = "mi"
    units: str = "nats"
    method: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    pointwise_nats: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    model: Any = field(default=None, compare=False)
    bound: str | None = None
    note: str = ""
    groups: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        d = np.asarray(self.draws_nats, dtype=np.float64)
        if d.ndim == 1:
            d = d[None, :]
        if d.ndim != 2 or d.size == 0:
            raise ValueError(f"draws_nats must have shape (chain, draw), got {d.shape}.")
        bad = ~np.isfinite(d)
        if bad.any():
            raise ValueError(
                f"draws_nats holds {int(bad.sum())} NaN or inf draws of {d.size}"
                + (f" (method {self.method!r})" if self.method else "")
                + ": a result must be a distribution of numbers. The computation failed "
                "numerically; check the data's scale and the method's warnings."
            )
        self.draws_nats = d
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        if self.quantity not in QUANTITIES:
            raise ValueError(f"quantity must be one of {tuple(QUANTITIES)}, got {self.quantity!r}.")
        convert_units(0.0, self.units)
        if self.bound not in BOUNDS:
            raise ValueError(f"bound must be one of {BOUNDS}, got {self.bound!r}.")

    # -- values, in self.units -------------------------------------------------------------
    @property
    def draws(self) -> np.ndarray:
        """The draws in ``self.units``, shape (chain, draw)."""
        return convert_units(self.draws_nats, self.units)

    @property
    def pointwise(self) -> np.ndarray | None:
        """Per-sample pointwise values in ``self.units``, or None."""
        if self.pointwise_nats is None:
            return None
        return convert_units(self.pointwise_nats, self.units)

    @property
    def n_draws(self) -> int:
        return self.draws_nats.size

    @property
    def mean(self) -> float:
        return float(self.draws.mean())

    @property
    def sd(self) -> float:
        return float(self.draws.std(ddof=1)) if self.n_draws > 1 else 0.0

    @property
    def raw_draws_nats(self) -> np.ndarray:
        """The method's draws before the interval step (``bayesmi.intervals``), in nats, shape
        (chain, draw): bootstrap refits, subsample estimates or posterior draws as they came.
        The same as ``draws_nats`` for a result made without that step."""
        raw = self.extras.get("raw_draws_nats")
        return self.draws_nats if raw is None else np.asarray(raw)

    @property
    def p_value(self) -> float | None:
        """The p-value of the method's test of independence (conditional independence for
        conditional MI; P = Q for KL), or None where none was computed."""
        p = self.extras.get(P_VALUE_KEY)
        return None if p is None else float(np.ravel(p)[0])

    @property
    def full_estimate_nats(self) -> float | None:
        """The method's point estimate on the full data, in nats (the centre of a calibrated
        interval), or None where the method has none."""
        v = self.extras.get(FULL_ESTIMATE_KEY)
        return None if v is None else float(np.ravel(v)[0])

    @property
    def null_draws_nats(self) -> np.ndarray | None:
        """The estimates under the null of the independence test (permutations), 1-D, in nats,
        or None where no permutation test ran."""
        v = self.extras.get(NULL_DRAWS_KEY)
        return None if v is None else np.ravel(np.asarray(v, dtype=np.float64))

    @property
    def ceiling_nats(self) -> float | None:
        """The largest value the estimator can return on these data, in nats (InfoNCE's
        log(K + 1) readout ceiling), or None where it has none."""
        v = self.extras.get(CEILING_KEY)
        return None if v is None else float(np.max(v))

    @property
    def cv_curve(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(component counts, held-out log-likelihood per sample) of the cross-validation that
        chose a mixture's size, or None."""
        ks, scores = (self.extras.get(k) for k in CV_KEYS)
        if ks is None or scores is None or len(ks) == 0:
            return None
        return np.asarray(ks), np.asarray(scores)

    @property
    def margins(self):
        """The normal-score maps the method applied to the data before fitting
        (:class:`bayesmi.copula.MarginMaps`: which columns of the joint x, y[, z] were scored,
        and each one's map from values to scores and back), or None where the method used
        every value as given (``marginals="raw"``, KL with ``"auto"``, ``"auto"`` finding no
        heavy-tailed or skewed column, or a method without the option)."""
        from bayesmi.copula import MarginMaps

        return MarginMaps.from_extras(self.extras)

    @property
    def training_log(self) -> dict[str, np.ndarray] | None:
        """The training log as arrays by ``TRAINING_LOG_KEYS`` (``bm.training_log(r)`` makes a
        table of it), or None where nothing was trained."""
        if not all(k in self.extras for k in TRAINING_LOG_KEYS):
            return None
        return {k: np.asarray(self.extras[k]) for k in TRAINING_LOG_KEYS}

    @property
    def interval_info(self) -> dict[str, Any]:
        """How the draws were made from the raw draws (scheme, bias removed, inflation, the
        zero rule), as recorded by ``bayesmi.intervals.finish``; empty where not used."""
        return dict(self.provenance.get("interval", {}))

    @property
    def no_dependence_detected(self) -> bool:
        """True where the independence test did not reject at the interval's level, so the
        interval's lower end is 0 by the zero rule (docs/intervals.md)."""
        return bool(self.interval_info.get("no_dependence_detected", False))

    def quantile(self, q: float | np.ndarray) -> float | np.ndarray:
        """Quantile(s) of the draws."""
        out = np.quantile(self.draws, q)
        return float(out) if np.ndim(out) == 0 else out

    def hdi(self, prob: float = 0.9) -> np.ndarray:
        """The highest-density interval holding ``prob`` of the draws, [low, high]."""
        if not 0 < prob < 1:
            raise ValueError(f"hdi: prob must lie in (0, 1), got {prob}.")
        return np.array(hdi(self.draws.ravel(), prob))

    def prob_above(self, value: float) -> float:
        """The fraction of draws at or above ``value`` (in ``self.units``)."""
        return float(np.mean(self.draws >= value))

    def at_least(self, prob: float = 0.95) -> float:
        """The value a with "quantity >= a" in a fraction ``prob`` of the draws (the
        ``1 - prob`` quantile). For a lower-bound estimate this is the readout
        "MI >= a with probability prob"; it says nothing of how far above a the truth lies."""
        if not 0 < prob < 1:
            raise ValueError(f"at_least: prob must lie in (0, 1), got {prob}.")
        return float(np.quantile(self.draws, 1.0 - prob))

    def to(self, units: str) -> MIResult:
        """The same result shown in other units ("nats" or "bits")."""
        convert_units(0.0, units)
        return replace(self, units=units)

    # -- ArviZ, files, plots ---------------------------------------------------------------
    def to_inferencedata(self):
        """An ArviZ ``InferenceData``: posterior group with the draws (in nats) as ``mi``,
        ``cmi`` or ``kl``; everything else in attributes and a ``bayesmi`` group."""
        from bayesmi import arviz_io

        return arviz_io.to_inferencedata(self)

    @classmethod
    def from_inferencedata(cls, idata) -> MIResult:
        """Inverse of :meth:`to_inferencedata`."""
        from bayesmi import arviz_io

        return arviz_io.from_inferencedata(idata)

    def save(self, path) -> str:
        """Write the result to a netCDF file, atomically (no half-written file on a crash)."""
        from bayesmi import arviz_io

        return arviz_io.save(self, path)

    def summary(self, hdi_prob: float = 0.9):
        """ArviZ summary table (pandas DataFrame) in ``self.units``."""
        from bayesmi import arviz_io

        return arviz_io.summary(self, hdi_prob=hdi_prob)

    def plot(self, hdi_prob: float = 0.9, ax=None, **kwargs):
        """ArviZ posterior plot of the draws, in ``self.units``; returns the matplotlib axes."""
        from bayesmi import arviz_io

        return arviz_io.plot(self, hdi_prob=hdi_prob, ax=ax, **kwargs)

    # -- text ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        lo, hi = self.hdi(0.9)
        chains = f", {self.draws_nats.shape[0]} chains" if self.draws_nats.shape[0] > 1 else ""
        text = (
            f"{QUANTITIES[self.quantity]} = {self.mean:.3f} {self.units}, 90% HDI "
            f"[{lo:.3f}, {hi:.3f}], sd {self.sd:.3f}, {self.kind}, {self.n_draws} draws{chains}"
            + (f" ({self.method})" if self.method else "")
        )
        if self.no_dependence_detected:
            text += f"; no dependence detected (p = {self.p_value:.2g})"
        if self.bound is not None:
            sign = ">=" if self.bound == "lower" else "<="
            a = self.at_least(0.95) if self.bound == "lower" else self.quantile(0.95)
            text += (
                f"; a {self.bound} bound: {QUANTITIES[self.quantity]} {sign} {a:.3f} "
                f"{self.units} with probability 0.95"
            )
        if self.note:
            text += f"; {self.note}"
        return text

    __str__ = __repr__

"""Normal scores: each continuous column mapped to standard-normal margins by its empirical
distribution function, so that an estimator sees only the dependence (the copula).

Mutual information is unchanged by any strictly increasing map of each coordinate of x and of
y (Cover & Thomas 2006, sec. 8.6; Kraskov et al. 2004, eq. 44). The map used here is the
empirical one: the value of rank r among n becomes

    Phi^-1((r - 1/2) / n)

(the van der Waerden / Blom-type normal score), which is the midpoint of the empirical
distribution function's jump at that value, ``(F(v-) + F(v)) / 2``. Written that way the same
formula covers ties (a tied block gets the score of its mid-rank, the same for each member) and
weighted data (bootstrap counts: F is the weighted empirical distribution function, and a point
of weight 0 still gets the score of where it falls, which scores points left out of a resample).

Ties leave the scores short of standard normal (a block of t equal values shares one score), so
a column where more than ``TIES_FRACTION`` of the values are tied warns with
:class:`TiesWarning`: that column is discrete or rounded, and its dependence is smeared.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from bayesmi.exceptions import BayesMIWarning

__all__ = [
    "MARGINALS",
    "MARGIN_EXTRAS",
    "SKEW_MAX",
    "TAIL_MAX",
    "TIES_FRACTION",
    "MarginMaps",
    "TiesWarning",
    "apply_marginals",
    "auto_columns",
    "check_marginals",
    "fit_scores",
    "margin_shape",
    "normal_scores",
    "refuse_kl",
    "scores_of",
]

#: Unweighted columns' scores are kept, by a hash of the column's bytes, up to this many bytes in
#: all (least recently used dropped first): ``mi_matrix`` sends each column to many pairs, and
#: ranking is most of a gcmi pair's time (n = 10^4: 1.2 ms a column, the hash 0.02 ms).
CACHE_BYTES = 64 * 2**20
_cache: OrderedDict[bytes, tuple[np.ndarray, float]] = OrderedDict()
_cache_lock = threading.Lock()
_cache_used = [0]

#: The values of the estimators' ``marginals`` option.
MARGINALS = ("raw", "copula", "auto")
#: ``marginals="auto"`` scores a column whose 1%-99% range, over its interquartile range, is more
#: than this many times a normal's (heavy tails), or whose quantile skewness is beyond
#: ``SKEW_MAX`` (a skewed or one-sided margin). On the validation panel's data sets (n = 1000)
#: Gaussian columns measured 0.89-1.12 and 0.11 at most; Student-t (5 df) 1.22-1.42, Student-t
#: (3 df) 1.61-1.88, log-normal 1.92-2.19 with skewness 0.54-0.61; the crossed mixture's
#: margins 0.76-0.85 with skewness 0.15-0.26 (kept raw: scored, its interval held the truth in
#: 0.57 of the data sets). docs/gmm.md, "Marginals do not matter".
TAIL_MAX = 1.2
SKEW_MAX = 0.35
_NORMAL_TAIL = float((ndtri(0.99) - ndtri(0.01)) / (ndtri(0.75) - ndtri(0.25)))
#: A column with more than this fraction of its values equal to another value of the column
#: warns (:class:`TiesWarning`). Continuous data have none; 5% flags rounding that matters.
TIES_FRACTION = 0.05


class TiesWarning(BayesMIWarning):
    """A column given to the normal-score transform has many tied values (more than
    ``TIES_FRACTION``): it is discrete or rounded, its ties share one mid-rank score, and the
    dependence the estimator sees is blurred by the rounding (MI after rounding is at most the
    MI before it)."""


def check_marginals(value, caller: str) -> str:
    """Check a ``marginals`` option: "raw", "copula" or "auto"."""
    if value not in MARGINALS:
        raise ValueError(
            f"{caller}: marginals must be one of {MARGINALS}, got {value!r}. 'copula' maps each "
            "continuous column to normal scores by its empirical distribution function; 'auto' "
            "is each method's measured choice for MI and conditional MI (gmm: the heavy-tailed "
            "or skewed columns only; ksg: every column) and keeps KL's raw values."
        )
    return value


def margin_shape(v: np.ndarray) -> tuple[float, float]:
    """The tail weight and skewness of a column by its quantiles: the 1%-99% range over the
    interquartile range, relative to a normal's (1 for a normal, larger for heavier tails),
    and the quantile skewness (q90 + q10 - 2 q50) / (q90 - q10) (0 when symmetric, at most 1).
    A zero interquartile range (more than half the column one value) reads as infinitely
    heavy-tailed."""
    q01, q10, q25, q50, q75, q90, q99 = np.quantile(v, [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
    iqr, span = q75 - q25, q90 - q10
    tail = (q99 - q01) / iqr / _NORMAL_TAIL if iqr > 0 else np.inf
    skew = (q90 + q10 - 2 * q50) / span if span > 0 else 0.0
    return float(tail), float(skew)


def auto_columns(a: np.ndarray) -> np.ndarray:
    """Which columns of ``a`` (n, dim) ``marginals="auto"`` scores: those with heavy tails
    (``TAIL_MAX``) or skew (``SKEW_MAX``) by :func:`margin_shape`."""
    shapes = [margin_shape(a[:, j]) for j in range(a.shape[1])]
    return np.array([t > TAIL_MAX or abs(s) > SKEW_MAX for t, s in shapes], dtype=bool)


def refuse_kl(caller: str) -> None:
    """The error of ``marginals="copula"`` with ``kl_marginals``: KL between the margins is not
    invariant under separate maps of x and y."""
    raise ValueError(
        f"{caller}: marginals='copula' is not available for KL between marginals: "
        "KL(p_X || p_Y) changes when x and y are mapped separately (each to normal scores, it "
        "would be 0). Use marginals='raw'."
    )


def _column_scores(v: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Scores of one column, and the fraction of its values that are tied with another."""
    n = len(v)
    v = np.ascontiguousarray(v)  # a column of a C-ordered array sorts 2x slower strided
    order = np.argsort(v)  # ties get one shared score, so their order is immaterial
    s = v[order]
    # Starts of each block of equal values in the sorted column.
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, n))
    tied = float(sizes[sizes > 1].sum()) / n
    if w is None:
        block_w = sizes.astype(np.float64)
        total = float(n)
    else:
        ws = w[order]
        block_w = np.add.reduceat(ws, starts)
        total = float(ws.sum())
    below = np.cumsum(block_w) - block_w
    # Midpoint of the ECDF jump: (F(v-) + F(v)) / 2 = (r - 1/2) / n without ties or weights.
    u = (below + 0.5 * block_w) / total
    if w is not None:
        # A weight-0 block beyond the weighted data would get u = 0 or 1 (an infinite score):
        # put it half the smallest weight inside, where the nearest weighted end point sits.
        half = 0.5 * float(ws[ws > 0].min()) / total
        u = np.clip(u, half, 1.0 - half)
    out = np.empty(n)
    out[order] = np.repeat(ndtri(u), sizes)
    return out, tied


def _cached_column_scores(v: np.ndarray) -> tuple[np.ndarray, float]:
    """:func:`_column_scores` of an unweighted column, through the cache."""
    v = np.ascontiguousarray(v)
    key = hashlib.blake2b(v.view(np.uint8), digest_size=20).digest() + str(len(v)).encode()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    scores, tied = _column_scores(v, None)
    if scores.nbytes <= CACHE_BYTES // 4:
        scores.flags.writeable = False
        with _cache_lock:
            if key not in _cache:
                _cache[key] = (scores, tied)
                _cache_used[0] += scores.nbytes
            while _cache_used[0] > CACHE_BYTES:
                _, (old, _) = _cache.popitem(last=False)
                _cache_used[0] -= old.nbytes
    return scores, tied


def normal_scores(
    a: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    warn_ties: bool = True,
    name: str = "x",
    caller: str = "normal_scores",
    stacklevel: int = 3,
) -> np.ndarray:
    """Map each column to normal scores by its (weighted) empirical distribution function.

    Parameters
    ----------
    a : array, shape (n_samples,) or (n_samples, dim)
        Checked, finite float data (see :func:`bayesmi.validation.check_array`).
    weights : array, shape (n_samples,), optional
        Non-negative weights of the samples, such as bootstrap counts; the value v of a column
        then gets ``Phi^-1((F_w(v-) + F_w(v)) / 2)`` with ``F_w`` the weighted empirical
        distribution function (with counts, exactly the mid-rank score of the resample).
    warn_ties : bool, default=True
        Warn with :class:`TiesWarning` where more than ``TIES_FRACTION`` of a column's values
        are tied.
    name, caller : str
        The argument and the estimator, for the warning.
    stacklevel : int, default=3
        The warning's ``stacklevel`` (3: the caller of the function that called this one).

    Returns
    -------
    numpy.ndarray of float64, the shape of ``a``
        Dimensionless scores; without ties and weights each column holds exactly the n values
        ``Phi^-1((r - 1/2) / n)``, r = 1..n, so its mean is 0.

    Examples
    --------
    >>> normal_scores(np.array([3.0, 10.0, -1.0]))     # ranks 2, 3, 1
    array([ 0.        ,  0.96742157, -0.96742157])
    """
    arr = np.asarray(a, dtype=np.float64)
    one_d = arr.ndim == 1
    arr2 = arr[:, None] if one_d else arr
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(arr2),) or not np.all(w >= 0) or not w.sum() > 0:
            raise ValueError(
                f"{caller}: weights must be {len(arr2)} non-negative numbers, not all zero; got "
                f"shape {w.shape}."
            )
    out = np.empty_like(arr2)
    for j in range(arr2.shape[1]):
        if w is None:
            out[:, j], tied = _cached_column_scores(arr2[:, j])
        else:
            out[:, j], tied = _column_scores(arr2[:, j], w)
        if warn_ties and tied > TIES_FRACTION:
            col = "" if arr2.shape[1] == 1 else f" column {j}"
            warnings.warn(
                f"{caller}: {name}{col} has {tied:.0%} of its values tied with another value "
                f"(more than {TIES_FRACTION:.0%}): it looks discrete or rounded. Tied values "
                "share one mid-rank normal score, so the dependence is seen through the "
                "rounding (MI after rounding is at most the MI before it). Pass the unrounded "
                "values, or treat a discrete variable as categorical where the method allows.",
                TiesWarning,
                stacklevel=stacklevel,
            )
    return out[:, 0] if one_d else out


def _score_parts(parts, *, caller: str, warn_ties: bool, auto: bool, stacklevel: int):
    """Scores of ``parts`` (as :func:`scores_of`) and, per part, the mask of the columns scored
    (None for a part passed through); a tie warning points ``stacklevel`` frames up from
    :func:`normal_scores`."""
    out, masks = [], []
    for p, name in zip(parts, ("x", "y", "z"), strict=False):
        if p is None or p.ndim == 1:
            out.append(p)
            masks.append(None)
            continue
        cols = auto_columns(p) if auto else np.ones(p.shape[1], dtype=bool)
        masks.append(cols)
        if not cols.any():
            out.append(p)
            continue
        q = np.array(p, dtype=np.float64, copy=True)
        q[:, cols] = normal_scores(
            p[:, cols], name=name, caller=caller, warn_ties=warn_ties, stacklevel=stacklevel
        )
        out.append(q)
    return out, masks


def scores_of(parts, *, caller: str, warn_ties: bool = True, auto: bool = False) -> list:
    """The ``marginals="copula"`` step of an estimator: normal scores of each continuous
    variable among ``parts`` (x, y and optionally z, in that order), every column on its own.

    Parameters
    ----------
    parts : sequence of array or None
        Checked arrays of shape (n_samples, dim); None (no z) and 1-D arrays (class labels of
        a discrete y) are passed through unchanged.
    caller : str
        The estimator, for the warnings.
    warn_ties : bool, default=True
    auto : bool, default=False
        Score only the columns :func:`auto_columns` picks (``marginals="auto"``), leaving the
        others as given.

    Returns
    -------
    list
        The parts, continuous ones replaced by their scores (dimensionless).
    """
    # A tie warning points at the estimator's line that called this function.
    return _score_parts(parts, caller=caller, warn_ties=warn_ties, auto=auto, stacklevel=4)[0]


#: ``extras`` keys under which :meth:`MarginMaps.to_extras` stores the maps (1-D arrays, so they
#: are never taken for per-draw arrays, and netCDF keeps them as they are).
MARGIN_EXTRAS = ("margin_scored", "margin_values", "margin_scores")


@dataclass(frozen=True, eq=False)
class MarginMaps:
    """The normal-score maps an estimator applied to the columns of the joint (x, y[, z]).

    Parameters
    ----------
    scored : array of bool, shape (dim,)
        Which columns of the joint data (x's columns, then y's, then z's) were put in normal
        scores; the others were used as given.
    values : array, shape (n_samples, n_scored)
        Each scored column's data values, sorted (data units).
    scores : array, shape (n_samples, n_scored)
        The normal score the method gave each of those values (ties share their mid-rank
        score, so a value maps to one score).

    A new value maps to a score by linear interpolation between the neighbouring data values
    (:meth:`to_scores`; beyond the data's range, the end scores), and a score back to data
    units the same way (:meth:`from_scores`): the empirical distribution function and its
    inverse, smoothed between the data points.

    Examples
    --------
    >>> r = bm.estimate(x, y, method="gmm", marginals="copula", seed=0)
    >>> s = r.margins.to_scores(np.column_stack([x, y]))   # the scores the mixture was fitted to
    """

    scored: np.ndarray
    values: np.ndarray
    scores: np.ndarray

    @classmethod
    def fit(cls, parts, scored_parts, masks) -> MarginMaps:
        """The maps from the data ``parts`` to ``scored_parts`` (both lists of (n, d) arrays;
        1-D class labels are not part of the joint) over the columns ``masks`` marks."""
        keep = [i for i, m in enumerate(masks) if m is not None]
        raw = np.hstack([parts[i] for i in keep])
        sc = np.hstack([scored_parts[i] for i in keep])
        scored = np.concatenate([masks[i] for i in keep])
        # Scores rise with the values (ties share one), so sorting each on its own pairs them;
        # sorted per column, a saved result keeps the margins, not the rows of the data.
        return cls(scored, np.sort(raw[:, scored], axis=0), np.sort(sc[:, scored], axis=0))

    @property
    def columns(self) -> np.ndarray:
        """Indices of the scored columns of the joint data."""
        return np.flatnonzero(self.scored)

    def _map(self, u, forward: bool) -> np.ndarray:
        arr = np.array(u, dtype=np.float64, copy=True)
        one_d = arr.ndim == 1
        arr2 = arr[:, None] if one_d else arr
        if arr2.shape[1] != len(self.scored):
            raise ValueError(
                f"MarginMaps: expected {len(self.scored)} columns (x, y and z side by side, as "
                f"the estimator saw them), got {arr2.shape[1]}."
            )
        for k, j in enumerate(self.columns):
            src, dst = (self.values, self.scores) if forward else (self.scores, self.values)
            # Ties repeat a value with its one score: interpolate through the distinct ones.
            xp, first = np.unique(src[:, k], return_index=True)
            arr2[:, j] = np.interp(arr2[:, j], xp, dst[first, k])
        return arr2[:, 0] if one_d else arr2

    def to_scores(self, u) -> np.ndarray:
        """Joint data (n, dim) in data units to the estimator's coordinates: scored columns
        mapped to their normal scores, the others unchanged."""
        return self._map(u, forward=True)

    def from_scores(self, s) -> np.ndarray:
        """Inverse of :meth:`to_scores`: scored columns back to data units."""
        return self._map(s, forward=False)

    def to_extras(self) -> dict[str, np.ndarray]:
        """The maps as result extras (``MARGIN_EXTRAS``), saved with the result."""
        return {
            "margin_scored": self.scored.astype(np.int8),
            "margin_values": self.values.T.ravel(),
            "margin_scores": self.scores.T.ravel(),
        }

    @classmethod
    def from_extras(cls, extras) -> MarginMaps | None:
        """Inverse of :meth:`to_extras`; None where ``extras`` holds no maps."""
        if not all(key in extras for key in MARGIN_EXTRAS):
            return None
        scored = np.asarray(extras["margin_scored"]).astype(bool)
        k = int(scored.sum())
        values = np.asarray(extras["margin_values"], dtype=np.float64)
        scores = np.asarray(extras["margin_scores"], dtype=np.float64)
        shape = (k, len(values) // k)
        return cls(scored, values.reshape(shape).T, scores.reshape(shape).T)


def apply_marginals(
    marginals: str, quantity: str, parts, *, caller: str
) -> tuple[list, MarginMaps | None]:
    """The ``marginals`` option of the mixture estimators (gmm, bayes_gmm), applied once to the
    data before the fit.

    "raw" keeps the values; "copula" scores every continuous column (refused for KL, which
    separate maps of x and y change); "auto" scores the heavy-tailed or skewed columns
    (:func:`auto_columns`) for MI and conditional MI and keeps KL's raw values. A 1-D part
    (class labels of a categorical y) stays as it is.

    Returns
    -------
    parts : list
        The data the method models.
    maps : MarginMaps or None
        The maps applied; None where no column was scored ("raw", "auto" for KL, or "auto"
        finding every column close enough to normal).
    """
    if marginals == "copula" and quantity == "kl":
        refuse_kl(caller)
    if marginals == "raw" or (marginals == "auto" and quantity == "kl"):
        return list(parts), None
    return fit_scores(parts, caller=caller, auto=marginals == "auto", _stacklevel=5)


def fit_scores(
    parts, *, caller: str, warn_ties: bool = True, auto: bool = False, _stacklevel: int = 4
) -> tuple[list, MarginMaps | None]:
    """:func:`scores_of`, and the maps it applied (None where no column was scored)."""
    # A tie warning points at the estimator's line that called this function (or
    # apply_marginals, one frame further).
    scored, masks = _score_parts(
        parts, caller=caller, warn_ties=warn_ties, auto=auto, stacklevel=_stacklevel
    )
    if not any(m is not None and m.any() for m in masks):
        return scored, None
    return scored, MarginMaps.fit(parts, scored, masks)

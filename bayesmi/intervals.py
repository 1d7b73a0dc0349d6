"""From raw draws to the draws and interval the user sees: one step, shared by every method.

Every estimator hands this module its raw draws (bootstrap refits, subsample estimates,
posterior draws), its estimate on the full data, an estimate of its own bias where it has one,
and the p-value of its independence test where it has one. :func:`finish` returns the draws
that ``MIResult.draws`` holds, so that the interval printed, ``r.hdi``, ArviZ's summaries and
plots all read the same numbers; the raw draws stay on the result (``r.raw_draws_nats``).

The steps, in order (docs/intervals.md gives the measurements behind each):

1. **Centre.** ``scheme="calibrated"``: the draws' spread is placed around the full-data
   estimate minus the estimated bias (for resampling methods the bootstrap's own estimate,
   mean(raw) - full, or a method's extrapolation), clamped at 0 from below. ``"percentile"``
   keeps the raw draws as they are (the behaviour before calibration); ``"basic"`` reflects
   them about the estimate (2 full - raw, the pivotal bootstrap).
2. **Spread.** The deviations are multiplied by the method's measured inflation factor (a
   bootstrap spread under-states the sampling spread of a selected, refitted model) and by
   :func:`few_draws_scale` (the HDI through a few draws is too narrow).
3. **Zero.** MI, conditional MI and KL are >= 0: draws below 0 are set to 0 (a point mass at
   the boundary), so no printed mean, interval or bound is negative.
4. **No dependence detected.** Where the method's independence test does not reject at the
   interval's level (p >= 1 - ``level``), the fewest low draws are set to 0 that make the
   ``level`` HDI start exactly at 0, and the printout says "no dependence detected (p = ...)".
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from bayesmi.result import hdi_start

__all__ = [
    "LEVEL",
    "SCHEMES",
    "dependence_detected",
    "few_draws_scale",
    "finish",
    "force_zero_start",
    "hdi_bounds",
]

#: The level of the interval the printout shows and the zero rule refers to.
LEVEL = 0.9
#: The interval schemes every resampling method accepts as ``interval=``.
SCHEMES = ("calibrated", "percentile", "basic")


def hdi_bounds(values: np.ndarray, prob: float) -> tuple[int, int, np.ndarray]:
    """The narrowest window holding ``floor(prob * n) + 1`` sorted values (as ArviZ's ``hdi``
    computes it; the first of equal windows wins): (start index, width, sorted values)."""
    x = np.sort(np.ravel(values))
    start, width = hdi_start(x, prob)
    return int(start), width, x


@functools.cache
def few_draws_scale(n_draws: int, level: float = LEVEL) -> float:
    """How much to widen the deviations of ``n_draws`` draws so that their ``level`` HDI holds
    ``level`` of the distribution they came from, on average.

    The narrowest window through a few draws is too narrow: for normal draws the 90% HDI of
    50 draws holds 0.863 of the distribution on average, of 100 draws 0.875, of 200 draws 0.883
    (4,000 simulated sets each). The factor c solves mean(Phi(c x_hi) - Phi(c x_lo)) = level
    over those simulated sets (the window's position does not depend on c), computed once per
    count by a seeded simulation of normal draws (the same on every machine). (The earlier
    shortcut z(level) / z(mass) left the mass at 0.896 for 50 draws.) Used by the calibrated
    scheme of the resampling methods, whose draw counts are small.
    """
    if n_draws < 3:
        return 1.0
    # 4,000 simulated sets for few draws, fewer for many (the mass varies less): the mean mass
    # is good to about 5e-4 either way, and the cost stays under ~0.1 s.
    n_sims = min(4000, max(200, 400_000 // n_draws))
    x = np.sort(np.random.default_rng(20261202).standard_normal((n_sims, n_draws)), axis=1)
    width = max(1, int(np.floor(level * n_draws)))
    if width >= n_draws:
        return 1.0
    start = np.argmin(x[:, width:] - x[:, : n_draws - width], axis=1)
    rows = np.arange(len(x))
    lo, hi = x[rows, start], x[rows, start + width]

    def shortfall(c: float) -> float:
        return float(np.mean(norm.cdf(c * hi) - norm.cdf(c * lo))) - level

    if shortfall(10.0) < 0:  # a handful of draws: no widening reaches the level on average
        mass = np.mean(norm.cdf(hi) - norm.cdf(lo))
        return float(norm.ppf(0.5 + level / 2) / norm.ppf(0.5 + mass / 2))
    return float(brentq(shortfall, 1.0, 10.0, xtol=1e-10))


def force_zero_start(draws: np.ndarray, prob: float = LEVEL) -> tuple[np.ndarray, int]:
    """Set the fewest lowest draws to 0 that make the ``prob`` HDI start at 0.

    Draws must already be >= 0. Setting the k lowest draws to 0 leaves every window that starts
    at index k or later as it was and makes the window starting at 0 as wide as the ``width``-th
    sorted value, so the smallest k is where that value is no wider than every window from k on
    (a suffix minimum). Returns the new draws (same shape) and k.
    """
    d = np.asarray(draws, dtype=np.float64)
    start, width, x = hdi_bounds(d, prob)
    if x[start] == 0:
        return d.copy(), 0
    n = len(x)
    if width >= n - 1:  # one window holds every draw: it starts at the smallest
        k = 1
    else:
        gaps = x[width:] - x[: n - width]  # window i spans sorted draws i .. i + width
        suffix_min = np.minimum.accumulate(gaps[::-1])[::-1]
        ks = np.nonzero(x[width] <= suffix_min)[0]
        k = int(ks[0]) if len(ks) else n - width
    # The k lowest draws (ties broken by position, as a stable sort orders them) go to 0.
    flat = d.ravel().copy()
    flat[np.argsort(flat, kind="stable")[:k]] = 0.0
    return flat.reshape(d.shape), k


def dependence_detected(p_value: float | None, level: float = LEVEL) -> bool | None:
    """The independence test's verdict at the interval's level, as the printout states it:
    True where it rejects independence (p < 1 - level), False where not, None without a usable
    p-value (none, or not finite)."""
    if p_value is None or not np.isfinite(p_value):
        return None
    return bool(p_value < 1.0 - level)


def finish(
    raw_nats: np.ndarray,
    full_nats: float | None,
    *,
    scheme: str = "calibrated",
    bias_nats: float | None = None,
    scale: float = 1.0,
    p_value: float | None = None,
    level: float = LEVEL,
    nonnegative: bool = True,
    extras: dict[str, Any] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The draws the user sees, from a method's raw draws.

    Parameters
    ----------
    raw_nats : array, shape (chain, draw)
        The method's draws before any interval step, in nats.
    full_nats : float or None
        The estimate on the full data (None: the mean of the raw draws, as for a posterior).
    scheme : {"calibrated", "percentile", "basic"}
        See the module docstring.
    bias_nats : float or None
        The estimator's bias to remove from the centre (``"calibrated"`` only); None: the
        resampling estimate mean(raw) - full.
    scale : float
        Inflation of the deviations about the centre (``"calibrated"`` only), measured per
        method (docs/intervals.md); multiplied by ``few_draws_scale(raw.size, level)``.
    p_value : float or None
        The independence test's p-value, where the method has one.
    level : float
        The interval level the zero rule refers to.
    nonnegative : bool
        The quantity is >= 0 (MI, conditional MI, KL: always, for now).
    extras : dict, optional
        The result's extras: the raw draws are kept there as ``raw_draws_nats`` (what
        ``MIResult.raw_draws_nats`` reads), and its ``p_value``, where there is one, is used
        when ``p_value`` is not given.

    Returns
    -------
    draws_nats : array, shape (chain, draw)
    info : dict
        What was done, JSON-serialisable (kept in the result's provenance as ``interval``).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"interval must be one of {SCHEMES}, got {scheme!r}.")
    raw = np.asarray(raw_nats, dtype=np.float64)
    if extras is not None:
        extras["raw_draws_nats"] = raw
        if p_value is None and "p_value" in extras:
            p_value = float(np.ravel(extras["p_value"])[0])
    if not np.all(np.isfinite(raw)):
        raise ValueError(
            f"the method returned {int(np.sum(~np.isfinite(raw)))} non-finite draws of "
            f"{raw.size}; no interval can be made from them. Check the data's scale."
        )
    full = float(raw.mean()) if full_nats is None else float(full_nats)
    info: dict[str, Any] = {"scheme": scheme, "level": level, "full_nats": full}
    if scheme == "percentile":
        draws = raw.copy()
    elif scheme == "basic":
        draws = 2.0 * full - raw
    else:
        bias = float(raw.mean() - full) if bias_nats is None else float(bias_nats)
        centre = full - bias
        if nonnegative and centre < 0:
            # An estimate below the boundary says "0, give or take the spread": clamp the
            # centre (the constrained estimate) and keep the spread, so the interval reads
            # [0, about 1.3 sd] instead of collapsing to [0, 0] once clipped.
            info["centre_clamped_from_nats"] = centre
            centre = 0.0
        widen = scale * few_draws_scale(raw.size, level)
        draws = centre + widen * (raw - raw.mean())
        info |= {"bias_nats": bias, "scale": float(scale), "widen": widen, "centre_nats": centre}
    if nonnegative:
        info["n_below_zero"] = int(np.sum(draws < 0))
        draws = np.maximum(draws, 0.0)
        detected = dependence_detected(p_value, level)
        if detected is not None:
            info["p_value"] = float(p_value)
            info["no_dependence_detected"] = not detected
            if not detected:
                draws, k = force_zero_start(draws, level)
                info["n_set_to_zero"] = k
    return draws, info

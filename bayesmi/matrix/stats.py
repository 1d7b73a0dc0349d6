"""The statistics of a labelled result over its pairs: one-sided p-values of "MI <= threshold"
per pair and their adjustment for testing many pairs at once. Intervals come from the library's
one HDI (:func:`bayesmi.result.hdi`)."""

from __future__ import annotations

import numpy as np

__all__ = ["CORRECTIONS", "P_SOURCES", "adjust_p", "one_sided_p"]

#: Multiple-testing corrections of :meth:`MIMatrix.significant`.
CORRECTIONS = ("bh", "bonferroni", "none")
#: Where the p-values of :meth:`MIMatrix.significant` come from.
P_SOURCES = ("auto", "null", "permutation", "draws")
#: How each correction is named in the statement of :meth:`MIMatrix.significant`.
CORRECTION_NAMES = {
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "bonferroni": "Bonferroni (family-wise error rate)",
    "none": "no correction",
}


def _normal_sf(t: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(-t)


def one_sided_p(
    p_source: str,
    table,
    z_null: np.ndarray,
    threshold_nats: float,
    nats_per_unit: float,
    *,
    method: str,
    caller: str,
) -> tuple[str, np.ndarray, str]:
    """Each pair's one-sided p-value of "MI <= threshold" (see :meth:`MIMatrix.significant`):
    (the source used, with "auto" resolved; the p-values; the source in words). ``table`` is
    :meth:`MIMatrix.to_dataframe`'s (mean and sd in units of ``nats_per_unit`` nats), ``z_null``
    each pair's estimate in sds of its permutation null (NaN where none ran)."""
    have = {
        "null": len(table) > 0 and bool(np.isfinite(z_null).all()),
        "permutation": len(table) > 0 and bool(np.isfinite(table["p_value"]).all()),
    }
    if p_source in have and (not have[p_source] or threshold_nats != 0):
        raise ValueError(
            f"{caller}: p_source={p_source!r} needs a permutation null for every pair (method "
            f"{method!r} gives {'one' if have[p_source] else 'none'}) and threshold=0; "
            "use p_source='draws'."
        )
    if p_source == "auto":
        p_source = "permutation" if have["permutation"] and threshold_nats == 0 else "draws"
    if p_source == "null":
        return p_source, _normal_sf(z_null), "the permutation null (normal approximation)"
    if p_source == "permutation":
        return p_source, table["p_value"].to_numpy(), "permutations"
    mean_nats = table["mean"].to_numpy() * nats_per_unit
    sd_nats = table["sd"].to_numpy() * nats_per_unit
    with np.errstate(divide="ignore", invalid="ignore"):
        p = _normal_sf((mean_nats - threshold_nats) / sd_nats)
    p = np.where(sd_nats > 0, p, (mean_nats <= threshold_nats).astype(float))
    return p_source, p, "the draws (normal approximation)"


def adjust_p(p: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values: Benjamini–Hochberg (1995) step-up ("bh", false discovery rate),
    Bonferroni ("bonferroni", family-wise error) or none."""
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if correction == "none" or m == 0:
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(1.0, p * m)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    # q_(i) = min over j >= i of p_(j) m / j
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(1.0, q)
    return out

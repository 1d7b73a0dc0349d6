"""The edge test of the mixture estimators (gmm, bayes_gmm): does a fitted Gaussian mixture
reach beyond the observed range of the data as a fitting model would? A mixture that smooths a
sharp edge (a uniform, a log-normal's edge at 0, flat classes) puts far more mass there, and
biases the MI in a way no resampling sees. Used to warn (``warn_sharp_edges``,
``warn_joint_edges``) and, under ``marginals="auto"``, to put such a column in normal scores
first (``edge_columns``, ``rescore_edges``). docs/validation.md, "Where the methods warn".
"""

from __future__ import annotations

import warnings

import numpy as np

from bayesmi.copula import fit_scores
from bayesmi.exceptions import WARNINGS_PAGE, CoverageWarning
from bayesmi.mixture import GaussianMixtureModel

#: p-value of the edge test (``edge_test``) below which categorical mode warns of flat classes.
EDGE_P_VALUE = 0.01
#: The same for the joint mixture of continuous x, y (and z): stricter, since a smooth but
#: light-tailed marginal (the panel's asinh transform) also reaches p < 0.01 there
#: (docs/validation.md, "Where the methods warn").
JOINT_EDGE_P_VALUE = 1e-4


def standardised(parts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The joint data ``u`` (n, d), its column means and sds, and ``ut`` (d, n) standardised."""
    u = np.hstack(parts)
    shift, scale = u.mean(0), u.std(0)
    return u, shift, scale, np.ascontiguousarray(((u - shift) / scale).T)


def edge_terms(ut: np.ndarray, labels: np.ndarray, models) -> np.ndarray:
    """The probability mass, in samples, that each class mixture puts beyond the observed range
    of each coordinate of x in that class (both ends summed): shape (n_classes, d). Each entry
    is about Gamma(2) when the mixtures fit (see :func:`edge_test`)."""
    from scipy.special import ndtr

    terms = np.zeros((len(models), ut.shape[0]))
    for c, model in enumerate(models):
        u = ut[:, labels == c]
        n_c = u.shape[1]
        sd = np.sqrt(np.diagonal(model.covariances, axis1=1, axis2=2))  # (k, d)
        for j in range(u.shape[0]):
            ends = np.array([u[j].min(), u[j].max()])
            cdf = ndtr((ends[:, None] - model.means[None, :, j]) / sd[None, :, j]) @ model.weights
            terms[c, j] = n_c * (cdf[0] + 1.0 - cdf[1])
    return terms


def edge_test(ut: np.ndarray, labels: np.ndarray, models) -> tuple[float, int, float]:
    """Do the class mixtures reach beyond the data as a fitting model would?

    For any continuous distribution F, the probability beyond the smallest of n samples,
    F(x_(1)), is Beta(1, n): n F(x_(1)) is about Exp(1), and likewise above the largest. Summed
    over both ends of every coordinate of every class (each coordinate's marginal of a mixture
    is a mixture of the marginals), the total is about Gamma(2 C d) when the mixtures fit
    (a little less, since they were fitted to these points); a mixture that smooths a sharp
    edge puts far more there.

    Parameters
    ----------
    ut : array, shape (d, n)
        Standardised x, one column per sample.
    labels : array of int, shape (n,)
    models : list of GaussianMixtureModel
        Class c's mixture (standardised units) at position c.

    Returns
    -------
    beyond : float
        The sum, in samples.
    expected : int
        2 C d, its mean when the mixtures fit.
    p_value : float
        Its upper tail under Gamma(2 C d).
    """
    from scipy.stats import gamma

    terms = edge_terms(ut, labels, models)
    beyond, expected = float(terms.sum()), 2 * terms.size
    return beyond, expected, float(gamma.sf(beyond, expected))


def edge_columns(ut: np.ndarray, model: GaussianMixtureModel, scored) -> np.ndarray | None:
    """``marginals="auto"``'s second look: the columns of the joint data to put in normal scores
    because the fitted mixture smooths their edges (a uniform, a bounded variable), or None.

    A column not yet scored is picked where its own two ends hold more of the mixture's mass
    than a fitting mixture would (the edge test's term of that column, about Gamma(2) when
    the mixture fits, with upper tail below ``JOINT_EDGE_P_VALUE``: a uniform at n = 1000 holds
    13-36 samples' worth where 2 are expected, p < 5e-5), unless its values are tied (more than
    ``copula.TIES_FRACTION``: a count or rounded variable, which normal scores would not make
    smooth; the edge warning stays there). Column by column, not the joint sum: the sum over
    the other, fitting columns dilutes one smoothed edge.

    Parameters
    ----------
    ut : array, shape (d, n)
        The joint data as the mixture saw it, standardised.
    model : GaussianMixtureModel
        The full-data mixture (standardised units).
    scored : array of bool, shape (d,), or None
        The columns already in normal scores.
    """
    from scipy.stats import gamma

    from bayesmi.copula import TIES_FRACTION, tied_fraction

    terms = edge_terms(ut, np.zeros(ut.shape[1], dtype=np.intp), [model])[0]
    pick = gamma.sf(terms, 2) < JOINT_EDGE_P_VALUE
    if scored is not None:
        pick &= ~np.asarray(scored, dtype=bool)
    for j in np.flatnonzero(pick):
        pick[j] = tied_fraction(ut[j]) <= TIES_FRACTION
    return pick if pick.any() else None


def rescore_edges(marginals: str, quantity: str, raw, maps, ut, model, caller: str):
    """``marginals="auto"`` on continuous data: where the fitted mixture smooths the edges of
    columns left as given (:func:`edge_columns`), the data again from ``raw`` with those columns
    also in normal scores, as ``(parts, maps)``; None where nothing changes (other options, KL,
    or no such edge). Its tie warnings were given by the first pass."""
    if marginals != "auto" or quantity == "kl":
        return None
    also = edge_columns(ut, model, None if maps is None else maps.scored)
    if also is None:
        return None
    return fit_scores(raw, caller=caller, warn_ties=False, auto=True, also=also)


def warn_sharp_edges(caller: str, beyond: float, expected: int, p: float, stacklevel: int) -> None:
    """The ``CoverageWarning`` of categorical mode (gmm and bayes_gmm) where the edge test
    (``edge_test``) gives p < ``EDGE_P_VALUE``; nothing otherwise."""
    if p >= EDGE_P_VALUE:
        return
    warnings.warn(
        f"{caller}: x within the classes of y looks bounded with sharp "
        f"edges (flat or one-sided class densities): the class mixtures put "
        f"{beyond:.1f} samples' worth of probability beyond the observed ranges, where "
        f"a fitting model puts about {expected} (p = {p:.1g}). Gaussian mixtures "
        "smooth such edges, which biases the MI low, and no resampling captures that "
        "bias: the interval holds the truth far less often than its level (measured: "
        f"{WARNINGS_PAGE}). Use ksg with categorical=True, which assumes no smooth class "
        "densities.",
        CoverageWarning,
        stacklevel=stacklevel,
    )


def warn_joint_edges(caller: str, beyond: float, expected: int, p: float, stacklevel: int) -> None:
    """The ``CoverageWarning`` of continuous mode (gmm and bayes_gmm) where the edge test on
    the joint mixture gives p < ``JOINT_EDGE_P_VALUE``; nothing otherwise."""
    if p >= JOINT_EDGE_P_VALUE:
        return
    warnings.warn(
        f"{caller}: a variable looks bounded or one-sided with a sharp edge (a log-normal's "
        f"edge at 0, a uniform, a count): the mixture puts {beyond:.1f} samples' worth of "
        f"probability beyond the observed ranges of the variables, where a fitting model puts "
        f"about {expected} (p = {p:.1g}). Gaussian mixtures smooth such edges, which biases "
        "the MI, and no resampling captures that bias: the interval holds the truth far less "
        "often than its level, the more so the larger n, as the bias outgrows the shrinking "
        f"spread (measured: {WARNINGS_PAGE}). Transform such a variable to an unbounded "
        "scale first (log, logit: MI is unchanged by invertible maps) or use ksg.",
        CoverageWarning,
        stacklevel=stacklevel,
    )

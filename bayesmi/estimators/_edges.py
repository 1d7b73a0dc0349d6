"""The edge test of the mixture estimators (gmm, bayes_gmm): does a fitted Gaussian mixture
reach beyond the observed range of the data as a fitting model would? A mixture that smooths a
sharp edge (a uniform, a log-normal's edge at 0, flat classes) puts far more mass there, and
biases the MI in a way no resampling sees: ``warn_sharp_edges`` and ``warn_joint_edges`` say so.
docs/validation.md, "Where the methods warn".
"""

from __future__ import annotations

import warnings

import numpy as np

from bayesmi.exceptions import WARNINGS_PAGE, CoverageWarning

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

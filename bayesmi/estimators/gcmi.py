"""Gaussian-copula MI (GCMI) with an exact conjugate posterior: no MCMC, no resampling.

Ince et al. (2017, Hum. Brain Mapp. 38, 1541-1573) estimate MI by mapping every continuous
coordinate to normal scores by its empirical distribution function (the copula transform,
:mod:`bayesmi.copula`) and taking the MI of a Gaussian with the scores' covariance. Written here
from the paper, with a posterior in place of their bias correction:

1. Normal scores s_i (n rows, d = dx + dy (+ dz) columns), treated as draws of N(mu, Sigma).
2. Prior p(mu, Sigma) proportional to IW(Sigma | nu0, Psi0) with a flat prior on mu; the
   default nu0 = 0, Psi0 = 0 is the reference prior |Sigma|^(-(d+1)/2) (Gelman et al., Bayesian
   Data Analysis, 3rd ed., sec. 3.6). The posterior of Sigma is then, exactly,

       Sigma | s ~ Inverse-Wishart(nu0 + n - 1, Psi0 + S),   S = sum_i (s_i - s_bar)(s_i - s_bar)^T

   (one degree of freedom goes to the mean, which the scores' ranks do not carry either).
3. Each posterior draw of Sigma, drawn by the Bartlett decomposition, gives one draw of
   I = 1/2 (logdet Sigma_x + logdet Sigma_y - logdet Sigma); conditional MI
   I(X;Y|Z) = 1/2 (logdet Sigma_xz + logdet Sigma_yz - logdet Sigma_z - logdet Sigma_xyz).
4. The interval (``interval="calibrated"``, the default): the draws are shifted down by the
   posterior mean's Gaussian small-sample bias, in closed form (:func:`small_sample_bias`),
   which with several columns at small n holds the interval off the truth; the exact
   posterior stays on the result as its raw draws (``interval="percentile"`` shows it).

Categorical y (the class-conditional form of Ince et al. 2017): x is scored over all samples;
within class c, x ~ N(mu_c, Sigma_c) with the posterior above per class, the class
probabilities p ~ Dirichlet(n_c + 1/2) (Jeffreys), and x's covariance is that of the class
mixture, Sigma = sum_c p_c (Sigma_c + mu_c mu_c^T) - mu_bar mu_bar^T; each draw gives
I = 1/2 logdet Sigma - sum_c p_c 1/2 logdet Sigma_c.

What it estimates: the MI of the Gaussian copula fitted to the data. That is the MI itself when
the copula is Gaussian (any strictly increasing map of each coordinate of a jointly Gaussian
vector). Otherwise, with x and y one column each, it is a lower bound: after the transform both
margins are exactly normal, and the Gaussian has the largest entropy for its covariance, so
h(X, Y) <= h_Gauss(Sigma) and I = h(X) + h(Y) - h(X, Y) >= I_Gauss (the same argument for a
categorical y with one-dimensional x). With several columns per variable, or conditional MI, no
bound holds in general (the variables' own copulas enter too); the result says which.
"""

from __future__ import annotations

import warnings
from dataclasses import KW_ONLY
from typing import Any

import numpy as np
from scipy.special import digamma, ndtr
from scipy.stats import chi2

from bayesmi import intervals
from bayesmi.copula import normal_scores, scores_of
from bayesmi.estimators.base import Estimator, register
from bayesmi.exceptions import BayesMIWarning
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import check_nonnegative, check_paired, check_positive_int

__all__ = [
    "COPULA_CHECK_P",
    "CopulaWarning",
    "GaussianCopulaMI",
    "invwishart_draws",
    "small_sample_bias",
]

#: p-value of the Gaussian-copula check (Mardia's kurtosis of the scores) below which the
#: result warns (:class:`CopulaWarning`).
COPULA_CHECK_P = 1e-4

NOTE_EXACT = "exact under a Gaussian copula"


class CopulaWarning(BayesMIWarning):
    """The scores do not look jointly Gaussian (Mardia's kurtosis test): gcmi's value is the MI
    of the Gaussian copula fitted to the data, below the true MI for one-dimensional x and y,
    and of no guaranteed direction otherwise."""


def invwishart_draws(
    df: float, scale: np.ndarray, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Draws of Sigma ~ Inverse-Wishart(df, scale), by the Bartlett decomposition.

    With scale = C C^T (Cholesky) and A lower triangular, A_ii = sqrt(chi2(df - i)) (i = 0..d-1),
    A_ij ~ N(0, 1) below the diagonal, C^-T A A^T C^-1 is Wishart(df, scale^-1) (Bartlett 1933),
    so its inverse, (C A^-T)(C A^-T)^T, is Inverse-Wishart(df, scale): mean scale / (df - d - 1).

    Parameters
    ----------
    df : float
        Degrees of freedom, > d - 1.
    scale : array, shape (d, d)
        Symmetric positive definite.
    n_draws : int
    rng : numpy.random.Generator

    Returns
    -------
    array, shape (n_draws, d, d)
    """
    d = scale.shape[0]
    c = np.linalg.cholesky(scale)
    a = np.zeros((n_draws, d, d))
    rows, cols = np.tril_indices(d, -1)
    a[:, rows, cols] = rng.standard_normal((n_draws, len(rows)))
    idx = np.arange(d)
    a[:, idx, idx] = np.sqrt(rng.chisquare(df - idx, size=(n_draws, d)))
    k = c @ _lower_inverse(a).transpose(0, 2, 1)
    return k @ k.transpose(0, 2, 1)


def _lower_inverse(a: np.ndarray) -> np.ndarray:
    """Inverses of lower-triangular matrices (m, d, d): forward substitution, one row at a
    time over all m at once (for small d several times faster than ``np.linalg.inv``)."""
    d = a.shape[1]
    if d > 8:
        return np.linalg.inv(a)
    inv = np.zeros_like(a)
    diag = 1.0 / a[:, np.arange(d), np.arange(d)]
    for i in range(d):
        inv[:, i, i] = diag[:, i]
        for j in range(i):
            # (A^-1)_ij = -(sum_{k=j}^{i-1} A_ik (A^-1)_kj) / A_ii
            inv[:, i, j] = -np.einsum("mk,mk->m", a[:, i, j:i], inv[:, j:i, j]) * diag[:, i]
    return inv


def _logdet(sigma: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """log det of the sub-block ``idx`` of each matrix of ``sigma`` (n_draws, d, d)."""
    if len(idx) == 0:
        return np.zeros(sigma.shape[0])
    block = sigma[:, idx[:, None], idx[None, :]]
    if len(idx) == 1:
        return np.log(block[:, 0, 0])
    return np.linalg.slogdet(block)[1]


def _gaussian_quantity(sigma: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
    """MI (dims (dx, dy)) or conditional MI (dims (dx, dy, dz)) of Gaussians with covariance
    ``sigma`` (shape (m, d, d)), in nats, shape (m,)."""
    dx, dy = dims[0], dims[1]
    ix, iy = np.arange(dx), np.arange(dx, dx + dy)
    iz = np.arange(dx + dy, sum(dims))
    if len(dims) == 2:
        return 0.5 * (_logdet(sigma, ix) + _logdet(sigma, iy) - _logdet(sigma, np.arange(dx + dy)))
    xz, yz = np.concatenate([ix, iz]), np.concatenate([iy, iz])
    return 0.5 * (
        _logdet(sigma, xz)
        + _logdet(sigma, yz)
        - _logdet(sigma, iz)
        - _logdet(sigma, np.arange(sigma.shape[1]))
    )


def small_sample_bias(n: int, df: float, dims: tuple[int, ...]) -> float:
    """The Gaussian small-sample bias, in nats, of the posterior mean of MI (dims (dx, dy)) or
    conditional MI (dims (dx, dy, dz)) from n samples, posterior IW(df, scatter).

    The quantity is half a signed sum of log-determinants of diagonal blocks A of the
    covariance (MI: +x, +y, -xy; CMI: +xz, +yz, -z, -xyz). For the scatter S ~ W(n - 1, Sigma),
    E log det S_A = log det Sigma_A + sum_{i=1}^{p} psi((n - i) / 2) + p log 2, p = |A|; for
    Sigma ~ IW(df, S) the block is IW(df - d + p, S_A) and E log det Sigma_A = log det S_A -
    sum_{i=1}^{p} psi((df - d + p - i + 1) / 2) - p log 2 (Anderson 2003, sec. 7.5; the block
    marginal of an inverse Wishart). The log 2 and log n terms cancel in the signed sum. Exact
    for Gaussian data; on normal scores measured 0.003-0.006 nats above the bias it corrects.
    """
    dx, dy = dims[0], dims[1]
    dz = dims[2] if len(dims) > 2 else 0
    d = dx + dy + dz
    blocks = [(dx + dz, 1), (dy + dz, 1), (d, -1)] + ([(dz, -1)] if dz else [])
    bias = 0.0
    for p, sign in blocks:
        i = np.arange(1, p + 1)
        bias += 0.5 * sign * float(digamma((n - i) / 2).sum())
        bias -= 0.5 * sign * float(digamma((df - d + p - i + 1) / 2).sum())
    return bias


def _mahalanobis2(resid: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distances of the rows of ``resid`` (n, d) under ``cov``. O(n d^2)."""
    return np.einsum("ij,ij->i", resid @ np.linalg.inv(cov), resid)


def _mardia_kurtosis(d2: np.ndarray, d: int) -> tuple[float, float]:
    """Mardia's (1970) multivariate kurtosis from squared Mahalanobis distances ``d2`` (n,) in
    d dimensions: the z-score of b2 = mean(D^4) against its normal-theory mean d(d+2) and
    variance 8 d(d+2)/n, and its two-sided p-value."""
    n = len(d2)
    b2 = float(np.mean(d2**2))
    z = (b2 - d * (d + 2)) / np.sqrt(8 * d * (d + 2) / n)
    return z, float(2 * ndtr(-abs(z)))


@register
class GaussianCopulaMI(Estimator):
    """Gaussian-copula mutual information with its exact posterior (GCMI, Ince et al. 2017).

    Each continuous column is mapped to normal scores; the scores' covariance gets its exact
    conjugate (inverse-Wishart) posterior, and each posterior draw gives one draw of the
    Gaussian MI. Exact where the copula is Gaussian (any monotone map of each coordinate of a
    Gaussian); a lower bound otherwise for one-dimensional x and y (``bound="lower"``).

    Parameters
    ----------
    n_draws : int, default=1000
        Posterior draws (exact and independent; 1000 take about a millisecond for a pair).
    prior_df : float, default=0.0
        nu0 of the inverse-Wishart prior on the scores' covariance. 0 with ``prior_scale=0``
        is the reference prior |Sigma|^(-(d+1)/2): the posterior is IW(n - 1, S).
    prior_scale : float, default=0.0
        Psi0 = prior_scale * identity, in units of the scores (whose variance is 1).
    categorical : bool, default=False
        Treat y as class labels: the class-conditional form (one Gaussian of x's scores per
        class of y).
    interval : {"calibrated", "percentile"}, default="calibrated"
        "percentile" shows the exact posterior as drawn. "calibrated" (continuous x and y)
        shifts every draw down by the Gaussian small-sample bias of the posterior mean, known
        in closed form (:func:`small_sample_bias`): the plug-in's upward bias plus the
        posterior's own, both growing like dx dy / n. It matters with several columns at small
        n (3 + 3 columns at n = 300: 0.030 nats; 1 + 1: 0.003) and lifts the coverage of the 90%
        interval there from 0.84 to 0.90 (docs/gcmi.md). The exact posterior stays on the
        result (``r.raw_draws_nats``).
    seed : int or None, default=None
        Seeds the posterior draws; the same seed gives the same draws.
    n_jobs : int, default=1
        Accepted for the common interface; the draws are one vectorised computation.
    progress : bool, default=True
        Accepted for the common interface (there is nothing slow to show).
    backend : str or None, default=None
        Accepted for the common interface.

    Examples
    --------
    >>> r = GaussianCopulaMI(seed=0).estimate(np.exp(x), y**3)
    >>> r.hdi(0.9), r.extras["copula_check_p"]
    """

    name = "gcmi"
    kind = "posterior"
    bound = "lower"
    supports_conditional = True
    supports_categorical = True
    summary = (
        "Gaussian-copula MI: normal scores, then the exact inverse-Wishart posterior of their "
        "covariance (no MCMC); exact under a Gaussian copula, a lower bound otherwise (1-D x, y)."
    )
    references = (
        "Ince, R. A. A., Giordano, B. L., Kayser, C., Rousselet, G. A., Gross, J. & Schyns, "
        "P. G. (2017). A statistical framework for neuroimaging data analysis based on mutual "
        "information estimated via a Gaussian copula. Hum. Brain Mapp. 38, 1541-1573. "
        "doi:10.1002/hbm.23471",
        "Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. & Rubin, D. B. "
        "(2013). Bayesian Data Analysis, 3rd ed., sec. 3.6. CRC Press.",
        "Bartlett, M. S. (1933). On the theory of statistical regression. Proc. R. Soc. "
        "Edinburgh 53, 260-283.",
        "Mardia, K. V. (1970). Measures of multivariate skewness and kurtosis with "
        "applications. Biometrika 57, 519-530.",
    )

    n_draws: int = 1000
    _: KW_ONLY
    prior_df: float = 0.0
    prior_scale: float = 0.0
    categorical: bool = False
    interval: str = "calibrated"

    def _check_params(self) -> None:
        c = type(self).__name__
        check_positive_int(self.n_draws, "n_draws", caller=c, minimum=2)
        check_nonnegative(self.prior_df, "prior_df", caller=c)
        check_nonnegative(self.prior_scale, "prior_scale", caller=c)
        if not isinstance(self.categorical, bool | np.bool_):
            raise TypeError(f"{c}: categorical must be True or False, got {self.categorical!r}.")
        if self.interval not in ("calibrated", "percentile"):
            raise ValueError(
                f"{c}: interval must be 'calibrated' or 'percentile', got {self.interval!r}."
            )

    def estimate(self, x, y, z=None) -> MIResult:
        """I(X;Y), or I(X;Y|Z) when ``z`` is given, as exact posterior draws in nats.

        Parameters
        ----------
        x : array-like, shape (n_samples,) or (n_samples, dx)
        y : array-like, shape (n_samples,) or (n_samples, dy)
            Class labels of shape (n_samples,) when ``categorical=True``.
        z : array-like, shape (n_samples,) or (n_samples, dz), optional
            Conditioning variable.
        """
        c = type(self).__name__
        self._check_params()
        if self._categorical_y(z):
            return self._categorical(x, y)
        x, y, z = check_paired(x, y, z, caller=c, min_samples=3)
        parts = [p for p in (x, y, z) if p is not None]
        dims = tuple(p.shape[1] for p in parts)
        s = np.hstack(scores_of(parts, caller=c))
        n, d = s.shape
        df = self._posterior_df(n, d, "x, y" + (", z" if z is not None else ""))
        resid = s - s.mean(0)
        scatter = resid.T @ resid
        psi = scatter + self.prior_scale * np.eye(d)
        self._check_scale(psi, scatter)
        rng = np.random.default_rng(spawn_seeds(self.seed, 1)[0])
        sigma = invwishart_draws(df, psi, self.n_draws, rng)
        draws = _gaussian_quantity(sigma, dims)
        full = float(_gaussian_quantity((scatter / n)[None], dims)[0])
        z_kurt, p_check = _mardia_kurtosis(_mahalanobis2(resid, scatter / n), d)
        quantity = "mi" if z is None else "cmi"
        bound = "lower" if quantity == "mi" and dims == (1, 1) else None
        # Independence of the scores (given z): Bartlett's corrected likelihood-ratio statistic
        # (n - 1 - dz - (dx + dy + 1) / 2) * 2 I, chi-square with dx * dy degrees of freedom
        # (Anderson 2003, sec. 9.3 and 9.6); its p-value sets the interval's zero rule.
        dz = dims[2] if len(dims) > 2 else 0
        stat = max(n - 1 - dz - (dims[0] + dims[1] + 1) / 2, 1.0) * 2 * max(full, 0.0)
        p_indep = float(chi2.sf(stat, dims[0] * dims[1]))
        bias = small_sample_bias(n, df, dims) if self.interval == "calibrated" else 0.0
        return self._result(
            draws, full, z_kurt, p_check, quantity, bound, (x, y, z), df,
            p_value=np.array([p_indep]), bias_nats=bias,
        )  # fmt: skip

    # -- categorical y ----------------------------------------------------------------------
    def _categorical(self, x, y) -> MIResult:
        c = type(self).__name__
        x, labels, _ = check_paired(x, y, caller=c, min_samples=3, y_labels=True)
        counts = np.bincount(labels)
        if len(counts) < 2:
            raise ValueError(
                f"{c}: y has a single class; MI with a constant is zero by definition."
            )
        s = normal_scores(x, name="x", caller=c)
        n, d = s.shape
        need = d + 2 - int(np.floor(self.prior_df))
        if counts.min() < max(need, 2):
            raise ValueError(
                f"{c}: class {int(counts.argmin())} of y has {counts.min()} samples; with x of "
                f"{d} columns each class needs at least {max(need, 2)} for its covariance "
                "posterior to be proper. Merge rare classes, or set prior_df and prior_scale."
            )
        rng = np.random.default_rng(spawn_seeds(self.seed, 1)[0])
        k = len(counts)
        probs = rng.dirichlet(counts + 0.5, size=self.n_draws)  # (m, k), Jeffreys prior
        second = np.zeros((self.n_draws, d, d))  # E[s s^T] under the class mixture
        first = np.zeros((self.n_draws, d))  # E[s]
        within = np.zeros(self.n_draws)  # sum_c p_c logdet Sigma_c
        d2 = np.empty(n)  # squared Mahalanobis distances, each point within its class
        for cls in range(k):
            sc = s[labels == cls]
            n_c = len(sc)
            mean_c = sc.mean(0)
            resid = sc - mean_c
            scatter = resid.T @ resid
            d2[labels == cls] = _mahalanobis2(resid, scatter / n_c)
            psi = scatter + self.prior_scale * np.eye(d)
            self._check_scale(psi, scatter, f" within class {cls} of y")
            sig = invwishart_draws(self.prior_df + n_c - 1, psi, self.n_draws, rng)
            # mu_c | Sigma_c ~ N(mean_c, Sigma_c / n_c): the flat prior on the mean.
            chol = np.linalg.cholesky(sig / n_c)
            mu = mean_c + np.einsum("mij,mj->mi", chol, rng.standard_normal((self.n_draws, d)))
            p = probs[:, cls]
            second += p[:, None, None] * (sig + mu[:, :, None] * mu[:, None, :])
            first += p[:, None] * mu
            within += p * np.linalg.slogdet(sig)[1]
        total = second - first[:, :, None] * first[:, None, :]
        draws = 0.5 * (np.linalg.slogdet(total)[1] - within)
        # Plug-in value: the class covariances and the pooled covariance of the sample.
        full_within = sum(
            (counts[cls] / n)
            * np.linalg.slogdet(np.cov(s[labels == cls].T, bias=True).reshape(d, d))[1]
            for cls in range(k)
        )
        full = 0.5 * (np.linalg.slogdet(np.cov(s.T, bias=True).reshape(d, d))[1] - full_within)
        z_kurt, p_check = _mardia_kurtosis(d2, d)
        bound = "lower" if d == 1 else None
        return self._result(
            draws,
            float(full),
            z_kurt,
            p_check,
            "mi",
            bound,
            (x, labels[:, None], None),
            None,
            stacklevel=4,
            class_counts=counts,
        )

    # -- pieces -----------------------------------------------------------------------------
    def _posterior_df(self, n: int, d: int, what: str) -> float:
        df = self.prior_df + n - 1
        if df <= d - 1:
            raise ValueError(
                f"{type(self).__name__}: {n} samples are too few for the covariance of {d} "
                f"columns ({what}): the posterior needs prior_df + n - 1 > d - 1. Collect more "
                "samples or reduce the dimension."
            )
        return df

    def _check_scale(self, psi: np.ndarray, scatter: np.ndarray, where: str = "") -> None:
        eig = np.linalg.eigvalsh(psi)
        if eig[0] <= 1e-10 * max(eig[-1], 1e-300):
            raise ValueError(
                f"{type(self).__name__}: the normal scores{where} are linearly dependent (a "
                "column repeats another or a combination of others): the Gaussian MI is "
                "infinite or undefined. Remove the redundant column, or set prior_scale > 0."
            )

    def _result(
        self,
        draws,
        full,
        z_kurt,
        p_check,
        quantity,
        bound,
        data,
        df,
        stacklevel=3,
        bias_nats=0.0,
        **more_extras,
    ) -> MIResult:
        c = type(self).__name__
        gaussian_like = p_check >= COPULA_CHECK_P
        check = f"copula check: Mardia kurtosis z = {z_kurt:.1f}, p = {p_check:.2g}"
        if bound == "lower":
            note = f"the bound is {NOTE_EXACT} ({check})"
        else:
            note = f"{NOTE_EXACT}, no bound otherwise ({check})"
        if not gaussian_like:
            what = (
                "the truth is likely higher than this interval (a lower bound here)"
                if bound == "lower"
                else "with several columns per variable or conditional MI the value can be "
                "off in either direction"
            )
            warnings.warn(
                f"{c}: the normal scores do not look jointly Gaussian (Mardia kurtosis z = "
                f"{z_kurt:.1f}, p = {p_check:.1g}): gcmi measures the MI of the Gaussian copula "
                f"fitted to the data, and {what}. Use a method that models the dependence "
                "itself (ksg, or gmm with marginals='copula') for the MI.",
                CopulaWarning,
                stacklevel=stacklevel,
            )
        x, y, z = data
        extras: dict[str, Any] = {
            "full_data_estimate_nats": np.array([full]),
            "copula_kurtosis_z": np.array([z_kurt]),
            "copula_check_p": np.array([p_check]),
            **more_extras,
        }
        # The small-sample shift (0 for "percentile" and for categorical y); the exact
        # posterior is what the result keeps as its raw draws.
        shown, interval = intervals.finish(
            draws[None, :] - bias_nats, None, scheme="percentile", extras=extras
        )
        extras["raw_draws_nats"] = draws[None, :]
        interval["bias_nats"] = float(bias_nats)
        return MIResult(
            draws_nats=shown,
            kind="posterior",
            quantity=quantity,
            method=self.name,
            provenance=self._provenance(x, y, z, posterior_df=df, interval=interval),
            extras=extras,
            bound=bound,
            note=note,
        )

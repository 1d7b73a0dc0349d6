"""Fitting Gaussian mixtures by expectation-maximisation, and choosing their size.

Written for the bootstrap: data points carry integer (or real) weights, so a resample is a
weight vector over the original points (no copies), and the points left out of it (weight 0)
are its held-out set. Points are handled as columns, shape (dim, n), as in
:mod:`bayesmi.mixture`.

The component count is chosen as in Piras et al. (2023, "Mutual information estimation with
Gaussian mixture models"): add components while the held-out log-likelihood per sample gains at
least ``threshold``; stop after ``patience`` steps without such a gain; keep the last count
that gained. One addition: a gain must also exceed ``se_rule`` standard errors of the paired
per-point differences, so that the noise of a finite held-out set does not add components.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayesmi.mixture import LOG_2PI, GaussianMixtureModel

__all__ = [
    "INIT_METHODS",
    "EMFit",
    "FitError",
    "Selection",
    "fit_mixture",
    "held_out_loglik",
    "select_n_components",
    "sweep",
]

INIT_METHODS = ("kmeans", "randomized_kmeans", "random", "random_from_data", "minmax")


class FitError(RuntimeError):
    """Every initialisation of an EM fit failed (a covariance was not positive definite)."""


@dataclass
class EMFit:
    """One EM fit: the mixture (in the units it was fitted in), its mean log-likelihood per
    unit weight on the training data, whether EM converged, and after how many iterations."""

    model: GaussianMixtureModel
    log_likelihood: float
    converged: bool
    n_iter: int


@dataclass
class Selection:
    """The outcome of choosing a component count."""

    n_components: int
    scores: dict[int, float] = field(default_factory=dict)  # K -> held-out mean log-lik
    fits: dict[int, EMFit] = field(default_factory=dict)  # K -> fit on all training data
    hit_max: bool = False


def _kmeans_means(ut, w, k, rng, plus_plus: bool, n_iter: int = 30) -> np.ndarray:
    """Lloyd's algorithm from k-means++ seeds (``plus_plus``) or from random data points."""
    n = ut.shape[1]
    p = w / w.sum()
    if plus_plus:
        centres = [ut[:, rng.choice(n, p=p)]]
        d2 = ((ut - centres[0][:, None]) ** 2).sum(0)
        for _ in range(1, k):
            q = d2 * p
            total = q.sum()
            idx = rng.choice(n, p=q / total) if total > 0 else rng.choice(n, p=p)
            centres.append(ut[:, idx])
            d2 = np.minimum(d2, ((ut - centres[-1][:, None]) ** 2).sum(0))
        c = np.array(centres)
    else:
        c = ut[:, rng.choice(n, size=k, replace=False, p=p)].T.copy()
    sq = (ut * ut).sum(0)
    for _ in range(n_iter):
        # |u - c|^2 = |u|^2 - 2 c.u + |c|^2, one matrix product for all centres
        d2 = (c * c).sum(1)[:, None] - 2.0 * (c @ ut) + sq
        labels = d2.argmin(0)
        onehot = np.zeros((k, n))
        onehot[labels, np.arange(n)] = w
        counts = onehot.sum(1)
        new = np.where(
            counts[:, None] > 0, (onehot @ ut.T) / np.maximum(counts, 1e-300)[:, None], c
        )
        if np.abs(new - c).max() <= 1e-8:
            break
        c = new
    return c


def _initial_params(ut, w, k, init, rng):
    """Weights, means and covariances to start EM from."""
    d = ut.shape[0]
    mean = ut @ w / w.sum()
    diff = ut - mean[:, None]
    cov = (diff * w) @ diff.T / w.sum()
    if init == "random":
        # Random responsibilities, then one M-step (as scikit-learn's "random").
        resp = rng.random((k, ut.shape[1]))
        resp /= resp.sum(0)
        return _m_step(ut, w, resp, 0.0)
    if init == "kmeans":
        means = _kmeans_means(ut, w, k, rng, plus_plus=True)
    elif init == "randomized_kmeans":
        means = _kmeans_means(ut, w, k, rng, plus_plus=False)
    elif init == "random_from_data":
        means = ut[:, rng.choice(ut.shape[1], size=k, replace=False, p=w / w.sum())].T
    elif init == "minmax":
        pos = w > 0
        lo, hi = ut[:, pos].min(1), ut[:, pos].max(1)
        means = lo + (hi - lo) * rng.random((k, d))
    else:
        raise ValueError(f"init must be one of {INIT_METHODS}, got {init!r}.")
    covs = np.broadcast_to(cov / k ** (2 / d) if k > 1 else cov, (k, d, d)).copy()
    return np.full(k, 1.0 / k), means, covs


def _m_step(ut, w, resp, reg_covar):
    d = ut.shape[0]
    rw = resp * w  # (k, n)
    nk = rw.sum(1) + 10 * np.finfo(float).eps
    means = (rw @ ut.T) / nk[:, None]
    # Sigma_k = E_k[u u^T] - mu_k mu_k^T, all components in one product: (k*d, n) @ (n, d).
    second = (rw[:, None, :] * ut[None]).reshape(-1, ut.shape[1]) @ ut.T
    covs = second.reshape(len(nk), d, d) / nk[:, None, None] - means[:, :, None] * means[:, None]
    covs += reg_covar * np.eye(d)
    return nk / nk.sum(), means, covs


def _log_prob(ut, weights, means, covs):
    """log w_k + log N(u; mu_k, Sigma_k), shape (k, n); raises LinAlgError if not PD."""
    k, d = means.shape
    chol = np.linalg.cholesky(covs)
    inv = np.linalg.inv(chol)  # L^-1: |L^-1 (u - mu)|^2 is the Mahalanobis distance
    y = (inv.reshape(k * d, d) @ ut).reshape(k, d, -1)
    y -= inv @ means[:, :, None]
    np.square(y, out=y)
    out = y.sum(1) if d > 1 else y[:, 0]
    log_det = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1)
    out *= -0.5
    out += (np.log(weights) - log_det - 0.5 * d * LOG_2PI)[:, None]
    return out


def _lse(a):
    m = a.max(0)
    e = a - m
    np.exp(e, out=e)
    return np.log(e.sum(0)) + m


def _em_step(ut, w, wsum, params, reg_covar):
    """One EM step: the mean log-likelihood of ``params`` and the parameters after it."""
    a = _log_prob(ut, *params)
    lse = _lse(a)
    a -= lse
    np.exp(a, out=a)
    return float(lse @ w / wsum), _m_step(ut, w, a, reg_covar)


def _extrapolate(p0, p1, p2):
    """SQUAREM (Varadhan & Roland 2008, scheme S3): a step along the EM path that is often
    several EM steps long. Returns None when the step leaves the parameter space."""
    r = [b - a for a, b in zip(p0, p1, strict=True)]
    v = [c - 2 * b + a for a, b, c in zip(p0, p1, p2, strict=True)]
    rr = sum(float((x * x).sum()) for x in r)
    vv = sum(float((x * x).sum()) for x in v)
    if vv == 0.0:
        return None
    alpha = min(-1.0, -np.sqrt(rr / vv))
    new = [a - 2 * alpha * x + alpha**2 * y for a, x, y in zip(p0, r, v, strict=True)]
    weights, _, covs = new
    if (weights <= 0).any():
        return None
    new[0] = weights / weights.sum()
    new[2] = 0.5 * (covs + covs.transpose(0, 2, 1))
    return tuple(new)


def _em(ut, w, params, tol, max_iter, reg_covar):
    """EM accelerated by SQUAREM; converged when one plain EM step gains less than ``tol``
    in mean log-likelihood (the criterion of plain EM). Each accelerated step is kept only if
    it does not lower the likelihood, so the run stays monotone like EM."""
    wsum = w.sum()
    it = 0
    while it < max_iter:
        ll0, p1 = _em_step(ut, w, wsum, params, reg_covar)
        ll1, p2 = _em_step(ut, w, wsum, p1, reg_covar)
        it += 2
        if abs(ll1 - ll0) < tol:
            return p1, ll1, True, it
        p_acc = _extrapolate(params, p1, p2)
        params = p2
        if p_acc is not None:
            try:
                ll_acc, p3 = _em_step(ut, w, wsum, p_acc, reg_covar)
                it += 1
                if ll_acc >= ll1:
                    params = p3
            except np.linalg.LinAlgError:
                pass
    ll = float(_lse(_log_prob(ut, *params)) @ w / wsum)
    return params, ll, False, it


def fit_mixture(
    ut: np.ndarray,
    n_components: int,
    rng: np.random.Generator,
    *,
    weights: np.ndarray | None = None,
    init: str = "kmeans",
    n_init: int = 3,
    tol: float = 1e-5,
    max_iter: int = 1000,
    reg_covar: float = 1e-6,
    warm_start: GaussianMixtureModel | None = None,
) -> EMFit:
    """Fit a full-covariance Gaussian mixture by EM; the best of several starts is kept.

    Parameters
    ----------
    ut : array, shape (dim, n)
        Data points as columns.
    n_components : int
    rng : numpy.random.Generator
    weights : array, shape (n,), optional
        Non-negative weight of each point (bootstrap counts); all ones by default.
    init : str
        One of ``INIT_METHODS``.
    n_init : int
        Number of starts; the fit with the highest training log-likelihood is kept.
    tol : float
        Stop when the mean log-likelihood per unit weight changes by less than this.
    max_iter : int
    reg_covar : float
        Added to the diagonal of every covariance (in the units of ``ut``).
    warm_start : GaussianMixtureModel, optional
        Start from this mixture instead (one start; ``init`` and ``n_init`` are ignored).
    """
    w = np.ones(ut.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    if n_components == 1:
        # Closed form: the weighted mean and covariance.
        params = _m_step(ut, w, np.ones((1, ut.shape[1])), reg_covar)
        ll = float(_lse(_log_prob(ut, *params)) @ w / w.sum())
        return EMFit(GaussianMixtureModel(*params), ll, True, 1)
    if warm_start is not None and warm_start.n_components == n_components:
        starts = [(warm_start.weights, warm_start.means, warm_start.covariances)]
    else:
        starts = [_initial_params(ut, w, n_components, init, rng) for _ in range(n_init)]
    best = None
    for params in starts:
        try:
            params, ll, converged, n_iter = _em(ut, w, params, tol, max_iter, reg_covar)
            fit = EMFit(GaussianMixtureModel(*params), ll, converged, n_iter)
        except np.linalg.LinAlgError:
            continue
        if best is None or fit.log_likelihood > best.log_likelihood:
            best = fit
    if best is None:
        raise FitError(
            f"EM failed for all {len(starts)} starts with {n_components} components: a "
            "covariance became singular. Increase reg_covar or lower max_components."
        )
    return best


def held_out_loglik(model: GaussianMixtureModel, ut: np.ndarray) -> np.ndarray:
    """Log-likelihood of each held-out point (columns), shape (n,)."""
    return model._logpdf_t(ut)


def _weighted_mean_se(d: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean of d and its standard error (effective sample size of the weights)."""
    wsum = w.sum()
    mean = float(d @ w / wsum)
    var = float(((d - mean) ** 2) @ w / wsum)
    n_eff = wsum**2 / float(w @ w)
    return mean, float(np.sqrt(var / max(n_eff - 1.0, 1.0)))


def sweep(
    score_of, max_components: int, threshold: float, patience: int, se_rule: float = 0.0
) -> Selection:
    """Add components while the held-out log-likelihood gains enough; stop after
    ``patience`` steps without such a gain and keep the last count that gained.

    ``score_of(k)`` returns (per-point held-out log-likelihoods, their weights, fit or None).
    A gain counts when it is at least ``threshold`` nats per sample and at least ``se_rule``
    standard errors of the paired per-point differences from the best count so far (so that
    the noise of a finite held-out set does not add components; 0 turns this off).
    """
    sel = Selection(n_components=1)
    best_ll = None
    misses = 0
    for k in range(1, max_components + 1):
        ll, w, fit = score_of(k)
        sel.scores[k] = float(ll @ w / w.sum())
        if fit is not None:
            sel.fits[k] = fit
        if best_ll is None:
            gained = True
        else:
            gain, se = _weighted_mean_se(ll - best_ll, w)
            gained = gain >= threshold and gain >= se_rule * se
        if gained:
            best_ll, sel.n_components, misses = ll, k, 0
        else:
            misses += 1
            if misses >= patience:
                return sel
    sel.hit_max = sel.n_components == max_components
    return sel


def select_n_components(
    ut: np.ndarray,
    rng: np.random.Generator,
    *,
    weights: np.ndarray | None = None,
    max_components: int = 10,
    n_folds: int = 2,
    threshold: float = 1e-5,
    patience: int = 1,
    se_rule: float = 0.0,
    fit_full: bool = True,
    **fit_kwargs,
) -> Selection:
    """Choose the component count by k-fold cross-validation of held-out log-likelihood.

    Folds split the distinct points, so with bootstrap ``weights`` no copy of a point is both
    trained on and held out. With ``fit_full`` every tried count is also fitted on all of
    ``ut`` (kept in ``Selection.fits``, used to warm-start bootstrap refits).
    """
    n = ut.shape[1]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    present = np.flatnonzero(w > 0)
    folds = np.array_split(rng.permutation(present), n_folds)

    held_out = np.concatenate(folds)  # every present point is held out exactly once

    def score_of(k):
        ll, fits = [], []
        for test in folds:
            train_w = w.copy()
            train_w[test] = 0.0
            keep = train_w > 0
            fits.append(fit_mixture(ut[:, keep], k, rng, weights=train_w[keep], **fit_kwargs))
            ll.append(held_out_loglik(fits[-1].model, ut[:, test]))
        full = None
        if fit_full:
            # Started from the fold fit that predicted its held-out points best.
            fold_means = [v @ w[t] / w[t].sum() for v, t in zip(ll, folds, strict=True)]
            best = fits[int(np.argmax(fold_means))]
            full = fit_mixture(ut, k, rng, weights=w, warm_start=best.model, **fit_kwargs)
        return np.concatenate(ll), w[held_out], full

    return sweep(score_of, max_components, threshold, patience, se_rule)

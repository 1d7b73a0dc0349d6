"""Gaussian-mixture mathematics shared by the ``gmm`` and ``bayes_gmm`` estimators.

A mixture is held in the units of the data. Marginals of a mixture are mixtures (drop the
rows and columns of the other variables), so MI, conditional MI and the KL divergence between
marginals are all expectations of log-density differences under one fitted mixture:

    I(X;Y)   = E_p[log p(x,y) - log p(x) - log p(y)]
    I(X;Y|Z) = E_p[log p(x,y,z) + log p(z) - log p(x,z) - log p(y,z)]
    KL(p_X || p_Y) = E_{p_X}[log p_X(u) - log p_Y(u)]

Each expectation is computed either by Monte Carlo (component-stratified sampling, with its
standard error) or, in up to three dimensions, by Gauss-Hermite quadrature per component
(with an error estimate from a coarser rule). This module imports no estimator.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

__all__ = [
    "GaussianMixtureModel",
    "cmi",
    "expectation",
    "kl_marginals",
    "mi",
    "mi_categorical",
]

LOG_2PI = np.log(2.0 * np.pi)
#: Gauss-Hermite nodes per dimension, by total dimension (m**d points per component).
QUADRATURE_NODES = {1: 96, 2: 40, 3: 20}
#: The integration methods of :func:`expectation`, and so of every MI, CMI and KL here (gmm's
#: and bayes_gmm's ``mi_method``).
METHODS = ("auto", "quadrature", "mc")
#: Largest total dimension for which ``method="auto"`` uses quadrature.
QUADRATURE_MAX_DIM = 3
#: Target numerical error (nats) of quadrature; the rule is refined until two agree this well.
QUADRATURE_TOL = 1e-4
#: Points per block when a Monte Carlo integrand is evaluated.
MC_CHUNK = 16384
#: The result extras (and so the saved file's variables) that hold a fitted full-data mixture,
#: by the names of :meth:`GaussianMixtureModel.to_arrays`.
MODEL_EXTRAS = {"weights": "full_weights", "means": "full_means", "covariances": "full_covs"}


@dataclass(frozen=True)
class GaussianMixtureModel:
    """A mixture of full-covariance Gaussians.

    Parameters
    ----------
    weights : array, shape (n_components,)
        Mixing weights, summing to one.
    means : array, shape (n_components, dim)
    covariances : array, shape (n_components, dim, dim)
        Symmetric positive definite.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    _chol: np.ndarray = field(init=False, repr=False, compare=False)
    _prec_chol: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=np.float64)
        mu = np.atleast_2d(np.asarray(self.means, dtype=np.float64))
        cov = np.asarray(self.covariances, dtype=np.float64).reshape(len(mu), *mu.shape[1:] * 2)
        object.__setattr__(self, "weights", w / w.sum())
        object.__setattr__(self, "means", mu)
        object.__setattr__(self, "covariances", cov)
        chol = np.linalg.cholesky(cov)  # raises LinAlgError when not positive definite
        # Precision Cholesky P with Sigma^-1 = P P^T, so (u-mu)^T Sigma^-1 (u-mu) = |(u-mu) P|^2.
        eye = np.broadcast_to(np.eye(mu.shape[1]), cov.shape)
        prec = np.linalg.solve(chol, eye).transpose(0, 2, 1)
        object.__setattr__(self, "_chol", chol)
        object.__setattr__(self, "_prec_chol", prec)

    @property
    def n_components(self) -> int:
        return len(self.weights)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def component_logpdf(self, u: np.ndarray) -> np.ndarray:
        """log w_k + log N(u; mu_k, Sigma_k), shape (n_components, n_points).

        ``u`` has shape (n_points, dim). Points are handled as columns inside, because
        reductions over a short leading axis are several times faster in numpy than
        reductions over a short trailing one.
        """
        return self._component_logpdf_t(_columns(u, self.dim))

    def _component_logpdf_t(self, ut: np.ndarray) -> np.ndarray:
        log_det_prec = np.log(np.diagonal(self._prec_chol, axis1=1, axis2=2)).sum(axis=1)
        const = np.log(self.weights) + log_det_prec - 0.5 * self.dim * LOG_2PI
        out = np.empty((self.n_components, ut.shape[1]))
        for k in range(self.n_components):
            proj = self._prec_chol[k].T @ ut
            proj -= (self.means[k] @ self._prec_chol[k])[:, None]
            np.square(proj, out=proj)
            np.sum(proj, axis=0, out=out[k])
            out[k] *= -0.5
            out[k] += const[k]
        return out

    def logpdf(self, u: np.ndarray) -> np.ndarray:
        """Log-density at each point of ``u`` (n_points, dim); shape (n_points,)."""
        return self._logpdf_t(_columns(u, self.dim))

    def _logpdf_t(self, ut: np.ndarray) -> np.ndarray:
        return _logsumexp_cols(self._component_logpdf_t(ut))

    def marginal(self, idx: Sequence[int] | np.ndarray) -> GaussianMixtureModel:
        """The mixture of the variables ``idx`` (the others integrated out)."""
        idx = np.asarray(idx, dtype=np.intp)
        return GaussianMixtureModel(
            self.weights, self.means[:, idx], self.covariances[:, idx][:, :, idx]
        )

    def affine(self, scale: np.ndarray, shift: np.ndarray) -> GaussianMixtureModel:
        """The mixture of ``u * scale + shift`` (per-coordinate scale and shift)."""
        scale = np.asarray(scale, dtype=np.float64)
        return GaussianMixtureModel(
            self.weights,
            self.means * scale + shift,
            self.covariances * np.multiply.outer(scale, scale),
        )

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw n points, shape (n, dim).

        Component labels are drawn by systematic sampling (each component gets n*w_k points,
        rounded at random), which is unbiased and has lower variance than multinomial labels.
        """
        return self._sample_t(n, rng).T

    def _systematic_counts(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # Systematic positions (u + i) / n, i = 0..n-1: how many fall below each cumulative
        # weight c_k is ceil(n c_k - u), so the counts need no per-point labels.
        below = np.ceil(n * np.cumsum(self.weights) - rng.random()).astype(np.int64)
        below[-1] = n
        return np.diff(np.clip(below, 0, n), prepend=0)

    def _sample_blocks(self, n: int, rng: np.random.Generator, block: int):
        """Yield the n points of a systematic sample as columns, component by component, in
        blocks of at most ``block`` points (small arrays are reused, not page-faulted in)."""
        for k, c in enumerate(self._systematic_counts(n, rng)):
            for start in range(0, c, block):
                z = rng.standard_normal((self.dim, min(block, c - start)))
                pts = self._chol[k] @ z
                pts += self.means[k][:, None]
                yield pts

    def _sample_t(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.concatenate(list(self._sample_blocks(n, rng, n)), axis=1)

    def to_arrays(self, n_components: int | None = None) -> dict[str, np.ndarray]:
        """Weights, means and covariances padded with empty components to ``n_components``."""
        k = n_components or self.n_components
        d = self.dim
        w = np.zeros(k)
        mu = np.zeros((k, d))
        cov = np.broadcast_to(np.eye(d), (k, d, d)).copy()
        w[: self.n_components] = self.weights
        mu[: self.n_components] = self.means
        cov[: self.n_components] = self.covariances
        return {"weights": w, "means": mu, "covariances": cov}

    @classmethod
    def from_arrays(
        cls, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray
    ) -> GaussianMixtureModel:
        """Inverse of :meth:`to_arrays`: drop padded components of zero weight."""
        keep = np.asarray(weights) > 0
        return cls(weights[keep], means[keep], covariances[keep])

    def to_extras(self) -> dict[str, np.ndarray]:
        """The model as result extras (``MODEL_EXTRAS``): saved with the result, and rebuilt
        as its ``model`` on load by :meth:`from_extras`."""
        return {MODEL_EXTRAS[k]: v for k, v in self.to_arrays().items()}

    @classmethod
    def from_extras(cls, extras) -> GaussianMixtureModel | None:
        """Inverse of :meth:`to_extras`; None where ``extras`` holds no mixture."""
        if not all(key in extras for key in MODEL_EXTRAS.values()):
            return None
        return cls.from_arrays(**{k: np.asarray(extras[key]) for k, key in MODEL_EXTRAS.items()})


def _columns(u: np.ndarray, dim: int) -> np.ndarray:
    """Points (n, dim) as a contiguous (dim, n) array."""
    return np.ascontiguousarray(np.asarray(u, dtype=np.float64).reshape(-1, dim).T)


def _logsumexp_cols(a: np.ndarray) -> np.ndarray:
    """logsumexp along axis 0 (the max-shift trick, without scipy's overhead).

    The exponentials of the shifted terms (all <= 0, the largest exactly 0) are taken in single
    precision, three times faster here; that moves the result by at most ~1e-7 nats, far below
    any Monte Carlo or quadrature error it feeds.
    """
    if a.shape[0] == 1:
        return a[0]
    m = a.max(axis=0)
    e = np.exp((a - m).astype(np.float32))
    return np.log(e.sum(axis=0, dtype=np.float64)) + m


@lru_cache(maxsize=32)
def _gauss_hermite(dim: int, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor-product nodes (dim, n) and weights (n,) for E[f(e)], e ~ N(0, I_dim)."""
    from scipy.special import roots_hermite

    t, w = roots_hermite(n_nodes)
    t = t * np.sqrt(2.0)  # physicists' Hermite: weight exp(-t^2) -> standard normal
    w = w / np.sqrt(np.pi)
    nodes = np.stack([g.ravel() for g in np.meshgrid(*([t] * dim), indexing="ij")])
    weights = np.prod(np.stack([g.ravel() for g in np.meshgrid(*([w] * dim), indexing="ij")]), 0)
    return nodes, weights


def _quadrature(model: GaussianMixtureModel, f: Callable, n_nodes: int) -> float:
    nodes, w = _gauss_hermite(model.dim, n_nodes)
    # All components at once: points mu_k + L_k e as columns, (dim, K * n_nodes**dim).
    pairs = zip(model.means, model._chol, strict=True)
    pts = np.concatenate([m[:, None] + c @ nodes for m, c in pairs], axis=1)
    vals = f(pts).reshape(model.n_components, -1)
    return float(model.weights @ (vals @ w))


def resolve_method(dim: int, method: str) -> str:
    """The integration ``method`` that :func:`expectation` uses in ``dim`` dimensions: "auto" is
    quadrature up to ``QUADRATURE_MAX_DIM`` dimensions, Monte Carlo above."""
    if method == "auto":
        return "quadrature" if dim <= QUADRATURE_MAX_DIM else "mc"
    return method


def expectation(
    model: GaussianMixtureModel,
    f: Callable[[np.ndarray], np.ndarray],
    *,
    method: str = "auto",
    n_samples: int = 100_000,
    rng: np.random.Generator | None = None,
    tol: float = QUADRATURE_TOL,
    max_refine: int = 4,
) -> tuple[float, float]:
    """E_model[f(u)] and an estimate of its numerical error.

    Parameters
    ----------
    model : GaussianMixtureModel
    f : callable
        Maps points given as columns, shape (dim, n), to values, shape (n,).
    method : {"auto", "quadrature", "mc"}
        ``auto`` uses quadrature up to ``QUADRATURE_MAX_DIM`` dimensions, Monte Carlo above.
    n_samples : int
        Monte Carlo sample size.
    rng : numpy.random.Generator
        Needed for Monte Carlo.
    tol : float
        Quadrature: the rule is refined (nodes doubled, up to ``max_refine`` times the base
        rule's nodes per dimension) while the fine and coarse rules differ by more than
        ``tol``; ``inf`` keeps the base rule.

    Returns
    -------
    value, error : float
        For Monte Carlo the error is the standard error; for quadrature it is the difference
        from a rule with two thirds of the nodes per dimension.
    """
    method = resolve_method(model.dim, method)
    if method == "quadrature":
        if model.dim > QUADRATURE_MAX_DIM:
            raise ValueError(
                f"quadrature is available up to {QUADRATURE_MAX_DIM} dimensions in all; this "
                f"mixture has {model.dim}. Use mi_method='mc'."
            )
        m = QUADRATURE_NODES[model.dim]
        coarse = _quadrature(model, f, (2 * m) // 3)
        fine = _quadrature(model, f, m)
        # Refine while the rules disagree (sharp features where components cross).
        while abs(fine - coarse) > tol and m < max_refine * QUADRATURE_NODES[model.dim]:
            m *= 2
            coarse, fine = fine, _quadrature(model, f, m)
        return fine, abs(fine - coarse)
    if method == "mc":
        if rng is None:
            raise ValueError("Monte Carlo needs a numpy Generator in rng.")
        total = total_sq = 0.0
        for pts in model._sample_blocks(n_samples, rng, MC_CHUNK):
            vals = f(pts)
            total += float(vals.sum())
            total_sq += float(vals @ vals)
        mean = total / n_samples
        var = max(total_sq - n_samples * mean**2, 0.0) / (n_samples - 1)
        return mean, float(np.sqrt(var / n_samples))
    raise ValueError(f"method must be 'auto', 'quadrature' or 'mc', got {method!r}.")


def _split(dims: Sequence[int]) -> list[np.ndarray]:
    edges = np.cumsum([0, *dims])
    return [np.arange(a, b) for a, b in itertools.pairwise(edges)]


def _pmi_integrand(model: GaussianMixtureModel, dx: int):
    """u -> log p(x,y) - log p(x) - log p(y) on points as columns (marginals built once)."""
    ix, iy = _split([dx, model.dim - dx])
    px, py = model.marginal(ix), model.marginal(iy)
    return lambda ut: model._logpdf_t(ut) - px._logpdf_t(ut[ix]) - py._logpdf_t(ut[iy])


def pointwise_mi(model: GaussianMixtureModel, dx: int, u: np.ndarray) -> np.ndarray:
    """log p(x,y) - log p(x) - log p(y) in nats at points u = (x, y) (n, dim); shape (n,)."""
    return _pmi_integrand(model, dx)(_columns(u, model.dim))


def mi(model: GaussianMixtureModel, dx: int, **kwargs) -> tuple[float, float]:
    """I(X;Y) in nats of a mixture over (x, y), x the first ``dx`` coordinates.

    Keyword arguments go to :func:`expectation`. Returns (value, numerical error).
    """
    return expectation(model, _pmi_integrand(model, dx), **kwargs)


def cmi(model: GaussianMixtureModel, dx: int, dy: int, **kwargs) -> tuple[float, float]:
    """I(X;Y|Z) in nats of a mixture over (x, y, z). Returns (value, numerical error)."""
    ix, iy, iz = _split([dx, dy, model.dim - dx - dy])
    ixz, iyz = np.r_[ix, iz], np.r_[iy, iz]
    pxz, pyz, pz = model.marginal(ixz), model.marginal(iyz), model.marginal(iz)

    def f(ut: np.ndarray) -> np.ndarray:
        return (
            model._logpdf_t(ut)
            + pz._logpdf_t(ut[iz])
            - pxz._logpdf_t(ut[ixz])
            - pyz._logpdf_t(ut[iyz])
        )

    return expectation(model, f, **kwargs)


def kl_marginals(model: GaussianMixtureModel, dx: int, **kwargs) -> tuple[float, float]:
    """KL(p_X || p_Y) in nats between the marginals of a mixture over (x, y), dx == dy."""
    ix, iy = _split([dx, model.dim - dx])
    if len(ix) != len(iy):
        raise ValueError(f"KL between marginals needs dim(x) == dim(y); got {len(ix)}, {len(iy)}.")
    px, py = model.marginal(ix), model.marginal(iy)
    return expectation(px, lambda ut: px._logpdf_t(ut) - py._logpdf_t(ut), **kwargs)


def mi_categorical(
    models: Sequence[GaussianMixtureModel], class_probs: np.ndarray, **kwargs
) -> tuple[float, float]:
    """I(X;C) in nats, C categorical with probabilities ``class_probs`` and p(x|c) = models[c].

    I(X;C) = sum_c pi_c E_{p(x|c)}[log p(x|c) - log sum_c' pi_c' p(x|c')].
    Returns (value, numerical error), errors of the classes added in quadrature.
    """
    pi = np.asarray(class_probs, dtype=np.float64)
    log_pi = np.log(pi)

    def log_px(ut: np.ndarray) -> np.ndarray:
        terms = [lp + m._logpdf_t(ut) for lp, m in zip(log_pi, models, strict=True)]
        return _logsumexp_cols(np.stack(terms))

    value, var = 0.0, 0.0
    for p, m in zip(pi, models, strict=True):
        v, e = expectation(m, lambda ut, m=m: m._logpdf_t(ut) - log_px(ut), **kwargs)
        value += p * v
        var += (p * e) ** 2
    return value, float(np.sqrt(var))


def gaussian_mi(cov: np.ndarray, dx: int) -> float:
    """Closed-form I(X;Y) in nats of a Gaussian with covariance ``cov`` over (x, y).

    I = 0.5 (log det S_xx + log det S_yy - log det S) (Cover & Thomas, eq. 8.56 generalised).
    """
    cov = np.asarray(cov, dtype=np.float64)
    return 0.5 * (_logdet(cov[:dx, :dx]) + _logdet(cov[dx:, dx:]) - _logdet(cov))


def _logdet(a: np.ndarray) -> float:
    return float(np.linalg.slogdet(a)[1])

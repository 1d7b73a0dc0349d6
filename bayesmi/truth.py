"""Samplers with known MI, used by tests, docs, the demo and benchmarks.

Each returns the samples and the true value in nats, with the formula's source.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr, ndtr

__all__ = [
    "TRANSFORMS",
    "correlated_gaussian",
    "discrete_uniform_mi_value",
    "discrete_uniform_shift",
    "embedded_gaussian",
    "gaussian_chain",
    "gaussian_cmi",
    "gaussian_kl",
    "gaussian_mi_value",
    "gaussian_sample",
    "mixture_mi_value",
    "mixture_sample",
    "rng",
    "student_t",
    "student_t_mi_value",
    "transformed_gaussian",
]


def rng(*, seed: int | None = None) -> np.random.Generator:
    """``np.random.default_rng(seed)``, the generator these samplers draw from. The test suite
    makes its own ad-hoc data with it, so that rerunning the suite on new data seeds
    (scripts/reseed_tests.sh) reseeds those data too."""
    return np.random.default_rng(seed)


def gaussian_mi_value(rho: float, dim: int = 1) -> float:
    """-dim/2 log(1 - rho^2): MI of `dim` independent pairs each with correlation rho
    (Cover & Thomas, Elements of Information Theory, 2nd ed., example 8.5.1)."""
    return -0.5 * dim * np.log1p(-(rho**2))


def correlated_gaussian(
    rho: float, n: int, *, dim: int = 1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """x, y of shape (n, dim): coordinate pairs (x_i, y_i) standard bivariate normal with
    correlation rho, pairs independent. True MI: ``gaussian_mi_value(rho, dim)``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    return x, y, gaussian_mi_value(rho, dim)


def gaussian_sample(cov: np.ndarray, n: int, *, seed: int | None = None) -> np.ndarray:
    """n rows from the zero-mean normal with covariance ``cov`` (positive definite), the same
    on every machine: a Cholesky factor times standard normals. (``rng.multivariate_normal``
    factors ``cov`` by an SVD whose signs, and whose vectors in a repeated eigenvalue's space,
    depend on the platform's linear algebra, so its "seeded" rows differ between machines.)"""
    factor = np.linalg.cholesky(np.asarray(cov, dtype=np.float64))
    return np.random.default_rng(seed).standard_normal((n, factor.shape[0])) @ factor.T


def gaussian_chain(
    a: float, b: float, n: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A Markov chain X -> Z -> Y: Z = a X + e1, Y = b Z + e2 (unit-variance noises).
    I(X;Y|Z) = 0 exactly, while I(X;Y) > 0. Returns x, y, z, 0.0."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    z = a * x + rng.standard_normal(n)
    y = b * z + rng.standard_normal(n)
    return x, y, z, 0.0


def gaussian_cmi(
    rho_xy_given_z: float, c: float, n: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """X = c Z + U, Y = c Z + V with Z ~ N(0,1) and (U, V) bivariate normal with correlation
    rho. Given Z, (X, Y) is (U, V) shifted, so I(X;Y|Z) = -1/2 log(1 - rho^2)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    u = rng.standard_normal(n)
    v = rho_xy_given_z * u + np.sqrt(1 - rho_xy_given_z**2) * rng.standard_normal(n)
    return c * z + u, c * z + v, z, gaussian_mi_value(rho_xy_given_z)


def gaussian_kl(
    mu: float, sigma: float, rho: float, n: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Paired samples with X ~ N(0, 1) and Y ~ N(mu, sigma^2), correlation rho.
    KL(N(0,1) || N(mu, sigma^2)) = log sigma + (1 + mu^2) / (2 sigma^2) - 1/2."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    e = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    y = mu + sigma * e
    kl = np.log(sigma) + (1 + mu**2) / (2 * sigma**2) - 0.5
    return x, y, float(kl)


def student_t_mi_value(rho: float, df: float, dim: int = 1) -> float:
    """MI in nats of a multivariate Student-t over (x, y), x and y of ``dim`` coordinates each,
    ``df`` degrees of freedom and scale matrix [[I, rho I], [rho I, I]].

    I = I_gauss + f(df) + f(df + 2 dim) - 2 f(df + dim), with f(k) = log Gamma(k/2) -
    (k/2) psi(k/2) and I_gauss = -dim/2 log(1 - rho^2) (Arellano-Valle, Contreras-Reyes &
    Genton 2013, Scand. J. Stat. 40, 42-62; Czyż et al. 2023, "Beyond normal: on the
    evaluation of mutual information estimators", NeurIPS, appendix). The correction is
    positive: x and y are dependent through their shared scale even when rho = 0.
    """
    from scipy.special import digamma, gammaln

    if not df > 0:
        raise ValueError(f"student_t_mi_value: df must be positive, got {df!r}.")

    def f(k: float) -> float:
        return float(gammaln(k / 2) - (k / 2) * digamma(k / 2))

    return gaussian_mi_value(rho, dim) + f(df) + f(df + 2 * dim) - 2 * f(df + dim)


def student_t(
    rho: float, df: float, n: int, *, dim: int = 1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """x, y of shape (n, dim) from a multivariate Student-t with ``df`` degrees of freedom
    (scale as in :func:`correlated_gaussian`): the Gaussian pair divided by one shared
    sqrt(W / df), W ~ chi-square(df). True MI: ``student_t_mi_value(rho, df, dim)``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    s = np.sqrt(rng.chisquare(df, size=(n, 1)) / df)
    return x / s, y / s, student_t_mi_value(rho, df, dim)


def embedded_gaussian(
    rho: float,
    n: int,
    *,
    dim: int = 1,
    embed_dim: int = 4,
    seed: int | None = None,
    map_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """A correlated Gaussian pair of ``dim`` coordinates each (as :func:`correlated_gaussian`),
    each variable padded with ``embed_dim - dim`` independent standard normal coordinates and
    mixed by a fixed random invertible ``embed_dim x embed_dim`` matrix (seeded by
    ``map_seed``). The padding is independent of everything and the map is invertible, so
    the MI is unchanged: ``gaussian_mi_value(rho, dim)``; x and y have shape (n, embed_dim)."""
    if embed_dim < dim:
        raise ValueError(
            f"embedded_gaussian: embed_dim must be at least dim ({dim}), got {embed_dim}."
        )
    rng = np.random.default_rng(seed)
    x, y, mi_nats = correlated_gaussian(rho, n, dim=dim, seed=rng.integers(2**63))
    maps = np.random.default_rng(map_seed)
    out = []
    for a in (x, y):
        padded = np.hstack([a, rng.standard_normal((n, embed_dim - dim))])
        # A random matrix with singular values in [1, 2]: invertible and well conditioned.
        q1, _ = np.linalg.qr(maps.standard_normal((embed_dim, embed_dim)))
        q2, _ = np.linalg.qr(maps.standard_normal((embed_dim, embed_dim)))
        out.append(padded @ (q1 * maps.uniform(1.0, 2.0, embed_dim)) @ q2)
    return out[0], out[1], mi_nats


#: Strictly increasing maps of the real line (so MI is unchanged), by name.
TRANSFORMS = {
    "exp": np.exp,
    "half_cube": lambda a: np.sign(a) * np.abs(a) ** 1.5,
    "asinh": np.arcsinh,
    "wiggly": lambda a: a + 0.3 * np.sin(2.0 * a),  # derivative 1 + 0.6 cos(2a) >= 0.4
    "uniform": ndtr,  # uniform margins on (0, 1): bounded, sharp edges
    "exponential": lambda a: -log_ndtr(-a),  # -log(1 - Phi(a)): standard exponential margins
}


def transformed_gaussian(
    rho: float,
    n: int,
    *,
    fx: str = "exp",
    fy: str = "half_cube",
    dim: int = 1,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """:func:`correlated_gaussian` with x -> fx(x) and y -> fy(y) applied per coordinate,
    ``fx``/``fy`` names in ``TRANSFORMS`` (strictly increasing, hence invertible). MI is
    invariant under invertible maps of each variable (Cover & Thomas, 2nd ed., section 8.6;
    Kraskov et al. 2004, Phys. Rev. E 69, 066138, eq. 44): ``gaussian_mi_value(rho, dim)``."""
    for name, f in (("fx", fx), ("fy", fy)):
        if f not in TRANSFORMS:
            raise ValueError(
                f"transformed_gaussian: {name} must be one of {sorted(TRANSFORMS)}, got {f!r}."
            )
    x, y, mi_nats = correlated_gaussian(rho, n, dim=dim, seed=seed)
    return TRANSFORMS[fx](x), TRANSFORMS[fy](y), mi_nats


def mixture_mi_value(model, dx: int, *, method: str = "quadrature", **kwargs) -> float:
    """MI in nats of a Gaussian mixture (:class:`bayesmi.mixture.GaussianMixtureModel`) over
    (x, y), x its first ``dx`` coordinates, by tensor Gauss-Hermite quadrature (up to 3
    dimensions; numerical error ~1e-4 nats) or Monte Carlo (``method="mc"``, with ``rng``
    and ``n_samples``). There is no closed form; ``tests/test_validation_suite.py`` checks the
    quadrature against 4 million Monte Carlo samples."""
    from bayesmi import mixture

    return float(mixture.mi(model, dx, method=method, **kwargs)[0])


def mixture_sample(
    model, dx: int, n: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """n points of the mixture ``model`` in random order, split into x (n, dx) and
    y (n, dim - dx)."""
    rng = np.random.default_rng(seed)
    u = model.sample(n, rng)[rng.permutation(n)]
    return u[:, :dx], u[:, dx:]


def discrete_uniform_mi_value(n_symbols: int, width: int) -> float:
    """I(X;Y) in nats for X uniform on {0, ..., n_symbols - 1} and Y | X = x uniform on
    [x, x + width] (integer width): h(Y) - log(width), where the density of Y is constant on
    each unit interval [j, j + 1), c_j / (n_symbols width) with c_j the symbols whose interval
    covers it (exact; the case of Gao et al. 2017, NeurIPS, section 5)."""
    j = np.arange(n_symbols + width - 1)
    lo, hi = np.maximum(j - width + 1, 0), np.minimum(j, n_symbols - 1)
    p = (hi - lo + 1) / (n_symbols * width)
    return float(-(p * np.log(p)).sum() - np.log(width))


def discrete_uniform_shift(
    n: int, *, n_symbols: int = 5, width: int = 2, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Continuous x and discrete labels: returns x (n,) with X | Y = c uniform on
    [c, c + width], the labels y (n,) of integer dtype, uniform on n_symbols symbols, and
    ``discrete_uniform_mi_value(n_symbols, width)`` (MI is symmetric)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_symbols, size=n)
    x = labels + width * rng.random(n)
    return x, labels, discrete_uniform_mi_value(n_symbols, width)

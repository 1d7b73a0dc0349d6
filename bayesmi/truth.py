"""Samplers with known MI, used by tests, docs, the demo and benchmarks.

Each returns the samples and the true value in nats, with the formula's source.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "correlated_gaussian",
    "gaussian_chain",
    "gaussian_cmi",
    "gaussian_kl",
    "gaussian_mi_value",
]


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

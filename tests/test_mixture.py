"""Mixture mathematics against closed forms and against high-precision Monte Carlo."""

import numpy as np
import pytest

from bayesmi import mixture, truth
from bayesmi.mixture import GaussianMixtureModel


def gaussian(cov, mean=None):
    cov = np.asarray(cov, dtype=float)
    mean = np.zeros(len(cov)) if mean is None else mean
    return GaussianMixtureModel(np.ones(1), mean[None], cov[None])


def three_component():
    return GaussianMixtureModel(
        np.array([0.3, 0.5, 0.2]),
        np.array([[0.0, 0.0], [2.0, 1.0], [1.0, -1.0]]),
        np.array([[[1, 0.8], [0.8, 1]], [[0.3, -0.1], [-0.1, 0.5]], [[0.1, 0], [0, 2]]]),
    )


def test_logpdf_matches_scipy():
    from scipy.stats import multivariate_normal

    m = three_component()
    u = truth.rng(seed=0).standard_normal((20, 2))
    ref = np.log(
        sum(
            w * multivariate_normal(mu, c).pdf(u)
            for w, mu, c in zip(m.weights, m.means, m.covariances, strict=True)
        )
    )
    # single-precision exponentials in the log-sum-exp: ~1e-7 nats (see _logsumexp_cols)
    np.testing.assert_allclose(m.logpdf(u), ref, rtol=0, atol=1e-6)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("method", ["quadrature", "mc"])
def test_gaussian_mi_closed_form(rho, method):
    g = gaussian([[1, rho], [rho, 1]])
    value, err = mixture.mi(g, 1, method=method, rng=truth.rng(seed=1))
    exact = -0.5 * np.log(1 - rho**2)  # Cover & Thomas example 8.5.1
    # For a single Gaussian log p(x,y)/p(x)p(y) is quadratic: quadrature is exact, and Monte
    # Carlo is within a few of its own standard errors.
    assert abs(value - exact) < max(4 * err, 1e-12)


def test_multivariate_gaussian_mi_matches_formula():
    rng = truth.rng(seed=3)
    a = rng.standard_normal((5, 5))
    cov = a @ a.T + np.eye(5)
    value, err = mixture.mi(gaussian(cov), 2, method="mc", rng=rng, n_samples=200_000)
    assert abs(value - mixture.gaussian_mi(cov, 2)) < 4 * err


def test_quadrature_agrees_with_monte_carlo_on_a_mixture():
    m = three_component()
    q, q_err = mixture.mi(m, 1, method="quadrature")
    mc, mc_err = mixture.mi(m, 1, method="mc", rng=truth.rng(seed=2), n_samples=2_000_000)
    assert abs(q - mc) < 4 * mc_err + q_err
    assert q_err < 2e-3


def test_mc_error_is_honest():
    # The reported standard error matches the spread of repeated estimates (within 30%).
    m = three_component()
    rng = truth.rng(seed=5)
    runs = [mixture.mi(m, 1, method="mc", rng=rng, n_samples=5000) for _ in range(200)]
    values, errs = np.array(runs).T
    assert 0.7 < values.std() / errs.mean() < 1.3


def test_cmi_of_gaussian_closed_form():
    # X = Z + U, Y = Z + V with corr(U, V) = 0.5: I(X;Y|Z) = -1/2 log(1 - 0.25).
    cov = np.array([[2, 1.5, 1], [1.5, 2, 1], [1, 1, 1]])
    value, _err = mixture.cmi(gaussian(cov), 1, 1, method="quadrature")
    assert value == pytest.approx(-0.5 * np.log(0.75), abs=1e-10)


def test_kl_marginals_closed_form():
    mu, s = 0.7, 1.6
    cov = np.array([[1, 0.3 * s], [0.3 * s, s**2]])
    model = gaussian(cov, mean=np.array([0.0, mu]))
    value, _ = mixture.kl_marginals(model, 1)
    assert value == pytest.approx(np.log(s) + (1 + mu**2) / (2 * s**2) - 0.5, abs=1e-10)


def test_categorical_mi_of_separated_classes_is_class_entropy():
    # Two far-apart unit Gaussians: the class is identifiable from x, so I = H(C).
    models = [gaussian([[1.0]], np.array([-30.0])), gaussian([[1.0]], np.array([30.0]))]
    value, _ = mixture.mi_categorical(models, np.array([0.25, 0.75]))
    assert value == pytest.approx(-(0.25 * np.log(0.25) + 0.75 * np.log(0.75)), abs=1e-8)


def test_sample_moments():
    m = three_component()
    s = m.sample(400_000, truth.rng(seed=0))
    mean = m.weights @ m.means
    np.testing.assert_allclose(s.mean(0), mean, atol=0.01)


def test_marginal_and_affine():
    m = three_component()
    mx = m.marginal([0])
    np.testing.assert_allclose(mx.covariances[:, 0, 0], m.covariances[:, 0, 0])
    scaled = m.affine(np.array([2.0, 3.0]), np.array([1.0, -1.0]))
    u = np.array([[0.2, 0.1]])
    # density transforms with the Jacobian: p'(a u + b) = p(u) / (2 * 3)
    np.testing.assert_allclose(
        scaled.logpdf(u * [2, 3] + [1, -1]), m.logpdf(u) - np.log(6.0), rtol=1e-12
    )
    # MI is invariant under per-variable affine maps.
    assert mixture.mi(scaled, 1)[0] == pytest.approx(mixture.mi(m, 1)[0], rel=1e-9)


def test_padding_round_trip():
    m = three_component()
    back = GaussianMixtureModel.from_arrays(**m.to_arrays(5))
    np.testing.assert_allclose(back.means, m.means)
    assert back.n_components == 3

"""EM fitting and component selection."""

import numpy as np
import pytest

from bayesmi import truth
from bayesmi.em import INIT_METHODS, fit_mixture, select_n_components


def two_blobs(n=1500, seed=0):
    rng = truth.rng(seed=seed)
    lab = rng.random(n) < 0.3
    u = rng.standard_normal((n, 2)) * 0.5
    u[lab] += [3.0, -2.0]
    return np.ascontiguousarray(u.T), lab


@pytest.mark.parametrize("init", INIT_METHODS)
def test_em_recovers_separated_components(init):
    ut, lab = two_blobs()
    # The best of 10 starts: with the default 3, "random" and "minmax" starts ended in a split
    # blob on 3 and 2 of 200 data sets (data seed 5 found one); with 10, on none of 200 (one
    # start fails about 1 time in 4, so all 10 about 1e-6).
    fit = fit_mixture(ut, 2, truth.rng(seed=1), init=init, n_init=10)
    assert fit.converged
    order = np.argsort(fit.model.weights)
    np.testing.assert_allclose(fit.model.weights[order], [lab.mean(), 1 - lab.mean()], atol=0.01)
    np.testing.assert_allclose(fit.model.means[order[0]], [3.0, -2.0], atol=0.1)


def test_weights_equal_duplicated_points():
    ut, _ = two_blobs(300)
    counts = truth.rng(seed=2).integers(0, 3, ut.shape[1]).astype(float)
    warm = fit_mixture(ut, 2, truth.rng(seed=0)).model
    a = fit_mixture(ut, 2, truth.rng(seed=0), weights=counts, warm_start=warm, tol=1e-10)
    dup = np.repeat(ut, counts.astype(int), axis=1)
    b = fit_mixture(dup, 2, truth.rng(seed=0), warm_start=warm, tol=1e-10)
    np.testing.assert_allclose(a.model.means, b.model.means, atol=1e-8)
    np.testing.assert_allclose(a.model.covariances, b.model.covariances, atol=1e-8)


def test_selection_finds_two_blobs():
    ut, _ = two_blobs()
    sel = select_n_components(ut, truth.rng(seed=0))
    assert sel.n_components == 2
    assert sel.scores[2] > sel.scores[1]
    assert set(sel.fits) == set(sel.scores)

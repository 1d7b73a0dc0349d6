"""The interval layer (bayesmi.intervals): schemes, the zero boundary, the zero rule, and its
agreement with ArviZ; every method's printout non-negative; the independence test's level."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bayesmi as bm
from bayesmi import intervals, truth
from bayesmi.independence import knn_permutation_test
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult


def _az_hdi(draws, prob):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az

        return az.hdi(np.ravel(draws), hdi_prob=prob)


def test_force_zero_start_is_minimal_and_agrees_with_arviz():
    rng = truth.rng(seed=0)
    for _ in range(300):
        n = int(rng.integers(3, 300))
        d = np.maximum(rng.normal(rng.uniform(-1, 3), 1, size=(1, n)), 0)
        out, k = intervals.force_zero_start(d, 0.9)
        assert _az_hdi(out, 0.9)[0] == 0
        assert out.shape == d.shape and np.all(out <= d)
        if k > 0:  # one draw fewer set to zero is not enough
            flat = d.ravel().copy()
            flat[np.argsort(flat, kind="stable")[: k - 1]] = 0
            assert _az_hdi(flat, 0.9)[0] > 0


def test_finish_schemes():
    raw = np.array([[0.2, 0.3, 0.4, 0.5]])
    d, info = intervals.finish(raw, 0.3, scheme="percentile")
    np.testing.assert_array_equal(d, raw)
    d, _ = intervals.finish(raw, 0.3, scheme="basic")
    np.testing.assert_allclose(d, [[0.4, 0.3, 0.2, 0.1]])
    # calibrated: centre = full - (mean(raw) - full) = 0.25, deviations from mean(raw) = 0.35
    # scaled by 2 and by the few-draws factor c: 0.25 + 2c [-0.15, -0.05, 0.05, 0.15], the
    # negative one set to 0
    d, info = intervals.finish(raw, 0.3, scheme="calibrated", scale=2.0)
    c = intervals.few_draws_scale(4)
    np.testing.assert_allclose(d, [[0.0, 0.25 - 0.1 * c, 0.25 + 0.1 * c, 0.25 + 0.3 * c]])
    assert info["widen"] == pytest.approx(2 * c)
    assert info["bias_nats"] == pytest.approx(0.05) and info["centre_nats"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="interval must be one of"):
        intervals.finish(raw, 0.3, scheme="bca")
    with pytest.raises(ValueError, match="non-finite draws"):
        intervals.finish(np.array([[0.1, np.nan]]), 0.1)


def test_few_draws_scale_makes_the_hdi_hold_its_level():
    # Normal draws widened by the factor: the 90% HDI of 50 of them holds 0.90 of the normal on
    # average. 2,000 fresh sets: the mean mass has sd ~0.0008; 0.005 is 6 sds.
    from scipy.stats import norm

    c = intervals.few_draws_scale(50)
    assert 1.08 < c < 1.14  # 0.863 unwidened (the docstring's simulation)
    rng = truth.rng(seed=99)
    mass = []
    for _ in range(2000):
        start, width, x = intervals.hdi_bounds(c * rng.standard_normal(50), 0.9)
        mass.append(norm.cdf(x[start + width]) - norm.cdf(x[start]))
    assert abs(np.mean(mass) - 0.9) < 0.005


def test_finish_never_negative_and_never_collapses_below_zero():
    rng = truth.rng(seed=1)
    raw = -0.03 + 0.02 * rng.standard_normal((1, 200))  # an estimate below the boundary
    d, info = intervals.finish(raw, -0.03, bias_nats=0.0)
    assert d.min() >= 0
    lo, hi = MIResult(draws_nats=d, kind="subsample").hdi(0.9)
    # Centre clamped to 0, spread kept: [0, about 1.3 sd], not [0, 0].
    assert lo == 0 and 0.015 < hi < 0.05
    assert info["centre_clamped_from_nats"] == pytest.approx(-0.03)


def test_zero_rule_follows_the_p_value():
    raw = 0.05 + 0.01 * truth.rng(seed=2).standard_normal((1, 100))
    kept, info = intervals.finish(raw, 0.05, p_value=0.02)
    assert not info["no_dependence_detected"] and MIResult(kept, "bootstrap").hdi()[0] > 0
    zeroed, info = intervals.finish(raw, 0.05, p_value=0.4)
    r = MIResult(zeroed, "bootstrap", provenance={"interval": info}, extras={"p_value": [0.4]})
    assert info["no_dependence_detected"] and r.hdi(0.9)[0] == 0 == _az_hdi(zeroed, 0.9)[0]
    assert "no dependence detected (p = 0.4)" in repr(r)


def test_independence_test_is_level_alpha():
    # Under independence the permutation p-value is uniform on {1/31, ..., 1}: P(p <= 0.1) =
    # 3/31. Over 60 independent data sets the count of p <= 0.1 is Binomial(60, 0.097);
    # 20 or more has probability 3e-6.
    ps = []
    for s in range(60):
        x, y, _ = truth.correlated_gaussian(0.0, 300, seed=1000 + s)
        out = knn_permutation_test(
            x, y, None, n_permutations=30, seed=spawn_seeds(s, 1)[0],
            map_fn=lambda f, tasks, desc: [f(t) for t in tasks],
        )  # fmt: skip
        ps.append(out["p_value"][0])
    assert np.sum(np.array(ps) <= 0.1) < 20
    # It detects MI 0.51 nats (rho 0.8) at n = 300: KSG's null sd there is ~0.035 and its
    # estimate's own sd ~0.05, so even an estimate 3 of its sds low stands 10 null sds above the
    # null: a shuffle reaching it is far below 1e-6. (At rho 0.6 an estimate 3 sds low stood
    # only 3.4 null sds up, and data seed 12 of scripts/reseed_tests.sh found one shuffle above.)
    x, y, _ = truth.correlated_gaussian(0.8, 300, seed=7)
    out = knn_permutation_test(
        x, y, None, n_permutations=30, seed=spawn_seeds(0, 1)[0],
        map_fn=lambda f, tasks, desc: [f(t) for t in tasks],
    )  # fmt: skip
    assert out["p_value"][0] == pytest.approx(1 / 31)


FAST = {
    "gmm": {"n_draws": 20, "n_permutations": 20},
    "ksg": {"n_draws": 40, "n_permutations": 20},
    "bins": {"n_draws": 40, "n_permutations": 20},
}


@pytest.mark.parametrize("method", sorted(FAST))
def test_independent_data_print_no_negative_number(method):
    x, y, _ = truth.correlated_gaussian(0.0, 600, seed=31)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = bm.estimate(x, y, method=method, seed=0, progress=False, **FAST[method])
    assert r.draws.min() >= 0 and r.mean >= 0 and r.hdi(0.9)[0] >= 0
    assert r.at_least(0.95) >= 0 and r.quantile(0.05) >= 0
    assert "-0." not in repr(r)
    assert r.raw_draws_nats.shape == r.draws_nats.shape

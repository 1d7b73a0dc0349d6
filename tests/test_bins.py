"""Binning MI: convergence, exact discrete truths, the corrections, coverage."""

import warnings

import numpy as np
import pytest

import bayesmi as bm
from bayesmi import truth
from bayesmi.estimators.bins import plugin_mi

FAST = {"progress": False, "n_draws": 60, "n_permutations": 0}


def noisy_channel(n, seed, p_keep=0.7, k=3):
    """x uniform on k symbols; y = x with probability p_keep, else uniform. Exact MI from the
    joint pmf p(x, y) = (1/k) (p_keep [x = y] + (1 - p_keep) / k)."""
    rng = truth.rng(seed=seed)
    x = rng.integers(0, k, n)
    y = np.where(rng.random(n) < p_keep, x, rng.integers(0, k, n))
    pxy = np.full((k, k), (1 - p_keep) / k**2) + np.eye(k) * p_keep / k
    mi = float((pxy * np.log(pxy * k * k)).sum())
    return x, y, mi


def test_converges_to_the_truth_as_n_grows():
    # At n = 2000 (~20 samples a cell) the binning loss dominates: errors of -0.005 to -0.041
    # nats over 8 measured data sets (mean -0.022, sd 0.012), so the mean over 8 has sd ~0.004
    # and lies within 0.006 of 0 with probability ~7e-5. At n = 200,000 the error is within 4
    # of its sds (+0.002): measured |error| <= 0.004.
    small = []
    for seed in range(8):
        x, y, mi_true = truth.correlated_gaussian(0.6, 2000, seed=30 + seed)
        small.append(bm.estimate(x, y, method="bins", seed=0, **FAST).mean - mi_true)
    x, y, mi_true = truth.correlated_gaussian(0.6, 200_000, seed=3)
    r = bm.estimate(x, y, method="bins", seed=0, **FAST)
    big = abs(r.mean - mi_true)
    assert big < 4 * r.sd + 0.002
    assert big < abs(np.mean(small))


@pytest.mark.parametrize("correction", ["miller_madow", "jackknife"])
def test_discrete_exact_mi(correction):
    x, y, mi_true = noisy_channel(5000, seed=4)
    r = bm.estimate(
        x,
        y,
        method="bins",
        discrete_x=True,
        categorical=True,
        correction=correction,
        seed=0,
        **FAST,
    )
    assert abs(r.mean - mi_true) < 4 * r.sd


def test_jackknife_leave_one_out_in_closed_form():
    # The per-cell closed form equals recomputing the table without each point.
    rng = truth.rng(seed=5)
    cx, cy = rng.integers(0, 4, 60), rng.integers(0, 3, 60)
    n = len(cx)
    loo = [plugin_mi(np.delete(cx, i), np.delete(cy, i), correction="none") for i in range(n)]
    brute = n * plugin_mi(cx, cy, correction="none") - (n - 1) * np.mean(loo)
    assert plugin_mi(cx, cy, correction="jackknife") == pytest.approx(brute, abs=1e-12)


def test_miller_madow_closed_form():
    rng = truth.rng(seed=6)
    cx, cy = rng.integers(0, 4, 80), rng.integers(0, 3, 80)
    raw = plugin_mi(cx, cy, correction="none")
    m_xy = len(set(zip(cx.tolist(), cy.tolist(), strict=True)))
    assert plugin_mi(cx, cy) == pytest.approx(raw + (4 + 3 - m_xy - 1) / 160)


def test_independent_interval_reaches_zero_with_null():
    x, y, _ = truth.correlated_gaussian(0.0, 5000, seed=7)
    r = bm.estimate(x, y, method="bins", seed=0, progress=False, n_draws=60, n_permutations=40)
    # The interval reaches 0 where the permutation test does not reject (p >= 0.1), and its
    # lower end is small whatever the test says (below 0.003: the estimate's sd is ~0.001).
    assert r.hdi(0.9)[0] < 0.003
    assert r.no_dependence_detected == (r.p_value >= 0.1)
    if r.no_dependence_detected:
        assert r.hdi(0.9)[0] == 0


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_auto_rule_beats_density_rules(strategy):
    # Freedman-Diaconis and Sturges are rules for densities: for the joint table of MI they
    # give too many cells, and the estimate reads high; "auto" aims at ~20 samples a cell.
    x, y, mi_true = truth.correlated_gaussian(0.6, 5000, seed=8)
    est = {
        rule: bm.estimate(x, y, method="bins", bins=rule, strategy=strategy, seed=0, **FAST)
        for rule in ("auto", "fd", "sturges", 8)
    }
    assert est["fd"].extras["n_cells"][0] > est["auto"].extras["n_cells"][0]
    # On the same data, Freedman-Diaconis read 0.044-0.056 nats above "auto" (8 measured data
    # sets per strategy, sd ~0.005): 0.02 is 5 sds below the smallest. (Comparing each with the
    # truth instead failed when the auto estimate fell 2 sds low: about 3% of data sets.)
    assert est["fd"].mean > est["auto"].mean + 0.02
    assert abs(est["auto"].mean - mi_true) < 4 * est["auto"].sd + 0.02
    assert est[8].extras["n_cells"][0] == 8


@pytest.mark.parametrize("rho", [0.3, 0.9])
def test_gaussian_mi_at_large_n(rho):
    x, y, mi_true = truth.correlated_gaussian(rho, 200_000, seed=11)
    r = bm.estimate(x, y, method="bins", seed=0, **FAST)
    # what remains is the discretisation loss, small at 100 bins per axis
    assert abs(r.mean - mi_true) < 4 * r.sd + 0.01 * mi_true


@pytest.mark.parametrize("dim", [2, 3])
def test_vectors_are_binned_jointly(dim):
    x, y, mi_true = truth.correlated_gaussian(0.6, 20_000, dim=dim, seed=9)
    r = bm.estimate(x, y, method="bins", seed=0, **FAST)
    # binning loses information, never adds it (data processing), minus noise
    assert r.mean < mi_true and r.mean > 0.5 * mi_true


def test_same_seed_same_draws_whatever_n_jobs():
    x, y, _ = truth.correlated_gaussian(0.6, 1000, seed=10)
    kw = {"method": "bins", "seed": 2, "progress": False, "n_draws": 10, "n_permutations": 5}
    np.testing.assert_array_equal(
        bm.estimate(x, y, n_jobs=1, **kw).draws_nats, bm.estimate(x, y, n_jobs=2, **kw).draws_nats
    )


@pytest.mark.parametrize(
    ("param", "value", "error", "match"),
    [
        ("bins", "scott", ValueError, "bins must be one of"),
        ("bins", 1, ValueError, "bins must be >= 2, got 1"),
        ("strategy", "kmeans", ValueError, "strategy must be one of"),
        ("correction", "panzeri", ValueError, "correction must be one of"),
        ("n_draws", 0, ValueError, "n_draws must be >= 2"),
    ],
)
def test_bad_hyperparameters(param, value, error, match):
    x, y, _ = truth.correlated_gaussian(0.6, 100, seed=0)
    with pytest.raises(error, match=match):
        bm.estimate(x, y, method="bins", progress=False, **{param: value})


def test_conditional_refused():
    x, y, z, _ = truth.gaussian_chain(1, 1, 100, seed=0)
    with pytest.raises(ValueError, match="conditional MI is not available for binning"):
        bm.estimate(x, y, z=z, method="bins", progress=False)


def test_coverage_of_the_90_interval():
    # 30 seeded data sets of the noisy channel (exact MI, no discretisation): the 90% HDI held
    # the truth in 0.89 of 120 further data sets, so at least 19 of 30 hold it but with
    # probability 4e-5 (binomial); an interval covering 0.6 fails this 57% of the time. (At
    # least 23 of 30, the earlier bar, failed 1.4% of the time: data seed 3.)
    hits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(30):
            x, y, mi_true = noisy_channel(2000, seed=3000 + rep)
            r = bm.estimate(
                x,
                y,
                method="bins",
                discrete_x=True,
                categorical=True,
                seed=rep,
                progress=False,
                n_draws=200,
                n_permutations=0,
            )
            lo, hi = r.hdi(0.9)
            hits += lo <= mi_true <= hi
    assert hits >= 19


# -- what the result claims: a lower bound where a continuous variable is binned ------------
def test_binned_continuous_data_give_a_lower_bound_that_holds():
    # A Student-t pair at rho 0: all of its 0.042 nats in the shared scale (the joint tails),
    # which 3 bins a column barely see at n = 300: the interval reaches 0 (though x and y are
    # dependent). Read as the lower bound it is, it holds: the 95%
    # one-sided bound lies below the truth in every one of 20 seeded data sets.
    held, straddled = 0, 0
    for rep in range(20):
        x, y, mi_true = truth.student_t(0.0, 3, 300, seed=100 + rep)
        r = bm.estimate(x, y, method="bins", seed=rep, **FAST)
        assert r.bound == "lower"
        held += r.at_least(0.95) <= mi_true
        straddled += r.hdi(0.9)[0] == 0 < r.hdi(0.9)[1]
    assert held == 20 and straddled >= 15
    assert "a lower bound: I(X;Y) >= " in repr(r)


def test_discrete_data_give_the_mi_itself_not_a_bound():
    x, y, _ = noisy_channel(500, seed=1)
    both = bm.estimate(x, y, method="bins", discrete_x=True, categorical=True, seed=0, **FAST)
    assert both.bound is None and "bound" not in repr(both)
    # One side binned (x as values given continuously): a bound again.
    with pytest.warns(bm.CoverageWarning):  # binned with MI clearly above zero
        one = bm.estimate(x + 0.01 * np.arange(500) / 500, y, method="bins", categorical=True,
                          seed=0, **FAST)  # fmt: skip
    assert one.bound == "lower"


# -- the coverage warning (docs/validation.md: bins under-covers wherever MI is clearly > 0) --
def test_coverage_warning_where_binned_data_show_dependence():
    x, y, _ = truth.correlated_gaussian(0.6, 1000, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bm.estimate(x, y, method="bins", seed=0, **FAST)
    mine = [w for w in caught if issubclass(w.category, bm.CoverageWarning)]
    assert len(mine) == 1  # one per estimate
    text = str(mine[0].message)
    # The measured figures live in the docs, not in the message (they go stale in code).
    assert "binning bias" in text and "docs/bins.md" in text and "0.50 of 30" not in text


@pytest.mark.parametrize(
    "case",
    ["independent", "discrete"],
)
def test_no_coverage_warning_near_zero_or_for_discrete_data(case):
    if case == "independent":  # the bias-corrected draws straddle 0: the interval held it
        x, y, _ = truth.correlated_gaussian(0.0, 1000, seed=2)
        kw = {}
    else:  # categories used as they are: nothing is binned, no discretisation bias
        x, y, _ = noisy_channel(1000, seed=2)
        kw = {"discrete_x": True, "categorical": True}
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.CoverageWarning)
        bm.estimate(x, y, method="bins", seed=0, **FAST, **kw)


def test_coverage_warning_is_suppressible():
    x, y, _ = truth.correlated_gaussian(0.6, 1000, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=bm.CoverageWarning)
        bm.estimate(x, y, method="bins", seed=0, **FAST)
    assert not [w for w in caught if issubclass(w.category, bm.BayesMIWarning)]


def test_binary_and_tied_columns_keep_every_level():
    # Issue 18, 2.1: quantile edges collapsed a binary x to one bin (MI 0.000 [0, 0]).
    from scipy.integrate import quad
    from scipy.stats import norm

    x, y, _ = truth.correlated_gaussian(0.6, n=2000, seed=11)
    a = 0.6 / np.sqrt(1 - 0.6**2)
    # I(sign x; y) = int 2 phi(y) Phi(a y) log(2 Phi(a y)) dy (y | x > 0 is skew-normal).
    mi_true = quad(lambda t: 2 * norm.pdf(t) * norm.cdf(a * t) * np.log(2 * norm.cdf(a * t)),
                   -12, 12)[0]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.CoverageWarning)
        r = bm.estimate(x[:, 0] > 0, y, method="bins", seed=0, **FAST)
    # Binning y loses a little (a lower bound); 4 sds above: about 1 in 16,000 false alarms.
    assert 0.8 * mi_true < r.mean < mi_true + 4 * r.sd
    from bayesmi.estimators.bins import bin_codes

    tied = np.repeat([0.0, 1.0, 2.0], [100, 100, 800])[:, None]
    assert len(np.unique(bin_codes(tied, "auto", "quantile", False, 2))) == 3


def test_sparse_table_claims_no_lower_bound():
    # Issue 18, 2.2: independent 10-D x, n = 1000 claimed "I >= 0.35 with probability 0.95".
    rng = truth.rng(seed=12)
    x, y = rng.standard_normal((1000, 10)), rng.standard_normal(1000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = bm.estimate(x, y, method="bins", seed=0, **FAST)
    kinds = {type(w.message) for w in caught}
    assert bm.SparseTableWarning in kinds and bm.CoverageWarning not in kinds
    assert r.bound is None and "lower bound" not in repr(r)
    with pytest.warns(bm.SparseTableWarning, match="cells per sample, more than 0.25"):
        bm.estimate(x[:, 0], y, method="bins", bins=100_000, seed=0, **FAST)


def test_dense_table_keeps_its_lower_bound():
    x, y, _ = truth.correlated_gaussian(0.6, n=1000, dim=2, seed=13)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.SparseTableWarning)
        warnings.simplefilter("ignore", bm.CoverageWarning)
        r = bm.estimate(x, y, method="bins", seed=0, **FAST)
    assert r.bound == "lower"

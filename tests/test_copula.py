"""Normal scores (bayesmi.copula): exact values, invariance, ties, weights."""

import warnings

import numpy as np
import pytest
from scipy.special import ndtri

from bayesmi import copula, truth
from bayesmi.exceptions import BayesMIWarning


def test_exact_values_of_small_inputs():
    # Ranks 2, 3, 1 of n = 3: Phi^-1((r - 1/2) / 3).
    got = copula.normal_scores(np.array([3.0, 10.0, -1.0]))
    np.testing.assert_allclose(got, ndtri(np.array([1.5, 2.5, 0.5]) / 3), rtol=0, atol=1e-15)
    assert got[0] == 0.0  # the median of an odd n scores exactly 0


def test_each_column_holds_the_n_scores_and_sums_to_zero():
    rng = truth.rng(seed=0)
    a = rng.standard_normal((501, 3)) ** 3
    s = copula.normal_scores(a)
    expected = ndtri((np.arange(1, 502) - 0.5) / 501)
    for j in range(3):
        np.testing.assert_array_equal(np.sort(s[:, j]), expected)
        assert abs(s[:, j].sum()) < 1e-12  # symmetric scores


@pytest.mark.parametrize("f", [np.exp, lambda a: a**3, np.arctan, lambda a: 5 * a - 2])
def test_invariant_under_strictly_increasing_maps(f):
    rng = truth.rng(seed=1)
    a = rng.standard_normal((400, 2))
    np.testing.assert_array_equal(copula.normal_scores(f(a)), copula.normal_scores(a))


def test_ties_get_the_mid_rank_score_and_warn():
    # Values 1, 2, 2, 3: ranks 1, 2.5, 2.5, 4 -> Phi^-1((r - 1/2) / 4).
    with pytest.warns(copula.TiesWarning, match=r"x has 50% of its values tied"):
        got = copula.normal_scores(np.array([1.0, 2.0, 2.0, 3.0]))
    np.testing.assert_allclose(got, ndtri(np.array([0.5, 2.0, 2.0, 3.5]) / 4), atol=1e-15)
    assert issubclass(copula.TiesWarning, BayesMIWarning)


def test_a_few_ties_do_not_warn_and_the_fraction_is_stated():
    a = np.arange(100.0)
    a[1] = a[0]  # 2% of the values tied: below TIES_FRACTION (5%)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        copula.normal_scores(a)
    b = np.arange(100.0)
    b[:6] = 0.0  # 6% tied
    with pytest.warns(copula.TiesWarning, match=r"column 1 has 6%.*more than 5%"):
        copula.normal_scores(np.column_stack([a, b]), name="y")


def test_counts_as_weights_equal_the_scores_of_the_resample():
    rng = truth.rng(seed=2)
    a = rng.standard_normal(50)
    counts = np.bincount(rng.integers(0, 50, 50), minlength=50)
    weighted = copula.normal_scores(a, weights=counts, warn_ties=False)
    resample = np.repeat(a, counts)
    direct = copula.normal_scores(resample, warn_ties=False)
    # Each kept point's score is the mid-rank score of its block of copies in the resample.
    np.testing.assert_allclose(np.sort(weighted[counts > 0]), np.unique(direct), atol=1e-12)
    # A point left out of the resample scores between the resample's neighbours around it.
    order = np.argsort(a)
    u = weighted[order]
    assert np.all(np.diff(u) >= 0) and np.isfinite(u).all()


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match=r"weights must be 3 non-negative numbers"):
        copula.normal_scores(np.array([1.0, 2.0, 3.0]), weights=np.array([1.0, -1.0, 1.0]))


def test_check_marginals_names_the_option():
    assert copula.check_marginals("copula", "KSGMI") == "copula"
    with pytest.raises(
        ValueError, match=r"KSGMI: marginals must be one of \('raw', 'copula', 'auto'\)"
    ):
        copula.check_marginals("ranks", "KSGMI")


# -- the marginals= option of ksg and gmm ---------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "kw"),
    [("ksg", {"n_draws": 60, "n_permutations": 0}), ("gmm", {"n_draws": 20})],
)
def test_copula_marginals_recover_a_transformed_gaussian(method, kw):
    import bayesmi as bm
    from bayesmi import truth

    x, y, mi_true = truth.transformed_gaussian(0.6, 1500, fx="exp", fy="half_cube", seed=40)
    r = bm.estimate(x, y, method=method, marginals="copula", seed=0, progress=False, **kw)
    assert r.provenance["params"]["marginals"] == "copula"
    # The data hash is of the data given, not of the scores.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.CoverageWarning)  # gmm's edge test on raw exp(x)
        raw = bm.estimate(x, y, method=method, seed=0, progress=False, **kw)
    assert r.provenance["data_sha256"] == raw.provenance["data_sha256"]
    assert abs(r.mean - mi_true) < 4 * r.sd  # 4 sds: ~6e-5 false alarms


def test_copula_marginals_are_invariant_to_monotone_maps():
    import bayesmi as bm
    from bayesmi import truth

    x, y, _ = truth.correlated_gaussian(0.6, 600, seed=41)
    kw = {"method": "gmm", "marginals": "copula", "n_draws": 5, "seed": 1, "progress": False}
    a = bm.estimate(x, y, **kw)
    b = bm.estimate(np.exp(x), y**3, **kw)
    np.testing.assert_array_equal(a.draws_nats, b.draws_nats)


def test_copula_marginals_keep_a_categorical_y():
    import bayesmi as bm
    from bayesmi import truth

    x, labels, _ = truth.discrete_uniform_shift(600, seed=42)
    warnings.simplefilter("ignore", bm.HighMIWarning)  # k to 2k at n = 600; not the point here
    r = bm.estimate(np.exp(x), labels, method="ksg", categorical=True, marginals="copula", seed=0,
                    progress=False, n_draws=20, n_permutations=0)  # fmt: skip
    s = bm.estimate(x, labels, method="ksg", categorical=True, marginals="copula", seed=0,
                    progress=False, n_draws=20, n_permutations=0)  # fmt: skip
    np.testing.assert_array_equal(r.draws_nats, s.draws_nats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.CoverageWarning)
        g = bm.estimate(np.exp(x), labels, method="gmm", categorical=True, marginals="copula",
                        n_draws=4, seed=0, progress=False)  # fmt: skip
    assert g.quantity == "mi" and np.isfinite(g.draws_nats).all()


def test_margin_shape_reads_tails_and_skew():
    # Quantiles of 20,000 draws: each figure within ~0.03 of its population value (sd ~0.01,
    # so a false alarm needs a 3-sd excursion of a bound set 0.05+ away: below 1e-4).
    rng = truth.rng(seed=43)
    g = rng.standard_normal(20_000)
    tail, skew = copula.margin_shape(g)
    assert abs(tail - 1.0) < 0.05 and abs(skew) < 0.05
    tail, skew = copula.margin_shape(np.exp(g))  # log-normal: heavy right tail, skewed
    assert tail > 1.8 and skew > 0.5  # population: 2.02 and 0.57
    tail, skew = copula.margin_shape(rng.standard_t(3, 20_000))  # population tail 1.72
    assert 1.5 < tail < 2.0 and abs(skew) < 0.05
    tail, skew = copula.margin_shape(np.concatenate([g[:10_000] - 2, g[10_000:] + 2]))
    assert tail < 0.9  # a bimodal margin: light tails relative to its interquartile range
    assert copula.margin_shape(np.r_[np.zeros(800), np.arange(200.0)])[0] == np.inf


def test_auto_marginals_score_the_heavy_tailed_and_skewed_columns_only():
    import bayesmi as bm

    x, y, _ = truth.correlated_gaussian(0.6, 1500, seed=44)
    data = np.column_stack([np.exp(x), x**3, x, np.sign(x) * np.abs(x) ** 0.5])
    # Population tails: 2.5, 7.9, 1.0, 0.56; skews 0.57, 0, 0, 0. At n = 1500 a normal column's
    # tail reads 1.0 +- 0.05 (TAIL_MAX = 1.2 is 4 sds away) and a log-normal's 2.0+.
    np.testing.assert_array_equal(copula.auto_columns(data), [True, True, False, False])
    scored = copula.scores_of([data, y, None], caller="t", auto=True)
    np.testing.assert_array_equal(scored[0][:, 2:], data[:, 2:])
    np.testing.assert_array_equal(scored[0][:, :2], copula.normal_scores(data[:, :2]))
    assert scored[1] is y and scored[2] is None
    # gmm with "auto" on (exp(x), y) is gmm with "raw" on (scores of exp(x), y): y stays raw.
    kw = {"method": "gmm", "n_draws": 5, "seed": 1, "progress": False, "n_permutations": 0}
    a = bm.estimate(np.exp(x), y, marginals="auto", **kw)
    b = bm.estimate(copula.normal_scores(np.exp(x)), y, marginals="raw", **kw)
    np.testing.assert_array_equal(a.draws_nats, b.draws_nats)


@pytest.mark.parametrize("method", ["ksg", "gmm", "bayes_gmm"])
def test_copula_marginals_refused_for_kl_and_checked(method):
    import bayesmi as bm
    from bayesmi import truth

    x, y, _ = truth.correlated_gaussian(0.6, 300, seed=43)
    with pytest.raises(ValueError, match=r"marginals='copula' is not available for KL"):
        bm.kl_marginals(x, y, method=method, marginals="copula", progress=False)
    with pytest.raises(
        ValueError, match=r"marginals must be one of \('raw', 'copula', 'auto'\), got 'rank'"
    ):
        bm.estimate(x, y, method=method, marginals="rank", progress=False)


# -- the fitted maps travel with the result ----------------------------------------------------
@pytest.mark.filterwarnings("ignore::bayesmi.copula.TiesWarning")  # the rounded column is the point
def test_margin_maps_map_values_to_scores_and_back_with_ties():
    rng = truth.rng(seed=45)
    a = np.column_stack([rng.standard_normal(200), np.round(rng.exponential(size=200), 1)])
    b = rng.standard_normal((200, 1))
    parts, maps = copula.apply_marginals("copula", "mi", [a, b], caller="t")
    np.testing.assert_array_equal(maps.scored, [True, True, True])
    u = np.hstack([a, b])
    # The data's own values map exactly onto the scores the method used (ties included) ...
    np.testing.assert_array_equal(maps.to_scores(u), np.hstack(parts))
    # ... and back: the inverse of the empirical map at the data is the identity.
    np.testing.assert_array_equal(maps.from_scores(np.hstack(parts)), u)
    # A new value between two data values lands between their scores; beyond them, at the ends.
    v = np.sort(a[:, 0])
    mid = maps.to_scores(np.array([[(v[9] + v[10]) / 2, 0.0, 0.0], [v[-1] + 5, 0.0, 0.0]]))
    s = np.sort(parts[0][:, 0])
    assert s[9] < mid[0, 0] < s[10] and mid[1, 0] == s[-1]
    with pytest.raises(ValueError, match="MarginMaps: expected 3 columns"):
        maps.to_scores(a)
    back = copula.MarginMaps.from_extras(maps.to_extras())
    np.testing.assert_array_equal(back.values, maps.values)
    np.testing.assert_array_equal(back.scores, maps.scores)
    # "auto" records the columns it left alone; "raw" and KL under "auto" record nothing. At
    # n = 2000 the exponential's quantile skewness is 0.465 (sd 0.021 over 2000 samples) against
    # SKEW_MAX 0.35, the normals' tail weight 1.00 (sd 0.033) against TAIL_MAX 1.2: over 5 sds
    # either way. (At n = 200 the rounded exponential read below 0.35 at data seed 11.)
    big = np.column_stack([rng.standard_normal(2000), rng.exponential(size=2000)])
    _, auto = copula.apply_marginals(
        "auto", "mi", [big, rng.standard_normal((2000, 1))], caller="t"
    )
    np.testing.assert_array_equal(auto.scored, [False, True, False])
    assert copula.apply_marginals("raw", "mi", [a, b], caller="t")[1] is None
    assert copula.apply_marginals("auto", "kl", [a, b], caller="t")[1] is None


def test_gmm_result_carries_its_maps_through_save_and_load(tmp_path):
    import bayesmi as bm
    from bayesmi.plotting import plot_mixture

    x, y, _ = truth.correlated_gaussian(0.6, 600, seed=46)
    kw = {"method": "gmm", "n_draws": 5, "seed": 1, "progress": False, "n_permutations": 0}
    r = bm.estimate(np.exp(x), y, **kw)  # "auto": the log-normal x is scored, y is not
    maps = r.margins
    np.testing.assert_array_equal(maps.scored, [True, False])
    u = np.hstack([np.exp(x), y])
    np.testing.assert_array_equal(maps.to_scores(u)[:, 0], copula.normal_scores(np.exp(x[:, 0])))
    np.testing.assert_array_equal(maps.to_scores(u)[:, 1], y[:, 0])
    back = bm.load(r.save(tmp_path / "r.nc"))
    np.testing.assert_array_equal(back.margins.scored, maps.scored)
    np.testing.assert_array_equal(back.margins.values, maps.values)
    np.testing.assert_array_equal(back.margins.to_scores(u), maps.to_scores(u))
    ax = plot_mixture(r, np.exp(x), y)
    assert ax.get_xlabel() == "normal scores of x[0]" and ax.get_ylabel() == "y[0]"
    # The data are drawn in the mixture's coordinates: the scatter is the scores.
    np.testing.assert_array_equal(ax.collections[0].get_offsets()[:, 0], maps.to_scores(u)[:, 0])
    assert bm.estimate(x, y, marginals="raw", **kw).margins is None
    # Categorical y: x alone is scored and mapped.
    x3, labels, _ = truth.discrete_uniform_shift(600, seed=47)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.CoverageWarning)  # flat classes: not the point
        warnings.simplefilter("ignore", bm.NumericalErrorWarning)  # five draws' sd
        g = bm.estimate(np.exp(x3), labels, categorical=True, marginals="copula", **kw)
    np.testing.assert_array_equal(g.margins.scored, [True])
    np.testing.assert_array_equal(g.margins.to_scores(np.exp(x3)), copula.normal_scores(np.exp(x3)))


def test_ksg_result_carries_its_maps():
    import bayesmi as bm

    x, y, z, _ = truth.gaussian_cmi(0.5, 1.0, n=600, seed=48)
    kw = {"method": "ksg", "n_draws": 20, "seed": 0, "progress": False, "n_permutations": 0}
    r = bm.estimate(np.exp(x), y, z=z, **kw)  # "auto" is "copula" for ksg: every column
    u = np.column_stack([np.exp(x), y, z])
    np.testing.assert_array_equal(r.margins.scored, [True, True, True])
    np.testing.assert_array_equal(r.margins.to_scores(u), copula.normal_scores(u))
    assert bm.kl_marginals(x, y, **kw).margins is None  # KL keeps the raw values


@pytest.mark.parametrize("method", ["gmm", "ksg", "gcmi"])
def test_tie_warnings_point_at_the_estimator(method):
    import bayesmi as bm

    rng = truth.rng(seed=49)
    x, y = np.round(rng.exponential(size=300), 1), rng.standard_normal(300)
    kw = {"n_draws": 20, "seed": 0, "progress": False}
    if method != "gcmi":  # gcmi always scores
        kw |= {"n_permutations": 0, "marginals": "copula"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bm.estimate(x, y, method=method, **kw)
    ties = [w for w in caught if issubclass(w.category, copula.TiesWarning)]
    # Through scores_of, fit_scores or apply_marginals, the line shown is the estimator's.
    assert ties and all(w.filename.endswith(f"estimators/{method}.py") for w in ties)

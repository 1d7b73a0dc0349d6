"""KSG and Frenzel–Pompe against known truths; the subsampling distribution; the null."""

import warnings

import numpy as np
import pytest
from scipy.spatial import cKDTree

import bayesmi as bm
from bayesmi import truth
from bayesmi.estimators import _knn as knn

FAST = {"progress": False, "n_draws": 60, "n_permutations": 0}


@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
def test_recovers_gaussian_mi_1d(rho):
    x, y, mi_true = truth.correlated_gaussian(rho, n=3000, seed=5)
    r = bm.estimate(x, y, method="ksg", seed=0, **FAST)
    assert r.kind == "subsample" and r.draws_nats.shape == (1, 60)
    assert abs(r.mean - mi_true) < 4 * r.sd


@pytest.mark.parametrize("rho", [0.3, 0.6])
def test_recovers_gaussian_mi_3d_blocks(rho):
    x, y, mi_true = truth.correlated_gaussian(rho, n=3000, dim=3, seed=6)
    r = bm.estimate(x, y, method="ksg", seed=0, **FAST)
    assert abs(r.mean - mi_true) < 4 * r.sd


def test_high_mi_in_3d_warns_and_is_biased_low():
    # rho 0.9 in 3-D blocks: truth 2.49 nats; KSG is known to be low there, and says so.
    x, y, mi_true = truth.correlated_gaussian(0.9, n=2000, dim=3, seed=1)
    with pytest.warns(bm.HighMIWarning, match="biased low"):
        r = bm.estimate(x, y, method="ksg", seed=0, **FAST)
    assert r.hdi(0.9)[1] < mi_true


def test_independent_interval_reaches_zero_and_null_agrees():
    x, y, _ = truth.correlated_gaussian(0.0, n=2000, seed=7)
    r = bm.estimate(x, y, method="ksg", seed=0, progress=False, n_draws=60, n_permutations=30)
    # The interval reaches 0 where the test does not reject (the zero rule; how often it
    # reaches 0 is counted over 30 data sets in test_independent_data_reach_zero), and the
    # observed estimate is one more draw of the permutation null: its z-score against the 30
    # null draws is about t with 29 df, P(|t| > 5) = 2.4e-5 (the earlier "p > 0.05" and "lower
    # end <= 0.005" assertions each failed about 5% of the time).
    assert r.no_dependence_detected == (r.p_value >= 0.1)
    assert r.hdi(0.9)[0] == 0 or not r.no_dependence_detected
    null = r.extras["null_draws_nats"]
    assert abs(r.extras["full_data_estimate_nats"][0] - null.mean()) < 5 * null.std(ddof=1)
    # The estimator's value at zero MI: the null draws (KSG on shuffled parts of 250, sd about
    # 0.02 each) average to 0 within 5 of their standard errors (t with 29 df: 2.4e-5). The
    # fixed "< 0.01" was about 2 standard errors and failed at data seed 19 (-0.0113).
    assert abs(null.mean()) < 5 * null.std(ddof=1) / np.sqrt(len(null))


def test_dependent_data_has_small_p_value():
    x, y, _ = truth.correlated_gaussian(0.5, n=2000, seed=8)
    r = bm.estimate(x, y, method="ksg", seed=0, progress=False, n_draws=20, n_permutations=30)
    assert r.extras["p_value"][0] == pytest.approx(1 / 31)


def test_invariant_under_monotone_transform():
    x, y, _ = truth.correlated_gaussian(0.6, n=3000, seed=9)
    a = bm.estimate(x, y, method="ksg", seed=0, **FAST)
    b = bm.estimate(np.exp(x), y**3, method="ksg", seed=0, **FAST)
    assert abs(a.mean - b.mean) < 3 * max(a.sd, b.sd)


def test_algorithm_2():
    x, y, mi_true = truth.correlated_gaussian(0.6, n=3000, seed=10)
    r = bm.estimate(x, y, method="ksg", algorithm=2, seed=0, **FAST)
    assert abs(r.mean - mi_true) < 4 * r.sd


def test_conditional_mi_of_a_chain_is_zero():
    x, y, z, _ = truth.gaussian_chain(1.0, 1.0, n=3000, seed=11)
    r = bm.estimate(x, y, z=z, method="ksg", seed=0, **FAST)
    assert r.quantity == "cmi"
    assert abs(r.mean) < 4 * r.sd + 0.01


def test_conditional_mi_closed_form():
    x, y, z, cmi_true = truth.gaussian_cmi(0.7, 1.5, n=3000, seed=12)
    r = bm.estimate(x, y, z=z, method="ksg", seed=0, **FAST)
    assert abs(r.mean - cmi_true) < 4 * r.sd


def test_matches_scikit_learn():
    from sklearn.feature_selection import mutual_info_regression

    x, y, _ = truth.correlated_gaussian(0.6, n=5000, seed=13)
    r = bm.estimate(x, y, method="ksg", marginals="raw", seed=0, **FAST)  # the same values
    ours = r.extras["full_data_estimate_nats"][0]
    theirs = mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0]
    assert abs(ours - theirs) < 0.01


def test_sorted_count_equals_tree_count_at_exact_boundaries():
    # Lattice values: many points exactly at the radius. The 1-D count by binary search must
    # agree with the tree's |v_j - v_i| <= r everywhere (an off-by-one here moves KSG by ~0.02).
    rng = truth.rng(seed=0)
    v = rng.integers(0, 50, 4000) * 0.1
    r = rng.integers(0, 5, 4000) * 0.1
    tree = cKDTree(v[:, None]).query_ball_point(v[:, None], r, p=np.inf, return_length=True) - 1
    np.testing.assert_array_equal(knn._count_within_1d(v, r), tree)


def test_same_seed_same_draws_whatever_n_jobs():
    x, y, _ = truth.correlated_gaussian(0.6, n=1000, seed=14)
    kw = {"method": "ksg", "seed": 3, "progress": False, "n_draws": 12, "n_permutations": 4}
    a = bm.estimate(x, y, n_jobs=1, **kw)
    b = bm.estimate(x, y, n_jobs=2, **kw)
    np.testing.assert_array_equal(a.draws_nats, b.draws_nats)
    np.testing.assert_array_equal(a.extras["null_draws_nats"], b.extras["null_draws_nats"])


def test_auto_parts_hold_at_least_min_part_samples():
    # "auto": as many parts a split as parts of MIN_PART (250) allow, at least 2.
    from bayesmi.estimators import ksg

    assert ksg._auto_parts(1000) == 4 and ksg._auto_parts(100_000) == 400
    assert ksg._auto_parts(600) == 2 and ksg._auto_parts(100) == 2
    assert ksg._tasks(400, 200, [7]) == [(400, 7, 0, 200)]  # 200 of one split's 400 parts
    x, y, _ = truth.correlated_gaussian(0.6, n=1000, seed=14)
    r = bm.estimate(x, y, method="ksg", seed=0, progress=False, n_draws=10, n_permutations=6)
    assert r.extras["subsample_size"].ravel().tolist() == [250] * 10
    assert r.extras["null_part_size"][0] == 250 and r.extras["null_draws_nats"].shape == (6,)


def test_spread_factor_is_the_measured_law():
    # sqrt(m / n) times sqrt((1 - C / sqrt(n)) / (1 - C / sqrt(m))), C = VARIANCE_C = 3.
    from bayesmi.estimators import ksg

    assert ksg.spread_factor(1000, 1000) == pytest.approx(1.0)
    law = np.sqrt((1 - 3 / np.sqrt(1000)) / (1 - 3 / np.sqrt(250)))
    assert ksg.spread_factor(250, 1000) == pytest.approx(0.5 * law)
    assert 1.05 < law < 1.06  # parts of 250 understate the sd at 1000 by about 5% (docs/ksg.md)
    assert ksg.spread_factor(10, 80) == ksg.spread_factor(36, 80) * np.sqrt(10 / 36)


def test_split_values_do_not_depend_on_how_tasks_cut_it():
    # A split's parts may be computed by several tasks (workers); each part's value, shuffled
    # or not, depends on the split's seed and the part's index alone.
    from bayesmi.estimators import ksg
    from bayesmi.resampling import spawn_seeds

    x, y, _ = truth.correlated_gaussian(0.6, n=2000, seed=3)
    rng = np.random.default_rng(0)
    data = (knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10), None)
    seeds = spawn_seeds(5, 2)
    for fn in (ksg._partition, ksg._null_partition):
        values = [
            [v for task in ksg._tasks(8, 13, seeds, workers) for v in fn(data, "mi", 3, 1, task)[1]]
            for workers in (1, 3)
        ]
        assert len(values[0]) == 13 and values[0] == values[1]


def test_null_on_parts_is_not_liberal():
    # From 500 samples the null is computed on parts of 250 and rescaled to n (approximate):
    # on independent 1-D pairs its false-alarm rate at 0.1 measured 0.09 +- 0.02 (200 data sets,
    # n = 1000, benchmarks/ksg_null_calibration.py). With n_permutations=20 the nominal rate is
    # 2/21; were the rate 0.1, 18 or more rejections of 60 would have probability 1.5e-5.
    rejected = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(60):
            rng = np.random.default_rng(4000 + rep)
            x, y = rng.standard_normal(600), rng.standard_normal(600)
            r = bm.estimate(x, y, method="ksg", seed=rep, progress=False, n_draws=10,
                            n_permutations=20)  # fmt: skip
            assert r.extras["null_part_size"][0] == 300
            rejected += r.p_value < 0.1
    assert rejected <= 17


@pytest.mark.parametrize(
    ("param", "value", "error", "match"),
    [
        ("k", 0, ValueError, "k must be >= 1, got 0"),
        ("algorithm", 3, ValueError, "algorithm must be 1, 2 or .mixed., got 3"),
        ("fractions", (1, 2), ValueError, "fractions must be 'auto' or integers >= 2"),
        ("fractions", "many", ValueError, "fractions must be one of \\('auto',\\), got 'many'"),
        ("n_draws", 1, ValueError, "n_draws must be >= 2"),
        ("jitter", -1.0, ValueError, "jitter must be a non-negative number"),
    ],
)
def test_bad_hyperparameters(param, value, error, match):
    x, y, _ = truth.correlated_gaussian(0.6, n=200, seed=0)
    with pytest.raises(error, match=match):
        bm.estimate(x, y, method="ksg", progress=False, **{param: value})


def test_too_few_samples():
    with pytest.raises(ValueError, match="fewer than the 64 this method needs"):
        bm.estimate(np.arange(30.0), np.arange(30.0) ** 2, method="ksg", progress=False)


def test_coverage_of_the_90_interval():
    # 30 seeded replicate data sets (rho 0.6, n 2000), the default calibrated interval of 100
    # subsample draws. Were its coverage the nominal 0.90, 18 hits or fewer would have
    # probability 1e-5 (Binomial(30, 0.9)).
    mi_true = truth.gaussian_mi_value(0.6)
    hits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(30):
            x, y, _ = truth.correlated_gaussian(0.6, n=2000, seed=2000 + rep)
            r = bm.estimate(
                x, y, method="ksg", seed=rep, progress=False, n_draws=100, n_permutations=0
            )
            lo, hi = r.hdi(0.9)
            hits += lo <= mi_true <= hi
    assert hits >= 19


def test_independent_data_reach_zero():
    # Zero MI: the interval reaches 0 wherever the permutation test does not reject at 0.1
    # (about 0.9 of data sets) and wherever the estimate falls at or below 0. Were that rate
    # 0.9, 19 or fewer of 30 would have probability 5e-5. No draw is ever negative.
    reached = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(30):
            x, y, _ = truth.correlated_gaussian(0.0, n=500, seed=3000 + rep)
            r = bm.estimate(x, y, method="ksg", seed=rep, n_draws=40, n_permutations=30,
                            progress=False)  # fmt: skip
            reached += r.hdi(0.9)[0] == 0
            assert r.draws.min() >= 0 and r.raw_draws_nats.min() < r.draws.max()
    assert reached >= 20


def test_kl_between_marginals_closed_form():
    x, y, kl_true = truth.gaussian_kl(0.8, 1.5, 0.4, n=4000, seed=15)
    r = bm.kl_marginals(x, y, method="ksg", seed=0, **FAST)
    assert r.quantity == "kl" and r.kind == "subsample"
    assert abs(r.mean - kl_true) < 4 * r.sd


def test_kl_of_identical_distributions_is_near_zero():
    rng = truth.rng(seed=16)
    x, y = rng.standard_normal((4000, 2)), rng.standard_normal((4000, 2))
    r = bm.kl_marginals(x, y, method="ksg", seed=0, **FAST)
    lo, hi = r.hdi(0.9)
    assert lo - 2 * r.sd < 0.0 < hi + 2 * r.sd


def test_kl_needs_equal_dimensions():
    x, y, _ = truth.correlated_gaussian(0.5, n=400, dim=2, seed=1)
    with pytest.raises(ValueError, match="same dimension; got x with 2 columns and y with 1"):
        bm.kl_marginals(x, y[:, 0], method="ksg", progress=False)


def test_categorical_against_exact_mixture_mi():
    # x | c ~ N(2c, 1), c uniform on three labels: the exact MI by quadrature of the mixture.
    from bayesmi import mixture
    from bayesmi.mixture import GaussianMixtureModel

    rng = truth.rng(seed=17)
    c = rng.integers(0, 3, 4000)
    x = 2.0 * c + rng.standard_normal(4000)
    labels = np.array(["low", "mid", "high"])[c]
    r = bm.estimate(
        x,
        labels,
        method="ksg",
        categorical=True,
        seed=0,
        progress=False,
        n_draws=60,
        n_permutations=10,
    )
    models = [
        GaussianMixtureModel(np.ones(1), np.array([[2.0 * k]]), np.ones((1, 1, 1)))
        for k in range(3)
    ]
    mi_true = mixture.mi_categorical(models, np.full(3, 1 / 3))[0]
    assert abs(r.mean - mi_true) < 4 * r.sd
    assert r.extras["p_value"][0] == pytest.approx(1 / 11)


def test_categorical_matches_scikit_learn():
    from sklearn.feature_selection import mutual_info_classif

    rng = truth.rng(seed=18)
    c = rng.integers(0, 4, 3000)
    x = c + rng.standard_normal(3000)
    r = bm.estimate(x, c, method="ksg", categorical=True, marginals="raw", seed=0, **FAST)
    theirs = mutual_info_classif(x[:, None], c, n_neighbors=3, random_state=0)[0]
    assert abs(r.extras["full_data_estimate_nats"][0] - theirs) < 0.01


def test_result_round_trips(tmp_path):
    x, y, _ = truth.correlated_gaussian(0.6, n=600, seed=19)
    r = bm.estimate(x, y, method="ksg", seed=0, progress=False, n_draws=10, n_permutations=5)
    back = bm.load(r.save(tmp_path / "ksg.nc"))
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    np.testing.assert_array_equal(back.extras["null_draws_nats"], r.extras["null_draws_nats"])
    np.testing.assert_array_equal(back.pointwise_nats, r.pointwise_nats)
    assert back.kind == "subsample" and back.method == "ksg"


def test_mixed_estimator_on_discrete_data_with_exact_mi():
    # Purely discrete data (every point repeated): x uniform on 5 symbols, y = x with
    # probability 0.7, else uniform. Exact MI from the joint pmf.
    rng = truth.rng(seed=20)
    n, k, keep = 5000, 5, 0.7
    x = rng.integers(0, k, n).astype(float)
    y = np.where(rng.random(n) < keep, x, rng.integers(0, k, n)).astype(float)
    pxy = np.full((k, k), (1 - keep) / k**2) + np.eye(k) * keep / k
    mi_true = float((pxy * np.log(pxy * k * k)).sum())
    r = bm.estimate(x, y, method="ksg", algorithm="mixed", seed=0, **FAST)
    assert abs(r.mean - mi_true) < 4 * r.sd


def test_mixed_estimator_on_mixed_data():
    # x uniform on 5 symbols; y = x exactly half the time (an atom), else x + N(0, 0.5^2).
    # An atom reveals x, so I(X;Y) = 0.5 H(X) + 0.5 I(X; X + noise), the second term exact by
    # quadrature of its Gaussian mixture.
    from bayesmi import mixture
    from bayesmi.mixture import GaussianMixtureModel

    rng = truth.rng(seed=21)
    n = 4000
    x = rng.integers(0, 5, n).astype(float)
    y = np.where(rng.random(n) < 0.5, x + 0.5 * rng.standard_normal(n), x)
    models = [
        GaussianMixtureModel(np.ones(1), np.array([[float(c)]]), np.full((1, 1, 1), 0.25))
        for c in range(5)
    ]
    mi_true = 0.5 * np.log(5) + 0.5 * mixture.mi_categorical(models, np.full(5, 0.2))[0]
    r = bm.estimate(x, y, method="ksg", algorithm="mixed", seed=0, **FAST)
    assert abs(r.mean - mi_true) < 4 * r.sd


def test_mixed_estimator_discrete_x_continuous_y():
    # Gao et al.'s own example: x uniform on m symbols, y | x uniform on [x, x + 2]:
    # I = log m - (m - 1) log 2 / m.
    rng = truth.rng(seed=25)
    m, n = 5, 4000
    x = rng.integers(0, m, n).astype(float)
    y = x + 2 * rng.random(n)
    mi_true = np.log(m) - (m - 1) * np.log(2) / m
    r = bm.estimate(x, y, method="ksg", algorithm="mixed", seed=0, **FAST)
    assert abs(r.mean - mi_true) < 4 * r.sd + 0.01


def test_conditional_null_by_local_permutation():
    x, y, z, _ = truth.gaussian_chain(1.0, 1.0, n=1500, seed=22)
    kw = {"method": "ksg", "seed": 0, "progress": False, "n_draws": 20, "n_permutations": 30}
    null_case = bm.estimate(x, y, z=z, **kw)
    # Under conditional independence the observed estimate is one more draw of the local-
    # permutation null (measured on 30 new data sets: z-scores mean -0.35, sd 1.0). Its z-score
    # against the 30 null draws is then about t with 29 df: P(t > 5) = 1.2e-5, the false-alarm
    # rate (a p-value > 0.05 assertion failed 5% of the time: data seed 16).
    null = null_case.extras["null_draws_nats"]
    observed = null_case.extras["full_data_estimate_nats"][0]
    assert (observed - null.mean()) / null.std(ddof=1) < 5.0
    x, y, z, _ = truth.gaussian_cmi(0.5, 1.5, n=1500, seed=23)
    dependent = bm.estimate(x, y, z=z, **kw)
    assert dependent.extras["p_value"][0] == pytest.approx(1 / 31)


def test_local_permutation_is_a_permutation_near_z():
    rng = truth.rng(seed=24)
    z = rng.standard_normal((500, 1))
    perm = knn.local_permutation(z, rng)
    assert np.abs(z[perm] - z).mean() < 0.05 * np.abs(z - z[rng.permutation(500)]).mean()
    assert len(np.unique(perm)) > 0.8 * 500


def test_continuous_y_given_as_labels_is_refused():
    x, y, _ = truth.correlated_gaussian(0.5, n=400, seed=26)
    with pytest.raises(ValueError, match="Is y continuous"):
        bm.estimate(x, y, method="ksg", categorical=True, progress=False)


def test_kl_null_by_pooling():
    rng = truth.rng(seed=27)
    x, y = rng.standard_normal((1500, 1)), rng.standard_normal((1500, 1))
    kw = {"method": "ksg", "seed": 0, "progress": False, "n_draws": 20, "n_permutations": 30}
    # Same distributions: the observed estimate is one more draw of the pooling null, so its
    # z-score against the 30 null draws is about t with 29 df: P(t > 5) = 1.2e-5 (a p-value
    # > 0.05 assertion failed 5% of the time: data seed 12).
    null_case = bm.kl_marginals(x, y, **kw)
    null = null_case.extras["null_draws_nats"]
    observed = null_case.extras["full_data_estimate_nats"][0]
    assert (observed - null.mean()) / null.std(ddof=1) < 5.0
    assert bm.kl_marginals(x, 1.0 + y, **kw).extras["p_value"][0] == pytest.approx(1 / 31)


def test_independent_3d_blocks_interval_reaches_zero():
    x, y, _ = truth.correlated_gaussian(0.0, n=3000, dim=3, seed=28)
    r = bm.estimate(x, y, method="ksg", seed=0, **FAST)
    assert r.hdi(0.9)[0] < 0.005


# -- the coverage warning in high dimension (docs/validation.md, "KSG and dimension") --
def test_coverage_warning_from_six_joint_dimensions():
    x, y, _ = truth.correlated_gaussian(0.5, n=1000, dim=3, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bm.estimate(x, y, method="ksg", seed=0, **FAST)
    mine = [w for w in caught if issubclass(w.category, bm.CoverageWarning)]
    # One warning: the dimension's, or the k -> 2k check's HighMIWarning where that fires first
    # (the estimator issues at most one; which one depends on the data).
    assert len(mine) == 1
    text = str(mine[0].message)
    if mine[0].category is bm.CoverageWarning:
        assert "6 dimensions in the joint space" in text and "docs/validation.md" in text
    else:
        assert mine[0].category is bm.HighMIWarning and "biased low" in text


def test_no_coverage_warning_in_four_dimensions():
    # 2 + 2 dimensions: covered 0.83-0.87 in the suite, below the dimension's threshold.
    x, y, _ = truth.correlated_gaussian(0.6, n=1000, dim=2, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.CoverageWarning)
        bm.estimate(x, y, method="ksg", seed=0, **FAST)


def test_dimension_warning_agrees_with_the_independence_test():
    # 4 + 4 independent: the printout's verdict and the warning agree, whatever the data: the
    # warning (MI clearly above zero, biased low) fires exactly when the permutation test
    # rejects independence, which it does in about 10% of such data sets by design. Under the
    # earlier rule (the draws' 5% quantile above 0) it fired beside "no dependence detected"
    # (data seed 14): KSG's draws sit about one sd above 0 at independence in 8 dimensions.
    x, y, _ = truth.correlated_gaussian(0.0, n=1000, dim=4, seed=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = bm.estimate(x, y, method="ksg", seed=0, **{**FAST, "n_permutations": 19})
    fired = any(issubclass(w.category, bm.CoverageWarning) for w in caught)
    assert fired == (r.p_value < 0.1)
    assert fired != r.no_dependence_detected


def test_high_mi_warning_is_the_only_coverage_warning_when_it_fires():
    # HighMIWarning is a CoverageWarning: one warning per estimate, caught by either filter.
    assert issubclass(bm.HighMIWarning, bm.CoverageWarning)
    x, y, _ = truth.correlated_gaussian(0.9, n=2000, dim=3, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bm.estimate(x, y, method="ksg", seed=0, **FAST)
    assert [w.category for w in caught if issubclass(w.category, bm.BayesMIWarning)] == [
        bm.HighMIWarning
    ]


def test_no_high_mi_warning_where_no_dependence_is_detected():
    # KSG's bias vanishes at independence: on this independent pair the estimate falls from k to
    # 2k by 2.2 sds of its draws (0.027 -> -0.022 nats, sd 0.023), which fired HighMIWarning
    # before the warning asked the independence test first (p = 0.16 here). Found by searching
    # 300 independent data sets (2 fired before, 1 now: the one whose test rejected, p = 0.02).
    rng = np.random.default_rng([2026, 12, 131])
    x, y = rng.normal(size=(2, 1000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = bm.estimate(x, y, method="ksg", seed=131, progress=False)
    full = float(r.extras["full_data_estimate_nats"][0])
    fall = full - float(r.extras["estimate_2k_nats"][0])
    assert fall > 2 * np.std(r.raw_draws_nats, ddof=1)  # the old rule's condition holds
    assert r.no_dependence_detected and r.hdi(0.9)[0] == 0.0
    assert not [w for w in caught if issubclass(w.category, bm.CoverageWarning)]


def test_prepare_centres_before_jitter():
    # Issue 18, 2.3: 1e-10 jitter added to x + 1e15 vanished below float precision.
    rng = truth.rng(seed=0)
    a = rng.standard_normal((500, 1))
    out = knn.prepare(a + 1e12, truth.rng(seed=1), 1e-10)
    ref = knn.prepare(a, truth.rng(seed=1), 1e-10)
    assert np.abs(np.median(out)) < 1e-3 and len(np.unique(out)) == 500
    np.testing.assert_allclose(out, ref, atol=1e-3)
    big = knn.prepare(a * 1e99, truth.rng(seed=1), 1e-10)
    assert np.isfinite(big).all()
    np.testing.assert_allclose(big, ref, atol=1e-6)


def test_deterministic_relation_warns():
    # Issue 18, 2.6: y = 2x + 1 read 6.345 [6.345, 6.345] with no word.
    rng = truth.rng(seed=3)
    x = rng.standard_normal(1000)
    with pytest.warns(bm.DeterministicWarning, match="y looks like a function of x"):
        bm.estimate(x, 2 * x + 1, method="ksg", seed=0, **FAST)
    with pytest.warns(bm.DeterministicWarning):
        bm.estimate(x, np.sin(3 * x), method="ksg", seed=0, **FAST)


def test_strong_but_noisy_relation_does_not_warn_deterministic():
    x, y, _ = truth.correlated_gaussian(0.99, n=2000, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.DeterministicWarning)
        warnings.simplefilter("ignore", bm.HighMIWarning)
        bm.estimate(x, y, method="ksg", seed=0, **FAST)
    rng = truth.rng(seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.DeterministicWarning)
        bm.estimate(rng.standard_normal((500, 5)), rng.standard_normal(500), method="ksg",
                    seed=0, **FAST)  # fmt: skip


def test_repeated_rows_warn_and_point_to_mixed():
    # Issue 18, 2.8: 50 distinct rows each repeated 10 times read 3.96 nats, no warning.
    rng = truth.rng(seed=6)
    x = np.repeat(rng.standard_normal((50, 1)), 10, axis=0)
    y = np.repeat(rng.standard_normal((50, 1)), 10, axis=0)
    with pytest.warns(bm.RepeatedRowsWarning, match="algorithm='mixed'"):
        bm.estimate(x, y, method="ksg", seed=0, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.RepeatedRowsWarning)
        bm.estimate(x, y, method="ksg", algorithm="mixed", seed=0, **FAST)


def test_marginals_auto_is_copula_for_mi_and_raw_for_kl():
    # "auto" (the default) was accepted and silently read as "raw" by ksg before; now it means
    # what gmm's does.
    x, y, _ = truth.correlated_gaussian(0.6, n=800, seed=29)
    kw = {"method": "ksg", "seed": 0, "progress": False, "n_draws": 8, "n_permutations": 0}
    auto = bm.estimate(np.exp(x), y, marginals="auto", **kw)
    copula = bm.estimate(np.exp(x), y, marginals="copula", **kw)
    np.testing.assert_array_equal(auto.draws_nats, copula.draws_nats)
    raw = bm.estimate(np.exp(x), y, marginals="raw", **kw)
    full = "full_data_estimate_nats"
    assert auto.extras[full][0] != raw.extras[full][0]  # scores, not the log-normal x
    a = bm.kl_marginals(x, 1.0 + y, marginals="auto", **kw)
    b = bm.kl_marginals(x, 1.0 + y, marginals="raw", **kw)
    np.testing.assert_array_equal(a.draws_nats, b.draws_nats)
    assert bm.KSGMI().marginals == "auto"

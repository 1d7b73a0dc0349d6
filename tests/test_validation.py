"""One test per kind of bad input: each error names the argument and the problem."""

import numpy as np
import pandas as pd
import pytest
import torch

import bayesmi as bm
from bayesmi import truth, validation
from bayesmi.validation import check_array, check_labels, check_paired

rng = truth.rng(seed=0)
X = rng.standard_normal((50, 2))
Y = rng.standard_normal(50)


def test_one_dimensional_becomes_column():
    assert check_array(np.arange(5.0), caller="t").shape == (5, 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a.tolist(),
        lambda a: pd.DataFrame(a),
        lambda a: torch.tensor(a),
        lambda a: a.astype(np.float32),
        lambda a: a.astype(np.int64) + np.arange(len(a))[:, None],
    ],
    ids=["list", "dataframe", "tensor", "float32", "int"],
)
def test_accepted_types(make):
    out = check_array(make(X), caller="t")
    assert out.dtype == np.float64 and out.shape == X.shape


def test_series_accepted():
    assert check_array(pd.Series(Y), caller="t").shape == (50, 1)


def test_nan_rejected():
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"t: x contains NaN values in 1 rows \(first at row 3\)"):
        check_array(bad, "x", caller="t")


def test_inf_rejected():
    bad = X.copy()
    bad[7, 0] = np.inf
    with pytest.raises(ValueError, match="y contains inf values"):
        check_array(bad, "y", caller="t")


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match="got x with 50, y with 49"):
        check_paired(X, Y[:49], caller="t")


def test_mismatched_z_rejected():
    with pytest.raises(ValueError, match="got x with 50, y with 50, z with 10"):
        check_paired(X, Y, X[:10], caller="t")


def test_too_few_samples_rejected():
    with pytest.raises(ValueError, match="x has 5 samples, fewer than the 10"):
        check_array(X[:5], "x", caller="t", min_samples=10)


def test_constant_column_rejected():
    bad = X.copy()
    bad[:, 1] = 3.0
    with pytest.raises(ValueError, match=r"x has a constant column \(column 1\)"):
        check_array(bad, "x", caller="t")


def test_non_numeric_rejected():
    with pytest.raises(TypeError, match="x must hold numbers, got dtype <U1"):
        check_array(np.array(["a", "b", "c"]), "x", caller="t")


def test_complex_rejected():
    with pytest.raises(TypeError, match="x must be real-valued, got complex"):
        check_array(X + 1j, "x", caller="t")


def test_too_many_dimensions_rejected():
    with pytest.raises(ValueError, match=r"got 3 dimensions \(50, 2, 2\)"):
        check_array(np.zeros((50, 2, 2)), "x", caller="t")


def test_scalar_rejected():
    with pytest.raises(ValueError, match="got a scalar"):
        check_array(3.0, "x", caller="t")


def test_none_rejected():
    with pytest.raises(TypeError, match="x is None"):
        check_array(None, "x", caller="t")


def test_labels_coded():
    codes = check_labels(np.array(["b", "a", "b", "c"]), caller="t")
    np.testing.assert_array_equal(codes, [1, 0, 1, 2])


def test_labels_nan_rejected():
    with pytest.raises(ValueError, match="y contains NaN or inf labels"):
        check_labels(np.array([0.0, np.nan, 1.0]), caller="t")


def test_front_door_names_the_estimator():
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="GMMMI: x contains NaN"):
        bm.estimate(bad, Y, method="gmm", progress=False)


# -- issue 18: magnitudes, offsets, overlapping variables, seeds and workers ----------------------
X2 = rng.standard_normal((200, 2))
Y2 = rng.standard_normal(200)
FAST_METHOD = {
    "gmm": {"n_draws": 10},
    "ksg": {"n_draws": 20, "n_permutations": 0},
    "bins": {"n_draws": 20, "n_permutations": 0},
}


@pytest.mark.parametrize("method", sorted(bm.estimators.REGISTRY))
@pytest.mark.parametrize("factor", [1e-300, 1e-101, 1e101, 1e300])
def test_extreme_scales_refused_by_every_method(method, factor):
    # Issue 18, 2.3-2.4: gmm gave NaN at 1e-300, ksg 0 with sd 0 at 1e300, bayes_gmm aborted.
    x = X2[:, 0] * factor
    with pytest.raises(ValueError, match=r"x column 0 varies over a range of .* Rescale it"):
        bm.estimate(x, Y2, method=method, seed=0, progress=False)


@pytest.mark.parametrize("method", sorted(bm.estimators.REGISTRY))
def test_offset_that_rounds_the_data_refused_by_every_method(method):
    with pytest.raises(ValueError, match=r"y column 0 holds values of magnitude 1e\+15"):
        bm.estimate(X2[:, 0], Y2 + 1e15, method=method, seed=0, progress=False)


@pytest.mark.parametrize("method", ["gmm", "ksg", "bins"])
def test_same_estimate_from_1e_minus_100_to_1e_99_and_offsets(method):
    import warnings

    from bayesmi import truth

    x, y, _ = truth.correlated_gaussian(0.6, n=400, seed=21)
    kw = {"method": method, "seed": 0, "progress": False, **FAST_METHOD[method]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.BayesMIWarning)
        ref = bm.estimate(x, y, **kw)
        for scale, offset in [(1e-100, 0.0), (1e99, 0.0), (1.0, 1e12), (1e-50, 1e-40)]:
            r = bm.estimate(x * scale + offset, y, **kw)
            assert abs(r.mean - ref.mean) < 0.1 * ref.sd, (scale, offset)


def test_z_overlapping_x_or_y_refused():
    # Issue 18, 2.5: ksg read I(X;Y|Z) = -0.078 [-0.082, -0.072] for z = x.
    Z = np.column_stack([rng.standard_normal(50), X[:, 1]])
    with pytest.raises(ValueError, match="z column 1 is the same as x column 1"):
        check_paired(X, Y, Z, caller="t")
    with pytest.raises(ValueError, match="z column 0 is the same as y column 0"):
        bm.estimate(X2, Y2, Y2, method="ksg", progress=False)


@pytest.mark.parametrize(
    ("kw", "err", "match"),
    [
        ({"seed": "abc"}, TypeError, "seed must be None or a non-negative integer, got 'abc'"),
        ({"seed": -1}, ValueError, "seed must be None or a non-negative integer, got -1"),
        ({"seed": 1.5}, TypeError, "seed must be None or a non-negative integer, got 1.5"),
        ({"n_jobs": "2"}, TypeError, "n_jobs must be an integer .* got '2'"),
        ({"n_jobs": 0}, ValueError, "n_jobs must not be 0"),
    ],
)
def test_seed_and_n_jobs_named(kw, err, match):
    with pytest.raises(err, match=f"BinsMI: {match}"):
        bm.estimate(X, Y, method="bins", progress=False, **kw)
    with pytest.raises(err, match=match):
        bm.BinsMI(progress=False, **kw).estimate(X, Y)


def test_repeated_fraction_counts_whole_rows():
    # Rows count as repeated only when every column repeats together: the first column's
    # repeats are candidates, not the answer.
    x = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 1.0], [3.0, 4.0], [5.0, 6.0]])
    y = np.array([1.0, 1.0, 1.0, 2.0, 3.0])
    assert validation.repeated_fraction(x, y, None) == pytest.approx(2 / 5)
    assert validation.repeated_fraction(x, 1.0 + np.arange(5.0), None) == 0.0
    rng = np.random.default_rng(0)
    assert validation.repeated_fraction(rng.standard_normal((1000, 3)), None) == 0.0


def test_deterministic_share_past_the_first_look():
    # From 2,000 rows a seeded subset of 1,000 rules a direction out before the full search:
    # y = 2x + 1 still reads as a function (share 1), independent data read 0.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5000, 1))
    assert validation.deterministic_share(x, 2 * x + 1) == 1.0
    assert validation.deterministic_share(x, rng.standard_normal((5000, 1))) == 0.0

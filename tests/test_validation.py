"""One test per kind of bad input: each error names the argument and the problem."""

import numpy as np
import pandas as pd
import pytest
import torch

import bayesmi as bm
from bayesmi.validation import check_array, check_labels, check_paired

rng = np.random.default_rng(0)
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

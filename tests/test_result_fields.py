"""MIResult's typed accessors for what consumers read (full-data estimate, the independence
test, the InfoNCE ceiling, the CV curve, the training log), on files written before they existed
(tests/data/make_legacy_results.py, bayesmi at commit 2d26579) and on fresh results."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import bayesmi as bm
from bayesmi import truth
from bayesmi.mixture import GaussianMixtureModel
from bayesmi.result import TRAINING_LOG_KEYS, MIResult

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def legacy():
    return {m: bm.load(DATA / f"legacy_{m}.nc") for m in ("gmm", "ksg", "neural")}


def test_legacy_files_load_with_their_draws_and_provenance(legacy):
    for method, r in legacy.items():
        assert r.method == method and r.draws_nats.ndim == 2
        assert r.provenance["method"] == method and r.provenance["seed"] == 0
    assert legacy["gmm"].provenance["params"]["n_bootstrap"] == 8  # the name it was saved with
    assert legacy["gmm"].draws_nats.shape == (1, 8)
    assert legacy["ksg"].draws_nats.shape == (1, 12)
    assert legacy["neural"].draws_nats.shape == (1, 8)  # 2 critics x 4 resamples


def test_legacy_files_fill_the_typed_accessors(legacy):
    for method in ("gmm", "ksg"):
        r = legacy[method]
        assert r.full_estimate_nats == float(r.extras["full_data_estimate_nats"][0])
        assert r.null_draws_nats.shape == (9,)  # n_permutations=9
        np.testing.assert_array_equal(r.null_draws_nats, r.extras["null_draws_nats"])
        # (1 + #null >= observed) / (1 + n): a multiple of 1/10.
        assert r.p_value == pytest.approx(
            (1 + np.sum(r.null_draws_nats >= r.full_estimate_nats)) / 10
        )
        assert r.ceiling_nats is None and r.training_log is None
    gmm = legacy["gmm"]
    ks, scores = gmm.cv_curve
    assert ks.tolist() == [1, 2] and scores.shape == (2,)
    assert isinstance(gmm.model, GaussianMixtureModel)
    assert gmm.model.n_components == gmm.provenance["n_components_selected"]
    assert legacy["ksg"].cv_curve is None and legacy["ksg"].model is None

    neural = legacy["neural"]
    assert neural.full_estimate_nats is None and neural.null_draws_nats is None
    assert neural.p_value is None and neural.cv_curve is None
    assert neural.ceiling_nats == float(neural.extras["ceiling_nats"][0]) > 0
    log = neural.training_log
    assert log.keys() == set(TRAINING_LOG_KEYS)
    assert len({len(v) for v in log.values()}) == 1 and len(log["log_loss"]) > 0
    table = bm.training_log(neural)
    assert list(table.columns) == ["iteration", "member", "split", "loss", "mi_nats"]
    assert len(table) == len(log["log_loss"])


def test_legacy_files_feed_the_consumers(legacy, tmp_path):
    from bayesmi.plotting import plot_cv_curve, plot_training

    plot_cv_curve(legacy["gmm"])
    plot_training(legacy["neural"])
    bm.report(list(legacy.values()), tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "training curves" in html and "cross-validation of the component count" in html


@pytest.mark.parametrize(
    ("method", "kw"),
    [
        ("gmm", {"n_draws": 5, "max_components": 2, "n_permutations": 7}),
        ("ksg", {"n_draws": 10, "n_permutations": 7}),
        ("bins", {"n_draws": 10, "n_permutations": 7}),
    ],
)
def test_fresh_results_fill_the_accessors_of_their_independence_test(method, kw):
    x, y, _ = truth.correlated_gaussian(0.3, n=200, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.BayesMIWarning)
        r = bm.estimate(x, y, method=method, seed=0, progress=False, **kw)
    assert r.null_draws_nats.shape == (7,)
    assert r.p_value == (1 + np.sum(r.null_draws_nats >= r.full_estimate_nats)) / 8
    assert r.full_estimate_nats is not None and r.ceiling_nats is None


def test_accessors_are_none_without_their_extras():
    r = MIResult(np.array([[0.1, 0.2, 0.3]]), kind="bootstrap")
    for name in (
        "full_estimate_nats",
        "null_draws_nats",
        "p_value",
        "ceiling_nats",
        "cv_curve",
        "training_log",
    ):
        assert getattr(r, name) is None, name

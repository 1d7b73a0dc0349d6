"""compare(): several methods on the same data, agreement, the likely causes of disagreement;
and the round trip estimate -> save -> load -> report -> compare."""

import numpy as np
import pytest

import bayesmi as bm
from bayesmi import truth
from bayesmi.compare import _overlap
from bayesmi.result import MIResult

FAST = {"gmm": {"n_draws": 10}, "ksg": {"n_permutations": 0}}


def test_methods_agree_on_a_gaussian():
    x, y, mi = truth.correlated_gaussian(0.6, 1500, seed=0)
    # Two honest estimates' 99.5% intervals miss each other only when they differ by more than
    # about 2.8 (sd_a + sd_b) >= 3.97 sds of their difference: 7e-5 of data sets. (At 90% that
    # is 2.3 sds, 2%: scripts/reseed_tests.sh found one on data seed 9.)
    c = bm.compare(
        x, y, methods=["gmm", "ksg"], seed=0, progress=False, params=FAST, hdi_prob=0.995
    )
    assert c.agree and c.disagreements == [] and c.causes == []
    t = c.table()
    assert list(t.index) == ["gmm", "ksg"] and (t["units"] == "nats").all()
    # 4.5 sds (the calibrated sd; 10 draws for gmm): a false alarm ~1e-5 per method.
    assert all(abs(r.mean - mi) < 4.5 * r.sd for r in c.results.values()), c.table()
    assert "The methods agree" in repr(c)
    bits = c.to("bits")
    assert bits.table()["mean"]["ksg"] == pytest.approx(t["mean"]["ksg"] / np.log(2))
    assert "Kraskov" in c.cite() and "Piras" in c.cite()
    ax = c.plot()
    assert "[nats]" in ax.get_xlabel()


def test_heavy_tails_are_named_when_methods_disagree():
    from bayesmi.compare import _causes

    # A bivariate Student-t with 1.5 degrees of freedom: equal-width bins put nearly every
    # point in one bin, and the binning estimate falls far below the k-NN one. Binned, the MI
    # is a lower bound, so that is no conflict, but the comparison says how far below it lies.
    rng = truth.rng(seed=0)
    t = rng.standard_t(1.5, size=(2000, 2))
    x, y = t[:, :1], t[:, :1] + 0.3 * t[:, 1:]
    c = bm.compare(
        x, y, methods=["ksg", "bins"], seed=0, progress=False,
        params={"ksg": FAST["ksg"], "bins": {"strategy": "uniform"}},
    )  # fmt: skip
    assert c.agree and c.results["bins"].bound == "lower"
    assert c.results["bins"].hdi(0.9)[1] < c.results["ksg"].hdi(0.9)[0]
    assert "Lower bounds wholly below an estimate (bins < ksg)" in repr(c)
    # Where two estimates disagree on such data, heavy tails are named with the methods hit.
    causes, facts = _causes(c.results, x, y, None, {"ksg", "bins"})
    assert facts["max_excess_kurtosis"] > 6
    assert any(cause.startswith("heavy tails") and "bins" in cause for cause in causes)


def test_few_samples_and_dimension_are_named():
    from bayesmi.compare import _causes

    rng = truth.rng(seed=1)
    x, y = rng.standard_normal((300, 4)), rng.standard_normal((300, 4))
    r = {"ksg": MIResult(np.full((1, 3), 0.1), kind="subsample", method="ksg")}
    causes, facts = _causes(r, x, y, None, {"ksg"})
    assert facts["joint_dimension"] == 8
    assert any(c.startswith("dimension") for c in causes)
    assert any(c.startswith("too few samples") for c in causes)


def test_a_lower_bound_below_an_estimate_is_no_disagreement():
    est = MIResult(np.linspace(0.9, 1.1, 50)[None], kind="bootstrap")
    low = MIResult(np.linspace(0.4, 0.5, 50)[None], kind="ensemble", bound="lower")
    high = MIResult(np.linspace(1.5, 1.6, 50)[None], kind="ensemble", bound="lower")
    assert _overlap(est, low, 0.9) and _overlap(low, est, 0.9)
    assert not _overlap(est, high, 0.9) and not _overlap(high, est, 0.9)


def test_bad_arguments():
    x, y, _ = truth.correlated_gaussian(0.5, 200, seed=0)
    with pytest.raises(ValueError, match="at least two methods"):
        bm.compare(x, y, methods=["ksg"])
    with pytest.raises(ValueError, match="method must be one of"):
        bm.compare(x, y, methods=["ksg", "magic"])
    with pytest.raises(ValueError, match="params names methods not compared"):
        bm.compare(x, y, methods=["ksg", "bins"], params={"gmm": {}})
    with pytest.raises(ValueError, match=r"compare: x contains NaN"):
        bm.compare(np.full(200, np.nan), y, methods=["ksg", "bins"])


def test_round_trip_estimate_save_load_report_compare(tmp_path):
    x, y, _ = truth.correlated_gaussian(0.6, 1200, seed=3)
    r = bm.estimate(x, y, method="gmm", seed=0, progress=False, n_draws=10)
    back = bm.load(r.save(tmp_path / "r.nc"))
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    assert back.provenance == r.provenance and back.model.n_components == r.model.n_components
    written = bm.report({"loaded": back}, tmp_path / "rep" / "r.html")
    assert "the fitted mixture" in open(written["html"]).read()
    c = bm.compare(x, y, methods=["gmm", "ksg"], seed=0, progress=False, params=FAST)
    np.testing.assert_array_equal(c.results["gmm"].draws_nats, r.draws_nats)  # same seed
    page = c.report(tmp_path / "cmp" / "c.html")
    text = open(page["html"]).read()
    assert "Do the methods agree?" in text and "Comparison: I(X;Y)" in text
    assert bm.load(page["nc:gmm"]).mean == pytest.approx(r.mean)

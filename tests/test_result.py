"""The result type: statistics, units, ArviZ round trip, files, text."""

import os

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.result import MIResult


def make(kind="bootstrap", chains=1):
    draws = np.random.default_rng(0).normal(0.5, 0.05, size=(chains, 400))  # repr is pinned
    return MIResult(
        draws_nats=draws,
        kind=kind,
        method="gmm",
        provenance={"seed": 1, "params": {"a": 1}},
        pointwise_nats=np.linspace(0, 1, 7),
        extras={"n_components": np.ones((chains, 400), dtype=np.int64), "cv_score": np.arange(3.0)},
    )


def test_statistics():
    r = make()
    assert r.mean == pytest.approx(r.draws_nats.mean())
    assert r.sd == pytest.approx(r.draws_nats.std(ddof=1))
    lo, hi = r.hdi(0.9)
    inside = ((r.draws >= lo) & (r.draws <= hi)).mean()
    assert 0.9 <= inside <= 0.91
    assert r.quantile(0.5) == pytest.approx(np.median(r.draws))


def test_hdi_matches_arviz():
    import arviz as az

    r = make()
    np.testing.assert_allclose(r.hdi(0.9), az.hdi(r.draws.ravel(), hdi_prob=0.9))


def test_bits_conversion_in_one_place():
    r = make()
    b = r.to("bits")
    assert b.mean == pytest.approx(r.mean / np.log(2))
    np.testing.assert_allclose(b.hdi(0.9), r.hdi(0.9) / np.log(2))
    np.testing.assert_allclose(b.pointwise, r.pointwise / np.log(2))
    assert "bits" in repr(b) and "nats" in repr(r)
    np.testing.assert_array_equal(b.draws_nats, r.draws_nats)


def test_repr_one_line():
    text = repr(make())
    assert "\n" not in text
    assert text.startswith("I(X;Y) = 0.498 nats") and "90% HDI" in text and "bootstrap" in text
    assert "400 draws" in text


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        MIResult(np.ones((1, 3)), kind="guess")
    with pytest.raises(ValueError, match="units must be 'nats' or 'bits'"):
        MIResult(np.ones((1, 3)), kind="bootstrap", units="bans")
    with pytest.raises(ValueError, match="prob must lie in"):
        make().hdi(1.5)


def test_inferencedata_round_trip():
    r = make(kind="posterior", chains=2)
    idata = r.to_inferencedata()
    assert idata.posterior["mi"].dims == ("chain", "draw")
    back = MIResult.from_inferencedata(idata)
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    np.testing.assert_array_equal(back.extras["n_components"], r.extras["n_components"])
    np.testing.assert_array_equal(back.extras["cv_score"], r.extras["cv_score"])
    np.testing.assert_array_equal(back.pointwise_nats, r.pointwise_nats)
    assert back.provenance == r.provenance and back.kind == "posterior"


def test_save_load_round_trip(tmp_path):
    r = make().to("bits")
    path = r.save(tmp_path / "sub" / "r.nc")
    back = bm.load(path)
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    assert back.units == "bits" and back.provenance == r.provenance
    assert os.listdir(tmp_path / "sub") == ["r.nc"]  # no temporary file left behind


def test_save_is_atomic(tmp_path, monkeypatch):
    # A crash while writing leaves the old file intact and no temporary file.
    import arviz as az

    target = tmp_path / "r.nc"
    make().save(target)
    before = target.read_bytes()

    def boom(self, filename, *a, **k):
        with open(filename, "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(az.InferenceData, "to_netcdf", boom)
    with pytest.raises(KeyboardInterrupt):
        make().save(target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["r.nc"]


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at"):
        bm.load(tmp_path / "none.nc")


def test_summary_and_plot():
    r = make(kind="posterior", chains=2)
    table = r.summary()
    assert table.loc["mi", "units"] == "nats"
    assert table.loc["mi", "mean"] == pytest.approx(r.mean)
    assert "r_hat" in table.columns
    assert make().summary().loc["mi", "kind"] == "bootstrap"
    ax = r.to("bits").plot()
    assert "[bits]" in ax.get_xlabel()


def test_lower_bound_readout_and_round_trip(tmp_path):
    from dataclasses import replace

    r = replace(make(), bound="lower")
    a = r.at_least(0.95)
    assert a == pytest.approx(np.quantile(r.draws_nats, 0.05))
    assert r.prob_above(a) == pytest.approx(0.95, abs=0.005)
    text = repr(r)
    assert f"a lower bound: I(X;Y) >= {a:.3f} nats with probability 0.95" in text
    assert repr(r.to("bits")).count("bits") == 2
    back = bm.load(r.save(tmp_path / "r.nc"))
    assert back.bound == "lower" and bm.load(make().save(tmp_path / "s.nc")).bound is None
    with pytest.raises(ValueError, match="bound must be one of"):
        replace(make(), bound="sideways")


def test_nan_draws_refused(tmp_path):
    # Issue 18, 2.4: a gmm result with NaN draws saved and loaded.
    with pytest.raises(ValueError, match="draws_nats holds 2 NaN or inf draws of 4"):
        bm.MIResult(draws_nats=np.array([[0.1, np.nan, np.inf, 0.2]]), kind="bootstrap")

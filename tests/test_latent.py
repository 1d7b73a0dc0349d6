"""Latent MI (method="latent"): known truths at small sizes, the pointwise NaN policy, seeds,
bad input, the training log and the sweep."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import bayesmi as bm  # noqa: E402
from bayesmi import LatentMI, truth  # noqa: E402
from bayesmi.exceptions import ConvergenceWarning  # noqa: E402

torch.set_num_threads(1)

#: latentmi's example (its quick-start notebook): a 2-D Gaussian latent with covariance
#: [[6, 3], [3, 3.5]]; correlation 3 / sqrt(21), so I = -1/2 log(1 - 9/21) = 0.2798 nats
#: (0.4037 bits; Cover & Thomas, example 8.5.1). Each variable is one coordinate times a random
#: 1 x dim projection (injective, so the MI is unchanged).
TRUTH_NATS = -0.5 * np.log(1 - 9 / 21)

#: Small networks, full-batch steps and a high learning rate: a few seconds per fit.
FAST = dict(
    latent_dim=2,
    hidden=(16,),
    n_repeats=2,
    lr=1e-2,
    batch_size=256,
    max_epochs=200,
    patience=10,
    n_draws=40,
    progress=False,
)


def embedded(n: int, seed: int, dim: int = 20, independent: bool = False):
    rng = truth.rng(seed=seed)
    cov = np.diag([6.0, 3.5]) if independent else np.array([[6.0, 3.0], [3.0, 3.5]])
    s = truth.gaussian_sample(cov, n, seed=rng.integers(2**32))
    return s[:, [0]] @ rng.normal(size=(1, dim)), s[:, [1]] @ rng.normal(size=(1, dim))


@pytest.fixture(scope="module")
def data():
    return embedded(600, seed=1)


@pytest.fixture(scope="module")
def result(data):
    x, y = data
    return LatentMI(**FAST, seed=0).estimate(x, y)


def test_embedded_case_lower_bound_and_interval(result):
    """The small version of latentmi's example (600 samples, 20-D), truth 0.280 nats.

    Measured on data seeds 0-3 (``embedded(600, seed)``, Cholesky data): means 0.308, 0.399,
    0.290, 0.265 nats, each with a reported sd of 0.033-0.036, while the means themselves spread
    with sd 0.058: the draws under-state the spread between data sets about 1.7x (KSG on 300
    held-out latents), which is why a single 90% HDI is not asserted to hold the truth (it does
    not on seed 1, the fixture's). The tolerance is 7 reported sds, about 4 real ones: a false
    alarm about 6e-5 of the time."""
    assert result.bound == "lower"
    assert result.kind == "ensemble"
    assert abs(result.mean - TRUTH_NATS) < 7 * result.sd
    assert result.draws_nats.shape == (1, 40)
    assert "lower bound" in repr(result) and "nats" in repr(result)


def test_bits_on_request(result):
    b = result.to("bits")
    assert b.mean == pytest.approx(result.mean / np.log(2))
    assert "bits" in repr(b)
    assert np.allclose(b.pointwise, result.pointwise_nats / np.log(2))


def test_independence_interval_reaches_zero():
    x, y = embedded(600, seed=2, independent=True)
    r = LatentMI(**FAST, seed=0).estimate(x, y)
    lo, hi = r.hdi(0.9)
    assert lo <= 0.0 and hi < 0.1
    assert abs(r.mean) < 0.05


def test_invertible_map_of_x_leaves_the_estimate_alone(data, result):
    """An invertible linear map of x (a random well-conditioned 20 x 20 matrix) keeps I(X;Y); the
    two estimates agree within their combined spread."""
    x, y = data
    a = truth.rng(seed=5).normal(size=(20, 20)) + 5 * np.eye(20)
    r = LatentMI(**FAST, seed=0).estimate(x @ a, y)
    assert abs(r.mean - result.mean) < 4 * np.hypot(r.sd, result.sd)


def test_crossfit_pointwise_covers_every_sample(result, data):
    pw = result.pointwise_nats
    assert pw.shape == (len(data[0]),)
    assert np.isfinite(pw).all()
    # Every repeat evaluates every sample once: the pointwise mean is the mean of the repeats.
    assert pw.mean() == pytest.approx(result.extras["repeat_estimate_nats"].mean())


def test_holdout_pointwise_is_nan_for_the_training_samples(data):
    x, y = data
    r = LatentMI(**(FAST | dict(n_repeats=1, n_draws=20)), split="holdout", seed=0).estimate(x, y)
    pw = r.pointwise_nats
    assert pw.shape == (600,)
    assert np.isfinite(pw).sum() == 300  # eval_fraction 0.5: the held-out half
    assert np.nanmean(pw) == pytest.approx(r.extras["repeat_estimate_nats"][0])
    assert r.extras["member_fold"].tolist() == [0]


def test_same_seed_same_draws_whatever_n_jobs(data):
    x, y = data
    x, y = x[:300], y[:300]
    kw = FAST | dict(n_repeats=1, max_epochs=20, n_draws=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = LatentMI(**kw, seed=3).estimate(x, y)
        b = LatentMI(**kw, seed=3, n_jobs=2).estimate(x, y)
        c = LatentMI(**kw, seed=4).estimate(x, y)
    np.testing.assert_array_equal(a.draws_nats, b.draws_nats)
    np.testing.assert_array_equal(a.pointwise_nats, b.pointwise_nats)
    assert not np.array_equal(a.draws_nats, c.draws_nats)


def test_members_differ(result):
    est = result.extras["member_estimate_nats"]
    assert len(est) == 4 and len(np.unique(est)) == 4
    assert result.extras["member_repeat"].tolist() == [0, 0, 1, 1]


def test_training_log_convention_and_dataframe(result):
    e = result.extras
    names = ["log_iteration", "log_member", "log_split", "log_loss", "log_mi_nats"]
    lengths = {len(e[k]) for k in names}
    assert len(lengths) == 1 and lengths.pop() > 0
    df = bm.training_log(result)
    assert list(df.columns) == ["iteration", "member", "split", "loss", "mi_nats"]
    assert set(df["split"]) == {"train", "validation"}
    assert set(df["member"]) == {0, 1, 2, 3}
    # Early stopping restored each member's best epoch: its validation loss is the lowest.
    val = df[df["split"] == "validation"]
    for m, best in enumerate(e["member_best_epoch"]):
        rows = val[val["member"] == m]
        assert rows.loc[rows["loss"].idxmin(), "iteration"] == best
    assert e["member_stopped_early"].all()
    with pytest.raises(ValueError, match="no training log"):
        bm.training_log(bm.estimate(*embedded(200, 0, dim=1), method="ksg", progress=False))


def test_saves_and_loads(result, tmp_path):
    path = result.save(tmp_path / "latent.nc")
    back = bm.load(path)
    np.testing.assert_allclose(back.draws_nats, result.draws_nats)
    assert back.bound == "lower" and back.method == "latent"
    np.testing.assert_allclose(back.extras["log_loss"], result.extras["log_loss"])


def test_model_encodes_new_data(result, data):
    x, y = data
    zx, zy = result.model.encode(x[:10], y[:10])
    assert zx.shape == (4, 10, 2) and zy.shape == (4, 10, 2)
    with pytest.raises(ValueError, match="x must have 20 columns"):
        result.model.encode(x[:10, :5], y[:10])


def test_too_few_epochs_warns():
    x, y = embedded(200, 0)
    with pytest.warns(ConvergenceWarning, match="still improving"):
        LatentMI(**(FAST | dict(max_epochs=2, n_repeats=1, n_draws=10)), seed=0).estimate(x, y)


def test_registered_and_reachable_through_estimate():
    assert bm.methods().loc["latent", "kind"] == "ensemble"
    assert any("Gowri" in ref for ref in LatentMI.references)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (dict(latent_dim=0), "latent_dim must be >= 1"),
        (dict(latent_dim=2.5), "latent_dim must be an integer"),
        (dict(split="bootstrap"), "split must be one of"),
        (dict(n_folds=1), "n_folds must be >= 2"),
        (dict(eval_fraction=1.0), r"eval_fraction must be a number in \(0, 1\)"),
        (dict(validation_fraction=0), r"validation_fraction must be a number in \(0, 1\)"),
        (dict(hidden=()), "hidden must be a non-empty tuple"),
        (dict(hidden=(8, 0)), "hidden must be a non-empty tuple"),
        (dict(alpha=0, lam=0), "alpha and lam are both 0"),
        (dict(dropout=1.0), r"dropout must be a number in \[0, 1\)"),
        (dict(lr=0), "lr must be > 0"),
        (dict(n_draws=3), "n_draws must be >= 10"),
        (dict(clip=0), "clip must be > 0 or None"),
        (dict(device="tpu"), "device must be one of"),
    ],
)
def test_bad_parameters(params, match):
    x, y = embedded(200, 0)
    with pytest.raises((ValueError, TypeError), match=f"LatentMI: {match}"):
        LatentMI(**params).estimate(x, y)


def test_bad_data():
    x, y = embedded(200, 0)
    est = LatentMI(progress=False)
    with pytest.raises(ValueError, match="LatentMI: x and y must have the same number of rows"):
        est.estimate(x, y[:150])
    with pytest.raises(ValueError, match=r"LatentMI: conditional MI \(z\) is not available"):
        est.estimate(x, y, z=x[:, 0])
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="LatentMI: x contains NaN"):
        est.estimate(bad, y)
    with pytest.raises(ValueError, match="LatentMI: every column of y is constant"):
        est.estimate(x, np.ones_like(y))
    with pytest.raises(ValueError, match="LatentMI: x and y have 100 samples: too few"):
        est.estimate(x[:100], y[:100])
    with pytest.raises(ValueError, match="method must be one of"):
        bm.estimate(x, y, method="latnet")


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error is for machines without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    x, y = embedded(200, 0)
    with pytest.raises(ValueError, match="LatentMI: device='cuda' but torch sees no CUDA device"):
        LatentMI(device="cuda", progress=False).estimate(x, y)


def test_constant_columns_are_kept():
    """High-dimensional data often has columns that never change (dark pixels): they are
    standardised to zeros, not refused."""
    x, y = embedded(300, 0)
    x[:, 0] = 1.0
    r = LatentMI(**(FAST | dict(n_repeats=1, n_draws=10)), seed=0).estimate(x, y)
    assert np.isfinite(r.mean)


def test_sweep_runs_and_plots(data):
    x, y = data
    kw = {k: v for k, v in FAST.items() if k not in ("latent_dim", "progress")}
    s = bm.latent_sweep(
        x, y, latent_dims=[1, 2], n_samples=[300, 600], seed=0, progress=False, **kw
    )
    t = s.table(units="bits")
    assert list(t["latent_dim"]) == [1, 2, 1, 2] and list(t["n_samples"]) == [300, 300, 600, 600]
    assert {"mean_bits", "sd_bits", "hdi_low_bits", "at_least_95_bits"} <= set(t.columns)
    assert (t["mean_bits"] > 0.2).all()  # truth 0.4037 bits; every setting finds most of it
    st = s.stabilised()
    assert set(st) == {"latent_dim", "n_samples"} and all(isinstance(v, bool) for v in st.values())
    assert s.best().provenance["params"]["latent_dim"] in (1, 2)
    ax = s.plot(units="bits", truth_nats=TRUTH_NATS)
    assert "bits" in ax.get_ylabel() and "latent" in ax.get_xlabel()
    with pytest.raises(ValueError, match="latent_sweep: n_samples must be at most n = 600"):
        bm.latent_sweep(x, y, n_samples=[700])
    with pytest.raises(TypeError, match="latent_sweep: give latent sizes as latent_dims"):
        bm.latent_sweep(x, y, latent_dim=4)

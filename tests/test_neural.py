"""method="neural": bounds against closed forms, ensembles of critics on known-truth data."""

import warnings

import numpy as np
import pytest
import torch

import bayesmi as bm
from bayesmi import truth
from bayesmi.neural import bounds, training
from bayesmi.neural.critics import negative_columns

torch.set_num_threads(1)

# Small and fast: a few hundred steps of 3 small critics.
FAST = dict(
    n_critics=3,
    hidden=(32, 32),
    embed_dim=16,
    lr=3e-3,
    max_iterations=400,
    eval_every=50,
    patience=3,
    n_resamples=30,
    progress=False,
    device="cpu",
)


def _gaussian_pmi_scores(rho, n, k, seed=0):
    """Scores T = the true pointwise MI log p(x,y)/(p(x)p(y)) of a bivariate normal, in the
    (n, 1 + k) layout, and the true MI."""
    x, y, mi = truth.correlated_gaussian(rho, n, seed=seed)
    x, y = x[:, 0], y[:, 0]
    cols = negative_columns(n, k, np.random.default_rng(seed)).numpy()
    yy = y[cols]
    xx = x[:, None]
    pmi = (
        -0.5 * np.log(1 - rho**2)
        - (xx**2 - 2 * rho * xx * yy + yy**2) / (2 * (1 - rho**2))
        + (xx**2 + yy**2) / 2
    )
    return torch.tensor(pmi), mi


# -- the bounds as functions --------------------------------------------------------------
@pytest.mark.parametrize(
    "name, fn",
    [
        ("nwj", lambda s: bounds.nwj(s + 1.0)),  # NWJ's optimal critic is 1 + pmi
        ("dv", bounds.dv),
        ("js_readout", bounds.js_readout),  # JS's optimal critic is the pmi itself
        ("smile", lambda s: bounds.smile(s, tau=20.0)),
    ],
)
def test_bounds_are_tight_at_the_optimal_critic(name, fn):
    # At the optimal critic every bound equals the MI, up to Monte Carlo error (rho 0.6:
    # I = 0.2231 nats, Cover & Thomas example 8.5.1); 4000 rows x 200 negatives.
    s, mi = _gaussian_pmi_scores(0.6, 4000, 200)
    assert abs(float(fn(s)) - mi) < 0.03


def test_infonce_at_the_optimal_critic_is_capped_by_log_k():
    # Low MI: the optimal critic attains it; high MI (rho 0.999, I = 3.11 nats) against 15
    # negatives: InfoNCE stays below log(16) = 2.77.
    s, mi = _gaussian_pmi_scores(0.6, 4000, 200)
    assert abs(float(bounds.infonce(s)) - mi) < 0.03
    s, mi = _gaussian_pmi_scores(0.999, 2000, 15)
    assert float(bounds.infonce(s)) <= np.log(16) + 1e-9 < mi


def test_row_terms_recombine_to_the_readout_and_bootstrap():
    s, _ = _gaussian_pmi_scores(0.6, 500, 30)
    for obj in bounds.OBJECTIVES:
        a, lneg = bounds.row_terms(obj, s)
        whole = bounds.objective_readout(obj, s)
        assert np.isclose(bounds.combine_rows(obj, a.numpy(), lneg.numpy()), float(whole))
        # Unit weights on every row reproduce the readout; a bootstrap gives (R,) values.
        w = np.ones((4, 500))
        assert np.allclose(bounds.combine_rows(obj, a.numpy(), lneg.numpy(), w), float(whole))


def test_mine_loss_gradient_uses_the_moving_average():
    s = torch.randn(2, 64, 9, requires_grad=True)
    avg = bounds.MovingAverage(alpha=0.5)
    loss = bounds.mine_loss(s, avg).sum()
    loss.backward()
    # First call: the average is this batch's mean, so the gradient equals DV's.
    s2 = s.detach().clone().requires_grad_(True)
    bounds.dv_loss(s2).sum().backward()
    assert torch.allclose(s.grad, s2.grad, atol=1e-6)
    assert avg.log_value.shape == (2,)


def test_bad_scores_layout():
    with pytest.raises(ValueError, match=r"scores must have shape \(\.\.\., B, 1 \+ K\)"):
        bounds.infonce(torch.zeros(5, 1))


# -- the estimator on known truths ----------------------------------------------------------
@pytest.mark.parametrize(
    "objective, critic",
    [
        ("infonce", "separable"),
        ("nwj", "separable"),
        ("mine", "separable"),
        ("js", "joint"),
        ("smile", "separable"),
        ("dv", "bilinear"),
    ],
)
def test_gaussian_1d(objective, critic):
    # rho 0.8: I = -0.5 log(1 - 0.64) = 0.5108 nats. The bilinear critic gets MLP encoders (on
    # raw x and y it is x w y, which cannot express the Gaussian's x^2 and y^2 terms).
    x, y, mi = truth.correlated_gaussian(0.8, 1500, seed=1)
    enc = "mlp" if critic == "bilinear" else "auto"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(
            x,
            y,
            method="neural",
            objective=objective,
            critic=critic,
            seed=0,
            x_encoder=enc,
            y_encoder=enc,
            **FAST,
        )
    assert r.kind == "ensemble" and r.draws_nats.shape == (1, 90)
    # Every estimator here is biased low by under-training, by at most 0.15 nats at this size
    # (measured: docs/neural.md); the lower bounds must not sit above the truth.
    assert mi - 0.15 < r.mean < mi + 3 * r.sd
    if objective != "smile":
        assert r.bound == "lower"
        assert r.at_least(0.95) < mi
        assert "a lower bound" in repr(r)
    else:
        assert r.bound is None


@pytest.mark.parametrize("objective", ["infonce", "smile"])
def test_gaussian_5d(objective):
    # 5 independent pairs with rho 0.5: I = 5 x 0.1438 = 0.7192 nats.
    x, y, mi = truth.correlated_gaussian(0.5, 2000, dim=5, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(x, y, method="neural", objective=objective, seed=0, **FAST)
    assert mi - 0.2 < r.mean < mi + 3 * r.sd


def test_infonce_ceiling_warns_and_smile_passes_it():
    # 5 pairs with rho 0.95: I = 5 x 1.164 = 5.82 nats, far above log(32) = 3.47.
    x, y, mi = truth.correlated_gaussian(0.95, 3000, dim=5, seed=3)
    assert mi > np.log(35)
    kw = FAST | dict(batch_size=32, max_iterations=600)
    with (
        warnings.catch_warnings(),
        pytest.warns(bm.InfoNCECeilingWarning, match=r"within 1 nat of its ceiling log\(K \+ 1"),
    ):
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(x, y, method="neural", objective="infonce", seed=0, **kw)
    # Held-out rows are scored in chunks of about 32 (600 test rows: 18 chunks of 33 or 34).
    ceiling = float(r.extras["ceiling_nats"][0])
    assert np.log(32) <= ceiling <= np.log(35)
    assert r.draws.max() <= ceiling + 1e-9
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.InfoNCECeilingWarning)
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        s = bm.estimate(x, y, method="neural", objective="smile", seed=0, **kw)
    assert s.mean > ceiling


def test_independence_interval_reaches_zero():
    rng = truth.rng(seed=4)
    x, y = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(x, y, method="neural", seed=0, **FAST)
    assert r.hdi(0.9)[0] <= 0.0 <= r.hdi(0.9)[1] + 0.02
    assert abs(r.mean) < 0.05


def test_members_differ_and_seed_reproduces():
    x, y, _ = truth.correlated_gaussian(0.8, 800, seed=5)
    kw = FAST | dict(max_iterations=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        a = bm.estimate(x, y, method="neural", seed=7, **kw)
        b = bm.estimate(x, y, method="neural", seed=7, **kw)
        c = bm.estimate(x, y, method="neural", seed=8, **kw)
    np.testing.assert_array_equal(a.draws_nats, b.draws_nats)
    assert not np.array_equal(a.draws_nats, c.draws_nats)
    member = a.extras["draw_member"][0]
    means = [a.draws_nats[0, member == e].mean() for e in range(3)]
    assert len(set(np.round(means, 6))) == 3
    assert len(set(np.round(a.extras["member_estimate_nats"], 6))) == 3


def test_training_log_dataframe_plot_and_save(tmp_path):
    x, y, mi = truth.correlated_gaussian(0.8, 800, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(x, y, method="neural", seed=0, **(FAST | dict(max_iterations=100)))
    lengths = {len(r.extras[k]) for k in training.LOG_KEYS}
    assert len(lengths) == 1
    df = bm.neural.training_log(r)
    assert list(df.columns) == ["iteration", "member", "split", "loss", "mi_nats"]
    assert set(df["split"]) == {"train", "validation"} and set(df["member"]) == {0, 1, 2}
    ax = bm.neural.plot_training_log(r, units="bits", truth_nats=mi)
    assert ax.get_ylabel() == "MI [bits]"
    back = bm.load(r.save(tmp_path / "r.nc"))
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    assert back.bound == "lower"
    np.testing.assert_array_equal(back.extras["log_mi_nats"], r.extras["log_mi_nats"])
    with pytest.raises(ValueError, match="training_log: no training log here"):
        bm.neural.training_log({"x": 1})


def test_dataloader_and_tensor_inputs():
    from torch.utils.data import DataLoader, TensorDataset

    x, y, mi = truth.correlated_gaussian(0.8, 1000, seed=6)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    kw = FAST | dict(max_iterations=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        loader = DataLoader(TensorDataset(xt[:, 0], yt[:, 0]), batch_size=50)
        r = bm.estimate(loader, None, method="neural", seed=0, **kw)
        t = bm.estimate(xt, yt, method="neural", seed=0, **kw)
    assert r.provenance["n_samples"] == 1000
    # The dataset path is not standardised, the array path is: both recover the MI.
    for res in (r, t):
        assert mi - 0.2 < res.mean < mi + 3 * res.sd


def test_digits_pairs_approach_class_entropy():
    # Pairs of different 8x8 digit images of one class. If an image identifies its class,
    # I(X;Y) = H(class): the empirical class entropy of scikit-learn's digits, 2.3024 nats
    # (ln 10 = 2.3026 for balanced classes). A small conv encoder shared by x and y.
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    p = np.bincount(labels) / len(labels)
    h_class = float(-(p * np.log(p)).sum())
    assert h_class == pytest.approx(2.3024, abs=1e-4)
    rng = truth.rng(seed=0)
    partner = np.empty(len(labels), dtype=int)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        partner[idx] = idx[(np.arange(len(idx)) + rng.integers(1, len(idx), len(idx))) % len(idx)]
    x = (images / 16.0).reshape(-1, 1, 8, 8)
    y = x[partner]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(
            x,
            y,
            method="neural",
            y_encoder="shared",
            seed=0,
            **(FAST | dict(max_iterations=300, lr=3e-3)),
        )
    # InfoNCE with B = 128 tops out near log 128 - E log(1 + same-class negatives) ~ 2.2.
    assert 1.5 < r.mean < h_class + 0.05
    assert r.at_least(0.95) < h_class


def test_shift_images_moves_each_image_by_at_most_one_pixel():
    # One bright pixel per 5x5 image, at the centre: after the shift it sits at most one pixel
    # away on each axis, every one of the 9 offsets occurs, nothing else changes, and the same
    # generator seed gives the same shifts.
    imgs = torch.zeros(2, 400, 1, 5, 5)
    imgs[..., 2, 2] = 1.0
    out = training.shift_images(imgs, torch.Generator().manual_seed(0))
    assert out.shape == imgs.shape
    assert torch.equal(out.sum(dim=(-1, -2, -3)), torch.ones(2, 400))
    pos = out.reshape(800, 25).argmax(dim=1)
    dr, dc = pos // 5 - 2, pos % 5 - 2
    assert dr.abs().max() <= 1 and dc.abs().max() <= 1
    assert len(set(zip(dr.tolist(), dc.tolist(), strict=True))) == 9
    again = training.shift_images(imgs, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    with pytest.raises(ValueError, match=r"shift_images needs images"):
        training.shift_images(torch.zeros(4, 3), torch.Generator())


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(objective="mmd"), r"NeuralMI: objective must be one of .*got 'mmd'"),
        (dict(critic="deep"), r"NeuralMI: critic must be one of .*got 'deep'"),
        (dict(hidden=(32, 0)), r"NeuralMI: hidden must be a tuple of positive integers"),
        (dict(n_critics=0), r"NeuralMI: n_critics must be >= 1, got 0"),
        (dict(valid_fraction=0.7), r"NeuralMI: valid_fraction must lie in \(0, 0.5\), got 0.7"),
        (dict(device="tpu"), r"NeuralMI: device must be one of .*got 'tpu'"),
        (dict(x_encoder="resnet"), r"NeuralMI: x_encoder must be None, 'auto', 'mlp', 'conv'"),
        (dict(lr=0.0), r"NeuralMI: lr must be positive"),
        (dict(augment="flip"), r"NeuralMI: augment must be None, 'shift' or a callable"),
        (dict(augment="shift"), r"NeuralMI: augment='shift' moves images, but neither x"),
    ],
)
def test_bad_parameters(params, match):
    x, y, _ = truth.correlated_gaussian(0.5, 100, seed=0)
    with pytest.raises(ValueError, match=match):
        bm.NeuralMI(**params).estimate(x, y)


def test_bad_inputs():
    x, y, _ = truth.correlated_gaussian(0.5, 100, seed=0)
    est = bm.NeuralMI(progress=False)
    with pytest.raises(ValueError, match=r"NeuralMI: x and y must have the same number of rows"):
        est.estimate(x, y[:50])
    with pytest.raises(ValueError, match=r"NeuralMI: x has 30 samples, fewer than the 40"):
        est.estimate(x[:30], y[:30])
    bad = x.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"NeuralMI: x contains NaN values"):
        est.estimate(bad, y)
    with pytest.raises(ValueError, match=r"conditional MI \(z\) is not available"):
        est.estimate(x, y, z=x)
    with pytest.raises(TypeError, match=r"NeuralMI: y is None"):
        est.estimate(x)
    with pytest.raises(ValueError, match=r"x_encoder='conv' needs images"):
        bm.NeuralMI(x_encoder="conv").estimate(x, y)
    with pytest.raises(ValueError, match=r"y_encoder='shared' needs x and y of one shape"):
        bm.NeuralMI(y_encoder="shared").estimate(np.hstack([x, y]), y)
    images = truth.rng(seed=0).random((50, 1, 4, 4))
    images[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"NeuralMI: x contains NaN or inf"):
        est.estimate(images, y[:50])
    with pytest.raises(ValueError, match="device='cuda' but torch sees no CUDA"):
        if torch.cuda.is_available():
            raise ValueError("device='cuda' but torch sees no CUDA (skipped: CUDA present)")
        bm.NeuralMI(device="cuda").estimate(x, y)


def test_bad_dataset_inputs():
    from torch.utils.data import IterableDataset, TensorDataset

    class Stream(IterableDataset):
        def __iter__(self):
            yield from ()

    est = bm.NeuralMI(progress=False)
    with pytest.raises(TypeError, match=r"NeuralMI: x must be a map-style torch Dataset"):
        est.estimate(Stream())
    with pytest.raises(TypeError, match=r"the dataset must yield \(x, y\) pairs"):
        est.estimate(TensorDataset(torch.zeros(50, 2)))
    with pytest.raises(ValueError, match=r"y must be None"):
        est.estimate(TensorDataset(torch.zeros(50, 2), torch.zeros(50, 2)), np.zeros(50))


def test_given_and_learned_encoders():
    # A fixed encoder (an invertible map: MI unchanged) and a learned module template.
    x, y, mi = truth.correlated_gaussian(0.8, 1000, seed=9)
    learned = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 8))
    kw = FAST | dict(max_iterations=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        r = bm.estimate(
            x, y, method="neural", seed=0, x_encoder=lambda t: t**3, y_encoder=learned, **kw
        )
    assert mi - 0.2 < r.mean < mi + 3 * r.sd
    # The template itself is left untouched (members get re-initialised copies).
    assert learned[0].weight.grad is None


def test_low_level_pieces_train_and_evaluate():
    # The public pieces put together by hand, as a user building their own would.
    from bayesmi.neural import (
        ArraySource,
        SeparableCritic,
        evaluate_critics,
        make_splits,
        train_critics,
    )

    x, y, mi = truth.correlated_gaussian(0.8, 800, seed=11)
    source = ArraySource(torch.tensor(x).float(), torch.tensor(y).float(), torch.device("cpu"))
    splits = make_splits(800, 2, 0.2, 0.2, truth.rng(seed=0))
    assert splits.train.shape == (2, 480) and splits.test.shape == (2, 160)
    for e in range(2):  # each member's parts are disjoint and cover the data
        parts = np.concatenate([splits.train[e], splits.valid[e], splits.test[e]])
        assert np.array_equal(np.sort(parts), np.arange(800))
    trained = train_critics(
        lambda: SeparableCritic(1, 1, (32,), "relu", 8),
        source,
        splits,
        lr=3e-3,
        max_iterations=150,
        eval_every=50,
        seed=0,
        progress=False,
    )
    assert trained.log["log_iteration"].max() == 150
    ev = evaluate_critics(trained, source, n_resamples=7, seed=0)
    assert ev["resamples_nats"].shape == (2, 7) and ev["mi_nats"].shape == (2,)
    assert np.all(ev["mi_nats"] < mi + 0.2) and np.all(ev["mi_nats"] > 0.2)
    # One member as an ordinary module scores like its slice of the ensemble.
    m0 = trained.ensemble.member(0)
    xb, yb = source.get(splits.test[:, :16])
    cols = negative_columns(16, 15, truth.rng(seed=0))
    with torch.no_grad():
        whole = trained.ensemble(xb, yb, cols)
        alone = m0(xb[0], yb[0], cols)
    assert torch.allclose(whole[0], alone, atol=1e-5)


@pytest.mark.parametrize(("scale", "offset"), [(1e-99, 0.0), (1e99, 0.0), (1.0, 1e6)])
def test_float32_keeps_tiny_huge_and_offset_vectors(scale, offset):
    # Issue 18, 2.3: at a scale of 1e-99 the cast to float32 made x all zeros (MI 0.000 +- 0).
    x = truth.rng(seed=0).standard_normal((300, 2))
    est = bm.NeuralMI()
    ref = est._array(x, "x", None)
    out = est._array(x * scale + offset, "x", None)
    standardise = lambda a: (a - a.mean(0)) / a.std(0)  # noqa: E731 (as training does)
    np.testing.assert_allclose(standardise(out), standardise(ref), atol=1e-5)

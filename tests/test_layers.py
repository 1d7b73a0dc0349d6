"""bm.layer_mi and bm.LayerTracker: known truths through layers, paired differences, hooks and
modes left as they were, errors that name the argument, files."""

import itertools
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import bayesmi as bm  # noqa: E402
from bayesmi import truth  # noqa: E402
from bayesmi.estimators import REGISTRY  # noqa: E402
from bayesmi.layers import LayerMI  # noqa: E402

# Small and fast: KSG with few draws, no noise (the known truths are of the noiseless layers).
FAST = {"method": "ksg", "noise_var": 0.0, "n_draws": 40}


def gaussian(n, cov, seed):
    """Rows ~ N(0, cov), platform-independent: Cholesky factor times standard normals."""
    rng = truth.rng(seed=seed)
    return rng.standard_normal((n, len(cov))) @ np.linalg.cholesky(np.asarray(cov)).T


class Keep(nn.Module):
    """Keeps the first k coordinates."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x[:, : self.k]


class Boom(nn.Module):
    def forward(self, x):
        if len(x) < 50:  # the short last batch
            raise RuntimeError("bad shape")
        return x


def orthogonal_linear(d, seed):
    lin = nn.Linear(d, d, bias=False)
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(q, dtype=torch.float32))
    return lin


def test_invertible_layers_preserve_mi():
    # x = (x1, x2) independent N(0, 1); y = rho x1 + sqrt(1 - rho^2) e: I(x; y) = I(x1; y)
    # = -0.5 log(1 - rho^2) (Cover & Thomas, eq. 8.56 for a bivariate Gaussian).
    rho, n = 0.6, 1000
    xy = gaussian(n, np.eye(3), seed=11)
    x = xy[:, :2]
    y = rho * x[:, 0] + np.sqrt(1 - rho**2) * xy[:, 2]
    truth = -0.5 * np.log(1 - rho**2)
    net = nn.Sequential(nn.Identity(), orthogonal_linear(2, 3), nn.Tanh())
    r = bm.layer_mi(net, torch.tensor(x, dtype=torch.float32), {"y": y}, **FAST)
    for layer in ("0", "1", "2"):
        one = r.result(layer)
        # 4.5 sds either side: a normal false alarm of 7e-6 per layer when the spread is honest
        # and KSG's bias (about -0.01 nats here, 3 joint dimensions) is small beside it.
        assert abs(one.mean - truth) < 4.5 * one.sd, (layer, one, truth)
        # ... and the interval of each layer holds the input layer's estimate.
        assert abs(one.mean - r.result("0").mean) < 4.5 * one.sd
    assert (r.to_dataframe()["bound"] == "none").all()


def test_layer_keeping_k_coordinates_has_the_closed_form_mi():
    # y = a . x + s e with x ~ N(0, I_4): I(x_1..k; y) = 0.5 log(var y / (sum_{i>k} a_i^2 + s^2)).
    a, s, n = np.array([0.8, 0.6, 0.5, 0.5]), 0.5, 1000
    u = gaussian(n, np.eye(5), seed=5)
    x, y = u[:, :4], u[:, :4] @ a + s * u[:, 4]
    truth = 0.5 * np.log((a @ a + s**2) / (a[2:] @ a[2:] + s**2))  # 0.424 nats
    net = nn.Sequential(Keep(2))
    r = bm.layer_mi(net, x.astype(np.float32), y, **FAST)
    one = r.result("0")
    # 4.5 sds: a normal false alarm of 7e-6 when the spread is honest.
    assert abs(one.mean - truth) < 4.5 * one.sd, (one, truth)


def test_data_processing_inequality_along_a_chain():
    # Each layer is a function of the previous one, so I(layer_{j+1}; y) <= I(layer_j; y).
    n = 1000
    u = gaussian(n, np.eye(3), seed=7)
    x = u[:, :2]
    y = x[:, 0] + 0.5 * u[:, 2]
    rotation = orthogonal_linear(2, 1)
    net = nn.Sequential(rotation, nn.Tanh(), nn.Linear(2, 1), nn.Tanh())
    with torch.no_grad():
        # Project onto a direction that is mostly x2: without the tanh between, I(y; layer 2)
        # would be -0.5 log(1 - 0.3^2 / 1.25) = 0.04 nats (0.14 measured with it) against
        # 0.5 log 5 = 0.80 for the layers before.
        net[2].weight.copy_(
            rotation.weight.detach()[:, :1].T * 0.3 + rotation.weight[:, 1:].T * 0.954
        )
        net[2].bias.zero_()
    r = bm.layer_mi(net, x.astype(np.float32), y, **FAST)
    names = r.layers
    for a, b in itertools.pairwise(names):
        d = r.diff(a, b)  # I(b; y) - I(a; y), paired
        # No increase beyond 4.5 sds of the paired difference: a false alarm below 1e-5 (normal)
        # where the inequality holds with equality (the monotone tanh layers).
        assert d.mean < 4.5 * max(d.sd, 1e-3), (a, b, d)
    # The projection to one dimension loses most of it: a drop of about 0.66 nats against a
    # paired sd of about 0.03 (20 sds), so the interval missing it has a probability below 1e-20.
    drop = r.diff("1", "2")
    assert drop.hdi(0.9)[1] < -0.3, drop


def test_paired_difference_of_identical_layers_is_zero():
    x = gaussian(400, np.eye(2), seed=2)
    y = x[:, 0] + gaussian(400, np.eye(1), seed=3)[:, 0]
    net = nn.Sequential(nn.Linear(2, 2), nn.Identity())
    r = bm.layer_mi(net, x.astype(np.float32), y, **FAST)
    d = r.diff("0", "1")
    # The same rows resampled in the same order for both layers: every draw of the
    # difference is 0 (no randomness, no false-alarm probability).
    assert np.all(d.draws == 0)
    lo, hi = d.hdi(0.9)
    assert lo <= 0 <= hi
    assert "I(T_b;Y) - I(T_a;Y)" in repr(d)


@pytest.mark.parametrize("method", ["ksg", "gmm", "bins"])
def test_resample_indices_are_the_same_across_layers(method, monkeypatch):
    # What makes diff() a paired difference: two estimates with the same seed and n resample the
    # same rows, draw by draw, whatever the data.
    import bayesmi.estimators.bins as bins_mod
    import bayesmi.estimators.gmm as gmm_mod
    import bayesmi.estimators.ksg as ksg_mod

    seen = []
    if method == "ksg":
        original = ksg_mod._partition

        def spy(data, quantity, k, algorithm, task):
            seed = task[1]  # (parts per split, the split's seed, first part, last part + 1)
            seen.append(np.random.default_rng(seed).permutation(len(data[0]))[:5])
            return original(data, quantity, k, algorithm, task)

        monkeypatch.setattr(ksg_mod, "_partition", spy)
        kw = {"n_draws": 12, "n_permutations": 0}
    else:
        mod = gmm_mod if method == "gmm" else bins_mod
        original = mod.bootstrap_counts

        def spy(n, rng, block_length=None):
            counts = original(n, rng, block_length)
            seen.append(counts[:20].copy())
            return counts

        monkeypatch.setattr(mod, "bootstrap_counts", spy)
        kw = {"n_draws": 4, "n_permutations": 0} if method == "bins" else {"n_draws": 4}
        if method == "gmm":
            kw["n_components"] = 1
    aligned = sorted(n for n, c in REGISTRY.items() if c.aligned_draws)
    assert aligned == ["bins", "gmm", "ksg"]  # a method that sets it joins this test
    runs = []
    for data_seed in (1, 2):
        seen.clear()
        u = gaussian(300, np.eye(2), seed=data_seed)
        bm.estimate(u[:, 0], u[:, 1], method=method, seed=0, progress=False, **kw)
        runs.append([s.copy() for s in seen])
    assert len(runs[0]) == len(runs[1]) > 0
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_diff_refused_for_methods_without_aligned_draws():
    x = gaussian(200, np.eye(2), seed=1)
    r = bm.layer_mi(nn.Sequential(nn.Identity(), nn.Identity()), x, x[:, 0], **FAST)
    r.data.attrs["method"] = "bayes_gmm"
    with pytest.raises(ValueError, match="cannot be paired"):
        r.diff("0", "1")


def test_hooks_removed_modes_restored_no_grad():
    net = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.ReLU(), nn.Linear(4, 2))
    net.train()
    net[3].eval()  # a mixed state comes back as it was
    x = torch.tensor(gaussian(200, np.eye(3), seed=4), dtype=torch.float32)
    bm.layer_mi(net, x, "input", **FAST)
    for m in net.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
    assert [m.training for m in net] == [True, True, True, False]
    assert all(p.grad is None for p in net.parameters())
    # The same when the model raises.
    bad = nn.Sequential(nn.Linear(3, 3), Boom())
    with pytest.raises(RuntimeError):
        bm.layer_mi(bad, x, "input", batch_size=64, **FAST)
    for m in bad.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
    assert bad.training


def test_errors_name_the_argument():
    x = torch.tensor(gaussian(200, np.eye(3), seed=4), dtype=torch.float32)
    net = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    available = r"layers: 'fc9' is not a module.*available names are \['0', '1'\]"
    with pytest.raises(ValueError, match=available):
        bm.layer_mi(net, x, "input", layers=["fc9"], **FAST)
    with pytest.raises(ValueError, match="target 'target' has 150 rows but the data have 200"):
        bm.layer_mi(net, x, np.zeros(150), **FAST)
    bad = nn.Sequential(nn.Linear(3, 3), Boom())
    where = r"raised in layer '1' on batch 3 \(samples 192 to 199\)"
    with pytest.raises(RuntimeError, match=where):
        bm.layer_mi(bad, x, "input", batch_size=64, **FAST)
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        bm.layer_mi(lambda t: t, x, "input", **FAST)
    with pytest.raises(ValueError, match="method must be one of"):
        bm.layer_mi(net, x, "input", method="nope")
    with pytest.raises(TypeError, match="set by layer_mi itself"):
        bm.layer_mi(net, x, "input", discrete_y=True, **FAST)
    with pytest.raises(ValueError, match="no module of type Conv2d"):
        bm.layer_mi(net, x, "input", layers=nn.Conv2d, **FAST)
    with pytest.raises(ValueError, match="data has no samples"):
        bm.layer_mi(net, x[:0], "input", **FAST)
    with pytest.raises(KeyError, match="layer 'x' is not one of"):
        bm.layer_mi(net, x, "input", **FAST).result("x")


def test_data_forms_give_the_same_draws():
    from torch.utils.data import DataLoader, Dataset

    u = gaussian(300, np.eye(3), seed=8)
    x = torch.tensor(u[:, :2], dtype=torch.float32)
    labels = (u[:, 0] + 0.5 * u[:, 2] > 0).astype(int)

    class Items(Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return {"image": x[i], "label": labels[i]}

    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    kw = dict(FAST, layers=["1"])
    a = bm.layer_mi(net, x, labels, **kw)
    b = bm.layer_mi(net, x.numpy(), torch.tensor(labels), **kw)
    c = bm.layer_mi(net, Items(), {"target": "label"}, input_key="image", **kw)
    loader = DataLoader(Items(), batch_size=32, shuffle=False)
    d = bm.layer_mi(net, loader, {"target": "label"}, input_key="image", **kw)
    for other in (b, c, d):
        np.testing.assert_allclose(other.draws, a.draws)
    # Integer labels take the methods' categorical form.
    assert '"target": true' in a.data.attrs["categorical"]
    shuffled = DataLoader(Items(), batch_size=32, shuffle=True)
    with pytest.raises(ValueError, match="shuffle=True"):
        bm.layer_mi(net, shuffled, labels, input_key="image", **kw)


def test_wide_layers_are_reduced_and_marked_lower_bounds():
    x = gaussian(300, np.eye(8), seed=9)
    net = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 2))
    r = bm.layer_mi(net, x, {"y": x[:, 0]}, max_dim=3, **FAST)
    table = r.to_dataframe().set_index("layer")
    assert table.loc["0", "bound"] == "lower" and table.loc["0", "dim"] == 3
    assert table.loc["1", "bound"] == "none" and table.loc["1", "width"] == 2
    assert r.result("0").bound == "lower"
    # A conv layer's (C, H, W) output is flattened; a layer wider than 1,024 takes the
    # randomized SVD.
    images = torch.tensor(gaussian(120, np.eye(16), seed=16), dtype=torch.float32)
    conv = nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 70, 3, padding=1))
    r = bm.layer_mi(conv, images, {"y": images[:, 0]}, layers="1", max_dim=3, **FAST)
    row = r.to_dataframe().iloc[0]
    assert row["width"] == 70 * 16 and row["dim"] == 3 and row["bound"] == "lower"


def test_categorical_labels_with_gmm():
    u = gaussian(300, np.eye(2), seed=10)
    labels = (u[:, 0] > 0).astype(int)
    net = nn.Sequential(nn.Linear(2, 1))
    r = bm.layer_mi(net, u, labels, method="gmm", noise_var=0.0, n_draws=4, n_components=1)
    assert r.kind == "bootstrap" and r.draws.shape[-1] == 4
    assert np.isfinite(r.draws).all()


def test_tracker_save_load_and_figures(tmp_path):
    u = gaussian(300, np.eye(3), seed=12)
    x = torch.tensor(u[:, :2], dtype=torch.float32)
    y = u[:, 0] + 0.5 * u[:, 2]
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    tracker = bm.LayerTracker(x, {"input": "input", "y": y}, **FAST)
    for epoch in range(3):
        with torch.no_grad():
            net[0].weight.mul_(1.5)
        r = tracker.record(net, epoch)
    assert r.epochs == [0, 1, 2] and r.draws.shape[:3] == (3, 2, 2)
    table = r.to_dataframe()
    assert len(table) == 12 and {"epoch", "layer", "target", "hdi_low"} <= set(table.columns)
    path = r.save(tmp_path / "layers.nc")
    back = bm.load(path)
    assert isinstance(back, LayerMI)
    np.testing.assert_array_equal(back.draws, r.draws)
    assert back.layers == r.layers and back.epochs == r.epochs
    assert back.to_dataframe().equals(table)
    assert back.to("bits").draws[0, 0, 0, 0, 0] == pytest.approx(r.draws[0, 0, 0, 0, 0] / np.log(2))
    r.plot_information_plane(x="input", y="y")
    r.plot_epochs(target="y")
    r.plot(target="y")
    d = r.diff("0", "1", target="y", epoch=1)
    assert d.quantity == "mi_diff"
    back = bm.load(d.save(tmp_path / "diff.nc"))
    assert back.quantity == "mi_diff" and np.array_equal(back.draws, d.draws)
    with pytest.raises(ValueError, match="already recorded"):
        tracker.record(net, 2)


def test_per_unit_finds_the_unit_that_carries_each_target():
    u = gaussian(400, np.eye(4), seed=13)
    x = u[:, :2]
    a, b = x[:, 0] + 0.5 * u[:, 2], x[:, 1] + 0.5 * u[:, 3]
    net = nn.Sequential(nn.Identity())
    r = bm.layer_mi(net, x, {"a": a, "b": b}, per_unit=True, **FAST)
    assert r.layers == ["0[0]", "0[1]"]
    mean, sd = r.mean(), r.sd()
    # I(x1; a) = 0.5 log 5 = 0.80 nats against 0 for I(x2; a): more than 10 sds apart, so a
    # false alarm is out of reach (below 1e-20, normal tail).
    assert mean.loc["0[0]", "a"] - mean.loc["0[1]", "a"] > 5 * sd.loc["0[0]", "a"]
    assert mean.loc["0[1]", "b"] - mean.loc["0[0]", "b"] > 5 * sd.loc["0[1]", "b"]
    with pytest.raises(ValueError, match="per_unit=True over 2000 units"):
        bm.layer_mi(nn.Sequential(nn.Linear(2, 2000)), x, a, per_unit=True, **FAST)


def test_results_feed_the_report(tmp_path):
    x = gaussian(200, np.eye(2), seed=14)
    net = nn.Sequential(nn.Identity())
    r = bm.layer_mi(net, x, {"y": x[:, 0] + x[:, 1]}, per_unit=True, **FAST)
    assert list(r.results()) == ["0_0_-y", "0_1_-y"]  # names bm.report accepts
    # A tracked LayerMI: its own section (table, figures, information plane) and file, and one
    # section per (layer, target).
    tracker = bm.LayerTracker(x, {"input": "input", "y": x[:, 0] + x[:, 1]}, **FAST)
    for epoch in (0, 1):
        tracker.record(nn.Sequential(nn.Linear(2, 2)), epoch)
    written = bm.report(tracker.result, tmp_path / "tracked.html")
    page = Path(written["html"]).read_text()
    assert "<h2>Layers</h2>" in page and "Information plane" in page and "0-y" in page
    np.testing.assert_array_equal(bm.load(written["nc:layers"]).draws, tracker.result.draws)


def test_layer_errors_are_not_blamed_on_the_model():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.Tanh()

        def forward(self, x):
            return self.act(self.act(x))

    class Scalar(nn.Module):
        def forward(self, x):
            return x.sum()

    x = gaussian(100, np.eye(2), seed=15)
    with pytest.raises(ValueError, match="layer 'act' ran more than once"):
        bm.layer_mi(Twice(), x, "input", layers="act", **FAST)
    with pytest.raises(ValueError, match=r"layer '0' returned shape \(\)"):
        bm.layer_mi(nn.Sequential(Scalar(), nn.Identity()), x, "input", layers="0", **FAST)

"""bm.mi_matrix: known pairwise MI, independence, determinism across n_jobs and Dask, names and
seeds, groups, checkpoint and resume, files and plots, bad input."""

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi import matrix, truth
from bayesmi.estimators.base import REGISTRY, Estimator
from bayesmi.matrix import adjust_p, pair_seed
from bayesmi.result import MIResult
from bayesmi.validation import check_paired

# Block covariance: (a, b, c) equicorrelated at 0.5, (d, e) correlated at 0.7, blocks
# independent. Pairwise MI of a Gaussian: -1/2 log(1 - rho^2) (Cover & Thomas, ex. 8.5.1).
COV = np.eye(5)
COV[np.ix_([0, 1, 2], [0, 1, 2])] = 0.5 + 0.5 * np.eye(3)
COV[3, 4] = COV[4, 3] = 0.7
NAMES = ["a", "b", "c", "d", "e"]
OFF = ~np.eye(5, dtype=bool)
MI_TRUE = pd.DataFrame(
    np.where(OFF, -0.5 * np.log1p(-(np.where(OFF, COV, 0) ** 2)), 0.0), index=NAMES, columns=NAMES
)

FAST_KSG = {"n_draws": 20, "n_permutations": 10}


def block_gaussian(n, seed):
    # Cholesky, not rng.multivariate_normal: the same rows on every machine.
    return pd.DataFrame(truth.gaussian_sample(COV, n, seed=seed), columns=NAMES)


def gaussian_group_mi(cov, a, b):
    """I(X_a; X_b) = 1/2 log(det S_a det S_b / det S_ab) for a Gaussian (Cover & Thomas 8.5)."""
    det = np.linalg.det
    ab = a + b
    return 0.5 * np.log(det(cov[np.ix_(a, a)]) * det(cov[np.ix_(b, b)]) / det(cov[np.ix_(ab, ab)]))


@pytest.fixture(scope="module")
def df():
    return block_gaussian(1500, seed=11)


@pytest.fixture(scope="module")
def ksg_matrix(df):
    return bm.mi_matrix(df, method="ksg", seed=0, progress=False, n_draws=60, n_permutations=100)


# -- known truths ------------------------------------------------------------------------------
def test_ksg_pairs_recover_the_gaussian_mi(ksg_matrix):
    m = ksg_matrix
    assert m.x_names == NAMES and m.y_names == NAMES
    mean, sd = m.mean, m.sd
    lo, hi = m.hdi(0.9)
    for i, a in enumerate(NAMES):
        assert np.isnan(mean.loc[a, a])
        for b in NAMES[i + 1 :]:
            truth = MI_TRUE.loc[a, b]
            # 4 sds: about one false alarm in 16,000 pairs when the spread is honest.
            assert abs(mean.loc[a, b] - truth) < 4 * sd.loc[a, b] + 0.01, (a, b)
            assert mean.loc[a, b] == mean.loc[b, a]  # symmetric: one estimate per pair
            if truth == 0:
                # The 90% HDI's ends sit about 1.645 sd either side of the mean, which at
                # independence is N(0, sd): each end misses zero by more than 2.7 sd when the
                # mean is beyond 4.35 sd, p = 7e-6 a pair, 4e-5 over the 6 independent pairs.
                assert lo.loc[a, b] <= 2.7 * sd.loc[a, b], (a, b)
                assert hi.loc[a, b] >= -2.7 * sd.loc[a, b], (a, b)


def test_independent_pairs_are_not_flagged_dependent_pairs_are(ksg_matrix):
    s = ksg_matrix.significant(alpha=0.05, correction="bh")
    assert len(s) == 10  # each unordered pair once
    truth = np.array([MI_TRUE.loc[r.x_var, r.y_var] for r in s.itertuples()])
    p = s["p_value"].to_numpy()
    # Every dependent pair (MI >= 0.14 nats at n = 1500, about 14 null sds) beats all 100
    # permutations: p = 1/101 (a permutation reaching it: far below 1e-6).
    np.testing.assert_allclose(p[truth > 0], 1 / 101)
    # Benjamini-Hochberg by hand: flag the k smallest, k the largest with p_(k) <= k alpha / m.
    # An independent pair is flagged at random (p ~ uniform), so the flags are checked against
    # the procedure, not against the truth (that would be a false alarm about 12% of the time).
    order = np.sort(p)
    passing = np.nonzero(order <= np.arange(1, len(p) + 1) * 0.05 / len(p))[0]
    cutoff = order[passing[-1]] if len(passing) else -1.0
    np.testing.assert_array_equal(s["excludes_zero"].to_numpy(), p <= cutoff)
    assert s["excludes_zero"].to_numpy()[truth > 0].all()
    assert (s["p_source"] == "permutation").all()
    assert "Benjamini-Hochberg" in s.attrs["statement"] and "10 pairs" in s.attrs["statement"]
    assert s.equals(ksg_matrix.summary())
    bonf = ksg_matrix.significant(alpha=0.05, correction="bonferroni")
    # Deterministic: Bonferroni needs p <= 0.005, below the smallest p-value 1/101.
    assert not bonf["excludes_zero"].any()
    # Bonferroni over 10 pairs needs p <= 0.005; 100 permutations reach 1/101 at best.
    assert "smallest p-value is 1/101" in bonf.attrs["statement"]


def test_gmm_x_against_y_covers_the_truth(df):
    m = bm.mi_matrix(
        df[["a", "d"]], df[["b", "e"]], method="gmm", seed=3, progress=False, n_draws=20
    )
    assert m.x_names == ["a", "d"] and m.y_names == ["b", "e"] and not m.symmetric
    table = m.to_dataframe()
    assert len(table) == 4
    for r in table.itertuples():
        truth = MI_TRUE.loc[r.x_var, r.y_var]
        assert abs(r.mean - truth) < 4 * r.sd + 0.01, (r.x_var, r.y_var)
    # A mixture's MI cannot fall below zero: near zero the draw test needs a threshold.
    s = m.significant(threshold=0.01)
    flagged = {(r.x_var, r.y_var) for r in s.itertuples() if r.excludes_zero}
    assert flagged == {("a", "b"), ("d", "e")}
    assert (s["p_source"] == "draws").all()


def test_groups_are_multidimensional_variables(df):
    groups = {"ab": ["a", "b"], "c": ["c"], "de": [3, 4]}
    m = bm.mi_matrix(df, method="ksg", groups=groups, seed=0, progress=False, **FAST_KSG)
    assert m.x_names == ["ab", "c", "de"]
    truth_ab_c = gaussian_group_mi(COV, [0, 1], [2])
    mean, sd = m.mean, m.sd
    assert abs(mean.loc["ab", "c"] - truth_ab_c) < 4 * sd.loc["ab", "c"] + 0.01
    assert abs(mean.loc["ab", "de"]) < 4 * sd.loc["ab", "de"] + 0.01
    assert "ab" in m.data.attrs["groups"]


def test_conditioning_on_z_gives_conditional_mi():
    # A chain X -> Z -> Y: I(X;Y) > 0 but I(X;Y|Z) = 0 exactly.
    x, y, z, cmi_true = truth.gaussian_chain(1.0, 1.0, 800, seed=2)
    table = pd.DataFrame({"x": x, "y": y})
    plain = bm.mi_matrix(table, method="ksg", seed=0, progress=False, **FAST_KSG)
    cond = bm.mi_matrix(table, z=z, method="ksg", seed=0, progress=False, **FAST_KSG)
    assert plain.mean.loc["x", "y"] > 0.1
    assert abs(cond.mean.loc["x", "y"] - cmi_true) < 4 * cond.sd.loc["x", "y"] + 0.01
    assert cond.data.attrs["conditional_on_z"] == 1 and cond.data.attrs["quantity"] == "cmi"


def test_a_pairs_warnings_reach_the_caller_with_its_names():
    # KSG is biased low at high MI (Gao, Ver Steeg & Galstyan 2015) and says so. At rho 0.9999
    # and n = 400 its estimate falls from k to 2k by 12-21 of its sds (12 measured data sets;
    # the warning needs 2); at rho 0.999 by only 1.6-3.9, too close to call.
    x, y, _ = truth.correlated_gaussian(0.9999, 400, seed=0)
    table = pd.DataFrame({"a": x[:, 0], "b": y[:, 0]})
    with pytest.warns(bm.HighMIWarning, match=r"mi_matrix, pair \('a', 'b'\): KSGMI"):
        bm.mi_matrix(table, method="ksg", progress=False, n_draws=20, n_permutations=0)


# -- seeds and determinism ---------------------------------------------------------------------
def test_adding_a_column_leaves_other_pairs_unchanged(df):
    small = bm.mi_matrix(df[["a", "b", "d"]], method="ksg", seed=5, progress=False, **FAST_KSG)
    big = bm.mi_matrix(
        df[["e", "a", "c", "b", "d"]], method="ksg", seed=5, progress=False, **FAST_KSG
    )
    for a, b in [("a", "b"), ("a", "d"), ("b", "d")]:
        np.testing.assert_array_equal(
            small.data["mi"].sel(x_var=a, y_var=b).values,
            big.data["mi"].sel(x_var=a, y_var=b).values,
        )
    other = bm.mi_matrix(df[["a", "b", "d"]], method="ksg", seed=6, progress=False, **FAST_KSG)
    assert not np.array_equal(small.data["mi"].values, other.data["mi"].values, equal_nan=True)
    assert pair_seed(5, "a", "b") != pair_seed(5, "b", "a") != pair_seed(6, "a", "b")


def wide(n=400, p=8, seed=3):
    """p columns sharing one factor: p (p - 1) / 2 pairs, enough for chunks of several pairs."""
    rng = truth.rng(seed=seed)
    f = rng.standard_normal(n)
    data = 0.5 * f[:, None] + np.sqrt(0.75) * rng.standard_normal((n, p))
    return pd.DataFrame(data, columns=[f"v{i}" for i in range(p)])


@pytest.fixture(scope="module")
def wide_serial():
    return bm.mi_matrix(wide(), method="ksg", seed=1, n_jobs=1, progress=False, **FAST_KSG)


def test_same_draws_whatever_n_jobs(wide_serial, monkeypatch):
    # Small chunks at first, then several pairs each (28 pairs, 2 workers): chunking must not
    # change a draw.
    sizes = []
    next_chunk = matrix._Chunker.next_chunk
    monkeypatch.setattr(
        matrix._Chunker,
        "next_chunk",
        lambda self: sizes.append(len(c := next_chunk(self) or [])) or (c or None),
    )
    two = bm.mi_matrix(wide(), method="ksg", seed=1, n_jobs=2, progress=False, **FAST_KSG)
    np.testing.assert_array_equal(wide_serial.data["mi"].values, two.data["mi"].values)
    np.testing.assert_array_equal(wide_serial.data["p_value"].values, two.data["p_value"].values)
    assert sum(sizes) == 28 and max(sizes) > 1


def test_chunks_follow_the_timings_and_shrink_at_the_end():
    tasks = [{"index": k} for k in range(100)]
    chunker = matrix._Chunker(tasks, n_workers=2)
    assert len(chunker.next_chunk()) == 1  # nothing timed yet
    chunker.record([{"seconds": matrix.CHUNK_SECONDS / 5}])
    assert len(chunker.next_chunk()) == 5  # about CHUNK_SECONDS of work
    chunker.record([{"seconds": matrix.CHUNK_SECONDS / 20}])  # mean now CHUNK_SECONDS / 8
    sizes = [len(c) for c in chunker]
    assert sizes[0] == 8 and sizes[-1] == 1  # shrinking to single pairs at the end
    assert all(s <= left // (matrix.CHUNK_SHARE * 2) or s == 1 for s, left in
               zip(sizes, 94 - np.cumsum([0, *sizes[:-1]]), strict=True))  # fmt: skip
    assert [t["index"] for t in tasks] == list(range(100))
    stopped = matrix._Chunker(tasks, n_workers=2)
    stopped.stop()
    assert stopped.next_chunk() is None


def test_a_chunk_is_sent_only_its_columns():
    data = {"X": np.arange(60.0).reshape(10, 6), "Y": None, "Z": None}
    tasks = [{"cols_x": [1], "cols_y": [4]}, {"cols_x": [2], "cols_y": [4]}]
    sub, renumbered = matrix._chunk_data(data, tasks)
    np.testing.assert_array_equal(sub["X"], data["X"][:, [1, 2, 4]])
    for t, r in zip(tasks, renumbered, strict=True):
        np.testing.assert_array_equal(sub["X"][:, r["cols_y"]], data["X"][:, t["cols_y"]])
    xy = {"X": data["X"], "Y": -data["X"], "Z": None}
    sub, renumbered = matrix._chunk_data(xy, [{"cols_x": [5], "cols_y": [0, 3]}])
    np.testing.assert_array_equal(sub["Y"][:, renumbered[0]["cols_y"]], -data["X"][:, [0, 3]])
    np.testing.assert_array_equal(sub["X"][:, renumbered[0]["cols_x"]], data["X"][:, [5]])


def test_each_pair_equals_a_single_estimate(df):
    m = bm.mi_matrix(df.iloc[:400, :3], method="bins", seed=2, progress=False, n_draws=30)
    r = bm.estimate(
        df["a"].iloc[:400],
        df["c"].iloc[:400],
        method="bins",
        seed=pair_seed(2, "a", "c"),
        n_draws=30,
        progress=False,
    )
    np.testing.assert_array_equal(m.data["mi"].sel(x_var="a", y_var="c").values, r.draws_nats)
    assert m.result("a", "c").mean == pytest.approx(r.mean)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_cluster_gives_the_local_draws(wide_serial, dask_client):
    remote = bm.mi_matrix(
        wide(), method="ksg", seed=1, backend="dask", client=dask_client, progress=False, **FAST_KSG
    )
    np.testing.assert_array_equal(wide_serial.data["mi"].values, remote.data["mi"].values)
    np.testing.assert_array_equal(wide_serial.data["p_value"].values, remote.data["p_value"].values)
    # The pairs really ran on the cluster's workers.
    assert len(dask_client.scheduler_info()["workers"]) == 2


# -- checkpoint and resume ---------------------------------------------------------------------
class _Interrupted(RuntimeError):
    pass


class GaussCorrMI(Estimator):
    """A cheap test method: Gaussian MI from the sample correlation, bootstrap draws. It counts
    its calls and can fail on a given call, to simulate an interrupted run."""

    name = "_test_gauss_corr"
    kind = "bootstrap"
    summary = "test only"
    calls = 0
    fail_on_call: int | None = None

    def __init__(self, n_bootstrap=30, *, seed=None, n_jobs=1, progress=True):
        self.n_bootstrap = n_bootstrap
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress

    def estimate(self, x, y, z=None):
        x, y, _ = check_paired(x, y, caller="GaussCorrMI")
        type(self).calls += 1
        if type(self).calls == type(self).fail_on_call:
            raise _Interrupted("simulated interruption")
        rng = np.random.default_rng(self.seed)
        idx = rng.integers(0, len(x), size=(self.n_bootstrap, len(x)))
        r = np.array([np.corrcoef(x[i, 0], y[i, 0])[0, 1] for i in idx])
        return MIResult(-0.5 * np.log1p(-(r**2))[None], kind="bootstrap", method=self.name)


@pytest.fixture
def gauss_corr():
    REGISTRY[GaussCorrMI.name] = GaussCorrMI
    GaussCorrMI.calls, GaussCorrMI.fail_on_call = 0, None
    yield GaussCorrMI
    del REGISTRY[GaussCorrMI.name]


def test_a_newly_registered_method_works_and_an_interrupted_run_resumes(df, tmp_path, gauss_corr):
    path = tmp_path / "partial.nc"
    kw = {"method": gauss_corr.name, "seed": 9, "progress": False}
    full = bm.mi_matrix(df, **kw)  # 10 pairs, no checkpoint
    assert gauss_corr.calls == 10
    assert abs(full.mean.loc["d", "e"] - MI_TRUE.loc["d", "e"]) < 4 * full.sd.loc["d", "e"]

    gauss_corr.calls, gauss_corr.fail_on_call = 0, 4
    with pytest.raises(_Interrupted) as info:
        bm.mi_matrix(df, checkpoint=path, **kw)
    assert any("while estimating pair" in note for note in info.value.__notes__)
    assert path.exists()  # the three finished pairs were saved

    gauss_corr.calls, gauss_corr.fail_on_call = 0, None
    resumed = bm.mi_matrix(df, checkpoint=path, **kw)
    assert gauss_corr.calls == 7  # only the missing pairs
    np.testing.assert_array_equal(resumed.data["mi"].values, full.data["mi"].values)

    gauss_corr.calls = 0
    again = bm.mi_matrix(df, checkpoint=path, **kw)  # complete: nothing left to do
    assert gauss_corr.calls == 0
    np.testing.assert_array_equal(again.data["mi"].values, full.data["mi"].values)

    with pytest.raises(ValueError, match=r"checkpoint .* different run .*seed"):
        bm.mi_matrix(df, checkpoint=path, **(kw | {"seed": 10}))

    # A run that drew its own seed resumes with that seed.
    drawn = tmp_path / "drawn.nc"
    gauss_corr.calls, gauss_corr.fail_on_call = 0, 2
    with pytest.raises(_Interrupted):
        bm.mi_matrix(df, checkpoint=drawn, **(kw | {"seed": None}))
    gauss_corr.fail_on_call = None
    first = bm.mi_matrix(df, checkpoint=drawn, **(kw | {"seed": None}))
    second = bm.mi_matrix(df, **(kw | {"seed": first.data.attrs["seed"]}))
    np.testing.assert_array_equal(first.data["mi"].values, second.data["mi"].values)


class FileFailMI(Estimator):
    """A cheap test method for worker processes: Gaussian MI from the sample correlation. It
    fails where a file ``fail-<seed>`` exists in ``folder`` and adds each finished pair's seed to
    ``folder/finished`` (files, since workers share no memory with the test)."""

    name = "_test_file_fail"
    kind = "bootstrap"
    summary = "test only"

    def __init__(self, folder="", n_bootstrap=10, *, seed=None, n_jobs=1, progress=True):
        self.folder = folder
        self.n_bootstrap = n_bootstrap
        self.seed = seed
        self.n_jobs = n_jobs
        self.progress = progress

    def estimate(self, x, y, z=None):
        from pathlib import Path

        folder = Path(self.folder)
        if (folder / f"fail-{self.seed}").exists():
            raise _Interrupted(f"simulated failure of the pair seeded {self.seed}")
        x, y, _ = check_paired(x, y, caller="FileFailMI")
        rng = np.random.default_rng(self.seed)
        idx = rng.integers(0, len(x), size=(self.n_bootstrap, len(x)))
        r = np.array([np.corrcoef(x[i, 0], y[i, 0])[0, 1] for i in idx])
        with open(folder / "finished", "a") as f:  # one short line: an atomic append
            f.write(f"{self.seed}\n")
        return MIResult(-0.5 * np.log1p(-(r**2))[None], kind="bootstrap", method=self.name)


@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_a_failure_mid_chunk_loses_no_finished_pair(backend, tmp_path, request, monkeypatch):
    REGISTRY[FileFailMI.name] = FileFailMI
    request.addfinalizer(lambda: REGISTRY.pop(FileFailMI.name))

    # Chunks of 5 pairs (the sizing rule is tested apart): pairs 15-19 form one chunk.
    def fives(self):
        if self.stopped or self.next_i >= len(self.tasks):
            return None
        self.next_i += 5
        return self.tasks[self.next_i - 5 : self.next_i]

    monkeypatch.setattr(matrix._Chunker, "next_chunk", fives)
    run = {"n_jobs": 2} if backend == "loky" else {"backend": "dask"}
    if backend == "dask":
        run["client"] = request.getfixturevalue("dask_client")
    table, path = wide(p=8), tmp_path / "partial.nc"
    kw = {"method": FileFailMI.name, "seed": 9, "progress": False, "folder": str(tmp_path)}
    finished = tmp_path / "finished"

    def seeds_finished():
        seeds = finished.read_text().split() if finished.exists() else []
        finished.unlink(missing_ok=True)
        return [int(s) for s in seeds]

    full = bm.mi_matrix(table, **kw)
    names = [(a, b) for i, a in enumerate(table.columns) for b in table.columns[i + 1 :]]
    seeds = [pair_seed(9, a, b) for a, b in names]
    assert sorted(seeds_finished()) == sorted(seeds)

    failing = names[17]  # the third pair of its chunk
    (tmp_path / f"fail-{pair_seed(9, *failing)}").touch()
    with pytest.raises(_Interrupted) as info:
        bm.mi_matrix(table, checkpoint=path, **kw, **run)
    assert any(f"pair {failing!r}" in note for note in info.value.__notes__)
    assert "Traceback" in str(info.value.__cause__)  # the worker's traceback travels along
    done_before = set(seeds_finished())
    assert pair_seed(9, *failing) not in done_before
    assert set(seeds[:17]) <= done_before  # 15 and 16 share the failing pair's chunk

    (tmp_path / f"fail-{pair_seed(9, *failing)}").unlink()
    resumed = bm.mi_matrix(table, checkpoint=path, **kw, **run)
    redone = seeds_finished()
    # Every pair that finished before the failure was on disk: none is computed again.
    assert sorted(redone) == sorted(set(seeds) - done_before)
    np.testing.assert_array_equal(resumed.data["mi"].values, full.data["mi"].values)
    again = bm.mi_matrix(table, checkpoint=path, **kw, **run)  # complete: nothing to hand out
    assert seeds_finished() == []
    np.testing.assert_array_equal(again.data["mi"].values, full.data["mi"].values)


# -- mixture methods at large n ----------------------------------------------------------------
def test_gmm_chooses_the_count_on_a_subsample(df):
    m = bm.mi_matrix(
        df[["d"]], df[["e"]], method="gmm", seed=0, progress=False, n_draws=8,
        select_subsample=500,
    )  # fmt: skip
    assert m.data["n_components"].values[0, 0] >= 1
    assert m.data.attrs["select_subsample"] == 500
    assert "n_components" in m.to_dataframe().columns
    r = m.result("d", "e")
    assert abs(r.mean - MI_TRUE.loc["d", "e"]) < 4 * r.sd + 0.01


# -- the object: tables, units, files, plot ----------------------------------------------------
def test_units_tables_files_and_plot(ksg_matrix, tmp_path):
    m = ksg_matrix
    bits = m.to("bits")
    np.testing.assert_allclose(bits.mean.to_numpy(), m.mean.to_numpy() / np.log(2))
    assert bits.mean.attrs["units"] == "bits"
    table = bits.to_dataframe(hdi_prob=0.8)
    assert (table["units"] == "bits").all()
    assert {"x_var", "y_var", "mean", "sd", "hdi_low", "hdi_high", "p_value"} <= set(table)
    assert (table["hdi_low"] <= table["mean"]).all() and (table["mean"] <= table["hdi_high"]).all()
    # Thresholds are read in the matrix's units.
    s_nats = m.significant(threshold=0.05)
    s_bits = bits.significant(threshold=0.05 / np.log(2))
    np.testing.assert_array_equal(s_nats["excludes_zero"], s_bits["excludes_zero"])

    path = m.to("bits").save(tmp_path / "m.nc")
    back = bm.load_matrix(path)
    assert back.units == "bits" and back.x_names == NAMES
    np.testing.assert_array_equal(back.data["mi"].values, m.data["mi"].values)
    assert back.method == "ksg" and back.kind == "subsample"
    assert "5 x 5 symmetric" in repr(back)

    ax = bits.plot(hdi_prob=0.9)
    assert "bits" in ax.figure.axes[-1].get_ylabel()  # the colour bar
    assert "bits" in ax.get_title()
    # Both cells of every flagged pair are outlined. Which pairs are flagged depends on the
    # independent pairs' random p-values (test_independent_pairs_are_not_flagged...), so the
    # count is read from significant(), not fixed at the 4 dependent pairs.
    flagged = int(bits.significant()["excludes_zero"].sum())
    assert flagged >= 4 and len(ax.patches) == 2 * flagged
    r = m.result("d", "e")
    assert isinstance(r, MIResult) and r.provenance["seed"] == pair_seed(0, "d", "e")
    lo, hi = m.hdi(0.9)
    np.testing.assert_array_equal([lo.loc["d", "e"], hi.loc["d", "e"]], r.hdi(0.9))


def test_numpy_input_names_and_adjust_p():
    rng = truth.rng(seed=0)
    x = rng.standard_normal((300, 2))
    y = rng.standard_normal(300)
    m = bm.mi_matrix(x, y, method="bins", seed=0, progress=False, n_draws=20)
    assert m.x_names == ["x0", "x1"] and m.y_names == ["y0"]
    # Benjamini-Hochberg by hand: sorted p times m / rank, then the running minimum from above.
    p = np.array([0.01, 0.04, 0.03, 0.2])
    np.testing.assert_allclose(adjust_p(p, "bh"), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    np.testing.assert_allclose(adjust_p(p, "bonferroni"), [0.04, 0.16, 0.12, 0.8])


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "nope"}, ValueError, "mi_matrix: method must be one of"),
        ({"n_neighbours": 3}, TypeError, r"method 'ksg' has no parameter\(s\) \['n_neighbours'\]"),
        ({"n_jobs": 0}, ValueError, "mi_matrix: n_jobs must be a positive integer or -1"),
        ({"backend": "spark"}, ValueError, "mi_matrix: backend must be one of"),
        ({"client": object()}, ValueError, "mi_matrix: client is only used with backend='dask'"),
        ({"seed": 1.5}, TypeError, "mi_matrix: seed must be an integer"),
        ({"select_subsample": 10}, ValueError, "mi_matrix: select_subsample must be"),
        ({"groups": {"g": ["a", "zz"]}}, ValueError, r"groups\['g'\] names column 'zz'"),
        ({"groups": {"g": ["a"], "h": ["a", "b"]}}, ValueError, "groups: column 'a' is in both"),
        ({"groups": {"g": []}}, ValueError, r"groups\['g'\] is empty"),
        ({"groups": ["a"]}, TypeError, "mi_matrix: groups must be a non-empty dict"),
        ({"z": np.zeros((5, 1)) + np.arange(5)[:, None]}, ValueError, "z must have as many rows"),
    ],
)
def test_bad_arguments_are_named(df, kwargs, error, match):
    kw = {"method": "ksg", "progress": False} | kwargs
    with pytest.raises(error, match=match):
        bm.mi_matrix(df, **kw)


def test_bad_data_is_named(df):
    with pytest.raises(ValueError, match="X and Y must have the same number of rows"):
        bm.mi_matrix(df, df.iloc[:10], progress=False)
    with pytest.raises(ValueError, match="X has repeated column names"):
        bm.mi_matrix(df[["a", "a", "b"]], progress=False)
    with pytest.raises(ValueError, match="X has a constant column 'k'"):
        bm.mi_matrix(df.assign(k=1.0), progress=False)
    with pytest.raises(ValueError, match="X has 1 column; pairs need at least 2"):
        bm.mi_matrix(df[["a"]], progress=False)
    with pytest.raises(TypeError, match=r"client must be a distributed\.Client"):
        bm.mi_matrix(df, backend="dask", client="tcp://nowhere", progress=False)
    with pytest.raises(ValueError, match="correction must be one of"):
        bm.mi_matrix(df.iloc[:200, :2], progress=False, **FAST_KSG).significant(correction="fdr")


@pytest.mark.parametrize("content", [b"not a checkpoint", None])
def test_a_file_that_is_not_a_checkpoint_is_named(tmp_path, content):
    # Issue 18, part 4: "file signature not found", without naming the checkpoint.
    import xarray as xr

    path = tmp_path / "ck.nc"
    if content is None:
        xr.Dataset({"t": ("time", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    else:
        path.write_bytes(content)
    frame = pd.DataFrame(truth.rng(seed=0).standard_normal((100, 3)), columns=list("abc"))
    with pytest.raises(ValueError, match=r"mi_matrix: checkpoint '.*ck.nc' is .*not a bayesmi che"):
        bm.mi_matrix(frame, method="bins", progress=False, checkpoint=path)

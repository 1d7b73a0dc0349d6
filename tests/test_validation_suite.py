"""The validation suite's panel holds what it claims (true values checked against Monte Carlo,
invariance under the transforms), and the suite runs end to end on its tiny size."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_t

from bayesmi import mixture, truth
from benchmarks.validation import methods as M
from benchmarks.validation.__main__ import main
from benchmarks.validation.panel import PANEL, get_cases, mixture_model
from benchmarks.validation.run import pooled_coverage, run_suite
from benchmarks.validation.tables import markdown_tables, panel_table


@pytest.mark.parametrize("rho, df, dim", [(0.0, 3, 1), (0.6, 5, 1), (0.5, 4, 2)])
def test_student_t_closed_form_matches_monte_carlo(rho, df, dim):
    # E[log p(x,y) - log p(x) - log p(y)] over 200k draws, densities from scipy (independent
    # of the closed form); 4 standard errors.
    x, y, mi_true = truth.student_t(rho, df, 200_000, dim=dim, seed=5)
    scale = np.block([[np.eye(dim), rho * np.eye(dim)], [rho * np.eye(dim), np.eye(dim)]])
    marg = multivariate_t(np.zeros(dim), np.eye(dim), df=df)
    pmi = (
        multivariate_t(np.zeros(2 * dim), scale, df=df).logpdf(np.hstack([x, y]))
        - marg.logpdf(x)
        - marg.logpdf(y)
    )
    se = pmi.std() / np.sqrt(len(pmi))
    assert abs(pmi.mean() - mi_true) < 4 * se
    assert mi_true > truth.gaussian_mi_value(rho, dim)  # the shared scale adds dependence


def test_student_t_tends_to_the_gaussian():
    assert truth.student_t_mi_value(0.6, 1e7) == pytest.approx(truth.gaussian_mi_value(0.6), 1e-5)


def test_mixture_quadrature_matches_monte_carlo():
    model = mixture_model()
    value_mc, se = mixture.mi(model, 1, method="mc", n_samples=4_000_000,
                              rng=truth.rng(seed=3))  # fmt: skip
    case = get_cases("mixture_x")[0]
    assert abs(case.truth_nats - value_mc) < 4 * se + 2e-4
    assert se < 1e-3


def test_discrete_uniform_exact_value():
    # width 1: the intervals are disjoint, x determines the label: MI = log(5)
    assert truth.discrete_uniform_mi_value(5, 1) == pytest.approx(np.log(5))
    # Monte Carlo of log p(x|c) - log p(x) with the piecewise-constant density of x
    x, _labels, mi_true = truth.discrete_uniform_shift(400_000, n_symbols=5, width=2, seed=2)
    covering = np.minimum(np.floor(x), 4) - np.maximum(np.floor(x) - 1, 0) + 1
    pmi = np.log(0.5) - np.log(covering / 10)
    assert abs(pmi.mean() - mi_true) < 4 * pmi.std() / np.sqrt(len(pmi))
    assert mi_true == pytest.approx(1.05492, abs=1e-5)


@pytest.mark.parametrize("name", sorted(truth.TRANSFORMS))
def test_transforms_are_strictly_increasing(name):
    # +-6 sds (the panel's samples stay inside: P(|x| > 6) = 2e-9): beyond it the uniform's
    # Phi(x) steps by less than a float's resolution at 1.
    grid = np.linspace(-6, 6, 100_001)
    assert np.all(np.diff(truth.TRANSFORMS[name](grid)) > 0)


def test_mi_is_invariant_under_the_transforms():
    # Equal-frequency bins depend on ranks only, which strictly increasing maps keep: the
    # `bins` estimate of the transformed data equals that of the Gaussian pair exactly.
    import bayesmi as bm

    x, y, mi_true = truth.correlated_gaussian(0.6, 2000, seed=4)
    kw = dict(method="bins", seed=0, progress=False, n_permutations=0, n_draws=20)
    ref = bm.estimate(x, y, **kw)
    for fx, fy in [("exp", "half_cube"), ("asinh", "wiggly")]:
        xt, yt, mi_t = truth.transformed_gaussian(0.6, 2000, fx=fx, fy=fy, seed=4)
        assert mi_t == mi_true
        assert bm.estimate(xt, yt, **kw).mean == pytest.approx(ref.mean, abs=1e-12)


def test_embedding_keeps_the_gaussian_mi():
    # The Gaussian MI of the sample covariance of the embedded data (closed form for a
    # Gaussian) recovers the 2-D value: the map is invertible and the padding independent.
    x, y, mi_true = truth.embedded_gaussian(0.6, 400_000, dim=2, embed_dim=4, seed=6)
    assert x.shape == (400_000, 4)
    cov = np.cov(np.hstack([x, y]).T)
    assert mixture.gaussian_mi(cov, 4) == pytest.approx(mi_true, abs=0.005)
    with pytest.raises(ValueError, match="embed_dim must be at least dim"):
        truth.embedded_gaussian(0.6, 10, dim=3, embed_dim=2)


def test_panel_cases_are_seeded_and_shaped():
    for case in PANEL:
        x, y, z = case.sample(50, rep=0)
        x2, _, _ = case.sample(50, rep=0)
        x3, _, _ = case.sample(50, rep=1)
        np.testing.assert_array_equal(x, x2)
        assert not np.array_equal(x, x3)
        assert (z is not None) == (case.quantity == "cmi")
        assert np.reshape(x, (50, -1)).shape[1] == case.dx
        assert np.reshape(y, (50, -1)).shape[1] == case.dy
        assert np.isfinite(case.truth_nats) and case.truth_nats >= 0 and case.source


def test_gaussian_panel_truths_match_the_plug_in_formula():
    # For Gaussian cases the Gaussian MI of a large sample's covariance is the truth.
    for case in get_cases("gauss_r0.9,gauss_3d_r0.5"):
        x, y, _ = case.sample(300_000, rep=0)
        cov = np.cov(np.hstack([x, y]).T)
        assert mixture.gaussian_mi(cov, case.dx) == pytest.approx(case.truth_nats, abs=0.006)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="cases: unknown case name"):
        get_cases("gauss_r0.6,nope")
    with pytest.raises(ValueError, match="methods: unknown or unavailable method"):
        run_suite("tiny", methods="gmm,nope")
    with pytest.raises(ValueError, match="size must be one of"):
        run_suite("huge")


def test_suite_runs_end_to_end(tmp_path):
    results, summary = run_suite(
        "tiny", methods="gmm,ksg,bins,sklearn", out=tmp_path, progress=False
    )
    for f in ("results.csv", "summary.csv", "meta.json", "coverage.png", "estimates.png",
              "coverage_table.png"):  # fmt: skip
        assert (tmp_path / f).stat().st_size > 0
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["panel"]["gauss_r0.6"]["truth_nats"] == pytest.approx(0.2231, abs=1e-4)
    # every method on both tiny cases, two data sets each, no errors
    assert len(summary) == 8 and (summary["reps"] == 2).all() and (summary["errors"] == 0).all()
    got = summary.set_index(["method", "case"])
    for col in ("cover50", "cover90", "cover95"):
        assert got[col].drop("sklearn").between(0, 1).all()
        assert got.loc["sklearn", col].isna().all()  # a point estimate has no interval
    # Both KSGs ran on every data set. (Their values are not compared here: the suite runs ksg
    # as users get it, on normal scores (marginals="auto"), and scikit-learn on the raw values;
    # the cores agree to 0.01 nats on the same values: test_ksg.py, test_matches_scikit_learn.)
    ks = results[results["method"].isin(["ksg", "sklearn"])].pivot_table(
        index=["case", "rep"], columns="method", values="estimate"
    )
    assert ks.shape == (4, 2) and np.isfinite(ks.to_numpy()).all()
    # estimates are near the truth at n = 200 (a loose check: these are two data sets)
    assert (summary["rmse_nats"] < 0.3).all()
    pooled = pooled_coverage(summary)
    assert set(pooled["method"]) == {"gmm", "ksg", "bins", "sklearn"}
    text = markdown_tables(tmp_path)
    assert "| gmm |" in text and "### Per case and n" in text
    # side by side: a row per case, the bayesmi methods before the peers
    table = text.split("### Side by side at n = 200")[1].split("###")[0]
    assert "| case | truth | gmm | ksg | bins | sklearn |" in table
    row = next(line for line in table.splitlines() if line.startswith("| gauss_r0.6 "))
    assert row.count("[") == 3  # coverage for the three with draws, none for scikit-learn


def test_a_lower_bound_is_scored_one_sided():
    from benchmarks.validation.run import summarise

    # Three data sets of one case (truth 0.5): the 5% quantile at or below it in two.
    results = pd.DataFrame({
        "method": ["bins"] * 3, "case": ["gauss_r0.6"] * 3, "n": [300] * 3,
        "truth_nats": [0.5] * 3, "rep": [0, 1, 2], "seconds": [0.1] * 3,
        "error": [""] * 3, "warnings": [""] * 3, "estimate": [0.3, 0.45, 0.6],
        "sd": [0.02] * 3, "eti90_lo": [0.25, 0.5, 0.55], "eti90_hi": [0.35, 0.6, 0.65],
    })  # fmt: skip
    s = summarise(results)
    assert s["lower95_held"].iloc[0] == pytest.approx(2 / 3)
    assert s["cover90_eti"].iloc[0] == pytest.approx(1 / 3)
    assert pooled_coverage(s)["lower95_held"].iloc[0] == pytest.approx(2 / 3)


def test_head_to_head_uses_only_the_data_sets_both_ran():
    from benchmarks.validation.tables import head_to_head

    def rows(method, est, seconds, errors=("", "", ""), interval=True):
        return pd.DataFrame({
            "method": method, "case": "gauss_r0.6", "n": 300, "rep": [0, 1, 2],
            "truth_nats": 0.5, "estimate": est, "seconds": seconds, "error": list(errors),
            "hdi90_lo": [e - 0.05 for e in est] if interval else np.nan,
            "hdi90_hi": [e + 0.05 for e in est] if interval else np.nan,
        })  # fmt: skip

    results = pd.concat([
        rows("gmm", [0.5, 0.6, 0.45], [1.0, 1.0, 1.0]),
        rows("gmmmi", [0.7, 0.5, 9.9], [4.0, 6.0, 5.0], errors=("", "", "crash")),
    ])  # fmt: skip
    (row,) = head_to_head(results, [("gmm", "gmmmi")]).to_dict("records")
    assert row["data_sets"] == 2  # the peer's crash leaves rep 2 out for both
    assert row["mae_a"] == pytest.approx(0.05) and row["mae_b"] == pytest.approx(0.1)
    assert row["rmse_b"] == pytest.approx(np.sqrt(0.02))
    assert row["cover90_a"] == 0.5 and row["cover90_b"] == 0.5
    assert row["time_ratio"] == pytest.approx(5.0)


def test_discrete_cases_use_each_method_discrete_option():
    case = get_cases("discrete_uniform5")[0]
    assert M.settings_for("gmm", "small", case) == {"categorical": True}
    assert M.settings_for("ksg", "small", case) == {"categorical": True}


def test_panel_table_lists_every_case_with_its_source():
    text = panel_table()
    for case in PANEL:
        assert f"`{case.name}`" in text
    assert "x \\| y" in text  # a bar inside a cell is escaped


def test_cli_list_and_bad_method(capsys):
    assert main(["list"]) == 0
    assert "student_df3_r0" in capsys.readouterr().out
    assert main(["run", "--size", "tiny", "--methods", "nope", "--no-progress"]) == 2
    assert "methods: unknown" in capsys.readouterr().err


def test_external_peers_join_only_where_their_environment_exists(monkeypatch, tmp_path):
    for peer in M.EXTERNAL.values():
        monkeypatch.setenv(peer.env_var, str(tmp_path / "no_env"))
    assert not set(M.EXTERNAL) & set(M.available_methods())
    with pytest.raises(ValueError, match=r"bmi_ksg: bash benchmarks/setup_bmi_env\.sh"):
        run_suite("tiny", methods="ksg,bmi_ksg")


FAKE_BATCH = """
import sys
import numpy as np
import peer_io

def gaussian_mi(x, y):
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    return {"estimate_nats": -0.5 * np.log1p(-r * r)}

for x, y, seed, methods, put in peer_io.datasets(sys.argv[1]):
    for m in methods:
        put(m, (lambda: gaussian_mi(x, y)) if m == "fake_gauss" else (lambda: 1 / 0))
peer_io.write(sys.argv[2])
"""


def test_an_external_peer_runs_through_the_batch_format(monkeypatch, tmp_path):
    # A stand-in peer in a stand-in environment (this interpreter): the suite writes the
    # data sets, runs the script in a subprocess and reads its rows back, side by side.
    import shutil
    import sys

    env = tmp_path / "env" / "bin"
    env.mkdir(parents=True)
    (env / "python").symlink_to(sys.executable)
    shutil.copy(M.HERE / "peer_io.py", tmp_path / "peer_io.py")
    (tmp_path / "fake_batch.py").write_text(FAKE_BATCH)
    monkeypatch.setattr(M, "HERE", tmp_path)
    monkeypatch.setenv("FAKE_ENV", str(tmp_path / "env"))
    fake = {
        name: M.ExternalPeer(name, "FAKE_ENV", "", "fake_batch.py", "make it",
                             lambda c: c.one_dimensional and not c.discrete_y, reps="all")
        for name in ("fake_gauss", "fake_crash")
    }  # fmt: skip
    monkeypatch.setattr(M, "EXTERNAL", fake)
    results, summary = run_suite(
        "tiny", methods="ksg,fake_gauss,fake_crash", out=tmp_path / "run", progress=False
    )
    got = summary.set_index(["method", "case"])
    # on the continuous case only, both data sets; the same data as ksg saw
    assert got.loc[("fake_gauss", "gauss_r0.6"), "reps"] == 2
    assert ("fake_gauss", "discrete_uniform5") not in got.index
    assert np.isnan(got.loc[("fake_gauss", "gauss_r0.6"), "cover90"])  # a point estimate
    assert got.loc[("fake_gauss", "gauss_r0.6"), "rmse_nats"] < 0.15
    crashed = results[results["method"] == "fake_crash"]
    assert len(crashed) == 2 and crashed["error"].str.contains("ZeroDivisionError").all()
    text = markdown_tables(tmp_path / "run")
    assert "| fake_gauss | 1 | 2 | point estimate: no coverage |" in text
    assert not (tmp_path / "run" / "results_before_peers.csv").exists()  # folded in


def test_runs_side_by_side_need_the_same_seed(tmp_path):
    for name, seed in (("a", 0), ("b", 1)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(json.dumps({"seed": seed}))
        (tmp_path / name / "summary.csv").write_text("method,case,n\n")
    with pytest.raises(ValueError, match="markdown: the runs used different seeds"):
        markdown_tables(tmp_path / "a", tmp_path / "b")


def test_a_rerun_replaces_one_methods_rows(tmp_path):
    from benchmarks.validation.run import replace_method

    run_suite("tiny", methods="bins,sklearn", out=tmp_path / "a", progress=False)
    run_suite("tiny", methods="sklearn", out=tmp_path / "b", progress=False, reps=1)
    replace_method(tmp_path / "a", tmp_path / "b", "sklearn", why="a test")
    summary = (tmp_path / "a" / "summary.csv").read_text()
    assert "bins,gauss_r0.6,200,0.2231,2," in summary  # kept
    assert "sklearn,gauss_r0.6,200,0.2231,1," in summary  # replaced: one data set now
    meta = json.loads((tmp_path / "a" / "meta.json").read_text())
    assert meta["reruns"][0]["method"] == "sklearn" and meta["reruns"][0]["why"] == "a test"
    with pytest.raises(ValueError, match="has no rows of method 'gmm'"):
        replace_method(tmp_path / "a", tmp_path / "b", "gmm")


def test_slow_reps_overrides_how_many_data_sets_the_slow_methods_get(monkeypatch, tmp_path):
    # bins made "slow" for the test: on the first peer_reps data sets only (tiny: 1 of 2)
    monkeypatch.setitem(M.SCOPES, "bins", M.Scope(None, None, "peer"))
    results, _ = run_suite("tiny", methods="bins", progress=False)
    assert set(results["rep"]) == {0}
    results, _ = run_suite("tiny", methods="bins", progress=False, slow_reps=2, out=tmp_path)
    assert set(results["rep"]) == {0, 1}
    assert json.loads((tmp_path / "meta.json").read_text())["slow_reps"] == 2
    for bad in (0, -1):
        with pytest.raises(ValueError, match=r"run_suite: slow_reps must be >= 1"):
            run_suite("tiny", methods="bins", progress=False, slow_reps=bad)
    with pytest.raises(TypeError, match=r"run_suite: slow_reps must be an integer"):
        run_suite("tiny", methods="bins", progress=False, slow_reps=1.5)
    with pytest.raises(ValueError, match=r"run_suite: reps must be >= 1, got 0"):
        run_suite("tiny", methods="bins", progress=False, reps=0)


def test_slow_methods_run_only_where_their_scope_says():
    from benchmarks.validation.run import _task

    gauss, disc = get_cases("gauss_r0.6")[0], get_cases("discrete_uniform5")[0]
    assert M.runs_on("gmm", disc, 300, 49, 5)  # a fast method: every data set
    assert M.runs_on("bayes_gmm", gauss, 1000, 4, 5)
    assert not M.runs_on("bayes_gmm", gauss, 1000, 5, 5)  # beyond the size's peer_reps
    assert not M.runs_on("bayes_gmm", gauss, 300, 0, 5)  # n = 1000 only
    assert not M.runs_on("bayes_gmm", disc, 1000, 0, 5)  # not one of its cases
    assert M.runs_on("neural", get_cases("embed_2in4_r0.6")[0], 1000, 0, 5)
    assert not M.runs_on("latent", get_cases("student_df3_r0")[0], 1000, 0, 5)
    # a data set out of bayes_gmm's scope: only gmm's row, and bayes_gmm is never fitted
    rows = _task("tiny", ["gmm", "bayes_gmm"], 0, 5, (gauss, 200, 0))
    assert [r["method"] for r in rows] == ["gmm"]


def test_full_size_leaves_the_external_peers_out_unless_named(monkeypatch, tmp_path):
    from benchmarks.validation.run import SIZES, _check_methods

    assert not SIZES["full"].external_peers and not SIZES["small"].external_peers
    assert SIZES["medium"].external_peers
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text("")
    monkeypatch.setenv("GMMMI_ENV", str(tmp_path))  # gmm-mi's environment "exists"
    assert "gmmmi" in _check_methods(None)  # medium: every peer that can run
    assert "gmmmi" not in _check_methods(None, external_peers=False)  # full: bayesmi + sklearn
    assert "sklearn" in _check_methods(None, external_peers=False)
    assert _check_methods("gmm,gmmmi", external_peers=False) == ["gmm", "gmmmi"]  # named: runs

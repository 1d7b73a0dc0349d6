"""The command line: estimate and kl on data files, column selection, errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi import truth
from bayesmi.cli import main
from bayesmi.tables import load_table, select_columns


@pytest.fixture
def table_files(tmp_path):
    x, y, mi_true = truth.correlated_gaussian(0.6, 1000, dim=2, seed=0)
    z = truth.rng(seed=1).standard_normal(1000)
    df = pd.DataFrame({"f1_0": x[:, 0], "f1_1": x[:, 1], "f2_0": y[:, 0], "f2_1": y[:, 1], "z": z})
    csv = tmp_path / "d.csv"
    df.to_csv(csv, index=False)
    npz = tmp_path / "d.npz"
    np.savez(npz, a=x, b=y)
    npy = tmp_path / "d.npy"
    np.save(npy, np.hstack([x, y]))
    return {"csv": csv, "npz": npz, "npy": npy, "truth": mi_true}


def test_estimate_by_prefix_saves_and_prints_units(table_files, tmp_path, capsys):
    out = tmp_path / "r.nc"
    rc = main(
        [
            "estimate",
            str(table_files["csv"]),
            "--x",
            "f1_*",
            "--y",
            "f2_*",
            "--method",
            "ksg",
            "--seed",
            "0",
            "--no-progress",
            "--param",
            "n_permutations=5",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "nats" in text and "x: f1_0, f1_1 | y: f2_0, f2_1" in text
    r = bm.load(out)
    assert abs(r.mean - table_files["truth"]) < 4 * r.sd
    assert r.provenance["params"]["n_permutations"] == 5


def test_estimate_same_as_python(table_files, capsys):
    main(
        [
            "estimate",
            str(table_files["npz"]),
            "--x",
            "a_*",
            "--y",
            "b_0,b_1",
            "--seed",
            "3",
            "--no-progress",
            "--param",
            "n_draws=5",
            "--bits",
        ]
    )
    text = capsys.readouterr().out
    df = load_table(table_files["npz"])
    r = bm.estimate(df[["a_0", "a_1"]], df[["b_0", "b_1"]], seed=3, n_draws=5, progress=False)
    assert str(r.to("bits")) in text


def test_conditional_and_kl(table_files, capsys):
    assert (
        main(
            [
                "estimate",
                str(table_files["csv"]),
                "--x",
                "f1_0",
                "--y",
                "f2_0",
                "--z",
                "z",
                "--seed",
                "0",
                "--no-progress",
                "--param",
                "n_draws=5",
            ]
        )
        == 0
    )
    assert "I(X;Y|Z)" in capsys.readouterr().out
    assert (
        main(
            [
                "kl",
                str(table_files["npy"]),
                "--x",
                "0",
                "--y",
                "2",
                "--seed",
                "0",
                "--no-progress",
                "--param",
                "n_draws=5",
            ]
        )
        == 0
    )
    assert "KL(p_X || p_Y)" in capsys.readouterr().out


def run_cli(*args, cwd=None):
    """The installed ``bayesmi`` command, as a user runs it."""
    exe = Path(sys.executable).with_name("bayesmi")
    return subprocess.run(
        [str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture
def bad_files(tmp_path):
    good = pd.DataFrame({"a": np.arange(200.0) % 7, "b": np.sin(np.arange(200.0))})
    words = good.assign(c=["w"] * 200)
    holes = good.copy()
    holes.loc[[3, 9], "b"] = np.nan
    files = {"good": tmp_path / "good.csv", "words": tmp_path / "w.csv", "nan": tmp_path / "n.csv"}
    good.to_csv(files["good"], index=False)
    words.to_csv(files["words"], index=False)
    holes.to_csv(files["nan"], index=False)
    files["xlsx"] = tmp_path / "d.xlsx"
    files["xlsx"].write_text("x")
    files["missing"] = tmp_path / "none.csv"
    return files


@pytest.mark.parametrize(
    ("case", "argv", "code", "message"),
    [
        ("missing", ["--x", "a", "--y", "b"], 2, "none.csv' does not exist"),
        ("xlsx", ["--x", "a", "--y", "b"], 2, "unknown data file type '.xlsx'"),
        ("good", ["--x", "nope", "--y", "b"], 2, "--x: no column matches 'nope'"),
        ("good", ["--x", "a", "--y", "a"], 2, "--x and --y share columns"),
        ("good", ["--x", "a", "--y", "b", "--param", "oops"], 2, "must look like key=value"),
        ("good", ["--x", "a", "--y", "b", "--method", "magic"], 2, "unknown method 'magic'"),
        ("good", ["--x", "a"], 2, "Missing option '--y'"),
        ("good", ["--x", "a", "--y", "b", "--bogus"], 2, "No such option '--bogus'"),
        ("words", ["--x", "a", "--y", "c"], 1, "column 'c' (--y) is not numeric"),
        ("nan", ["--x", "a", "--y", "b"], 1, "column 'b' (--y) has missing or NaN values"),
        ("good", ["--x", "a", "--y", "b", "--param", "n_draws=-3"], 1, "n_draws"),
        ("good", ["--x", "a", "--y", "b", "--param", "colour=1"], 1, "no parameter(s) ['colour']"),
    ],
)
def test_bad_input_one_line_and_exit_code(bad_files, case, argv, code, message):
    done = run_cli("estimate", bad_files[case], "-q", *argv)
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("bayesmi estimate: error:") and message in lines[0], lines[0]
    assert done.stdout == ""


def test_installed_command_quiet_version_help_and_report(bad_files, tmp_path):
    out = tmp_path / "r.nc"
    done = run_cli(
        "estimate", bad_files["good"], "--x", "a", "--y", "b", "--method", "ksg",
        "--seed", "0", "--param", "n_permutations=0", "--out", out, "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar, no warning under --quiet
    assert done.stdout.count("\n") == 1 and "nats" in done.stdout
    loud = run_cli("estimate", bad_files["good"], "--x", "a", "--y", "b", "--method", "ksg")
    assert loud.returncode == 0 and "%" in loud.stderr  # the progress bar, on stderr
    assert run_cli("--version").stdout.startswith("bayesmi, version ")
    helped = run_cli("estimate", "--help")
    assert helped.returncode == 0 and "--param KEY=VALUE" in helped.stdout
    rep = run_cli("report", out, "-o", tmp_path / "rep" / "page.html")
    assert rep.returncode == 0 and (tmp_path / "rep" / "page.html").exists()
    bad = tmp_path / "not_a_result.nc"
    bad.write_text("nope")
    failed = run_cli("report", bad, "-o", tmp_path / "x.html")
    assert failed.returncode == 1 and "not a bayesmi result file" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert "Kraskov" in run_cli("cite", "ksg").stdout


def test_compare_command(table_files, tmp_path):
    done = run_cli(
        "compare", table_files["csv"], "--x", "f1_0", "--y", "f2_0", "--methods", "ksg,bins",
        "-q", "-o", tmp_path / "c.html",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "by 2 methods" in done.stdout and ("agree" in done.stdout or "DISAGREE" in done.stdout)
    assert (tmp_path / "c.html").exists()


def test_select_columns_keeps_order_without_repeats():
    df = pd.DataFrame(columns=["a1", "a2", "b", "a3"])
    assert select_columns(df, "a*,b,a1", "x") == ["a1", "a2", "a3", "b"]


# -- issue 18, part 4: never a traceback, every message names the argument ---------------------
@pytest.fixture
def odd_files(tmp_path):
    rng = truth.rng(seed=4)
    good = pd.DataFrame({"a": rng.standard_normal(200), "b": rng.standard_normal(200)})
    files = {"good": tmp_path / "good.csv"}
    good.to_csv(files["good"], index=False)
    files["inf"] = tmp_path / "inf.csv"
    good.assign(b=np.where(np.arange(200) == 5, np.inf, good["b"])).to_csv(
        files["inf"], index=False
    )
    files["tiny"] = tmp_path / "tiny.csv"
    (good * 1e-300).to_csv(files["tiny"], index=False)
    full = tmp_path / "full.npz"
    np.savez(full, a=good["a"].to_numpy(), b=good["b"].to_numpy())
    files["truncated"] = tmp_path / "cut.npz"
    files["truncated"].write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    files["text"] = tmp_path / "text.npy"
    files["text"].write_text("a,b\n1,2\n")
    files["cube"] = tmp_path / "cube.npy"
    np.save(files["cube"], np.zeros((4, 3, 2)))
    files["blocked"] = tmp_path / "a_file"
    files["blocked"].write_text("x")
    return files


@pytest.mark.parametrize(
    ("case", "argv", "code", "message"),
    [
        (
            "truncated",
            ["--x", "a", "--y", "b"],
            1,
            "cut.npz: not a NumPy .npz archive (numpy.savez): the archive is damaged",
        ),
        ("text", ["--x", "0", "--y", "1"], 1, "it does not start with NumPy's header"),
        ("cube", ["--x", "0", "--y", "1"], 1, "cube.npy: a .npy file must hold a 1-D or 2-D"),
        ("inf", ["--x", "a", "--y", "b"], 1, "column 'b' (--y) has infinite values (first at"),
        ("tiny", ["--x", "a", "--y", "b", "--method", "bayes_gmm"], 1, "x column 0 varies over"),
        ("good", ["--x", "a", "--y", "b", "--seed", "-1"], 1, "seed must be None or a non-neg"),
        ("good", ["--x", "a", "--y", "b", "--seed", "abc"], 2, "Invalid value for '--seed'"),
        ("good", ["--x", "a", "--y", "b", "--n-jobs", "0"], 1, "n_jobs must not be 0"),
        ("good", ["--x", "a", "--y", "b", "--param", "method=bins"], 2, "override --method"),
        ("good", ["--x", "a", "--y", "b", "--param", "seed=2"], 2, "'seed=2' would override --s"),
        ("good", ["--x", "a", "--y", "b", "--z", "a"], 2, "--z and --x share columns ['a']"),
        ("good", ["--x", "a", "--y", "b", "--out", "BLOCKED/r.nc"], 2, "for --out: cannot write"),
    ],
)
def test_odd_input_one_line_and_exit_code(odd_files, capsys, case, argv, code, message):
    argv = [str(odd_files["blocked"]) + "/r.nc" if a == "BLOCKED/r.nc" else a for a in argv]
    # gmm, the default method, with a cheap bootstrap; bayes_gmm fails at its input check.
    cheap = [] if "--method" in argv else ["--param", "n_draws=2"]
    rc = main(["estimate", str(odd_files[case]), "-q", *argv, *cheap])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == code, err
    assert len(lines) == 1 and lines[0].startswith("bayesmi estimate: error:"), err
    assert message in lines[0], lines[0]
    assert lines[0].count(Path(odd_files[case]).name) <= 1


def test_report_on_foreign_files_is_one_line(odd_files, tmp_path, capsys):
    import xarray as xr

    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"t": ("time", np.arange(3.0))}).to_netcdf(foreign)
    matrix = tmp_path / "m.nc"
    frame = pd.DataFrame(truth.rng(seed=0).standard_normal((100, 3)), columns=list("abc"))
    bm.mi_matrix(frame, method="bins", seed=0, progress=False, n_draws=5).save(matrix)
    for path, message in [
        (foreign, "is not a bayesmi result file: it is a netCDF file of another kind"),
        (matrix, "a saved MIMatrix (load it with bm.load_matrix)"),
        (odd_files["text"], "is not a bayesmi result file"),
    ]:
        rc = main(["report", str(path), "-o", str(tmp_path / "r.html")])
        lines = capsys.readouterr().err.strip().splitlines()
        assert rc == 1 and len(lines) == 1 and message in lines[0], lines


def test_unwritable_output_found_before_the_computation(odd_files, capsys, monkeypatch):
    import bayesmi.truth

    def boom(*args, **kwargs):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr(bayesmi.truth, "correlated_gaussian", boom)
    rc = main(["demo", "--out", str(odd_files["blocked"] / "plot.png"), "--no-progress"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(lines) == 1, lines
    assert "Invalid value for --out" in lines[0] and "is not a folder" in lines[0]


def test_report_of_files_with_one_stem_keeps_both(table_files, tmp_path, capsys):
    # Issue 18, part 3: `bayesmi report a/r.nc b/r.nc` kept one result and exited 0.
    x, y, _ = truth.correlated_gaussian(0.5, 300, seed=0)
    for sub, seed in (("a", 0), ("b", 1)):
        (tmp_path / sub).mkdir()
        bm.estimate(x, y, method="bins", seed=seed, progress=False, n_draws=5).save(
            tmp_path / sub / "r.nc"
        )
    rc = main(["report", str(tmp_path / "a" / "r.nc"), str(tmp_path / "b" / "r.nc"), "-q",
               "-o", str(tmp_path / "out" / "rep.html")])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.nc")) == ["rep_a_r.nc", "rep_b_r.nc"]


def test_bool_column_is_binned_by_value(tmp_path, capsys):
    # Issue 18, 2.1: the CLI read MI 0.000 [0, 0] for bins on a bool column (truth 0.13 here).
    x, y, _ = truth.correlated_gaussian(0.6, 2000, seed=3)
    path = tmp_path / "b.csv"
    pd.DataFrame({"flag": x[:, 0] > 0, "y": y[:, 0]}).to_csv(path, index=False)
    cheap = ["--param", "n_permutations=0", "--param", "n_draws=50"]
    rc = main(["estimate", str(path), "--x", "flag", "--y", "y", "--method", "bins", "-q",
               "--seed", "0", *cheap])  # fmt: skip
    assert rc == 0
    mean = float(capsys.readouterr().out.split("=")[1].split()[0])
    assert mean > 0.08

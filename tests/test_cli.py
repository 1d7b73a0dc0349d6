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
    z = np.random.default_rng(1).standard_normal(1000)
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
            "n_bootstrap=5",
            "--bits",
        ]
    )
    text = capsys.readouterr().out
    df = load_table(table_files["npz"])
    r = bm.estimate(df[["a_0", "a_1"]], df[["b_0", "b_1"]], seed=3, n_bootstrap=5, progress=False)
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
                "n_bootstrap=5",
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
                "n_bootstrap=5",
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
        ("good", ["--x", "a", "--y", "b", "--param", "n_bootstrap=-3"], 1, "n_bootstrap"),
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

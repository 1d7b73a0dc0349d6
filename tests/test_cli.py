"""The command line: estimate and kl on data files, column selection, errors."""

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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--x", "nope", "--y", "f2_0"], "--x: no column matches 'nope'"),
        (["--x", "f1_0", "--y", "f1_0"], "--x and --y share columns"),
        (["--x", "f1_0", "--y", "f2_0", "--param", "oops"], "--param must look like key=value"),
        (["--x", "f1_0", "--y", "f2_0", "--method", "magic"], "method must be one of"),
    ],
)
def test_errors_are_one_clear_line(table_files, capsys, argv, message):
    assert main(["estimate", str(table_files["csv"]), "--no-progress", *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_and_unknown_files(tmp_path, capsys):
    assert main(["estimate", str(tmp_path / "none.csv"), "--x", "a", "--y", "b"]) == 2
    assert "no data file" in capsys.readouterr().err
    bad = tmp_path / "d.xlsx"
    bad.write_text("x")
    assert main(["estimate", str(bad), "--x", "a", "--y", "b"]) == 2
    assert "unknown data file type '.xlsx'" in capsys.readouterr().err


def test_select_columns_keeps_order_without_repeats():
    df = pd.DataFrame(columns=["a1", "a2", "b", "a3"])
    assert select_columns(df, "a*,b,a1", "x") == ["a1", "a2", "a3", "b"]

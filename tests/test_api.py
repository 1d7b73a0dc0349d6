"""The front door, the registry and the package surface."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import bayesmi as bm
from bayesmi import truth


def test_import_is_light():
    # torch, PyMC, ArviZ, pandas, xarray and Dask are imported only by the code that needs them.
    heavy = ("torch", "pymc", "arviz", "pandas", "xarray", "dask", "distributed")
    code = f"import sys, bayesmi; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_method():
    with pytest.raises(ValueError, match=r"method must be one of \[.*'gmm'.*\], got 'magic'"):
        bm.estimate([1.0, 2.0], [1.0, 2.0], method="magic")


def test_unknown_parameter():
    with pytest.raises(TypeError, match=r"method 'gmm' has no parameter\(s\) \['n_boot'\]"):
        bm.estimate([1.0, 2.0], [1.0, 2.0], method="gmm", n_boot=3)


def test_estimator_class_api():
    est = bm.GMMMI(n_draws=7, seed=3)
    assert est.get_params()["n_draws"] == 7
    est.set_params(n_draws=5)
    assert est.n_draws == 5
    with pytest.raises(TypeError, match="unknown parameter 'nope'"):
        est.set_params(nope=1)
    assert "GMMMI(n_draws=5" in repr(est)


def test_methods_table():
    table = bm.methods()
    assert table.loc["gmm", "kind"] == "bootstrap"


def test_front_door_equals_class_and_takes_any_array_type():
    x, y, _ = truth.correlated_gaussian(0.6, n=300, seed=4)
    kw = {"n_draws": 5, "seed": 9, "progress": False}
    ref = bm.GMMMI(**kw).estimate(x, y)
    assert np.array_equal(bm.estimate(x, y, method="gmm", **kw).draws_nats, ref.draws_nats)
    from_pandas = bm.estimate(pd.Series(x[:, 0]), pd.DataFrame(y), **kw)
    from_torch = bm.estimate(torch.tensor(x), torch.tensor(y), **kw)
    from_lists = bm.estimate(x[:, 0].tolist(), y[:, 0].tolist(), **kw)
    for r in (from_pandas, from_torch, from_lists):
        np.testing.assert_array_equal(r.draws_nats, ref.draws_nats)


def test_units_on_request():
    x, y, _ = truth.correlated_gaussian(0.6, n=300, seed=4)
    r = bm.estimate(x, y, units="bits", n_draws=5, seed=0, progress=False)
    assert r.units == "bits"
    assert r.mean == pytest.approx(r.draws_nats.mean() / np.log(2))


def test_cli_demo(tmp_path, capsys):
    from bayesmi.cli import main

    out = tmp_path / "demo.png"
    assert main(["demo", "--n", "400", "--no-progress", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "true I(X;Y)" in text and "nats" in text and "bits" in text
    assert out.stat().st_size > 1000


def test_cli_version_and_methods(capsys):
    from bayesmi.cli import main

    assert main(["methods"]) == 0
    assert "gmm" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert bm.__version__ in capsys.readouterr().out
    assert main(["demo", "--rho", "1.5"]) == 2  # bad usage
    assert "--rho" in capsys.readouterr().err

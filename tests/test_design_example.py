"""The smallest complete method of docs/design.md, run from the page itself: what the page
promises a new method gets by following it."""

import re
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

import bayesmi as bm
from bayesmi import truth
from bayesmi.estimators import REGISTRY

PAGE = Path(__file__).resolve().parent.parent / "docs" / "design.md"


@pytest.fixture(scope="module")
def example():
    text = PAGE.read_text()
    section = text[text.index("### The smallest complete method") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    # A module outside sys.modules: workers receive its functions by value (cloudpickle).
    module = types.ModuleType("design_example")
    exec(compile(code, str(PAGE), "exec"), module.__dict__)
    try:
        yield module.GaussianMI
    finally:
        REGISTRY.pop("gaussian_example", None)


def test_the_example_registers_and_recovers_the_truth(example):
    assert REGISTRY["gaussian_example"] is example
    x, y, mi_true_nats = truth.correlated_gaussian(0.6, n=1000, seed=12)
    r = bm.estimate(x, y, method="gaussian_example", seed=0, progress=False)
    assert (
        r.draws_nats.shape == (1, 50) and r.kind == "bootstrap" and r.method == "gaussian_example"
    )
    # 4 sds of its bootstrap spread: about one false alarm in 16,000 data sets
    assert abs(r.mean - mi_true_nats) < 4 * r.sd
    assert r.provenance["params"] == {
        "n_draws": 50, "seed": 0, "n_jobs": 1, "progress": False, "backend": None
    }  # fmt: skip


def test_the_example_keeps_the_contract(example, tmp_path):
    x, y, _ = truth.correlated_gaussian(0.6, n=200, seed=3)
    one = example(n_draws=8, seed=1, progress=False).estimate(x, y)
    two = example(n_draws=8, seed=1, n_jobs=2, progress=False).estimate(x, y)
    np.testing.assert_array_equal(one.draws_nats, two.draws_nats)
    other = example(n_draws=8, seed=2, progress=False).estimate(x, y)
    assert not np.array_equal(one.draws_nats, other.draws_nats)
    back = bm.load(one.save(tmp_path / "r.nc"))
    np.testing.assert_array_equal(back.draws_nats, one.draws_nats)
    assert clone(example(n_draws=8)).get_params() == example(n_draws=8).get_params()
    with pytest.raises(ValueError, match=r"^GaussianMI: conditional MI"):
        example().estimate(x, y, x[:, :1])
    bad = x.copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="GaussianMI: x contains NaN"):
        example().estimate(bad, y)
    with pytest.raises(ValueError, match="does not take a categorical y"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bm.estimate(x, y, method="gaussian_example", categorical=True)

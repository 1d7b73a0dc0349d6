"""The contract between the estimators and everything that uses them (docs/design.md), checked for
every registered method: a method is checked here the moment it is registered.

Each method runs with the cheapest settings that still take its whole path (``SETTINGS``: few
draws, few permutations, one mixture component, a few training steps); a method registered
without an entry runs with its defaults. The data: rho = 0.6 correlated Gaussians, n = 200.
"""

import json
import pickle
import re
import warnings
from functools import cache
from importlib import metadata

import numpy as np
import pytest
from sklearn.base import clone

import bayesmi as bm
from bayesmi import truth
from bayesmi.estimators import REGISTRY
from bayesmi.estimators.base import CORE_PACKAGES, Estimator
from bayesmi.result import BOUNDS, KINDS

#: The cheapest settings per method that still run its whole path.
SETTINGS = {
    "gmm": {"n_draws": 5, "max_components": 2, "n_permutations": 5},
    # One component over two dimensions: the structure tests/test_bayes_gmm.py compiles too.
    "bayes_gmm": {"n_components": 1, "n_draws": 20, "tune": 20, "n_permutations": 5, "min_ess": 0},
    "ksg": {"n_draws": 10, "n_permutations": 5},
    "bins": {"n_draws": 10, "n_permutations": 5},
    "gcmi": {"n_draws": 20},
    "neural": {
        "n_critics": 2,
        "n_resamples": 4,
        "max_iterations": 40,
        "eval_every": 20,
        "hidden": (8,),
        "embed_dim": 4,
        "batch_size": 32,
    },
    "latent": {
        "latent_dim": 2,
        "n_repeats": 2,
        "hidden": (8,),
        "max_epochs": 3,
        "n_draws": 8,
        "batch_size": 64,
    },
}
#: Packages beyond CORE_PACKAGES that each method imports, so its results must record their
#: versions (bayes_gmm's default sampler: nutpie, with the model compiled by JAX).
IMPORTS = {
    "bayes_gmm": {"pymc", "pytensor", "nutpie", "jax"},
    "neural": {"torch"},
    "latent": {"torch"},
}
#: The common parameters every estimator has, named once.
COMMON = ("seed", "n_jobs", "progress", "backend")
#: Names that the common names replaced; no estimator's signature may use them.
OLD_NAMES = ("n_bootstrap", "discrete_y", "draws")

X, Y, _ = truth.correlated_gaussian(0.6, n=200, seed=3)
Z = np.random.default_rng(5).standard_normal(200)
LABELS = (Y[:, 0] > 0).astype(int)


def _params(methods):
    # bayes_gmm's tests share one xdist worker with tests/test_bayes_gmm.py (compiled models).
    return [
        pytest.param(
            m, id=m, marks=[pytest.mark.xdist_group("bayes_gmm")] if m == "bayes_gmm" else []
        )
        for m in methods
    ]


METHODS = _params(sorted(REGISTRY))
RENAMED = [
    pytest.param(m, old, id=f"{m}-{old}", marks=p.marks)
    for p in METHODS
    for m in p.values
    for old in REGISTRY[m].renamed
]


def _estimator(method, **kw):
    return REGISTRY[method](**(SETTINGS.get(method, {}) | {"progress": False} | kw))


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.BayesMIWarning)
        return fn(*args)


@cache
def _result(method, seed=1, n_jobs=1):
    return _quiet(_estimator(method, seed=seed, n_jobs=n_jobs).estimate, X, Y)


# -- what the class declares ---------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_class_declares_its_capabilities(method):
    cls = REGISTRY[method]
    assert cls.name == method
    assert cls.kind in KINDS and set(cls.kinds or (cls.kind,)) <= set(KINDS)
    assert cls.kind in (cls.kinds or (cls.kind,))
    assert cls.bound in BOUNDS
    for flag in ("supports_conditional", "supports_kl", "supports_categorical"):
        assert isinstance(getattr(cls, flag), bool), flag
    assert cls.summary and cls.references
    # mi_matrix chooses the component count on a subsample through this hook, never through
    # private methods: a method that declares it takes n_components and implements the hook.
    assert isinstance(cls.chooses_n_components, bool)
    if cls.chooses_n_components:
        assert "n_components" in cls._param_names()
        assert cls.choose_n_components is not Estimator.choose_n_components


@pytest.mark.parametrize("method", METHODS)
def test_common_parameters_named_once(method):
    cls = REGISTRY[method]
    names = cls._param_names()
    assert set(COMMON) <= set(names)
    assert ("categorical" in names) == cls.supports_categorical
    assert not set(OLD_NAMES) & set(names)
    for old, new in cls.renamed.items():
        assert old not in names and new in names


@pytest.mark.parametrize("method", METHODS)
def test_constructor_stores_its_arguments_unchanged(method):
    # scikit-learn's rule (clone relies on it): __init__ stores every argument as given, no more.
    cls = REGISTRY[method]
    given = {name: object() for name in cls._param_names()}
    est = cls(**given)
    assert vars(est).keys() == given.keys()
    assert all(getattr(est, k) is v for k, v in given.items())


@pytest.mark.parametrize("method", METHODS)
def test_clone_get_params_set_params_and_repr(method):
    est = _estimator(method, seed=4)
    twin = clone(est)
    assert type(twin) is type(est) and twin is not est
    assert repr(twin) == repr(est) and repr(est).startswith(f"{type(est).__name__}(")
    shallow = est.get_params(deep=False)
    assert shallow.keys() == set(type(est)._param_names())
    assert shallow.items() <= est.get_params(deep=True).items()
    assert twin.set_params(seed=5) is twin and twin.seed == 5 and est.seed == 4
    with pytest.raises(TypeError, match="unknown parameter 'nope'"):
        est.set_params(nope=1)


@pytest.mark.parametrize("method", METHODS)
def test_estimator_and_result_pickle(method):
    est = _estimator(method, seed=4)
    assert repr(pickle.loads(pickle.dumps(est))) == repr(est)
    r = _result(method)
    back = pickle.loads(pickle.dumps(r))
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    assert back.provenance == r.provenance


# -- what the results are ------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_draws_shaped_chain_draw_with_declared_kind_and_bound(method):
    cls, r = REGISTRY[method], _result(method)
    assert r.draws_nats.ndim == 2 and r.draws_nats.shape[1] >= 2
    assert r.draws.shape == r.draws_nats.shape == r.raw_draws_nats.shape
    assert np.isfinite(r.draws_nats).all()
    assert (r.method, r.quantity, r.units) == (method, "mi", "nats")
    # Default settings on continuous 1-D x and y: the kind and bound the class declares.
    assert r.kind == cls.kind
    assert r.bound == cls.bound


@pytest.mark.parametrize("method", METHODS)
def test_save_load_round_trip_is_lossless(method, tmp_path):
    r = _result(method)
    back = bm.load(r.save(tmp_path / f"{method}.nc"))
    np.testing.assert_array_equal(back.draws_nats, r.draws_nats)
    for field in ("kind", "quantity", "units", "method", "bound", "note"):
        assert getattr(back, field) == getattr(r, field), field
    assert back.provenance == json.loads(json.dumps(r.provenance, default=str))
    assert back.extras.keys() == r.extras.keys()
    for k, v in r.extras.items():
        np.testing.assert_array_equal(back.extras[k], v, err_msg=k)
    if r.pointwise_nats is None:
        assert back.pointwise_nats is None
    else:
        np.testing.assert_array_equal(back.pointwise_nats, r.pointwise_nats)
    assert back.groups.keys() == r.groups.keys()
    assert back.p_value == r.p_value


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_draws_for_any_n_jobs(method):
    one, two = _result(method, n_jobs=1), _result(method, n_jobs=2)
    np.testing.assert_array_equal(one.draws_nats, two.draws_nats)
    np.testing.assert_array_equal(one.raw_draws_nats, two.raw_draws_nats)


@pytest.mark.parametrize("method", METHODS)
def test_different_seeds_give_different_draws(method):
    assert not np.array_equal(
        _result(method, seed=1).draws_nats, _result(method, seed=2).draws_nats
    )


@pytest.mark.parametrize("method", METHODS)
def test_nan_in_x_is_named(method):
    x = X.copy()
    x[7, 0] = np.nan
    name = REGISTRY[method].__name__
    with pytest.raises(ValueError, match=rf"^{name}: x contains NaN"):
        _estimator(method, seed=0).estimate(x, Y)
    with pytest.raises(ValueError, match=rf"^{name}: x contains NaN"):
        bm.estimate(x, Y, method=method, seed=0, progress=False, **SETTINGS.get(method, {}))


@pytest.mark.parametrize("method", METHODS)
def test_provenance_records_every_package_used(method):
    cls, r = REGISTRY[method], _result(method)
    versions = r.provenance["versions"]
    used = {*CORE_PACKAGES, *cls.packages, *IMPORTS.get(method, ())}
    assert used <= versions.keys()
    for pkg in used:
        assert versions[pkg] == metadata.version(pkg), pkg
    assert r.provenance["params"] == _estimator(method, seed=1).get_params(deep=False)


# -- capabilities honoured -----------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_conditional_mi_as_declared(method):
    est = _estimator(method, seed=0)
    if REGISTRY[method].supports_conditional:
        assert _quiet(est.estimate, X, Y, Z).quantity == "cmi"
    else:
        with pytest.raises(ValueError, match=rf"^{type(est).__name__}: conditional MI"):
            est.estimate(X, Y, Z)


@pytest.mark.parametrize("method", METHODS)
def test_kl_as_declared(method):
    est = _estimator(method, seed=0)
    if REGISTRY[method].supports_kl:
        assert _quiet(est.kl_marginals, X, Y).quantity == "kl"
    else:
        with pytest.raises(NotImplementedError, match=rf"{type(est).__name__} has no KL estimate"):
            est.kl_marginals(X, Y)


@pytest.mark.parametrize("method", METHODS)
def test_categorical_y_as_declared(method):
    if REGISTRY[method].supports_categorical:
        r = _quiet(_estimator(method, seed=0, categorical=True).estimate, X, LABELS)
        assert r.quantity == "mi" and r.draws_nats.ndim == 2
    else:
        with pytest.raises(ValueError, match=rf"method {method!r} does not take a categorical y"):
            bm.estimate(X, LABELS, method=method, categorical=True)


@pytest.mark.parametrize(
    "method",
    _params(
        m for m, c in sorted(REGISTRY.items()) if c.supports_categorical and c.supports_conditional
    ),
)
def test_categorical_y_refuses_z(method):
    est = _estimator(method, seed=0, categorical=True)
    message = f"{type(est).__name__}: conditional MI is not available with categorical=True."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        est.estimate(X, LABELS, Z)


# -- old parameter names -------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "old"), RENAMED)
def test_old_name_warns_and_gives_the_same_draws(method, old):
    cls = REGISTRY[method]
    new = cls.renamed[old]
    value = SETTINGS.get(method, {}).get(new, getattr(cls(), new))
    with pytest.warns(FutureWarning, match=rf"{cls.__name__}: the parameter '{old}' is now called"):
        est = cls(**{old: value})
    assert est.get_params() == cls(**{new: value}).get_params()
    kw = SETTINGS.get(method, {}) | {"seed": 1, "progress": False}
    if new == "categorical":
        x, y, value = X, LABELS, True
    else:
        x, y = X, Y
    kw.pop(new, None)
    with pytest.warns(
        FutureWarning, match=rf"estimate: the parameter '{old}' is now called '{new}'"
    ):
        r_old = _quiet(lambda: bm.estimate(x, y, method=method, **kw, **{old: value}))
    r_new = _quiet(lambda: bm.estimate(x, y, method=method, **kw, **{new: value}))
    np.testing.assert_array_equal(r_old.draws_nats, r_new.draws_nats)
    with pytest.raises(TypeError, match=rf"'{old}' is the old name of '{new}'; pass '{new}' only"):
        cls(**{old: value, new: value})

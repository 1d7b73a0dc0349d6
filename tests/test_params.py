"""Declared parameters (bayesmi.estimators.base): every method declares its hyperparameters as
annotated class attributes, the common ones once on ``Estimator``, and gets a generated
constructor with a real signature that scikit-learn's ``clone`` and ``get_params`` read."""

import inspect
import pickle
import warnings
from dataclasses import KW_ONLY
from typing import ClassVar

import pytest
from sklearn.base import clone

from bayesmi.estimators import REGISTRY
from bayesmi.estimators.base import Estimator
from bayesmi.estimators.ksg import KSGMI

# Each registered method's signature as it was when the constructors were written out by hand
# (commit c9485eb), "name: annotation = default", "*" where the keyword-only ones start. One
# change since: bayes_gmm's verbose came after the common four and now comes before them.
SIGNATURES = {
    "bayes_gmm": (
        "n_components: int | None = None",
        "*",
        "max_components: int = 10",
        "inference: str = 'nuts'",
        "sampler: str = 'nutpie'",
        "n_draws: int = 1000",
        "tune: int | None = None",
        "chains: int = 2",
        "target_accept: float = 0.9",
        "advi_iterations: int = 10000",
        "advi_learning_rate: float = 0.03",
        "weight_concentration: float = 1.0",
        "mean_sd: float = 2.0",
        "lkj_eta: float = 2.0",
        "sd_scale: float = 0.5",
        "sd_log_sd: float = 1.0",
        "categorical: bool = False",
        "mi_method: str = 'auto'",
        "n_mc: int = 20000",
        "min_ess: int = 400",
        "max_rhat: float = 1.01",
        "interval: str = 'calibrated'",
        "n_permutations: int = 50",
        "marginals: str = 'auto'",
        "verbose: bool = False",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
    "bins": (
        "bins: str | int = 'auto'",
        "*",
        "strategy: str = 'quantile'",
        "correction: str = 'miller_madow'",
        "discrete_x: bool = False",
        "categorical: bool = False",
        "n_draws: int = 200",
        "n_permutations: int = 100",
        "interval: str = 'calibrated'",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
    "gcmi": (
        "n_draws: int = 1000",
        "*",
        "prior_df: float = 0.0",
        "prior_scale: float = 0.0",
        "categorical: bool = False",
        "interval: str = 'calibrated'",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
    "gmm": (
        "n_draws: int = 50",
        "*",
        "max_components: int = 10",
        "n_components: int | None = None",
        "n_folds: int = 2",
        "n_init: int = 3",
        "init: str = 'kmeans'",
        "tol: float = 1e-05",
        "max_iter: int = 1000",
        "reg_covar: float = 1e-06",
        "threshold: float = 1e-05",
        "patience: int = 1",
        "se_rule: float = 1.0",
        "select: str = 'oob'",
        "block_length: int | str | None = None",
        "mi_method: str = 'auto'",
        "n_mc: int = 100000",
        "categorical: bool = False",
        "interval: str = 'calibrated'",
        "n_permutations: int = 50",
        "marginals: str = 'auto'",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
    "ksg": (
        "k: int = 3",
        "*",
        "algorithm: int = 1",
        "n_draws: int = 200",
        "fractions: str | tuple[int, ...] = 'auto'",
        "n_permutations: int = 50",
        "interval: str = 'calibrated'",
        "categorical: bool = False",
        "jitter: float = 1e-10",
        "marginals: str = 'auto'",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
    "latent": (
        "latent_dim: int = 8",
        "*",
        "n_repeats: int = 5",
        "split: str = 'crossfit'",
        "n_folds: int = 2",
        "eval_fraction: float = 0.5",
        "validation_fraction: float = 0.2",
        "hidden: tuple[int, ...] = (128, 64)",
        "alpha: float = 1.0",
        "lam: float = 1.0",
        "dropout: float = 0.5",
        "lr: float = 0.001",
        "weight_decay: float = 0.0001",
        "batch_size: int = 256",
        "max_epochs: int = 300",
        "patience: int = 10",
        "k: int = 3",
        "n_draws: int = 200",
        "clip: float | None = 10.0",
        "device: str = 'cpu'",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
    "neural": (
        "objective: str = 'infonce'",
        "*",
        "critic: str = 'separable'",
        "hidden: tuple[int, ...] = (64, 64)",
        "activation: str = 'relu'",
        "embed_dim: int = 32",
        "n_negatives: int | None = None",
        "x_encoder: Any = 'auto'",
        "y_encoder: Any = 'auto'",
        "encoder_dim: int = 16",
        "n_critics: int = 5",
        "batch_size: int = 128",
        "lr: float = 0.001",
        "weight_decay: float = 0.01",
        "max_iterations: int = 2000",
        "eval_every: int = 50",
        "patience: int = 5",
        "valid_fraction: float = 0.2",
        "test_fraction: float = 0.2",
        "eval_batch_size: int | None = None",
        "n_resamples: int = 40",
        "tau: float = 5.0",
        "mine_alpha: float = 0.01",
        "augment: Any = None",
        "device: str = 'auto'",
        "seed: int | None = None",
        "n_jobs: int = 1",
        "progress: bool = True",
        "backend: str | None = None",
    ),
}


def _listed(cls) -> tuple[str, ...]:
    out = []
    for p in inspect.signature(cls).parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in out:
            out.append("*")
        out.append(f"{p.name}: {p.annotation} = {p.default!r}")
    return tuple(out)


def test_every_method_has_its_signature():
    assert sorted(SIGNATURES) == sorted(m for m in REGISTRY if not m.startswith("_"))
    for method, listed in SIGNATURES.items():
        cls = REGISTRY[method]
        assert _listed(cls) == listed, method
        assert inspect.signature(cls.__init__).parameters.keys() - {"self"} == set(
            inspect.signature(cls).parameters
        )
        assert listed[-4:] == (
            "seed: int | None = None",
            "n_jobs: int = 1",
            "progress: bool = True",
            "backend: str | None = None",
        )


class _Quick(KSGMI):
    """A method built on another: it inherits the parent's parameters and adds its own."""

    note: ClassVar[str] = "not a parameter"
    label = "not a parameter either"
    k: int = 5  # a new default for an inherited parameter, which keeps its place
    _: KW_ONLY
    extra: tuple[int, ...] = (1, 2)


def test_a_subclass_inherits_the_parameters_and_adds_its_own():
    names = list(inspect.signature(_Quick).parameters)
    assert names == [*KSGMI._param_names()[:-4], "extra", "seed", "n_jobs", "progress", "backend"]
    assert inspect.signature(_Quick).parameters["k"].default == 5
    assert str(inspect.signature(_Quick).parameters["k"].kind) == "POSITIONAL_OR_KEYWORD"
    est = _Quick(7, extra=(3,), seed=2)
    assert (est.k, est.extra, est.seed, est.n_draws) == (7, (3,), 2, 200)
    assert vars(est).keys() == set(names)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and repr(twin) == repr(est)
    assert repr(pickle.loads(pickle.dumps(est))) == repr(est)
    with pytest.raises(TypeError):
        _Quick(7, (3,))  # one positional parameter, as in the parent


def test_an_old_name_still_warns_at_the_callers_line():
    # KSGMI.renamed: discrete_y -> categorical, also through a subclass's generated constructor
    for cls in (KSGMI, _Quick):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est = cls(discrete_y=True)
        assert est.categorical is True and "discrete_y" not in vars(est)
        (w,) = caught
        assert w.category is FutureWarning and w.filename == __file__


def test_a_constructor_written_by_hand_is_kept_and_inherited():
    class ByHand(Estimator):
        calls: int | None = None  # annotated, but the constructor below is the one

        def __init__(self, n_draws=10, *, seed=None, n_jobs=1, progress=True):
            self.n_draws, self.seed, self.n_jobs, self.progress = n_draws, seed, n_jobs, progress

    class Child(ByHand):
        more: int = 1

    for cls in (ByHand, Child):
        assert list(inspect.signature(cls).parameters) == ["n_draws", "seed", "n_jobs", "progress"]
        assert clone(cls(3, seed=1)).get_params() == {
            "n_draws": 3, "seed": 1, "n_jobs": 1, "progress": True
        }  # fmt: skip


def test_a_parameter_needs_an_immutable_default():
    with pytest.raises(TypeError, match=r"^NoDefault: the parameter 'k' has no default"):

        class NoDefault(Estimator):
            k: int

    with pytest.raises(ValueError, match=r"^Shared: the default of 'sizes' is a mutable list"):

        class Shared(Estimator):
            sizes: list[int] = [64, 64]  # noqa: RUF012 (the mistake under test)


def test_type_checkers_see_the_generated_constructors():
    # PEP 681 on a base of Estimator (on Estimator itself its own fields, the common ones, would
    # not count); mypy and pyright then check calls to every method's constructor.
    assert any("__dataclass_transform__" in vars(base) for base in Estimator.__mro__[1:])
    assert "__dataclass_transform__" not in vars(Estimator)

"""The estimator interface and the method registry."""

from __future__ import annotations

import functools
import hashlib
import inspect
import platform
import re
import typing
import warnings
from dataclasses import KW_ONLY
from importlib import metadata
from typing import Any, ClassVar, TypeVar, dataclass_transform

import numpy as np

from bayesmi.estimators._independence import knn_permutation_test
from bayesmi.resampling import run_parallel, spawn_seeds
from bayesmi.result import MIResult

__all__ = [
    "CORE_PACKAGES",
    "REGISTRY",
    "Estimator",
    "MixtureVerbs",
    "check_method_params",
    "cite",
    "data_hash",
    "get_estimator",
    "package_versions",
    "register",
]

#: Method name -> estimator class. Filled by :func:`register`.
REGISTRY: dict[str, type[Estimator]] = {}


_Method = TypeVar("_Method", bound="type[Estimator]")


def register(cls: _Method) -> _Method:
    """Class decorator: make ``cls`` available as ``bm.estimate(..., method=cls.name)``."""
    REGISTRY[cls.name] = cls
    return cls


def get_estimator(method: str) -> type[Estimator]:
    """The estimator class registered under ``method``."""
    if not isinstance(method, str) or method not in REGISTRY:
        raise ValueError(
            f"method must be one of {sorted(REGISTRY)}, got {method!r}. "
            "See bm.methods() for what each one does."
        )
    return REGISTRY[method]


def check_method_params(
    method: str,
    params: dict[str, Any],
    *,
    caller: str,
    own: tuple[str, ...] = (),
    own_hint: str = "",
    stacklevel: int = 3,
) -> type[Estimator]:
    """The class registered under ``method``, once ``params`` are known to be its
    hyperparameters and none of ``own`` (those the caller sets itself; ``own_hint`` says why,
    after the list of them). An old name of a renamed parameter (``cls.renamed``) is accepted
    with a ``FutureWarning`` (``stacklevel`` as for a warning issued here); the class's
    constructor takes it too."""
    if not isinstance(method, str) or method not in REGISTRY:
        raise ValueError(
            f"{caller}: method must be one of {sorted(REGISTRY)}, got {method!r}. "
            "See bm.methods() for what each one does."
        )
    cls = REGISTRY[method]
    valid = set(cls._param_names())
    clash = sorted(set(params) & set(own))
    if clash:
        raise TypeError(f"{caller}: {clash} {own_hint}")
    if "categorical" in params and not cls.supports_categorical:
        able = sorted(n for n, c in REGISTRY.items() if c.supports_categorical)
        raise ValueError(
            f"{caller}: method {method!r} does not take a categorical y (categorical="
            f"{params['categorical']!r}); methods that do: {able}."
        )
    unknown = sorted(set(params) - valid - set(cls.renamed))
    if unknown:
        raise TypeError(
            f"{caller}: method {method!r} has no parameter(s) {unknown}; its parameters are "
            f"{sorted(valid - set(own))}."
        )
    cls._new_names(params, caller=caller, stacklevel=stacklevel + 1)  # the class renames them
    return cls


def cite(method: str) -> str:
    """How to cite a registered method (``bm.cite("gmm")``): the papers it implements."""
    return get_estimator(method).cite()


def data_hash(*arrays: np.ndarray | None) -> str:
    """SHA-256 of the checked input arrays (shape and float64 bytes), for provenance."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


#: The packages every estimate records the version of; an estimator adds those it imports
#: itself (``Estimator.packages``, and per run ``_provenance(packages=...)``).
CORE_PACKAGES = ("bayesmi", "numpy", "scipy", "scikit-learn", "arviz")


def package_versions(packages=()) -> dict[str, str]:
    """Python's version and those of :data:`CORE_PACKAGES` and ``packages`` (distribution names,
    as pip knows them), for provenance."""
    out = {"python": platform.python_version()}
    for pkg in (*CORE_PACKAGES, *packages):
        out[pkg] = _installed_version(pkg)
    return out


@functools.cache
def _installed_version(pkg: str) -> str:
    # Read once per process: each lookup parses a package's metadata (about 3 ms apiece, 17 ms
    # per estimate, measured), and the loaded versions cannot change while the process runs.
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def _accepting_old_names(init):
    """``init`` taking the old names of renamed parameters too (``cls.renamed``), each with a
    ``FutureWarning``; the signature seen by ``inspect`` (and so by scikit-learn's ``clone``)
    stays ``init``'s."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        kwargs = type(self)._new_names(kwargs, caller=type(self).__name__, stacklevel=3)
        init(self, *args, **kwargs)

    return __init__


def _is_marker(annotation: Any, marker: Any, name: str) -> bool:
    """Whether a class annotation is ``marker`` (``ClassVar`` or ``KW_ONLY``, called ``name``),
    as an object or as the string ``from __future__ import annotations`` leaves (read as
    dataclasses read it)."""
    if isinstance(annotation, str):
        return (
            re.fullmatch(rf"(typing\.|dataclasses\.)?{name}(\[.*\])?", annotation, re.S) is not None
        )
    return annotation is marker or typing.get_origin(annotation) is marker


def _declared_parameters(cls: type) -> list[inspect.Parameter]:
    """The constructor parameters ``cls`` and its bases declare: annotated class attributes
    that are not ``ClassVar``, in order of declaration, bases first (a redeclared one keeps its
    place, with the new default and annotation); positional-or-keyword up to a ``_: KW_ONLY``
    line of their class, keyword-only after it. Positional ones come first, then the
    keyword-only ones, those of the first class that declares any (``Estimator``: the common
    parameters) last."""
    found: dict[str, inspect.Parameter] = {}
    common: set[str] = set()
    for klass in reversed(cls.__mro__):
        if not issubclass(klass, _DeclaredParameters):
            continue
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        for name, annotation in inspect.get_annotations(klass).items():
            if _is_marker(annotation, KW_ONLY, "KW_ONLY"):
                kind = inspect.Parameter.KEYWORD_ONLY
                continue
            if _is_marker(annotation, ClassVar, "ClassVar"):
                continue
            if name not in klass.__dict__:
                raise TypeError(
                    f"{klass.__name__}: the parameter {name!r} has no default; give every "
                    "parameter one (a method runs with its defaults), or annotate a class "
                    "attribute that is not a parameter as ClassVar."
                )
            default = klass.__dict__[name]
            if type(default).__hash__ is None:
                raise ValueError(
                    f"{klass.__name__}: the default of {name!r} is a mutable "
                    f"{type(default).__name__}, which every instance would share; use an "
                    "immutable one (a tuple for a list)."
                )
            found[name] = inspect.Parameter(name, kind, default=default, annotation=annotation)
        if found and not common:
            common = set(found)
    return sorted(found.values(), key=lambda p: (p.kind, p.name in common))


def _generated_init(cls: type, params: list[inspect.Parameter]):
    """A real ``__init__`` taking ``params`` and storing each as it is given (no checks, no
    work), written out and compiled as dataclasses write theirs, so that ``inspect``, IDEs and
    debuggers see an ordinary function."""
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keyword = [p for p in params if p.kind is p.KEYWORD_ONLY]
    args = ["self", *(p.name for p in positional), *(["*"] if keyword else [])]
    args += [p.name for p in keyword]
    body = [f"    self.{p.name} = {p.name}" for p in params] or ["    pass"]
    namespace: dict[str, Any] = {}
    exec(f"def __init__({', '.join(args)}):\n" + "\n".join(body), {}, namespace)
    init = namespace["__init__"]
    init.__defaults__ = tuple(p.default for p in positional) or None
    init.__kwdefaults__ = {p.name: p.default for p in keyword} or None
    init.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init._generated = True
    return init


@dataclass_transform()
class _DeclaredParameters:
    """Constructors from declarations: every subclass whose ``__init__`` is not written by hand
    (in it or a base) gets one generated from its declared parameters
    (:func:`_declared_parameters`), as a dataclass does.

    ``dataclass_transform`` (PEP 681) tells type checkers so; it sits on this root rather than
    on :class:`Estimator`, as the parameters a decorated class declares itself (Estimator's
    common ones) do not count for them."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited = cls.__init__
        by_hand = "__init__" in cls.__dict__ or not (
            inherited is object.__init__ or getattr(inherited, "_generated", False)
        )
        if not by_hand:
            cls.__init__ = _generated_init(cls, _declared_parameters(cls))


class Estimator(_DeclaredParameters):
    """Base class: hyperparameters are constructor arguments, stored as they are (no checks,
    no work in ``__init__``, as in scikit-learn); ``estimate`` takes data and returns an
    :class:`~bayesmi.result.MIResult`. A method declares its hyperparameters as annotated class
    attributes with defaults, and its constructor is generated from them and from the common
    ones below (``seed``, ``n_jobs``, ``progress``, ``backend``): docs/design.md, "How a
    method declares its parameters".

    It speaks scikit-learn's estimator protocol (``get_params(deep=)``, ``set_params``, and so
    ``sklearn.base.clone``) without deriving from ``sklearn.base.BaseEstimator``: importing
    that module imports pandas and the rest of scikit-learn, 0.3-0.6 s on top of
    ``import bayesmi`` (measured), which stays free of pandas (tests/test_api.py).

    The class attributes below are the estimator's half of the contract (docs/design.md):
    consumers read them instead of a method's name, and tests/test_contract.py checks every
    registered method against them. The common parameters, where a method has them, are
    named ``seed``, ``n_jobs``, ``progress``, ``backend``, ``categorical`` and ``n_draws``.
    """

    #: Registry name.
    name: ClassVar[str] = ""
    #: What the draws are (``MIResult.kind``) with the default settings.
    kind: ClassVar[str] = ""
    #: Every kind the results can have (some settings change it: gmm's ``block_length``,
    #: bayes_gmm's ``inference="advi"``); empty means ``(kind,)``.
    kinds: ClassVar[tuple[str, ...]] = ()
    #: What the estimate is on the quantity with the default settings on continuous x and y
    #: (``MIResult.bound``): None (the quantity itself), "lower" or "upper". Some settings and
    #: data change it (neural's objective, bins' discrete variables, gcmi's dimensions); the
    #: result's ``bound`` is the one to read.
    bound: ClassVar[str | None] = None
    #: ``estimate(x, y, z)``: conditional MI.
    supports_conditional: ClassVar[bool] = False
    #: ``kl_marginals(x, y)``: KL between the marginals.
    supports_kl: ClassVar[bool] = False
    #: ``categorical=True``: y as class labels.
    supports_categorical: ClassVar[bool] = False
    #: Packages (pip's names) the method imports beyond ``CORE_PACKAGES``, recorded with their
    #: versions in every result's provenance.
    packages: ClassVar[tuple[str, ...]] = ()
    #: Old names of renamed parameters, old -> new: still accepted by the constructor and by
    #: ``bm.estimate`` for one release, with a ``FutureWarning``.
    renamed: ClassVar[dict[str, str]] = {}
    #: One line for ``bm.methods()``.
    summary: ClassVar[str] = ""
    #: The papers the method implements, one full reference each (``cite()`` prints them).
    references: ClassVar[tuple[str, ...]] = ()
    #: Draw i is computed on a resample of the rows fixed by (seed, n) alone, so the draws of two
    #: estimates with one seed on data of one length pair up (bayesmi.layers: paired differences
    #: between layers). tests/test_layers.py checks it for every method that sets it.
    aligned_draws: ClassVar[bool] = False
    #: The method fits a mixture whose component count (``n_components=None``) its own
    #: cross-validation chooses, and :meth:`choose_n_components` chooses it apart, so that a
    #: caller can choose it once on a subsample and pass it as ``n_components`` (bayesmi.matrix,
    #: ``select_subsample``).
    chooses_n_components: ClassVar[bool] = False

    #: The common parameters, the same for every method (docs/design.md).
    _: KW_ONLY
    #: One seed for every random choice; the same seed gives the same draws for any n_jobs.
    seed: int | None = None
    #: Parallel workers (joblib; -1 for every core).
    n_jobs: int = 1
    #: Show a progress bar.
    progress: bool = True
    #: A joblib backend ("loky", "threading", "dask", ...); None for joblib's default.
    backend: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # the generated constructor, where there is one
        if cls.renamed and "__init__" in cls.__dict__:
            cls.__init__ = _accepting_old_names(cls.__dict__["__init__"])

    @classmethod
    def _new_names(cls, params: dict[str, Any], *, caller: str, stacklevel: int) -> dict[str, Any]:
        """``params`` with old parameter names replaced by their new ones, a ``FutureWarning``
        for each (``stacklevel`` counted from this function's caller)."""
        out = dict(params)
        for old, new in cls.renamed.items():
            if old not in out:
                continue
            if new in out:
                raise TypeError(f"{caller}: {old!r} is the old name of {new!r}; pass {new!r} only.")
            warnings.warn(
                f"{caller}: the parameter {old!r} is now called {new!r}; the old name will stop "
                "working in the next release.",
                FutureWarning,
                stacklevel=stacklevel,
            )
            out[new] = out.pop(old)
        return out

    @classmethod
    def cite(cls) -> str:
        """How to cite this method: the library, then the papers it implements."""
        lines = [f"{cls.name} ({cls.__name__}) in bayesmi; it implements:"]
        lines += [f"- {ref}" for ref in cls.references] or ["- (no published method)"]
        return "\n".join(lines)

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters, by name (scikit-learn's ``get_params``: with ``deep``, those of
        parameters that are estimators themselves too, as ``<name>__<parameter>``)."""
        out = {}
        for k in self._param_names():
            value = getattr(self, k)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out |= {f"{k}__{kk}": vv for kk, vv in value.get_params().items()}
            out[k] = value
        return out

    def set_params(self, **params: Any) -> Estimator:
        """Set hyperparameters by name (``<name>__<parameter>`` for a nested estimator's);
        unknown names raise TypeError. Returns the estimator."""
        valid = set(self._param_names())
        params = type(self)._new_names(params, caller=type(self).__name__, stacklevel=3)
        nested: dict[str, dict[str, Any]] = {}
        for k, v in params.items():
            key, _, sub = k.partition("__")
            if key not in valid:
                raise TypeError(
                    f"{type(self).__name__}: unknown parameter {key!r}; valid are {sorted(valid)}."
                )
            if sub:
                nested.setdefault(key, {})[sub] = v
            else:
                setattr(self, key, v)
        for key, sub_params in nested.items():
            getattr(self, key).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items())
        return f"{type(self).__name__}({args})"

    def estimate(self, x, y, z=None) -> MIResult:
        """I(X;Y), or I(X;Y|Z) when ``z`` is given, as a distribution."""
        raise NotImplementedError

    def choose_n_components(self, u: np.ndarray, rng: np.random.Generator) -> int:
        """The component count the method's selection chooses for the data ``u``, shape
        (n_samples, dim) with x, y (and z) side by side; ``rng`` drives its random choices.
        Only where ``chooses_n_components``; a selection that fails raises ValueError."""
        raise NotImplementedError(
            f"{type(self).__name__} does not choose a component count (method {self.name!r})."
        )

    def kl_marginals(self, x, y) -> MIResult:
        """KL(p_X || p_Y) between the marginals of x and y, as a distribution."""
        able = sorted(n for n, c in REGISTRY.items() if c.supports_kl)
        raise NotImplementedError(
            f"{type(self).__name__} has no KL estimate (method {self.name!r}); methods with one: "
            f"{able}."
        )

    def _categorical_y(self, z) -> bool:
        """Whether y is class labels (``categorical=True``); z is then refused, as there is no
        conditional MI with class labels."""
        if not self.categorical:
            return False
        if z is not None:
            raise ValueError(
                f"{type(self).__name__}: conditional MI is not available with categorical=True."
            )
        return True

    def _map(self, fn, tasks, desc: str) -> list[Any]:
        """``[fn(t) for t in tasks]`` over this estimator's workers, backend and progress bar."""
        return run_parallel(
            fn,
            tasks,
            n_jobs=getattr(self, "n_jobs", 1),
            progress=getattr(self, "progress", True),
            desc=desc,
            backend=getattr(self, "backend", None),
        )

    def _permutation_null(self, fn, seed, observed_nats: float, desc: str) -> dict[str, Any]:
        """``n_permutations`` values of ``fn(seed)`` under the null, and the p-value of the
        observed estimate ((1 + #null >= observed) / (1 + n)), as result extras."""
        null = np.array(self._map(fn, spawn_seeds(seed, self.n_permutations), desc))
        p_value = (1 + np.sum(null >= observed_nats)) / (1 + len(null))
        return {"null_draws_nats": null, "p_value": np.array([p_value])}

    def _provenance(self, x, y, z=None, *, packages=(), **more: Any) -> dict[str, Any]:
        """Method, hyperparameters, seed, n, dims, data hash and the versions of the packages
        used (``CORE_PACKAGES``, the class's ``packages`` and ``packages`` of this run)."""
        dims = {"x": int(x.shape[1]), "y": int(y.shape[1]) if y.ndim == 2 else 1}
        if z is not None:
            dims["z"] = int(z.shape[1])
        return {
            "method": self.name,
            "estimator": type(self).__name__,
            "params": self.get_params(deep=False),
            "seed": getattr(self, "seed", None),
            "n_samples": len(x),
            "dims": dims,
            "data_sha256": data_hash(x, y, z),
            "versions": package_versions((*self.packages, *packages)),
            **more,
        }


class MixtureVerbs:
    """``estimate`` and ``kl_marginals`` of the mixture estimators (``gmm``, ``bayes_gmm``): the
    input checks and the dispatch, shared so the two cannot drift apart.

    A class using it provides ``_check_params()``, ``categorical``, ``max_components``,
    ``_min_samples``, ``_estimate_categorical(x, y)`` and ``_run(quantity, parts)`` with
    quantity "mi", "cmi" or "kl" and parts the checked (n, d) arrays [x, y] or [x, y, z].
    """

    def estimate(self, x, y, z=None) -> MIResult:
        """I(X;Y), or I(X;Y|Z) when ``z`` is given, as draws in nats (``gmm``: bootstrap
        refits; ``bayes_gmm``: posterior draws).

        Parameters
        ----------
        x : array-like, shape (n_samples,) or (n_samples, dx)
        y : array-like, shape (n_samples,) or (n_samples, dy)
            Class labels of shape (n_samples,) when ``categorical=True``.
        z : array-like, shape (n_samples, dz), optional
            Conditioning variable.
        """
        from bayesmi.validation import check_paired, warn_if_deterministic

        self._check_params()
        if self._categorical_y(z):
            return self._estimate_categorical(x, y)
        c = type(self).__name__
        x, y, z = check_paired(x, y, z, caller=c, min_samples=self._min_samples)
        if z is None:
            warn_if_deterministic(x, y, c)
        self._warn_if_few_samples(x, y, z)
        return self._run("mi" if z is None else "cmi", [p for p in (x, y, z) if p is not None])

    def _warn_if_few_samples(self, *parts) -> None:
        """Warn (``FewSamplesWarning``) below ``min_samples_per_dim`` samples per dimension of
        the joint (x, y and z together), where the class sets one."""
        import warnings

        from bayesmi.exceptions import FewSamplesWarning

        limit = getattr(self, "min_samples_per_dim", None)
        parts = [p for p in parts if p is not None]
        n, dims = len(parts[0]), sum(p.shape[1] for p in parts)
        if limit is None or n >= limit * dims:
            return
        warnings.warn(
            f"{type(self).__name__}: {n} samples for {dims} dimensions ({n / dims:.1f} per "
            f"dimension, fewer than {limit}): the fitted mixture finds dependence in noise. "
            f"On independent data the estimate sat near dims / n (here {dims / n:.2f} nats) with "
            "an interval above zero (measured, docs/gmm.md). Collect more samples, reduce the "
            "dimension (e.g. PCA), or use ksg.",
            FewSamplesWarning,
            stacklevel=3,
        )

    def _selection(self, choose, stacklevel: int):
        """``choose()``, a component selection (``_em.Selection``), for this estimator: a fit that
        fails raises ValueError naming the class, and a cross-validated count that reached
        ``max_components`` warns (``ComponentLimitWarning``; ``stacklevel`` counted from here)."""
        from bayesmi.estimators._em import FitError
        from bayesmi.exceptions import ComponentLimitWarning

        try:
            sel = choose()
        except FitError as err:
            raise ValueError(f"{type(self).__name__}: {err}") from err
        if sel.hit_max:
            warnings.warn(
                f"{type(self).__name__}: the cross-validated component count reached "
                f"max_components={self.max_components}; the mixture may be too small for these "
                "data. Raise max_components.",
                ComponentLimitWarning,
                stacklevel=stacklevel,
            )
        return sel

    def _independence(self, quantity: str, x, y, z, seed) -> dict[str, Any]:
        """Extras of the permutation test of (conditional) independence that the interval's
        zero rule reads (``bayesmi.estimators._independence``); none for KL or
        ``n_permutations=0``. y is (n, 1) class codes when ``categorical``."""
        if quantity == "kl" or self.n_permutations == 0:
            return {}
        labels = y[:, 0].astype(np.intp) if self.categorical else None
        return knn_permutation_test(
            x,
            y if labels is None else labels,
            z,
            n_permutations=self.n_permutations,
            seed=seed,
            map_fn=self._map,
            labels=labels is not None,
        )

    def kl_marginals(self, x, y) -> MIResult:
        """KL(p_X || p_Y) in nats between the marginals of x and y, from the mixture(s) fitted
        to the joint (x, y), with the method's draws. x and y must have the same dimension."""
        from bayesmi.validation import check_paired

        self._check_params()
        c = type(self).__name__
        if self.categorical:
            raise ValueError(f"{c}: KL between marginals is not available with categorical=True.")
        x, y, _ = check_paired(x, y, caller=c, min_samples=self._min_samples)
        if x.shape[1] != y.shape[1]:
            raise ValueError(
                f"{c}: KL between marginals needs x and y of the same dimension; got x with "
                f"{x.shape[1]} columns and y with {y.shape[1]}."
            )
        self._warn_if_few_samples(x, y)
        return self._run("kl", [x, y])

"""The estimator interface and the method registry."""

from __future__ import annotations

import functools
import hashlib
import inspect
import platform
from importlib import metadata
from typing import Any, ClassVar

import numpy as np

from bayesmi.independence import knn_permutation_test
from bayesmi.resampling import run_parallel, spawn_seeds
from bayesmi.result import MIResult

__all__ = [
    "REGISTRY",
    "Estimator",
    "MixtureVerbs",
    "cite",
    "data_hash",
    "get_estimator",
    "register",
]

#: Method name -> estimator class. Filled by :func:`register`.
REGISTRY: dict[str, type[Estimator]] = {}


def register(cls: type[Estimator]) -> type[Estimator]:
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
) -> type[Estimator]:
    """The class registered under ``method``, once ``params`` are known to be its
    hyperparameters and none of ``own`` (those the caller sets itself; ``own_hint`` says why,
    after the list of them)."""
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
    unknown = sorted(set(params) - valid)
    if unknown:
        raise TypeError(
            f"{caller}: method {method!r} has no parameter(s) {unknown}; its parameters are "
            f"{sorted(valid - set(own))}."
        )
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


def _versions() -> dict[str, str]:
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> dict[str, str]:
    # Read once per process: each lookup parses a package's metadata (about 3 ms apiece, 17 ms
    # per estimate, measured), and the loaded versions cannot change while the process runs.
    out = {"python": platform.python_version()}
    for pkg in ("bayesmi", "numpy", "scipy", "scikit-learn", "arviz"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


class Estimator:
    """Base class: hyperparameters are constructor arguments, stored as they are (no checks,
    no work in ``__init__``, as in scikit-learn); ``estimate`` takes data and returns an
    :class:`~bayesmi.result.MIResult`."""

    #: Registry name.
    name: ClassVar[str] = ""
    #: What the draws are (``MIResult.kind``).
    kind: ClassVar[str] = ""
    #: One line for ``bm.methods()``.
    summary: ClassVar[str] = ""
    #: The papers the method implements, one full reference each (``cite()`` prints them).
    references: ClassVar[tuple[str, ...]] = ()
    #: Draw i is computed on a resample of the rows fixed by (seed, n) alone, so the draws of two
    #: estimates with one seed on data of one length pair up (bayesmi.layers: paired differences
    #: between layers). tests/test_layers.py checks it for every method that sets it.
    aligned_draws: ClassVar[bool] = False

    @classmethod
    def cite(cls) -> str:
        """How to cite this method: the library, then the papers it implements."""
        lines = [f"{cls.name} ({cls.__name__}) in bayesmi; it implements:"]
        lines += [f"- {ref}" for ref in cls.references] or ["- (no published method)"]
        return "\n".join(lines)

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, by name."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set hyperparameters by name; unknown names raise TypeError."""
        valid = set(self._param_names())
        for k, v in params.items():
            if k not in valid:
                raise TypeError(
                    f"{type(self).__name__}: unknown parameter {k!r}; valid are {sorted(valid)}."
                )
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def estimate(self, x, y, z=None) -> MIResult:
        """I(X;Y), or I(X;Y|Z) when ``z`` is given, as a distribution."""
        raise NotImplementedError

    def kl_marginals(self, x, y) -> MIResult:
        """KL(p_X || p_Y) between the marginals of x and y, as a distribution."""
        raise NotImplementedError(f"{type(self).__name__} has no KL estimate.")

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

    def _provenance(self, x, y, z=None, **more: Any) -> dict[str, Any]:
        dims = {"x": int(x.shape[1]), "y": int(y.shape[1]) if y.ndim == 2 else 1}
        if z is not None:
            dims["z"] = int(z.shape[1])
        return {
            "method": self.name,
            "estimator": type(self).__name__,
            "params": {k: v for k, v in self.get_params().items()},
            "seed": getattr(self, "seed", None),
            "n_samples": len(x),
            "dims": dims,
            "data_sha256": data_hash(x, y, z),
            "versions": _versions(),
            **more,
        }


class MixtureVerbs:
    """``estimate`` and ``kl_marginals`` of the mixture estimators (``gmm``, ``bayes_gmm``): the
    input checks and the dispatch, shared so the two cannot drift apart.

    A class using it provides ``_check_params()``, ``categorical``, ``_min_samples``,
    ``_estimate_categorical(x, y)`` and ``_run(quantity, parts)`` with quantity "mi", "cmi" or
    "kl" and parts the checked (n, d) arrays [x, y] or [x, y, z].
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
        c = type(self).__name__
        if self.categorical:
            if z is not None:
                raise ValueError(f"{c}: conditional MI is not available with categorical=True.")
            return self._estimate_categorical(x, y)
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

    def _independence(self, quantity: str, x, y, z, seed) -> dict[str, Any]:
        """Extras of the permutation test of (conditional) independence that the interval's
        zero rule reads (``bayesmi.independence``); none for KL or ``n_permutations=0``. y is
        (n, 1) class codes when ``categorical``."""
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

"""The front door: ``estimate`` and ``kl_marginals`` look the method up and call it."""

from __future__ import annotations

from typing import Any

from bayesmi.estimators import REGISTRY
from bayesmi.estimators.base import check_method_params
from bayesmi.result import MIResult
from bayesmi.validation import check_n_jobs, check_seed

__all__ = ["estimate", "kl_marginals", "methods"]


def _build(method: str, seed, n_jobs, progress, params: dict[str, Any], caller: str):
    cls = check_method_params(method, params, caller=caller, stacklevel=4)
    check_seed(seed, caller=cls.__name__)
    check_n_jobs(n_jobs, caller=cls.__name__)
    valid = set(cls._param_names())
    common = {"seed": seed, "n_jobs": n_jobs, "progress": progress}
    # Old names were warned of above: renamed here so the constructor does not warn again.
    params = {cls.renamed.get(k, k): v for k, v in params.items()}
    return cls(**{k: v for k, v in common.items() if k in valid}, **params)


def estimate(
    x,
    y,
    z=None,
    *,
    method: str = "gmm",
    seed: int | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    units: str = "nats",
    **params: Any,
) -> MIResult:
    """Estimate I(X;Y), or I(X;Y|Z) when ``z`` is given, as a distribution.

    Parameters
    ----------
    x : array-like, shape (n_samples,) or (n_samples, dx)
        numpy array, list, pandas Series/DataFrame or torch tensor.
    y : array-like, shape (n_samples,) or (n_samples, dy)
    z : array-like, shape (n_samples, dz), optional
        Condition on z: the result is conditional MI.
    method : str, default="gmm"
        A registered method; ``bm.methods()`` lists them.
    seed : int or None
        The same seed gives the same draws whatever ``n_jobs`` is.
    n_jobs : int
        Parallel workers.
    progress : bool
        Show a progress bar.
    units : {"nats", "bits"}
        Units the result shows (draws are stored in nats either way).
    **params
        The method's hyperparameters (see its class, e.g. :class:`bayesmi.GMMMI`).

    Returns
    -------
    MIResult
    """
    est = _build(method, seed, n_jobs, progress, params, "estimate")
    return est.estimate(x, y, z).to(units)


def kl_marginals(
    x,
    y,
    *,
    method: str = "gmm",
    seed: int | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    units: str = "nats",
    **params: Any,
) -> MIResult:
    """KL(p_X || p_Y) between the marginal distributions of x and y, as a distribution.

    x and y are paired samples of the same dimension; the method fits their joint and
    integrates the divergence of its two marginals. Parameters as in :func:`estimate`.
    """
    est = _build(method, seed, n_jobs, progress, params, "kl_marginals")
    return est.kl_marginals(x, y).to(units)


def methods():
    """The registered methods as a pandas DataFrame: name, class, what the draws are, and a
    one-line summary."""
    import pandas as pd

    rows = [
        {"method": name, "class": cls.__name__, "kind": cls.kind, "summary": cls.summary}
        for name, cls in sorted(REGISTRY.items())
    ]
    return pd.DataFrame(rows).set_index("method")

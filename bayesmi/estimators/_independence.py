"""A cheap test of independence for methods without a null of their own (``gmm``,
``bayes_gmm``): a permutation test whose statistic is the KSG estimate.

A permutation test is exact for any statistic (the p-value is uniform under independence,
whatever the statistic); the KSG estimate makes it consistent against every kind of dependence,
and one KSG pass costs far less than one mixture fit. Conditional independence (``z`` given)
shuffles y among each sample's nearest neighbours in z (Runge 2018), as ``ksg`` does; a
categorical y uses the estimator of Ross (2014). The interval layer (``bayesmi.intervals``)
reads the p-value: where independence is not rejected, the interval starts at 0.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from bayesmi.estimators import _knn as knn
from bayesmi.resampling import spawn_seeds

__all__ = ["knn_permutation_test"]

#: Neighbours of the KSG statistic (Kraskov et al. 2004 recommend 2-4).
K_TEST = 3


def _statistic(x, y, z, labels: bool) -> float:
    if labels:
        return float(knn.ksg_mi_discrete_pointwise(x, y, K_TEST).mean())
    if z is None:
        return float(knn.ksg_mi_pointwise(x, y, K_TEST, 1).mean())
    return float(knn.ksg_cmi_pointwise(x, y, z, K_TEST).mean())


def _permuted(data, labels: bool, seed) -> float:
    x, y, z = data
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y)) if z is None else knn.local_permutation(z, rng)
    return _statistic(x, y[perm], z, labels)


def knn_permutation_test(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray | None,
    *,
    n_permutations: int,
    seed: np.random.SeedSequence,
    map_fn: Callable[[Callable, list, str], list],
    labels: bool = False,
) -> dict[str, Any]:
    """p-value of independence of x and y (given z), as result extras.

    Parameters
    ----------
    x, y, z : arrays, shape (n_samples, d)
        Checked data; y of shape (n_samples,) holds integer class codes when ``labels``.
    n_permutations : int
        Shuffles of y; the p-value is (1 + #null >= observed) / (1 + n_permutations).
    seed : SeedSequence
        Stream of the jitter and the shuffles (the same seed gives the same p-value for any
        number of workers).
    map_fn : callable
        ``map_fn(fn, tasks, desc)``: the estimator's parallel map.

    Returns
    -------
    dict with ``test_statistic_nats`` (the KSG estimate), ``null_draws_nats`` and
    ``p_value`` (arrays, as ``MIResult.extras``).
    """
    seeds = spawn_seeds(seed, 2)
    rng = np.random.default_rng(seeds[0])
    # Scale and jitter as ksg does, so repeated values do not tie neighbour distances.
    data = tuple(a if a is None or a.ndim == 1 else knn.prepare(a, rng, 1e-10) for a in (x, y, z))
    observed = _statistic(*data, labels)
    null = np.array(
        map_fn(
            partial(_permuted, data, labels),
            spawn_seeds(seeds[1], n_permutations),
            "independence test",
        )
    )
    p_value = (1 + np.sum(null >= observed)) / (1 + len(null))
    return {
        "test_statistic_nats": np.array([observed]),
        "null_draws_nats": null,
        "p_value": np.array([p_value]),
    }

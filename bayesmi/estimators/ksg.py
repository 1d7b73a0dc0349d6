"""KSG: k-nearest-neighbour mutual information, with a subsampling distribution that is valid
for k-NN estimates and a permutation null.

Why not the bootstrap: a resample repeats points, which puts k-NN distances at zero and biases
the estimate upward. Holmes & Nemenman (2019, Phys. Rev. E 100, 022404) show instead that the
variance of KSG over disjoint subsamples of size m scales as 1/m, so the sampling distribution
at the full n can be read off subsamples: the data are split at random into q disjoint parts,
KSG is computed on each part, and each part's deviation from the mean of its size is rescaled
to n (subsampling, Politis & Romano 1994) and added to the full-data estimate. Disjoint parts
of i.i.d. data are independent samples, so one split into many parts gives many independent
draws: by default a split has n // ``MIN_PART`` parts (of 250-374 samples from n = 500 on),
and only the ``n_draws`` parts wanted are computed, so the draws
cost about ``n_draws`` estimates at 250 samples whatever n is (half a pass at n = 10^5). The
rescaling is sqrt(m / n) times a measured correction for parts of a few hundred samples
(:func:`spread_factor`). The draws capture sampling variability; they do not capture the k-NN
bias, which depends on n and on how high the MI is.

The permutation null is computed the same way: y shuffled within each part of a split, the
part estimates rescaled to n about 0 (KSG is unbiased at independence to a small fraction of
its sd, measured); below ``2 * MIN_PART`` samples the shuffles are of the full data (an exact
permutation test).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import KW_ONLY
from functools import partial
from typing import Any, ClassVar

import numpy as np

from bayesmi import intervals
from bayesmi.copula import check_marginals, fit_scores, refuse_kl
from bayesmi.estimators import _knn as knn
from bayesmi.estimators.base import Estimator, register
from bayesmi.exceptions import WARNINGS_PAGE, CoverageWarning, HighMIWarning
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import (
    check_choice,
    check_nonnegative,
    check_paired,
    check_positive_int,
    warn_if_deterministic,
    warn_if_repeated,
)

__all__ = ["KSGMI", "HighMIWarning"]


#: Joint dimension (dx + dy, plus dz for conditional MI) from which the validation suite
#: measured KSG's 90% interval under-covering at MI ~0.45 nats, 30 data sets per cell, n = 300
#: and 1000 (docs/validation.md, "KSG and dimension"): 2 and 4 dimensions 0.70-0.87, 6
#: dimensions 0.40-0.50, 8 dimensions 0.00-0.13.
HIGH_DIM = 6
#: Inflation of the subsample deviations in the calibrated interval (``interval="calibrated"``,
#: on top of ``intervals.few_draws_scale``), chosen on the validation panel's tuning seeds and
#: checked on fresh ones (docs/intervals.md, "How the scale was chosen").
INTERVAL_SCALE = 1.35
#: Part size with ``fractions="auto"`` (the default), and of the permutation null's parts: a
#: split has n // MIN_PART parts of n // (n // MIN_PART) samples (250-374; n // 2 below 500). The
#: variance of KSG times m still grows between m = 62 and 500 (below), so smaller parts need a
#: larger correction, known less well (docs/ksg.md, "How many parts").
MIN_PART = 250
#: The measured law of KSG's variance at subsample size m: var(m) * m proportional to
#: 1 - VARIANCE_C / sqrt(m). Fitted (least squares on the log ratio) to the spread of disjoint
#: parts against the spread of the full-data estimate across 200 data sets at n = 1000 (parts of
#: 62-500) and 100 at n = 10^4 (parts of 125-5000), 13 panel cases
#: (``benchmarks/ksg_variance_scaling.py``, docs/ksg.md): 3.0 for the draws, 3.4 for the
#: shuffled (null) parts; without it, parts of 125-250 understate the sd by 5-15%.
VARIANCE_C = 3.0
#: An estimate that falls by more than this many sds of its draws from k to 2k neighbours is in
#: KSG's high-MI regime, biased low (``HighMIWarning``; ksg and latent). KSG's bias is negative
#: and grows with the MI, the dimension and k (Gao, Ver Steeg & Galstyan 2015); measured:
#: benchmarks/README.md, "ksg_vs_sklearn.py".
K_TO_2K_SDS = 2


def _dependent(draws: np.ndarray, p_value: float | None) -> bool:
    """MI above zero, as the printout states it: the independence test's verdict where it ran
    (KSG's draws sit above 0 at independence in 8 dimensions, by about one sd), else the draws'
    5% quantile above 0. KSG's bias vanishes at independence, so its warnings need this: the
    k to 2k fall alone fired on independent pairs (1 of 20, panel seed 21)."""
    detected = intervals.dependence_detected(p_value)
    if detected is not None:
        return detected
    return float(np.quantile(draws, 0.05)) > 0


def _terms(quantity, k, algorithm, x, y, z=None, workers=1, counters=None) -> np.ndarray:
    """Per-sample terms of the estimate of ``quantity`` ("mi", "cmi" or "kl"); ``counters``
    from :func:`_counters` (or None) for continuous MI and conditional MI."""
    return _terms_ks(quantity, (k,), algorithm, x, y, z, workers, counters)[0]


def _terms_ks(quantity, ks, algorithm, x, y, z=None, workers=1, counters=None) -> list:
    """:func:`_terms` for each k in ``ks``; continuous MI and conditional MI share one joint
    search and the marginal counters between the k's (the same terms to the last bit)."""
    if quantity == "mi" and y.ndim == 1:  # y as integer class labels
        return [knn.ksg_mi_discrete_pointwise(x, y, k) for k in ks]
    if quantity == "mi" and algorithm == "mixed":
        return [knn.mixed_mi_pointwise(x, y, k, workers) for k in ks]
    if quantity == "mi":
        return knn.ksg_mi_pointwise_ks(x, y, ks, algorithm, workers, counters=counters)
    if quantity == "cmi":
        return knn.ksg_cmi_pointwise_ks(x, y, z, ks, workers, counters=counters)
    return [knn.kl_pointwise(x, y, k, workers) for k in ks]


def _counters(quantity, algorithm, x, y, z=None):
    """The marginal counters that a permutation null can reuse from the data it permutes: those
    of x and y for MI (y shuffled is the same set of points), of (x, z) and z for conditional
    MI; None where the estimator has none or searches by brute force (``knn.use_brute``)."""
    dims = sum(a.shape[1] for a in (x, y, z) if a is not None and a.ndim == 2)
    searched = quantity == "cmi" or (quantity == "mi" and algorithm == 1)
    if searched and y.ndim == 2 and knn.use_brute(len(x), dims):
        return None
    if quantity == "mi" and y.ndim == 2 and algorithm in (1, 2):
        return knn.MarginalCounter(x), knn.MarginalCounter(y)
    if quantity == "cmi":
        return knn.MarginalCounter(np.hstack([x, z])), None, knn.MarginalCounter(z)
    return None


def spread_factor(m: int, n: int) -> float:
    """The factor that takes a deviation of KSG at subsample size m to its size at n: sqrt(m / n)
    (variance ~ 1/m, Holmes & Nemenman 2019) times the measured correction
    sqrt((1 - C / sqrt(n)) / (1 - C / sqrt(m))), C = ``VARIANCE_C`` (docs/ksg.md). Parts below
    (2 C)^2 = 36 samples (data sets under 72) get the correction of 36."""
    law = [1.0 - VARIANCE_C / np.sqrt(max(v, 4.0 * VARIANCE_C**2)) for v in (m, n)]
    return float(np.sqrt(m / n) * np.sqrt(law[1] / law[0]))


def _auto_parts(n: int) -> int:
    """Parts per split with ``fractions="auto"``: as many as hold ``MIN_PART`` samples each
    (n // q >= MIN_PART), at least 2."""
    return max(2, n // MIN_PART)


def _split(n: int, q: int, seed) -> list[np.ndarray]:
    """Split ``seed``'s random order of the n rows into q parts of m = n // q rows each (the rows
    left over are in no part), as index arrays."""
    m = n // q
    order = np.random.default_rng(seed).permutation(n)
    return [order[j * m : (j + 1) * m] for j in range(q)]


def _part_rng(seed: np.random.SeedSequence, j: int) -> np.random.Generator:
    """A generator for part j of the split seeded by ``seed``, fixed by (seed, j) alone (so a
    part's shuffle does not depend on which task, or which worker, computes it)."""
    return np.random.default_rng(
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, j))
    )


def _subset(data, rows):
    return tuple(None if a is None else a[rows] for a in data)


def _partition(data, quantity, k, algorithm, task) -> tuple[int, list[float]]:
    """The estimate on parts ``start`` to ``stop`` of the split of the data into q disjoint random
    parts (``task`` = (q, seed, start, stop)): (part size m, estimates)."""
    q, seed, start, stop = task
    parts = _split(len(data[0]), q, seed)[start:stop]
    return len(parts[0]), [
        float(_terms(quantity, k, algorithm, *_subset(data, p)).mean()) for p in parts
    ]


def _shuffled(quantity, k, algorithm, x, y, z, rng, counters=None) -> float:
    """The estimate after shuffling y: one draw from its distribution under independence (for
    conditional MI, under conditional independence: y shuffled among neighbours in z; for KL,
    the pooled samples dealt out again, the null P = Q)."""
    if quantity == "kl":
        pooled = np.vstack([x, y])[rng.permutation(2 * len(x))]
        return float(_terms("kl", k, algorithm, pooled[: len(x)], pooled[len(x) :]).mean())
    perm = rng.permutation(len(y)) if z is None else knn.local_permutation(z, rng)
    return float(_terms(quantity, k, algorithm, x, y[perm], z, counters=counters).mean())


def _null_partition(data, quantity, k, algorithm, task) -> tuple[int, list[float]]:
    """:func:`_partition` with y shuffled within each part (its own generator, :func:`_part_rng`):
    estimates under independence at the part size."""
    q, seed, start, stop = task
    parts = _split(len(data[0]), q, seed)
    return len(parts[0]), [
        _shuffled(quantity, k, algorithm, *_subset(data, parts[j]), _part_rng(seed, j))
        for j in range(start, stop)
    ]


def _tasks(q: int, total: int, seeds, n_workers: int = 1) -> list[tuple]:
    """Tasks (q, seed, start, stop) that compute ``total`` parts of splits into q parts, the
    splits seeded by ``seeds`` in turn. With several workers and few splits, a split's parts are
    cut into several tasks so that the workers share them (each task orders the rows again, from
    the split's seed: the values do not depend on the cut)."""
    n_splits = -(-total // q)
    want = 4 * n_workers if n_workers > 1 else 1
    per_task = -(-q // max(1, -(-want // n_splits)))
    tasks = []
    for s in range(n_splits):
        stop_all = min(q, total - s * q)
        tasks += [
            (q, seeds[s], a, min(a + per_task, stop_all)) for a in range(0, stop_all, per_task)
        ]
    return tasks


def _permuted(data, quantity, k, algorithm, counters, seed) -> float:
    """:func:`_shuffled` on the full data (the exact permutation null of small data sets).
    ``counters``: :func:`_counters` of the unpermuted data, reused by every permutation."""
    return _shuffled(quantity, k, algorithm, *data, np.random.default_rng(seed), counters)


def _extrapolate(means: dict[int, float], n: int, full: float) -> float:
    """The estimate extrapolated to infinite n: a least-squares line through the mean estimate
    at each subsample size m and the full-data estimate, against 1/m, read at 1/m = 0
    (Holmes & Nemenman 2019, whose k-NN bias is linear in 1/N to leading order)."""
    inv = np.array([1.0 / m for m in means] + [1.0 / n])
    value = np.array([*means.values(), full])
    if len(inv) < 2 or np.ptp(inv) == 0:
        return full
    _slope, intercept = np.polyfit(inv, value, 1)
    return float(intercept)


@register
class KSGMI(Estimator):
    """Kraskov–Stögbauer–Grassberger mutual information with a subsampling distribution.

    Parameters
    ----------
    k : int, default=3
        Neighbours.
    algorithm : {1, 2, "mixed"}, default=1
        KSG algorithm 1 (counts strictly inside the joint k-th-neighbour distance) or 2
        (counts within the per-variable extents of the k neighbours); "mixed" is the estimator
        of Gao et al. (2017) for data mixing discrete and continuous values (repeated points
        allowed, no jitter).
    n_draws : int, default=200
        Subsample estimates that make up the distribution.
    fractions : "auto" or tuple of int, default="auto"
        How the data are split into disjoint parts. "auto": each split into as many parts of
        ``MIN_PART`` (250) samples as fit (n // 250 parts; 2 below 750 samples), split again
        until ``n_draws`` part estimates exist, only those computed (4 parts a split, 50 splits
        at n = 1000; one split of 400 parts, 200 of them used, at n = 10^5). A tuple: split into
        q parts for each q here, in turn (the scheme before "auto"; (2, 3, 4) costs about
        n_draws / 3 passes).
    n_permutations : int, default=50
        Estimates on data with y shuffled (the null of independence; for conditional MI,
        shuffled among each sample's 5 nearest neighbours in z, Runge 2018; for KL, the pooled
        x and y samples dealt out again, the null P = Q): a p-value and the estimator's value
        at zero, reported beside the interval. From 500 samples on each is computed on a part
        of the draws' size, shuffled within the part and rescaled to n like the draws
        (an approximate test; its false-alarm rate is measured in docs/ksg.md); below, on the
        full data (an exact permutation test).
    interval : {"calibrated", "percentile", "basic"}, default="calibrated"
        How the subsample draws become the draws shown (``bayesmi.intervals``): "calibrated"
        widens their spread about the full-data estimate by the factor measured on the
        validation panel and by the few-draws factor (docs/intervals.md); "percentile" keeps
        them as they are. Every scheme sets negative values to 0 and, with the permutation
        null, applies the zero rule. The raw draws stay on the result (``r.raw_draws_nats``).
    categorical : bool, default=False
        y is discrete (class labels of any type): the estimator of Ross (2014) for continuous x
        and discrete y is used, and y is neither scaled nor jittered. (Formerly ``discrete_y``,
        still accepted with a ``FutureWarning``.)
    jitter : float, default=1e-10
        Seeded Gaussian noise, in units of each column's standard deviation, that breaks ties.
    marginals : {"raw", "copula", "auto"}, default="auto"
        "copula": each continuous column of x, y (and z) is first mapped to normal scores by
        its empirical distribution function (:mod:`bayesmi.copula`), once on the full data, so
        that heavy tails and skew do not stretch the neighbour distances (MI is unchanged by
        such maps). A discrete y is left as it is; refused for ``kl_marginals`` (KL is not
        invariant under separate maps of x and y). "auto" (the default): "copula" for MI and
        conditional MI, "raw" for KL; it raised the 90% interval's coverage of the Student-t
        with rho 0 from 0.77 to 0.96 with no case's RMSE worse by more than 2% (48 data sets a
        case, n = 1000; docs/ksg.md, "Marginals"). "raw": the values as given (scaled). The
        maps applied travel with the result (``r.margins``).
    seed : int or None
    n_jobs : int, default=1
        Workers for the subsamples and permutations.
    progress : bool, default=True
    backend : str or None
        A joblib backend.

    Examples
    --------
    >>> r = KSGMI(seed=0).estimate(x, y)
    >>> r.hdi(0.9), r.extras["p_value"]
    """

    name = "ksg"
    kind = "subsample"
    supports_conditional = True
    supports_kl = True
    supports_categorical = True
    renamed: ClassVar[dict[str, str]] = {"discrete_y": "categorical"}
    # Part j of split s is np.random.default_rng(child s).permutation(n) cut into q pieces.
    aligned_draws = True
    summary = (
        "Kraskov-Stoegbauer-Grassberger k-NN estimator (Frenzel-Pompe for conditional MI); "
        "draws from disjoint subsamples rescaled to the full n (Holmes & Nemenman 2019)."
    )
    references = (
        "Kraskov, A., Stoegbauer, H. & Grassberger, P. (2004). Estimating mutual information. "
        "Phys. Rev. E 69, 066138. doi:10.1103/PhysRevE.69.066138",
        "Frenzel, S. & Pompe, B. (2007). Partial mutual information for coupling analysis of "
        "multivariate time series. Phys. Rev. Lett. 99, 204101.",
        "Ross, B. C. (2014). Mutual information between discrete and continuous data sets. "
        "PLoS ONE 9, e87357.",
        "Gao, W., Kannan, S., Oh, S. & Viswanath, P. (2017). Estimating mutual information for "
        "discrete-continuous mixtures. NeurIPS 30.",
        "Wang, Q., Kulkarni, S. R. & Verdu, S. (2009). Divergence estimation for "
        "multidimensional densities via k-nearest-neighbor distances. IEEE Trans. Inf. Theory "
        "55, 2392-2405.",
        "Holmes, C. M. & Nemenman, I. (2019). Estimation of mutual information for real-valued "
        "data with error bars and controlled bias. Phys. Rev. E 100, 022404.",
        "Runge, J. (2018). Conditional independence testing based on a nearest-neighbor "
        "estimator of conditional mutual information. AISTATS, PMLR 84, 938-947.",
    )

    k: int = 3
    _: KW_ONLY
    algorithm: int = 1
    n_draws: int = 200
    fractions: str | tuple[int, ...] = "auto"
    n_permutations: int = 50
    interval: str = "calibrated"
    categorical: bool = False
    jitter: float = 1e-10
    marginals: str = "auto"

    def _check_params(self) -> None:
        c = type(self).__name__
        check_positive_int(self.k, "k", caller=c)
        if self.algorithm not in (1, 2, "mixed"):
            raise ValueError(f"{c}: algorithm must be 1, 2 or 'mixed', got {self.algorithm!r}.")
        check_positive_int(self.n_draws, "n_draws", caller=c, minimum=2)
        check_positive_int(self.n_permutations, "n_permutations", caller=c, minimum=0)
        if isinstance(self.fractions, str):
            check_choice(self.fractions, "fractions", ("auto",), caller=c)
        else:
            fr = tuple(self.fractions) if np.iterable(self.fractions) else ()
            if not fr or any(isinstance(q, bool) or not isinstance(q, int) or q < 2 for q in fr):
                raise ValueError(
                    f"{c}: fractions must be 'auto' or integers >= 2 (parts per split), got "
                    f"{self.fractions!r}."
                )
        check_nonnegative(self.jitter, "jitter", caller=c)
        check_choice(self.interval, "interval", intervals.SCHEMES, caller=c)
        check_marginals(self.marginals, caller=c)

    def estimate(self, x, y, z=None) -> MIResult:
        """I(X;Y), or I(X;Y|Z) when ``z`` is given, as a subsampling distribution in nats.

        Parameters
        ----------
        x : array-like, shape (n_samples,) or (n_samples, dx)
        y : array-like, shape (n_samples,) or (n_samples, dy)
        z : array-like, shape (n_samples, dz), optional
        """
        x, y, z = self._check(x, y, z)
        return self._run("mi" if z is None else "cmi", x, y, z)

    def kl_marginals(self, x, y) -> MIResult:
        """KL(p_X || p_Y) in nats between the distributions of x and y (same dimension), by the
        k-NN estimator of Wang, Kulkarni & Verdu (2009), as a subsampling distribution. The
        samples need not be paired; they are subsampled together."""
        if self.categorical:
            raise ValueError(
                f"{type(self).__name__}: KL between marginals needs continuous x and y; "
                "categorical=True was given."
            )
        if self.marginals == "copula":
            refuse_kl(type(self).__name__)
        x, y, _ = self._check(x, y, None)
        if x.shape[1] != y.shape[1]:
            raise ValueError(
                f"{type(self).__name__}: KL between marginals needs x and y of the same "
                f"dimension; got x with {x.shape[1]} columns and y with {y.shape[1]}."
            )
        return self._run("kl", x, y)

    def _check(self, x, y, z):
        self._check_params()
        # The smallest subsample must still have well over k neighbours per point ("auto" splits
        # small data sets in 2: its minimum is kept at that of the former default (2, 3, 4)).
        most = 4 if isinstance(self.fractions, str) else max(self.fractions)
        min_samples = most * 4 * (self.k + 1)
        c = type(self).__name__
        labels = self._categorical_y(z)
        if self.algorithm == "mixed" and z is not None:
            raise ValueError(f"{c}: conditional MI is not available with algorithm='mixed'.")
        x, y, z = check_paired(x, y, z, caller=c, min_samples=min_samples, y_labels=labels)
        if labels and (np.bincount(y) > self.k).sum() < 2:
            raise ValueError(
                f"{c}: with categorical=True, y must have at least two classes of more than k="
                f"{self.k} samples each; got {len(np.unique(y))} distinct values in {len(y)} "
                "samples. Is y continuous? Then leave categorical off."
            )
        return x, y, z

    def _run(self, quantity: str, x, y, z=None) -> MIResult:
        if quantity != "kl" and y.ndim == 2 and self.algorithm != "mixed":
            c = type(self).__name__
            if not warn_if_repeated(x, y, z, c) and z is None:
                warn_if_deterministic(x, y, c)
        seeds = spawn_seeds(self.seed, 3)
        rng = np.random.default_rng(seeds[0])
        # KL is not invariant to scaling one variable: keep its units. The mixed estimator
        # needs its repeated points: no jitter.
        scale = quantity != "kl"
        jitter = 0.0 if self.algorithm == "mixed" else self.jitter
        parts = (x, y, z)
        copula = self.marginals == "copula" or (self.marginals == "auto" and quantity != "kl")
        maps = None
        if copula:  # ties are the mixed estimator's data: no warning there
            parts, maps = fit_scores(parts, caller=type(self).__name__, warn_ties=jitter > 0)
        data = tuple(
            a if a is None or a.ndim == 1 else knn.prepare(a, rng, jitter, scale) for a in parts
        )
        # Threads for the searches on the full data, which run here while no worker runs; the
        # subsample and permutation tasks run on the n_jobs workers with one thread each, so
        # n_jobs bounds the threads at every moment.
        workers = -1 if self.n_jobs == -1 else max(1, self.n_jobs)
        counters = _counters(quantity, self.algorithm, *data)
        ks = (self.k,) if quantity == "kl" else (self.k, 2 * self.k)
        terms_ks = _terms_ks(quantity, ks, self.algorithm, *data, workers, counters)
        full, terms = float(terms_ks[0].mean()), terms_ks[0]
        draws, sizes, means = self._subsample_draws(data, quantity, full, seeds[1])
        extrapolated = _extrapolate(means, len(x), full)
        extras: dict[str, Any] = {
            "subsample_size": sizes[None, :],
            "full_data_estimate_nats": np.array([full]),
            "extrapolated_estimate_nats": np.array([extrapolated]),
            **(maps.to_extras() if maps is not None else {}),
        }
        if self.n_permutations > 0:
            extras |= self._null(data, quantity, counters, full, seeds[2])
        if quantity != "kl":
            at_2k = float(terms_ks[1].mean())
            extras["estimate_2k_nats"] = np.array([at_2k])
            dims = sum(a.shape[1] for a in data if a is not None and a.ndim == 2)
            p_value = float(extras["p_value"][0]) if "p_value" in extras else None
            if _dependent(draws, p_value) and not self._warn_if_biased(
                full, at_2k, float(draws.std(ddof=1))
            ):
                self._warn_if_high_dim(draws, dims, y.ndim == 1)
        shown, info = intervals.finish(
            draws[None, :],
            full,
            scheme=self.interval,
            # Centred on the full-data estimate: the extrapolation to infinite n did not cover
            # the high-MI and high-dimension cells better and raised the RMSE by 22%
            # (docs/intervals.md); it is kept as extras["extrapolated_estimate_nats"].
            bias_nats=0.0,
            scale=INTERVAL_SCALE,
            extras=extras,
        )
        provenance = self._provenance(x, y, z)
        provenance["interval"] = info
        return MIResult(
            draws_nats=shown,
            kind="subsample",
            quantity=quantity,
            method=self.name,
            provenance=provenance,
            pointwise_nats=terms if quantity == "mi" and not self.categorical else None,
            extras=extras,
        )

    def _subsample_draws(
        self, data, quantity: str, full: float, seed
    ) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
        n = len(data[0])
        if isinstance(self.fractions, str):  # "auto": parts of 250, only as many as wanted
            q = _auto_parts(n)
            n_splits = -(-self.n_draws // q)
            tasks = _tasks(q, self.n_draws, spawn_seeds(seed, n_splits), self._n_workers())
        else:  # the q's in turn, whole splits, until n_draws parts exist
            qs: list[int] = []
            while sum(qs) < self.n_draws:
                qs.append(list(self.fractions)[len(qs) % len(self.fractions)])
            tasks = [(q, s, 0, q) for q, s in zip(qs, spawn_seeds(seed, len(qs)), strict=True)]
        results = self._map(
            partial(_partition, data, quantity, self.k, self.algorithm), tasks, "ksg subsamples"
        )
        by_size: dict[int, list[float]] = {}
        for m, values in results:
            by_size.setdefault(m, []).extend(values)
        means = {m: np.mean(v) for m, v in by_size.items()}
        draws, sizes = [], []
        for m, values in results:
            for v in values:
                # Centre on the mean at this size (removes its size-dependent bias), rescale the
                # spread from m to n samples (spread_factor: the 1/m law and its correction).
                draws.append(full + (v - means[m]) * spread_factor(m, n))
                sizes.append(m)
        return np.array(draws[: self.n_draws]), np.array(sizes[: self.n_draws]), means

    def _n_workers(self) -> int:
        """Workers the tasks go to: 1 runs them here, one after the other."""
        if self.backend is None and self.n_jobs == 1:
            return 1
        if self.n_jobs is None or self.n_jobs < 0:
            return os.cpu_count() or 2
        return max(2, int(self.n_jobs))

    def _null(self, data, quantity: str, counters, full: float, seed) -> dict[str, Any]:
        """The permutation null and its p-value, as result extras. From ``2 * MIN_PART`` samples
        on, y shuffled within parts of the size of the "auto" draws' parts (``n_permutations``
        parts of splits into as many parts as the draws'), each part's estimate one null draw,
        rescaled to n about 0 by :func:`spread_factor`; below, shuffles of the full data
        (:meth:`_permutation_null`, an exact permutation test)."""
        n = len(data[0])
        if n < 2 * MIN_PART:
            return self._permutation_null(
                partial(_permuted, data, quantity, self.k, self.algorithm, counters),
                seed,
                full,
                "ksg permutations",
            )
        q = _auto_parts(n)
        n_splits = -(-self.n_permutations // q)
        results = self._map(
            partial(_null_partition, data, quantity, self.k, self.algorithm),
            _tasks(q, self.n_permutations, spawn_seeds(seed, n_splits), self._n_workers()),
            "ksg permutations",
        )
        m = results[0][0]
        null = np.array([v for _, values in results for v in values]) * spread_factor(m, n)
        p_value = (1 + np.sum(null >= full)) / (1 + len(null))
        return {
            "null_draws_nats": null,
            "p_value": np.array([p_value]),
            "null_part_size": np.array([m]),
        }

    def _warn_if_high_dim(self, draws: np.ndarray, dims: int, discrete_y: bool) -> None:
        # KSG's bias grows with the dimension of the joint space (Gao, Ver Steeg & Galstyan
        # 2015) and vanishes at independence (the caller warns only where MI is above zero,
        # `_dependent`); the suite measured the interval failing from HIGH_DIM joint dimensions
        # on (the k to 2k check above rarely fires there).
        if discrete_y or dims < HIGH_DIM:
            return
        low = float(np.quantile(draws, 0.05))
        warnings.warn(
            f"KSGMI: {dims} dimensions in the joint space (x, y and z together) with MI clearly "
            f"above zero (5% quantile of the draws {low:.3f} nats): KSG is biased low here and "
            "the interval reflects the sampling spread only, not that bias, and holds the "
            f"truth far less often than its level (measured by dimension: {WARNINGS_PAGE}). "
            f"The truth is likely higher; use gmm, or reduce the dimension below {HIGH_DIM}.",
            CoverageWarning,
            stacklevel=4,
        )

    def _warn_if_biased(self, full: float, at_2k: float, sd: float) -> bool:
        if full - at_2k > K_TO_2K_SDS * sd:
            warnings.warn(
                f"KSGMI: the estimate falls from {full:.3f} nats (k={self.k}) to {at_2k:.3f} "
                f"(k={2 * self.k}), more than twice its sd ({sd:.3f}): KSG is biased low here "
                "(high MI for this dimension and n) and the interval will not cover the truth; "
                "the truth is likely higher. Use more samples or a model-based method (gmm).",
                HighMIWarning,
                stacklevel=3,
            )
            return True
        return False

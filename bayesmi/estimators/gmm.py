"""GMM-MI: mutual information from Gaussian mixtures, with a bootstrap distribution.

The method of Piras et al. (2023), "Mutual information estimation with Gaussian mixture models"
(Machine Learning: Science and Technology 4, 025006), written from the paper:

1. Standardise each variable; fit full-covariance mixtures by EM from several starts and choose
   the component count by k-fold cross-validation of held-out log-likelihood.
2. Refit on ``n_draws`` resamples; each refit gives one MI draw, computed from the mixture
   by quadrature (up to 3 dimensions in all) or Monte Carlo.

Departures from the reference implementation, each measured in ``benchmarks/``:
- The component count is chosen again on every resample (``select="oob"``: candidates fitted on
  the resample and scored on the points it left out), so the spread of the draws includes the
  uncertainty of that choice; the chosen counts travel with the result.
- Every Monte Carlo integral has its own random stream, so its error is in the spread.
- x, y (and z) of any dimension; conditional MI; a moving-block bootstrap for time series.
"""

from __future__ import annotations

import warnings
from dataclasses import KW_ONLY, dataclass, replace
from functools import partial
from typing import Any, ClassVar

import numpy as np

from bayesmi import intervals, mixture
from bayesmi.copula import apply_marginals, check_marginals
from bayesmi.estimators._edges import (
    edge_test,
    standardised,
    warn_joint_edges,
    warn_sharp_edges,
)
from bayesmi.estimators._em import (
    INIT_METHODS,
    FitError,
    Selection,
    fit_mixture,
    held_out_loglik,
    select_n_components,
    sweep,
)
from bayesmi.estimators.base import Estimator, MixtureVerbs, register
from bayesmi.exceptions import (
    ConvergenceWarning,
    NumericalErrorWarning,
)
from bayesmi.mixture import GaussianMixtureModel
from bayesmi.resampling import bootstrap_counts, resolve_block_length, spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import (
    check_choice,
    check_nonnegative,
    check_paired,
    check_positive_int,
)

__all__ = ["GMMMI"]

SELECT_MODES = ("oob", "cv", "fixed")
#: Fewest held-out points for scoring a resample's candidates; below it the count is kept.
MIN_OOB = 10
#: Monte Carlo error target, as a fraction of the sd of the draws; refinement raises the sample
#: count to at most MC_GROWTH_MAX times ``n_mc``, in at most MC_ROUNDS rounds.
MC_ERROR_RATIO = 0.2
#: Inflation of the bootstrap deviations in the calibrated interval (``interval="calibrated"``,
#: on top of ``intervals.few_draws_scale``), chosen on the validation panel's tuning seeds and
#: checked on fresh ones (docs/intervals.md, "How the scale was chosen").
INTERVAL_SCALE = 1.2
MC_GROWTH_MAX = 16
MC_ROUNDS = 2
#: Fewest samples per dimension of the joint (x, y and z) before a FewSamplesWarning. Measured on
#: independent d-D x and 1-D y, 4 data sets each (n = 200 to 1600): the mean estimate sat near
#: dims / n nats, 0.02 at 44 samples per dimension, 0.035-0.045 at 22-24, 0.07-0.09 at 12,
#: 0.14-0.22 at 6 and 0.25 at 4 (50-D x, n = 200), each time with the 90% interval above 0
#: (benchmarks/robustness_thresholds.py gmm).
MIN_SAMPLES_PER_DIM = 20


@dataclass
class _Context:
    """What each bootstrap task needs (picklable, sent once per task)."""

    ut: np.ndarray  # standardised data, (dim, n)
    quantity: str
    dims: tuple[int, ...]
    scale: np.ndarray
    shift: np.ndarray
    selection: Selection
    fit_kwargs: dict[str, Any]
    sweep_kwargs: dict[str, Any]
    select: str
    block_length: int | None
    mi_kwargs: dict[str, Any]
    labels: np.ndarray | None = None  # categorical mode: class code of each point
    class_selections: list[Selection] | None = None


def _quantity(
    model: GaussianMixtureModel, ctx: _Context, rng, n_samples: int | None = None
) -> tuple[float, float]:
    """The requested quantity of one mixture in data units, in nats, and its numerical error."""
    kw = dict(ctx.mi_kwargs, rng=rng)
    if n_samples is not None:
        kw["n_samples"] = n_samples
    if ctx.quantity == "mi":
        return mixture.mi(model, ctx.dims[0], **kw)
    if ctx.quantity == "cmi":
        return mixture.cmi(model, ctx.dims[0], ctx.dims[1], **kw)
    return mixture.kl_marginals(model, ctx.dims[0], **kw)


def _refit(ut, counts, selection: Selection, ctx: _Context, rng):
    """Fit one resample (weights ``counts``); returns (fit, chosen count)."""
    fixed = selection.n_components
    # EM only visits the points the resample holds (about 63% of them for the i.i.d. bootstrap).
    inside = counts > 0
    ut_in, w_in = ut[:, inside], counts[inside]
    if ctx.select == "fixed" or (ctx.select == "oob" and (~inside).sum() < MIN_OOB):
        warm = selection.fits[fixed].model
        return fit_mixture(
            ut_in, fixed, rng, weights=w_in, warm_start=warm, **ctx.fit_kwargs
        ), fixed
    if ctx.select == "cv":
        sel = select_n_components(ut, rng, weights=counts, **ctx.sweep_kwargs, **ctx.fit_kwargs)
        return sel.fits[sel.n_components], sel.n_components
    # "oob": candidates fitted on the resample (warm-started from the full-data fits) and
    # scored on the points the resample left out.
    ut_oob = ut[:, ~inside]
    w_oob = np.ones(ut_oob.shape[1])

    def score_of(k):
        kw = ctx.fit_kwargs
        if k in selection.fits:
            kw = dict(kw, warm_start=selection.fits[k].model)
        else:
            # Beyond the sizes fitted on the full data: one cold start (a rare candidate).
            kw = dict(kw, n_init=1)
        fit = fit_mixture(ut_in, k, rng, weights=w_in, **kw)
        return held_out_loglik(fit.model, ut_oob), w_oob, fit

    kw = {k: v for k, v in ctx.sweep_kwargs.items() if k != "n_folds"}
    sel = sweep(score_of, **kw)
    return sel.fits[sel.n_components], sel.n_components


def _integrate(ctx: _Context, task) -> tuple[float, float]:
    """Integrate one draw's mixture again, by Monte Carlo with ``n_samples`` samples."""
    model, entropy, n_samples = task
    ctx_mc = replace(ctx, mi_kwargs=dict(ctx.mi_kwargs, method="mc"))
    return _quantity(model, ctx_mc, np.random.default_rng(entropy), n_samples)


def _draw(ctx: _Context, seed: np.random.SeedSequence) -> dict[str, Any]:
    """One bootstrap draw: resample, refit (choosing the count again), integrate."""
    rng = np.random.default_rng(seed)
    n = ctx.ut.shape[1]
    counts = bootstrap_counts(n, rng, ctx.block_length).astype(np.float64)
    if ctx.labels is None:
        fit, k = _refit(ctx.ut, counts, ctx.selection, ctx, rng)
        model = fit.model.affine(ctx.scale, ctx.shift)
        value, err = _quantity(model, ctx, rng)
        return {
            "value": value,
            "error": err,
            "n_components": k,
            "converged": fit.converged,
            "model": model,
        }
    # Categorical y: one mixture of x per class, class probabilities from the resample.
    models, probs, ks, converged = [], [], [], True
    for c, sel in enumerate(ctx.class_selections):
        members = ctx.labels == c
        cc = counts[members]
        if cc.sum() == 0:
            continue
        fit, k = _refit(ctx.ut[:, members], cc, sel, ctx, rng)
        models.append(fit.model.affine(ctx.scale, ctx.shift))
        probs.append(cc.sum() / n)
        ks.append(k)
        converged &= fit.converged
    value, err = mixture.mi_categorical(models, np.array(probs), **ctx.mi_kwargs, rng=rng)
    return {"value": value, "error": err, "n_components": sum(ks), "converged": converged}


@register
class GMMMI(MixtureVerbs, Estimator):
    """Mutual information from Gaussian mixtures, with a bootstrap distribution (GMM-MI).

    Parameters
    ----------
    n_draws : int, default=50
        Refits on resampled data; each gives one MI draw. (Formerly ``n_bootstrap``, still
        accepted with a ``FutureWarning``.)
    max_components : int, default=10
        Largest component count tried.
    n_components : int or None, default=None
        Fix the component count instead of choosing it by cross-validation.
    n_folds : int, default=2
        Folds of the cross-validation that chooses the count on the full data.
    n_init : int, default=3
        EM starts per fit; the best training log-likelihood is kept.
    init : str, default="kmeans"
        Start: "kmeans" (k-means++ then Lloyd), "randomized_kmeans" (Lloyd from random data
        points), "random" (random responsibilities), "random_from_data" (means at random data
        points) or "minmax" (means uniform in the data's bounding box).
    tol : float, default=1e-5
        EM stops when the mean log-likelihood per sample changes by less than this.
    max_iter : int, default=1000
        EM iterations at most; a fit that hits it warns with ``ConvergenceWarning``.
    reg_covar : float, default=1e-6
        Added to covariance diagonals, in units of each variable's standard deviation squared.
    threshold : float, default=1e-5
        Smallest gain in held-out log-likelihood per sample (nats) that justifies one more
        component.
    patience : int, default=1
        Stop adding components after this many steps without such a gain.
    se_rule : float, default=1.0
        A gain must also be at least this many standard errors of the paired per-point
        held-out log-likelihood differences, so that the noise of a finite held-out set does
        not add components. 0 gives the rule of the gmm-mi package (threshold alone).
    select : {"oob", "cv", "fixed"}, default="oob"
        How each resample's component count is chosen: "oob" fits the candidates on the
        resample and scores them on the points it left out (cheap, the default); "cv" repeats
        the full k-fold cross-validation (slow); "fixed" reuses the full-data choice (as the
        gmm-mi package does: the spread then ignores that choice).
    block_length : int, "auto" or None, default=None
        None: the i.i.d. bootstrap. An integer or "auto" (n**(1/3)): the moving-block bootstrap,
        for autocorrelated (time-series) samples.
    mi_method : {"auto", "quadrature", "mc"}, default="auto"
        How each mixture's MI is integrated: "auto" is Gauss-Hermite quadrature when the
        variables have 3 dimensions or fewer in all, Monte Carlo otherwise.
    n_mc : int, default=100_000
        Monte Carlo samples per draw, to start with: a draw whose numerical error exceeds 0.2
        times the sd of the draws is integrated again by Monte Carlo with the samples needed
        (up to 16 times ``n_mc``); the largest count used is ``provenance["n_mc_used"]``.
    categorical : bool, default=False
        Treat y as class labels: one mixture of x per class (x continuous, y categorical).
    interval : {"calibrated", "percentile", "basic"}, default="calibrated"
        How the bootstrap draws become the draws shown (``bayesmi.intervals``): "calibrated"
        places their spread around the full-data estimate, widened by the factor measured on
        the validation panel and by the few-draws factor (docs/intervals.md);
        "percentile" keeps the refits' values as they are; "basic" reflects them about the
        estimate. Every scheme sets negative values to 0 and applies the zero rule. The raw
        draws stay on the result (``r.raw_draws_nats``).
    n_permutations : int, default=50
        Shuffles of y in the test of independence (conditional independence with z): a
        permutation test whose statistic is the KSG estimate (``bayesmi.estimators._independence``).
        Where it does not reject at the 0.1 level the interval starts at 0 and the printout
        says "no dependence detected". 0 skips the test.
    marginals : {"auto", "raw", "copula"}, default="auto"
        "copula": each continuous column of x, y (and z) is first mapped to normal scores by
        its empirical distribution function (:mod:`bayesmi.copula`), once on the full data, so
        that the mixture models only the dependence: heavy tails, skew and sharp edges of the
        margins no longer need components (MI is unchanged by such maps). "auto" (the default)
        does so for the columns whose margins are heavy-tailed or skewed
        (:func:`bayesmi.copula.auto_columns`) and leaves the others as given, for MI and
        conditional MI; KL keeps the raw values. "raw" models every value as
        given. A categorical y stays categorical; "copula" is refused for ``kl_marginals``. Scored
        columns are in normal scores in the fitted mixtures (``model``, extras); which columns
        and the maps themselves travel with the result (``r.margins``). Measured in
        docs/gmm.md, "Marginals do not matter": "auto" cut the RMSE on the log-normal,
        exponential and Cauchy cells 1.5-8x and kept the crossed mixture (``mixture_x``, where
        scoring every column held the truth in 0.57 of the data sets) raw.
    seed : int or None, default=None
        One seed for every random choice; the same seed gives the same draws for any n_jobs.
    n_jobs : int, default=1
        Parallel workers for the bootstrap (joblib; -1 for every core).
    progress : bool, default=True
        Show a progress bar.
    backend : str or None, default=None
        A joblib backend ("loky", "threading", "dask", ...).

    Examples
    --------
    >>> r = GMMMI(seed=0).estimate(x, y)
    >>> r.hdi(0.9)          # nats
    """

    name = "gmm"
    min_samples_per_dim = MIN_SAMPLES_PER_DIM
    kind = "bootstrap"
    kinds = ("bootstrap", "block_bootstrap")
    supports_conditional = True
    supports_kl = True
    supports_categorical = True
    renamed: ClassVar[dict[str, str]] = {"n_bootstrap": "n_draws"}
    # Draw i's bootstrap counts come first from np.random.default_rng(child i + 1) (see _draw).
    aligned_draws = True
    chooses_n_components = True
    summary = (
        "Gaussian mixtures fitted by EM, components chosen by cross-validation (again on every "
        "resample), MI by quadrature or Monte Carlo; draws from the bootstrap."
    )
    references = (
        "Piras, D., Peiris, H. V., Pontzen, A., Lucie-Smith, L., Guo, N. & Nord, B. (2023). "
        "A robust estimator of mutual information for deep learning interpretability. "
        "Machine Learning: Science and Technology 4, 025006. doi:10.1088/2632-2153/acc444",
        "Dempster, A. P., Laird, N. M. & Rubin, D. B. (1977). Maximum likelihood from "
        "incomplete data via the EM algorithm. J. R. Stat. Soc. B 39, 1-38.",
        "Varadhan, R. & Roland, C. (2008). Simple and globally convergent methods for "
        "accelerating the convergence of any EM algorithm. Scand. J. Stat. 35, 335-353.",
        "Efron, B. (1979). Bootstrap methods: another look at the jackknife. "
        "Ann. Statist. 7, 1-26.",
    )

    n_draws: int = 50
    _: KW_ONLY
    max_components: int = 10
    n_components: int | None = None
    n_folds: int = 2
    n_init: int = 3
    init: str = "kmeans"
    tol: float = 1e-5
    max_iter: int = 1000
    reg_covar: float = 1e-6
    threshold: float = 1e-5
    patience: int = 1
    se_rule: float = 1.0
    select: str = "oob"
    block_length: int | str | None = None
    mi_method: str = "auto"
    n_mc: int = 100_000
    categorical: bool = False
    interval: str = "calibrated"
    n_permutations: int = 50
    marginals: str = "auto"

    # -- checks ------------------------------------------------------------------------------
    def _check_params(self) -> None:
        c = type(self).__name__
        check_positive_int(self.n_draws, "n_draws", caller=c, minimum=2)
        check_positive_int(self.max_components, "max_components", caller=c)
        if self.n_components is not None:
            check_positive_int(self.n_components, "n_components", caller=c)
        check_positive_int(self.n_folds, "n_folds", caller=c, minimum=2)
        check_positive_int(self.n_init, "n_init", caller=c)
        check_positive_int(self.max_iter, "max_iter", caller=c)
        check_positive_int(self.patience, "patience", caller=c)
        check_positive_int(self.n_mc, "n_mc", caller=c, minimum=100)
        check_choice(self.init, "init", INIT_METHODS, caller=c)
        check_choice(self.select, "select", SELECT_MODES, caller=c)
        check_choice(self.mi_method, "mi_method", mixture.METHODS, caller=c)
        check_choice(self.interval, "interval", intervals.SCHEMES, caller=c)
        check_positive_int(self.n_permutations, "n_permutations", caller=c, minimum=0)
        check_marginals(self.marginals, caller=c)
        for name in ("tol", "reg_covar", "threshold", "se_rule"):
            check_nonnegative(getattr(self, name), name, caller=c)
        if self.block_length not in (None, "auto"):
            check_positive_int(self.block_length, "block_length", caller=c, minimum=1)

    @property
    def _min_samples(self) -> int:
        return max(10, 2 * self.n_folds)

    def _fit_kwargs(self) -> dict[str, Any]:
        """The hyperparameters of every EM fit (``_em.fit_mixture``), under their own names."""
        return {k: getattr(self, k) for k in ("init", "n_init", "tol", "max_iter", "reg_covar")}

    def _sweep_kwargs(self) -> dict[str, Any]:
        """Those of the component sweep (``_em.select_n_components``), under their own names."""
        names = ("max_components", "n_folds", "threshold", "patience", "se_rule")
        return {k: getattr(self, k) for k in names}

    def _select(self, ut: np.ndarray, rng: np.random.Generator) -> Selection:
        """Choose the count on the full data (or fit the fixed count)."""

        def choose() -> Selection:
            if self.n_components is not None:
                fit = fit_mixture(ut, self.n_components, rng, **self._fit_kwargs())
                return Selection(self.n_components, {}, {self.n_components: fit})
            return select_n_components(ut, rng, **self._sweep_kwargs(), **self._fit_kwargs())

        return self._selection(choose, stacklevel=4)

    def choose_n_components(self, u: np.ndarray, rng: np.random.Generator) -> int:
        """The component count that cross-validation (``select``'s full-data step) chooses for
        ``u``, shape (n_samples, dim), each column standardised first; ``n_components`` when
        that is fixed. A fit that fails raises ValueError."""
        ut = np.ascontiguousarray(((u - u.mean(0)) / u.std(0)).T)
        return int(self._select(ut, rng).n_components)

    # -- the verbs (estimate, kl_marginals: MixtureVerbs) --------------------------------------
    def _run(self, quantity: str, parts: list[np.ndarray]) -> MIResult:
        raw = parts  # for the data hash and the independence test
        c = type(self).__name__
        parts, maps = apply_marginals(self.marginals, quantity, parts, caller=c)
        u, shift, scale, ut = standardised(parts)
        seeds = spawn_seeds(self.seed, self.n_draws + 1)
        rng = np.random.default_rng(seeds[0])
        sel = self._select(ut, rng)
        model = sel.fits[sel.n_components].model
        edge = edge_test(ut, np.zeros(ut.shape[1], dtype=np.intp), [model])
        warn_joint_edges(c, *edge, stacklevel=4)
        ctx = self._context(ut, quantity, [p.shape[1] for p in parts], scale, shift, sel)
        out = self._bootstrap(ctx, seeds[1:])
        n_mc = self._refine_integrals(ctx, out, seeds[1:])
        full = sel.fits[sel.n_components].model.affine(scale, shift)
        full_value, _ = _quantity(full, ctx, rng)
        pointwise = mixture.pointwise_mi(full, parts[0].shape[1], u) if quantity == "mi" else None
        extras = self._extras(out, sel, full, full_value)
        if maps is not None:
            extras |= maps.to_extras()
        return self._result(
            out,
            quantity,
            tuple(raw) + (None,) * (3 - len(raw)),
            extras,
            pointwise,
            full,
            n_selected=sel.n_components,
            n_mc_used=n_mc,
        )

    def _estimate_categorical(self, x, y) -> MIResult:
        c = type(self).__name__
        x, labels, _ = check_paired(x, y, caller=c, min_samples=self._min_samples, y_labels=True)
        counts = np.bincount(labels)
        if len(counts) < 2:
            raise ValueError(
                f"{c}: y has a single class; MI with a constant is zero by definition."
            )
        if counts.min() < self._min_samples:
            raise ValueError(
                f"{c}: class {int(counts.argmin())} of y has {counts.min()} samples, fewer than "
                f"the {self._min_samples} needed to fit its mixture. Merge rare classes."
            )
        (u,), maps = apply_marginals(self.marginals, "mi", [x], caller=c)
        shift, scale = u.mean(0), u.std(0)
        ut = np.ascontiguousarray(((u - shift) / scale).T)
        seeds = spawn_seeds(self.seed, self.n_draws + 1)
        rng = np.random.default_rng(seeds[0])
        sels = [self._select(ut[:, labels == k], rng) for k in range(len(counts))]
        self._warn_if_sharp_edges(ut, labels, sels)
        ctx = self._context(ut, "mi", [x.shape[1]], scale, shift, sels[0])
        ctx.labels, ctx.class_selections = labels, sels
        out = self._bootstrap(ctx, seeds[1:])
        full_models = [s.fits[s.n_components].model.affine(scale, shift) for s in sels]
        full_value, _ = mixture.mi_categorical(
            full_models, counts / counts.sum(), **ctx.mi_kwargs, rng=rng
        )
        extras = {
            "n_components": np.array([[o["n_components"] for o in out]]),
            "numerical_error_nats": np.array([[o["error"] for o in out]]),
            "converged": np.array([[o["converged"] for o in out]], dtype=np.int8),
            "class_counts": counts,
            "full_data_estimate_nats": np.array([full_value]),
            **(maps.to_extras() if maps is not None else {}),
        }
        return self._result(
            out,
            "mi",
            (x, labels[:, None], None),
            extras,
            None,
            None,
            n_selected=[s.n_components for s in sels],
        )

    # -- pieces ------------------------------------------------------------------------------
    def _warn_if_sharp_edges(self, ut: np.ndarray, labels: np.ndarray, sels) -> None:
        """Warn (once) when the class mixtures smooth over sharp edges of x within classes."""
        beyond, expected, p = edge_test(ut, labels, [s.fits[s.n_components].model for s in sels])
        warn_sharp_edges(type(self).__name__, beyond, expected, p, stacklevel=5)

    def _context(self, ut, quantity, dims, scale, shift, sel) -> _Context:
        return _Context(
            ut=ut,
            quantity=quantity,
            dims=tuple(dims),
            scale=scale,
            shift=shift,
            selection=sel,
            fit_kwargs=self._fit_kwargs(),
            sweep_kwargs=self._sweep_kwargs(),
            select=self.select if self.n_components is None else "fixed",
            block_length=resolve_block_length(self.block_length, ut.shape[1], type(self).__name__),
            mi_kwargs={"method": self.mi_method, "n_samples": self.n_mc},
        )

    def _refine_integrals(self, ctx: _Context, out: list[dict], seeds) -> int | None:
        """Keep each draw's numerical error well below the spread of the draws.

        A draw whose error exceeds MC_ERROR_RATIO times the sd of the draws (and 1e-4 nats) is
        integrated again by Monte Carlo (also when quadrature could not reach that accuracy:
        a nearly degenerate component), with the sample count that the error's 1/sqrt(n) law
        says is needed, 1.5 times over, at most MC_GROWTH_MAX times ``n_mc``; streams are
        derived from each draw's seed, so ``n_jobs`` does not matter. Selecting draws by the
        size of their error, never by their value, adds no bias. Returns the largest Monte
        Carlo sample count used, or None when every integral was quadrature.
        """
        if ctx.mi_kwargs["method"] == "quadrature":
            return None
        dim = ctx.dims[0] if ctx.quantity == "kl" else sum(ctx.dims)
        uses_mc = ctx.mi_kwargs["method"] == "mc" or dim > mixture.QUADRATURE_MAX_DIM
        n_used = [self.n_mc if uses_mc else None] * len(out)
        cap = MC_GROWTH_MAX * self.n_mc
        for round_ in range(1, MC_ROUNDS + 1):
            target = max(MC_ERROR_RATIO * np.std([o["value"] for o in out], ddof=1), 1e-4)
            tasks, which = [], []
            for i, (o, s) in enumerate(zip(out, seeds, strict=True)):
                if o["error"] <= target or (n_used[i] or 0) >= cap:
                    continue
                n = self.n_mc
                if n_used[i] is not None:  # Monte Carlo already: scale by the 1/sqrt(n) law
                    n = int(min(cap, np.ceil(1.5 * n_used[i] * (o["error"] / target) ** 2)))
                n_used[i] = n
                tasks.append((o["model"], [round_, *s.generate_state(2)], n))
                which.append(i)
            if not tasks:
                break
            redone = self._map(partial(_integrate, ctx), tasks, "gmm integrals")
            for i, (value, err) in zip(which, redone, strict=True):
                out[i]["value"], out[i]["error"] = value, err
        counts = [n for n in n_used if n is not None]
        return max(counts) if counts else None

    def _bootstrap(self, ctx: _Context, seeds) -> list[dict[str, Any]]:
        try:
            return self._map(partial(_draw, ctx), seeds, "gmm bootstrap")
        except FitError as err:
            raise ValueError(f"{type(self).__name__}: {err}") from err

    @staticmethod
    def _extras(out, sel: Selection, full: GaussianMixtureModel, full_value: float):
        k_max = max(o["model"].n_components for o in out)
        arrays = [o["model"].to_arrays(k_max) for o in out]
        return {
            "n_components": np.array([[o["n_components"] for o in out]]),
            "numerical_error_nats": np.array([[o["error"] for o in out]]),
            "converged": np.array([[o["converged"] for o in out]], dtype=np.int8),
            "weights": np.stack([a["weights"] for a in arrays])[None],
            "means": np.stack([a["means"] for a in arrays])[None],
            "covs": np.stack([a["covariances"] for a in arrays])[None],
            "cv_n_components": np.array(list(sel.scores), dtype=np.int64),
            "cv_score": np.array(list(sel.scores.values()), dtype=np.float64),
            **full.to_extras(),
            "full_data_estimate_nats": np.array([full_value]),
        }

    def _result(
        self, out, quantity, data, extras, pointwise, model, n_selected, n_mc_used=None
    ) -> MIResult:
        c = type(self).__name__
        draws = np.array([[o["value"] for o in out]])
        n_bad = sum(not o["converged"] for o in out)
        if n_bad:
            warnings.warn(
                f"{c}: EM did not converge within max_iter={self.max_iter} in {n_bad} of "
                f"{len(out)} bootstrap refits. Raise max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        errors = extras["numerical_error_nats"]
        sd = draws.std(ddof=1)
        if errors.max() > MC_ERROR_RATIO * sd and errors.max() > 1e-4:
            warnings.warn(
                f"{c}: the numerical error of the MI integral (up to {errors.max():.2g} nats) is "
                f"not small against the spread of the draws (sd {sd:.2g} nats), even after "
                "raising the Monte Carlo sample count. Raise n_mc.",
                NumericalErrorWarning,
                stacklevel=3,
            )
        x, y, z = data
        # A stream of its own (the last of n_draws + 2 children): the draws stay as before.
        extras |= self._independence(
            quantity, x, y, z, spawn_seeds(self.seed, self.n_draws + 2)[-1]
        )
        # Centred on the full-data estimate: the bootstrap's bias correction moved the centre
        # towards the truth on sharp-edged cases but raised the RMSE by up to 24% elsewhere
        # (docs/intervals.md, "How the scale was chosen").
        draws, info = intervals.finish(
            draws,
            float(extras["full_data_estimate_nats"][0]),
            scheme=self.interval,
            bias_nats=0.0,
            scale=INTERVAL_SCALE,
            extras=extras,
        )
        prov = self._provenance(x, y, z, n_components_selected=n_selected, n_mc_used=n_mc_used)
        prov["interval"] = info
        return MIResult(
            draws_nats=draws,
            kind="block_bootstrap" if self.block_length is not None else "bootstrap",
            quantity=quantity,
            method=self.name,
            provenance=prov,
            pointwise_nats=pointwise,
            extras=extras,
            model=model,
        )

"""bayes_gmm: mutual information as a posterior, from a Bayesian Gaussian mixture fitted with PyMC.

Each posterior draw of the mixture (weights, means, covariances) gives one MI draw, computed with
the mixture mathematics that ``gmm`` uses (``bayesmi.mixture``: quadrature up to three dimensions
in all, Monte Carlo above). The draws keep their (chain, draw) shape, so R-hat and ESS of MI come
from ArviZ. The closest prior art is the Bayesian mixture estimator of the BMI benchmark
(Czyz et al. 2023), which returns bare MI draws; this adds the diagnostics, conditional MI, KL,
categorical y and the ArviZ record. The model is in :mod:`bayesmi.estimators._bayes_model`.

PyMC, PyTensor and nutpie are imported only when a fit runs.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import KW_ONLY
from functools import partial
from typing import Any, ClassVar

import numpy as np

from bayesmi import intervals, mixture
from bayesmi.copula import apply_marginals, check_marginals
from bayesmi.estimators._bayes_model import JAX_CACHE_ENV, jax_cache_dir
from bayesmi.estimators._edges import (
    edge_test,
    standardised,
    warn_joint_edges,
    warn_sharp_edges,
)
from bayesmi.estimators._em import FitError, fit_mixture, select_n_components
from bayesmi.estimators.base import Estimator, MixtureVerbs, register
from bayesmi.exceptions import NumericalErrorWarning, SamplerWarning
from bayesmi.mixture import GaussianMixtureModel
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import (
    check_choice,
    check_nonnegative,
    check_paired,
    check_positive_int,
)

__all__ = ["JAX_CACHE_ENV", "BayesGMMMI", "canonical_order", "jax_cache_dir", "quantity_draws"]

INFERENCE = ("nuts", "advi")
SAMPLERS = ("nutpie", "nutpie-numba", "pymc")
#: A draw's quadrature is refined while its error exceeds this share of the draws' spread, up
#: to ``REFINE_MAX`` times the base rule's nodes per dimension (see :func:`refined_draws`).
REFINE_SHARE = 0.25
REFINE_MAX = 2
#: Tuning steps per chain by default with nutpie (measured, docs/bayes_gmm.md) and with PyMC's NUTS
#: (PyMC's default).
NUTPIE_TUNE = 500
PYMC_TUNE = 1000
#: Fewest samples (per class, for categorical y) the model is fitted to.
MIN_SAMPLES = 10
#: Posterior draws the edge tests look at (the median of their statistics).
EDGE_DRAWS = 50
#: How much the per-draw integration errors may widen the spread of the MI draws before a
#: ``NumericalErrorWarning`` (their variance adds to the posterior's).
NUMERICAL_WIDENING = 0.10
#: Widening of the posterior's deviations about its mean in the calibrated interval
#: (``interval="calibrated"``, on top of ``intervals.few_draws_scale``), chosen on 120 tuning
#: data sets of the validation panel (n = 1000, panel seed 160: the posterior's 90% HDI held
#: the truth in 0.842 of them pooled, widened by 1.15 in 0.917) and checked on fresh ones
#: (docs/intervals.md, "bayes_gmm: a calibrated posterior").
INTERVAL_SCALE = 1.15


def canonical_order(weights: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Component order of one draw: by weight, largest first, ties broken by the means.

    MI does not depend on the order of the components, but a Monte Carlo integral (which draws
    each component's points in turn) and the rounding of a quadrature sum do; computing every
    draw in this order makes each MI draw exactly invariant to label switching.
    """
    keys = [means[:, j] for j in reversed(range(means.shape[1]))]
    return np.lexsort([*keys, -weights])


def _one_quantity(
    task,
    quantity: str,
    dims: tuple[int, ...],
    mi_kwargs: dict[str, Any],
    tol: float,
    max_refine: int = 4,
):
    """The quantity of one draw's mixture (data units), in nats, and its numerical error
    (quadrature refined towards ``tol``, see ``mixture.expectation``)."""
    mi_kwargs = {**mi_kwargs, "tol": tol, "max_refine": max_refine}
    if quantity == "mi_categorical":
        models, probs, seed = task
        rng = np.random.default_rng(seed)
        return mixture.mi_categorical(models, probs, rng=rng, **mi_kwargs)
    model, seed = task
    rng = np.random.default_rng(seed)
    if quantity == "mi":
        return mixture.mi(model, dims[0], rng=rng, **mi_kwargs)
    if quantity == "cmi":
        return mixture.cmi(model, dims[0], dims[1], rng=rng, **mi_kwargs)
    return mixture.kl_marginals(model, dims[0], rng=rng, **mi_kwargs)


def _models(weights, means, covs) -> list[GaussianMixtureModel]:
    """One mixture per draw, components in canonical order; arrays (S, K, ...) flattened draws."""
    out = []
    for w, mu, cov in zip(weights, means, covs, strict=True):
        order = canonical_order(w, mu)
        out.append(GaussianMixtureModel(w[order], mu[order], cov[order]))
    return out


def quantity_draws(
    weights: np.ndarray,
    means: np.ndarray,
    covs: np.ndarray,
    quantity: str,
    dims: tuple[int, ...],
    *,
    seed: int | np.random.SeedSequence | None = 0,
    mi_method: str = "auto",
    n_mc: int = 20_000,
    map_fn=None,
) -> tuple[np.ndarray, np.ndarray]:
    """MI (``quantity`` "mi"), conditional MI ("cmi") or KL ("kl") of every posterior draw.

    Parameters
    ----------
    weights, means, covs : arrays, shapes (chain, draw, K), (chain, draw, K, D), (chain, draw,
        K, D, D)
        Mixture parameters per draw, in data units.
    dims : tuple of int
        Dimensions of x, y (and z) in the order of the mixture's coordinates.
    seed : int or SeedSequence
        Seeds one Monte Carlo stream per draw (unused by quadrature).
    map_fn : callable, optional
        ``map_fn(fn, tasks, desc)`` (an estimator's ``_map``); a plain loop by default.

    Returns
    -------
    values, errors : arrays of shape (chain, draw), nats
    """
    shape = weights.shape[:2]
    k, d = means.shape[2:]
    models = _models(weights.reshape(-1, k), means.reshape(-1, k, d), covs.reshape(-1, k, d, d))
    seeds = spawn_seeds(seed, len(models))
    fn = partial(
        _one_quantity, quantity=quantity, dims=tuple(dims), mi_kwargs=_mi_kw(mi_method, n_mc)
    )
    tasks = list(zip(models, seeds, strict=True))
    values, errors = refined_draws(fn, tasks, d, mi_method, map_fn, f"bayes_gmm {quantity}")
    return values.reshape(shape), errors.reshape(shape)


def refined_draws(fn, tasks: list, dim: int, mi_method: str, map_fn, desc: str):
    """Every draw's quantity and numerical error, ``fn(task, tol=...)`` over ``tasks``, whose
    mixtures have ``dim`` dimensions and are integrated by ``mi_method``.

    Quadrature in two passes: every draw on its base rule first, then only the draws
    whose error estimate exceeds ``REFINE_SHARE`` of the draws' spread (or
    ``mixture.QUADRATURE_TOL``, whichever is larger) refined towards that tolerance, up to
    ``REFINE_MAX`` times the base rule's nodes. The errors add variance to the draws, widening
    their spread by at most sqrt(1 + REFINE_SHARE**2) - 1 (3%) where every draw sits at the
    tolerance; a wider spread raises ``NumericalErrorWarning``. Refining every draw to 1e-4 nats,
    as a single fit does, cost 15 times the base rule on a ten-component posterior; this way
    its spread stayed within 0.5% of the spread at 320 nodes a dimension (docs/bayes_gmm.md).
    Monte Carlo draws are done once.
    """
    refine = mixture.resolve_method(dim, mi_method) == "quadrature"
    run = map_fn or (lambda f, ts, _desc: [f(t) for t in ts])
    out = run(partial(fn, tol=np.inf if refine else mixture.QUADRATURE_TOL), tasks, desc)
    values = np.array([v for v, _ in out], dtype=np.float64)
    errors = np.array([e for _, e in out], dtype=np.float64)
    if refine and len(values) > 1:
        tol = max(mixture.QUADRATURE_TOL, REFINE_SHARE * float(np.std(values)))
        redo = np.flatnonzero(errors > tol)
        if redo.size:
            fine = partial(fn, tol=tol, max_refine=REFINE_MAX)
            again = run(fine, [tasks[i] for i in redo], f"{desc}, refined")
            values[redo] = [v for v, _ in again]
            errors[redo] = [e for _, e in again]
    return values, errors


def _mi_kw(mi_method: str, n_mc: int) -> dict[str, Any]:
    return {"method": mi_method, "n_samples": n_mc}


def _seed_int(seq: np.random.SeedSequence) -> int:
    """A sampler seed (below 2**31) drawn from a SeedSequence."""
    return int(seq.generate_state(1, dtype=np.uint32)[0] >> 1)


@register
class BayesGMMMI(MixtureVerbs, Estimator):
    """Mutual information as a posterior, from a Bayesian Gaussian mixture fitted with PyMC.

    The mixture of K full-covariance Gaussians is fitted to the joint data, each variable
    standardised (the reported mixtures are in data units; MI does not change). Priors, in
    standardised units: weights Dirichlet(``weight_concentration``), means Normal(0,
    ``mean_sd``), covariances LKJ-Cholesky with correlation shape ``lkj_eta`` and
    lognormal(log ``sd_scale``, ``sd_log_sd``) scales. Each posterior draw gives one MI draw.

    Parameters
    ----------
    n_components : int or None, default=None
        K. None chooses it as ``gmm`` does, by 2-fold cross-validation of held-out
        log-likelihood (up to ``max_components``); see docs/bayes_gmm.md for why this default.
        An overfitted mixture with a sparse Dirichlet (e.g. ``n_components=10,
        weight_concentration=0.1``) is the alternative.
    max_components : int, default=10
        Largest K the cross-validation tries.
    inference : {"nuts", "advi"}, default="nuts"
        NUTS gives a posterior (``kind="posterior"``); mean-field ADVI an approximation of it,
        faster for large n (``kind="variational"``: its spread is usually too narrow).
    sampler : {"nutpie", "nutpie-numba", "pymc"}, default="nutpie"
        NUTS implementation: nutpie with the model compiled through JAX (default: about 8 s of
        CPU to compile on a cold start), nutpie with the model compiled by numba (about 80 s
        cold, cached on disk after), or PyMC's own sampler. nutpie's models are compiled once
        per structure in a process and reused for new data.
    n_draws : int, default=1000
        Draws per chain after tuning (for ADVI: draws from the fitted approximation).
        (Formerly ``draws``, still accepted with a ``FutureWarning``.)
    tune : int or None, default=None
        Tuning steps per chain. None: ``NUTPIE_TUNE`` (500) with nutpie, 1000 (PyMC's default)
        with ``sampler="pymc"``. nutpie adapts its mass matrix from gradients as well as draws;
        500 steps mixed the MI as well as 1000 on nine- and eight-component posteriors at 60% of
        the time, where 300 (nutpie's own default) once left a chain half adapted
        (docs/bayes_gmm.md).
    chains : int, default=2
        Independent chains (at least 2 for R-hat).
    target_accept : float, default=0.9
        NUTS step-size target.
    advi_iterations : int, default=10000
        ADVI optimisation steps.
    advi_learning_rate : float, default=0.03
        Adam step size of ADVI.
    weight_concentration, mean_sd, lkj_eta, sd_scale, sd_log_sd : float
        Prior hyperparameters (defaults 1.0, 2.0, 2.0, 0.5, 1.0), in standardised units.
    categorical : bool, default=False
        Treat y as class labels: one mixture of x per class, class probabilities from their
        Dirichlet(1 + counts) posterior.
    mi_method : {"auto", "quadrature", "mc"}, default="auto"
        How each draw's integral is done: quadrature up to 3 dimensions in all, else Monte Carlo.
    n_mc : int, default=20000
        Monte Carlo points per draw where Monte Carlo is used (its error adds to the spread and
        is reported; a warning says when it is not small against the posterior sd).
    min_ess : int, default=400
        Bulk ESS of MI below this warns (Vehtari et al. 2021 suggest 100 per chain for 4 chains).
    max_rhat : float, default=1.01
        R-hat of MI above this warns.
    interval : {"calibrated", "percentile", "basic"}, default="calibrated"
        How the posterior draws become the draws shown (``bayesmi.intervals``): "calibrated"
        widens their deviations about the posterior mean by ``INTERVAL_SCALE``, measured on the
        validation panel (a calibration of the posterior, docs/intervals.md); "percentile"
        keeps the posterior draws as drawn; "basic" reflects them about the posterior mean.
        Every scheme sets negative values to 0 and applies the zero rule. The posterior draws
        stay on the result (``r.raw_draws_nats``).
    n_permutations : int, default=50
        Shuffles of y in the test of (conditional) independence (a permutation test of the KSG
        estimate, ``bayesmi.estimators._independence``): where it does not reject at the 0.1
        level the interval starts at 0 and the printout says "no dependence detected" (the
        mixture's MI is > 0 in every posterior draw, so without it the interval never reaches
        0). 0 skips it.
    marginals : {"auto", "raw", "copula"}, default="auto"
        As in ``gmm`` (:func:`bayesmi.copula.apply_marginals`, the same code): "copula" maps
        each continuous column of x, y (and z) to normal scores by its empirical distribution
        function, once on the data before the posterior is fitted, so that the mixture models
        only the dependence; "auto" does so for the heavy-tailed or skewed columns
        (:func:`bayesmi.copula.auto_columns`) for MI and conditional MI and keeps KL's raw
        values; "raw" fits the values as given. A categorical y stays categorical; "copula" is
        refused for ``kl_marginals``. Scored columns are in normal scores in the posterior
        mixtures and ``observed_data`` (the data the mixture was fitted to); the maps travel
        with the result (``r.margins``). Measured in docs/bayes_gmm.md, "Marginals".
    seed : int or None, default=None
        The same seed gives the same draws.
    n_jobs : int, default=1
        Workers for the per-draw integrals (the chains run in parallel in the sampler).
    progress : bool, default=True
        Progress bars of the sampler and of the integrals.
    backend : str or None, default=None
        A joblib backend for the per-draw integrals ("loky", "threading", "dask", ...).
    verbose : bool, default=False
        Let the sampler's own log messages and warnings through.

    Examples
    --------
    >>> r = BayesGMMMI(seed=0).estimate(x, y)
    >>> r.summary()           # r_hat, ess_bulk, ess_tail of mi (nats)
    >>> r.to_inferencedata()  # posterior (mixture + mi), sample_stats, observed_data
    """

    name: ClassVar[str] = "bayes_gmm"
    kind: ClassVar[str] = "posterior"
    kinds: ClassVar[tuple[str, ...]] = ("posterior", "variational")
    supports_conditional: ClassVar[bool] = True
    supports_kl: ClassVar[bool] = True
    supports_categorical: ClassVar[bool] = True
    # The sampler's own packages are added per run (_sampler_packages).
    packages: ClassVar[tuple[str, ...]] = ("pymc", "pytensor")
    renamed: ClassVar[dict[str, str]] = {"draws": "n_draws"}
    summary: ClassVar[str] = (
        "Bayesian Gaussian mixture (PyMC, NUTS or ADVI); one MI draw per posterior draw"
    )
    references: ClassVar[tuple[str, ...]] = (
        "Czyz, P., Grabowski, F., Vogt, J. E., Beerenwinkel, N., Marx, A. (2023). Beyond "
        "normal: on the evaluation of mutual information estimators. NeurIPS 36. "
        "arXiv:2306.11078",
        "Lewandowski, D., Kurowicka, D., Joe, H. (2009). Generating random correlation matrices "
        "based on vines and extended onion method. J. Multivariate Anal. 100, 1989-2001. "
        "doi:10.1016/j.jmva.2009.04.008",
        "Hoffman, M. D., Gelman, A. (2014). The No-U-Turn sampler. JMLR 15, 1593-1623. "
        "arXiv:1111.4246",
        "Kucukelbir, A., Tran, D., Ranganath, R., Gelman, A., Blei, D. M. (2017). Automatic "
        "differentiation variational inference. JMLR 18(14), 1-45. arXiv:1603.00788",
        "Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., Buerkner, P.-C. (2021). "
        "Rank-normalization, folding, and localization: an improved R-hat. Bayesian Analysis "
        "16, 667-718. doi:10.1214/20-BA1221",
        "Piras, D., Peiris, H. V., Pontzen, A., Lucie-Smith, L., Guo, N., Nord, B. (2023). A "
        "robust estimator of mutual information for deep learning interpretability. Mach. "
        "Learn.: Sci. Technol. 4, 025006. doi:10.1088/2632-2153/acc444",
    )

    n_components: int | None = None
    _: KW_ONLY
    max_components: int = 10
    inference: str = "nuts"
    sampler: str = "nutpie"
    n_draws: int = 1000
    tune: int | None = None
    chains: int = 2
    target_accept: float = 0.9
    advi_iterations: int = 10_000
    advi_learning_rate: float = 0.03
    weight_concentration: float = 1.0
    mean_sd: float = 2.0
    lkj_eta: float = 2.0
    sd_scale: float = 0.5
    sd_log_sd: float = 1.0
    categorical: bool = False
    mi_method: str = "auto"
    n_mc: int = 20_000
    min_ess: int = 400
    max_rhat: float = 1.01
    interval: str = "calibrated"
    n_permutations: int = 50
    marginals: str = "auto"
    verbose: bool = False

    # -- checks ------------------------------------------------------------------------------
    def _check_params(self) -> None:
        c = type(self).__name__
        if self.n_components is not None:
            check_positive_int(self.n_components, "n_components", caller=c)
        check_positive_int(self.max_components, "max_components", caller=c)
        check_choice(self.inference, "inference", INFERENCE, caller=c)
        check_choice(self.sampler, "sampler", SAMPLERS, caller=c)
        check_choice(self.mi_method, "mi_method", mixture.METHODS, caller=c)
        check_choice(self.interval, "interval", intervals.SCHEMES, caller=c)
        check_positive_int(self.n_draws, "n_draws", caller=c, minimum=10)
        if self.tune is not None:
            check_positive_int(self.tune, "tune", caller=c, minimum=0)
        check_positive_int(self.chains, "chains", caller=c)
        check_positive_int(self.advi_iterations, "advi_iterations", caller=c, minimum=100)
        check_positive_int(self.n_mc, "n_mc", caller=c, minimum=100)
        check_positive_int(self.min_ess, "min_ess", caller=c, minimum=0)
        check_positive_int(self.n_permutations, "n_permutations", caller=c, minimum=0)
        check_marginals(self.marginals, caller=c)
        positive = ("weight_concentration", "mean_sd", "lkj_eta", "sd_scale", "sd_log_sd")
        for name in (*positive, "advi_learning_rate"):
            value = getattr(self, name)
            if check_nonnegative(value, name, caller=c) == 0:
                raise ValueError(f"{c}: {name} must be positive, got {value!r}.")
        if not isinstance(self.target_accept, float | int) or not 0 < self.target_accept < 1:
            raise ValueError(
                f"{c}: target_accept must lie strictly between 0 and 1, got {self.target_accept!r}."
            )
        if (
            isinstance(self.max_rhat, bool)
            or not isinstance(self.max_rhat, float | int)
            or (not self.max_rhat >= 1)
        ):
            raise ValueError(f"{c}: max_rhat must be a number >= 1, got {self.max_rhat!r}.")

    def _priors(self):
        from bayesmi.estimators._bayes_model import Priors

        return Priors(
            weight_concentration=float(self.weight_concentration),
            mean_sd=float(self.mean_sd),
            lkj_eta=float(self.lkj_eta),
            sd_scale=float(self.sd_scale),
            sd_log_sd=float(self.sd_log_sd),
        )

    # -- the verbs (estimate, kl_marginals: MixtureVerbs) --------------------------------------
    _min_samples = MIN_SAMPLES

    # -- pieces ------------------------------------------------------------------------------
    def _choose_k(self, ut: np.ndarray, rng: np.random.Generator) -> tuple[int, dict]:
        """K: the user's, or gmm's cross-validated choice on the standardised data (dim, n)."""
        if self.n_components is not None:
            return self.n_components, {}
        sel = self._selection(
            lambda: select_n_components(
                ut, rng, max_components=self.max_components, se_rule=1.0, fit_full=False
            ),
            stacklevel=5,
        )
        cv = {
            "cv_n_components": np.array(list(sel.scores), dtype=np.int64),
            "cv_score": np.array(list(sel.scores.values()), dtype=np.float64),
        }
        return sel.n_components, cv

    def _em_fit(self, ut: np.ndarray, k: int, rng: np.random.Generator) -> GaussianMixtureModel:
        """One EM fit at K on the standardised data (dim, n)."""
        try:
            return fit_mixture(ut, k, rng).model
        except FitError as err:
            raise ValueError(f"{type(self).__name__}: {err}") from err

    def _tune(self) -> int:
        """Tuning steps per chain: the user's, else the default of the sampler's route."""
        if self.tune is not None:
            return self.tune
        return PYMC_TUNE if self.sampler == "pymc" else NUTPIE_TUNE

    def _posterior(self, u_std: np.ndarray, k: int, seed: np.random.SeedSequence, init=None):
        """Draws of the mixture in standardised units (bayesmi.estimators._bayes_model.Draws);
        ``init`` an EM fit (GaussianMixtureModel, standardised units) where NUTS starts."""
        from bayesmi.arviz_io import _az
        from bayesmi.estimators import _bayes_model as bayes_model

        _az()  # before PyMC imports ArviZ: processes starting together race on its daily stamp
        try:
            import pymc  # noqa: F401
        except ImportError as err:  # pragma: no cover - the extra is part of the test install
            raise ImportError(
                f"{type(self).__name__} needs PyMC: pip install 'bayesmi[pymc]'."
            ) from err
        if self.inference == "nuts" and self.sampler == "nutpie":
            import importlib.util

            if importlib.util.find_spec("jax") is None:  # pragma: no cover - part of the extra
                raise ImportError(
                    f"{type(self).__name__}: sampler='nutpie' compiles the model with JAX, which "
                    "is not installed: pip install 'bayesmi[pymc]' (or pass "
                    "sampler='nutpie-numba')."
                )
        run = bayes_model.Run(
            k,
            self._priors(),
            draws=self.n_draws,
            seed=_seed_int(seed),
            progress=self.progress,
            verbose=self.verbose,
        )
        if self.inference == "advi":
            return bayes_model.fit_advi(
                u_std,
                run,
                n_iterations=self.advi_iterations,
                learning_rate=float(self.advi_learning_rate),
            )
        import os

        return bayes_model.sample_nuts(
            u_std,
            run,
            sampler="pymc" if self.sampler == "pymc" else "nutpie",
            nutpie_backend="numba" if self.sampler == "nutpie-numba" else "jax",
            tune=self._tune(),
            chains=self.chains,
            cores=max(1, min(self.chains, os.cpu_count() or 1)),
            target_accept=float(self.target_accept),
            init=None
            if init is None
            else (init.weights, init.means, np.linalg.cholesky(init.covariances)),
        )

    def _run(self, quantity: str, parts: list[np.ndarray]) -> MIResult:
        raw = parts  # for the data hash and the independence test
        c = type(self).__name__
        # Once, before the fit: a posterior has no resamples to redo it in.
        parts, maps = apply_marginals(self.marginals, quantity, parts, caller=c)
        u, shift, scale, ut = standardised(parts)
        seeds = spawn_seeds(self.seed, 3)
        rng = np.random.default_rng(seeds[0])
        k, cv = self._choose_k(ut, rng)
        # One EM fit at K, on its own stream (the draws of K's choice do not move): where
        # nutpie's chains start (PyMC's sampler and ADVI start where PyMC starts them).
        model = None
        if self.inference == "nuts" and self.sampler != "pymc":
            model = self._em_fit(ut, k, np.random.default_rng(seeds[0].spawn(1)[0]))
        u_std = np.ascontiguousarray(ut.T)
        post = self._posterior(u_std, k, seeds[1], init=model)
        # Back to data units: u = u_std * scale + shift.
        means = post.means * scale + shift
        covs = post.chol @ np.swapaxes(post.chol, -1, -2) * np.multiply.outer(scale, scale)
        self._warn_if_edges(u, np.zeros(len(u), dtype=np.intp), [(post.weights, means, covs)])
        order = _canonical_indices(post.weights, means)
        weights = np.take_along_axis(post.weights, order, axis=2)
        means = np.take_along_axis(means, order[..., None], axis=2)
        covs = np.take_along_axis(covs, order[..., None, None], axis=2)
        dims = tuple(p.shape[1] for p in parts)
        t0 = time.perf_counter()
        values, errors = quantity_draws(
            weights,
            means,
            covs,
            quantity,
            dims,
            seed=seeds[2],
            mi_method=self.mi_method,
            n_mc=self.n_mc,
            map_fn=self._map,
        )
        post.integral_seconds = time.perf_counter() - t0
        extras = {
            "weights": weights,
            "means": means,
            "covs": covs,
            "numerical_error_nats": errors,
            **cv,
        }
        extras.update(_loss_log(post.loss))
        if maps is not None:
            extras |= maps.to_extras()
        observed = {"u": u}
        return self._result(values, quantity, raw, k, post, extras, observed)

    def _estimate_categorical(self, x, y) -> MIResult:
        c = type(self).__name__
        x, labels, _ = check_paired(x, y, caller=c, min_samples=MIN_SAMPLES, y_labels=True)
        counts = np.bincount(labels)
        if len(counts) < 2:
            raise ValueError(
                f"{c}: y has a single class; MI with a constant is zero by definition."
            )
        if counts.min() < MIN_SAMPLES:
            raise ValueError(
                f"{c}: class {int(counts.argmin())} of y has {counts.min()} samples, fewer than "
                f"the {MIN_SAMPLES} needed to fit its mixture. Merge rare classes."
            )
        (u,), maps = apply_marginals(self.marginals, "mi", [x], caller=c)
        shift, scale = u.mean(0), u.std(0)
        x_std = (u - shift) / scale
        seeds = spawn_seeds(self.seed, 2 * len(counts) + 2)
        models_per_class, ks, stats, cvs = [], [], [], {}
        for cls in range(len(counts)):
            xc = x_std[labels == cls]
            k, cv = self._choose_k(np.ascontiguousarray(xc.T), np.random.default_rng(seeds[cls]))
            post = self._posterior(xc, k, seeds[len(counts) + cls])
            means = post.means * scale + shift
            covs = post.chol @ np.swapaxes(post.chol, -1, -2) * np.multiply.outer(scale, scale)
            models_per_class.append((post.weights, means, covs))
            ks.append(k)
            stats.append(post)
            cvs.update({f"class{cls}_{key}": v for key, v in cv.items()})
        shape = models_per_class[0][0].shape[:2]
        self._warn_if_edges(u, labels, models_per_class)
        # The class probabilities have the conjugate posterior Dirichlet(1 + counts); the
        # likelihood factorises over labels and x given labels, so they are drawn exactly.
        rng = np.random.default_rng(seeds[-2])
        probs = rng.dirichlet(1.0 + counts, size=shape)
        tasks = []
        entropy = spawn_seeds(seeds[-1], shape[0] * shape[1])
        for s, (ci, di) in enumerate(np.ndindex(*shape)):
            models = []
            for w, mu, cov in models_per_class:
                order = canonical_order(w[ci, di], mu[ci, di])
                models.append(
                    GaussianMixtureModel(w[ci, di][order], mu[ci, di][order], cov[ci, di][order])
                )
            tasks.append((models, probs[ci, di], entropy[s]))
        fn = partial(
            _one_quantity,
            quantity="mi_categorical",
            dims=(x.shape[1],),
            mi_kwargs=_mi_kw(self.mi_method, self.n_mc),
        )
        t0 = time.perf_counter()
        values, errors = refined_draws(
            fn, tasks, x.shape[1], self.mi_method, self._map, "bayes_gmm mi"
        )
        integral_seconds = time.perf_counter() - t0
        values, errors = values.reshape(shape), errors.reshape(shape)
        extras: dict[str, np.ndarray] = {
            "class_probs": probs,
            "numerical_error_nats": errors,
            "class_counts": counts,
            **cvs,
            **(maps.to_extras() if maps is not None else {}),
        }
        for cls, (w, mu, cov) in enumerate(models_per_class):
            extras[f"class{cls}_weights"] = w
            extras[f"class{cls}_means"] = mu
            extras[f"class{cls}_covs"] = cov
        merged = _merge_stats(stats)
        merged.integral_seconds = integral_seconds
        return self._result(
            values, "mi", [x, labels[:, None]], ks, merged, extras, {"x": u, "y": labels}
        )

    def _result(self, values, quantity, parts, k, post, extras, observed) -> MIResult:
        from bayesmi import arviz_io

        kind = "variational" if self.inference == "advi" else "posterior"
        diag = {}
        groups = {}
        if kind == "posterior":
            diag = arviz_io.mcmc_diagnostics(values)
            n_div = int(np.asarray(post.sample_stats["diverging"]).sum())
            diag["divergences"] = n_div
            groups["sample_stats"] = post.sample_stats
            self._warn(diag)
        groups["observed_data"] = arviz_io.dataset(observed)
        self._warn_numerical(values, extras["numerical_error_nats"])
        x, y = parts[0], parts[1]
        z = parts[2] if len(parts) > 2 else None
        # The test on a stream of its own (the posterior draws stay as before). Calibrated:
        # centred on the posterior mean (no bias estimate), the spread widened by the measured
        # factor; the posterior draws are kept in the extras.
        extras |= self._independence(quantity, x, y, z, spawn_seeds(self.seed, 2)[1].spawn(1)[0])
        values, interval = intervals.finish(
            values, None, scheme=self.interval, bias_nats=0.0, scale=INTERVAL_SCALE, extras=extras
        )
        prov = self._provenance(
            x,
            y,
            z,
            packages=self._sampler_packages(kind),
            n_components_used=k,
            inference=self.inference,
            sampler=self.sampler if kind == "posterior" else "advi",
            tune=self._tune() if kind == "posterior" else None,
            compile_seconds=getattr(post, "compile_seconds", None),
            compile_cpu_seconds=getattr(post, "compile_cpu_seconds", None),
            integral_seconds=getattr(post, "integral_seconds", None),
            compiled_model_reused=getattr(post, "cached", None),
            diagnostics=diag,
            interval=interval,
        )
        return MIResult(
            draws_nats=values,
            kind=kind,
            quantity=quantity,
            method=self.name,
            provenance=prov,
            extras=extras,
            groups=groups,
        )

    def _sampler_packages(self, kind: str) -> tuple[str, ...]:
        """The packages that ran the sampler, beyond PyMC and PyTensor."""
        if kind != "posterior" or self.sampler == "pymc":
            return ()
        return ("nutpie", "numba" if self.sampler == "nutpie-numba" else "jax")

    def _warn(self, diag: dict[str, Any]) -> None:
        c = type(self).__name__
        problems = []
        if diag["divergences"]:
            problems.append(
                f"{diag['divergences']} divergent transitions (raise target_accept, or choose "
                "fewer components)"
            )
        r_hat = diag.get("r_hat")
        if r_hat is not None and not r_hat <= self.max_rhat:
            problems.append(f"R-hat of MI {r_hat:.3f} > {self.max_rhat} (run longer chains)")
        ess = diag.get("ess_bulk")
        if ess is not None and ess < self.min_ess:
            problems.append(f"bulk ESS of MI {ess:.0f} < {self.min_ess} (raise n_draws or tune)")
        if problems:
            warnings.warn(
                f"{c}: the sampler's diagnostics fail: " + "; ".join(problems) + ".",
                SamplerWarning,
                stacklevel=4,
            )

    def _warn_if_edges(self, u: np.ndarray, labels: np.ndarray, per_class) -> None:
        """gmm's edge test (``_edges.edge_test``) on posterior draws of the mixtures (one per
        class of y; one for continuous data, all labels 0): its statistic is the median over up
        to ``EDGE_DRAWS`` draws spread over the chains, and the warning is gmm's (one per
        estimate): ``warn_sharp_edges`` for categorical y, ``warn_joint_edges`` otherwise."""
        from scipy.stats import gamma

        chains, draws = per_class[0][0].shape[:2]
        ut = np.ascontiguousarray(u.T)
        flat = np.linspace(0, chains * draws - 1, min(EDGE_DRAWS, chains * draws)).astype(int)
        sums = []
        for i in flat:
            ci, di = divmod(int(i), draws)
            models = [GaussianMixtureModel(w[ci, di], mu[ci, di], cov[ci, di])
                      for w, mu, cov in per_class]  # fmt: skip
            beyond, expected, _ = edge_test(ut, labels, models)
            sums.append(beyond)
        beyond = float(np.median(sums))
        warn = warn_sharp_edges if self.categorical else warn_joint_edges
        warn(type(self).__name__, beyond, expected, float(gamma.sf(beyond, expected)), stacklevel=5)

    def _warn_numerical(self, values: np.ndarray, errors: np.ndarray) -> None:
        # Each draw's integration error is independent of the posterior and adds its variance
        # to the draws' spread: warn where it widens the spread by more than NUMERICAL_WIDENING.
        # (The worst draw's error against 0.2 sd, the rule before 2026-12-02, fired on every
        # 3+3-D Gaussian data set of the panel at n = 1000, where the errors widened the
        # spread by about 2%.)
        sd = values.std(ddof=1) if values.size > 1 else 0.0
        rms = float(np.sqrt(np.mean(np.square(errors))))
        if rms > 1e-4 and (sd == 0 or np.sqrt(1 + (rms / sd) ** 2) - 1 > NUMERICAL_WIDENING):
            warnings.warn(
                f"{type(self).__name__}: the numerical error of the per-draw integrals (rms "
                f"{rms:.2g} nats) is not small against the posterior sd ({sd:.2g} nats): it "
                f"widens the draws' spread by more than {NUMERICAL_WIDENING:.0%}. Raise n_mc.",
                NumericalErrorWarning,
                stacklevel=4,
            )


def _canonical_indices(weights: np.ndarray, means: np.ndarray) -> np.ndarray:
    """canonical_order of every draw, shape (chain, draw, K)."""
    out = np.empty(weights.shape, dtype=np.intp)
    for idx in np.ndindex(*weights.shape[:2]):
        out[idx] = canonical_order(weights[idx], means[idx])
    return out


def _loss_log(loss: np.ndarray | None) -> dict[str, np.ndarray]:
    """ADVI's loss history in the library's training-log convention."""
    if loss is None:
        return {}
    n = len(loss)
    return {
        "log_iteration": np.arange(n, dtype=np.int64),
        "log_member": np.zeros(n, dtype=np.int64),
        "log_split": np.zeros(n, dtype=np.int64),
        "log_loss": loss,
        "log_mi_nats": np.full(n, np.nan),
    }


def _merge_stats(posts: list) -> Any:
    """One object with ``sample_stats`` (stacked over classes) and the first compile facts."""
    from types import SimpleNamespace

    first = posts[0]
    stats = None
    if first.sample_stats is not None:
        import xarray as xr

        stats = xr.concat([p.sample_stats for p in posts], dim="y_class")
    return SimpleNamespace(
        sample_stats=stats,
        compile_seconds=sum(p.compile_seconds for p in posts),
        compile_cpu_seconds=sum(p.compile_cpu_seconds for p in posts),
        cached=all(p.cached for p in posts),
        loss=None,
    )

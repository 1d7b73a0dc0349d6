"""Latent MI: learn a small representation of x and of y, then KSG on held-out samples.

The method of Gowri, Lun, Klein & Yin (2024), "Approximating mutual information of
high-dimensional variables using learned representations" (NeurIPS 2024, arXiv:2409.02732):

1. Standardise each column (constant columns become zeros) and clip at +-``clip`` sds.
2. Train paired autoencoders with a cross-prediction term
   (:mod:`bayesmi.estimators._latent_ae`) on part of the data, with early stopping on a
   validation part and the best weights restored.
3. Encode the samples the network never saw (neither trained nor validated on) and estimate
   I(z_x; z_y) by KSG (:mod:`bayesmi.estimators._knn`, through
   :class:`~bayesmi.estimators.ksg.KSGMI`).

By the data-processing inequality I(f(X); g(Y)) <= I(X; Y) for any encoders f, g, so the
quantity estimated is a lower bound on the MI (``bound="lower"``); it reaches the MI when the
latents keep all that x and y share.

Departures from latentmi (the authors' package), each for a reason:
- The samples that decide early stopping are not the samples MI is evaluated on (latentmi uses
  its held-out half for both).
- Cross-fitting (``split="crossfit"``, the default): the data are cut into ``n_folds`` folds,
  each fold is encoded by a network trained without it, so every sample gets a held-out
  pointwise MI and the estimate uses all n samples. ``split="holdout"`` is latentmi's scheme:
  one network per repeat, pointwise MI only for its held-out part (NaN elsewhere).
- ``n_repeats`` fits with different seeds and splits, trained together as one batched network,
  make the distribution (below); latentmi gives one number.
- AdamW (lr 1e-3) and narrower layers instead of Adam (lr 1e-4) and 1024-wide layers: the same
  accuracy on latentmi's own example in a fraction of the time (benchmarks/latent_vs_latentmi.py).

The distribution (``kind="ensemble"``): each repeat r gives an estimate I_r (mean of its held-out
pointwise terms). Around it go the deviations of KSG's subsampling scheme on the held-out
latents (disjoint subsamples, centred at their size and rescaled by sqrt(m / n_eval), Holmes &
Nemenman 2019; folds are independent, so a repeat's deviation is the fold deviations averaged
with weights n_fold / n_eval). The draws I_r + deviation pool the spread of training randomness
and the choice of split (between repeats) with the finite evaluation data (within). The split
part of the between-repeat spread already holds some evaluation noise (different held-out
samples), so the pooled spread errs on the wide side. Neither part captures the bias: KSG's
(small here: the latents are low-dimensional) and the representation's (a latent that loses
shared information is low in every draw; sweep the latent size with :func:`latent_sweep`).
"""

from __future__ import annotations

import warnings
from dataclasses import KW_ONLY, dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np

from bayesmi import intervals
from bayesmi.estimators.base import Estimator, register
from bayesmi.exceptions import HighMIWarning, warn_still_improving
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import (
    check_array,
    check_choice,
    check_nonnegative,
    check_positive_int,
    resolve_device,
)

__all__ = ["LatentMI", "LatentModel"]

SPLITS = ("crossfit", "holdout")
DEVICES = ("cpu", "cuda", "auto")


def _import_torch(caller: str):
    try:
        import torch
    except ImportError as err:  # pragma: no cover - torch is in the test environment
        raise ImportError(
            f"{caller} needs PyTorch: pip install 'bayesmi[torch]' (or pip install torch)."
        ) from err
    return torch


def _standardise(a: np.ndarray, clip: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = a.mean(axis=0)
    sd = a.std(axis=0)
    sd = np.where(sd > 0, sd, np.inf)  # a constant column becomes zeros
    z = (a - mean) / sd
    if clip is not None:
        z = np.clip(z, -clip, clip)
    return z, mean, sd


@dataclass
class LatentModel:
    """The trained networks of a latent MI result, with the standardisation they expect.

    ``encode(x, y)`` gives every member's latents of new data; member m belongs to repeat
    ``member_repeat[m]`` and was trained without fold ``member_fold[m]``.
    """

    network: Any
    x_mean: np.ndarray
    x_sd: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    clip: float | None
    member_repeat: np.ndarray
    member_fold: np.ndarray
    device: str = "cpu"

    def encode(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Latents of x and y (arrays with the training data's columns): two arrays of shape
        (members, n_samples, latent_dim)."""
        from bayesmi.estimators._latent_ae import encode_all

        x = check_array(x, "x", caller="LatentModel.encode", allow_constant=True, min_samples=1)
        y = check_array(y, "y", caller="LatentModel.encode", allow_constant=True, min_samples=1)
        for name, a, mean in (("x", x, self.x_mean), ("y", y, self.y_mean)):
            if a.shape[1] != len(mean):
                raise ValueError(
                    f"LatentModel.encode: {name} must have {len(mean)} columns like the training "
                    f"data, got {a.shape[1]}."
                )
        xs = (x - self.x_mean) / self.x_sd
        ys = (y - self.y_mean) / self.y_sd
        if self.clip is not None:
            xs, ys = np.clip(xs, -self.clip, self.clip), np.clip(ys, -self.clip, self.clip)
        return encode_all(self.network, xs, ys, self.device)


def _ksg_member(k: int, n_draws: int, task) -> dict[str, Any]:
    """KSG on one member's held-out latents: full estimate, pointwise terms, subsampling
    deviations and the estimate with 2k neighbours. KSGMI's own bias warning is silenced here:
    the estimator issues one for the whole ensemble (:meth:`LatentMI._warn`)."""
    from bayesmi.estimators.ksg import KSGMI

    zx, zy, seed = task
    # A latent unit that came out constant carries nothing; KSG needs varying columns.
    zx = zx[:, np.ptp(zx, axis=0) > 0]
    zy = zy[:, np.ptp(zy, axis=0) > 0]
    n = len(zx)
    if zx.shape[1] == 0 or zy.shape[1] == 0:
        return {"full": 0.0, "terms": np.zeros(n), "dev": np.zeros(n_draws), "at_2k": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # marginals="raw": ksg's default maps columns to normal scores (measured on the panel's
        # data, not on learned latents); the latent estimator keeps the values it was measured with.
        r = KSGMI(
            k, n_draws=n_draws, n_permutations=0, marginals="raw", seed=seed, progress=False
        ).estimate(zx, zy)
    full = float(r.extras["full_data_estimate_nats"][0])
    return {
        "full": full,
        "terms": r.pointwise_nats,
        "dev": r.raw_draws_nats.ravel() - full,
        "at_2k": float(r.extras["estimate_2k_nats"][0]),
    }


@register
class LatentMI(Estimator):
    """Latent MI (Gowri et al. 2024): KSG on learned low-dimensional representations of x and y,
    evaluated on held-out samples, as an ensemble of repeated fits. A lower bound on I(X;Y).

    Parameters
    ----------
    latent_dim : int, default=8
        Size of each latent (z_x and z_y). Sweep it with :func:`bayesmi.latent_sweep`: the
        estimate should stop rising once the latent holds what x and y share.
    n_repeats : int, default=5
        Fits with different seeds and splits (trained together as one batched network).
    split : {"crossfit", "holdout"}, default="crossfit"
        "crossfit": per repeat, the data are cut into ``n_folds`` folds and each fold is encoded
        by a network trained on the others, so every sample gets a held-out pointwise MI.
        "holdout" (latentmi's scheme): one network per repeat, evaluated on an
        ``eval_fraction`` of the samples; the others get NaN pointwise MI in that repeat.
    n_folds : int, default=2
        Folds for "crossfit".
    eval_fraction : float, default=0.5
        Held-out fraction for "holdout".
    validation_fraction : float, default=0.2
        Part of each network's training rows kept aside for early stopping (never the
        evaluation rows).
    hidden : tuple of int, default=(128, 64)
        Encoder hidden widths; decoders mirror them.
    alpha, lam : float, default=1.0
        Weights of the reconstruction and cross-prediction losses.
    dropout : float, default=0.5
        Dropout of the cross decoders (as the authors' implementation).
    lr, weight_decay : float, default=1e-3, 1e-4
        AdamW (Loshchilov & Hutter 2019).
    batch_size : int, default=256
    max_epochs : int, default=300
        A member still improving at ``max_epochs`` warns with ``ConvergenceWarning``.
    patience : int, default=10
        Epochs without a lower validation loss before a member stops; its best weights are
        restored.
    k : int, default=3
        KSG neighbours.
    n_draws : int, default=200
        Draws in all, ``n_draws // n_repeats`` per repeat.
    clip : float or None, default=10.0
        Standardised values are clipped at +-clip (as latentmi), so outliers do not dominate
        the squared-error loss.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    seed : int or None
        Splits, initial weights, batch order, dropout and KSG's jitter and subsamples.
    n_jobs : int, default=1
        Workers for the KSG evaluations (training is one batched network).
    progress : bool, default=True
    backend : str or None, default=None
        A joblib backend for the KSG evaluations.

    Examples
    --------
    >>> r = LatentMI(seed=0).estimate(x, y)       # x: (n, 100), y: (n, 100)
    >>> r                                         # nats, with "MI >= a with probability 0.95"
    >>> r.to("bits").mean
    >>> r.pointwise                               # per-sample held-out pointwise MI
    >>> bm.training_log(r)                        # pandas DataFrame of the training curves
    """

    name = "latent"
    kind = "ensemble"
    bound = "lower"
    packages: ClassVar[tuple[str, ...]] = ("torch",)
    summary = (
        "Latent MI (Gowri et al. 2024): KSG on learned autoencoder latents of held-out "
        "samples, an ensemble of repeated fits; a lower bound (data-processing inequality)."
    )
    references: ClassVar[tuple[str, ...]] = (
        "Gowri, G., Lun, X.-K., Klein, A. M. & Yin, P. (2024). Approximating mutual information "
        "of high-dimensional variables using learned representations. Advances in Neural "
        "Information Processing Systems 37 (NeurIPS 2024). arXiv:2409.02732",
        "Kraskov, A., Stoegbauer, H. & Grassberger, P. (2004). Estimating mutual information. "
        "Physical Review E 69, 066138. doi:10.1103/PhysRevE.69.066138",
        "Holmes, C. M. & Nemenman, I. (2019). Estimation of mutual information for real-valued "
        "data with error bars and controlled bias. Physical Review E 100, 022404. "
        "doi:10.1103/PhysRevE.100.022404",
        "Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR 2019. "
        "arXiv:1711.05101",
    )

    latent_dim: int = 8
    _: KW_ONLY
    n_repeats: int = 5
    split: str = "crossfit"
    n_folds: int = 2
    eval_fraction: float = 0.5
    validation_fraction: float = 0.2
    hidden: tuple[int, ...] = (128, 64)
    alpha: float = 1.0
    lam: float = 1.0
    dropout: float = 0.5
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 256
    max_epochs: int = 300
    patience: int = 10
    k: int = 3
    n_draws: int = 200
    clip: float | None = 10.0
    device: str = "cpu"

    # -- checks ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        c = type(self).__name__
        check_positive_int(self.latent_dim, "latent_dim", caller=c)
        check_positive_int(self.n_repeats, "n_repeats", caller=c)
        check_choice(self.split, "split", SPLITS, caller=c)
        check_positive_int(self.n_folds, "n_folds", caller=c, minimum=2)
        for name in ("eval_fraction", "validation_fraction"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 1:
                raise ValueError(f"{c}: {name} must be a number in (0, 1), got {v!r}.")
        hidden = self.hidden
        if (
            not isinstance(hidden, tuple | list)
            or not hidden
            or any(
                isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1 for h in hidden
            )
        ):
            raise ValueError(
                f"{c}: hidden must be a non-empty tuple of positive integers (layer widths), "
                f"got {hidden!r}."
            )
        check_nonnegative(self.alpha, "alpha", caller=c)
        check_nonnegative(self.lam, "lam", caller=c)
        if self.alpha == 0 and self.lam == 0:
            raise ValueError(f"{c}: alpha and lam are both 0: the networks would learn nothing.")
        d = self.dropout
        if isinstance(d, bool) or not isinstance(d, int | float) or not 0 <= d < 1:
            raise ValueError(f"{c}: dropout must be a number in [0, 1), got {d!r}.")
        check_nonnegative(self.lr, "lr", caller=c)
        if self.lr == 0:
            raise ValueError(f"{c}: lr must be > 0, got {self.lr!r}.")
        check_nonnegative(self.weight_decay, "weight_decay", caller=c)
        check_positive_int(self.batch_size, "batch_size", caller=c)
        check_positive_int(self.max_epochs, "max_epochs", caller=c)
        check_positive_int(self.patience, "patience", caller=c)
        check_positive_int(self.k, "k", caller=c)
        check_positive_int(self.n_draws, "n_draws", caller=c, minimum=2 * self.n_repeats)
        if self.clip is not None:
            check_nonnegative(self.clip, "clip", caller=c)
            if self.clip == 0:
                raise ValueError(f"{c}: clip must be > 0 or None, got 0.")
        check_choice(self.device, "device", DEVICES, caller=c)

    def _check_data(self, x, y, z):
        c = type(self).__name__
        if z is not None:
            raise ValueError(
                f"{c}: conditional MI (z) is not available for latent MI; pass x and y only, or "
                "use method='ksg' or 'gmm' for I(X;Y|Z)."
            )
        # Constant columns are common in high-dimensional data (a pixel that is always dark):
        # they are kept and standardised to zeros, unless every column is constant.
        x = check_array(x, "x", caller=c, min_samples=2, allow_constant=True)
        y = check_array(y, "y", caller=c, min_samples=2, allow_constant=True)
        if len(x) != len(y):
            raise ValueError(
                f"{c}: x and y must have the same number of rows; got x with {len(x)} and y with "
                f"{len(y)}. Pass paired samples, one row per observation."
            )
        for name, a in (("x", x), ("y", y)):
            if (np.ptp(a, axis=0) == 0).all():
                raise ValueError(
                    f"{c}: every column of {name} is constant: it carries no information."
                )
        n = len(x)
        n_eval = n // self.n_folds if self.split == "crossfit" else int(self.eval_fraction * n)
        n_val = int(self.validation_fraction * (n - n_eval))
        # KSG's subsamples need 4 * (k + 1) points in each of up to 4 parts.
        need_eval = 16 * (self.k + 1)
        if n_eval < need_eval or n_val < 1 or n - n_eval - n_val < 2:
            raise ValueError(
                f"{c}: x and y have {n} samples: too few for {self.split} evaluation "
                f"({n_eval} held-out samples per network, KSG with k={self.k} needs at least "
                f"{need_eval}). Collect more data, lower k, or use method='ksg' directly."
            )
        return x, y

    # -- splits ----------------------------------------------------------------------------
    def _splits(self, n: int, seed) -> list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
        """(repeat, fold, train rows, validation rows, evaluation rows) for every member."""
        rng = np.random.default_rng(seed)
        members = []
        for r in range(self.n_repeats):
            perm = rng.permutation(n)
            if self.split == "crossfit":
                folds = np.array_split(perm, self.n_folds)
                parts = [
                    (f, np.concatenate(folds[:f] + folds[f + 1 :]), folds[f])
                    for f in range(self.n_folds)
                ]
            else:
                n_eval = int(self.eval_fraction * n)
                parts = [(0, perm[n_eval:], perm[:n_eval])]
            for f, rest, ev in parts:
                n_val = int(self.validation_fraction * len(rest))
                members.append((r, f, rest[n_val:], rest[:n_val], np.sort(ev)))
        return members

    # -- the estimate ----------------------------------------------------------------------
    def estimate(self, x, y, z=None) -> MIResult:
        """A lower bound on I(X;Y) in nats, as an ensemble of repeated fits.

        Parameters
        ----------
        x : array-like, shape (n_samples,) or (n_samples, dx)
        y : array-like, shape (n_samples,) or (n_samples, dy)
        z : must be None (conditional MI is not available)

        Returns
        -------
        MIResult
            ``bound="lower"``; ``pointwise_nats`` per sample (NaN where a sample was never held
            out); ``extras`` with the training log (``log_*``), each repeat's and member's
            estimate; ``model`` a :class:`LatentModel`.
        """
        self._check_params()
        x, y = self._check_data(x, y, z)
        _import_torch(type(self).__name__)  # a clear error where torch is missing
        from bayesmi.estimators._latent_ae import encode_all, fit_paired_autoencoders

        device = resolve_device(self.device, type(self).__name__)
        n = len(x)
        seeds = spawn_seeds(self.seed, 3)
        xs, x_mean, x_sd = _standardise(x, self.clip)
        ys, y_mean, y_sd = _standardise(y, self.clip)
        members = self._splits(n, seeds[0])
        # Equal lengths batch the members together; a fold one row longer than another loses
        # that row from training (it is still never evaluated on by that member).
        n_tr = min(len(m[2]) for m in members)
        n_va = min(len(m[3]) for m in members)
        train_idx = np.stack([m[2][:n_tr] for m in members])
        val_idx = np.stack([m[3][:n_va] for m in members])
        network, log = fit_paired_autoencoders(
            xs,
            ys,
            train_idx,
            val_idx,
            latent_dim=self.latent_dim,
            hidden=tuple(int(h) for h in self.hidden),
            alpha=float(self.alpha),
            lam=float(self.lam),
            dropout=float(self.dropout),
            lr=float(self.lr),
            weight_decay=float(self.weight_decay),
            batch_size=min(self.batch_size, n_tr),
            max_epochs=self.max_epochs,
            patience=self.patience,
            seed=seeds[1],
            device=device,
            progress=self.progress,
        )
        zx, zy = encode_all(network, xs, ys, device)
        per_repeat = self.n_draws // self.n_repeats
        tasks = [
            (zx[i, m[4]], zy[i, m[4]], s)
            for i, (m, s) in enumerate(
                zip(members, spawn_seeds(seeds[2], len(members)), strict=True)
            )
        ]
        ksg = self._map(partial(_ksg_member, self.k, per_repeat), tasks, "latent: KSG")
        draws, draw_repeat, repeat_est = [], [], []
        pointwise_sum = np.zeros(n)
        pointwise_count = np.zeros(n)
        member_repeat = np.array([m[0] for m in members])
        for r in range(self.n_repeats):
            mine = [i for i in range(len(members)) if member_repeat[i] == r]
            n_eval = sum(len(members[i][4]) for i in mine)
            est = sum(ksg[i]["terms"].sum() for i in mine) / n_eval
            dev = sum(len(members[i][4]) / n_eval * ksg[i]["dev"] for i in mine)
            repeat_est.append(est)
            draws.append(est + dev)
            draw_repeat.append(np.full(per_repeat, r))
            for i in mine:
                pointwise_sum[members[i][4]] += ksg[i]["terms"]
                pointwise_count[members[i][4]] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            pointwise = np.where(pointwise_count > 0, pointwise_sum / pointwise_count, np.nan)
        draws_nats = np.concatenate(draws)
        self._warn(log, ksg, draws_nats)
        extras: dict[str, Any] = {
            "log_iteration": log.iteration,
            "log_member": log.member,
            "log_split": log.split,
            "log_loss": log.loss,
            "log_mi_nats": np.full(len(log.loss), np.nan),
            "draw_repeat": np.concatenate(draw_repeat)[None, :],
            "repeat_estimate_nats": np.array(repeat_est),
            "member_repeat": member_repeat,
            "member_fold": np.array([m[1] for m in members]),
            "member_estimate_nats": np.array([t["full"] for t in ksg]),
            "member_estimate_2k_nats": np.array([t["at_2k"] for t in ksg]),
            "member_best_epoch": log.best_epoch,
            "member_stopped_early": log.stopped_early.astype(np.int64),
        }
        model = LatentModel(
            network=network,
            x_mean=x_mean,
            x_sd=x_sd,
            y_mean=y_mean,
            y_sd=y_sd,
            clip=self.clip,
            member_repeat=member_repeat,
            member_fold=extras["member_fold"],
            device=device,
        )
        shown, interval = intervals.finish(
            draws_nats[None, :], None, scheme="percentile", extras=extras
        )
        return MIResult(
            draws_nats=shown,
            kind="ensemble",
            quantity="mi",
            method=self.name,
            provenance=self._provenance(x, y, None, device=device, interval=interval),
            pointwise_nats=pointwise,
            extras=extras,
            model=model,
            bound="lower",
        )

    def _warn(self, log, ksg: list[dict[str, Any]], draws_nats: np.ndarray) -> None:
        c = type(self).__name__
        warn_still_improving(
            ~log.stopped_early,
            c,
            "networks were still improving on their validation rows at max_epochs="
            f"{self.max_epochs}; the latents may be under-trained (the estimate low). Raise "
            "max_epochs.",
            stacklevel=4,
        )
        # The k -> 2k check of KSGMI (ksg.K_TO_2K_SDS), on the latents of every member: a drop
        # beyond it means the latents' MI is high for their dimension and n.
        from bayesmi.estimators.ksg import K_TO_2K_SDS

        full = np.array([t["full"] for t in ksg])
        at_2k = np.array([t["at_2k"] for t in ksg])
        sd = float(draws_nats.std(ddof=1))
        if np.mean(full - at_2k) > K_TO_2K_SDS * sd and sd > 0:
            warnings.warn(
                f"{c}: on the latents, KSG falls from {full.mean():.3f} nats (k={self.k}) to "
                f"{at_2k.mean():.3f} (k={2 * self.k}), more than twice the sd of the draws "
                f"({sd:.3f}): KSG is biased low on these latents (high MI for latent_dim="
                f"{self.latent_dim}); the truth is likely higher. Use more samples or compare "
                "smaller latent sizes with bayesmi.latent_sweep.",
                HighMIWarning,
                stacklevel=3,
            )

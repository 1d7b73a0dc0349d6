"""Ensembles of neural critics: variational MI bounds (InfoNCE, NWJ, DV/MINE, JS, SMILE)
trained as one vectorised ensemble, read out on held-out data only.

torch is imported inside the methods, never at ``import bayesmi``.

The draws: each of ``n_critics`` members has its own initial weights and its own random
train / validation / test split; its MI is read out on its test part, and that readout is
recomputed on ``n_resamples`` bootstrap resamples of the test rows. The draws pool every
member's resamples. Their spread captures training randomness (initialisation, batches,
which samples trained the critic) and the finite evaluation data; it does not capture the
bias of the bound (InfoNCE's log(K + 1) ceiling, an under-trained critic, SMILE's clipping).
"""

from __future__ import annotations

import warnings
from dataclasses import KW_ONLY
from typing import Any, ClassVar

import numpy as np

from bayesmi import intervals
from bayesmi.estimators.base import Estimator, package_versions, register
from bayesmi.exceptions import BayesMIWarning, warn_still_improving
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult
from bayesmi.validation import (
    center_scale,
    check_array,
    check_choice,
    check_nonnegative,
    check_positive_int,
    resolve_device,
    to_numpy,
)

__all__ = ["InfoNCECeilingWarning", "NeuralMI"]

OBJECTIVE_NAMES = ("infonce", "nwj", "dv", "mine", "js", "smile")
CRITICS = ("separable", "joint", "bilinear")
BUILTIN_ENCODERS = ("auto", "mlp", "conv")


class InfoNCECeilingWarning(BayesMIWarning):
    """An InfoNCE estimate lies near its ceiling log(K + 1): the truth may be much higher."""


def _is_module(obj) -> bool:
    return any(
        c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(obj).__mro__
    )


@register
class NeuralMI(Estimator):
    """Mutual information from an ensemble of neural critics, read out on held-out data.

    Parameters
    ----------
    objective : {"infonce", "nwj", "dv", "mine", "js", "smile"}, default="infonce"
        How critics are trained and read out (docs/neural.md has what each bounds and its
        bias): "infonce" (lower bound, at most log(K + 1)), "nwj" (lower bound), "dv"
        (Donsker-Varadhan lower bound, plain gradient), "mine" (DV with MINE's moving-average
        gradient), "js" (Jensen-Shannon training as in Deep InfoMax, read out with the NWJ
        lower bound on T + 1), "smile" (Jensen-Shannon training, clipped-DV readout; not a
        bound). The last five are not capped by the batch size.
    critic : {"separable", "joint", "bilinear"}, default="separable"
        f(x) . g(y); an MLP over [x, y]; x^T W y on the (encoded) inputs.
    hidden : tuple of int, default=(64, 64)
        Hidden layer widths of the critic's MLPs (and of "mlp" encoders).
    activation : str, default="relu"
        One of "relu", "elu", "gelu", "silu", "tanh", "softplus", "leaky_relu".
    embed_dim : int, default=32
        Output width of the separable critic's f and g.
    n_negatives : int or None, default=None
        Negatives per positive (other samples of the batch). None: all B - 1 for the
        separable and bilinear critics, 16 for the joint critic (which costs a forward pass
        per pair).
    x_encoder, y_encoder : "auto", None, "mlp", "conv", torch module or callable
        What feeds the critic. "auto": "conv" for images (n, C, H, W), none for vectors.
        A torch module is a learned encoder, copied for every member and trained with the
        critic; any other callable is a given, fixed encoder applied to the data first.
        ``y_encoder="shared"`` reuses x's learned encoder (shared weights).
    encoder_dim : int, default=16
        Output width of the "mlp" and "conv" encoders.
    n_critics : int, default=5
        Ensemble members, each with its own seed and data split, trained together.
    batch_size : int, default=128
    lr : float, default=1e-3
    weight_decay : float, default=1e-2
        AdamW's.
    max_iterations : int, default=2000
    eval_every : int, default=50
        Steps between validation scores (early stopping).
    patience : int, default=5
        Validation scores without improvement before a member counts as done.
    valid_fraction, test_fraction : float, default=0.2
        Each member's validation and test parts.
    eval_batch_size : int or None, default=None
        Rows per chunk when reading MI out on held-out data; the chunk's other rows are the
        negatives, so InfoNCE's ceiling is log(eval_batch_size). Default: ``batch_size``.
    n_resamples : int, default=40
        Bootstrap resamples of each member's test rows: draws = n_critics x n_resamples.
    tau : float, default=5.0
        SMILE's clip.
    mine_alpha : float, default=0.01
        Rate of MINE's moving average.
    augment : None, "shift" or callable, default=None
        Training-time augmentation. "shift": every training image (x or y of shape
        (n, C, H, W)) moved by a random offset of up to one pixel each way
        (:func:`bayesmi.neural.shift_images`); a callable ``augment(t, generator) -> t`` gets
        each training batch of x and of y, shaped (members, B, ...). Validation and test rows
        are never augmented, so a bound read out stays a bound on the data's MI.
    device : {"cpu", "cuda", "auto"}, default="auto"
    seed : int or None
    n_jobs : int, default=1
        Accepted for the common interface: the ensemble trains as one vectorised network.
    progress : bool, default=True
    backend : str or None, default=None
        Accepted for the common interface.

    Examples
    --------
    >>> r = NeuralMI(objective="smile", seed=0).estimate(x, y)
    >>> r.at_least(0.95)        # nats
    >>> bm.neural.training_log(r).tail()
    """

    name = "neural"
    kind = "ensemble"
    bound = "lower"
    packages: ClassVar[tuple[str, ...]] = ("torch",)
    summary = (
        "Variational bounds (InfoNCE, NWJ, DV/MINE, JS, SMILE) from an ensemble of neural "
        "critics trained together, read out on held-out data; optional encoders for images."
    )
    references: ClassVar[tuple[str, ...]] = (
        "van den Oord, Li & Vinyals (2018). Representation learning with contrastive predictive "
        "coding. arXiv:1807.03748",
        "Nguyen, Wainwright & Jordan (2010). Estimating divergence functionals and the "
        "likelihood ratio by convex risk minimization. IEEE Trans. Inf. Theory 56, 5847-5861. "
        "doi:10.1109/TIT.2010.2068870",
        "Belghazi et al. (2018). Mutual information neural estimation. ICML, PMLR 80, 531-540. "
        "arXiv:1801.04062",
        "Hjelm et al. (2019). Learning deep representations by mutual information estimation "
        "and maximization. ICLR. arXiv:1808.06670",
        "Poole, Ozair, van den Oord, Alemi & Tucker (2019). On variational bounds of mutual "
        "information. ICML, PMLR 97, 5171-5180. arXiv:1905.06922",
        "Song & Ermon (2020). Understanding the limitations of variational mutual information "
        "estimators. ICLR. arXiv:1910.06222",
        "Lakshminarayanan, Pritzel & Blundell (2017). Simple and scalable predictive "
        "uncertainty estimation using deep ensembles. NeurIPS 30. arXiv:1612.01474",
    )

    objective: str = "infonce"
    _: KW_ONLY
    critic: str = "separable"
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    embed_dim: int = 32
    n_negatives: int | None = None
    x_encoder: Any = "auto"
    y_encoder: Any = "auto"
    encoder_dim: int = 16
    n_critics: int = 5
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-2
    max_iterations: int = 2000
    eval_every: int = 50
    patience: int = 5
    valid_fraction: float = 0.2
    test_fraction: float = 0.2
    eval_batch_size: int | None = None
    n_resamples: int = 40
    tau: float = 5.0
    mine_alpha: float = 0.01
    augment: Any = None
    device: str = "auto"

    # -- checks -------------------------------------------------------------------------------
    def _check_params(self) -> None:
        c = type(self).__name__
        check_choice(self.objective, "objective", OBJECTIVE_NAMES, caller=c)
        check_choice(self.critic, "critic", CRITICS, caller=c)
        from bayesmi.neural.critics import ACTIVATIONS

        check_choice(self.activation, "activation", tuple(ACTIVATIONS), caller=c)
        hidden = self.hidden if isinstance(self.hidden, tuple | list) else None
        if hidden is None or any(
            isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1 for h in hidden
        ):
            raise ValueError(
                f"{c}: hidden must be a tuple of positive integers (layer widths), got "
                f"{self.hidden!r}."
            )
        for name in (
            "embed_dim",
            "encoder_dim",
            "n_critics",
            "batch_size",
            "max_iterations",
            "eval_every",
            "patience",
        ):
            check_positive_int(getattr(self, name), name, caller=c)
        check_positive_int(self.batch_size, "batch_size", caller=c, minimum=4)
        check_positive_int(self.n_resamples, "n_resamples", caller=c, minimum=2)
        if self.n_negatives is not None:
            check_positive_int(self.n_negatives, "n_negatives", caller=c)
        if self.eval_batch_size is not None:
            check_positive_int(self.eval_batch_size, "eval_batch_size", caller=c, minimum=4)
        for name in ("valid_fraction", "test_fraction"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 0.5:
                raise ValueError(f"{c}: {name} must lie in (0, 0.5), got {v!r}.")
        for name in ("lr", "tau", "mine_alpha"):
            v = check_nonnegative(getattr(self, name), name, caller=c)
            if v == 0:
                raise ValueError(f"{c}: {name} must be positive, got {v!r}.")
        check_nonnegative(self.weight_decay, "weight_decay", caller=c)
        if self.mine_alpha >= 1:
            raise ValueError(f"{c}: mine_alpha must lie in (0, 1), got {self.mine_alpha!r}.")
        check_choice(self.device, "device", ("cpu", "cuda", "auto"), caller=c)
        if not (self.augment is None or self.augment == "shift" or callable(self.augment)):
            raise ValueError(
                f"{c}: augment must be None, 'shift' or a callable augment(t, generator) -> t; "
                f"got {self.augment!r}."
            )
        for name in ("x_encoder", "y_encoder"):
            v = getattr(self, name)
            ok = (
                v is None
                or callable(v)
                or v in BUILTIN_ENCODERS
                or (name == "y_encoder" and v == "shared")
            )
            if not ok:
                extra = ", 'shared'" if name == "y_encoder" else ""
                raise ValueError(
                    f"{c}: {name} must be None, 'auto', 'mlp', 'conv'{extra}, a torch module "
                    f"(learned) or a callable (fixed); got {v!r}."
                )

    def _device(self):
        import torch

        return torch.device(resolve_device(self.device, type(self).__name__))

    def _array(self, a, name: str, fixed) -> np.ndarray:
        """One variable as float32, shape (n, d) or images (n, C, H, W)."""
        c = type(self).__name__
        arr = to_numpy(a, name, c)
        if arr.ndim in (3, 4):
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"{c}: {name} must hold numbers, got dtype {arr.dtype}.")
            if arr.ndim == 3:  # (n, H, W): one channel
                arr = arr[:, None]
            if not np.isfinite(arr).all():
                raise ValueError(f"{c}: {name} contains NaN or inf values; drop those samples.")
            return arr.astype(np.float32)
        if arr.ndim > 4:
            raise ValueError(
                f"{c}: {name} must have shape (n,), (n, d), (n, H, W) or (n, C, H, W); got "
                f"{arr.shape}."
            )
        # Vectors: the library's checks; a fixed encoder may accept constant columns.
        arr = check_array(arr, name, caller=c, min_samples=2, allow_constant=fixed is not None)
        if fixed is None and _float32_loses(arr):
            # Standardised in float64 first (as _prepare does later in float32): at a scale of
            # 1e-99 the cast to float32 made every value 0 and the estimate 0.000 +- 0.000, and
            # an offset of 1e6 rounds float32 values to steps of 0.06.
            center, scale = center_scale(arr)
            arr = (arr - center) / scale
        return arr.astype(np.float32)

    # -- the estimate -------------------------------------------------------------------------
    def estimate(self, x, y=None, z=None) -> MIResult:
        """I(X;Y) in nats as an ensemble distribution (``bound="lower"`` for the bounds).

        Parameters
        ----------
        x : array-like or torch tensor, shape (n,), (n, dx), (n, H, W) or (n, C, H, W); or a
            torch ``Dataset`` / ``DataLoader`` yielding (x, y) pairs (then ``y`` is None)
        y : array-like or torch tensor, shape (n,), (n, dy), (n, H, W) or (n, C, H, W)
        z : not supported (conditional MI has no neural estimator here)
        """
        c = type(self).__name__
        self._check_params()
        if z is not None:
            raise ValueError(f"{c}: conditional MI (z) is not available for method='neural'.")
        import torch

        from bayesmi.neural.training import ArraySource, DatasetSource, make_splits

        device = self._device()
        seeds = spawn_seeds(self.seed, 3)
        if _is_dataset(x):
            if y is not None:
                raise ValueError(
                    f"{c}: x is a torch Dataset/DataLoader yielding (x, y) pairs; y must be "
                    f"None, got {type(y).__name__}."
                )
            dataset, collate = _dataset_of(x, c)
            fx, fy = self._fixed("x"), self._fixed("y")
            source = DatasetSource(dataset, device, collate, fx, fy)
            n = len(dataset)
            self._check_n(n)
            xs, ys = source.get(np.zeros((1, 2), dtype=np.int64))
            x_shape, y_shape = tuple(xs.shape[2:]), tuple(ys.shape[2:])
            prov = self._dataset_provenance(n, x_shape, y_shape)
        else:
            if y is None:
                raise TypeError(
                    f"{c}: y is None; pass y paired with x, or x as a torch Dataset/DataLoader "
                    "of (x, y) pairs."
                )
            fx, fy = self._fixed("x"), self._fixed("y")
            xa, ya = self._array(x, "x", fx), self._array(y, "y", fy)
            if len(xa) != len(ya):
                raise ValueError(
                    f"{c}: x and y must have the same number of rows; got x with {len(xa)} and "
                    f"y with {len(ya)}. Pass paired samples, one row per observation."
                )
            self._check_n(len(xa))
            prov = self._provenance(xa.reshape(len(xa), -1), ya.reshape(len(ya), -1))
            xt = self._prepare(xa, fx, "x")
            yt = self._prepare(ya, fy, "y")
            source = ArraySource(xt, yt, device)
            n = len(xa)
            x_shape, y_shape = tuple(xt.shape[1:]), tuple(yt.shape[1:])
        critic = self._critic_factory(x_shape, y_shape)
        if self.augment == "shift" and len(x_shape) != 3 and len(y_shape) != 3:
            raise ValueError(
                f"{c}: augment='shift' moves images, but neither x {x_shape} nor y {y_shape} "
                "reaches the critic as images (n, C, H, W)."
            )
        splits = make_splits(
            n,
            self.n_critics,
            self.valid_fraction,
            self.test_fraction,
            np.random.default_rng(seeds[0]),
        )
        if splits.train.shape[1] < 4:
            raise ValueError(f"{c}: too few samples ({n}) for a train / validation / test split.")
        with torch.random.fork_rng(devices=[]):
            return self._fit(source, splits, critic, seeds, device, prov)

    def _check_n(self, n: int) -> None:
        if n < 40:
            raise ValueError(
                f"{type(self).__name__}: x has {n} samples, fewer than the 40 a neural critic "
                "needs (train, validation and test parts). Collect more data or use "
                "method='ksg' or 'gmm'."
            )

    def _fixed(self, side: str):
        enc = getattr(self, f"{side}_encoder")
        if enc is None or isinstance(enc, str) or _is_module(enc):
            return None
        return enc

    def _prepare(self, arr: np.ndarray, fixed, name: str):
        import torch

        t = torch.as_tensor(arr)
        if fixed is not None:
            with torch.no_grad():
                t = torch.cat(
                    [torch.as_tensor(fixed(t[i : i + 1024])) for i in range(0, len(t), 1024)]
                ).float()
            if not torch.isfinite(t).all():
                raise ValueError(
                    f"{type(self).__name__}: the fixed {name}_encoder gave NaN or inf values."
                )
        if t.dim() == 2:
            # Vectors are standardised per column (MI is invariant to it; training is easier).
            sd = t.std(0, keepdim=True)
            t = (t - t.mean(0, keepdim=True)) / torch.where(sd > 0, sd, torch.ones_like(sd))
        return t

    def _encoder(self, side: str, shape: tuple[int, ...]):
        """(module or None, output width) for one side."""
        from torch import nn

        from bayesmi.neural.critics import ConvEncoder, mlp

        enc = getattr(self, f"{side}_encoder")
        if enc == "auto" or enc is None or not (isinstance(enc, str) or _is_module(enc)):
            enc = "conv" if (enc == "auto" and len(shape) == 3) else None
        if enc is None:
            if len(shape) == 1:
                return None, shape[0]
            return nn.Flatten(), int(np.prod(shape))
        if enc == "conv":
            if len(shape) != 3:
                raise ValueError(
                    f"{type(self).__name__}: {side}_encoder='conv' needs images (n, C, H, W); "
                    f"got samples of shape {shape}."
                )
            return ConvEncoder(shape, self.encoder_dim, activation=self.activation), (
                self.encoder_dim
            )
        if enc == "mlp":
            return nn.Sequential(
                nn.Flatten(),
                mlp(int(np.prod(shape)), self.hidden, self.encoder_dim, self.activation),
            ), self.encoder_dim
        # A learned module given by the user is a template: each member gets its own copy,
        # re-initialised under the member's seed (this runs once per member).
        import copy

        import torch

        from bayesmi.neural.training import _reset

        enc = copy.deepcopy(enc)
        _reset(enc)
        with torch.no_grad():
            out = enc(torch.zeros((2, *shape)))
        if out.dim() != 2:
            raise ValueError(
                f"{type(self).__name__}: {side}_encoder must map a batch to (B, d); it gave "
                f"shape {tuple(out.shape)}."
            )
        return enc, int(out.shape[1])

    def _critic_factory(self, x_shape, y_shape):
        from bayesmi.neural.critics import (
            BilinearCritic,
            JointCritic,
            NeuralCritic,
            SeparableCritic,
        )

        c = type(self).__name__
        if self.y_encoder == "shared" and tuple(x_shape) != tuple(y_shape):
            raise ValueError(
                f"{c}: y_encoder='shared' needs x and y of one shape; got {x_shape} and {y_shape}."
            )

        def build():
            fx, dx = self._encoder("x", x_shape)
            if self.y_encoder == "shared":
                fy, dy = fx, dx
            else:
                fy, dy = self._encoder("y", y_shape)
            hidden = tuple(int(h) for h in self.hidden)
            if self.critic == "joint":
                head = JointCritic(dx, dy, hidden, self.activation)
            elif self.critic == "separable":
                head = SeparableCritic(dx, dy, hidden, self.activation, self.embed_dim)
            else:
                head = BilinearCritic(dx, dy)
            return NeuralCritic(head, fx, fy)

        return build

    def _augmenter(self):
        """The training-batch augmentation for train_critics (None: none)."""
        if self.augment != "shift":
            return self.augment
        from bayesmi.neural.training import shift_images

        def shift(t, generator):  # batches are (members, B, C, H, W) for images
            return shift_images(t, generator) if t.dim() == 5 else t

        return shift

    def _negatives(self) -> int | None:
        if self.n_negatives is not None:
            return self.n_negatives
        return 16 if self.critic == "joint" else None

    def _fit(self, source, splits, critic, seeds, device, prov) -> MIResult:
        import torch

        from bayesmi.neural.bounds import OBJECTIVES
        from bayesmi.neural.training import evaluate_critics, train_critics

        c = type(self).__name__
        eval_size = self.eval_batch_size or self.batch_size
        trained = train_critics(
            critic,
            source,
            splits,
            objective=self.objective,
            batch_size=self.batch_size,
            n_negatives=self._negatives(),
            lr=self.lr,
            weight_decay=self.weight_decay,
            max_iterations=self.max_iterations,
            eval_every=self.eval_every,
            patience=self.patience,
            eval_batch_size=eval_size,
            tau=self.tau,
            mine_alpha=self.mine_alpha,
            augment=self._augmenter(),
            seed=seeds[1],
            device=device,
            progress=self.progress,
            caller=c,
        )
        warn_still_improving(
            ~trained.converged,
            c,
            "critics were still improving on validation data when max_iterations="
            f"{self.max_iterations} ran out; the estimate may be low. Raise max_iterations (or "
            "lr).",
            stacklevel=4,
        )
        ev = evaluate_critics(
            trained,
            source,
            objective=self.objective,
            eval_batch_size=eval_size,
            n_negatives=self._negatives(),
            tau=self.tau,
            n_resamples=self.n_resamples,
            seed=seeds[2],
        )
        per_member = ev["resamples_nats"]  # (E, R)
        if not np.isfinite(per_member).all():
            raise FloatingPointError(
                f"{c}: the readout is not finite for some critics (scores overflowed); lower "
                "lr, use objective='infonce' or 'smile', or standardise the inputs."
            )
        e, r = per_member.shape
        extras: dict[str, Any] = dict(trained.log)
        extras |= {
            "member_estimate_nats": ev["mi_nats"],
            "best_iteration": trained.best_iteration,
            "best_valid_mi_nats": trained.best_valid_mi_nats,
            "draw_member": np.repeat(np.arange(e), r)[None, :],
        }
        ceiling = ev["ceiling_nats"]
        if self.objective == "infonce":
            extras["ceiling_nats"] = np.array([ceiling])
            self._warn_ceiling(float(np.mean(ev["mi_nats"])), ceiling)
        prov = dict(
            prov, device=str(device), torch=torch.__version__, n_iterations=trained.n_iterations
        )
        draws, prov["interval"] = intervals.finish(
            per_member.reshape(1, e * r), None, scheme="percentile", extras=extras
        )
        return MIResult(
            draws_nats=draws,
            kind="ensemble",
            quantity="mi",
            method=self.name,
            provenance=prov,
            extras=extras,
            model=trained,
            bound="lower" if OBJECTIVES[self.objective][2] else None,
        )

    def _warn_ceiling(self, mi_nats: float, ceiling: float) -> None:
        # InfoNCE <= log(K + 1); it is tight only when e^I is small against K + 1 (Poole et
        # al. 2019, section 2.4): within 1 nat of the ceiling it is biased low by much.
        if mi_nats > ceiling - 1.0:
            warnings.warn(
                f"{type(self).__name__}: the InfoNCE estimate {mi_nats:.3f} nats is within 1 nat "
                f"of its ceiling log(K + 1) = {ceiling:.3f} nats (K negatives per positive): the "
                "true MI may be much higher. Raise eval_batch_size and batch_size, or use "
                "objective='smile' or 'js', which have no such ceiling.",
                InfoNCECeilingWarning,
                stacklevel=4,
            )

    def _dataset_provenance(self, n: int, x_shape, y_shape) -> dict[str, Any]:
        return {
            "method": self.name,
            "estimator": type(self).__name__,
            "params": self.get_params(deep=False),
            "seed": self.seed,
            "n_samples": n,
            "dims": {"x": list(x_shape), "y": list(y_shape)},
            "data_sha256": "not computed (torch Dataset input)",
            "versions": package_versions(self.packages),
        }


def _float32_loses(arr: np.ndarray) -> bool:
    """Whether casting the float64 columns of ``arr`` to float32 would lose them: values beyond
    about 1e+-15 (float32 ends near 1e+-38, and a standard deviation squares them) or steps
    coarser than 1e-4 of a column's spread at its magnitude."""
    with np.errstate(over="ignore"):
        spread = np.max(np.abs(arr - np.median(arr, axis=0)), axis=0)
    magnitude = np.max(np.abs(arr), axis=0)
    varying = spread > 0
    steps = np.spacing(magnitude.astype(np.float32)).astype(np.float64)
    return bool(np.any(varying & ((spread < 1e-15) | (magnitude > 1e15) | (steps > 1e-4 * spread))))


def _is_dataset(obj) -> bool:
    if not any(b.__module__.startswith("torch.utils.data") for b in type(obj).__mro__):
        return False
    from torch.utils.data import DataLoader, Dataset

    return isinstance(obj, DataLoader | Dataset)


def _dataset_of(obj, caller: str):
    """The map-style dataset and collate function behind a DataLoader or Dataset."""
    from torch.utils.data import DataLoader, IterableDataset

    collate = None
    if isinstance(obj, DataLoader):
        collate = obj.collate_fn
        obj = obj.dataset
    if isinstance(obj, IterableDataset) or not hasattr(obj, "__len__"):
        raise TypeError(
            f"{caller}: x must be a map-style torch Dataset (with __len__ and __getitem__), or a "
            f"DataLoader over one, got {type(obj).__name__}: each critic draws its own random "
            "train / validation / test split by index."
        )
    first = obj[0]
    if not isinstance(first, tuple | list) or len(first) != 2:
        raise TypeError(
            f"{caller}: the dataset must yield (x, y) pairs; its first item is a "
            f"{type(first).__name__}"
            + (f" of length {len(first)}" if hasattr(first, "__len__") else "")
            + "."
        )
    return obj, collate

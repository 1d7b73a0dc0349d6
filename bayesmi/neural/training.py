"""Training and evaluating an ensemble of critics as one vectorised model.

The members are copies of one critic module with their own initial weights; their parameters
are stacked on a leading dimension (``torch.func.stack_module_state``) and one ``vmap`` of the
module's functional form runs every member on its own batch in one call, so that E members
cost one set of (batched) kernel launches instead of E. One AdamW optimiser steps the stacked
parameters: AdamW acts element by element, so each member follows exactly the path it would
follow alone.

Each member has its own random split of the samples into train / validation / test parts. It
trains on mini-batches of its train part, is scored every ``eval_every`` steps on its
validation part (early stopping, the best weights kept), and its MI is read out on its test
part only.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from bayesmi import plotting as _plotting
from bayesmi.neural import bounds
from bayesmi.neural.critics import negative_columns
from bayesmi.result import TRAINING_LOG_KEYS

__all__ = [
    "ArraySource",
    "DatasetSource",
    "Ensemble",
    "Splits",
    "evaluate_critics",
    "make_splits",
    "plot_training_log",
    "shift_images",
    "train_critics",
    "training_log",
]

LOG_KEYS = TRAINING_LOG_KEYS


# -- augmentation ---------------------------------------------------------------------------
def shift_images(t: torch.Tensor, generator: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Each image of ``t`` (..., C, H, W) moved by its own random whole-pixel offset in
    [-max_shift, max_shift] along each axis, zeros shifted in (the random-crop augmentation of
    contrastive learning, Chen et al. 2020, at the scale of small images).

    Used on training batches only: the held-out readout sees the data as they are, so the
    estimate stays a bound on the MI of the data, whatever the augmentation did to training.
    """
    if t.dim() < 3:
        raise ValueError(
            f"shift_images needs images (..., C, H, W); got a tensor of shape {tuple(t.shape)}."
        )
    *_, c, h, w = t.shape
    flat = t.reshape(-1, c, h, w)
    n, s = flat.shape[0], int(max_shift)
    padded = nn.functional.pad(flat, (s, s, s, s))
    off = torch.randint(0, 2 * s + 1, (2, n), generator=generator).to(t.device)
    rows = off[0][:, None] + torch.arange(h, device=t.device)  # (n, H)
    cols = off[1][:, None] + torch.arange(w, device=t.device)  # (n, W)
    out = padded[
        torch.arange(n, device=t.device)[:, None, None, None],
        torch.arange(c, device=t.device)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]
    return out.reshape(t.shape)


# -- data -----------------------------------------------------------------------------------
class ArraySource:
    """Paired tensors held in memory; ``get(idx)`` with idx (E, B) gives (E, B, ...) tensors."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> None:
        self.x = x.to(device)
        self.y = y.to(device)
        self.device = device

    def __len__(self) -> int:
        return len(self.x)

    def get(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        i = torch.as_tensor(idx, dtype=torch.long, device=self.device)
        return self.x[i], self.y[i]


class DatasetSource:
    """A map-style torch ``Dataset`` of (x, y) pairs, read item by item as batches are needed
    (data too big for memory); ``transform`` (a fixed encoder) applies to each batch."""

    def __init__(
        self, dataset, device: torch.device, collate_fn=None, x_transform=None, y_transform=None
    ) -> None:
        from torch.utils.data import default_collate

        self.dataset = dataset
        self.device = device
        self.collate_fn = collate_fn or default_collate
        self.x_transform = x_transform
        self.y_transform = y_transform

    def __len__(self) -> int:
        return len(self.dataset)

    def _load(self, flat: np.ndarray):
        batch = self.collate_fn([self.dataset[int(i)] for i in flat])
        return batch[0], batch[1]

    def get(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        e, b = idx.shape
        x, y = self._load(idx.ravel())
        x = torch.as_tensor(x, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.float32)
        x = x[:, None] if x.dim() == 1 else x
        y = y[:, None] if y.dim() == 1 else y
        with torch.no_grad():
            if self.x_transform is not None:
                x = torch.as_tensor(self.x_transform(x), dtype=torch.float32)
            if self.y_transform is not None:
                y = torch.as_tensor(self.y_transform(y), dtype=torch.float32)
        return (
            x.to(self.device).reshape(e, b, *x.shape[1:]),
            y.to(self.device).reshape(e, b, *y.shape[1:]),
        )


@dataclass
class Splits:
    """Each member's sample indices, arrays of shape (E, n_part)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def make_splits(
    n: int, n_members: int, valid_fraction: float, test_fraction: float, rng: np.random.Generator
) -> Splits:
    """A random train / validation / test split of n samples per member (parts of equal sizes
    across members, so they stack)."""
    n_test = max(2, round(test_fraction * n))
    n_valid = max(2, round(valid_fraction * n))
    perms = np.stack([rng.permutation(n) for _ in range(n_members)])
    return Splits(
        train=perms[:, n_test + n_valid :],
        valid=perms[:, n_test : n_test + n_valid],
        test=perms[:, :n_test],
    )


# -- the ensemble ---------------------------------------------------------------------------
def _reset(module: nn.Module) -> None:
    for m in module.modules():
        if m is not module and hasattr(m, "reset_parameters"):
            m.reset_parameters()


class Ensemble:
    """E copies of one critic with their own weights, run together by ``vmap``.

    Parameters
    ----------
    critic : nn.Module or callable returning one
        The template. A callable is called once per member under that member's seed; a module
        is copied and each copy's layers re-initialised (``reset_parameters``) under the seed.
    n_members : int
    seeds : sequence of int
        One torch seed per member.
    device : torch.device
    """

    def __init__(self, critic, n_members: int, seeds, device) -> None:
        members = []
        for s in seeds[:n_members]:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(s))
                if isinstance(critic, nn.Module):
                    m = copy.deepcopy(critic)
                    _reset(m)
                else:
                    m = critic()
            members.append(m.to(device))
        self.n_members = n_members
        self.device = device
        params, buffers = stack_module_state(members)
        self.params = {k: v.detach().requires_grad_(True) for k, v in params.items()}
        self.buffers = buffers
        self.base = copy.deepcopy(members[0]).to("meta")
        self._vmapped = self._vectorised()

    def _vectorised(self):
        def one(p, b, x, y, cols):
            return functional_call(self.base, (p, b), (x, y, cols))

        return vmap(one, in_dims=(0, 0, 0, 0, None))

    # Pickled without the vectorised function (a closure), which is rebuilt on load.
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_vmapped"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._vmapped = self._vectorised()

    def __call__(self, x: torch.Tensor, y: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """Scores (E, B, 1 + K) for member batches x (E, B, ...), y (E, B, ...)."""
        return self._vmapped(self.params, self.buffers, x, y, cols)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    def state(self) -> dict[str, torch.Tensor]:
        """A detached copy of the stacked parameters."""
        return {k: v.detach().clone() for k, v in self.params.items()}

    def load_member(self, state: dict[str, torch.Tensor], member: int) -> None:
        """Copy one member's weights from a stacked ``state``."""
        with torch.no_grad():
            for k, v in self.params.items():
                v[member].copy_(state[k][member])

    def member(self, e: int) -> nn.Module:
        """Member ``e`` as an ordinary module (a copy), for inspection or reuse."""
        template = copy.deepcopy(self.base).to_empty(device=self.device)
        sd = {k: v[e].detach().clone() for k, v in {**self.params, **self.buffers}.items()}
        template.load_state_dict(sd, strict=False)
        return template


# -- training -------------------------------------------------------------------------------
@dataclass
class TrainResult:
    """What :func:`train_critics` returns."""

    ensemble: Ensemble
    splits: Splits
    log: dict[str, np.ndarray]
    best_iteration: np.ndarray
    best_valid_mi_nats: np.ndarray
    n_iterations: int
    converged: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


def _eval_chunks(idx: np.ndarray, size: int) -> list[np.ndarray]:
    """Split each member's index row (E, m) into chunks (E, ~size), at least 2 columns each."""
    m = idx.shape[1]
    n_chunks = max(1, m // max(2, size))
    return [c for c in np.array_split(idx, n_chunks, axis=1) if c.shape[1] >= 2]


def _n_neg(n_negatives: int | None, batch: int) -> int:
    return batch - 1 if n_negatives is None else min(int(n_negatives), batch - 1)


@torch.no_grad()
def score_rows(
    ensemble: Ensemble,
    source,
    idx: np.ndarray,
    objective: str,
    *,
    eval_batch_size: int,
    n_negatives: int | None = None,
    tau: float = 5.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row readout pieces ``(a, l)`` of every member on its rows ``idx`` (E, m), scored in
    chunks of about ``eval_batch_size`` rows whose other rows are the negatives, and the mean
    loss per member. Returns a (E, m'), l (E, m'), loss (E,) with m' <= m rows kept."""
    rng = np.random.default_rng(seed)
    a_parts, lneg_parts, losses, weights = [], [], [], []
    for chunk in _eval_chunks(idx, eval_batch_size):
        x, y = source.get(chunk)
        cols = negative_columns(chunk.shape[1], _n_neg(n_negatives, chunk.shape[1]), rng)
        s = ensemble(x, y, cols.to(ensemble.device))
        a, lneg = bounds.row_terms(objective, s, tau=tau)
        a_parts.append(a.double().cpu().numpy())
        lneg_parts.append(lneg.double().cpu().numpy())
        loss_obj = "dv" if objective == "mine" else objective
        losses.append(bounds.objective_loss(loss_obj, s, tau=tau).double().cpu().numpy())
        weights.append(chunk.shape[1])
    loss = np.average(np.stack(losses), axis=0, weights=weights)
    return np.concatenate(a_parts, axis=1), np.concatenate(lneg_parts, axis=1), loss


def train_critics(
    critic,
    source,
    splits: Splits,
    *,
    objective: str = "infonce",
    batch_size: int = 128,
    n_negatives: int | None = None,
    lr: float = 1e-3,
    weight_decay: float = 1e-2,
    max_iterations: int = 2000,
    eval_every: int = 50,
    patience: int = 5,
    eval_batch_size: int | None = None,
    tau: float = 5.0,
    mine_alpha: float = 0.01,
    augment=None,
    seed: int | np.random.SeedSequence | None = None,
    device: str | torch.device = "cpu",
    progress: bool = True,
    caller: str = "train_critics",
) -> TrainResult:
    """Train one critic per member of ``splits`` together, with early stopping per member.

    Parameters
    ----------
    critic : nn.Module or callable returning one
        The critic of one member (see :class:`Ensemble`); it maps (x, y, cols) to scores.
    source : ArraySource or DatasetSource
    splits : Splits
        Each member's train / validation / test indices.
    objective : {"infonce", "nwj", "dv", "mine", "js", "smile"}
        What trains the critic; see :data:`bayesmi.neural.bounds.OBJECTIVES`.
    batch_size : int
        Pairs per member per step.
    n_negatives : int or None
        Negatives per positive (other samples of the batch); None: all B - 1.
    lr, weight_decay : float
        AdamW's.
    max_iterations : int
        Optimiser steps at most.
    eval_every : int
        Steps between validation scores.
    patience : int
        Validation scores without a new best after which a member stops improving; training
        ends when every member has.
    eval_batch_size : int, optional
        Rows per chunk when scoring held-out data (the other rows of a chunk are the negatives:
        InfoNCE's ceiling is log of it). Default: ``batch_size``.
    tau : float
        SMILE's clip.
    mine_alpha : float
        Rate of MINE's moving average.
    augment : callable or None
        ``augment(t, generator) -> t`` applied to x and to y of every training batch (shape
        (members, B, ...)), never to validation or test rows; e.g. :func:`shift_images`.
    seed : int or SeedSequence
    device : str or torch.device
    progress : bool

    Returns
    -------
    TrainResult
        The ensemble with each member's best weights restored, the log (``LOG_KEYS``), and
        each member's best iteration and validation MI (nats).
    """
    from tqdm.auto import tqdm

    device = torch.device(device)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    init_ss, batch_ss, neg_ss, aug_ss = ss.spawn(4)
    n_members, n_train = splits.train.shape
    member_seeds = init_ss.generate_state(n_members)
    ensemble = Ensemble(critic, n_members, member_seeds, device)
    opt = torch.optim.AdamW(ensemble.parameters(), lr=lr, weight_decay=weight_decay)
    batch_rng = np.random.default_rng(batch_ss)
    neg_rng = np.random.default_rng(neg_ss)
    aug_gen = torch.Generator().manual_seed(int(aug_ss.generate_state(1, np.uint64)[0] >> 1))
    batch = min(batch_size, n_train)
    k = _n_neg(n_negatives, batch)
    eval_size = eval_batch_size or batch_size
    average = bounds.MovingAverage(mine_alpha) if objective == "mine" else None

    best = np.full(n_members, -np.inf)
    best_it = np.zeros(n_members, dtype=np.int64)
    wait = np.zeros(n_members, dtype=np.int64)
    best_state = ensemble.state()
    log: dict[str, list] = {key: [] for key in LOG_KEYS}
    run_loss = np.zeros(n_members)
    run_mi = np.zeros(n_members)
    run_count = 0
    it = 0
    pos, order = n_train, None
    bar = tqdm(
        total=max_iterations, desc=f"{caller} ({objective})", disable=not progress, leave=False
    )
    try:
        while it < max_iterations:
            # Each member walks through its own train part in its own random order (epochs),
            # so a batch never holds one sample twice.
            if pos + batch > n_train:
                order = np.argsort(batch_rng.random((n_members, n_train)), axis=1)
                pos = 0
            idx = np.take_along_axis(splits.train, order[:, pos : pos + batch], axis=1)
            pos += batch
            x, y = source.get(idx)
            if augment is not None:
                x, y = augment(x, aug_gen), augment(y, aug_gen)
            cols = negative_columns(batch, k, neg_rng).to(device)
            s = ensemble(x, y, cols)
            loss = bounds.objective_loss(objective, s, tau=tau, average=average)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()  # members' losses are independent: the sum trains each
            opt.step()
            it += 1
            with torch.no_grad():
                run_loss += loss.detach().double().cpu().numpy()
                run_mi += (
                    bounds.objective_readout(objective, s.detach(), tau=tau).double().cpu().numpy()
                )
            run_count += 1
            bar.update()
            if it % eval_every and it < max_iterations:
                continue
            a, lneg, vloss = score_rows(
                ensemble,
                source,
                splits.valid,
                objective,
                eval_batch_size=eval_size,
                n_negatives=n_negatives,
                tau=tau,
                seed=it,
            )
            vmi = bounds.combine_rows(objective, a, lneg)
            for split, lo, mi in ((0, run_loss / run_count, run_mi / run_count), (1, vloss, vmi)):
                log["log_iteration"] += [it] * n_members
                log["log_member"] += list(range(n_members))
                log["log_split"] += [split] * n_members
                log["log_loss"] += list(lo)
                log["log_mi_nats"] += list(mi)
            run_loss[:] = 0
            run_mi[:] = 0
            run_count = 0
            improved = np.isfinite(vmi) & (vmi > best)
            for e in np.flatnonzero(improved):
                best[e] = vmi[e]
                best_it[e] = it
                for key, v in ensemble.params.items():
                    best_state[key][e] = v[e].detach()
            wait = np.where(improved, 0, wait + 1)
            bar.set_postfix_str(f"valid MI {np.nanmean(vmi):.3f} nats")
            if (wait >= patience).all():
                break
    finally:
        bar.close()
    for e in range(n_members):
        ensemble.load_member(best_state, e)
    converged = wait >= patience
    return TrainResult(
        ensemble=ensemble,
        splits=splits,
        log={
            "log_iteration": np.asarray(log["log_iteration"], dtype=np.int64),
            "log_member": np.asarray(log["log_member"], dtype=np.int64),
            "log_split": np.asarray(log["log_split"], dtype=np.int64),
            "log_loss": np.asarray(log["log_loss"], dtype=np.float64),
            "log_mi_nats": np.asarray(log["log_mi_nats"], dtype=np.float64),
        },
        best_iteration=best_it,
        best_valid_mi_nats=best,
        n_iterations=it,
        converged=converged,
    )


def evaluate_critics(
    trained: TrainResult | Ensemble,
    source,
    idx: np.ndarray | None = None,
    *,
    objective: str = "infonce",
    eval_batch_size: int = 128,
    n_negatives: int | None = None,
    tau: float = 5.0,
    n_resamples: int = 0,
    seed: int | np.random.SeedSequence | None = None,
) -> dict[str, np.ndarray]:
    """Each member's MI readout on held-out rows, and bootstrap resamples of those rows.

    Parameters
    ----------
    trained : TrainResult or Ensemble
    source : ArraySource or DatasetSource
    idx : array (E, m), optional
        Each member's rows; default: the test parts of ``trained.splits``.
    objective : str
        Selects the readout (:func:`bayesmi.neural.bounds.objective_readout`).
    n_resamples : int
        Bootstrap resamples of each member's rows (rows drawn with replacement, the readout
        recomputed from the per-row pieces).

    Returns
    -------
    dict with "mi_nats" (E,), "resamples_nats" (E, n_resamples), "a" and "l" (E, m) the
    per-row pieces (:func:`bayesmi.neural.bounds.row_terms`), and "ceiling_nats" (InfoNCE's
    log of the chunk size, else inf).
    """
    ensemble = trained.ensemble if isinstance(trained, TrainResult) else trained
    if idx is None:
        idx = trained.splits.test
    rng = np.random.default_rng(seed)
    a, lneg, _ = score_rows(
        ensemble,
        source,
        idx,
        objective,
        eval_batch_size=eval_batch_size,
        n_negatives=n_negatives,
        tau=tau,
        seed=int(rng.integers(2**31)),
    )
    out = {"mi_nats": bounds.combine_rows(objective, a, lneg), "a": a, "l": lneg}
    m = a.shape[1]
    if n_resamples > 0:
        counts = np.stack(
            [np.bincount(rng.integers(0, m, m), minlength=m) for _ in range(n_resamples)]
        )
        per = np.stack(
            [bounds.combine_rows(objective, a[e], lneg[e], counts) for e in range(a.shape[0])]
        )
        out["resamples_nats"] = per
    # InfoNCE's row term is at most log(K + 1) of its chunk: the readout's ceiling is the mean.
    sizes = [c.shape[1] for c in _eval_chunks(idx, eval_batch_size)]
    logs = [math.log(_n_neg(n_negatives, s) + 1) for s in sizes]
    out["ceiling_nats"] = (
        float(np.average(logs, weights=sizes)) if objective == "infonce" else math.inf
    )
    return out


# -- the log --------------------------------------------------------------------------------
# One reader and one plot for every method's training log live in bayesmi.plotting.
training_log = _plotting.training_log
plot_training_log = _plotting.plot_training

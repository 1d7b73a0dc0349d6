"""Paired autoencoders with a cross-prediction term, the representation learner of latent MI.

Gowri, Lun, Klein & Yin (2024), "Approximating mutual information of high-dimensional variables
using learned representations" (NeurIPS 2024, arXiv:2409.02732): an encoder maps x to a small
latent z_x and a decoder maps it back (an autoencoder), likewise for y; a cross decoder predicts
y from z_x and another x from z_y. The loss

    alpha * (|x - dec_x(z_x)|^2 + |y - dec_y(z_y)|^2)
    + lam * (|y - cross_y(z_x)|^2 + |x - cross_x(z_y)|^2)

(mean squared errors) keeps in each latent what describes its own variable and, through the
cross terms, what it shares with the other: the information that MI is about.

Every member of an ensemble (repeats and folds) is trained at once in one batched network:
each layer holds a weight tensor of shape (members, in, out) and runs as one batched matrix
product, each member on its own mini-batches of its own training rows. Members are independent
(the summed loss gives each member the gradient of its own loss), so this is the same as
training them one by one, in one pass over the layers.

This module imports torch; the estimator (:mod:`bayesmi.estimators.latent`) imports it only
when it runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["BatchedMLP", "FitLog", "PairedAutoencoders", "encode_all", "fit_paired_autoencoders"]


class BatchedMLP(nn.Module):
    """``n_members`` independent MLPs evaluated together on input (members, batch, d_in).

    LeakyReLU(0.2) between layers (as latentmi), none after the last; optional dropout before
    each layer (the cross decoders use it, as in the paper's implementation), with masks drawn
    from a given torch Generator so that training is reproducible without touching torch's
    global random state.
    """

    def __init__(self, sizes: list[int], n_members: int, generator: torch.Generator, dropout=0.0):
        super().__init__()
        self.dropout = float(dropout)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for d_in, d_out in itertools.pairwise(sizes):
            # Xavier-uniform weights, zero biases (Glorot & Bengio 2010), drawn per member.
            bound = float(np.sqrt(6.0 / (d_in + d_out)))
            w = (torch.rand(n_members, d_in, d_out, generator=generator) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(torch.zeros(n_members, 1, d_out)))

    def forward(self, h: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if self.training and self.dropout > 0 and generator is not None:
                keep = torch.rand(h.shape, generator=generator, device=h.device) >= self.dropout
                h = h * keep / (1.0 - self.dropout)
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = nn.functional.leaky_relu(h, 0.2)
        return h


class PairedAutoencoders(nn.Module):
    """Encoders, decoders and cross decoders for x and y, for ``n_members`` members at once.

    Parameters
    ----------
    x_dim, y_dim : int
    latent_dim : int
    hidden : tuple of int
        Encoder hidden widths (the decoders mirror them).
    n_members : int
    generator : torch.Generator
        Draws the initial weights.
    dropout : float
        Dropout of the cross decoders.
    """

    def __init__(self, x_dim, y_dim, latent_dim, hidden, n_members, generator, dropout=0.5):
        super().__init__()
        h = list(hidden)
        enc = lambda d: [d, *h, latent_dim]  # noqa: E731
        dec = lambda d: [latent_dim, *h[::-1], d]  # noqa: E731
        self.enc_x = BatchedMLP(enc(x_dim), n_members, generator)
        self.enc_y = BatchedMLP(enc(y_dim), n_members, generator)
        self.dec_x = BatchedMLP(dec(x_dim), n_members, generator)
        self.dec_y = BatchedMLP(dec(y_dim), n_members, generator)
        self.cross_x = BatchedMLP(dec(x_dim), n_members, generator, dropout)  # z_y -> x
        self.cross_y = BatchedMLP(dec(y_dim), n_members, generator, dropout)  # z_x -> y

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents of x (members, n, x_dim) and y: (members, n, latent_dim) each."""
        return self.enc_x(x), self.enc_y(y)

    def loss(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        alpha: float,
        lam: float,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Per-member loss, shape (members,): alpha * reconstruction + lam * cross-prediction."""
        zx, zy = self.encode(x, y)
        mse = lambda a, b: ((a - b) ** 2).mean(dim=(1, 2))  # noqa: E731
        auto = mse(self.dec_x(zx), x) + mse(self.dec_y(zy), y)
        cross = mse(self.cross_x(zy, generator), x) + mse(self.cross_y(zx, generator), y)
        return alpha * auto + lam * cross


@dataclass
class FitLog:
    """What happened in training, one row per (epoch, member, split)."""

    iteration: np.ndarray  # epoch, int
    member: np.ndarray  # int
    split: np.ndarray  # 0 train, 1 validation
    loss: np.ndarray  # mean loss over the epoch (train) or the validation rows
    best_epoch: np.ndarray  # (members,) the epoch whose weights were restored
    stopped_early: np.ndarray  # (members,) bool: patience ran out before max_epochs


def _torch_seed(seed: np.random.SeedSequence) -> int:
    return int(seed.generate_state(1, dtype=np.uint64)[0] % (2**63 - 1))


def fit_paired_autoencoders(
    x: np.ndarray,
    y: np.ndarray,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    *,
    latent_dim: int,
    hidden: tuple[int, ...],
    alpha: float,
    lam: float,
    dropout: float,
    lr: float,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    seed: np.random.SeedSequence | int | None = None,
    device: str = "cpu",
    progress: bool = True,
    desc: str = "latent: training",
) -> tuple[PairedAutoencoders, FitLog]:
    """Train one member per row of ``train_idx`` with AdamW and early stopping on its own
    validation rows; each member's best weights (lowest validation loss) are restored.

    Parameters
    ----------
    x, y : arrays (n, x_dim), (n, y_dim)
        Standardised data, shared by all members.
    train_idx, val_idx : int arrays (members, n_train), (members, n_val)
        The rows each member trains on and is validated on.
    latent_dim, hidden, alpha, lam, dropout, lr, weight_decay, batch_size, max_epochs, patience
        As in :class:`~bayesmi.estimators.latent.LatentMI`, which holds their defaults.
    seed : SeedSequence or int
        Initial weights, batch order and dropout masks.
    progress : bool
        A tqdm bar over epochs.

    Returns
    -------
    model : PairedAutoencoders, in eval mode, on ``device``
    log : FitLog
    """
    from tqdm.auto import tqdm

    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    gen = torch.Generator().manual_seed(_torch_seed(ss))
    n_members, n_train = train_idx.shape
    model = PairedAutoencoders(
        x.shape[1], y.shape[1], latent_dim, hidden, n_members, gen, dropout
    ).to(device)
    gen_dev = gen if device == "cpu" else torch.Generator(device).manual_seed(_torch_seed(ss))
    xt = torch.as_tensor(x, dtype=torch.float32, device=device)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device)
    tr = torch.as_tensor(train_idx, dtype=torch.long, device=device)
    va = torch.as_tensor(val_idx, dtype=torch.long, device=device)
    try:  # the fused kernel: one pass over every parameter (measured ~1.4x faster per step)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - a torch or device without it
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    params = list(model.parameters())
    best = [p.detach().clone() for p in params]
    best_loss = torch.full((n_members,), float("inf"), device=device)
    best_epoch = np.zeros(n_members, dtype=np.int64)
    waited = np.zeros(n_members, dtype=np.int64)
    rows: list[tuple[int, int, int, float]] = []
    bar = tqdm(total=max_epochs, desc=desc, disable=not progress, leave=False)
    try:
        for epoch in range(max_epochs):
            model.train()
            order = torch.argsort(torch.rand(n_members, n_train, generator=gen), dim=1)
            idx = tr.gather(1, order.to(device))
            total = torch.zeros(n_members, device=device)
            for start in range(0, n_train, batch_size):
                b = idx[:, start : start + batch_size]
                per_member = model.loss(xt[b], yt[b], alpha, lam, gen_dev)
                opt.zero_grad(set_to_none=True)
                per_member.sum().backward()
                opt.step()
                total += per_member.detach() * b.shape[1]
            train_loss = (total / n_train).cpu().numpy()
            model.eval()
            with torch.no_grad():
                val_loss = model.loss(xt[va], yt[va], alpha, lam)
            improved = val_loss < best_loss
            if improved.any():
                best_loss = torch.where(improved, val_loss, best_loss)
                with torch.no_grad():
                    for p, q in zip(params, best, strict=True):
                        mask = improved.view(-1, *([1] * (p.dim() - 1)))
                        q.copy_(torch.where(mask, p, q))
            imp = improved.cpu().numpy()
            best_epoch[imp] = epoch
            waited[imp] = 0
            waited[~imp] += 1
            v = val_loss.cpu().numpy()
            for m in range(n_members):
                rows.append((epoch, m, 0, float(train_loss[m])))
                rows.append((epoch, m, 1, float(v[m])))
            bar.update()
            bar.set_postfix(val_loss=f"{float(v.mean()):.4f}", waiting=int((waited > 0).sum()))
            if (waited >= patience).all():
                break
    finally:
        bar.close()
    with torch.no_grad():
        for p, q in zip(params, best, strict=True):
            p.copy_(q)
    model.eval()
    a = np.array(rows, dtype=np.float64).reshape(-1, 4)
    log = FitLog(
        iteration=a[:, 0].astype(np.int64),
        member=a[:, 1].astype(np.int64),
        split=a[:, 2].astype(np.int64),
        loss=a[:, 3],
        best_epoch=best_epoch,
        stopped_early=waited >= patience,
    )
    return model, log


def encode_all(
    model: PairedAutoencoders, x: np.ndarray, y: np.ndarray, device: str = "cpu", chunk=8192
) -> tuple[np.ndarray, np.ndarray]:
    """Every member's latents of every row: arrays (members, n, latent_dim) for x and y."""
    n_members = model.enc_x.weights[0].shape[0]
    outs_x, outs_y = [], []
    with torch.no_grad():
        for s in range(0, len(x), chunk):
            xt = torch.as_tensor(x[s : s + chunk], dtype=torch.float32, device=device)
            yt = torch.as_tensor(y[s : s + chunk], dtype=torch.float32, device=device)
            zx, zy = model.encode(
                xt.expand(n_members, *xt.shape).contiguous(),
                yt.expand(n_members, *yt.shape).contiguous(),
            )
            outs_x.append(zx.cpu().numpy())
            outs_y.append(zy.cpu().numpy())
    return (
        np.concatenate(outs_x, axis=1).astype(np.float64),
        np.concatenate(outs_y, axis=1).astype(np.float64),
    )

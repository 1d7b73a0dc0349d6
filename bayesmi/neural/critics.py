"""Critics T(x, y) and encoders, written for one ensemble member.

A critic maps a batch of pairs to the score layout of :mod:`bayesmi.neural.bounds`:
``critic(x, y, cols)`` with x of shape (B, ...), y of shape (B, ...) and integer ``cols`` of
shape (B, 1 + K) returns scores (B, 1 + K) with scores[i, k] = T(x_i, y_cols[i, k]); column 0
of ``cols`` is i itself (the positive pair). :func:`negative_columns` builds ``cols``.

Members of an ensemble are copies of one module with their own weights, run together by
:class:`bayesmi.neural.training.Ensemble` (``torch.func.stack_module_state`` and ``vmap``):
modules here keep no state outside their parameters (no batch norm) so that ``vmap`` applies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "BilinearCritic",
    "ConvEncoder",
    "JointCritic",
    "NeuralCritic",
    "SeparableCritic",
    "mlp",
    "negative_columns",
]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
    "leaky_relu": nn.LeakyReLU,
}


def mlp(d_in: int, hidden: Sequence[int], d_out: int, activation: str = "relu") -> nn.Sequential:
    """A multilayer perceptron d_in -> hidden... -> d_out (no activation on the output)."""
    layers: list[nn.Module] = []
    d = d_in
    for h in hidden:
        layers += [nn.Linear(d, h), ACTIVATIONS[activation]()]
        d = h
    layers.append(nn.Linear(d, d_out))
    return nn.Sequential(*layers)


def negative_columns(batch: int, n_negatives: int, rng: np.random.Generator) -> torch.Tensor:
    """Columns (batch, 1 + n_negatives): row i pairs x_i with y_i, then with y_{(i + o) mod B}
    for ``n_negatives`` distinct offsets o in 1..B-1 drawn by ``rng`` (all of them when
    n_negatives = B - 1): every negative is another sample of the batch, never the positive."""
    if not 1 <= n_negatives <= batch - 1:
        raise ValueError(f"n_negatives must lie in [1, {batch - 1}] for a batch of {batch}.")
    if n_negatives == batch - 1:
        offsets = np.arange(batch)
    else:
        offsets = np.concatenate(
            [[0], np.sort(rng.choice(np.arange(1, batch), n_negatives, False))]
        )
    cols = (np.arange(batch)[:, None] + offsets[None, :]) % batch
    return torch.as_tensor(cols, dtype=torch.long)


class JointCritic(nn.Module):
    """T(x, y) = MLP([x, y]): one network over the concatenated pair. Costs one forward pass
    per pair, so B (1 + K) passes a batch: keep K (negatives per positive) modest."""

    def __init__(self, dx: int, dy: int, hidden=(64, 64), activation: str = "relu") -> None:
        super().__init__()
        self.net = mlp(dx + dy, hidden, 1, activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        b, k1 = cols.shape
        xx = x[:, None, :].expand(b, k1, x.shape[-1])
        yy = y[cols]
        return self.net(torch.cat([xx, yy], dim=-1))[..., 0]


class SeparableCritic(nn.Module):
    """T(x, y) = f(x) . g(y), f and g MLPs to ``embed_dim`` (van den Oord et al. 2018; Poole et
    al. 2019): every pair of a batch from 2B forward passes and one matrix product."""

    def __init__(
        self, dx: int, dy: int, hidden=(64, 64), activation: str = "relu", embed_dim: int = 32
    ) -> None:
        super().__init__()
        self.f = mlp(dx, hidden, embed_dim, activation)
        self.g = mlp(dy, hidden, embed_dim, activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        return (self.f(x) @ self.g(y).T).gather(1, cols)


class BilinearCritic(nn.Module):
    """T(x, y) = x^T W y + b: linear in each argument's features (CPC's critic). Give it
    encoders (``NeuralCritic(..., x_encoder=...)``) unless the dependence is linear."""

    def __init__(self, dx: int, dy: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dx, dy))
        self.bias = nn.Parameter(torch.zeros(()))
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(dx * dy))

    def reset_parameters(self) -> None:
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(self.weight.numel()))
        nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor, y: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        return (x @ self.weight @ y.T + self.bias).gather(1, cols)


class ConvEncoder(nn.Module):
    """A small convolutional encoder for images (B, C, H, W) -> (B, out_dim): two 3x3
    convolutions (the second with stride 2), then a linear map. No batch norm (see module doc)."""

    def __init__(
        self,
        in_shape: Sequence[int],
        out_dim: int = 16,
        channels: Sequence[int] = (16, 32),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        c, h, w = (int(s) for s in in_shape)
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(c, c1, 3, padding=1),
            ACTIVATIONS[activation](),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),
            ACTIVATIONS[activation](),
            nn.Flatten(),
            nn.Linear(c2 * ((h + 1) // 2) * ((w + 1) // 2), out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class NeuralCritic(nn.Module):
    """A critic with optional learned encoders: T(x, y) = head(f(x), g(y)).

    Parameters
    ----------
    head : module
        A critic taking (x, y, cols), such as :class:`SeparableCritic`.
    x_encoder, y_encoder : module or None
        Learned encoders, trained with the head; None passes the data through. The same module
        object for both shares their weights.
    """

    def __init__(self, head: nn.Module, x_encoder=None, y_encoder=None) -> None:
        super().__init__()
        self.head = head
        self.x_encoder = x_encoder if x_encoder is not None else nn.Identity()
        self.y_encoder = y_encoder if y_encoder is not None else nn.Identity()

    def forward(self, x: torch.Tensor, y: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        return self.head(self.x_encoder(x), self.y_encoder(y), cols)

"""Batched, differentiable mutual-information estimators in torch, for training loops and images.

Every function takes a batch of sample sets, x of shape (B, n, dx) and y of shape (B, n, dy)
(or (n, d), a batch of one), or a batch of image pairs (B, C, H, W) through
:func:`image_pairs`, and returns one MI per batch element, shape (B,), in nats. They run on
whatever device the tensors are on (CUDA when present, CPU otherwise).

- :func:`knn_mi`: KSG algorithm 1 (max-norm); counts are not differentiable.
- :func:`kde_mi`: Gaussian kernel density plug-in (resubstitution, leave-one-out by default);
  differentiable in x and y.
- :func:`soft_bin_mi`: a differentiable histogram of 1-D variables (pixel intensities):
  Gaussian soft assignments to bins; differentiable in x and y.

These are point estimates for use inside a loss; for a distribution with an interval use
``bm.estimate(..., method="ksg" or "bins")``. Pairwise distances are held in memory, (B, n, n):
keep n to a few thousand per batch element.
"""

from __future__ import annotations

import math

import torch

__all__ = ["image_pairs", "kde_mi", "knn_mi", "soft_bin_mi"]


def _batch(x: torch.Tensor, y: torch.Tensor, caller: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise TypeError(
            f"{caller}: x and y must be torch tensors, got {type(x).__name__} and "
            f"{type(y).__name__}."
        )
    if x.dim() == 2:
        x = x[None]
    if y.dim() == 2:
        y = y[None]
    if x.dim() != 3 or y.dim() != 3:
        raise ValueError(
            f"{caller}: x and y must have shape (B, n, d) or (n, d); got "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    if x.shape[:2] != y.shape[:2]:
        raise ValueError(
            f"{caller}: x and y must share batch size and sample count; got "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    if not (x.is_floating_point() and y.is_floating_point()):
        raise TypeError(f"{caller}: x and y must be floating point, got {x.dtype} and {y.dtype}.")
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise ValueError(f"{caller}: x or y contains NaN or inf.")
    if x.shape[1] < 5:
        raise ValueError(f"{caller}: need at least 5 samples per batch element, got {x.shape[1]}.")
    return x, y


def image_pairs(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Image pairs (B, C, H, W) as sample sets (B, H*W, C): each pixel is one sample of the
    intensity (all C channels together), so an estimator gives the MI between the pixel
    intensities of a[i] and b[i], per batch element."""
    if a.dim() != 4 or a.shape != b.shape:
        raise ValueError(
            f"image_pairs: a and b must have the same shape (B, C, H, W); got "
            f"{tuple(a.shape)} and {tuple(b.shape)}."
        )
    flat = lambda t: t.flatten(2).transpose(1, 2)  # noqa: E731
    return flat(a), flat(b)


def _standardise(t: torch.Tensor) -> torch.Tensor:
    sd = t.std(dim=1, keepdim=True).clamp_min(1e-12)
    return (t - t.mean(dim=1, keepdim=True)) / sd


def knn_mi(x: torch.Tensor, y: torch.Tensor, k: int = 3) -> torch.Tensor:
    """KSG algorithm 1 (Kraskov et al. 2004, eq. 8) per batch element, shape (B,), nats.

    Each variable's columns are scaled to unit standard deviation (as ``method="ksg"`` does);
    ties are not jittered here, so add noise to discrete-valued data first.
    """
    x, y = _batch(x, y, "knn_mi")
    n = x.shape[1]
    if not 1 <= k < n:
        raise ValueError(f"knn_mi: k must lie in [1, n); got k={k} with n={n}.")
    x = x / x.std(dim=1, keepdim=True).clamp_min(1e-12)
    y = y / y.std(dim=1, keepdim=True).clamp_min(1e-12)
    dx = torch.cdist(x, x, p=float("inf"))
    dy = torch.cdist(y, y, p=float("inf"))
    d = torch.maximum(dx, dy)
    eye = torch.eye(n, dtype=torch.bool, device=x.device)
    d = d.masked_fill(eye, float("inf"))
    eps = d.topk(k, dim=2, largest=False).values[..., -1:]  # (B, n, 1)
    nx = ((dx < eps) & ~eye).sum(dim=2)
    ny = ((dy < eps) & ~eye).sum(dim=2)
    dg = torch.digamma
    kk = torch.tensor(float(k), dtype=x.dtype, device=x.device)
    nn = torch.tensor(float(n), dtype=x.dtype, device=x.device)
    return dg(kk) + dg(nn) - (dg(nx.to(x.dtype) + 1) + dg(ny.to(x.dtype) + 1)).mean(dim=1)


def _log_kde(u: torch.Tensor, h: torch.Tensor, leave_one_out: bool) -> torch.Tensor:
    """log of the Gaussian kernel density at each sample, (B, n); h: (B, 1, 1) bandwidth."""
    n, d = u.shape[1], u.shape[2]
    sq = torch.cdist(u, u, p=2.0) ** 2  # (B, n, n)
    logk = -sq / (2 * h**2)
    if leave_one_out:
        eye = torch.eye(n, dtype=torch.bool, device=u.device)
        logk = logk.masked_fill(eye, float("-inf"))
        count = n - 1
    else:
        count = n
    norm = math.log(count) + 0.5 * d * torch.log(2 * math.pi * h[..., 0] ** 2)  # (B, 1)
    return torch.logsumexp(logk, dim=2) - norm


def kde_mi(
    x: torch.Tensor, y: torch.Tensor, bandwidth: float | None = None, leave_one_out: bool = True
) -> torch.Tensor:
    """Gaussian-kernel plug-in MI per batch element, shape (B,), nats; differentiable.

    I = mean_i [log p(x_i, y_i) - log p(x_i) - log p(y_i)], each density a Gaussian KDE of the
    standardised variables, one bandwidth per batch element for the joint and its marginals
    (Scott's rule n^(-1/(d+4)) for the joint dimension d, when not given), leave-one-out by
    default (a resubstituted KDE sees each point in its own kernel and reads high).
    """
    x, y = _batch(x, y, "kde_mi")
    x, y = _standardise(x), _standardise(y)
    n, d = x.shape[1], x.shape[2] + y.shape[2]
    if bandwidth is None:
        h = n ** (-1.0 / (d + 4))
    else:
        if not bandwidth > 0:
            raise ValueError(f"kde_mi: bandwidth must be positive, got {bandwidth!r}.")
        h = float(bandwidth)
    h = torch.full((x.shape[0], 1, 1), h, dtype=x.dtype, device=x.device)
    joint = _log_kde(torch.cat([x, y], dim=2), h, leave_one_out)
    return (joint - _log_kde(x, h, leave_one_out) - _log_kde(y, h, leave_one_out)).mean(dim=1)


def _soft_hist(v: torch.Tensor, n_bins: int, sigma: float) -> torch.Tensor:
    """Soft assignment of each 1-D sample to bins on [min, max] of its batch element:
    (B, n, n_bins), rows summing to one (a Gaussian kernel of width sigma bin widths)."""
    lo = v.min(dim=1, keepdim=True).values
    hi = v.max(dim=1, keepdim=True).values
    t = (v - lo) / (hi - lo).clamp_min(1e-12) * n_bins - 0.5  # position in bin units
    centres = torch.arange(n_bins, dtype=v.dtype, device=v.device)
    return torch.softmax(-((t - centres) ** 2) / (2 * sigma**2), dim=2)


def soft_bin_mi(
    x: torch.Tensor, y: torch.Tensor, n_bins: int = 16, sigma: float = 0.5
) -> torch.Tensor:
    """Differentiable-histogram MI of 1-D x and y per batch element, shape (B,), nats.

    Each sample is spread over ``n_bins`` bins (on its batch element's range) by a Gaussian of
    ``sigma`` bin widths; the joint table is the mean outer product of the assignments, and the
    MI is that of the table (Miller-Madow is not applied: the table is smooth, not counted).
    It is biased both ways: high at small n (the plug-in bias of a table), low at large n (the
    smoothing loses information); measured in ``benchmarks/torch_batched.py``. It is for
    gradients (maximising dependence, image registration), not for reporting.
    """
    x, y = _batch(x, y, "soft_bin_mi")
    if x.shape[2] != 1 or y.shape[2] != 1:
        raise ValueError(
            f"soft_bin_mi: x and y must be 1-D per sample (d = 1); got d = "
            f"{x.shape[2]} and {y.shape[2]}. Use kde_mi or knn_mi for vectors."
        )
    if not (isinstance(n_bins, int) and n_bins >= 2):
        raise ValueError(f"soft_bin_mi: n_bins must be an integer >= 2, got {n_bins!r}.")
    if not sigma > 0:
        raise ValueError(f"soft_bin_mi: sigma must be positive, got {sigma!r}.")
    wx, wy = _soft_hist(x, n_bins, sigma), _soft_hist(y, n_bins, sigma)
    pxy = torch.einsum("bna,bnc->bac", wx, wy) / x.shape[1]
    px, py = pxy.sum(dim=2, keepdim=True), pxy.sum(dim=1, keepdim=True)
    tiny = torch.finfo(pxy.dtype).tiny
    return (pxy * (torch.log(pxy + tiny) - torch.log(px * py + tiny))).sum(dim=(1, 2))

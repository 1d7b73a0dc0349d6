"""Variational MI bounds and the losses that train critics for them.

Every function takes critic scores in one layout, shape (..., B, 1 + K): row i holds
T(x_i, y_i) in column 0 (the positive pair) and T(x_i, y_j) for K other samples y_j of the
batch in columns 1..K (the negatives, pairs drawn from the product of the marginals). The
leading dimensions (an ensemble's members, say) are kept: a bound returns shape (...), in nats.

What each bounds, for a critic T (Poole et al. 2019, "On variational bounds of mutual
information", ICML, table 1):

- :func:`infonce` (van den Oord et al. 2018): a lower bound that cannot exceed log(K + 1).
- :func:`nwj` (Nguyen, Wainwright & Jordan 2010): a lower bound for any critic; its variance
  grows like e^I.
- :func:`dv` (Donsker-Varadhan; MINE, Belghazi et al. 2018): a lower bound in the population;
  the log of a sample mean over negatives biases the sample value upward.
- :func:`js_readout`: the NWJ bound on T + 1, the readout of a critic trained with the
  Jensen-Shannon loss :func:`js_loss` (Deep InfoMax, Hjelm et al. 2019), whose optimum
  T* = log p(x, y) / (p(x) p(y)) makes NWJ(T* + 1) = I (Poole et al. 2019, section 2.3).
- :func:`smile` (Song & Ermon 2020): DV with the negatives' scores clipped to [-tau, tau];
  lower variance than DV, biased (not a bound) by the clipping.

The losses are minimised: ``infonce_loss = -infonce`` and so on; :class:`MovingAverage` and
:func:`mine_loss` give MINE's bias-corrected gradient of the DV bound.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "OBJECTIVES",
    "MovingAverage",
    "combine_rows",
    "dv",
    "dv_loss",
    "infonce",
    "infonce_loss",
    "js_loss",
    "js_readout",
    "mine_loss",
    "nwj",
    "nwj_loss",
    "objective_loss",
    "objective_readout",
    "row_terms",
    "smile",
    "smile_loss",
]

#: objective -> (what trains the critic, what reads MI out, whether the readout is a lower bound)
OBJECTIVES = {
    "infonce": ("InfoNCE", "InfoNCE", True),
    "nwj": ("NWJ", "NWJ", True),
    "dv": ("Donsker-Varadhan", "Donsker-Varadhan", True),
    "mine": ("Donsker-Varadhan, MINE's moving-average gradient", "Donsker-Varadhan", True),
    "js": ("Jensen-Shannon (Deep InfoMax)", "NWJ on T + 1", True),
    "smile": (
        "Jensen-Shannon (as in Song & Ermon's code)",
        "SMILE: DV with clipped negatives",
        False,
    ),
}


def _split(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if scores.dim() < 2 or scores.shape[-1] < 2:
        raise ValueError(
            "scores must have shape (..., B, 1 + K) with K >= 1 negatives per positive; "
            f"got {tuple(scores.shape)}."
        )
    return scores[..., 0], scores[..., 1:]


def _logmeanexp(t: torch.Tensor, dim) -> torch.Tensor:
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    count = math.prod(t.shape[d] for d in dims)
    return torch.logsumexp(t, dim=dims) - math.log(count)


def infonce(scores: torch.Tensor) -> torch.Tensor:
    """InfoNCE: mean_i [T_ii - log mean_{j in {i} + negatives} e^{T_ij}] <= log(K + 1), nats."""
    pos, _ = _split(scores)
    return (pos - _logmeanexp(scores, -1)).mean(-1)


def nwj(scores: torch.Tensor) -> torch.Tensor:
    """NWJ (f-divergence, KL): E_p[T] - E_{p x p}[e^(T - 1)], nats."""
    pos, neg = _split(scores)
    return pos.mean(-1) - torch.exp(_logmeanexp(neg - 1.0, (-2, -1)))


def dv(scores: torch.Tensor) -> torch.Tensor:
    """Donsker-Varadhan: E_p[T] - log E_{p x p}[e^T], nats."""
    pos, neg = _split(scores)
    return pos.mean(-1) - _logmeanexp(neg, (-2, -1))


def js_readout(scores: torch.Tensor) -> torch.Tensor:
    """MI read out from a critic trained by :func:`js_loss`: NWJ(T + 1) =
    1 + E_p[T] - E_{p x p}[e^T], a lower bound for any T, nats."""
    return nwj(scores + 1.0)


def smile(scores: torch.Tensor, tau: float = 5.0) -> torch.Tensor:
    """SMILE: E_p[T] - log E_{p x p}[e^clip(T, -tau, tau)] (Song & Ermon 2020), nats."""
    pos, neg = _split(scores)
    return pos.mean(-1) - _logmeanexp(neg.clamp(-tau, tau), (-2, -1))


def infonce_loss(scores: torch.Tensor) -> torch.Tensor:
    """-InfoNCE, per leading index."""
    return -infonce(scores)


def nwj_loss(scores: torch.Tensor) -> torch.Tensor:
    """-NWJ, per leading index."""
    return -nwj(scores)


def dv_loss(scores: torch.Tensor) -> torch.Tensor:
    """-DV, per leading index (the plain, biased mini-batch gradient)."""
    return -dv(scores)


def js_loss(scores: torch.Tensor) -> torch.Tensor:
    """The Jensen-Shannon f-GAN loss of Deep InfoMax, E_p[softplus(-T)] + E_{p x p}[softplus(T)];
    its minimiser is T* = log p(x, y) / (p(x) p(y))."""
    pos, neg = _split(scores)
    return F.softplus(-pos).mean(-1) + F.softplus(neg).mean((-2, -1))


def smile_loss(scores: torch.Tensor) -> torch.Tensor:
    """SMILE's critic is trained with the Jensen-Shannon loss (Song & Ermon's reference code)."""
    return js_loss(scores)


class MovingAverage:
    """MINE's exponential moving average of E_{p x p}[e^T], one per leading index, kept in
    log space (Belghazi et al. 2018, section 3.2)."""

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha
        self.log_value: torch.Tensor | None = None

    def update(self, log_mean_exp: torch.Tensor) -> torch.Tensor:
        """Fold in this batch's log E[e^T] (detached); return the updated log average."""
        v = log_mean_exp.detach()
        if self.log_value is None:
            self.log_value = v
        else:
            a = torch.as_tensor(self.alpha, dtype=v.dtype, device=v.device)
            self.log_value = torch.logaddexp(torch.log1p(-a) + self.log_value, torch.log(a) + v)
        return self.log_value


def mine_loss(scores: torch.Tensor, average: MovingAverage) -> torch.Tensor:
    """MINE's loss: its gradient is the DV gradient with the mini-batch denominator E[e^T]
    replaced by a moving average, which removes the bias of the plain mini-batch gradient.
    The value is a surrogate (-E_p[T] + E[e^T] / average); read MI out with :func:`dv`."""
    pos, neg = _split(scores)
    lme = _logmeanexp(neg, (-2, -1))
    log_avg = average.update(lme)
    return -pos.mean(-1) + torch.exp(lme - log_avg)


def objective_loss(objective: str, scores: torch.Tensor, *, tau: float = 5.0, average=None):
    """The training loss of ``objective`` (a key of ``OBJECTIVES``), per leading index."""
    if objective == "infonce":
        return infonce_loss(scores)
    if objective == "nwj":
        return nwj_loss(scores)
    if objective == "dv":
        return dv_loss(scores)
    if objective == "mine":
        return mine_loss(scores, average)
    if objective in ("js", "smile"):
        return js_loss(scores)
    raise ValueError(f"objective must be one of {tuple(OBJECTIVES)}, got {objective!r}.")


def objective_readout(objective: str, scores: torch.Tensor, *, tau: float = 5.0) -> torch.Tensor:
    """The MI readout (nats) of ``objective``, per leading index."""
    if objective == "infonce":
        return infonce(scores)
    if objective == "nwj":
        return nwj(scores)
    if objective in ("dv", "mine"):
        return dv(scores)
    if objective == "js":
        return js_readout(scores)
    if objective == "smile":
        return smile(scores, tau)
    raise ValueError(f"objective must be one of {tuple(OBJECTIVES)}, got {objective!r}.")


def row_terms(objective: str, scores: torch.Tensor, *, tau: float = 5.0):
    """Per-row pieces of the readout, so that it can be recomputed on resampled rows.

    Returns ``(a, l)``, each of shape (..., B): the readout is :func:`combine_rows` of them.
    InfoNCE: a_i is row i's term; NWJ and JS: a_i the positive (+1 for JS), l_i the log of the
    mean of e^(T - 1) (JS: e^T) over row i's negatives; DV, MINE, SMILE: a_i the positive, l_i
    the log-mean-exp of row i's (clipped for SMILE) negatives.
    """
    pos, neg = _split(scores)
    if objective == "infonce":
        return pos - _logmeanexp(scores, -1), torch.zeros_like(pos)
    if objective == "nwj":
        return pos, _logmeanexp(neg - 1.0, -1)
    if objective == "js":
        return pos + 1.0, _logmeanexp(neg, -1)
    if objective in ("dv", "mine"):
        return pos, _logmeanexp(neg, -1)
    if objective == "smile":
        return pos, _logmeanexp(neg.clamp(-tau, tau), -1)
    raise ValueError(f"objective must be one of {tuple(OBJECTIVES)}, got {objective!r}.")


def combine_rows(objective: str, a, lneg, weights=None):
    """The readout from per-row pieces (numpy arrays (..., m)); ``weights`` (R, m) of row
    counts (a bootstrap) gives R readouts per leading index, shape (..., R)."""
    import numpy as np
    from scipy.special import logsumexp

    a = np.asarray(a, dtype=np.float64)
    lneg = np.asarray(lneg, dtype=np.float64)
    m = a.shape[-1]
    w = np.ones((1, m)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum(-1, keepdims=True)
    mean_a = a @ w.T
    if objective == "infonce":
        out = mean_a
    elif objective in ("nwj", "js"):
        out = mean_a - np.exp(lneg) @ w.T
    else:  # DV, MINE, SMILE: log of the pooled mean over every row's negatives
        out = mean_a - logsumexp(lneg[..., None, :], b=w, axis=-1)
    return out[..., 0] if weights is None else out

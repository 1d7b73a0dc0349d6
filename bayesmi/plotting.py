"""Plots of fitted mixtures: contours over the data, and the cross-validation curve.

The plot of the draws themselves is :meth:`bayesmi.MIResult.plot` (ArviZ).
"""

from __future__ import annotations

import numpy as np

from bayesmi.mixture import GaussianMixtureModel
from bayesmi.result import MIResult
from bayesmi.validation import check_paired

__all__ = ["plot_cv_curve", "plot_mixture"]


def plot_mixture(result: MIResult, x, y, *, dims: tuple[int, int] = (0, 1), ax=None, levels=8):
    """Contours of the full-data mixture over a scatter of the data.

    Parameters
    ----------
    result : MIResult
        A ``gmm`` result (it carries the fitted mixture).
    x, y : array-like
        The data the result was computed from.
    dims : (int, int)
        Which two coordinates of the joint (x, y) to show (default: first of x, first of y
        when both are 1-D).
    """
    import matplotlib.pyplot as plt

    model = result.model
    if not isinstance(model, GaussianMixtureModel):
        raise ValueError("plot_mixture: this result carries no fitted Gaussian mixture.")
    x, y, _ = check_paired(x, y, caller="plot_mixture")
    u = np.hstack([x, y])
    if u.shape[1] != model.dim:
        raise ValueError(
            f"plot_mixture: x and y have {u.shape[1]} columns in all, the mixture {model.dim}."
        )
    i, j = dims
    m2 = model.marginal([i, j])
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(u[:, i], u[:, j], s=4, alpha=0.35, color="0.3", label="data")
    lo, hi = u[:, [i, j]].min(0), u[:, [i, j]].max(0)
    pad = 0.1 * (hi - lo)
    g0, g1 = np.meshgrid(
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], 150),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], 150),
    )
    dens = np.exp(m2.logpdf(np.column_stack([g0.ravel(), g1.ravel()]))).reshape(g0.shape)
    ax.contour(g0, g1, dens, levels=levels, cmap="viridis")
    ax.scatter(m2.means[:, 0], m2.means[:, 1], marker="x", color="crimson", label="means")
    names = [f"x[{k}]" for k in range(x.shape[1])] + [f"y[{k}]" for k in range(y.shape[1])]
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    ax.set_title(f"fitted mixture, {model.n_components} component(s)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_cv_curve(result: MIResult, ax=None):
    """Held-out log-likelihood per sample against the component count, the choice marked."""
    import matplotlib.pyplot as plt

    e = result.extras
    if "cv_n_components" not in e or len(e["cv_n_components"]) == 0:
        raise ValueError("plot_cv_curve: this result has no cross-validation curve.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    ks, scores = e["cv_n_components"], e["cv_score"]
    ax.plot(ks, scores, "o-", color="C0")
    chosen = result.provenance.get("n_components_selected")
    if chosen in set(ks.tolist()):
        ax.axvline(chosen, color="crimson", ls="--", label=f"chosen: {chosen}")
        ax.legend(loc="best")
    se_rule = result.provenance.get("params", {}).get("se_rule")
    if se_rule:
        # A larger count that scores higher is not chosen unless the gain beats the noise.
        ax.set_title(
            f"a gain must exceed {se_rule:g} standard error(s) of the held-out score",
            fontsize="small",
        )
    ax.set_xlabel("number of components")
    ax.set_ylabel("held-out log-likelihood per sample [nats]")
    ax.set_xticks(ks)
    return ax

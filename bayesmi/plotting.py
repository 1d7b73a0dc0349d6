"""Plots of fitted mixtures: contours over the data, and the cross-validation curve.

The plot of the draws themselves is :meth:`bayesmi.MIResult.plot` (ArviZ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayesmi.mixture import GaussianMixtureModel
from bayesmi.result import TRAINING_LOG_KEYS, MIResult
from bayesmi.validation import check_paired

__all__ = ["TRAINING_LOG_KEYS", "plot_cv_curve", "plot_mixture", "plot_training", "training_log"]


def plot_mixture(
    result: MIResult, x=None, y=None, *, dims: tuple[int, int] = (0, 1), ax=None, levels=8
):
    """Contours of the full-data mixture, over a scatter of the data when it is given.

    Parameters
    ----------
    result : MIResult
        A ``gmm`` result (it carries the fitted mixture).
    x, y : array-like, optional
        The data the result was computed from. Without them (a report of a saved result) the
        contours span the mixture's means +- 3.5 standard deviations. Columns the method put
        in normal scores (``marginals``, :attr:`bayesmi.MIResult.margins`) are shown in normal
        scores, as the mixture was fitted, the data mapped by the stored maps, and their axes
        say so ("normal scores of x[0]").
    dims : (int, int)
        Which two coordinates of the joint (x, y) to show (default: first of x, first of y
        when both are 1-D).
    """
    import matplotlib.pyplot as plt

    model = result.model
    if not isinstance(model, GaussianMixtureModel):
        raise ValueError("plot_mixture: this result carries no fitted Gaussian mixture.")
    i, j = dims
    m2 = model.marginal([i, j])
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    if x is not None or y is not None:
        x, y, _ = check_paired(x, y, caller="plot_mixture")
        u = np.hstack([x, y])
        if u.shape[1] != model.dim:
            raise ValueError(
                f"plot_mixture: x and y have {u.shape[1]} columns in all, the mixture {model.dim}."
            )
        dx = x.shape[1]
        if result.margins is not None:
            u = result.margins.to_scores(u)
        ax.scatter(u[:, i], u[:, j], s=4, alpha=0.35, color="0.3", label="data")
        lo, hi = u[:, [i, j]].min(0), u[:, [i, j]].max(0)
    else:
        dx = int(result.provenance.get("dims", {}).get("x", 1))
        sd = np.sqrt(np.einsum("kii->ki", m2.covariances))
        lo = (m2.means - 3.5 * sd).min(0)
        hi = (m2.means + 3.5 * sd).max(0)
    pad = 0.1 * (hi - lo)
    g0, g1 = np.meshgrid(
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], 150),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], 150),
    )
    dens = np.exp(m2.logpdf(np.column_stack([g0.ravel(), g1.ravel()]))).reshape(g0.shape)
    ax.contour(g0, g1, dens, levels=levels, cmap="viridis")
    ax.scatter(m2.means[:, 0], m2.means[:, 1], marker="x", color="crimson", label="means")
    names = [f"x[{k}]" for k in range(dx)] + [f"y[{k}]" for k in range(model.dim - dx)]
    if result.margins is not None:
        names = [
            f"normal scores of {name}" if scored else name
            for name, scored in zip(names, result.margins.scored, strict=True)
        ]
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    ax.set_title(f"fitted mixture, {model.n_components} component(s)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_cv_curve(result: MIResult, ax=None):
    """Held-out log-likelihood per sample against the component count, the choice marked."""
    import matplotlib.pyplot as plt

    if result.cv_curve is None:
        raise ValueError("plot_cv_curve: this result has no cross-validation curve.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    ks, scores = result.cv_curve
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


def training_log(result) -> Any:
    """The training log as a pandas DataFrame: iteration, member (ensemble member or repeat),
    split ("train" or "validation"), loss and mi_nats (NaN where not evaluated).

    Takes an MIResult of a neural or latent method (or of ``bayes_gmm`` with ADVI), a
    ``bayesmi.neural.TrainResult``, or a dict holding the ``log_*`` arrays."""
    import pandas as pd

    if isinstance(result, MIResult):
        e = result.training_log or {}
    elif hasattr(result, "log"):
        e = result.log
    else:
        e = result
    missing = [k for k in TRAINING_LOG_KEYS if k not in e]
    if missing:
        raise ValueError(
            f"training_log: no training log here (missing {missing}); it comes with results of "
            "the neural and latent methods, bayes_gmm's ADVI, and bayesmi.neural.train_critics."
        )
    return pd.DataFrame(
        {
            "iteration": np.asarray(e["log_iteration"], dtype=np.int64),
            "member": np.asarray(e["log_member"], dtype=np.int64),
            "split": np.where(np.asarray(e["log_split"]) == 0, "train", "validation"),
            "loss": np.asarray(e["log_loss"], dtype=np.float64),
            "mi_nats": np.asarray(e["log_mi_nats"], dtype=np.float64),
        }
    )


def plot_training(result, *, units: str | None = None, truth_nats: float | None = None, ax=None):
    """Each member's MI on training batches (dotted, thin) and validation data (solid) against
    the iteration, in ``units`` (default the result's, else nats); ``truth_nats`` draws a
    reference line. Where no MI was logged (an autoencoder, ADVI), the loss is drawn instead.
    Returns the matplotlib axes."""
    import matplotlib.pyplot as plt

    from bayesmi.result import convert_units

    df = training_log(result)
    units = units or getattr(result, "units", "nats")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    use_mi = df["mi_nats"].notna().any()
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (member, split), g in df.groupby(["member", "split"]):
        valid = split == "validation"
        values = g["mi_nats"].to_numpy() if use_mi else g["loss"].to_numpy()
        keep = np.isfinite(values)
        ax.plot(
            g["iteration"].to_numpy()[keep],
            convert_units(values[keep], units) if use_mi else values[keep],
            color=colours[int(member) % len(colours)],
            lw=1.6 if valid else 0.6,
            alpha=1.0 if valid else 0.5,
            ls="-" if valid else ":",
            label=f"member {member}" if valid else None,
        )
    if truth_nats is not None and use_mi:
        ax.axhline(convert_units(truth_nats, units), color="k", ls="--", lw=1, label="truth")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"MI [{units}]" if use_mi else "loss")
    ax.set_title(
        f"{'MI' if use_mi else 'loss'}: training (dotted) and validation (solid) per member",
        fontsize="small",
    )
    ax.legend(fontsize=7, ncol=2)
    return ax

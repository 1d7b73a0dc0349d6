"""Figures of a validation run: coverage against nominal, estimate against truth, and the
90% coverage of every method on every case. Units (nats) on every axis that has them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_all", "plot_coverage", "plot_coverage_table", "plot_estimates"]

LEVELS = (0.5, 0.9, 0.95)


def _methods_with_intervals(summary) -> list[str]:
    return [m for m, g in summary.groupby("method", sort=True) if g["cover90"].notna().any()]


def plot_coverage(summary, path: Path) -> None:
    """Empirical against nominal coverage of the HDIs, one panel per method: every (case, n)
    faint, pooled over them bold (binomial 2-se bars)."""
    import matplotlib.pyplot as plt

    methods = _methods_with_intervals(summary)
    if not methods:
        return
    fig, axes = plt.subplots(
        1, len(methods), figsize=(3.2 * len(methods), 3.4), sharey=True, squeeze=False
    )
    for ax, m in zip(axes[0], methods, strict=True):
        g = summary[summary["method"] == m]
        for _, row in g.iterrows():
            ax.plot(LEVELS, [row[f"cover{int(p * 100)}"] for p in LEVELS], "-", color="0.75",
                    lw=0.8)  # fmt: skip
        w = g["reps"].to_numpy(dtype=float)
        pooled, ses = [], []
        for p in LEVELS:
            v = g[f"cover{int(p * 100)}"].to_numpy(dtype=float)
            keep = ~np.isnan(v)
            c = float(np.average(v[keep], weights=w[keep]))
            pooled.append(c)
            ses.append(np.sqrt(c * (1 - c) / w[keep].sum()))
        pooled, ses = np.array(pooled), np.array(ses)
        # 2-se bars, clipped to [0, 1]
        yerr = np.vstack([np.minimum(2 * ses, pooled), np.minimum(2 * ses, 1 - pooled)])
        ax.errorbar(LEVELS, pooled, yerr=yerr, fmt="o-", color="C0", lw=2, label="pooled")
        ax.plot([0.4, 1], [0.4, 1], "k--", lw=1, label="nominal")
        ax.set_xlim(0.4, 1.0)
        ax.set_ylim(0.0, 1.02)
        ax.set_title(m)
        ax.set_xlabel("nominal HDI probability")
    axes[0][0].set_ylabel("share of data sets covering the truth")
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_estimates(summary, path: Path) -> None:
    """Mean estimate (bars: sd across data sets) against the truth, per method, in nats."""
    import matplotlib.pyplot as plt

    methods = sorted(summary["method"].unique())
    ns = sorted(summary["n"].unique())
    cols = min(len(methods), 5)  # wrap many methods (the peers) onto several rows
    rows = -(-len(methods) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 3.4 * rows), sharey=True, squeeze=False
    )
    for ax in axes.flat[len(methods) :]:
        ax.set_visible(False)
    # The axis reaches the truths and the estimates, up to twice the largest truth: a peer's
    # runaway mean is drawn as a triangle on the top edge, its value written beside it.
    t_max = float(summary["truth_nats"].max())
    top = 1.1 * max(1.2 * t_max, min(float(np.nanmax(summary["mean_nats"])), 2 * t_max))
    for ax, m in zip(axes.flat, methods, strict=False):
        # Cells where the method failed on every data set (or does not apply) have no mean.
        g = summary[(summary["method"] == m) & summary["mean_nats"].notna()]
        above = 0  # runaway values written one under another
        for j, n in enumerate(ns):
            h = g[g["n"] == n]
            inside = h["mean_nats"] <= top
            ax.errorbar(h["truth_nats"][inside], h["mean_nats"][inside],
                        yerr=h["sd_across_nats"][inside], fmt="o", ms=4, color=f"C{j}",
                        label=f"n={n}", alpha=0.8)  # fmt: skip
            for t, v in zip(h["truth_nats"][~inside], h["mean_nats"][~inside], strict=True):
                ax.plot(t, 0.98 * top, "^", color=f"C{j}", ms=6)
                above += 1
                ax.annotate(f"{v:.1f}", (t, 0.98 * top), xytext=(6, -9 * above),
                            textcoords="offset points", fontsize=7, color=f"C{j}")  # fmt: skip
        ax.plot([0, top], [0, top], "k--", lw=1)
        ax.set_ylim(max(-0.5, min(-0.1, float(np.nanmin(summary["mean_nats"])) - 0.05)), top)
        ax.set_title(m)
        ax.set_xlabel("true value (nats)")
    for row in axes:
        row[0].set_ylabel("mean estimate (nats)")
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_coverage_table(summary, path: Path) -> None:
    """A grid: coverage of the 90% HDI for each method (column) and case (row) at the
    largest n the method ran at (in the column's label), red where it falls below 0.8."""
    import matplotlib
    import matplotlib.pyplot as plt
    import pandas as pd

    from validation.panel import panel_order

    methods = _methods_with_intervals(summary)
    if not methods:
        return
    ran = summary[summary["reps"] > 0]
    n_of = {m: int(ran.loc[ran["method"] == m, "n"].max()) for m in methods}
    g = pd.concat([ran[(ran["method"] == m) & (ran["n"] == n_of[m])] for m in methods])
    cases = panel_order(summary["case"])
    grid = np.full((len(cases), len(methods)), np.nan)
    for _, row in g.iterrows():
        grid[cases.index(row["case"]), methods.index(row["method"])] = row["cover90"]
    n_max = max(n_of.values())
    fig, ax = plt.subplots(figsize=(1.4 * len(methods) + 2.6, 0.38 * len(cases) + 1.2))
    # red below 0.8, grey where the method does not apply
    shade = np.where(np.isnan(grid), 0.5, (np.nan_to_num(grid) < 0.8).astype(float))
    colours = matplotlib.colors.ListedColormap(["white", "0.85", "salmon"])
    ax.imshow(shade, cmap=colours, vmin=0, vmax=1, aspect="auto")
    for i in range(len(cases)):
        for j in range(len(methods)):
            ax.text(j, i, "n/a" if np.isnan(grid[i, j]) else f"{grid[i, j]:.2f}",
                    ha="center", va="center", fontsize=8)  # fmt: skip
    labels = [m if n_of[m] == n_max else f"{m}\n(n = {n_of[m]})" for m in methods]
    ax.set_xticks(range(len(methods)), labels, fontsize=8)
    ax.set_yticks(range(len(cases)), cases, fontsize=8)
    ax.set_title(f"coverage of the 90% HDI, n = {n_max} unless labelled (red: below 0.8; "
                 "grey: n/a)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_all(results, summary, out: Path) -> None:
    """Write coverage.png, estimates.png and coverage_table.png into ``out``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    plot_coverage(summary, Path(out) / "coverage.png")
    plot_estimates(summary, Path(out) / "estimates.png")
    plot_coverage_table(summary, Path(out) / "coverage_table.png")

"""Markdown tables of a validation run, for docs/validation.md:
``python -m validation markdown RESULTS_FOLDER``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = [
    "HEAD_TO_HEAD",
    "head_to_head",
    "markdown_tables",
    "panel_table",
    "read_summaries",
    "side_by_side",
]


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v).replace("|", "\\|")  # a bare | would end the table cell


def _table(df, columns: dict[str, str], digits: int = 3) -> str:
    head = "| " + " | ".join(columns.values()) + " |"
    rule = "|" + "---|" * len(columns)
    rows = [
        "| " + " | ".join(_fmt(row[c], digits) for c in columns) + " |" for _, row in df.iterrows()
    ]
    return "\n".join([head, rule, *rows])


def panel_table() -> str:
    """The panel: name, quantity, dimensions, true value (nats), source of the value."""
    import pandas as pd

    from validation.panel import PANEL

    df = pd.DataFrame(
        [
            {
                "case": f"`{c.name}`",
                "what": c.description,
                "dims": f"{c.dx}+{c.dy}" + ("+1 (z)" if c.quantity == "cmi" else ""),
                "truth": c.truth_nats,
                "source": c.source,
            }
            for c in PANEL
        ]
    )
    cols = {"case": "case", "what": "data", "dims": "dim x + y", "truth": "truth (nats)"}
    return _table(df, cols | {"source": "source of the value"}, digits=4)


def read_summaries(*folders: str | Path):
    """The summaries of one or more runs side by side: runs with the same seed drew the same
    data sets (seeded by seed, case, n and replicate), so a peer run separately is compared on
    the data of the main run. A method in several folders is taken from the first."""
    import json

    import pandas as pd

    if not folders:
        raise ValueError("markdown: give at least one run folder.")
    seeds = {}
    parts = []
    for f in folders:
        meta = Path(f) / "meta.json"
        seeds[str(f)] = json.loads(meta.read_text()).get("seed") if meta.exists() else None
        part = pd.read_csv(Path(f) / "summary.csv")
        if parts:
            seen = set(pd.concat(parts)["method"])
            part = part[~part["method"].isin(seen)]
        parts.append(part)
    if len({s for s in seeds.values()}) > 1:
        raise ValueError(
            f"markdown: the runs used different seeds ({seeds}), so different data sets; "
            "compare runs made with the same --seed."
        )
    return pd.concat(parts, ignore_index=True)


def side_by_side(summary, n: int) -> str:
    """One row per case, one column per method, at sample size ``n``: the bias (nats) and, for
    a method with draws, the coverage of its 90% HDI in brackets; empty where a method does not
    run. The bayesmi methods first, then the peers, in the order of the run."""
    from bayesmi.estimators import REGISTRY
    from validation.methods import PEERS
    from validation.panel import panel_order

    at = summary[(summary["n"] == n) & (summary["reps"] > 0)]
    first = ("gmm", "ksg", "bins", "bayes_gmm", "neural", "latent")
    order = {m: i for i, m in enumerate(dict.fromkeys([*first, *REGISTRY, *PEERS]))}
    methods = sorted(dict.fromkeys(at["method"]), key=lambda m: order.get(m, len(order)))
    cases = panel_order(at["case"])
    head = "| case | truth | " + " | ".join(methods) + " |"
    rows = [head, "|" + "---|" * (len(methods) + 2)]
    cell = {(r["case"], r["method"]): r for _, r in at.iterrows()}
    for c in cases:
        truth = at.loc[at["case"] == c, "truth_nats"].iloc[0]
        out = []
        for m in methods:
            r = cell.get((c, m))
            if r is None or np.isnan(r["bias_nats"]):
                out.append("")
                continue
            cov = "" if np.isnan(r["cover90"]) else f" [{r['cover90']:.2f}]"
            out.append(f"{r['bias_nats']:+.3f}{cov}")
        rows.append(f"| {c} | {truth:.3f} | " + " | ".join(out) + " |")
    return "\n".join(rows)


#: bayesmi's method and the peers that estimate the same thing the same way.
HEAD_TO_HEAD = (
    ("gmm", "gmmmi"),
    ("ksg", "sklearn"),
    ("ksg", "bmi_ksg"),
    ("neural", "torchmist_infonce"),
    ("neural", "bmi_infonce"),
    ("latent", "latentmi"),
)


def head_to_head(results, pairs=HEAD_TO_HEAD):
    """Each bayesmi method against a peer on exactly the data sets both ran without error:
    how many, mean absolute error and RMSE (nats) of each, the coverage of each 90% HDI on the
    data sets with MI > 0 (where there are draws), median seconds of each and their ratio
    (peer / bayesmi)."""
    import pandas as pd

    ok = results[results["error"].astype(object).fillna("") == ""]
    key = ["case", "n", "rep"]
    rows = []
    for a, b in pairs:
        ra, rb = ok[ok["method"] == a], ok[ok["method"] == b]
        both = ra.merge(rb, on=key, suffixes=("_a", "_b"))
        if both.empty:
            continue
        row = {"bayesmi": a, "peer": b, "data_sets": len(both)}
        for side in ("a", "b"):
            err = both[f"estimate_{side}"] - both[f"truth_nats_{side}"]
            row[f"mae_{side}"] = float(err.abs().mean())
            row[f"rmse_{side}"] = float(np.sqrt((err**2).mean()))
            # Coverage where MI > 0 (at 0 a non-negative interval cannot reach the truth).
            pos = both[both[f"truth_nats_{side}"] > 0]
            lo, hi = pos.get(f"hdi90_lo_{side}"), pos.get(f"hdi90_hi_{side}")
            has = lo is not None and lo.notna().any()
            truth = pos[f"truth_nats_{side}"]
            row[f"cover90_{side}"] = (
                float(((lo <= truth) & (truth <= hi)).mean()) if has else np.nan
            )
            row[f"seconds_{side}"] = float(both[f"seconds_{side}"].median())
        row["time_ratio"] = row["seconds_b"] / row["seconds_a"]
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_tables(*folders: str | Path) -> str:
    """Pooled coverage per method, then per case and n: bias, RMSE, coverage, time; for one
    run, or several with the same seed side by side (``read_summaries``)."""
    from validation.run import pooled_coverage

    summary = read_summaries(*folders)
    pooled = pooled_coverage(summary)
    pooled["interval"] = ["yes" if v else "point estimate: no coverage" for v in pooled["interval"]]
    for c in ("cover50", "cover90", "cover95", "cover90_eti", "cover90_truth_above_0",
              "lower95_held"):  # fmt: skip
        pooled[c] = [_fmt(v, 2) for v in pooled[c]]
    out = ["### Pooled over the panel", ""]
    out.append(
        _table(
            pooled,
            {
                "method": "method",
                "cells": "cases x n",
                "data_sets": "data sets",
                "interval": "interval",
                "cover50": "50% HDI",
                "cover90": "90% HDI",
                "cover95": "95% HDI",
                "cover90_eti": "90% equal-tailed",
                "cover90_truth_above_0": "90% HDI, cases with MI > 0",
                "lower95_held": "95% lower bound held",
                "worst90": "worst 90% cell",
                "mean_abs_bias_nats": "mean abs. bias (nats)",
                "mean_rmse_nats": "mean RMSE (nats)",
                "median_seconds": "median s",
            },
        )
    )
    results_file = Path(folders[0]) / "results.csv"
    if results_file.exists():
        import pandas as pd

        h2h = head_to_head(pd.read_csv(results_file))
        if len(h2h):
            out += [
                "",
                "### Head to head: on the data sets both ran",
                "",
                "Mean absolute error and RMSE in nats; 90% HDI coverage (data sets with MI > 0) "
                "where the method gives draws; median seconds a data set, and the peer's over "
                "bayesmi's.",
                "",
                _table(
                    h2h,
                    {
                        "bayesmi": "bayesmi",
                        "peer": "peer",
                        "data_sets": "data sets",
                        "mae_a": "abs. error",
                        "mae_b": "peer abs. error",
                        "rmse_a": "RMSE",
                        "rmse_b": "peer RMSE",
                        "cover90_a": "90% HDI",
                        "cover90_b": "peer 90% HDI",
                        "seconds_a": "s",
                        "seconds_b": "peer s",
                        "time_ratio": "peer / bayesmi time",
                    },
                ),
            ]
    for n in sorted(summary["n"].unique()):
        out += [
            "",
            f"### Side by side at n = {n}",
            "",
            "Bias in nats, with the 90% HDI's coverage in brackets for a method with draws; "
            "empty: the method does not run there.",
            "",
            side_by_side(summary, int(n)),
        ]
    out += [
        "",
        "### Per case and n",
        "",
        "(– in the coverage columns: a point estimate, scored by bias and RMSE only.)",
        "",
    ]
    summary = summary.copy()
    summary["cover90"] = [
        _fmt(c, 2) + ("" if np.isnan(s) else f" ± {s:.2f}")
        for c, s in zip(summary["cover90"], summary["cover90_se"], strict=True)
    ]
    for c in ("cover50", "cover95"):
        summary[c] = [_fmt(v, 2) for v in summary[c]]
    summary["sd_ratio"] = summary["mean_sd_nats"] / summary["sd_across_nats"]
    summary["warned_frac"] = [
        "" if f == 0 else f"{f:.0%} {w if isinstance(w, str) else ''}"
        for f, w in zip(summary["warned_frac"], summary["warnings"].astype(object), strict=True)
    ]
    cols = {
        "case": "case",
        "n": "n",
        "truth_nats": "truth",
        "method": "method",
        "reps": "data sets",
        "mean_nats": "mean",
        "bias_nats": "bias",
        "rmse_nats": "RMSE",
        "sd_ratio": "own sd / sd across",  # 1 where the method's spread is honest
        "cover50": "50%",
        "cover90": "90%",
        "cover95": "95%",
        "median_seconds": "s",
        "warned_frac": "warned",
    }
    order = {c: i for i, c in enumerate(dict.fromkeys(summary["case"]))}
    summary["_o"] = summary["case"].map(order)
    summary = summary.sort_values(["_o", "n", "method"])
    out.append(_table(summary, cols))
    return "\n".join(out)

"""Self-contained HTML reports of MI results, with machine-readable companions.

``report(results, "report.html")`` writes
- ``report.html``: one page, figures embedded (no network needed to view it): the ArviZ summary
  of each result, its posterior plot, trace and rank plots where the draws are MCMC chains, the
  cross-validation curve and contours of a mixture, training curves of neural and latent
  methods, a forest plot comparing results of one quantity, and the
  provenance of each (versions, method, every hyperparameter, seed, n, dimensions, data hash),
  the call that produced the page, the date, and the references of the methods shown;
- ``report_<name>.nc``: each result as netCDF (``bm.load`` reads it back);
- ``report_summary.csv``: the summaries in one table.

Given a :class:`~bayesmi.layers.LayerMI` (``bm.layer_mi``, ``bm.LayerTracker``), the page has a
"Layers" section too (the tidy table, each layer's MI with its interval, the curves over the
epochs and the information plane where tracked), ``report_layers.nc`` holds the whole result,
and every (layer, target) of the last epoch is one result below it.

The files are written as one set (:func:`bayesmi._io.atomic_write_set`): all to temporary names,
then renamed into place with the page last, through a journal that the next write (or
:func:`verify`) completes if a kill interrupted the renames; so a reader sees all old or all new
files, never a page with another run's companions. The page records the SHA-256 of each
companion; :func:`verify` checks them. The same results give byte-identical netCDF and CSV files and
the same page, the date aside.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from bayesmi._io import atomic_write_set, clean_orphans, recover
from bayesmi.result import QUANTITIES, MIResult

__all__ = ["report", "verify"]


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _named(results) -> dict[str, MIResult]:
    if isinstance(results, MIResult):
        return {"result": results}
    if isinstance(results, Mapping):
        out = dict(results)
    elif isinstance(results, Sequence):
        out = {f"result_{i + 1}": r for i, r in enumerate(results)}
    else:
        raise TypeError("report: results must be an MIResult, a list of them or a dict of them.")
    for name, r in out.items():
        if not isinstance(r, MIResult):
            raise TypeError(f"report: {name!r} is a {type(r).__name__}, not an MIResult.")
        if not str(name).replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"report: result names must be letters, digits, - and _; got {name!r}."
            )
    if not out:
        raise ValueError("report: no results given.")
    return out


def _figures(r: MIResult) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bayesmi import arviz_io

    figs = []
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    r.plot(ax=ax)
    figs.append(("distribution of the draws", _png(fig)))
    if r.draws_nats.shape[0] > 1:
        trace, rank = arviz_io.trace_and_rank(r)
        figs.append(("trace plot", _png(trace)))
        figs.append(("rank plot", _png(rank)))
    from bayesmi.mixture import GaussianMixtureModel
    from bayesmi.plotting import plot_cv_curve, plot_mixture, plot_training

    if isinstance(r.model, GaussianMixtureModel) and r.model.dim >= 2:
        fig, ax = plt.subplots(figsize=(5, 4.2))
        plot_mixture(r, ax=ax)
        figs.append(("the fitted mixture (full data), first x and first y coordinate", _png(fig)))
    if r.cv_curve is not None:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        plot_cv_curve(r, ax=ax)
        figs.append(("cross-validation of the component count", _png(fig)))
    if r.training_log is not None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        plot_training(r, ax=ax)
        figs.append(("training curves", _png(fig)))
    return figs


def _layer_section(layers, hdi_prob: float) -> list[str]:
    """HTML of a LayerMI: its table and figures."""
    import matplotlib.pyplot as plt

    table = layers.to_dataframe(hdi_prob)
    parts = [
        "<h2>Layers</h2>",
        f"<p>{html.escape(repr(layers))}. Rows with bound 'lower' were reduced by PCA: lower "
        "bounds (docs/layers.md).</p>",
        table.to_html(index=False, float_format=lambda v: f"{v:.4g}"),
    ]
    for target in layers.targets:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        layers.plot(hdi_prob, target=target, ax=ax)
        parts += [f"<h3>I(T; {html.escape(target)})</h3>", f"<img src='data:image/png;base64,"
                  f"{_png(fig)}'>"]  # fmt: skip
        if layers.tracked:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            layers.plot_epochs(target, hdi_prob, ax=ax)
            parts.append(f"<img src='data:image/png;base64,{_png(fig)}'>")
    if layers.tracked and "input" in layers.targets and len(layers.targets) == 2:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        layers.plot_information_plane("input", hdi_prob=hdi_prob, ax=ax)
        parts += ["<h3>Information plane</h3>", f"<img src='data:image/png;base64,{_png(fig)}'>"]
    return parts


def _citations(named: dict[str, MIResult]) -> list[str]:
    from bayesmi.estimators import REGISTRY

    refs: list[str] = []
    for r in named.values():
        cls = REGISTRY.get(r.method)
        for ref in cls.references if cls is not None else ():
            if ref not in refs:
                refs.append(ref)
    if not refs:
        return []
    items = "".join(f"<li>{html.escape(ref)}</li>" for ref in refs)
    return ["<h2>References</h2>", f"<p>The methods shown implement:</p><ol>{items}</ol>"]


def report(
    results,
    path: str | os.PathLike = "report.html",
    *,
    title: str = "bayesmi report",
    call: str | None = None,
    hdi_prob: float = 0.9,
    comparison=None,
) -> dict[str, str]:
    """Write an HTML report of one or several results, and its companions.

    Parameters
    ----------
    results : MIResult, list of MIResult, dict of name to MIResult, or LayerMI
        A :class:`~bayesmi.layers.LayerMI` adds a "Layers" section; its (layer, target)
        estimates at the last epoch are the results.
    path : path of the HTML file; companions are written beside it.
    title : str
    call : str, optional
        The command or call that produced the results, shown on the page.
    hdi_prob : float
    comparison : Comparison, optional
        Set by :meth:`bayesmi.Comparison.report`: the page then says whether the methods agree
        and, where not, the likely causes.

    Returns
    -------
    dict with the paths written: "html", "summary", and one "nc:<name>" per result.
    """
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from bayesmi import arviz_io
    from bayesmi.layers import LayerMI

    layers = results if isinstance(results, LayerMI) else None
    named = _named(layers.results() if layers is not None else results)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover(path)  # a set a kill left half renamed is finished before it is replaced
    clean_orphans(path, companions=True)  # of results this report may no longer hold too
    stem = path.with_suffix("")
    written: dict[str, str] = {}
    files: list[tuple[Path, object]] = []
    if layers is not None:
        layers_nc = Path(f"{stem}_layers.nc")
        files.append((layers_nc, lambda tmp: layers.save(tmp)))
        written["nc:layers"] = str(layers_nc)
    tables = []
    for name, r in named.items():
        nc = Path(f"{stem}_{name}.nc")
        files.append((nc, _netcdf_writer(r)))
        written[f"nc:{name}"] = str(nc)
        t = r.summary(hdi_prob=hdi_prob)
        t.index = [name]
        t.insert(0, "quantity", QUANTITIES[r.quantity])
        t.insert(1, "method", r.method)
        tables.append(t)
    summary = pd.concat(tables)
    csv = Path(f"{stem}_summary.csv")
    files.append((csv, summary.to_csv(float_format="%.6g").encode()))
    written["summary"] = str(csv)
    hashes: dict[str, str] = {}  # filled by atomic_write_set as the companions are written

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;}"
        "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;"
        "padding:3px 6px}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Written {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
        + (f"; produced by <code>{html.escape(call)}</code>" if call else "")
        + ".</p>",
        "<h2>Summary</h2>",
        summary.to_html(float_format=lambda v: f"{v:.4g}"),
        f"<p>Intervals are {int(hdi_prob * 100)}% highest-density intervals of the draws. "
        "What each kind of draw captures: bootstrap and subsample draws, sampling variability; "
        "posterior draws, model uncertainty; none of them the estimator's bias.</p>",
    ]
    if layers is not None:
        parts += _layer_section(layers, hdi_prob)
    by_quantity: dict[str, dict[str, MIResult]] = {}
    for name, r in named.items():
        by_quantity.setdefault(r.quantity, {})[name] = r
    if comparison is not None:
        verdict = comparison.verdict()
        parts += [
            "<h2>Do the methods agree?</h2>",
            "<ul>" + "".join(f"<li>{html.escape(v.strip())}</li>" for v in verdict) + "</ul>",
        ]
    for quantity, group in by_quantity.items():
        if len(group) > 1:
            ax = arviz_io.forest(group, hdi_prob=hdi_prob)
            parts += [
                f"<h2>Comparison: {html.escape(QUANTITIES[quantity])}</h2>",
                f"<img src='data:image/png;base64,{_png(ax.figure)}'>",
            ]
    for name, r in named.items():
        parts.append(f"<h2>{html.escape(name)}: {html.escape(repr(r))}</h2>")
        for caption, png in _figures(r):
            parts.append(f"<h3>{html.escape(caption)}</h3>")
            parts.append(f"<img src='data:image/png;base64,{png}'>")
        prov = json.dumps(r.provenance, indent=1, sort_keys=True, default=str)
        parts += [
            "<h3>provenance</h3>",
            f"<pre>{html.escape(prov)}</pre>",
            f"<p>Results file: <code>{html.escape(Path(written['nc:' + name]).name)}</code></p>",
        ]
    parts += _citations(named)

    def page(tmp: str) -> None:
        rows = "".join(
            f"<tr><td><code>{html.escape(n)}</code></td><td><code>{h}</code></td></tr>"
            for n, h in hashes.items()
        )
        tail = [
            "<h2>Files</h2>",
            "<p>Written with this page, as one set (SHA-256; <code>bayesmi.report.verify</code> "
            "checks them):</p>",
            f"<table><tr><th>file</th><th>sha256</th></tr>{rows}</table>",
            f"<script type='application/json' id='bayesmi-companions'>{json.dumps(hashes)}"
            "</script>",
            "</body></html>",
        ]
        Path(tmp).write_bytes("\n".join(parts + tail).encode())

    atomic_write_set([*files, (path, page)], hashes)
    written["html"] = str(path)
    return written


def _netcdf_writer(r: MIResult):
    from bayesmi import arviz_io

    idata = arviz_io.to_inferencedata(r)
    return lambda tmp: idata.to_netcdf(tmp)


def verify(path: str | os.PathLike) -> list[str]:
    """Check a report's page against its companions: the problems found (a companion missing or
    not the one the page was written with), or an empty list when the set is whole. A set that a
    kill left half renamed is finished first."""
    path = Path(path)
    recover(path)
    text = path.read_text()
    start = text.find("id='bayesmi-companions'>")
    if start < 0:
        return [f"{path.name}: no record of its companion files (not a bayesmi report?)"]
    start = text.index(">", start) + 1
    hashes = json.loads(text[start : text.index("</script>", start)])
    import hashlib

    problems = []
    for name, digest in hashes.items():
        companion = path.with_name(name)
        if not companion.exists():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(companion.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: not the file written with {path.name}")
    return problems

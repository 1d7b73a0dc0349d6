"""Several methods on the same data: their results together, whether they agree, and why not.

``compare(x, y, methods=["gmm", "ksg", "bins"])`` runs each method with the same seed, puts the
results side by side (a table and a forest plot) and checks whether their intervals overlap.
Where they do not, it names the known difficulties that the data show, each tied to the methods
it affects:

- dimension: k-NN estimates are biased low as the joint dimension grows, joint bins go empty,
  and a mixture needs many components (Kraskov et al. 2004; Gao et al. 2015; Czyż et al. 2023);
- heavy tails: a Gaussian mixture needs many components to follow heavy tails, and binning by
  equal width wastes its bins on the tails (Czyż et al. 2023 show both failing on Student-t);
- high MI: k-NN estimators need exponentially many samples in the MI (Gao, Ver Steeg &
  Galstyan 2015), binning cannot exceed log of its bin count, and contrastive critics cannot
  exceed log of the batch size (Poole et al. 2019);
- too few samples: every estimator's bias grows as n shrinks, and the interval of a resampling
  method says nothing of the bias.

A lower-bound estimate (``result.bound == "lower"``) disagrees with another only if its
interval lies wholly above the other's: lying below is what a lower bound may do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesmi.estimators import get_estimator
from bayesmi.result import QUANTITIES, MIResult
from bayesmi.validation import check_paired

__all__ = ["Comparison", "compare"]

#: Above this joint dimension, k-NN and binning estimates are known to be biased low.
HIGH_DIMENSION = 6
#: Above this excess kurtosis of a column, the data count as heavy-tailed.
HEAVY_TAILS = 6.0
#: Above this many nats, k-NN and binning estimates need very many samples.
HIGH_MI_NATS = 2.0
#: Below this many samples per joint dimension, every estimate is rough.
FEW_SAMPLES_PER_DIM = 100


@dataclass
class Comparison:
    """The results of several methods on the same data, and whether they agree.

    Attributes
    ----------
    results : dict of method name to MIResult
    agree : bool
        True when every pair of intervals overlaps (see the module docstring for bounds).
    disagreements : list of (str, str)
        The pairs of methods whose intervals do not overlap.
    causes : list of str
        The known difficulties the data show that can explain a disagreement, each naming the
        methods it affects; empty when the methods agree.
    hdi_prob : float
    """

    results: dict[str, MIResult]
    agree: bool
    disagreements: list[tuple[str, str]]
    causes: list[str]
    hdi_prob: float = 0.9
    data_facts: dict[str, Any] = field(default_factory=dict)

    def table(self):
        """One row per method: mean, sd, HDI, kind, bound, in the results' units."""
        import pandas as pd

        rows = []
        for name, r in self.results.items():
            lo, hi = r.hdi(self.hdi_prob)
            rows.append(
                {
                    "method": name,
                    "mean": r.mean,
                    "sd": r.sd,
                    f"hdi_{self.hdi_prob:g}_low": lo,
                    f"hdi_{self.hdi_prob:g}_high": hi,
                    "units": r.units,
                    "kind": r.kind,
                    "bound": r.bound or "",
                }
            )
        return pd.DataFrame(rows).set_index("method")

    def plot(self, ax=None):
        """Forest plot of the methods' draws (ArviZ), units on the axis."""
        from bayesmi import arviz_io

        return arviz_io.forest(self.results, hdi_prob=self.hdi_prob, ax=ax)

    def cite(self) -> str:
        """The references of every method compared."""
        return "\n\n".join(get_estimator(r.method).cite() for r in self.results.values())

    def report(self, path="comparison.html", **kwargs) -> dict[str, str]:
        """An HTML report of the comparison (see :func:`bayesmi.report`)."""
        from bayesmi.report import report

        kwargs.setdefault("title", "bayesmi comparison")
        return report(self.results, path, comparison=self, **kwargs)

    def to(self, units: str) -> Comparison:
        """The same comparison shown in other units."""
        return Comparison(
            {k: r.to(units) for k, r in self.results.items()},
            self.agree,
            self.disagreements,
            self.causes,
            self.hdi_prob,
            self.data_facts,
        )

    def __repr__(self) -> str:
        quantity = QUANTITIES[next(iter(self.results.values())).quantity]
        lines = [f"{quantity} by {len(self.results)} methods:"]
        width = max(len(k) for k in self.results)
        lines += [f"  {k:<{width}}  {r}" for k, r in self.results.items()]
        if self.agree:
            lines.append(
                f"The methods agree: every pair of {self.hdi_prob:.0%} intervals overlaps."
            )
        else:
            pairs = ", ".join(f"{a} vs {b}" for a, b in self.disagreements)
            lines.append(f"The methods DISAGREE ({pairs}).")
            lines += [f"  likely: {c}" for c in self.causes] or [
                "  none of the known difficulties (dimension, heavy tails, high MI, few "
                "samples) shows in the data: look at each method's settings."
            ]
        below = [
            f"{a} < {b}"
            for a, ra in self.results.items()
            for b, rb in self.results.items()
            if ra.bound == "lower" and rb.bound is None
            and ra.hdi(self.hdi_prob)[1] < rb.hdi(self.hdi_prob)[0]
        ]  # fmt: skip
        if below:
            lines.append(
                f"Lower bounds wholly below an estimate ({', '.join(below)}): no conflict, but "
                "the bound loses much of the MI here."
            )
        return "\n".join(lines)


def _overlap(a: MIResult, b: MIResult, prob: float) -> bool:
    alo, ahi = a.hdi(prob)
    blo, bhi = b.hdi(prob)
    if a.bound == "lower" and b.bound == "lower":
        return True  # two lower bounds are never in conflict
    if a.bound == "lower":
        return alo <= bhi
    if b.bound == "lower":
        return blo <= ahi
    return alo <= bhi and blo <= ahi


def _excess_kurtosis(u: np.ndarray) -> np.ndarray:
    c = u - u.mean(0)
    return (c**4).mean(0) / np.maximum((c**2).mean(0) ** 2, 1e-300) - 3.0


def _causes(results: dict[str, MIResult], x, y, z, disagreeing: set[str]) -> tuple[list, dict]:
    n, dim = len(x), x.shape[1] + (y.shape[1] if y.ndim == 2 else 1)
    if z is not None:
        dim += z.shape[1]
    cols = [x] + ([y] if y.ndim == 2 else []) + ([z] if z is not None else [])
    kurt = float(np.max(_excess_kurtosis(np.hstack(cols))))
    top = max(r.to("nats").quantile(0.5) for r in results.values())
    facts = {"n": n, "joint_dimension": dim, "max_excess_kurtosis": kurt, "largest_mi_nats": top}
    names = sorted(disagreeing)

    def among(*methods: str) -> str:
        hit = [m for m in names if results[m].method in methods]
        return ", ".join(hit) if hit else "none of the methods that disagree"

    causes = []
    if dim > HIGH_DIMENSION:
        causes.append(
            f"dimension: the joint dimension is {dim} (> {HIGH_DIMENSION}); k-NN and binning "
            f"estimates are biased low there and mixtures need many components "
            f"(affects: {among('ksg', 'bins', 'gmm', 'bayes_gmm')})."
        )
    if kurt > HEAVY_TAILS:
        causes.append(
            f"heavy tails: a column has excess kurtosis {kurt:.1f} (> {HEAVY_TAILS:g}); Gaussian "
            f"mixtures need many components to follow heavy tails and equal-width bins waste "
            f"themselves on them (affects: {among('gmm', 'bayes_gmm', 'bins')})."
        )
    if top > HIGH_MI_NATS:
        ceilings = []
        for m in names:
            r = results[m]
            if r.ceiling_nats is not None:
                ceilings.append(f"{m} cannot exceed {r.ceiling_nats:.2f}")
        causes.append(
            f"high MI: the largest estimate is {top:.2f} nats (> {HIGH_MI_NATS:g}); k-NN "
            f"estimates need exponentially many samples in the MI, binning cannot exceed log "
            f"of its bin count, contrastive critics log of their batch size"
            + (f" ({'; '.join(ceilings)})" if ceilings else "")
            + f" (affects: {among('ksg', 'bins', 'neural', 'latent')})."
        )
    if n < FEW_SAMPLES_PER_DIM * dim:
        causes.append(
            f"too few samples: n = {n} for a joint dimension of {dim} (fewer than "
            f"{FEW_SAMPLES_PER_DIM} per dimension); biases of every method grow as n shrinks, "
            "and resampling intervals do not include the bias (affects: all)."
        )
    return causes, facts


def compare(
    x,
    y,
    z=None,
    *,
    methods=("gmm", "ksg", "bins"),
    seed: int | None = 0,
    n_jobs: int = 1,
    progress: bool = True,
    units: str = "nats",
    hdi_prob: float = 0.9,
    params: dict[str, dict[str, Any]] | None = None,
) -> Comparison:
    """Run several methods on the same data and say whether they agree.

    Parameters
    ----------
    x, y, z : array-like
        As for :func:`bayesmi.estimate` (``z`` for conditional MI).
    methods : sequence of str
        Registered methods (``bm.methods()``); each runs with the same seed.
    seed, n_jobs, progress, units
        As for :func:`bayesmi.estimate`.
    hdi_prob : float
        The interval that decides agreement (default 0.9).
    params : dict of method name to dict, optional
        Hyperparameters per method, e.g. ``{"gmm": {"n_draws": 200}}``.

    Returns
    -------
    Comparison
        ``.results``, ``.agree``, ``.disagreements``, ``.causes``, ``.table()``, ``.plot()``,
        ``.report()``, ``.cite()``.
    """
    from bayesmi.api import estimate

    methods = [methods] if isinstance(methods, str) else list(methods)
    if len(methods) < 2:
        raise ValueError(f"compare: methods must name at least two methods, got {methods!r}.")
    if len(set(methods)) != len(methods):
        raise ValueError(f"compare: methods has repeats: {methods!r}.")
    for m in methods:
        get_estimator(m)
    params = dict(params or {})
    unknown = sorted(set(params) - set(methods))
    if unknown:
        raise ValueError(f"compare: params names methods not compared: {unknown}.")
    if not 0 < hdi_prob < 1:
        raise ValueError(f"compare: hdi_prob must lie in (0, 1), got {hdi_prob}.")
    xc, yc, zc = check_paired(x, y, z, caller="compare")
    results = {
        m: estimate(
            x, y, z, method=m, seed=seed, n_jobs=n_jobs, progress=progress, **params.get(m, {})
        )
        for m in methods
    }
    disagreements = [
        (a, b)
        for i, a in enumerate(methods)
        for b in methods[i + 1 :]
        if not _overlap(results[a], results[b], hdi_prob)
    ]
    disagreeing = {m for pair in disagreements for m in pair}
    causes, facts = _causes(results, xc, yc, zc, disagreeing)
    comparison = Comparison(
        results=results,
        agree=not disagreements,
        disagreements=disagreements,
        causes=causes if disagreements else [],
        hdi_prob=hdi_prob,
        data_facts=facts,
    )
    return comparison.to(units)

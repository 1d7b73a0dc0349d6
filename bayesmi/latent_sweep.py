"""A sweep of latent MI over latent sizes and subsample sizes: has the estimate stabilised?

Latent MI is a lower bound (data-processing inequality): a latent too small to hold what x and
y share reads low, one too large for the sample size gives KSG too many dimensions. latentmi's
documentation tells users to sweep the latent size and take the largest estimate; a sweep over
subsample sizes shows whether more data would still raise it. This module runs both and says
whether the last two steps of each changed the estimate by more than their spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayesmi.estimators.latent import LatentMI
from bayesmi.resampling import spawn_seeds
from bayesmi.result import MIResult, convert_units
from bayesmi.validation import check_array, check_positive_int

__all__ = ["LatentSweep", "latent_sweep"]


@dataclass
class LatentSweep:
    """The results of :func:`latent_sweep`, keyed by (latent_dim, n_samples)."""

    results: dict[tuple[int, int], MIResult] = field(default_factory=dict)

    @property
    def latent_dims(self) -> list[int]:
        return sorted({d for d, _ in self.results})

    @property
    def sample_sizes(self) -> list[int]:
        return sorted({m for _, m in self.results})

    def table(self, units: str = "nats", hdi_prob: float = 0.9):
        """One row per setting, by sample size then latent size: latent_dim, n_samples, mean,
        sd, HDI and the 95% lower readout ("MI >= a with probability 0.95"), in ``units``
        (named in the column headers)."""
        import pandas as pd

        rows = []
        for (d, m), r in sorted(self.results.items(), key=lambda kv: kv[0][::-1]):
            r = r.to(units)
            lo, hi = r.hdi(hdi_prob)
            rows.append(
                {
                    "latent_dim": d,
                    "n_samples": m,
                    f"mean_{units}": r.mean,
                    f"sd_{units}": r.sd,
                    f"hdi_low_{units}": lo,
                    f"hdi_high_{units}": hi,
                    f"at_least_95_{units}": r.at_least(0.95),
                }
            )
        return pd.DataFrame(rows)

    def stabilised(self, n_sd: float = 2.0) -> dict[str, bool | None]:
        """Whether the last step of each sweep, at the largest value of the other, changed the
        mean by no more than ``n_sd`` times the combined sd of the two results (None where the
        sweep has a single value)."""

        def flat(a: MIResult, b: MIResult) -> bool:
            return bool(abs(b.mean - a.mean) <= n_sd * np.hypot(a.sd, b.sd))

        out: dict[str, bool | None] = {"latent_dim": None, "n_samples": None}
        dims, sizes = self.latent_dims, self.sample_sizes
        if len(dims) > 1:
            out["latent_dim"] = flat(
                self.results[(dims[-2], sizes[-1])], self.results[(dims[-1], sizes[-1])]
            )
        if len(sizes) > 1:
            best_dim = max(dims, key=lambda d: self.results[(d, sizes[-1])].mean)
            out["n_samples"] = flat(
                self.results[(best_dim, sizes[-2])], self.results[(best_dim, sizes[-1])]
            )
        return out

    def best(self) -> MIResult:
        """The result with the largest mean at the largest sample size (latentmi's advice: the
        estimate is a lower bound, so take the largest). A maximum over noisy estimates is
        biased up by about their sd; read it beside :meth:`stabilised`."""
        m = self.sample_sizes[-1]
        return max((self.results[(d, m)] for d in self.latent_dims), key=lambda r: r.mean)

    def plot(self, units: str = "nats", hdi_prob: float = 0.9, ax=None, truth_nats=None):
        """Mean and HDI against the latent size, one line per subsample size; the y axis in
        ``units``. ``truth_nats`` draws a known true value. Returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 3.8))
        dims = self.latent_dims
        for j, m in enumerate(self.sample_sizes):
            rs = [self.results[(d, m)].to(units) for d in dims if (d, m) in self.results]
            ds = [d for d in dims if (d, m) in self.results]
            means = np.array([r.mean for r in rs])
            hdis = np.array([r.hdi(hdi_prob) for r in rs])
            shift = 1 + 0.03 * (j - (len(self.sample_sizes) - 1) / 2)  # keep bars apart
            ax.errorbar(
                np.array(ds) * shift,
                means,
                yerr=[means - hdis[:, 0], hdis[:, 1] - means],
                marker="o",
                capsize=3,
                label=f"n = {m}",
            )
        if truth_nats is not None:
            ax.axhline(float(convert_units(truth_nats, units)), color="0.3", ls="--", label="truth")
        ax.set_xscale("log", base=2)
        ax.set_xticks(dims)
        ax.set_xticklabels([str(d) for d in dims])
        ax.set_xlabel("latent size (latent_dim)")
        ax.set_ylabel(f"latent MI ({units}), mean and {int(hdi_prob * 100)}% HDI")
        ax.set_title("latent MI sweep: a lower bound; flat = stabilised")
        ax.legend(loc="best", fontsize="small")
        return ax


def latent_sweep(
    x,
    y,
    latent_dims: Sequence[int] = (2, 4, 8, 16),
    n_samples: Sequence[int] | None = None,
    *,
    seed: int | None = None,
    progress: bool = True,
    **params: Any,
) -> LatentSweep:
    """Latent MI over latent sizes (and subsample sizes), to check that the estimate has
    stabilised.

    Parameters
    ----------
    x, y : array-like, shapes (n_samples, dx), (n_samples, dy)
    latent_dims : sequence of int
        Latent sizes to try.
    n_samples : sequence of int, optional
        Subsample sizes (each at most n); None uses all the data. Subsamples are nested (the
        first m rows of one seeded permutation), so a change with m is not a change of rows.
    seed : int or None
        One seed for the whole sweep; each setting gets its own child seed.
    progress : bool
        A bar over the settings (each setting's own bars are off).
    **params
        Any other :class:`~bayesmi.LatentMI` parameter (``n_repeats``, ``max_epochs``, ...).

    Returns
    -------
    LatentSweep
        ``.table()`` (pandas), ``.plot()``, ``.stabilised()``, ``.best()``, ``.results``.

    Examples
    --------
    >>> s = bm.latent_sweep(x, y, latent_dims=[2, 4, 8, 16], seed=0)
    >>> s.table(units="bits"); s.plot(); s.stabilised()
    """
    from tqdm.auto import tqdm

    caller = "latent_sweep"
    x = check_array(x, "x", caller=caller, allow_constant=True)
    y = check_array(y, "y", caller=caller, allow_constant=True)
    if len(x) != len(y):
        raise ValueError(
            f"{caller}: x and y must have the same number of rows; got x with {len(x)} and y "
            f"with {len(y)}."
        )
    n = len(x)
    dims = list(latent_dims) if np.iterable(latent_dims) else []
    if not dims:
        raise ValueError(
            f"{caller}: latent_dims must be a non-empty list of sizes, got {latent_dims!r}."
        )
    for d in dims:
        check_positive_int(d, "latent_dims", caller=caller)
    sizes = [n] if n_samples is None else list(n_samples)
    if not sizes:
        raise ValueError(f"{caller}: n_samples must be a non-empty list of sizes, or None.")
    for m in sizes:
        check_positive_int(m, "n_samples", caller=caller, minimum=2)
        if m > n:
            raise ValueError(f"{caller}: n_samples must be at most n = {n}, got {m}.")
    if "latent_dim" in params:
        raise TypeError(f"{caller}: give latent sizes as latent_dims, not latent_dim.")
    root = spawn_seeds(seed, 2)
    order = np.random.default_rng(root[0]).permutation(n)
    settings = [(d, m) for m in sorted(set(sizes)) for d in sorted(set(dims))]
    seeds = spawn_seeds(root[1], len(settings))
    out = LatentSweep()
    for (d, m), s in tqdm(
        list(zip(settings, seeds, strict=True)), desc="latent sweep", disable=not progress
    ):
        rows = order[:m]
        est = LatentMI(d, seed=int(s.generate_state(1)[0]), progress=False, **params)
        out.results[(d, m)] = est.estimate(x[rows], y[rows])
    return out

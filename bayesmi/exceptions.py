"""The library's own warning classes, so users can filter or escalate them.

A warning says what is wrong and what to do; the measurements behind it (how often an interval
held the truth in that regime) live in the docs page it names, :data:`WARNINGS_PAGE`, not in the
message, so that the next validation run updates one table instead of the code.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: The docs page whose tables hold the measured coverage behind every ``CoverageWarning``.
WARNINGS_PAGE = 'docs/validation.md, "Where the methods warn"'

__all__ = [
    "WARNINGS_PAGE",
    "BayesMIWarning",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "CoverageWarning",
    "DeterministicWarning",
    "FewSamplesWarning",
    "HighMIWarning",
    "NumericalErrorWarning",
    "RepeatedRowsWarning",
    "SamplerWarning",
    "SparseTableWarning",
    "warn_still_improving",
]


class BayesMIWarning(UserWarning):
    """Base class of every warning bayesmi issues about doubtful output."""


class ConvergenceWarning(BayesMIWarning):
    """A fit did not converge (EM iterations exhausted, MCMC diagnostics failed, ...)."""


class ComponentLimitWarning(BayesMIWarning):
    """The component count chosen hit ``max_components``: the mixture may be too small."""


class CoverageWarning(BayesMIWarning):
    """The data lie in a regime where the validation suite measured the method's intervals
    holding the truth far less often than their nominal probability: a bias that no resampling
    captures. The message names the regime and the docs page with the measured coverage
    (:data:`WARNINGS_PAGE`).
    """


class HighMIWarning(CoverageWarning):
    """The estimate lies where the estimator is known to be biased low (high MI for the
    dimension and n): a k-NN estimate falls from k to 2k neighbours by more than its spread
    (``ksg``, and ``latent`` on its latents)."""


class NumericalErrorWarning(BayesMIWarning):
    """The numerical error of an integral is not small against the spread of the draws."""


class SamplerWarning(ConvergenceWarning):
    """MCMC diagnostics failed: divergent transitions, R-hat of the quantity above its limit, or
    a bulk effective sample size below its minimum."""


class SparseTableWarning(BayesMIWarning):
    """A binned estimate from a contingency table with too many cells for its samples: the
    plug-in's upward bias dominates, and no lower bound is claimed."""


class DeterministicWarning(BayesMIWarning):
    """At the resolution of the samples, y is a function of x (or x of y): for continuous data
    the MI is infinite or beyond what n samples resolve, and the estimate is a ceiling set by n."""


class RepeatedRowsWarning(BayesMIWarning):
    """Many samples repeat exactly: a k-NN estimator with jitter reads the copies as close
    neighbours and the estimate is biased high."""


class FewSamplesWarning(BayesMIWarning):
    """Too few samples for the dimension of the data: the model's own fit adds spurious MI."""


def warn_still_improving(improving: np.ndarray, caller: str, rest: str, *, stacklevel: int) -> None:
    """A ``ConvergenceWarning`` when members of an ensemble were still improving on their
    validation data as their training budget ran out: "<caller>: <k> of <n> <rest>", with
    ``improving`` one bool per member (k of them true). ``stacklevel`` as ``warnings.warn``
    takes it here."""
    n_improving = int(improving.sum())
    if n_improving:
        warnings.warn(
            f"{caller}: {n_improving} of {len(improving)} {rest}",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )

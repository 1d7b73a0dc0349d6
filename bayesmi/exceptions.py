"""The library's own warning classes, so users can filter or escalate them."""

__all__ = [
    "BayesMIWarning",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "CoverageWarning",
    "DeterministicWarning",
    "FewSamplesWarning",
    "NumericalErrorWarning",
    "RepeatedRowsWarning",
    "SamplerWarning",
    "SparseTableWarning",
]


class BayesMIWarning(UserWarning):
    """Base class of every warning bayesmi issues about doubtful output."""


class ConvergenceWarning(BayesMIWarning):
    """A fit did not converge (EM iterations exhausted, MCMC diagnostics failed, ...)."""


class ComponentLimitWarning(BayesMIWarning):
    """The component count chosen hit ``max_components``: the mixture may be too small."""


class CoverageWarning(BayesMIWarning):
    """The data lie in a regime where the validation suite measured the method's intervals
    holding the truth far less often than their nominal probability (docs/validation.md): a
    bias that no resampling captures. The message names the regime and the measured coverage.
    """


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

"""The library's own warning classes, so users can filter or escalate them."""

__all__ = [
    "BayesMIWarning",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "CoverageWarning",
    "NumericalErrorWarning",
    "SamplerWarning",
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

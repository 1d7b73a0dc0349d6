"""bayesmi: mutual information with honest error bars. Every estimate is a distribution."""

from importlib.metadata import PackageNotFoundError, version

from bayesmi.api import estimate, kl_marginals, methods
from bayesmi.arviz_io import load
from bayesmi.estimators import (
    GMMMI,
    KSGMI,
    BayesGMMMI,
    BinsMI,
    Estimator,
    HighMIWarning,
    register,
)
from bayesmi.exceptions import (
    BayesMIWarning,
    ComponentLimitWarning,
    ConvergenceWarning,
    NumericalErrorWarning,
    SamplerWarning,
)
from bayesmi.report import report
from bayesmi.result import MIResult, convert_units

try:
    __version__ = version("bayesmi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "GMMMI",
    "KSGMI",
    "BayesGMMMI",
    "BayesMIWarning",
    "BinsMI",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "Estimator",
    "HighMIWarning",
    "MIResult",
    "NumericalErrorWarning",
    "SamplerWarning",
    "__version__",
    "convert_units",
    "estimate",
    "kl_marginals",
    "load",
    "methods",
    "register",
    "report",
]

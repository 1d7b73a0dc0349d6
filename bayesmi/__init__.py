"""bayesmi: mutual information with honest error bars. Every estimate is a distribution."""

from importlib.metadata import PackageNotFoundError, version

from bayesmi.api import estimate, kl_marginals, methods
from bayesmi.arviz_io import load
from bayesmi.estimators import (
    GMMMI,
    KSGMI,
    BinsMI,
    Estimator,
    HighMIWarning,
    LatentMI,
    register,
    training_log,
)
from bayesmi.exceptions import (
    BayesMIWarning,
    ComponentLimitWarning,
    ConvergenceWarning,
    NumericalErrorWarning,
)
from bayesmi.latent_sweep import LatentSweep, latent_sweep
from bayesmi.report import report
from bayesmi.result import MIResult, convert_units

try:
    __version__ = version("bayesmi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "GMMMI",
    "KSGMI",
    "BayesMIWarning",
    "BinsMI",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "Estimator",
    "HighMIWarning",
    "LatentMI",
    "LatentSweep",
    "MIResult",
    "NumericalErrorWarning",
    "__version__",
    "convert_units",
    "estimate",
    "kl_marginals",
    "latent_sweep",
    "load",
    "methods",
    "register",
    "report",
    "training_log",
]

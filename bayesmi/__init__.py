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
    InfoNCECeilingWarning,
    NeuralMI,
    register,
)
from bayesmi.exceptions import (
    BayesMIWarning,
    ComponentLimitWarning,
    ConvergenceWarning,
    NumericalErrorWarning,
)
from bayesmi.report import report
from bayesmi.result import MIResult, convert_units

try:
    __version__ = version("bayesmi")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    # bm.neural without importing torch at ``import bayesmi``.
    if name == "neural":
        import importlib

        return importlib.import_module("bayesmi.neural")
    raise AttributeError(f"module 'bayesmi' has no attribute {name!r}")


__all__ = [
    "GMMMI",
    "KSGMI",
    "BayesMIWarning",
    "BinsMI",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "Estimator",
    "HighMIWarning",
    "InfoNCECeilingWarning",
    "MIResult",
    "NeuralMI",
    "NumericalErrorWarning",
    "__version__",
    "convert_units",
    "estimate",
    "kl_marginals",
    "load",
    "methods",
    "register",
    "report",
]

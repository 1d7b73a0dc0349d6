"""bayesmi: mutual information with honest error bars. Every estimate is a distribution."""

from importlib.metadata import PackageNotFoundError, version

from bayesmi.api import estimate, kl_marginals, methods
from bayesmi.arviz_io import load
from bayesmi.compare import Comparison, compare
from bayesmi.copula import TiesWarning
from bayesmi.estimators import (
    GMMMI,
    KSGMI,
    BayesGMMMI,
    BinsMI,
    CopulaWarning,
    Estimator,
    GaussianCopulaMI,
    InfoNCECeilingWarning,
    LatentMI,
    NeuralMI,
    cite,
    register,
)
from bayesmi.exceptions import (
    BayesMIWarning,
    ComponentLimitWarning,
    ConvergenceWarning,
    CoverageWarning,
    DeterministicWarning,
    FewSamplesWarning,
    HighMIWarning,
    NumericalErrorWarning,
    RepeatedRowsWarning,
    SamplerWarning,
    SparseTableWarning,
)
from bayesmi.latent_sweep import LatentSweep, latent_sweep
from bayesmi.layers import LayerMI, LayerTracker, layer_mi
from bayesmi.matrix import MIMatrix, load_matrix, mi_matrix
from bayesmi.plotting import training_log
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
    "BayesGMMMI",
    "BayesMIWarning",
    "BinsMI",
    "Comparison",
    "ComponentLimitWarning",
    "ConvergenceWarning",
    "CopulaWarning",
    "CoverageWarning",
    "DeterministicWarning",
    "Estimator",
    "FewSamplesWarning",
    "GaussianCopulaMI",
    "HighMIWarning",
    "InfoNCECeilingWarning",
    "LatentMI",
    "LatentSweep",
    "LayerMI",
    "LayerTracker",
    "MIMatrix",
    "MIResult",
    "NeuralMI",
    "NumericalErrorWarning",
    "RepeatedRowsWarning",
    "SamplerWarning",
    "SparseTableWarning",
    "TiesWarning",
    "__version__",
    "cite",
    "compare",
    "convert_units",
    "estimate",
    "kl_marginals",
    "latent_sweep",
    "layer_mi",
    "load",
    "load_matrix",
    "methods",
    "mi_matrix",
    "register",
    "report",
    "training_log",
]

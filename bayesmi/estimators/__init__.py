"""One module per method; importing this package registers them all."""

from bayesmi.estimators.base import REGISTRY, Estimator, get_estimator, register
from bayesmi.estimators.bins import BinsMI
from bayesmi.estimators.gmm import GMMMI
from bayesmi.estimators.ksg import KSGMI, HighMIWarning
from bayesmi.estimators.neural import InfoNCECeilingWarning, NeuralMI

__all__ = [
    "GMMMI",
    "KSGMI",
    "REGISTRY",
    "BinsMI",
    "Estimator",
    "HighMIWarning",
    "InfoNCECeilingWarning",
    "NeuralMI",
    "get_estimator",
    "register",
]

"""One module per method; importing this package registers them all."""

from bayesmi.estimators.base import REGISTRY, Estimator, cite, get_estimator, register
from bayesmi.estimators.bayes_gmm import BayesGMMMI
from bayesmi.estimators.bins import BinsMI
from bayesmi.estimators.gcmi import CopulaWarning, GaussianCopulaMI
from bayesmi.estimators.gmm import GMMMI
from bayesmi.estimators.ksg import KSGMI, HighMIWarning
from bayesmi.estimators.latent import LatentMI, LatentModel
from bayesmi.estimators.neural import InfoNCECeilingWarning, NeuralMI

__all__ = [
    "GMMMI",
    "KSGMI",
    "REGISTRY",
    "BayesGMMMI",
    "BinsMI",
    "CopulaWarning",
    "Estimator",
    "GaussianCopulaMI",
    "HighMIWarning",
    "InfoNCECeilingWarning",
    "LatentMI",
    "LatentModel",
    "NeuralMI",
    "cite",
    "get_estimator",
    "register",
]

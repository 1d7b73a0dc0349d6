"""One module per method; importing this package registers them all."""

from bayesmi.estimators.base import REGISTRY, Estimator, get_estimator, register
from bayesmi.estimators.gmm import GMMMI

__all__ = ["GMMMI", "REGISTRY", "Estimator", "get_estimator", "register"]

"""Neural critics for mutual information: the pieces behind ``method="neural"``, public for
users who build their own.

- :mod:`bayesmi.neural.bounds`: InfoNCE, NWJ, Donsker-Varadhan (MINE), Jensen-Shannon and
  SMILE bounds and losses on critic scores.
- :mod:`bayesmi.neural.critics`: joint, separable and bilinear critics, MLP and convolutional
  encoders.
- :mod:`bayesmi.neural.training`: an ensemble of critics trained together in one vectorised
  model (:func:`train_critics`), held-out evaluation with bootstrap (:func:`evaluate_critics`),
  the training log as a DataFrame (:func:`training_log`) and its plot
  (:func:`plot_training_log`).

Importing this package imports torch; ``import bayesmi`` does not.
"""

from bayesmi.neural.bounds import (
    OBJECTIVES,
    MovingAverage,
    dv,
    dv_loss,
    infonce,
    infonce_loss,
    js_loss,
    js_readout,
    mine_loss,
    nwj,
    nwj_loss,
    smile,
    smile_loss,
)
from bayesmi.neural.critics import (
    BilinearCritic,
    ConvEncoder,
    JointCritic,
    NeuralCritic,
    SeparableCritic,
    mlp,
    negative_columns,
)
from bayesmi.neural.training import (
    ArraySource,
    DatasetSource,
    Ensemble,
    Splits,
    evaluate_critics,
    make_splits,
    plot_training_log,
    shift_images,
    train_critics,
    training_log,
)

__all__ = [
    "OBJECTIVES",
    "ArraySource",
    "BilinearCritic",
    "ConvEncoder",
    "DatasetSource",
    "Ensemble",
    "JointCritic",
    "MovingAverage",
    "NeuralCritic",
    "SeparableCritic",
    "Splits",
    "dv",
    "dv_loss",
    "evaluate_critics",
    "infonce",
    "infonce_loss",
    "js_loss",
    "js_readout",
    "make_splits",
    "mine_loss",
    "mlp",
    "negative_columns",
    "nwj",
    "nwj_loss",
    "plot_training_log",
    "shift_images",
    "smile",
    "smile_loss",
    "train_critics",
    "training_log",
]

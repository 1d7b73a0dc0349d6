"""The panel: distributions with known MI (or conditional MI), generated in code and seeded.

Each case carries its true value in nats and where that value comes from. The samplers live in
``bayesmi.truth`` (shared with the tests and the docs); this module only names the cases and
fixes their parameters.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from bayesmi import truth
from bayesmi.mixture import GaussianMixtureModel

__all__ = ["PANEL", "Case", "get_cases", "mixture_model", "panel_order"]


@dataclass(frozen=True)
class Case:
    """One distribution of the panel.

    Attributes
    ----------
    name : str
        Short identifier (used in tables and on the command line).
    family : str
        gaussian, embedded, transformed, student_t, mixture, discrete or cmi.
    description : str
        What the data are, in words.
    truth_nats : float
        The true MI (quantity "mi") or conditional MI (quantity "cmi"), in nats.
    source : str
        Where ``truth_nats`` comes from (a formula and its reference, or a computation).
    sampler : callable
        ``sampler(n, seed) -> (x, y, z)`` with z None unless quantity is "cmi".
    quantity : {"mi", "cmi"}
    dx, dy : int
        Dimensions of x and y (y of a discrete case is a vector of labels: dy 1).
    discrete_y : bool
        y holds class labels (methods are asked to treat it as discrete).
    """

    name: str
    family: str
    description: str
    truth_nats: float
    source: str
    sampler: Callable[[int, int], tuple]
    quantity: str = "mi"
    dx: int = 1
    dy: int = 1
    discrete_y: bool = False

    def sample(self, n: int, rep: int, seed: int = 0) -> tuple:
        """Replicate data set ``rep`` of size n: (x, y, z), seeded by (seed, case, n, rep)."""
        key = zlib.crc32(self.name.encode())
        ss = np.random.SeedSequence([seed, key, n, rep])
        return self.sampler(n, int(ss.generate_state(1, np.uint64)[0]))

    @property
    def one_dimensional(self) -> bool:
        """x and y are both one column (the peers' scope)."""
        return self.dx == 1 and self.dy == 1 and self.quantity == "mi"


@cache
def mixture_model() -> GaussianMixtureModel:
    """The panel's 2-D mixture: an X of two crossed correlated components plus an offset
    blob. Its MI has no closed form: it is computed by quadrature (``truth.mixture_mi_value``)
    and checked against Monte Carlo in the tests."""
    return GaussianMixtureModel(
        weights=np.array([0.4, 0.4, 0.2]),
        means=np.array([[0.0, 0.0], [0.0, 0.0], [2.5, -2.5]]),
        covariances=np.array(
            [[[1.0, 0.8], [0.8, 1.0]], [[1.0, -0.8], [-0.8, 1.0]], [[0.3, 0.0], [0.0, 0.3]]]
        ),
    )


GAUSS_SRC = "-d/2 log(1 - rho^2) (Cover & Thomas 2006, example 8.5.1)"
INVARIANCE_SRC = (
    "MI unchanged by invertible maps of x and of y (Cover & Thomas 2006, sec. 8.6; "
    "Kraskov et al. 2004, eq. 44), so -d/2 log(1 - rho^2)"
)
T_SRC = (
    "multivariate t: Gaussian term plus f(v) + f(v + 2d) - 2 f(v + d), f(k) = log G(k/2) - "
    "(k/2) psi(k/2) (Arellano-Valle et al. 2013; Czyz et al. 2023)"
)


def _gauss(rho, dim=1):
    def sampler(n, seed):
        x, y, _ = truth.correlated_gaussian(rho, n, dim=dim, seed=seed)
        return x, y, None

    return sampler


def _embedded(rho, dim, embed_dim):
    def sampler(n, seed):
        x, y, _ = truth.embedded_gaussian(rho, n, dim=dim, embed_dim=embed_dim, seed=seed)
        return x, y, None

    return sampler


def _transformed(rho, fx, fy):
    def sampler(n, seed):
        x, y, _ = truth.transformed_gaussian(rho, n, fx=fx, fy=fy, seed=seed)
        return x, y, None

    return sampler


def _student(rho, df, dim=1):
    def sampler(n, seed):
        x, y, _ = truth.student_t(rho, df, n, dim=dim, seed=seed)
        return x, y, None

    return sampler


def _mixture(n, seed):
    x, y = truth.mixture_sample(mixture_model(), 1, n, seed=seed)
    return x, y, None


def _discrete(n, seed):
    x, labels, _ = truth.discrete_uniform_shift(n, n_symbols=5, width=2, seed=seed)
    return x, labels, None


def _cmi(rho, c):
    def sampler(n, seed):
        return truth.gaussian_cmi(rho, c, n, seed=seed)[:3]

    return sampler


def _chain(a, b):
    def sampler(n, seed):
        return truth.gaussian_chain(a, b, n, seed=seed)[:3]

    return sampler


PANEL: tuple[Case, ...] = (
    Case("gauss_r0", "gaussian", "independent standard normals (rho 0)", 0.0,
         "independence: MI 0", _gauss(0.0)),
    Case("gauss_r0.3", "gaussian", "bivariate normal, rho 0.3",
         truth.gaussian_mi_value(0.3), GAUSS_SRC, _gauss(0.3)),
    Case("gauss_r0.6", "gaussian", "bivariate normal, rho 0.6",
         truth.gaussian_mi_value(0.6), GAUSS_SRC, _gauss(0.6)),
    Case("gauss_r0.9", "gaussian", "bivariate normal, rho 0.9 (high MI)",
         truth.gaussian_mi_value(0.9), GAUSS_SRC, _gauss(0.9)),
    Case("gauss_3d_r0.5", "gaussian", "x, y in 3-D: three independent pairs, rho 0.5 each",
         truth.gaussian_mi_value(0.5, 3), GAUSS_SRC, _gauss(0.5, 3), dx=3, dy=3),
    Case("embed_2in4_r0.6", "embedded",
         "2-D Gaussian pairs (rho 0.6) padded with 2 noise coordinates each and mixed by a "
         "fixed invertible 4x4 map: x, y in 4-D",
         truth.gaussian_mi_value(0.6, 2), INVARIANCE_SRC, _embedded(0.6, 2, 4), dx=4, dy=4),
    Case("exp_halfcube_r0.6", "transformed", "rho 0.6 pair, x -> exp(x), y -> sign(y)|y|^1.5",
         truth.gaussian_mi_value(0.6), INVARIANCE_SRC, _transformed(0.6, "exp", "half_cube")),
    Case("asinh_wiggly_r0.75", "transformed",
         "rho 0.75 pair, x -> asinh(x), y -> y + 0.3 sin(2y)",
         truth.gaussian_mi_value(0.75), INVARIANCE_SRC, _transformed(0.75, "asinh", "wiggly")),
    Case("expo_uniform_r0.6", "transformed",
         "rho 0.6 pair, x -> exponential margin (-log(1 - Phi(x))), y -> uniform (Phi(y))",
         truth.gaussian_mi_value(0.6), INVARIANCE_SRC,
         _transformed(0.6, "exponential", "uniform")),
    Case("student_df1_r0.6", "student_t", "bivariate t, 1 degree of freedom (Cauchy margins), "
         "rho 0.6", truth.student_t_mi_value(0.6, 1), T_SRC, _student(0.6, 1)),
    Case("student_df3_r0", "student_t",
         "bivariate t, 3 degrees of freedom, rho 0: uncorrelated yet dependent",
         truth.student_t_mi_value(0.0, 3), T_SRC, _student(0.0, 3)),
    Case("student_df5_r0.6", "student_t", "bivariate t, 5 degrees of freedom, rho 0.6",
         truth.student_t_mi_value(0.6, 5), T_SRC, _student(0.6, 5)),
    Case("mixture_x", "mixture",
         "3-component 2-D Gaussian mixture: two crossed components (corr +0.8 and -0.8) and "
         "an offset blob",
         truth.mixture_mi_value(mixture_model(), 1),
         "Gauss-Hermite quadrature of the mixture (bayesmi.mixture, error ~1e-4), checked "
         "against 4e6 Monte Carlo samples in tests/test_validation_suite.py", _mixture),
    Case("discrete_uniform5", "discrete",
         "labels y uniform on 5 symbols, x | y uniform on [y, y + 2]",
         truth.discrete_uniform_mi_value(5, 2),
         "h(X) - log 2 with the piecewise-constant density of X (exact)", _discrete,
         discrete_y=True),
    Case("cmi_gauss_r0.6", "cmi",
         "X = Z + U, Y = Z + V, (U, V) normal with rho 0.6: I(X;Y|Z) = -1/2 log(1 - 0.36)",
         truth.gaussian_mi_value(0.6),
         "given Z the pair is (U, V) shifted: -1/2 log(1 - rho^2)", _cmi(0.6, 1.0),
         quantity="cmi"),
    Case("cmi_chain_zero", "cmi", "Markov chain X -> Z -> Y (Z = X + e, Y = Z + e'): "
         "I(X;Y|Z) = 0 while I(X;Y) > 0", 0.0, "conditional independence of a Markov chain",
         _chain(1.0, 1.0), quantity="cmi"),
)  # fmt: skip


def get_cases(names: str | list[str] | None = None) -> list[Case]:
    """The cases named (a list, or a comma-separated string), or the whole panel."""
    if names is None or names == "all":
        return list(PANEL)
    if isinstance(names, str):
        names = [s.strip() for s in names.split(",") if s.strip()]
    by_name = {c.name: c for c in PANEL}
    unknown = [s for s in names if s not in by_name]
    if unknown or not names:
        raise ValueError(
            f"cases: unknown case name(s) {unknown or names!r}; the panel has {sorted(by_name)}."
        )
    return [by_name[s] for s in names]


def panel_order(names) -> list[str]:
    """Case names in the panel's order (names not in the panel last, as given)."""
    at = {c.name: i for i, c in enumerate(PANEL)}
    return sorted(dict.fromkeys(names), key=lambda name: at.get(name, len(at)))

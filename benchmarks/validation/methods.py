"""Who runs on the panel: every registered bayesmi method, and the peers where they apply.

bayesmi methods are looked up in ``bayesmi.estimators.REGISTRY``, so a method registered
later joins the suite with no change here. Settings are given by what an estimator accepts
(``Estimator._param_names``), not by method name: the ``tiny`` size sets every permutation
count to 0 and caps every draw count it finds so the end-to-end test stays fast; the other
sizes keep the permutation tests, whose p-value sets the interval's zero rule. Discrete labels
are passed with ``categorical=True`` to the estimators that declare ``supports_categorical``;
the others are not run on discrete cases.

Peers: scikit-learn's KSG runs here; the others (``EXTERNAL``: gmm-mi, the BMI benchmark's
estimators, torch-mist, latentmi) run in environments of their own through batch scripts
(``*_batch.py``, exchanging data in the ``peer_io.py`` format), each only where its
environment exists, on the cases, sample sizes and replicate counts its entry names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayesmi.estimators import REGISTRY
from bayesmi.exceptions import BayesMIWarning
from bayesmi.result import MIResult

__all__ = [
    "EXTERNAL",
    "PEERS",
    "SCOPES",
    "ExternalPeer",
    "Scope",
    "available_methods",
    "gmmmi_python",
    "run_bayesmi",
    "run_external_batch",
    "run_sklearn",
    "runs_on",
]

#: Per-size settings applied to every estimator that has the parameter.
COMMON_SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {
        "n_permutations": 0,
        "n_draws": 20,
        "max_components": 3,
        "n_init": 1,
    },
    # The permutation tests run at every other size: their p-value sets the zero rule of the
    # interval being scored (bayesmi.intervals).
    "small": {},
    "medium": {},
    "full": {},
}

#: Per-method settings on top of COMMON_SETTINGS (a method absent here runs with defaults).
METHOD_SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    # The bootstrap methods' draw count was capped at 10 (as n_bootstrap) before the common
    # name n_draws; bayes_gmm's (then draws) was not capped.
    "gmm": {"tiny": {"n_draws": 10}},
    "bins": {"tiny": {"n_draws": 10}},
    "bayes_gmm": {"tiny": {"n_draws": 1000}},
}


@dataclass(frozen=True)
class Scope:
    """Where a slow bayesmi method runs, so that a size's run fits its time (a method absent
    from ``SCOPES`` runs on every data set).

    Attributes
    ----------
    applies : callable or None
        ``applies(case) -> bool``; None: every case.
    ns : tuple of int or None
        The sample sizes (None: every size of the run).
    reps : {"peer", "all"}
        "peer": the first ``Size.peer_reps`` data sets of each (case, n), as the slow peers.
    why : str
        One line for the docs.
    """

    applies: Callable[[Any], bool] | None = None
    ns: tuple[int, ...] | None = None
    reps: str = "peer"
    why: str = ""

    def runs(self, case, n: int, rep: int, peer_reps: int) -> bool:
        return (
            (self.applies is None or self.applies(case))
            and (self.ns is None or n in self.ns)
            and (self.reps == "all" or rep < peer_reps)
        )


HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ExternalPeer:
    """A peer library run in an environment of its own, through a batch script (``peer_io.py``
    format), never imported here.

    Attributes
    ----------
    name : str
        The method's name in the tables.
    env_var, default_env : str
        The environment's folder: ``$env_var`` if set, else ``default_env``.
    script : str
        The batch script in this folder; the peers that share one run in one subprocess.
    setup : str
        How to make the environment.
    applies : callable
        ``applies(case) -> bool``: the cases it runs on.
    ns : tuple of int or None
        The sample sizes it runs at (None: every size of the run).
    reps : {"peer", "all"}
        "peer": the first ``Size.peer_reps`` data sets (a slow peer); "all": every one.
    interval : bool
        Whether it gives draws (an interval) or a point estimate only.
    what : str
        One line for the docs: the package, its version and the settings.
    """

    name: str
    env_var: str
    default_env: str
    script: str
    setup: str
    applies: Callable[[Any], bool]
    ns: tuple[int, ...] | None = None
    reps: str = "peer"
    interval: bool = False
    what: str = ""

    def python(self) -> Path | None:
        """The environment's interpreter, or None where it is not set up."""
        p = Path(os.environ.get(self.env_var, self.default_env)) / "bin" / "python"
        return p if p.exists() else None


def _continuous_mi(case) -> bool:
    return case.quantity == "mi" and not case.discrete_y


def _one_dim_continuous(case) -> bool:
    return case.one_dimensional and not case.discrete_y


#: Cases the slow neural peers run on (tens of seconds a data set): 1-D Gaussians at moderate
#: and high MI, and the 3-D and 4-D ones.
NEURAL_CASES = ("gauss_r0.6", "gauss_r0.9", "gauss_3d_r0.5", "embed_2in4_r0.6")


#: Cases bayes_gmm runs on: one of each kind of continuous data (1-D Gaussians at moderate
#: and high MI, 3-D, a transformed pair, heavy tails, a non-Gaussian mixture).
BAYES_CASES = ("gauss_r0.6", "gauss_r0.9", "gauss_3d_r0.5", "exp_halfcube_r0.6",
               "student_df5_r0.6", "mixture_x")  # fmt: skip


def _neural_case(case) -> bool:
    return case.name in NEURAL_CASES


_BMI = dict(env_var="BMI_ENV", default_env="/work/bench-envs/bmi", script="bmi_batch.py",
            setup="bash benchmarks/setup_bmi_env.sh")  # fmt: skip
_TORCHMIST = dict(env_var="TORCHMIST_ENV", default_env="/work/bench-envs/torchmist",
                  script="torchmist_batch.py",
                  setup="bash benchmarks/setup_torchmist_env.sh")  # fmt: skip

#: Peers in environments of their own; each joins a run only where its environment exists.
EXTERNAL: dict[str, ExternalPeer] = {
    p.name: p
    for p in (
        ExternalPeer(
            "gmmmi", "GMMMI_ENV", "/work/bench-envs/gmmmi", "gmmmi_batch.py",
            "bash benchmarks/setup_gmmmi_env.sh", _one_dim_continuous, ns=(300, 1000),
            interval=True,
            what="gmm-mi 0.8.2, its defaults (50 bootstrap refits, 1e5 Monte Carlo samples); "
            "intervals from its bootstrap values",
        ),
        ExternalPeer(
            "bmi_ksg", **_BMI, applies=_continuous_mi, reps="all",
            what="benchmark-mi 0.1.3 KSGEnsembleFirstEstimator (KSG eq. 8, Euclidean, mean "
            "over k = 5 and 10), defaults",
        ),
        ExternalPeer(
            "bmi_hist", **_BMI, applies=_continuous_mi, reps="all",
            what="benchmark-mi 0.1.3 HistogramEstimator (5 equal-width bins per dimension), "
            "defaults",
        ),
        ExternalPeer(
            "bmi_cca", **_BMI, applies=_continuous_mi, reps="all",
            what="benchmark-mi 0.1.3 CCAMutualInformationEstimator (the Gaussian MI of the "
            "sample's canonical correlations), defaults",
        ),
        ExternalPeer(
            "bmi_kde", **_BMI, applies=_continuous_mi, reps="all",
            what="benchmark-mi 0.1.3 KDEMutualInformationEstimator (top-hat kernels, Scott's "
            "bandwidth), defaults",
        ),
        ExternalPeer(
            "bmi_infonce", **_BMI, applies=_neural_case, ns=(1000,),
            what="benchmark-mi 0.1.3 InfoNCEEstimator, 2,000 steps (its default 10,000), "
            "other defaults",
        ),
        ExternalPeer(
            "torchmist_infonce", **_TORCHMIST, applies=_neural_case, ns=(1000,),
            what="torch-mist 0.2.17 estimate_mi, InfoNCE, MLP (64, 64), batch 128, at most "
            "2,000 steps, its early stopping, 20% test data",
        ),
        ExternalPeer(
            "latentmi", "LATENTMI_ENV", "/work/bench-envs/latentmi", "latentmi_batch.py",
            "bash benchmarks/setup_latentmi_env.sh",
            # its use is multivariate data; 2-3 minutes a data set at n = 1000 on one thread
            lambda c: c.name in ("gauss_3d_r0.5", "embed_2in4_r0.6"), ns=(1000,),
            what="latentmi 0.1.3 lmi.estimate, its defaults (latent size 8, up to 300 epochs), "
            "mean held-out pointwise MI, bits converted to nats",
        ),
    )
}  # fmt: skip

#: The slow bayesmi methods: on which data sets they run (every other method runs on all).
SCOPES: dict[str, Scope] = {
    "bayes_gmm": Scope(lambda c: c.name in BAYES_CASES, ns=(1000,),
                       why="MCMC, 10-40 s a data set: six cases at n = 1000"),
    "neural": Scope(_neural_case, ns=(1000,),
                    why="an ensemble of critics, tens of seconds a data set: the neural peers' "
                    "cases at n = 1000"),
    "latent": Scope(_neural_case, ns=(1000,),
                    why="an autoencoder then KSG, tens of seconds a data set: the neural peers' "
                    "cases at n = 1000"),
}  # fmt: skip


def runs_on(method: str, case, n: int, rep: int, peer_reps: int) -> bool:
    """Whether ``method`` (a bayesmi method or sklearn) runs on data set ``rep`` of (case, n)."""
    scope = SCOPES.get(method)
    return scope is None or scope.runs(case, n, rep, peer_reps)


#: Peer libraries: scikit-learn's KSG (point estimate, in this environment) and the external ones.
PEERS = ("sklearn", *EXTERNAL)


def gmmmi_python() -> Path | None:
    """The gmm-mi environment's interpreter (``GMMMI_ENV``, default /work/bench-envs/gmmmi),
    or None where it is not set up (``bash benchmarks/setup_gmmmi_env.sh``)."""
    return EXTERNAL["gmmmi"].python()


def available_methods() -> list[str]:
    """Every registered bayesmi method, then the peers that can run here."""
    out = sorted(REGISTRY)
    out.append("sklearn")
    out += [name for name, peer in EXTERNAL.items() if peer.python() is not None]
    return out


def settings_for(method: str, size: str, case) -> dict[str, Any] | None:
    """Keyword arguments for ``method`` on ``case`` at ``size``; None where it does not apply."""
    cls = REGISTRY[method]
    accepted = set(cls._param_names())
    kw = {k: v for k, v in COMMON_SETTINGS[size].items() if k in accepted}
    kw.update(METHOD_SETTINGS.get(method, {}).get(size, {}))
    if case.discrete_y:
        if not cls.supports_categorical:
            return None
        kw["categorical"] = True
    return kw


def _record(r: MIResult | None, seconds: float, caught, error: str = "") -> dict[str, Any]:
    """One row's numbers: point estimate, sd, intervals, warnings, time."""
    row: dict[str, Any] = {"seconds": seconds, "error": error}
    names = sorted({w.category.__name__ for w in caught if issubclass(w.category, BayesMIWarning)})
    row["warnings"] = ";".join(names)
    if r is None:
        return row
    row.update(estimate=r.mean, sd=r.sd, n_draws=r.n_draws, kind=r.kind, bound=r.bound or "")
    for p in (0.5, 0.9, 0.95):
        lo, hi = r.hdi(p)
        row[f"hdi{int(p * 100)}_lo"], row[f"hdi{int(p * 100)}_hi"] = lo, hi
    lo, hi = r.quantile([0.05, 0.95])
    row["eti90_lo"], row["eti90_hi"] = lo, hi
    return row


def run_bayesmi(method: str, case, x, y, z, size: str, seed: int) -> dict[str, Any] | None:
    """Run a registered method on one data set; None where it does not apply to the case."""
    kw = settings_for(method, size, case)
    if kw is None:
        return None
    cls = REGISTRY[method]
    accepted = set(cls._param_names())
    common = {"seed": seed, "n_jobs": 1, "progress": False}
    est = cls(**{k: v for k, v in common.items() if k in accepted}, **kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        try:
            r = est.estimate(x, y, z)
        except (ValueError, NotImplementedError, TypeError) as e:
            return _record(None, time.perf_counter() - t0, caught, f"{type(e).__name__}: {e}")
        seconds = time.perf_counter() - t0
    return _record(r, seconds, caught)


def run_sklearn(case, x, y, seed: int) -> dict[str, Any] | None:
    """scikit-learn's KSG (``mutual_info_regression``; ``mutual_info_classif`` for labels),
    k = 3: a point estimate of MI between one column of x and a 1-D y (no interval)."""
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    if case.quantity != "mi" or case.dx != 1 or case.dy != 1:
        return None
    t0 = time.perf_counter()
    xx = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    yy = np.asarray(y).ravel()
    if case.discrete_y:
        v = mutual_info_classif(xx, yy, n_neighbors=3, random_state=seed)[0]
    else:
        v = mutual_info_regression(xx, yy, n_neighbors=3, random_state=seed)[0]
    return {"seconds": time.perf_counter() - t0, "error": "", "warnings": "", "estimate": float(v)}


def run_external_batch(
    script: str, datasets: list[tuple[np.ndarray, np.ndarray, int, list[str]]]
) -> list[dict[str, dict[str, Any]]]:
    """Run the peers of one batch script on each (x, y, seed, method names) in one subprocess
    of their environment; per data set, method name -> a row as ``run_bayesmi`` gives (with
    intervals where the peer gives draws)."""
    peers = [EXTERNAL[m] for _, _, _, ms in datasets for m in ms]
    py = peers[0].python() if peers else None
    if py is None:
        raise RuntimeError(
            f"{script}: no environment; run `{peers[0].setup if peers else ''}` or set "
            f"{peers[0].env_var if peers else 'the environment variable'}."
        )
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "in.npz", Path(tmp) / "out.json"
        arrays: dict[str, np.ndarray] = {"count": np.array(len(datasets))}
        for i, (x, y, seed, ms) in enumerate(datasets):
            n = len(x)
            arrays[f"x_{i}"] = np.asarray(x, dtype=np.float64).reshape(n, -1)
            arrays[f"y_{i}"] = np.asarray(y, dtype=np.float64).reshape(n, -1)
            arrays[f"seed_{i}"] = np.array(seed)
            arrays[f"methods_{i}"] = np.array(ms, dtype=str)
        np.savez(data, **arrays)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env.pop("PYTHONPATH", None)  # the peer's own packages, never this environment's
        # A temporary folder of its own: torch-mist 0.2.17 checkpoints its best weights to
        # gettempdir()/model_{iteration}_{time.time}.pyt (the function, not its value), a name
        # that two concurrent runs share, so one could load the other's weights.
        env["TMPDIR"] = tmp
        cmd = [str(py), str(HERE / script), str(data), str(out)]
        subprocess.run(cmd, check=True, env=env, stdout=sys.stderr)
        raw = json.loads(out.read_text())
    return [{m: _external_row(m, res) for m, res in by_method.items()} for by_method in raw]


def _external_row(method: str, res: dict[str, Any]) -> dict[str, Any]:
    """A peer's result (``peer_io`` row) as a row of the suite's table."""
    if res.get("error"):
        return {"seconds": res.get("seconds", np.nan), "error": res["error"], "warnings": ""}
    draws = res.get("draws_nats")
    if draws:
        r = MIResult(draws_nats=np.asarray(draws, dtype=np.float64)[None, :], kind="bootstrap",
                     method=method)  # fmt: skip
        row = _record(r, res["seconds"], [])
    else:
        row = {"seconds": res["seconds"], "error": "", "kind": "point"}
    row["estimate"] = float(res["estimate_nats"])
    if res.get("sd_nats") is not None:
        row["sd"] = float(res["sd_nats"])
    row["warnings"] = str(res.get("warnings", ""))[:200]
    return row

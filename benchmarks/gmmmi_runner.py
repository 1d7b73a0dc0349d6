#!/usr/bin/env python3
"""Run the peer library gmm-mi (GMM-MI) on one (x, y) data set and write JSON.

This script is meant to be executed by the interpreter of the isolated gmm-mi
venv created by ``validation/setup_gmmmi_env.sh`` (default
``.peer-envs/gmmmi/bin/python``), never imported by bayesmi.  gmm-mi is
GPL-3 + non-commercial: we only *run* it in a subprocess; no gmm-mi code is
copied here.  Dependencies: standard library + numpy + gmm_mi.

Usage::

    $GMMMI_ENV/bin/python benchmarks/gmmmi_runner.py IN.npz OUT.json \
        [--n-bootstrap 50] [--mc-samples 100000] [--seed 0] [--repeat 1]

IN.npz must hold 1-D arrays ``x`` and ``y`` of equal length n.

The estimate is gmm-mi 0.8's standard continuous-continuous MI path::

    EstimateMI(gmm_fit_params=GMMFitParamHolder(),            # defaults
               select_components_params=SelectComponentsParamHolder())
        .fit(X=x, Y=y)
        .estimate(mi_dist_params=MIDistParamHolder(n_bootstrap=..., MC_samples=...))

Output is in nats (gmm-mi default ``base=e``).  ``seconds`` is the wall time of
fit + estimate only (median over ``--repeat``); ``seconds_import`` is the time
to import numpy + gmm_mi (with its sklearn/scipy dependencies).

Note on seeds: gmm-mi 0.8 seeds everything internally (CV split, init seeds,
bootstrap resamples, MC sampling), so its result does not depend on ``--seed``;
the flag only seeds numpy's legacy global RNG in case anything draws from it,
and is recorded in the output.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings


def _parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="input .npz with 1-D arrays 'x' and 'y'")
    p.add_argument("output", help="output .json path")
    p.add_argument(
        "--n-bootstrap",
        type=int,
        default=50,
        help="gmm-mi n_bootstrap (default 50; <1 = single fit, no bootstrap)",
    )
    p.add_argument(
        "--mc-samples",
        type=int,
        default=100000,
        help="gmm-mi MC_samples per MI integral (default 100000)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds numpy's global RNG; gmm-mi itself uses fixed internal seeds",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="repeat fit+estimate this many times (fresh estimator each time)",
    )
    p.add_argument(
        "--progress",
        action="store_true",
        help="show gmm-mi's tqdm bootstrap progress bar (off by default)",
    )
    return p.parse_args(argv)


def _jsonable(v):
    """Convert numpy scalars/arrays and other odd values to JSON-friendly ones."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else repr(v)
    if hasattr(v, "tolist"):  # numpy scalar / array
        return _jsonable(v.tolist())
    if isinstance(v, (list, tuple)):
        return [_jsonable(e) for e in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(e) for k, e in v.items()}
    return repr(v)


def _run_once(
    EstimateMI,
    GMMFitParamHolder,
    SelectComponentsParamHolder,
    MIDistParamHolder,
    x,
    y,
    n_bootstrap,
    mc_samples,
):
    """One fresh fit + estimate. Returns a dict of results for this run."""
    gmm_fit_params = GMMFitParamHolder()  # all gmm-mi defaults
    sel_comp_params = SelectComponentsParamHolder()  # all gmm-mi defaults
    mi_dist_params = MIDistParamHolder(n_bootstrap=n_bootstrap, MC_samples=mc_samples)
    est = EstimateMI(gmm_fit_params=gmm_fit_params, select_components_params=sel_comp_params)

    # gmm-mi does not keep the per-bootstrap MI values; record them by wrapping
    # the bound per-model MI method on this instance (values are in nats, i.e.
    # before the `base` unit conversion; base=e here so they are final).
    draws = []
    orig_calc = est._calculate_MI

    def _recording_calc(gmm, *a, **kw):
        val = orig_calc(gmm, *a, **kw)
        draws.append(float(val))
        return val

    est._calculate_MI = _recording_calc

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        est.fit(X=x, Y=y)
        t1 = time.perf_counter()
        mi_mean, mi_std = est.estimate(mi_dist_params=mi_dist_params)
        t2 = time.perf_counter()

    warn_msgs = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    # number of components tried during selection (keys of the CV results)
    tried = sorted(int(k) for k in getattr(est, "__dict__", {}).get("results_dict", {}))
    return {
        "mi_mean": float(mi_mean),
        "mi_std": None if mi_std is None else float(mi_std),
        "draws": draws,
        "seconds": t2 - t0,
        "seconds_fit": t1 - t0,
        "seconds_estimate": t2 - t1,
        "n_components": _jsonable(est.__dict__.get("best_components")),
        "best_init_seed": _jsonable(est.__dict__.get("best_seed")),
        "components_tried": tried,
        "converged": bool(est.__dict__.get("converged", False)),
        "reached_max_components": bool(est.__dict__.get("reached_max_components", False)),
        "warnings": warn_msgs,
        "_params": (gmm_fit_params, sel_comp_params, mi_dist_params),
    }


def main(argv=None):
    args = _parse_args(argv)
    if args.repeat < 1:
        raise SystemExit("--repeat must be >= 1")
    if not args.progress:
        os.environ.setdefault("TQDM_DISABLE", "1")  # honoured by tqdm >= 4.66

    t_imp0 = time.perf_counter()
    import numpy as np
    from gmm_mi.mi import EstimateMI
    from gmm_mi.param_holders import (
        GMMFitParamHolder,
        MIDistParamHolder,
        SelectComponentsParamHolder,
    )

    seconds_import = time.perf_counter() - t_imp0

    from importlib import metadata

    def _ver(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    with np.load(args.input) as data:
        x = np.asarray(data["x"], dtype=np.float64)
        y = np.asarray(data["y"], dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise SystemExit(f"x and y must be 1-D of equal length; got {x.shape}, {y.shape}")

    np.random.seed(args.seed)  # noqa: NPY002 (gmm-mi itself reads the global stream)

    runs = []
    for _ in range(args.repeat):
        runs.append(
            _run_once(
                EstimateMI,
                GMMFitParamHolder,
                SelectComponentsParamHolder,
                MIDistParamHolder,
                x,
                y,
                args.n_bootstrap,
                args.mc_samples,
            )
        )

    gfp, scp, mdp = runs[0]["_params"]
    settings = {}
    for holder in (gfp, scp, mdp):
        settings.update({k: _jsonable(v) for k, v in vars(holder).items()})
    settings.update(
        {
            # arguments of EstimateMI.estimate / fit left at gmm-mi defaults
            "base": "e (nats)",
            "include_kl": False,
            "estimator": "gmm_mi.mi.EstimateMI.fit + estimate (continuous-continuous)",
            # behaviour fixed inside gmm-mi 0.8 (not user-settable); documented for comparison
            "internal_fixed": {
                "cv_split": "sklearn KFold(shuffle=True, random_state=42)",
                "cv_init_seeds": f"0..{scp.n_inits - 1}",
                "covariance_type": "full",
                "bootstrap_resample_seed": "np.random.default_rng(b) for b = 0..n_bootstrap-1",
                "bootstrap_components": "fixed at the CV-selected number (no re-selection)",
                "bootstrap_init": (
                    "final params of the best CV fold/init at the selected n_components"
                ),
                "bootstrap_fit_random_state": "best CV init seed (also seeds MC sampling)",
                "mi_std_ddof": 1,
            },
        }
    )

    mi_means = [r["mi_mean"] for r in runs]
    secs = [r["seconds"] for r in runs]
    first = runs[0]
    out = {
        "mi_mean": first["mi_mean"],
        "mi_std": first["mi_std"],
        "draws": first["draws"],
        "seconds": statistics.median(secs),
        "seconds_all": secs,
        "seconds_min": min(secs),
        "seconds_fit_all": [r["seconds_fit"] for r in runs],
        "seconds_estimate_all": [r["seconds_estimate"] for r in runs],
        "seconds_import": seconds_import,
        "mi_mean_all": mi_means,
        "mi_std_all": [r["mi_std"] for r in runs],
        "deterministic_across_repeats": len(set(mi_means)) == 1,
        "n": int(x.shape[0]),
        "n_components": first["n_components"],
        "best_init_seed": first["best_init_seed"],
        "components_tried": first["components_tried"],
        "converged": first["converged"],
        "reached_max_components": first["reached_max_components"],
        "warnings": sorted({w for r in runs for w in r["warnings"]}),
        "units": "nats",
        "settings": settings,
        "seed": args.seed,
        "repeat": args.repeat,
        "gmm_mi_version": _ver("gmm-mi") or _ver("gmm_mi"),
        "versions": {
            "numpy": np.__version__,
            "scikit-learn": _ver("scikit-learn"),
            "scipy": _ver("scipy"),
            "python": platform.python_version(),
        },
        "threads_env": {
            k: os.environ.get(k)
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        },
    }

    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        json.dump(_jsonable(out), f, indent=1)
        f.write("\n")
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Run gmm-mi on many (x, y) data sets in one process, for the validation suite.

Executed by the gmm-mi environment's interpreter (``validation/setup_gmmmi_env.sh``), never
imported by bayesmi: gmm-mi is GPL-3 + non-commercial, so it is only run, in a subprocess.
It reuses ``benchmarks/gmmmi_runner.py`` (our code) for one fit + estimate with gmm-mi's
defaults (50 bootstrap refits, 1e5 Monte Carlo samples), and records the bootstrap MI values.

Usage: PYTHON gmmmi_batch.py IN.npz OUT.json   (the format of ``peer_io.py``)
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
os.environ.setdefault("TQDM_DISABLE", "1")


def main(argv):
    import numpy as np
    import peer_io
    from gmm_mi.mi import EstimateMI
    from gmm_mi.param_holders import (
        GMMFitParamHolder,
        MIDistParamHolder,
        SelectComponentsParamHolder,
    )
    from gmmmi_runner import _run_once

    def one(x, y):
        res = _run_once(
            EstimateMI,
            GMMFitParamHolder,
            SelectComponentsParamHolder,
            MIDistParamHolder,
            np.ravel(x),
            np.ravel(y),
            50,
            100_000,
        )
        # gmm-mi reports the mean of its bootstrap MI values; its draws carry the spread.
        return {
            "estimate_nats": res["mi_mean"],
            "sd_nats": res["mi_std"],
            "draws_nats": res["draws"],
            "seconds": res["seconds"],
            "warnings": ";".join(res["warnings"])[:200],
        }

    for x, y, _seed, methods, put in peer_io.datasets(argv[1]):
        for m in methods:
            put(m, lambda x=x, y=y: one(x, y))
    peer_io.write(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Run gmm-mi on many (x, y) data sets in one process, for the validation suite.

Executed by the gmm-mi environment's interpreter (``benchmarks/setup_gmmmi_env.sh``), never
imported by bayesmi: gmm-mi is GPL-3 + non-commercial, so it is only run, in a subprocess.
It reuses ``benchmarks/gmmmi_runner.py`` (our code) for one fit + estimate with gmm-mi's
defaults, and records the bootstrap MI values.

Usage: PYTHON gmmmi_batch.py IN.npz OUT.json COUNT   (IN holds x_0, y_0, ..., 1-D arrays)
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TQDM_DISABLE", "1")


def main(argv):
    import numpy as np
    from gmm_mi.mi import EstimateMI
    from gmm_mi.param_holders import (
        GMMFitParamHolder,
        MIDistParamHolder,
        SelectComponentsParamHolder,
    )
    from gmmmi_runner import _run_once

    src, dst, count = argv[1], argv[2], int(argv[3])
    out = []
    with np.load(src) as data:
        for i in range(count):
            x, y = data[f"x_{i}"], data[f"y_{i}"]
            t0 = time.perf_counter()
            try:
                res = _run_once(
                    EstimateMI,
                    GMMFitParamHolder,
                    SelectComponentsParamHolder,
                    MIDistParamHolder,
                    x,
                    y,
                    50,
                    100_000,
                )
                res.pop("_params")
                out.append(
                    {k: res[k] for k in ("mi_mean", "mi_std", "draws", "seconds")}
                    | {"warnings": res["warnings"], "error": ""}
                )
            except Exception as e:  # a peer's crash is a result to report, not a stop
                out.append(
                    {"seconds": time.perf_counter() - t0, "error": f"{type(e).__name__}: {e}"[:300]}
                )
    Path(dst).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

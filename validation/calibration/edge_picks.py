"""How often ``marginals="auto"``'s second look (``_edges.edge_columns``) scores a column that the
shape rule (``copula.auto_columns``) left as given, per panel case.

    PYTHONPATH=. OPENBLAS_NUM_THREADS=1 python -m validation.calibration.edge_picks \
        --n 1000 --reps 30 --seed 9
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from validation.panel import get_cases


def main() -> None:
    import bayesmi as bm
    from bayesmi import copula

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=9, help="panel seed")
    ap.add_argument("--cases", default="all")
    a = ap.parse_args()
    for case in get_cases(a.cases):
        if case.discrete_y:  # categorical mode has no second look
            continue
        picked = 0
        for rep in range(a.reps):
            x, y, z = case.sample(a.n, rep, seed=a.seed)
            parts = [np.reshape(p, (len(p), -1)) for p in (x, y, z) if p is not None]
            _, first = copula.apply_marginals("auto", "mi", parts, caller="edge_picks")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = bm.estimate(x, y, z=z, method="gmm", seed=rep, n_draws=2, progress=False,
                                n_permutations=0)  # fmt: skip
            dim = sum(p.shape[1] for p in parts)
            before = np.zeros(dim, bool) if first is None else first.scored
            after = np.zeros(dim, bool) if r.margins is None else r.margins.scored
            picked += bool((before != after).any())
        print(f"{case.name:22} rescored in {picked} of {a.reps}", flush=True)


if __name__ == "__main__":
    main()

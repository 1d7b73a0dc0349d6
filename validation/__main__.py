"""``python -m validation run --size small`` (see ``--help``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from validation.methods import available_methods
    from validation.panel import PANEL
    from validation.run import SIZES

    p = argparse.ArgumentParser(
        prog="python -m validation",
        description="Known-truth validation of every bayesmi method and the peers: bias, "
        "RMSE, coverage of the 50/90/95%% intervals, time.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the suite and write CSV tables and figures")
    r.add_argument("--size", choices=sorted(SIZES), default="small")
    r.add_argument("--methods", default=None, help="comma-separated; default every available")
    r.add_argument("--cases", default=None, help="comma-separated panel case names")
    r.add_argument("--out", default=None, help="output folder (default results/<size>)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--n-jobs", type=int, default=1)
    r.add_argument("--reps", type=int, default=None, help="override the replicate count")
    r.add_argument("--n", type=int, nargs="+", default=None, help="override the sample sizes")
    r.add_argument(
        "--slow-reps",
        type=int,
        default=None,
        help="override how many data sets a case the slow methods and the peers run on",
    )
    r.add_argument("--no-progress", action="store_true")
    sub.add_parser("list", help="list the panel and the available methods")
    md = sub.add_parser("markdown", help="print the markdown tables of a run (for the docs)")
    md.add_argument(
        "folder",
        nargs="+",
        help="a run's output folder (holding summary.csv); several runs "
        "made with the same seed are put side by side",
    )
    md.add_argument("--panel", action="store_true", help="print the panel table instead")
    rp = sub.add_parser(
        "replace", help="put one method's rows of a rerun (same seed) in place of a run's"
    )
    rp.add_argument("folder", help="the run to update")
    rp.add_argument("rerun", help="the rerun's output folder")
    rp.add_argument("method")
    rp.add_argument("--why", default="", help="recorded in meta.json")
    fg = sub.add_parser("figures", help="redraw the figures of a run from its CSV files")
    fg.add_argument("folder", help="a run's output folder (holding results.csv, summary.csv)")
    args = p.parse_args(argv)

    if args.command == "figures":
        import pandas as pd

        from validation.figures import plot_all

        folder = Path(args.folder)
        plot_all(pd.read_csv(folder / "results.csv"), pd.read_csv(folder / "summary.csv"), folder)
        print(f"wrote the figures in {folder}")
        return 0

    if args.command == "replace":
        from validation.run import replace_method

        try:
            replace_method(args.folder, args.rerun, args.method, args.why)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"replaced {args.method} in {args.folder}")
        return 0

    if args.command == "markdown":
        from validation.tables import markdown_tables, panel_table

        try:
            print(panel_table() if args.panel else markdown_tables(*args.folder))
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        return 0

    if args.command == "list":
        from validation.methods import EXTERNAL

        for c in PANEL:
            print(f"{c.name:22s} {c.truth_nats:8.4f} nats  {c.quantity:3s}  {c.description}")
        print("methods:", ", ".join(available_methods()))
        for peer in EXTERNAL.values():
            where = "ready" if peer.python() is not None else f"no environment ({peer.setup})"
            print(f"  {peer.name:18s} {where}: {peer.what}")
        return 0

    from validation.run import pooled_coverage, run_suite

    out = args.out or str(Path(__file__).resolve().parent / "results" / args.size)
    try:
        _, summary = run_suite(
            args.size,
            methods=args.methods,
            cases=args.cases,
            out=out,
            seed=args.seed,
            n_jobs=args.n_jobs,
            progress=not args.no_progress,
            reps=args.reps,
            ns=tuple(args.n) if args.n else None,
            slow_reps=args.slow_reps,
        )
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(pooled_coverage(summary).round(3).to_string(index=False))
    print(f"wrote {out}/results.csv, summary.csv, meta.json and figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())

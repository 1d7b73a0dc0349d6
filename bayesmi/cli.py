"""The ``bayesmi`` command line, built on click.

Exit codes: 0 success; 2 bad usage (an unknown option, a missing argument, a data file that does
not exist, an unknown column or method, a malformed ``--param`` or one that sets what has its own
option, an output path that cannot be written, checked before any computation); 1 failure (the
data cannot be used, e.g. a non-numeric column, a NaN or inf, a damaged file, or the method
fails). Every error is one line on stderr that names the file, column or option; never a
traceback (docs/cli.md has the table). Progress bars go to stderr;
``--quiet`` hides them and every line but the results.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path

import click

__all__ = ["cli", "main"]

_DATA_TYPES = ".csv, .tsv, .parquet, .npy or .npz"
#: Settings that have their own option: --param may not set them behind its back.
_OWN_OPTIONS = {
    "method": "--method",
    "seed": "--seed",
    "n_jobs": "--n-jobs",
    "progress": "--no-progress",
    "units": "--bits",
}


class _Failure(click.ClickException):
    """A run that failed on its data or in its method: exit code 1, one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.ctx = click.get_current_context(silent=True)


def _fail_on_errors(fn):
    """Turn the library's exceptions into one-line errors: usage (2) or failure (1)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except (ValueError, TypeError, OSError, ImportError, KeyError) as err:
            raise _Failure(str(err).strip().splitlines()[0] if str(err) else repr(err)) from err
        except Exception as err:  # a failure inside a method or a library: still one line
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise _Failure(f"the run failed: {type(err).__name__}: {first}") from err

    return wrapper


def _parse_params(values: tuple[str, ...]) -> dict:
    """``--param key=value`` pairs; values read as Python literals where they parse."""
    import ast

    out = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"must look like key=value, got {pair!r}.", param_hint="--param"
            )
        if key in _OWN_OPTIONS:
            raise click.BadParameter(
                f"{pair!r} would override {_OWN_OPTIONS[key]}; use {_OWN_OPTIONS[key]} instead.",
                param_hint="--param",
            )
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _check_method(method: str) -> str:
    from bayesmi.estimators import REGISTRY

    if method not in REGISTRY:
        raise click.BadParameter(
            f"unknown method {method!r}; choose from {sorted(REGISTRY)} (see 'bayesmi methods').",
            param_hint="--method",
        )
    return method


def _load_columns(data: str, x: str, y: str, z: str | None):
    """The column groups of a data file; bad columns are usage errors, bad values failures."""
    import numpy as np

    from bayesmi.tables import load_table, select_columns

    if Path(data).suffix.lower() not in {".csv", ".tsv", ".parquet", ".npy", ".npz"}:
        raise click.BadParameter(
            f"unknown data file type {Path(data).suffix!r} in {data}; use {_DATA_TYPES}.",
            param_hint="DATA",
        )
    try:
        table = load_table(data)
    except (ValueError, OSError) as err:
        raise _Failure(f"{data}: {str(err).splitlines()[0]}") from err
    picked = {}
    for name, spec in (("x", x), ("y", y), ("z", z)):
        if spec is None:
            continue
        try:
            picked[name] = select_columns(table, spec, name)
        except ValueError as err:
            raise click.BadParameter(f"{err} (in {data})", param_hint=f"--{name}") from err
    overlap = set(picked["x"]) & set(picked["y"])
    if overlap:
        raise click.BadParameter(f"--x and --y share columns {sorted(overlap)}.", param_hint="--y")
    for other in ("x", "y"):
        overlap = set(picked.get("z", ())) & set(picked[other])
        if overlap:
            raise click.BadParameter(
                f"--z and --{other} share columns {sorted(overlap)}: a variable cannot be both "
                "conditioned on and measured.",
                param_hint="--z",
            )
    for name, cols in picked.items():
        for col in cols:
            if not (
                table[col].dtype.kind in "biuf"
                or (table[col].dtype.kind == "O" and _numeric(table[col]))
            ):
                raise _Failure(
                    f"{data}: column {col!r} (--{name}) is not numeric "
                    f"(dtype {table[col].dtype}); MI needs numbers."
                )
            if table[col].isna().any():
                rows = table.index[table[col].isna()].tolist()[:3]
                raise _Failure(
                    f"{data}: column {col!r} (--{name}) has missing or NaN values "
                    f"(first at rows {rows}); drop or impute them first."
                )
            values = _as_numbers(table[col])
            if not np.isfinite(values).all():
                rows = table.index[~np.isfinite(values)].tolist()[:3]
                raise _Failure(
                    f"{data}: column {col!r} (--{name}) has infinite values (first at rows "
                    f"{rows}); drop those rows or replace the values first."
                )
    return {k: table[v] for k, v in picked.items()}, picked


def _as_numbers(series):
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _numeric(series) -> bool:
    import pandas as pd

    return bool(pd.to_numeric(series, errors="coerce").notna().all())


def _check_output(path: str | None, option: str) -> None:
    """An output path that cannot be written is a usage error, found before any computation."""
    from bayesmi._io import check_writable

    if path is None:
        return
    try:
        check_writable(path, option)
    except ValueError as err:
        raise click.BadParameter(str(err).partition(": ")[2], param_hint=option) from err


def _print_result(result, bits: bool, quiet: bool, picked: dict, out: str | None) -> None:
    click.echo(str(result.to("bits") if bits else result))
    if not quiet:
        click.echo(
            "  x: "
            + ", ".join(picked["x"])
            + " | y: "
            + ", ".join(picked["y"])
            + (" | z: " + ", ".join(picked["z"]) if "z" in picked else "")
        )
    if out:
        result.save(out)
        if not quiet:
            click.echo(f"  saved to {out}")


def _common_data_options(fn):
    """The options shared by estimate, kl and compare."""
    options = [
        click.argument("data", type=click.Path(exists=True, dir_okay=False)),
        click.option(
            "--x",
            "x",
            required=True,
            help="Columns of x: names, comma-separated, or patterns such as 'f1_*'.",
        ),
        click.option("--y", "y", required=True, help="Columns of y, as for --x."),
        click.option("--seed", type=int, default=None, help="Seed: the same seed, the same draws."),
        click.option("--n-jobs", type=int, default=1, show_default=True, help="Parallel workers."),
        click.option("--bits", is_flag=True, help="Show bits instead of nats."),
        click.option(
            "--no-progress", is_flag=True, help="Hide progress bars (still print everything)."
        ),
        click.option(
            "-q", "--quiet", is_flag=True, help="Only the result lines: no progress, no warnings."
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _method_options(fn):
    fn = click.option(
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        help="A method hyperparameter, e.g. --param n_draws=200 (repeatable); "
        "'bayesmi methods' and the method's class docstring list them.",
    )(fn)
    fn = click.option(
        "--out", type=click.Path(dir_okay=False), help="Save the result (netCDF, atomic)."
    )(fn)
    return click.option(
        "--method", default="gmm", show_default=True, help="A method from 'bayesmi methods'."
    )(fn)


@contextlib.contextmanager
def _run_quietly(quiet: bool):
    """Silence the library's warnings under --quiet."""
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        yield


def _run_method(
    quantity, data, x, y, z, seed, n_jobs, bits, no_progress, quiet, method, params, out
):
    """``estimate`` (quantity "mi": MI, or conditional MI with z) and ``kl``."""
    import bayesmi as bm

    method = _check_method(method)
    params = _parse_params(params)
    _check_output(out, "--out")
    columns, picked = _load_columns(data, x, y, z)
    common = {"method": method, "seed": seed, "n_jobs": n_jobs, **params}
    common["progress"] = not (no_progress or quiet)
    with _run_quietly(quiet):
        if quantity == "kl":
            result = bm.kl_marginals(columns["x"], columns["y"], **common)
        else:
            result = bm.estimate(columns["x"], columns["y"], columns.get("z"), **common)
    _print_result(result, bits, quiet, picked, out)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bayesmi", prog_name="bayesmi")
def cli() -> None:
    """Mutual information with honest error bars: every estimate is a distribution.

    Figures are in nats unless --bits is given. Exit codes: 0 success, 2 bad usage,
    1 failure.
    """


@cli.command()
@_common_data_options
@_method_options
@click.option("--z", "z", default=None, help="Columns to condition on (conditional MI).")
@_fail_on_errors
def estimate(data, x, y, z, seed, n_jobs, bits, no_progress, quiet, method, params, out):
    """MI (or conditional MI with --z) between column groups of DATA.

    DATA is a .csv, .tsv, .parquet, .npy or .npz file.
    """
    _run_method("mi", data, x, y, z, seed, n_jobs, bits, no_progress, quiet, method, params, out)


@cli.command()
@_common_data_options
@_method_options
@_fail_on_errors
def kl(data, x, y, seed, n_jobs, bits, no_progress, quiet, method, params, out):
    """KL divergence KL(p_X || p_Y) between the distributions of two column groups of DATA."""
    _run_method("kl", data, x, y, None, seed, n_jobs, bits, no_progress, quiet, method, params, out)


@cli.command()
@_common_data_options
@click.option("--z", "z", default=None, help="Columns to condition on (conditional MI).")
@click.option(
    "--methods",
    default="gmm,ksg,bins",
    show_default=True,
    help="Comma-separated methods to run on the same data.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Also write an HTML report here."
)
@_fail_on_errors
def compare(data, x, y, z, seed, n_jobs, bits, no_progress, quiet, methods, output):
    """Run several methods on the same data and say whether they agree."""
    import bayesmi as bm

    names = [m.strip() for m in methods.split(",") if m.strip()]
    for m in names:
        _check_method(m)
    _check_output(output, "--output")
    columns, _ = _load_columns(data, x, y, z)
    with _run_quietly(quiet):
        comparison = bm.compare(
            columns["x"],
            columns["y"],
            columns.get("z"),
            methods=names,
            seed=0 if seed is None else seed,
            n_jobs=n_jobs,
            progress=not (no_progress or quiet),
        )
    click.echo(str(comparison.to("bits") if bits else comparison))
    if output:
        call = "bayesmi " + " ".join(sys.argv[1:]) if sys.argv[1:] else None
        written = comparison.report(output, call=call)
        if not quiet:
            click.echo(f"  report: {written['html']}")


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The HTML file; companions (netCDF, CSV) go beside it.",
)
@click.option("--title", default="bayesmi report", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@_fail_on_errors
def report(results, output, title, quiet):
    """An HTML report (and companions) of saved result files (--out or r.save())."""
    import bayesmi as bm

    _check_output(output, "--output")
    loaded = {}
    for p, name in zip(results, _distinct_names(results), strict=True):
        try:
            loaded[name] = bm.load(p)
        except Exception as err:
            why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            if "is not a bayesmi result file" in why:
                raise _Failure(why.removeprefix("load: ")) from err
            raise _Failure(f"{p} is not a bayesmi result file ({why}).") from err
    call = "bayesmi report " + " ".join(results) + f" -o {output}"
    written = bm.report(loaded, output, title=title, call=call)
    if not quiet:
        for kind, path in written.items():
            click.echo(f"{kind:>12}: {path}")


def _distinct_names(paths) -> list[str]:
    """One report name per result file: its stem, with its folders' names in front where two
    files share a stem (a/r.nc and b/r.nc become a_r and b_r), numbered if that is not enough."""
    import re

    def clean(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "result"

    parts = [Path(p).resolve().with_suffix("").parts for p in paths]
    names, depth = [], 1
    while depth <= max(len(p) for p in parts):
        names = [clean("_".join(p[-depth:])) for p in parts]
        if len(set(names)) == len(names):
            return names
        depth += 1
    return [f"{n}_{i + 1}" for i, n in enumerate(names)]


@cli.command()
def methods() -> None:
    """The methods: what each is and where its distribution comes from."""
    import bayesmi as bm

    table = bm.methods()
    for name, row in table.iterrows():
        click.echo(f"{name:10s} {row['class']:10s} draws: {row['kind']}\n    {row['summary']}")


@cli.command()
@click.argument("method")
def cite(method) -> None:
    """How to cite METHOD: the papers it implements."""
    import bayesmi as bm

    click.echo(bm.cite(_check_method(method)))


@cli.command()
@click.option("--rho", type=click.FloatRange(-1, 1, min_open=True, max_open=True), default=0.6)
@click.option("--n", type=click.IntRange(min=20), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Estimator seed.")
@click.option("--data-seed", type=int, default=1234, show_default=True)
@click.option("--out", default="bayesmi-demo.png", show_default=True, help="The plot file.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@click.option("-q", "--quiet", is_flag=True, help="Hide the progress bar.")
@_fail_on_errors
def demo(rho, n, seed, data_seed, out, no_progress, quiet) -> None:
    """Estimate MI on generated data of known MI (a correlated Gaussian); write a plot."""
    import logging

    import matplotlib

    # ArviZ asks for a "semibold" font that DejaVu lacks; matplotlib's fallback is fine.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import bayesmi as bm
    from bayesmi import truth
    from bayesmi.plotting import plot_cv_curve, plot_mixture

    _check_output(out, "--out")
    x, y, mi_true = truth.correlated_gaussian(rho, n, seed=data_seed)
    click.echo(f"data: correlated Gaussian, rho = {rho}, n = {n} (seed {data_seed})")
    click.echo(
        f"true I(X;Y) = -1/2 log(1 - rho^2) = {mi_true:.4f} nats = {mi_true / 0.6931472:.4f} bits"
    )
    r = bm.estimate(x, y, method="gmm", seed=seed, progress=not (no_progress or quiet))
    click.echo(f"estimate:   {r}")
    click.echo(f"            {r.to('bits')}")
    lo, hi = r.hdi(0.9)
    click.echo(f"the 90% HDI {'covers' if lo <= mi_true <= hi else 'does NOT cover'} the truth")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    r.plot(ax=axes[0], ref_val=float(mi_true))
    plot_mixture(r, x, y, ax=axes[1])
    plot_cv_curve(r, ax=axes[2])
    fig.tight_layout()
    from bayesmi._io import atomic_write

    path = atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    click.echo(f"plot written to {path}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 bad usage, 1 failure)."""
    try:
        cli.main(args=argv, prog_name="bayesmi", standalone_mode=False)
    except click.exceptions.Exit as err:
        return err.exit_code
    except click.ClickException as err:
        # One line, usage errors included: "bayesmi estimate: error: Invalid value for ...".
        ctx = getattr(err, "ctx", None)
        name = ctx.command_path if ctx is not None else "bayesmi"
        click.echo(f"{name}: error: {err.format_message()}", err=True)
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

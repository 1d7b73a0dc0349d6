"""Input checking and coercion shared by every estimator.

Every message names the caller, the argument and the problem, and says what to try.
A bad value raises ``ValueError``; a bad type raises ``TypeError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_array", "check_labels", "check_paired", "to_numpy"]


def to_numpy(a: Any, name: str, caller: str) -> np.ndarray:
    """Turn a list, numpy array, pandas object or torch tensor into a numpy array.

    torch is never imported here: a tensor is recognised by its type's module.
    """
    if a is None:
        raise TypeError(f"{caller}: {name} is None; pass an array of shape (n_samples, dim).")
    module = type(a).__module__
    if module.startswith("torch"):
        a = a.detach().cpu().numpy()
    elif module.startswith("pandas"):
        a = a.to_numpy()
    elif isinstance(a, str | bytes):
        raise TypeError(f"{caller}: {name} must be array-like, got a {type(a).__name__}.")
    try:
        return np.asarray(a)
    except Exception as err:  # ragged lists and the like
        raise TypeError(
            f"{caller}: {name} could not be read as an array ({err}); "
            "pass a numpy array, a list of rows, a pandas object or a torch tensor."
        ) from err


def check_array(
    a: Any,
    name: str = "x",
    *,
    caller: str = "bayesmi",
    min_samples: int = 2,
    allow_constant: bool = False,
) -> np.ndarray:
    """Check one variable and return it as a float64 array of shape (n_samples, dim).

    Parameters
    ----------
    a : array-like, shape (n_samples,) or (n_samples, dim)
        numpy array, list, pandas Series/DataFrame or torch tensor. 1-D becomes (n, 1).
    name : str
        The argument's name, used in error messages.
    caller : str
        The estimator or function that checks it, used in error messages.
    min_samples : int
        Fewest rows the caller can work with.
    allow_constant : bool
        Accept a column with a single value (off by default: it carries no information and
        makes covariance matrices singular).

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, dim)
    """
    arr = to_numpy(a, name, caller)
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{caller}: {name} must hold numbers, got dtype {arr.dtype} with values that "
                "are not numeric. Encode categories as integers, or pass them as labels where "
                "the method accepts categorical data."
            ) from err
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{caller}: {name} must be real-valued, got complex dtype {arr.dtype}. "
            "Pass the real and imaginary parts as separate columns."
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{caller}: {name} must hold numbers, got dtype {arr.dtype}.")
    if arr.ndim == 0:
        raise ValueError(
            f"{caller}: {name} must have shape (n_samples,) or (n_samples, dim), got a scalar."
        )
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim > 2:
        raise ValueError(
            f"{caller}: {name} must have shape (n_samples,) or (n_samples, dim), got "
            f"{arr.ndim} dimensions {arr.shape}. Flatten each sample to one row first "
            "(for images: x.reshape(len(x), -1)), or use a method with an encoder."
        )
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    n, dim = arr.shape
    if dim == 0:
        raise ValueError(f"{caller}: {name} has no columns (shape {arr.shape}).")
    if n < min_samples:
        raise ValueError(
            f"{caller}: {name} has {n} samples, fewer than the {min_samples} this method "
            "needs. Collect more data or choose a method that needs fewer samples."
        )
    finite = np.isfinite(arr)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        what = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(
            f"{caller}: {name} contains {what} values in {bad_rows.size} rows "
            f"(first at row {bad_rows[0]}). Drop or impute those rows in x, y and z together."
        )
    if not allow_constant:
        constant = np.flatnonzero(np.ptp(arr, axis=0) == 0)
        if constant.size:
            raise ValueError(
                f"{caller}: {name} has a constant column (column {constant[0]}): it carries "
                "no information and makes the estimate ill-defined. Remove that column."
            )
    return arr


def check_labels(a: Any, name: str = "y", *, caller: str = "bayesmi") -> np.ndarray:
    """Check a categorical variable and return integer codes 0..n_classes-1, shape (n,).

    Any hashable labels are accepted (strings, integers, booleans); NaN is refused.
    """
    arr = to_numpy(a, name, caller)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{caller}: {name} as labels must have shape (n_samples,), got {arr.shape}."
        )
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{caller}: {name} contains NaN or inf labels; drop those rows.")
    if arr.dtype.kind == "O" and any(v is None for v in arr):
        raise ValueError(f"{caller}: {name} contains missing (None) labels; drop those rows.")
    _, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.intp)


def check_paired(
    x: Any,
    y: Any,
    z: Any = None,
    *,
    caller: str = "bayesmi",
    min_samples: int = 2,
    y_labels: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Check x, y and optional z together: each valid on its own, and of one length.

    Returns float64 arrays shaped (n_samples, dim); ``y`` is integer codes of shape (n,)
    when ``y_labels`` is true.
    """
    x = check_array(x, "x", caller=caller, min_samples=min_samples)
    if y_labels:
        y = check_labels(y, "y", caller=caller)
    else:
        y = check_array(y, "y", caller=caller, min_samples=min_samples)
    if z is not None:
        z = check_array(z, "z", caller=caller, min_samples=min_samples)
    lengths = {"x": len(x), "y": len(y)} | ({} if z is None else {"z": len(z)})
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"{k} with {v}" for k, v in lengths.items())
        raise ValueError(
            f"{caller}: x, y{', z' if z is not None else ''} must have the same number of rows; "
            f"got {got}. Pass paired samples, one row per observation."
        )
    return x, y, z


def check_positive_int(value: Any, name: str, *, caller: str, minimum: int = 1) -> int:
    """Check an integer hyperparameter."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{caller}: {name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{caller}: {name} must be >= {minimum}, got {value}.")
    return int(value)


def check_nonnegative(value: Any, name: str, *, caller: str) -> float:
    """Check a real hyperparameter that must be >= 0 (NaN and booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{caller}: {name} must be a non-negative number, got {value!r}.")
    return float(value)


def check_choice(value: Any, name: str, choices: tuple[str, ...], *, caller: str) -> str:
    """Check a string option against its allowed values."""
    if value not in choices:
        raise ValueError(f"{caller}: {name} must be one of {choices}, got {value!r}.")
    return value


def resolve_device(device: str, caller: str) -> str:
    """The torch device a ``device`` argument names: "auto" takes "cuda" when torch sees a GPU,
    else "cpu"; "cuda" without one is an error naming ``caller``. Imports torch."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"{caller}: device='cuda' but torch sees no CUDA device; use "
            "device='cpu', or 'auto' to take a GPU when there is one."
        )
    return device

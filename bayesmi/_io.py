"""Writing files: the one atomic write that every file bayesmi writes goes through.

- A file is written to a temporary name beside its target (``.<name>.<pid>.<random>.tmp``, hidden)
  and renamed over the target only once complete (``os.replace``, atomic on POSIX and Windows),
  so a reader sees the old file or the new one, never half of one.
- Modes: a new file gets the mode the user's umask gives (``0o666 & ~umask``, as ``open`` would);
  a replaced file keeps its own mode (``tempfile`` alone would make every file 0600).
- A write killed before its rename leaves its temporary behind; the next write to the same target
  removes temporaries whose writing process no longer runs (the pid is in the name), so they
  never pile up, and never removes one that a live process is still writing (a report's next
  write removes those of all its companions, ``clean_orphans(page, companions=True)``).
- :func:`check_writable` answers before a long computation whether its output can be written.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "atomic_write",
    "atomic_write_set",
    "check_writable",
    "clean_orphans",
    "new_file_mode",
    "recover",
    "write_netcdf",
]


def new_file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``)."""
    try:  # Linux: read it without changing it (os.umask is process-wide, not thread-safe).
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: leave its file alone
    return True


def clean_orphans(path: str | os.PathLike, *, companions: bool = False) -> list[str]:
    """Remove the temporaries of ``path`` left by writers that no longer run; returns their
    names. ``companions``: also those of every ``<stem>_<anything>`` beside it (a report's
    companion files: a later report of other results does not write, and so would not clean,
    the companions of a result it no longer holds)."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    name = re.escape(path.name)
    if companions:
        name = rf"(?:{name}|{re.escape(path.with_suffix('').name)}_[^/]+)"
    pattern = re.compile(rf"^\.{name}\.(\d+)\.[^.]+\.tmp$")
    removed = []
    for entry in path.parent.iterdir():
        m = pattern.match(entry.name)
        if m and not _pid_alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry.name)
    return removed


def temporary_for(path: Path) -> Path:
    """A new, empty temporary file beside ``path`` named for this process."""
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    os.close(fd)
    return Path(tmp)


def _seal(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the target's mode (its own if it exists, else the umask's) and flush it to
    disk, ready to be renamed over ``path``."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = new_file_mode()
    os.chmod(tmp, mode)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())


def _fill(tmp: Path, content) -> None:
    if isinstance(content, bytes | bytearray):
        tmp.write_bytes(content)
    else:
        content(str(tmp))


def atomic_write(path: str | os.PathLike, content: bytes | Callable[[str], object]) -> str:
    """Write ``path`` atomically: ``content`` is the bytes, or a function that writes the file
    whose path it is given (``lambda p: ds.to_netcdf(p)``). Returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_orphans(path)
    tmp = temporary_for(path)
    try:
        _fill(tmp, content)
        _seal(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return str(path)


def write_netcdf(data, path: str | os.PathLike, **kwargs) -> str:
    """Write an xarray Dataset or an ArviZ InferenceData (anything with ``to_netcdf``) to
    ``path`` atomically (:func:`atomic_write`); ``kwargs`` go to ``to_netcdf``."""
    return atomic_write(path, lambda tmp: data.to_netcdf(tmp, **kwargs))


def check_writable(path: str | os.PathLike, what: str) -> None:
    """Raise ``ValueError`` naming ``what`` (an option or argument) when ``path`` cannot be
    written: it is a folder, or its folder (or the nearest one that exists, where the folders
    would be created) cannot be written to."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what}: {str(path)!r} is a folder; give a file name.")
    parent = path.parent if str(path.parent) else Path(".")
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{what}: cannot write {str(path)!r}: {str(parent)!r} is not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(
            f"{what}: cannot write {str(path)!r}: no permission to write in {str(parent)!r}. "
            "Choose another path."
        )


def _journal(path: Path) -> Path:
    return path.with_name(f".{path.name}.pending")


def recover(path: str | os.PathLike) -> bool:
    """Finish a set of files that :func:`atomic_write_set` began for ``path`` (its last file)
    and a kill interrupted while renaming: every file still at its temporary name is renamed into
    place, so the set is whole and new. Returns True if there was a set to finish."""
    import json

    path = Path(path)
    journal = _journal(path)
    if not journal.exists():
        return False
    try:
        pending = json.loads(journal.read_text())
    except (OSError, ValueError):
        pending = []  # a journal is complete or absent (it is itself written atomically)
    for tmp, target in pending:
        if Path(tmp).exists():
            os.replace(tmp, target)
    journal.unlink(missing_ok=True)
    return True


def atomic_write_set(
    items: list[tuple[str | os.PathLike, bytes | Callable[[str], object]]],
    hashes: dict[str, str] | None = None,
) -> None:
    """Write several files as one: each (path, content) as in :func:`atomic_write`, all to
    temporary names first; then a journal listing the renames is written (atomically), the files
    are renamed into place with the last one (the page that refers to the others) last, and the
    journal removed. A kill before the journal leaves every old file; a kill after it leaves a
    set that :func:`recover` (called by the next write of the set, or by a reader) completes.

    ``hashes``: a dict filled with the SHA-256 of each file as it is written (file name to hex
    digest), so that a later file's content function (the page) can record its companions'.
    """
    import hashlib
    import json

    paths = [Path(p) for p, _ in items]
    last = paths[-1]
    recover(last)
    temps: list[Path] = []
    try:
        for path, (_, content) in zip(paths, items, strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            clean_orphans(path)
            tmp = temporary_for(path)
            temps.append(tmp)
            _fill(tmp, content)
            _seal(tmp, path)
            if hashes is not None:
                hashes[path.name] = hashlib.sha256(tmp.read_bytes()).hexdigest()
        pending = [[str(t), str(p)] for t, p in zip(temps, paths, strict=True)]
        atomic_write(_journal(last), json.dumps(pending).encode())
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    recover(last)

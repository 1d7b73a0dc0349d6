"""Files: written atomically with the user's modes, never lost or mixed when killed, no orphaned
temporaries, and no workers left computing after their parent died (issue 18, part 3)."""

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi import _io
from bayesmi.report import verify
from bayesmi.result import MIResult


def result(seed: int) -> MIResult:
    rng = np.random.default_rng(seed)
    return MIResult(rng.normal(0.3, 0.02, (1, 40)), kind="bootstrap", method="bins")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def write_all(folder: Path, seed: int) -> list[Path]:
    """Every kind of file bayesmi writes: a result, a matrix, a report and its companions."""
    r = result(seed)
    r.save(folder / "r.nc")
    frame = pd.DataFrame(np.random.default_rng(seed).standard_normal((60, 2)), columns=["a", "b"])
    bm.mi_matrix(frame, method="bins", seed=0, progress=False, n_draws=3).save(folder / "m.nc")
    bm.report({"one": r}, folder / "p.html")
    return [folder / n for n in ("r.nc", "m.nc", "p.html", "p_one.nc", "p_summary.csv")]


def test_new_files_take_the_umask_mode_replaced_files_keep_theirs(tmp_path, umask):
    # Issue 18, part 3: every file was 0600 whatever the umask, and a 0644 file became 0600.
    umask(0o022)
    files = write_all(tmp_path, 0)
    assert {p.name: mode(p) for p in files} == {p.name: 0o644 for p in files}
    umask(0o077)
    (tmp_path / "fresh").mkdir()
    fresh = write_all(tmp_path / "fresh", 0)
    assert {mode(p) for p in fresh} == {0o600}
    for p in files:
        os.chmod(p, 0o640)
    write_all(tmp_path, 1)
    assert {p.name: mode(p) for p in files} == {p.name: 0o640 for p in files}


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)


def test_orphans_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead, live = dead_pid(), os.getppid()
    orphan = tmp_path / f".r.nc.{dead}.abc123.tmp"
    busy = tmp_path / f".r.nc.{live}.def456.tmp"
    other = tmp_path / f".q.nc.{dead}.abc123.tmp"
    for p in (orphan, busy, other):
        p.write_bytes(b"half")
    result(0).save(tmp_path / "r.nc")
    assert not orphan.exists() and busy.exists() and other.exists()


def test_a_report_removes_the_orphans_of_companions_it_no_longer_writes(tmp_path):
    # A report of "a" and "b" killed while writing r_b.nc, then a report of "a" alone: r_b.nc's
    # temporary was left for good (seen once in the kill test below).
    dead, live = dead_pid(), os.getppid()
    orphan = tmp_path / f".r_b.nc.{dead}.abc123.tmp"
    busy = tmp_path / f".r_b.nc.{live}.def456.tmp"
    other = tmp_path / f".rb_b.nc.{dead}.abc123.tmp"  # another page's companion
    for p in (orphan, busy, other):
        p.write_bytes(b"half")
    bm.report({"a": result(0)}, tmp_path / "r.html")
    assert not orphan.exists() and busy.exists() and other.exists()
    assert verify(tmp_path / "r.html") == []


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    import bayesmi as bm
    from bayesmi.result import MIResult
    folder = Path(sys.argv[1])
    sets = [
        {name: MIResult(np.random.default_rng(s + k).normal(0.3, 0.02, (1, 40)),
                        kind="bootstrap", method="bins") for k, name in enumerate("ab")}
        for s in (0, 100)
    ]
    print("ready", flush=True)
    i = 0
    while True:
        bm.report(sets[i % 2], folder / "r.html")
        sets[i % 2]["a"].save(folder / "s.nc")
        i += 1
    """
)


def test_killed_writers_leave_whole_sets_and_no_orphans(tmp_path):
    # Issue 18, part 3: a killed report left the page of one run with the companions of another
    # (24 of 30 kills), and killed saves left their temporaries (40 after 40 kills). 3 writers
    # at a time, each killed at a random moment of its loop, twice over.
    rng = random.Random(0)
    folders = [tmp_path / f"w{i}" for i in range(3)]
    for f in folders:
        f.mkdir()
    kills = 0
    for _ in range(2):
        children = [
            subprocess.Popen(
                [sys.executable, "-c", CHILD, str(f)], stdout=subprocess.PIPE, text=True
            )
            for f in folders
        ]
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        start = time.monotonic()
        times = [rng.uniform(0.3, 3.0) for _ in children]
        for at, child in sorted(zip(times, children, strict=True), key=lambda pair: pair[0]):
            time.sleep(max(0.0, start + at - time.monotonic()))
            child.send_signal(signal.SIGKILL)
            child.wait()
            kills += 1
        for f in folders:
            if (f / "r.html").exists():
                assert verify(f / "r.html") == [], f
            if (f / "s.nc").exists():
                bm.load(f / "s.nc")  # never half a file
    assert kills == 6
    for f in folders:  # the next writes finish or clear whatever the kills left
        bm.report({"a": result(1)}, f / "r.html")
        result(1).save(f / "s.nc")
        left = [p.name for p in f.iterdir() if p.name.endswith((".tmp", ".pending"))]
        assert left == [], left


def test_workers_stop_when_their_parent_is_killed(tmp_path):
    # Issue 18, part 3: loky workers kept computing for more than a minute after their parent
    # was killed; each now watches its parent and ends within PARENT_POLL_S of its death.
    script = textwrap.dedent(
        f"""
        import os, time
        from bayesmi.resampling import run_parallel
        def task(t):
            open(os.path.join({str(tmp_path)!r}, f"worker-{{os.getpid()}}"), "w").close()
            end = time.time() + 120
            while time.time() < end:
                pass
        run_parallel(task, range(4), n_jobs=2, progress=False)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("worker-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        assert len(pids) == 2
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(map(running, pids)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(running, pids))
    finally:
        parent.kill()
        for pid in pids if "pids" in locals() else []:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def running(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie awaiting its reaper counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_check_writable_names_the_option(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match=r"--out: cannot write '.*file/r.nc': '.*file' is not a"):
        _io.check_writable(blocker / "r.nc", "--out")
    with pytest.raises(ValueError, match=r"--out: '.*' is a folder; give a file name"):
        _io.check_writable(tmp_path, "--out")
    _io.check_writable(tmp_path / "new" / "deeper" / "r.nc", "--out")  # folders to be made


#: A process whose ArviZ import loses the daily-stamp race: another process moves ArviZ's one
#: temporary file into place first, as two pytest-xdist workers did on CI's first run of a day.
RACING_IMPORT = """
import pathlib

real = pathlib.Path.replace


def racing(self, target):
    if self.name == "daily_warning.tmp":
        real(self, target)  # the other process's move
        raise FileNotFoundError(2, "No such file or directory", str(self), None, str(target))
    return real(self, target)


pathlib.Path.replace = racing
from bayesmi.arviz_io import _az

print(_az().__name__)
import pymc  # imports ArviZ too: already there

print(pymc.__name__)
"""


def test_arviz_imports_although_another_process_wrote_its_daily_stamp(tmp_path):
    pytest.importorskip("pymc")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}  # no stamp yet: ArviZ writes one
    done = subprocess.run(
        [sys.executable, "-c", RACING_IMPORT], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["arviz", "pymc"]
    assert (tmp_path / "arviz" / "daily_warning").read_text().strip() != ""

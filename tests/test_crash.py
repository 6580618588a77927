"""All or nothing, for real (issue 14): a run killed with SIGKILL at any point leaves either no run
or a complete one, and the next run completes with the same results as an undisturbed one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _start(inbox: Path, out: Path, db: Path, pause: str | None = None, marker: Path | None = None):
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("RECONCILE_PAUSE_AT", None)
    if pause:
        env.update(RECONCILE_PAUSE_AT=pause, RECONCILE_PAUSE_FILE=str(marker))
    return subprocess.Popen([sys.executable, "-m", "reconcile", "run", "--inbox", str(inbox), "--out", str(out),
                             "--as-of", "2023-10-25", "--db", f"sqlite:///{db}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)


def _completed(db: Path) -> list[str]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            return [r[0] for r in conn.execute("select run_id from runs where status = 'completed'")]
        except sqlite3.OperationalError:   # killed before the schema was made
            return []


def _prefect_states(db: Path) -> list[str]:
    """The states Prefect's local database keeps for the flow runs of this warehouse (each run
    tags itself with the warehouse's key; its URL is never a parameter)."""
    import warehouse

    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
    with sqlite3.connect(home / "prefect.db") as conn:
        rows = conn.execute("select state_type, parameters from flow_run where tags like ?",
                            (f"%warehouse-{warehouse.key(f'sqlite:///{db}')}%",)).fetchall()
    assert not any(str(db) in parameters for _, parameters in rows)
    return [state for state, _ in rows]


def _consistent(out: Path, db: Path) -> None:
    folders = [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
    for f in folders:   # no run folder without its three files
        assert {"matches.csv", "discrepancies.csv", "summary.json"} <= {p.name for p in f.iterdir()}, f
    for run_id in _completed(db):   # no completed run without its folder
        assert (out / run_id).is_dir(), run_id


def _sorted(run: Path, name: str) -> pd.DataFrame:
    f = pd.read_csv(run / name, dtype=str, keep_default_na=False)
    return f.sort_values(list(f.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def undisturbed(small_clean_city, tmp_path_factory) -> Path:
    """The same inbox run once, never killed: what every recovered run must agree with."""
    where = tmp_path_factory.mktemp("undisturbed")
    ref = _start(small_clean_city / "inbox", where / "out", where / "wh.sqlite")
    stdout, _ = ref.communicate(timeout=300)
    assert ref.returncode == 0
    return Path(stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("point", ["read", "rename", "store"])
def test_a_run_killed_anywhere_leaves_no_run_or_a_complete_one(small_clean_city, undisturbed, tmp_path, point):
    inbox = small_clean_city / "inbox"
    out, db, marker = tmp_path / "out", tmp_path / "wh.sqlite", tmp_path / "paused"
    proc = _start(inbox, out, db, point, marker)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert proc.poll() is None, f"the run ended before reaching {point}"
        assert time.monotonic() < deadline, f"the run never reached {point}"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)   # the run and its temporary Prefect server
    proc.wait()
    _consistent(out, db)
    assert not _completed(db)
    # the next run completes, removes what the killed one left half-written, and agrees with an
    # undisturbed run of the same inbox
    again = _start(inbox, out, db)
    stdout, _ = again.communicate(timeout=300)
    assert again.returncode == 0
    run = Path(stdout.strip().splitlines()[-1])
    _consistent(out, db)
    assert _completed(db) == [run.name]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]      # no stale partial folder
    # the killed run no longer shows as running in Prefect: the next run marked it crashed
    assert sorted(_prefect_states(db)) == ["COMPLETED", "CRASHED"]
    # private by default: the warehouse and everything in the run folder are the owner's alone
    for p in [db, run, *run.rglob("*")]:
        assert p.stat().st_mode & 0o077 == 0, (p, oct(p.stat().st_mode))
    for name in ("matches.csv", "discrepancies.csv"):
        pd.testing.assert_frame_equal(_sorted(run, name), _sorted(undisturbed, name))


def test_ctrl_c_stops_a_run_within_seconds_and_marks_it_failed(small_clean_city, tmp_path):
    """Ctrl-C (SIGINT) mid-run, when the run folder is written and the store is next: exit 130
    within 10 s, one line saying so, the run failed (not completed) in the warehouse, and its run
    folder taken back."""
    out, db, marker = tmp_path / "out", tmp_path / "wh.sqlite", tmp_path / "paused"
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "RECONCILE_PAUSE_AT": "store",
           "RECONCILE_PAUSE_FILE": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "reconcile", "run", "--inbox", str(small_clean_city / "inbox"),
                             "--out", str(out), "--as-of", "2023-10-25", "--db", f"sqlite:///{db}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - started < 10, (proc.returncode, err[-1000:])
    assert "interrupted" in err.strip().splitlines()[-1] and "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("select status from runs")] == ["failed"]
    assert not out.exists() or not [p for p in out.iterdir()]

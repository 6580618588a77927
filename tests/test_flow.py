"""End to end: real Prefect flow runs on generated inboxes, checked against their ground truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

import warehouse
from bench.scoring import score_run

ROOT = Path(__file__).resolve().parent.parent


def _as_of(city: Path) -> str:
    return json.loads((city / "truth" / "meta.json").read_text())["as_of"]


def _run_flow(city: Path, tmp_path: Path) -> Path:
    from flows.nightly import reconcile

    with warehouse.using(f"sqlite:///{tmp_path / 'wh.sqlite'}"):
        path = reconcile(inbox=str(city / "inbox"), out=str(tmp_path / "out"), as_of=_as_of(city))
    return Path(path)


def test_clean_city_run_agrees_with_truth(prefect_harness, small_clean_city, tmp_path):
    import gc

    import parallel

    gc.set_threshold(700, 10, 10)   # CPython's: the flow sets its own (parallel.collect_less)
    run = _run_flow(small_clean_city, tmp_path)
    assert gc.get_threshold() == parallel.GC_THRESHOLDS
    matches = pd.read_csv(run / "matches.csv", dtype=str, keep_default_na=False)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    # one row per person-row of the current submissions, and counts that reconcile
    result = score_run(run, small_clean_city / "truth")
    assert result["same_rows"], result
    assert len(matches) == result["rows_truth"]
    rows = summary["rows"]
    assert rows["read"] == len(matches) == rows["matched"] + rows["review"] + rows["unmatched"] + rows["invalid"]
    findings = pd.read_csv(run / "discrepancies.csv", dtype=str, keep_default_na=False)
    assert summary["findings"] == findings["code"].value_counts().to_dict()
    assert set(summary["seconds"]) >= {"read", "validate", "link", "findings", "store", "report", "total"}
    # the findings the ground truth expects
    assert result["precision"] >= 0.999, result
    assert result["recall"] >= 0.99, result
    weak = {c: v for c, v in result["per_code"].items() if v["f1"] < 0.95}
    assert not weak, (weak, result["missing_findings"], result["extra_findings"])


def test_varied_city_loses_no_row(prefect_harness, small_city, tmp_path):
    run = _run_flow(small_city, tmp_path)
    result = score_run(run, small_city / "truth")
    assert result["same_rows"], (result["rows_truth"], result["rows_run"])
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    meta = json.loads((small_city / "truth" / "meta.json").read_text(encoding="utf-8"))
    assert {r["source"] for r in summary["files"]["rejected"]} >= {r["source"] for r in meta.get("rejected", [])}
    assert {(s["source"], s["sheet"]) for s in summary["files"]["superseded"]} == \
        {(s["source"], s["sheet"]) for s in meta.get("superseded", [])}


def _cli(*args: str, env_extra: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "reconcile", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, timeout=600)


def test_cli_without_identity_export_fails_cleanly(tmp_path):
    from tests.workbooks import minimal_inbox

    inbox = minimal_inbox(tmp_path / "inbox")
    (inbox / "identity" / "export.csv").unlink()
    out = tmp_path / "out"
    proc = _cli("run", "--inbox", str(inbox), "--out", str(out), "--db", f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no identity export" in lines[0]
    assert not out.exists() and not (tmp_path / "w.sqlite").exists()


def test_cli_on_missing_inbox_fails_cleanly(tmp_path):
    proc = _cli("run", "--inbox", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "inbox folder not found" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_run_prints_the_run_folder_last(small_clean_city, tmp_path):
    """The real command, in its own process, on Prefect's ephemeral API."""
    out = tmp_path / "out"
    proc = _cli("run", "--inbox", str(small_clean_city / "inbox"), "--out", str(out), "--as-of", _as_of(small_clean_city),
                "--db", f"sqlite:///{tmp_path / 'w.sqlite'}", env_extra={"PREFECT_HOME": str(tmp_path / "prefect")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert Path(last).is_dir() and Path(last).parent == out
    assert {p.name for p in Path(last).iterdir()} >= {"matches.csv", "discrepancies.csv", "summary.json"}
    # personal data stays out of what the process logs
    ids = pd.read_csv(Path(last) / "matches.csv", dtype=str, keep_default_na=False)["identity_id"]
    logged = proc.stdout + proc.stderr
    assert not any(i and i in logged for i in ids)


def test_flow_run_on_postgresql(prefect_harness, small_clean_city, tmp_path, postgres_url):
    """The production warehouse: a real flow run stores into a real PostgreSQL."""
    from flows.nightly import reconcile

    with warehouse.using(postgres_url):
        path = Path(reconcile(inbox=str(small_clean_city / "inbox"), out=str(tmp_path / "out"),
                              as_of=_as_of(small_clean_city)))
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    hist = warehouse.history(postgres_url)
    assert set(hist["run_id"]) == {summary["run_id"]}
    assert hist.set_index("ward_code")["activated"].to_dict() == {
        w: v["activated"] for w, v in summary["wards"].items()}


def test_the_example_inbox_of_the_docs_is_accepted_whole(prefect_harness, tmp_path):
    """docs/inbox.md's example (examples/inbox/) runs: every file read, every row matched, and
    the findings the page's tables lead a reader to expect."""
    from flows.nightly import reconcile

    with warehouse.using(f"sqlite:///{tmp_path / 'wh.sqlite'}"):
        run = Path(reconcile(inbox=str(ROOT / "examples" / "inbox"), out=str(tmp_path / "out")))
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert not summary["files"]["rejected"] and summary["rows"]["read"] == summary["rows"]["matched"] == 7
    found = pd.read_csv(run / "discrepancies.csv", dtype=str, keep_default_na=False)
    assert sorted(found["code"]) == sorted(["STATUS_OVERSTATED", "PHONE_MISMATCH", "ID_MISSING", "NOT_LISTED",
                                            "NOT_LISTED", "GROUP_UNASSIGNED", "CADRE_NOT_ACTIVATED",
                                            "STAFF_NOT_ACTIVATED"])


def test_each_mistake_a_user_can_make_ends_in_one_line_and_exit_2(small_clean_city, tmp_path):
    """Checked before the flow starts: exit 2, one line that says what to do, no traceback,
    nothing written."""
    (tmp_path / "a_file").write_text("x")
    inbox = str(small_clean_city / "inbox")
    ok_db = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    cases = {
        "inbox is a file": (["--inbox", str(tmp_path / "a_file"), "--out", str(tmp_path / "o")], "is a file"),
        "out is a file": (["--inbox", inbox, "--out", str(tmp_path / "a_file"), "--db", ok_db], "is a file"),
        "malformed URL": (["--inbox", inbox, "--out", str(tmp_path / "o"), "--db", "postgresql://x@:port/db"],
                          "not a database URL"),
        "not a URL": (["--inbox", inbox, "--out", str(tmp_path / "o"), "--db", "warehouse"], "not a database URL"),
        "database down": (["--inbox", inbox, "--out", str(tmp_path / "o"), "--db",
                           "postgresql+psycopg://nobody:secret@127.0.0.1:1/db"], "cannot reach"),
        "no Dask scheduler": (["--inbox", inbox, "--out", str(tmp_path / "o"), "--db", ok_db,
                               "--dask", "tcp://127.0.0.1:1"], "cannot reach a Dask scheduler"),
    }
    for what, (args, says) in cases.items():
        done = _cli("run", *args)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2, (what, done.stderr[-500:])
        assert len(lines) == 1 and says in lines[0] and "Traceback" not in done.stderr, (what, done.stderr)
        assert "secret" not in done.stderr
        assert not (tmp_path / "o").exists(), what                       # nothing written
        assert not (tmp_path / "wh.sqlite").exists(), what


def test_run_and_history_share_one_warehouse_whatever_folder_they_run_in(tmp_path):
    """No --db: `run` from one folder, `history` from another read the same documented warehouse
    (issue 13); `history` on a machine with none says where it looked and creates nothing."""
    data = tmp_path / "data"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    env = {"XDG_DATA_HOME": str(data), "RECONCILE_DB": "", "PREFECT_HOME": str(tmp_path / "prefect")}
    done = _cli("run", "--inbox", str(ROOT / "examples" / "inbox"), "--out", "out", env_extra=env, cwd=tmp_path / "a")
    assert done.returncode == 0, done.stderr[-2000:]
    run_id = Path(done.stdout.strip().splitlines()[-1]).name
    assert (data / "vneid-reconcile" / "warehouse.sqlite").is_file()
    assert not list((tmp_path / "a").glob("*.sqlite"))
    seen = _cli("history", env_extra=env, cwd=tmp_path / "b")
    assert seen.returncode == 0 and run_id in seen.stdout, seen.stderr
    assert not list((tmp_path / "b").iterdir())

    elsewhere = {**env, "XDG_DATA_HOME": str(tmp_path / "empty")}
    none = _cli("history", env_extra=elsewhere, cwd=tmp_path / "b")
    assert none.returncode == 0 and none.stdout == ""
    assert "no completed runs yet in the warehouse sqlite:///" in none.stderr
    assert str(tmp_path / "empty" / "vneid-reconcile" / "warehouse.sqlite") in none.stderr
    assert not (tmp_path / "empty").exists()


def test_history_into_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess

    db = f"sqlite:///{tmp_path / 'none.sqlite'}"
    done = subprocess.run(f"{sys.executable} -m reconcile history --csv --db {db} | head -0", shell=True,
                          cwd=ROOT, capture_output=True, text=True)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert not (tmp_path / "none.sqlite").exists()                       # history never creates a warehouse

"""The nightly deployment, end to end, as scripts/serve-nightly sets it up (issue 13): a Prefect
server on PostgreSQL, a process work pool and worker, `prefect deploy` from this checkout, one run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "serve-nightly"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_serve_nightly_deploys_runs_once_and_stops_what_it_started(postgres_url, tmp_path):
    prefect_db = sa.make_url(postgres_url).set(drivername="postgresql+asyncpg")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db.render_as_string(hide_password=False),
           "RECONCILE_DB": "", "PREFECT_API_URL": ""}
    out = tmp_path / "out"
    done = subprocess.run(["bash", str(SCRIPT), "--once", "--inbox", str(ROOT / "examples" / "inbox"),
                           "--out", str(out), "--port", str(port)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=420)
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in (tmp_path / "prefect" / "serve-nightly").glob("*.log"))
    assert done.returncode == 0, done.stderr[-2000:] + logs

    # the worker ran the flow from this checkout, into the folder given, on the default warehouse
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1 and (runs[0] / "summary.json").is_file()
    history = subprocess.run([sys.executable, "-m", "reconcile", "history"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert runs[0].name in history.stdout, history.stderr

    # what Prefect keeps: a completed run whose parameters are only paths and dates; the code is
    # pulled from this checkout, with no environment variable in the deployment
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        flow_runs = conn.execute(sa.text("select parameters, state_type from flow_run")).all()
        pull = conn.execute(sa.text("select pull_steps from deployment where name = 'nightly'")).scalar_one()
    engine.dispose()
    states = sorted(r.state_type for r in flow_runs)   # one run now, the next nights' scheduled
    assert states.count("COMPLETED") == 1 and set(states) == {"COMPLETED", "SCHEDULED"}, states
    for r in flow_runs:
        assert set(r.parameters) <= {"inbox", "out", "as_of", "campaign"}
        assert r.parameters["out"] == str(out)
    assert pull == [{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]

    # it stopped what it started
    assert not _listening(port)
    left = subprocess.run(["pgrep", "-f", f"serve-nightly-{port}|--port {port}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", left.stdout


def test_serve_nightly_without_a_postgresql_for_prefect_says_so_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_SERVER_DATABASE_CONNECTION_URL"}
    done = subprocess.run(["bash", str(SCRIPT), "--once", "--inbox", str(ROOT / "examples" / "inbox")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PREFECT_SERVER_DATABASE_CONNECTION_URL=postgresql+asyncpg://" in lines[0]

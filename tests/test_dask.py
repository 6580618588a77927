"""The same flow on Dask (issue 15): prefect-dask's DaskTaskRunner on a LocalCluster of two worker
processes reads the inbox by file, links by partitions of whole wards and writes the reports by
ward on its workers, and every output is the same as the default run's."""

from __future__ import annotations

import json
from pathlib import Path

import warehouse
from bench.scoring import sorted_csv
from flows import nightly
from reconcile import stages


def test_a_dask_local_cluster_gives_the_same_results(prefect_harness, small_city, tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect_dask import DaskTaskRunner

    as_of = json.loads((small_city / "truth" / "meta.json").read_text())["as_of"]
    with warehouse.using(f"sqlite:///{tmp_path / 'default.sqlite'}"):
        default = Path(nightly.reconcile(inbox=str(small_city / "inbox"), out=str(tmp_path / "default"), as_of=as_of))

    monkeypatch.setenv("RECONCILE_PARTITION_ROWS", "1")   # linkage: every ward a partition
    monkeypatch.setattr(stages, "EARLY_EXPORT_RECORDS", 1)  # the export stored ahead, by a worker of the cluster
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                            "dashboard_address": None})
    on_dask = nightly.reconcile.with_options(task_runner=runner)
    with warehouse.using(f"sqlite:///{tmp_path / 'dask.sqlite'}"):
        state = on_dask(inbox=str(small_city / "inbox"), out=str(tmp_path / "dask"), as_of=as_of, return_state=True)
    dask = Path(state.result())

    assert default.name == dask.name
    for name in ("matches.csv", "discrepancies.csv", "units.csv", "cadres.csv", "people.csv", "households.csv"):
        assert sorted_csv(dask / name) == sorted_csv(default / name), name
    ward_books = sorted(p.name for p in (default / "bao_cao").iterdir())
    assert sorted(p.name for p in (dask / "bao_cao").iterdir()) == ward_books and len(ward_books) > 2
    notices = sorted(p.relative_to(default) for p in (default / "thong_bao").rglob("*.docx"))
    assert sorted(p.relative_to(dask) for p in (dask / "thong_bao").rglob("*.docx")) == notices

    # the partitioned work ran as task runs on the cluster's two workers
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    names = [r.name for r in runs]
    assert any(n.startswith("read_one[") for n in names), names
    for linkage_pass in ("partition_m_counts[", "partition_best["):   # every ward a partition, two passes
        assert sum(n.startswith(linkage_pass) for n in names) >= 2, names
    assert sum(n.startswith("write_ward[") for n in names) == len(ward_books) - 1   # all but the city's
    assert names.count("store_export[1]") == 1   # the export's snapshot, stored ahead by a worker
    import sqlite3
    with sqlite3.connect(tmp_path / "dask.sqlite") as db:   # the one snapshot, the run's
        assert db.execute("select count(*) from identity_exports").fetchone()[0] == 1
        assert db.execute("select count(*) from runs where identity_export_id = "
                          "(select id from identity_exports)").fetchone()[0] == 1
    assert all(r.state_type.value == "COMPLETED" for r in runs)
    assert len(nightly.WORKER_PEAKS_MB) == 2 and all(v > 0 for v in nightly.WORKER_PEAKS_MB.values())


def test_the_command_line_runs_on_a_local_cluster_with_the_same_results(tmp_path):
    """`reconcile run --dask` as a user types it: a local cluster started for the run, the same
    outputs as without, each worker's peak memory reported."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    runs = {}
    for name, extra in (("default", []), ("dask", ["--dask"])):
        timings = tmp_path / f"{name}.json"
        done = subprocess.run([sys.executable, "-m", "reconcile", "run", "--inbox", str(root / "examples" / "inbox"),
                               "--out", str(tmp_path / name), "--db", f"sqlite:///{tmp_path / name}.sqlite", *extra],
                              env={**os.environ, "RECONCILE_TIMINGS": str(timings)}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[name] = (Path(done.stdout.strip().splitlines()[-1]), json.loads(timings.read_text()))
    (default, _), (dask, timings) = runs["default"], runs["dask"]
    for name in ("matches.csv", "discrepancies.csv", "units.csv", "cadres.csv", "people.csv", "households.csv"):
        assert sorted_csv(dask / name) == sorted_csv(default / name), name
    assert len(timings["dask_worker_peaks_mb"]) >= 1
    # core-seconds by stage (idle, the flow's process, the processes it started: the cluster's)
    cores = timings["stage_cores_s"]
    assert list(cores) == ["read", "validate", "link", "findings", "report", "store"]
    assert sum(others for _, _, others in cores.values()) > 0 and sum(flow for _, flow, _ in cores.values()) > 0

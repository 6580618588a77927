"""The nightly reconciliation flow: a table of contents of thin tasks.

Parameters are only paths and dates: the warehouse is ``warehouse.default_db_url()`` (a URL may
hold a password; point a run elsewhere with ``warehouse.using(url)``). Tasks take and return DataFrames, so they neither cache
nor persist results: hashing big frames is slow, and results would put personal data in Prefect.
Exceptions that leave a task carry the stage and the error type only (see ``_sanitized``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import shutil
import time
import traceback
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import parallel
import warehouse
from findings.campaign import load_campaign
from intake.inbox import InboxError, parse_as_of
from reconcile import stages
from reconcile.faults import pause_at
from reports.notices import NOTICES_PARALLEL_MIN, NoticeData, start_notices
from reports.workbooks import Extras, write_human_reports


# Peak memory (MB) of each Dask worker in this process's last flow run on a Dask task runner.
WORKER_PEAKS_MB: dict[str, float] = {}
# This process's peak memory (MB, a high-water mark) at the end of each stage of its last flow
# run: where it rises is the stage that set the peak (issue 15).
STAGE_PEAKS_MB: dict[str, float] = {}
# Core-seconds of each stage of this process's last flow run: the machine's idle cores, this
# process, the processes it started (pool workers, Prefect's temporary API, a LocalCluster):
# where the two cores of the build machine went (issue 15, docs/scaling.md).
STAGE_CORES_S: dict[str, tuple[float, float, float]] = {}


class StageFailed(RuntimeError):
    """A stage failed; the message names the stage and error type, never the data."""


def _sanitized(stage: str):
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (InboxError, warehouse.WarehouseError):
                raise  # our own messages: written to be shown, free of personal data
            except Exception as exc:
                # Full detail stays on this machine's stderr, never in Prefect's database.
                traceback.print_exc()
                raise StageFailed(f"{stage} failed: {type(exc).__name__}") from None
        return inner
    return wrap


def _task(stage: str):
    return lambda fn: task(name=stage, cache_policy=NO_CACHE, persist_result=False, retries=0)(_sanitized(stage)(fn))


@_task("read")
def read_task(inbox: str):
    data = stages.read(inbox)
    log = get_run_logger()
    files = data.files
    log.info("read: %d person-rows from %d current household submissions; %d files rejected, %d superseded; "
             "identity export %s with %d records; %d assignment rows; %d staff rows",
             len(data.households), data.households.groupby(["source", "sheet"]).ngroups if len(data.households) else 0,
             len(data.rejected), len(data.superseded), data.export["export_date"], len(data.identity),
             len(data.assignments), len(data.staff))
    del files
    return data


@_task("validate")
def validate_task(data):
    prepared = stages.validate_and_normalize(data)
    log = get_run_logger()
    log.info("validate: %d rows, %d invalid; identity export checks failing: %s",
             len(prepared.rows), int(prepared.rows["invalid"].sum()), prepared.identity_issues or "none")
    return prepared


@_task("link")
def link_task(prepared, decisions):
    linked = stages.link_rows(prepared, decisions)
    counts = linked.links["match_status"].value_counts().to_dict()
    get_run_logger().info("link: %s, in %d partition(s)", {k: int(v) for k, v in counts.items()},
                          linked.links.attrs.get("partitions", 1))
    return linked


@_task("findings")
def findings_task(data, linked, as_of: dt.date, campaign):
    found = stages.find(data, linked, as_of, campaign)
    get_run_logger().info("findings: %d (%s); cadre and staff rows linked: %s", len(found.findings),
                          {k: int(v) for k, v in found.findings["code"].value_counts().items()},
                          {k: int(v) for k, v in found.people["match_status"].value_counts().items()})
    return found


# Person-rows from which a PostgreSQL warehouse is written by one connection per core (issue 15).
SEVERAL_WRITERS_ROWS = 100_000


@_task("store")
def store_task(pending: "warehouse.PendingRun", run_data, seconds: dict, finished_at: dt.datetime):
    """Make the run loaded during the report (``report_task``'s ``load``) the completed run; the
    run's rows are loaded here only if the report did not get to it."""
    pending.commit(seconds=seconds, finished_at=finished_at, data=None if pending.data is not None else run_data())
    get_run_logger().info("store: run %s kept in the warehouse", pending.data.run_id)


@_task("report")
def report_task(out: str, run_id: str, found, summary, data, linked, extras, load=None) -> str:
    """The run folder; ``load()``, if given, writes the run's rows into the warehouse (not yet
    committed: ``store_task``) once the CSVs are written, while the pool writes the ward
    workbooks (at province scale report and store together ~1.1× faster than one after the
    other: docs/scaling.md)."""
    def human(folder: Path, machine) -> None:
        def meanwhile() -> None:   # the CSVs and the store's load, while the pool writes the ward workbooks
            machine()
            # Not on a Dask cluster: there this process orchestrates every partition's task run
            # (Prefect's and Dask's threads need the interpreter), and the load would starve them
            # (a province's report 187 s → 282 s, and its peak over 6 GB); the store stage loads.
            if load is not None and parallel.distributed_executor() is None:
                load()
        # The notices first, one task on one of the pool's workers: they are worded and rendered
        # while this process computes the ward workbooks' frames, alone otherwise (~15 s at province
        # scale, a core idle), and the pool's other worker takes each ward workbook as it comes.
        # Both take the run's kept pool (parallel.kept_pools): the read stage's warm workers.
        with parallel.process_pool(parallel.worker_count(len(found.units) >= NOTICES_PARALLEL_MIN)) as pool:
            notices = start_notices(folder, NoticeData(found.units, found.cadres, found.households, found.people,
                                                       linked.recs, summary, extras.campaign), pool)
            write_human_reports(folder, data, linked, found.matches, found.findings, found.wards, summary, extras,
                                meanwhile=meanwhile)
            notices.result()

    path = stages.write_outputs(out, run_id, found.matches, found.findings, summary, extra=human,
                                tables=stages.output_tables(found))
    get_run_logger().info("report: written to %s", path)
    return str(path)


@flow(name="reconcile", persist_result=False, log_prints=False)
def reconcile(inbox: str, out: str, as_of: str | None = None, campaign: str | None = None) -> str:
    """One reconciliation: inbox → read → validate → normalise → link → findings → store → report.
    ``inbox``/``out``: folders; ``as_of``: YYYY-MM-DD (default: the export's date); ``campaign``:
    a campaign settings file (phase due dates; default dispatch 969's). Returns the run folder.
    The warehouse: ``warehouse.default_db_url()``."""
    os.umask(0o077)   # private by default, also when a deployment's worker runs the flow (issue 14)
    parallel.collect_less()   # in this process and the pool's workers: ~10 % of a province's work
    db = warehouse.default_db_url()
    settings = load_campaign(campaign)
    warehouse.ensure_schema(db)
    started = dt.datetime.now(dt.timezone.utc)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    STAGE_PEAKS_MB.clear()
    STAGE_CORES_S.clear()
    cores = parallel.cores()

    def lap(stage: str) -> None:
        nonlocal clock, cores
        now, at = time.perf_counter(), parallel.cores()
        seconds[stage] = now - clock
        clock = now
        STAGE_PEAKS_MB[stage] = parallel.peak_rss_mb()
        STAGE_CORES_S[stage] = tuple(round(b - a, 2) for a, b in zip(cores, at))
        cores = at

    tag = _tag_with_warehouse(db)
    with warehouse.run_lock(db), _partitions(), parallel.kept_pools():
        _crash_dead_runs(tag)
        pause_at("read")
        data = read_task(inbox)
        lap("read")
        day = parse_as_of(as_of, data.export["export_date"])
        run_id = stages.run_id_for(data, day)
        try:
            path = _validate_to_report(db, out, data, day, run_id, started, seconds, lap, settings)
        except BaseException as exc:
            # The run is visible as failed, never half-written. Our messages carry no personal
            # data, and mark_failed strips anything shaped like an ID or a phone number anyway.
            warehouse.mark_failed(db, run_id, day, started, f"{type(exc).__name__}: {exc}"[:500])
            raise
    return path


@contextlib.contextmanager
def _partitions():
    """On a Dask task runner (``reconcile run --dask``, issue 15), the partitioned work of the
    stages (reading by file, reports by ward) runs as task runs on its workers
    (flows/partitions.py); on any other runner, as before."""
    from prefect.context import FlowRunContext

    runner = FlowRunContext.get().task_runner
    if type(runner).__name__ != "DaskTaskRunner":
        yield
        return
    from distributed import LocalCluster

    from flows.partitions import TaskRunnerExecutor, worker_peaks_mb

    client = runner.client   # the cluster starts here (prefect-dask starts it on first use)
    threads = sum(client.nthreads().values())
    local = isinstance(getattr(client, "cluster", None), LocalCluster)
    get_run_logger().info("dask: %d workers, %d threads%s", len(client.nthreads()), threads,
                          ", on this machine" if local else "")
    with parallel.distributed(TaskRunnerExecutor(threads, local=local)):
        yield
    WORKER_PEAKS_MB.clear()
    WORKER_PEAKS_MB.update(worker_peaks_mb(client))
    get_run_logger().info("dask: peak memory per worker (MB): %s",
                          ", ".join(f"{v:,.0f}" for v in WORKER_PEAKS_MB.values()))


def _tag_with_warehouse(db: str) -> str:
    """Tag this flow run ``warehouse-<warehouse.key(db)>`` (which warehouse, without its URL) before
    it waits for the warehouse's lock, so that a later run can tell its dead runs from others'."""
    from prefect.client.orchestration import get_client
    from prefect.context import get_run_context

    tag = f"warehouse-{warehouse.key(db)}"
    try:
        me = get_run_context().flow_run
        with get_client(sync_client=True) as client:
            client.update_flow_run(me.id, tags=sorted({*me.tags, tag}))
    except Exception as exc:  # noqa: BLE001 - housekeeping, never a reason to stop a run
        get_run_logger().warning("could not tag the flow run (%s)", type(exc).__name__)
    return tag


def _crash_dead_runs(tag: str) -> None:
    """A run of this flow tagged with this warehouse (``_tag_with_warehouse``) still RUNNING in
    Prefect while we hold the warehouse's lock died without saying so (killed, machine down):
    mark it Crashed (issue 14). Runs on other warehouses are left alone; Prefect being
    unreachable never stops a run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState,
                                                FlowRunFilterStateType, FlowRunFilterTags)
    from prefect.client.schemas.objects import StateType
    from prefect.context import get_run_context
    from prefect.states import Crashed

    try:
        me = get_run_context().flow_run
        with get_client(sync_client=True) as client:
            running = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["reconcile"])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.RUNNING])), tags=FlowRunFilterTags(all_=[tag])))
            for run in running:
                if run.id != me.id:
                    client.set_flow_run_state(run.id, Crashed(message="process died: found by a later run"),
                                              force=True)
                    get_run_logger().warning("flow run %s was left running by a dead process: marked crashed",
                                             run.name)
    except Exception as exc:  # noqa: BLE001 - housekeeping, never a reason to stop a run
        get_run_logger().warning("could not check for dead runs (%s)", type(exc).__name__)


def _validate_to_report(db, out, data, day, run_id, started, seconds, lap, campaign) -> str:
    # a big export is stored by a worker while this process validates, links and finds
    early = stages.store_export_early(db, data)
    prepared = validate_task(data)
    stages.release_raw(data)
    # what a stage freed goes back to the machine (the allocators would keep it), for the workers
    parallel.give_back_memory()
    lap("validate")
    decisions, new_decisions = stages.decisions_for_run(data, prepared.rows, warehouse.load_decisions(db))
    linked = link_task(prepared, decisions)
    parallel.give_back_memory()
    lap("link")
    found = findings_task(data, linked, day, campaign)
    matches, findings, wards = found.matches, found.findings, found.wards
    parallel.give_back_memory()
    lap("findings")
    # All or nothing (issue 14): the run folder is written whole and renamed into place first;
    # only then does the warehouse call the run completed. A crash before the rename leaves no
    # folder and no run; between the rename and the commit, a folder the next run of the same
    # inbox replaces, and no completed run; a failed store takes the folder back.
    seconds["report"] = 0.0
    seconds["total"] = sum(v for k, v in seconds.items() if k != "total")
    summary = stages.summary_of(run_id, day, data, matches, findings, wards, seconds, prepared.unit_issues,
                                found.people)
    extras = Extras(units=found.units, cadres=found.cadres, households=found.households,
                    history=stages.history_with(warehouse.unit_history(db), found.units, day, run_id),
                    campaign=campaign, groups=found.groups)

    def run_data() -> "warehouse.RunData":   # built when loaded: the rows' frame is not held through the report
        if early is not None:   # the store then finds the export's snapshot stored, or stores it itself
            get_run_logger().info("store: identity export stored ahead of the run: %s", stages.early_export_stored(early))
        return warehouse.RunData(
            run_id=run_id, as_of=day, started_at=started, finished_at=dt.datetime.now(dt.timezone.utc),
            seconds=dict(seconds), summary=summary, files=data.files,
            rows=stages.warehouse_rows(linked, matches), findings=findings, wards=wards, units=found.units,
            identity_export=warehouse.IdentityExport(
                export_date=dt.date.fromisoformat(data.export["export_date"]), source=data.export["source"],
                sha256=data.export["sha256"], records=data.identity),
            decisions=new_decisions,
        )

    writers = parallel.worker_count(len(linked.rows) >= SEVERAL_WRITERS_ROWS)
    # Leaving this block without the commit (an error in the report or the store) takes back
    # whatever was loaded: the run is then in the warehouse only as failed (mark_failed).
    with warehouse.PendingRun(db, writers) as pending:
        path = report_task(out, run_id, found, summary, data, linked, extras,
                           load=lambda: pending.load(run_data()))
        lap("report")
        try:
            pause_at("store")
            store_task(pending, run_data, dict(seconds), dt.datetime.now(dt.timezone.utc))
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
    lap("store")
    seconds["total"] = sum(v for k, v in seconds.items() if k != "total")
    stages.rewrite_seconds(Path(path), seconds)
    return path

"""`reconcile`: the command line of CONTRACT §4 and the helpers around it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

# The command's clock for `reconcile bench`'s split: the interpreter has started, nothing heavy loaded.
_PROCESS_START = time.perf_counter()


def _date(text: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return text


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="reconcile", description="VNeID campaign reconciliation. The inbox layout "
                                "and every accepted variation: docs/inbox.md; an example: examples/inbox/.")
    p.add_argument("--debug", action="store_true",
                   help="on an error, also print the Python traceback (for a developer; may show file paths)")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one reconciliation as a Prefect flow run (inbox layout: docs/inbox.md)")
    run.add_argument("--inbox", required=True, type=Path)
    run.add_argument("--out", required=True, type=Path)
    run.add_argument("--as-of", type=_date, default=None, help="reference date (default: the export date)")
    run.add_argument("--db", default=None, help="SQLAlchemy URL of the warehouse (default: $RECONCILE_DB, else "
                     "the SQLite file ~/.local/share/vneid-reconcile/warehouse.sqlite, shared by every command)")
    run.add_argument("--dask", nargs="?", const="", default=None, metavar="ADDRESS",
                     help="run the partitioned work (reading by file, reports by ward) on Dask: the scheduler "
                          "at ADDRESS (tcp://host:8786), else a local cluster of one worker per core "
                          "(RECONCILE_WORKERS). Same results as without. See docs/scaling.md")
    run.add_argument("--campaign", type=Path, default=None,
                     help="campaign settings (phase due dates, deadline; TOML). Default: dispatch "
                          "969/UBND-CATP's, findings/campaigns/969-UBND-CATP.toml")

    demo = sub.add_parser("demo-data", help="write a synthetic city inbox and its ground truth")
    demo.add_argument("--scale", choices=["small", "city", "province"], default="small")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--out", required=True, type=Path)
    demo.add_argument("--clean", action="store_true", help="only the canonical template, no layout variations")

    tpl = sub.add_parser("template", help="write the city's blank household-list template (.xlsx)")
    tpl.add_argument("--out", required=True, type=Path)

    b = sub.add_parser("bench", help="speed and quality figures on a generated city (printed)")
    b.add_argument("--scale", choices=["small", "city", "province"], default="city")
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--work", default=".bench", help="where the generated city and results are kept")
    b.add_argument("--no-splink", action="store_true", help="skip the Splink comparison")
    b.add_argument("--db", default=None, help="warehouse URL for the run (default: SQLite in --work)")
    b.add_argument("--runs-only", action="store_true",
                   help="only the whole command (no in-process ingest and linkage sections, no Splink)")
    b.add_argument("--dask", action="store_true",
                   help="also run the command with --dask on a local cluster and compare the outputs")

    db = sub.add_parser("db", help="warehouse maintenance")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="migrate the warehouse schema to this version")
    up.add_argument("--db", default=None)

    sent = sub.add_parser("notice-sent", help="record that a run's result notice went to a unit")
    sent.add_argument("--run", required=True, help="run id (the run folder's name)")
    sent.add_argument("--unit", required=True, help="ward code or agency code")
    sent.add_argument("--channel", required=True, choices=["paper", "email", "zalo", "other"])
    sent.add_argument("--document", default=None, help="the document sent (path)")
    sent.add_argument("--note", default=None)
    sent.add_argument("--db", default=None)

    pr = sub.add_parser("prune", help="retention: keep the newest N completed runs, delete the rest")
    pr.add_argument("--keep", type=int, required=True, metavar="N")
    pr.add_argument("--out", type=Path, default=None, help="also remove the pruned runs' folders under OUT")
    pr.add_argument("--db", default=None)

    hist = sub.add_parser("history", help="activation rate per ward per night, or every figure of one unit")
    hist.add_argument("--db", default=None)
    hist.add_argument("--unit", default=None, metavar="CODE",
                      help="one unit's figures per night (ward code or agency code, e.g. 30733 or DV0001); "
                           "'all' for every unit")
    hist.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    return p


def _print_summary(folder: Path) -> None:
    from reports.labels import CODE_LABELS, vi_int

    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    r = s["rows"]
    print(f"Đã đọc {vi_int(r['read'])} dòng: khớp {vi_int(r['matched'])}, cần xem xét {vi_int(r['review'])}, "
          f"không tìm thấy {vi_int(r['unmatched'])}, không hợp lệ {vi_int(r['invalid'])}.", file=sys.stderr)
    total = sum(s["findings"].values())
    top = "; ".join(f"{CODE_LABELS.get(k, k)} {vi_int(v)}"
                    for k, v in sorted(s["findings"].items(), key=lambda kv: -kv[1])[:6])
    print(f"Sai lệch: {vi_int(total)} ({top}).", file=sys.stderr)
    files = s["files"]
    seconds = f"{s['seconds'].get('total', 0):.1f}".replace(".", ",")
    print(f"Tệp: {vi_int(len(files['read']))} đã đọc, {vi_int(len(files['rejected']))} bị từ chối, "
          f"{vi_int(len(files['superseded']))} được thay thế. Thời gian: {seconds} giây.", file=sys.stderr)


_DEBUG = False   # `reconcile --debug ...`: tracebacks too


def _traceback(exc: Exception) -> None:
    """With ``--debug``, the traceback of ``exc`` on stderr; otherwise nothing."""
    if _DEBUG:
        import traceback

        traceback.print_exception(exc)


def _error(exc: Exception) -> int:
    """Every failure a user can cause ends the same way: one line on stderr, exit status 2
    (with ``--debug``, the traceback before it)."""
    _traceback(exc)
    print(f"reconcile: error: {exc}", file=sys.stderr)
    return 2


class UsageError(Exception):
    """A mistake the user can fix; the message says how (one line, no traceback)."""


def _creatable(path: Path, what: str) -> None:
    """Raises ``UsageError`` unless ``path`` can be created: its nearest existing ancestor is a
    folder this process may write in. Creates nothing."""
    existing = next((p for p in [path, *path.parents] if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: no permission to create it in {existing}")


def _check_out(out: Path) -> None:
    """Checked before the flow starts, creating nothing: --out is a folder or can become one."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder: name a folder for the run folders")
    _creatable(out, "--out")


def _check_db(url: str) -> None:
    """Checked before the flow starts: the URL parses, the database answers, its schema is this
    version's (or new). The password never appears in a message."""
    import sqlalchemy as sa

    import warehouse

    try:
        parsed = sa.engine.make_url(url)
        parsed.get_backend_name(), parsed.port   # a port that is not a number fails here
    except (sa.exc.ArgumentError, ValueError):
        raise UsageError("--db is not a database URL (e.g. sqlite:///warehouse.sqlite or "
                         "postgresql+psycopg://user@host/db)") from None
    from warehouse.db import sqlite_path

    path = sqlite_path(url) if parsed.get_backend_name() == "sqlite" else None
    if path is not None and not path.exists():   # a new warehouse: the run creates it
        _creatable(path, "the warehouse")
    try:
        revision = warehouse.current_revision(url)
    except sa.exc.ArgumentError:
        raise UsageError("--db is not a database URL (e.g. sqlite:///warehouse.sqlite or "
                         "postgresql+psycopg://user@host/db)") from None
    except Exception as exc:  # noqa: BLE001 - driver errors vary; the type says enough
        raise UsageError(f"cannot reach the warehouse {warehouse.redact(url)} ({type(exc).__name__}): "
                         "is the database server running and the URL right?") from None
    if revision not in (None, warehouse.head_revision()):
        raise UsageError(f"the warehouse {warehouse.redact(url)} is on schema {revision}, this version needs "
                         f"{warehouse.head_revision()}: run `reconcile db upgrade --db URL` first")


def cmd_run(args, api=None) -> int:
    """``api``: Prefect's temporary API, started by ``main`` before the heavy imports (flows/api.py)."""
    from findings.campaign import CampaignError, load_campaign
    from intake.inbox import InboxError, preflight

    try:
        preflight(args.inbox)
        load_campaign(args.campaign)
        _check_out(args.out)
    except (InboxError, CampaignError, UsageError) as exc:
        return _error(exc)
    import warehouse
    from flows.nightly import reconcile

    try:
        _check_db(args.db or warehouse.default_db_url())
        if args.dask:
            _check_dask(args.dask)
    except UsageError as exc:
        return _error(exc)

    import threading

    from flows.api import connected
    from schemas.models import build_schemas

    timings = {"checked": time.perf_counter()}
    # work the validate stage would do anyway, done while this process waits for Prefect's API
    threading.Thread(target=build_schemas, name="build-schemas", daemon=True).start()
    try:
        with connected(api, float(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])):
            timings["api_ready"] = time.perf_counter()
            flow = reconcile if args.dask is None else reconcile.with_options(task_runner=_dask_runner(args.dask))
            with warehouse.using(args.db):
                path = flow(inbox=str(args.inbox), out=str(args.out), as_of=args.as_of,
                            campaign=str(args.campaign) if args.campaign else None)
            timings["flow_done"] = time.perf_counter()
    except (InboxError, warehouse.WarehouseError) as exc:
        return _error(exc)
    except KeyboardInterrupt:   # Ctrl-C: the flow marked the run failed; nothing was renamed into place
        print("reconcile: interrupted: the run was stopped and marked failed in the warehouse; no run folder "
              "was written", file=sys.stderr)
        return 130
    except Exception as exc:
        _traceback(exc)
        print(f"reconcile: error: run failed ({exc})", file=sys.stderr)
        return 1
    _print_summary(Path(path))
    print(path)
    _write_timings(timings, api)
    return 0


def _check_dask(address: str) -> None:
    """Checked before the flow starts: the Dask scheduler at ``address`` answers."""
    from distributed import Client

    try:
        Client(address, timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address
        raise UsageError(f"--dask {address}: cannot reach a Dask scheduler there ({type(exc).__name__}): "
                         "is it running (dask scheduler), and the address tcp://HOST:8786?") from None


def _dask_runner(address: str):
    """prefect-dask's task runner: on the scheduler at ``address``, or on a local cluster of
    worker processes (one thread each: the work is Python per cell) started for this run."""
    import logging

    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")   # the cluster's workers, spawned later
    logging.getLogger("distributed").setLevel(logging.WARNING)      # this process's scheduler and nanny
    from prefect_dask import DaskTaskRunner

    from parallel import worker_count

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": worker_count(True), "threads_per_worker": 1,
                                          "processes": True, "dashboard_address": None})


def _write_timings(timings: dict[str, float], api) -> None:
    """Where the command's seconds went, for `reconcile bench` (``$RECONCILE_TIMINGS``: a JSON file).
    Instants are seconds since the interpreter started; ``api_started``/``api_answered`` are the
    temporary Prefect API's (absent when a configured server was used)."""
    target = os.environ.get("RECONCILE_TIMINGS")
    if not target:
        return
    origin = _PROCESS_START
    out = {k: v - origin for k, v in timings.items()}
    if api is not None and api.ready:
        out["api_started"], out["api_answered"] = api.started - origin, api.ready - origin
    from flows.nightly import STAGE_CORES_S, STAGE_PEAKS_MB, WORKER_PEAKS_MB

    if WORKER_PEAKS_MB:
        out["dask_worker_peaks_mb"] = list(WORKER_PEAKS_MB.values())
    out["stage_peaks_mb"] = dict(STAGE_PEAKS_MB)
    out["stage_cores_s"] = dict(STAGE_CORES_S)
    from parallel import peak_rss_mb

    out["peak_rss_mb"] = peak_rss_mb()
    out["stopped"] = time.perf_counter() - origin
    Path(target).write_text(json.dumps(out), encoding="utf-8")


def cmd_demo(args) -> int:
    from synth import generate

    t0 = time.perf_counter()
    meta = generate(args.out, scale=args.scale, seed=args.seed, clean=args.clean)
    counts = meta.get("counts", {})
    print(f"demo-data: {args.scale} city written to {args.out}/inbox (truth in {args.out}/truth) "
          f"in {time.perf_counter() - t0:.1f} s; " + ", ".join(f"{k}={v}" for k, v in list(counts.items())[:6]),
          file=sys.stderr)
    return 0


def cmd_template(args) -> int:
    from reports.template import write_template

    print(write_template(args.out))
    return 0


def cmd_bench(args) -> int:
    from bench.run import main as bench_main

    return bench_main(args)


def cmd_db(args) -> int:
    import warehouse

    url = args.db or warehouse.default_db_url()
    try:
        warehouse.upgrade(url)
    except warehouse.WarehouseError as exc:
        return _error(exc)
    print(f"warehouse schema is up to date ({warehouse.redact(url)})", file=sys.stderr)
    return 0


def cmd_notice_sent(args) -> int:
    import warehouse

    kind = "ward" if args.unit.isdigit() else "agency"
    try:
        warehouse.record_notice(args.db or warehouse.default_db_url(), args.run, args.unit, kind, args.channel,
                                document=args.document, note=args.note)
    except warehouse.WarehouseError as exc:
        return _error(exc)
    print(f"recorded: notice of run {args.run} to {kind} {args.unit} by {args.channel}", file=sys.stderr)
    return 0


def cmd_prune(args) -> int:
    import shutil

    import warehouse

    try:
        removed = warehouse.prune(args.db or warehouse.default_db_url(), args.keep)
    except warehouse.WarehouseError as exc:
        return _error(exc)
    for run_id in removed:
        if args.out is not None and (args.out / run_id).is_dir() and not (args.out / run_id).is_symlink():
            shutil.rmtree(args.out / run_id)
    print(f"pruned {len(removed)} run(s), kept the newest {args.keep}"
          + (f"; their folders removed from {args.out}" if args.out is not None and removed else ""), file=sys.stderr)
    return 0


def cmd_history(args) -> int:
    import warehouse

    try:
        url = args.db or warehouse.default_db_url()
        if args.unit:
            frame = warehouse.unit_history(url, None if args.unit == "all" else args.unit)
        else:
            frame = warehouse.history(url)
    except warehouse.WarehouseError as exc:
        return _error(exc)
    try:
        _print_frame(frame, args, url)
    except BrokenPipeError:   # `history --csv | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print_frame(frame, args, url: str) -> None:
    import warehouse

    if args.csv:
        frame.to_csv(sys.stdout, index=False)
    elif frame.empty:
        what = f"no completed runs with unit {args.unit}" if args.unit else "no completed runs"
        print(f"{what} yet in the warehouse {warehouse.redact(url)} (another one: --db URL or $RECONCILE_DB)",
              file=sys.stderr)
    else:
        print(frame.to_string(index=False))
    sys.stdout.flush()   # a closed pipe shows here, inside the caller's try


def main(argv: list[str] | None = None) -> int:
    global _DEBUG
    args = _parser().parse_args(argv)
    _DEBUG = args.debug
    # Private by default (issue 14): what this process writes (warehouse, run folders, workbooks,
    # notices, lock files) is its owner's alone; an operator widens access on purpose.
    os.umask(0o077)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    # Prefect's local ephemeral API: a slow, busy 2-core machine needs more than the default 20 s,
    # and this machine must not try to phone home.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")   # Prefect's client telemetry: off, and 0.3 s per import
    if args.command == "run":
        # Prefect's API starts now, on the other core, while pandas, Prefect and the inbox checks load.
        from flows.api import start_early

        return cmd_run(args, start_early())
    handler = {"demo-data": cmd_demo, "template": cmd_template, "bench": cmd_bench, "db": cmd_db, "history": cmd_history,
               "notice-sent": cmd_notice_sent, "prune": cmd_prune}[args.command]
    return handler(args)


def entry() -> None:
    """The console script: ``main``, the exit handlers (Prefect's, logging's, the process pools'),
    then the exit itself. Written by hand because the interpreter's own finalisation of the pandas,
    Prefect and SQLAlchemy module graphs costs ~0.5 s per command and writes nothing (issue 13)."""
    import atexit

    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()

"""`reconcile bench`: speed and quality figures, printed, against the best tools at hand.

Figures are taken in one process on one generated city, so ratios are fair on a noisy machine:
- ingest: our reader (header finding, aliases, ward/group, every row) vs a bare
  python-calamine dump of the same workbooks (the floor any reader pays);
- linkage: ours vs Splink 5 on DuckDB, configured as a competent user would, on the same
  normalised rows (needs the `bench` extra: pip install -e '.[bench]');
- the whole `reconcile run` command as a user runs it (Prefect included), per stage, with where
  its seconds go (ours against Prefect's), and the same for the docs' tiny example inbox;
- quality of both against the generator's ground truth.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pandas as pd



def _peak_mb() -> float:
    from parallel import peak_rss_mb

    return peak_rss_mb()


UNIT_CODES = ("NOT_LISTED", "GROUP_UNASSIGNED", "CADRE_OVERLOADED", "CADRE_NOT_ACTIVATED", "STAFF_NOT_ACTIVATED")


def _line(label: str, value: str) -> None:
    print(f"  {label:<44} {value}", flush=True)


def ensure_city(work: Path, scale: str, seed: int) -> Path:
    from synth import generate

    city = work / f"{scale}-{seed}"
    if not (city / "truth" / "meta.json").exists():
        t0 = time.perf_counter()
        generate(city, scale=scale, seed=seed, clean=False)
        _line("generate synthetic inbox", f"{time.perf_counter() - t0:.1f} s")
    return city


def bare_calamine_read(inbox: Path) -> tuple[int, float]:
    """Every cell of every people-made workbook into Python, nothing else: the floor."""
    from python_calamine import CalamineWorkbook

    from intake.ooxml import scan_package

    # A workbook with a stray far cell would abort a bare calamine (that is why the reader bounds
    # sheets first): the floor leaves those few files out, found before the clock starts.
    paths = []
    for folder in ("households", "assignments", "staff"):
        for p in sorted((inbox / folder).rglob("*")):
            if p.suffix.lower() == ".xlsx":
                try:
                    if any(s.stray or s.too_large for s in scan_package(p.read_bytes()).sheets.values()):
                        continue
                except Exception:
                    continue
            paths.append(p)
    t0 = time.perf_counter()
    cells = 0
    for p in paths:
        if p.suffix.lower() == ".xlsx":
            try:
                wb = CalamineWorkbook.from_path(str(p))
            except Exception:
                continue
            for name in wb.sheet_names:
                rows = wb.get_sheet_by_name(name).to_python()
                cells += sum(len(r) for r in rows)
        elif p.suffix.lower() in (".csv", ".txt"):
            cells += len(p.read_bytes().splitlines())
    return cells, time.perf_counter() - t0


def _fresh_sqlite(path: Path) -> str:
    """The URL of an empty SQLite warehouse at ``path`` (an earlier bench's removed): a command
    then stores a new export, as a nightly run does (a kept warehouse has the export's snapshot
    from the first bench, so its 2.3 M records, ~13 s of load at province scale, were never
    stored again; replacing the same run's rows costs ~0.6 s more than storing them anew)."""
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def bench(scale: str, seed: int, work: Path, splink: bool, db: str | None, runs_only: bool = False,
          dask: bool = False) -> dict:
    """Print every figure; keep them in ``<work>/bench-<scale>-<seed>.json``. ``runs_only``: the
    whole command only (no in-process ingest and linkage sections, no Splink); ``dask``: the
    command once more with ``--dask`` (a local cluster), its outputs compared with the first's."""
    from bench.scoring import score_run, sorted_csv

    work.mkdir(parents=True, exist_ok=True)
    print(f"reconcile bench — scale {scale}, seed {seed}, {dt.datetime.now():%Y-%m-%d %H:%M}", flush=True)
    city = ensure_city(work, scale, seed)
    inbox = city / "inbox"
    meta = json.loads((city / "truth" / "meta.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(meta["as_of"])
    results: dict = {"scale": scale, "seed": seed}
    n_rows = None if runs_only else _ingest_and_linkage(inbox, city, splink, results, db, as_of)

    print("whole `reconcile run` command (its own process: Prefect's API, every file, store, reports)", flush=True)
    db_url = db or _fresh_sqlite(work / "bench.sqlite")
    cmd = command_run(inbox, work / "out", as_of.isoformat(), db_url, work / "timings-city.json")
    path = Path(cmd["path"])
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    n_rows = n_rows or summary["rows"]["read"]
    results["run"] = {"wall_s": cmd["wall_s"], "seconds": summary["seconds"], "command": cmd}
    _print_command(cmd, summary, n_rows)
    if "splink" in results:
        _line("ratio Splink linkage alone / our whole command", f"{results['splink']['seconds'] / cmd['wall_s']:.2f}x")

    if dask:
        print("the same command with --dask (a local cluster, one worker process per core)", flush=True)
        dcmd = command_run(inbox, work / "out-dask", as_of.isoformat(), _fresh_sqlite(work / "bench-dask.sqlite"),
                           work / "timings-dask.json", ["--dask"])
        dpath = Path(dcmd["path"])
        dsummary = json.loads((dpath / "summary.json").read_text(encoding="utf-8"))
        results["dask"] = {"wall_s": dcmd["wall_s"], "seconds": dsummary["seconds"], "command": dcmd}
        _print_command(dcmd, dsummary, n_rows)
        peaks = dcmd["timings"].get("dask_worker_peaks_mb", [])
        _line("  peak memory per Dask worker", ", ".join(f"{p:,.0f} MB" for p in peaks))
        same = {name: sorted_csv(path / name) == sorted_csv(dpath / name)
                for name in ("matches.csv", "discrepancies.csv", "units.csv", "cadres.csv", "people.csv",
                             "households.csv")}
        results["dask"]["identical"] = same
        _line("outputs identical to the default run's", ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()))
        _line("ratio --dask / default wall time", f"{dcmd['wall_s'] / cmd['wall_s']:.2f}x")

    if not runs_only:
        _fixed_cost(work, results)

    print("quality against ground truth", flush=True)
    q = score_run(path, city / "truth")
    results["quality"] = {k: v for k, v in q.items() if k not in ("missing_findings", "extra_findings")}
    _line("rows: truth / run / same set", f"{q['rows_truth']:,} / {q['rows_run']:,} / {q['same_rows']}")
    _line("match precision / recall", f"{q['precision']:.5f} / {q['recall']:.5f}")
    _line("review share", f"{q['review_share']:.4%}")
    for what, v in q["files"].items():
        _line(f"  files: {what.replace('_', ' ')} (truth / run / agree)", f"{v['truth']} / {v['run']} / {v['agree']}")
    for code, v in q["per_code"].items():
        _line(f"  F1 {code}", f"{v['f1']:.4f} (tp {v['tp']}, fp {v['fp']}, fn {v['fn']})")
    _line("unit findings (dispatch 969 items 1–3)", "precision / recall")
    for code in UNIT_CODES:
        v = q["per_code"].get(code)
        if v:
            _line(f"  {code}", f"{v['precision']:.4f} / {v['recall']:.4f} (tp {v['tp']}, fp {v['fp']}, fn {v['fn']})")
    for kind, v in summary.get("units", {}).get("people", {}).items():
        _line(f"  {kind} rows found in the export", f"{v.get('matched', 0):,} of {v['rows']:,}")
    h = q.get("households")
    if h:
        _line("household members of staff and cadres", f"{h['agree']:,} of {h['truth']:,} in truth found, "
              f"{h['run'] - h['agree']:,} invented, eligibility agrees on {h['eligible_agree']:,}")
    results["peak_rss_mb"] = _peak_mb()
    _line("peak memory (RSS) of this process", f"{results['peak_rss_mb']:,.0f} MB")
    (work / f"bench-{scale}-{seed}.json").write_text(json.dumps(results, indent=2, default=float), encoding="utf-8")
    return results


def _ingest_and_linkage(inbox: Path, city: Path, splink: bool, results: dict, db: str | None = None,
                        as_of: dt.date | None = None) -> int:
    """In this process: our reader against a bare calamine dump, validation, our linkage against
    Splink's on the same rows, and both linkages' quality; the linkage by partitions against the
    whole; on a PostgreSQL ``db``, the store by one writer against several. Returns the
    person-rows read."""
    from reconcile import stages

    print("ingest", flush=True)
    cells, floor_s = bare_calamine_read(inbox)
    t0 = time.perf_counter()
    data = stages.read(inbox)
    read_s = time.perf_counter() - t0
    n_rows = len(data.households)
    t0 = time.perf_counter()
    prepared = stages.validate_and_normalize(data)
    validate_s = time.perf_counter() - t0
    results["ingest"] = {"rows": n_rows, "read_s": read_s, "rows_per_s": n_rows / read_s,
                         "bare_calamine_s": floor_s, "validate_normalize_s": validate_s}
    _line("person-rows read (current submissions)", f"{n_rows:,}")
    _line("our read: header finding, aliases, wards", f"{read_s:.2f} s = {n_rows / read_s:,.0f} rows/s")
    _line("bare python-calamine dump of the same files", f"{floor_s:.2f} s ({cells:,} cells)")
    _line("ratio ours / bare dump", f"{read_s / floor_s:.2f}x")
    _line("validate (Pandera) + normalise both sides", f"{validate_s:.2f} s "
          f"({(n_rows + len(prepared.recs)) / validate_s:,.0f} records/s)")

    print("linkage", flush=True)
    t0 = time.perf_counter()
    linked = stages.link_rows(prepared)
    link_s = time.perf_counter() - t0
    results["link"] = {"seconds": link_s, "rows_per_s": n_rows / link_s}
    _line(f"our linkage ({n_rows:,} rows x {len(prepared.recs):,} records)",
          f"{link_s:.2f} s = {n_rows / link_s:,.0f} rows/s")
    if splink:
        try:
            from bench.splink import run_splink
        except ImportError as exc:
            _line("Splink", f"not installed ({exc.name}): pip install -e '.[bench]'")
        else:
            sp = run_splink(prepared.rows, prepared.recs)
            results["splink"] = sp
            _line("Splink 5 / DuckDB: training (EM) + predict", f"{sp['seconds']:.2f} s "
                  f"(train {sp['train_s']:.1f} s, predict {sp['predict_s']:.1f} s)")
            _line("ratio Splink / ours", f"{sp['seconds'] / link_s:.1f}x")
            truth = pd.read_csv(city / "truth" / "rows.csv", dtype=str, keep_default_na=False)
            sp_q = _score_links(prepared.rows, sp["links"], truth)
            ours_q = _score_links(prepared.rows, linked.links.assign(
                identity_id=linked.links["identity_id"].where(linked.links["match_status"] == "matched", "")), truth)
            results["splink"].pop("links")
            results["quality_links"] = {"ours": ours_q, "splink": sp_q}
            _line("ours:   precision / recall / F1", "{precision:.5f} / {recall:.5f} / {f1:.5f}".format(**ours_q))
            _line("Splink: precision / recall / F1", "{precision:.5f} / {recall:.5f} / {f1:.5f}".format(**sp_q))

    _partitioned_linkage(prepared, results)
    if db and db.startswith("postgresql") and as_of is not None:
        _store_writers(db, data, linked, as_of, results)
    return n_rows


def _partitioned_linkage(prepared, results: dict, partition_counts: tuple[int, ...] = (2, 8)) -> None:
    """The whole linkage against the same by partitions of whole wards on a fresh pool of one
    process per core (as `reconcile run --dask` links on its workers): time, whether every link
    is the same, and the workers' peak memory, which follows the partition's size."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import parallel
    from matchers.linkage import SETTINGS, link, ward_partitions

    print("linkage by partitions of whole wards (as `reconcile run --dask` links), each on a fresh pool", flush=True)
    t0 = time.perf_counter()
    whole = link(prepared.rows, prepared.recs, SETTINGS)
    whole_s = time.perf_counter() - t0
    _line("whole linkage, in this process", f"{whole_s:.2f} s")
    workers = parallel.worker_count(True)
    results["link_partitioned"] = {"whole_s": whole_s, "workers": workers, "by_count": {}}
    for count in partition_counts:
        parts = ward_partitions(prepared.rows, prepared.recs, max(1, -(-len(prepared.rows) // count)))
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            t0 = time.perf_counter()
            by_part = link(prepared.rows, prepared.recs, SETTINGS, partitions=parts, submit=pool.submit)
            part_s = time.perf_counter() - t0
            peaks = [parallel.peak_rss_mb(pid) for pid in list(pool._processes)]   # the bench's own look inside
        same = by_part.equals(whole) and by_part.attrs["weights"] == whole.attrs["weights"]
        results["link_partitioned"]["by_count"][int(parts.nunique())] = {
            "seconds": part_s, "identical": same, "worker_peaks_mb": peaks}
        _line(f"{parts.nunique()} partitions, two passes, {workers} processes",
              f"{part_s:.2f} s ({part_s / whole_s:.2f}x the whole), identical: {'yes' if same else 'NO'}, "
              f"peak per process {', '.join(f'{p:,.0f}' for p in peaks)} MB")


def _store_writers(db: str, data, linked, as_of: dt.date, results: dict) -> None:
    """The run stored on PostgreSQL by one transaction, then by one writer per core."""
    import parallel
    import warehouse
    from reconcile import stages

    print("store on PostgreSQL: one writer, then one per core (all or nothing either way)", flush=True)
    found = stages.find(data, linked, as_of)
    now = dt.datetime.now(dt.timezone.utc)
    run = warehouse.RunData(
        run_id=f"{as_of:%Y%m%d}-bench00000", as_of=as_of, started_at=now, finished_at=now, seconds={}, summary={},
        files=data.files, rows=stages.warehouse_rows(linked, found.matches), findings=found.findings,
        wards=found.wards, units=found.units, identity_export=warehouse.IdentityExport(
            export_date=dt.date.fromisoformat(data.export["export_date"]), source=data.export["source"],
            sha256=data.export["sha256"], records=data.identity))
    warehouse.store_run(db, run)   # the identity snapshot once, so both figures store the same
    figures = {}
    for writers in sorted({1, parallel.worker_count(True)}):
        t0 = time.perf_counter()
        warehouse.store_run(db, run, writers=writers)
        figures[writers] = time.perf_counter() - t0
        _line(f"store {len(run.rows):,} person-rows and matches, {len(run.findings):,} findings, "
              f"{writers} writer{'s' if writers > 1 else ''}", f"{figures[writers]:.2f} s")
    results["store_writers"] = figures
    if len(figures) > 1:
        _line("ratio one writer / several", f"{figures[1] / figures[max(figures)]:.2f}x")


def _fixed_cost(work: Path, results: dict) -> None:
    print("fixed cost: the example inbox (docs/inbox.md, 7 rows), warm Prefect home", flush=True)
    example = Path(__file__).resolve().parent.parent / "examples" / "inbox"
    small = [command_run(example, work / "out-example", None, f"sqlite:///{work / 'example.sqlite'}",
                         work / "timings-example.json") for _ in range(3)]
    best = min(small[1:], key=lambda c: c["wall_s"])   # the first warms the Prefect home
    results["small_command"] = [c["wall_s"] for c in small]
    _line("wall time of the command (3 runs)", " / ".join(f"{c['wall_s']:.2f} s" for c in small))
    _print_split(best, json.loads((Path(best["path"]) / "summary.json").read_text(encoding="utf-8"))["seconds"])


def _print_command(cmd: dict, summary: dict, n_rows: int) -> None:
    wall = cmd["wall_s"]
    _line("wall time of the command", f"{wall:.2f} s ({n_rows / wall:,.0f} rows/s end to end), "
          f"peak {cmd['peak_rss_mb']:,.0f} MB (the flow's process)")
    if cmd.get("tree_peak_mb"):
        _line("  peak memory of all its processes together", f"{cmd['tree_peak_mb']:,.0f} MB "
              f"(PSS summed, sampled every second), in {_stage_at(cmd, summary)}: "
              f"{len(cmd['tree_peak_parts_mb'])} processes, "
              + " + ".join(f"{p:,.0f}" for p in cmd["tree_peak_parts_mb"]) + " MB")
    _print_split(cmd, summary["seconds"])
    stages_s = summary["seconds"]
    for stage in [k for k in stages_s if k != "total"] + ["total"]:
        s = stages_s.get(stage, 0.0)
        rate = f" = {n_rows / s:,.0f} rows/s" if s > 0 and stage != "total" else ""
        _line(f"  our stage {stage}", f"{s:.2f} s{rate}")


def command_run(inbox: Path, out: Path, as_of: str | None, db: str, timings: Path, extra: list[str] = ()) -> dict:
    """Run ``reconcile run`` as a user does, in a process of its own; its wall time (s), the peak
    memory of its process (MB), run folder, and where the seconds went (the command's
    ``$RECONCILE_TIMINGS``)."""
    import os
    import subprocess
    import sys
    import tempfile

    args = [sys.executable, "-m", "reconcile", "run", "--inbox", str(inbox), "--out", str(out), "--db", db, *extra]
    if as_of:
        args += ["--as-of", as_of]
    env = {**os.environ, "RECONCILE_TIMINGS": str(timings), "PREFECT_LOGGING_LEVEL": "WARNING"}
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=stdout, stderr=stderr, text=True)
        with TreeMemory(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"reconcile run failed ({proc.returncode}): {stderr.read()[-2000:]}")
        path = stdout.read().strip().splitlines()[-1]
    seen = json.loads(timings.read_text(encoding="utf-8"))
    # the command's own high-water mark: wait4's also counts this (big) process's pages it was forked with
    return {"wall_s": wall, "peak_rss_mb": seen.get("peak_rss_mb", usage.ru_maxrss / 1024), "path": path,
            "timings": seen, "tree_peak_mb": tree.peak_mb, "tree_peak_parts_mb": tree.peak_parts, "tree_peak_at_s": tree.peak_at}


class TreeMemory:
    """The memory of a process and all its descendants together (the flow's process, its pool or
    Dask workers, Prefect's temporary API), sampled every ``every`` seconds by a thread while the
    block runs: ``peak_mb``, the largest sum of their PSS (proportional set size: a page shared by
    k processes counts 1/k in each, so the sum is what the machine holds for them; RSS where PSS
    cannot be read), and ``peak_parts``, each process's MB then, largest first. psutil reads
    /proc/PID/smaps_rollup; a peak shorter than the interval may be missed."""

    def __init__(self, pid: int, every: float = 1.0):
        import threading

        self.pid, self.every = pid, every
        self.peak_mb, self.peak_parts, self.peak_at = 0.0, [], 0.0
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            parts = []
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.Error:   # the command has ended
                break
            for p in family:
                try:
                    try:
                        size = p.memory_full_info().pss
                    except (psutil.AccessDenied, AttributeError):
                        size = p.memory_info().rss
                    parts.append(size / 2**20)
                except psutil.Error:   # ended between the listing and the reading
                    pass
            if sum(parts) > self.peak_mb:
                self.peak_mb, self.peak_parts = sum(parts), sorted(parts, reverse=True)
                self.peak_at = time.perf_counter() - self._t0
            self._stop.wait(self.every)


def _stage_at(cmd: dict, summary: dict) -> str:
    """The stage running ``tree_peak_at_s`` seconds after the command started: the stages' seconds
    laid end to end from the flow's start (Prefect's few seconds between them ignored, the
    interpreter's exit counted before the start: a label, within a few seconds)."""
    t = cmd["timings"]
    at = cmd["tree_peak_at_s"] - (cmd["wall_s"] - t["stopped"]) - t["api_ready"]   # the command's clock starts after its imports
    if at < 0:
        return "the start-up"
    for stage, seconds in summary["seconds"].items():
        if stage == "total":
            continue
        at -= seconds
        if at <= 0:
            return f"the {stage} stage"
    return "the end (after the stages)"


def _print_split(cmd: dict, stages: dict) -> None:
    """Where a command's wall time went: ours (start-up, checks, stages) against Prefect's."""
    t, wall = cmd["timings"], cmd["wall_s"]
    before = wall - t["stopped"]            # interpreter start before the command's clock, and exit
    flow = t["flow_done"] - t["api_ready"]
    ours = stages.get("total", 0.0)
    api = t.get("api_answered")
    _line("  interpreter start and exit, imports, checks", f"{before + t['checked']:.2f} s")
    if api is not None:
        _line("  Prefect's temporary API: start-up", f"{api - t['api_started']:.2f} s, overlapping ours; "
              f"waited for {max(0.0, t['api_ready'] - t['checked']):.2f} s")
    _line("  flow run", f"{flow:.2f} s: our stages {ours:.2f} s, Prefect's orchestration {flow - ours:.2f} s")
    _line("  summary, log drain, server stop", f"{t['stopped'] - t['flow_done']:.2f} s")
    prefect = max(0.0, t["api_ready"] - t["checked"]) + (flow - ours) + (t["stopped"] - t["flow_done"])
    _line("  ours / Prefect's", f"{wall - prefect:.2f} s / {prefect:.2f} s")
    peaks = t.get("stage_peaks_mb") or {}
    if peaks:
        _line("  flow process's peak after each stage", ", ".join(f"{k} {v:,.0f}" for k, v in peaks.items()) + " MB")
    cores = t.get("stage_cores_s") or {}
    if cores:   # the floor on this machine is (flow + others) / cores; idle is what packing could still win
        _line(f"  core-seconds by stage ({os.cpu_count()} cores)", "idle / flow process / its other processes")
        for stage, (idle, flow_s, others) in cores.items():
            _line(f"    {stage}", f"{idle:.1f} / {flow_s:.1f} / {others:.1f}")
        idle, flow_s, others = (sum(v[i] for v in cores.values()) for i in range(3))
        _line("    all stages", f"{idle:.1f} / {flow_s:.1f} / {others:.1f}: work {flow_s + others:,.0f} core-seconds")


def _score_links(rows: pd.DataFrame, links: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Precision / recall of (row → identity) links against the truth, rows whose person exists."""
    key = rows["source"] + "\x1f" + rows["sheet"] + "\x1f" + rows["row"].astype(str)
    got = pd.Series(links["identity_id"].to_numpy(), index=key.to_numpy())
    tkey = truth["source"] + "\x1f" + truth["sheet"] + "\x1f" + truth["row"]
    want = pd.Series(truth["identity_id"].to_numpy(), index=tkey.to_numpy())
    got = got.reindex(want.index).fillna("")
    linked = got != ""
    exists = want != ""
    correct = linked & exists & (got == want)
    p = correct.sum() / max(linked.sum(), 1)
    r = correct.sum() / max(exists.sum(), 1)
    return {"precision": float(p), "recall": float(r), "f1": float(2 * p * r / (p + r)) if p + r else 0.0}


def main(args) -> int:
    bench(args.scale, args.seed, Path(args.work), splink=not (args.no_splink or args.runs_only), db=args.db,
          runs_only=args.runs_only, dask=args.dask)
    return 0


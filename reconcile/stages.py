"""The stages of one run as plain functions: inbox → read → validate → normalise → link →
findings → store → report. ``flows/nightly.py`` wraps each in a Prefect task; tests call them
directly too. None of them logs personal data: only counts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from findings import invalid_reasons, row_findings, unit_findings, ward_results, withheld_by_ward
from findings.campaign import DEFAULT as DEFAULT_CAMPAIGN, Campaign
from findings.progress import cadre_progress, group_figures, household_members, records_by_id, unit_results
from findings.units import ages, cadre_groups, linked_positions, listed_records
from intake.identity import read_export
from intake.inbox import Inbox, file_sha256, read_inbox
from matchers.linkage import SETTINGS, link, ward_partitions
from matchers.people import link_people, people_rows
from matchers.records import normalize_identity, normalize_person_rows, number_households
import parallel
import warehouse
from reports.machine import CODES, matches_frame, sort_findings, write_run_folder
from schemas import AssignmentRows, StaffRows, validate_identity, validate_rows, validate_units


@dataclass
class Prepared:
    rows: pd.DataFrame        # normalised person-rows, with invalid_reason
    recs: pd.DataFrame        # normalised identity records
    identity_issues: dict[str, int] = field(default_factory=dict)
    unit_issues: list[dict] = field(default_factory=list)   # assignment/staff rows not fully usable
    people: pd.DataFrame | None = None   # cadre and staff rows to link (matchers.people.people_rows)


@dataclass
class Linked:
    rows: pd.DataFrame
    recs: pd.DataFrame
    links: pd.DataFrame
    people: pd.DataFrame | None = None   # cadre and staff rows linked (matchers.people.link_people)


@dataclass
class Found:
    """What the findings stage concludes. Shapes: matches (CONTRACT §3 matches.csv), findings
    (discrepancies.csv), wards (findings.units.ward_results), units (findings.progress
    UNIT_COLUMNS), cadres (CADRE_COLUMNS), households (HOUSEHOLD_COLUMNS), people (the cadre and
    staff rows with how each was linked: matchers.people LINK_COLUMNS)."""

    matches: pd.DataFrame
    findings: pd.DataFrame
    wards: pd.DataFrame
    units: pd.DataFrame
    cadres: pd.DataFrame
    households: pd.DataFrame
    people: pd.DataFrame
    groups: pd.DataFrame | None = None   # findings.progress.group_figures: each listed group's figures


def read(inbox_dir: str | Path) -> Inbox:
    """The inbox, its household rows prepared (``prepare_rows``) where they are read (by the
    reading pool's workers for a big inbox), and the export prepared (``prepare_export``) while
    the pool reads."""
    return read_inbox(Path(inbox_dir), prepare=prepare_rows, prepare_export=prepare_export)


def prepare_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw person-rows (intake.households.RAW_COLUMNS) → normalised (matchers.records.
    normalize_person_rows) and validated: ``invalid_reason`` ('' or why the row cannot be
    processed, CONTRACT §3 INVALID, from the Pandera model ``schemas.HouseholdRows``) and
    ``invalid``. Row by row, so any batch of rows gives what the whole would: the reader's
    workers run it on their batches of files (intake.inbox.read_inbox, issue 15)."""
    rows = normalize_person_rows(raw)
    reasons = validate_rows(rows)
    # Belt and braces: the contract's INVALID rule computed directly must agree with Pandera.
    direct = invalid_reasons(rows)
    rows["invalid_reason"] = reasons.where(reasons != "", direct)
    rows["invalid"] = rows["invalid_reason"] != ""
    return rows


@dataclass
class PreparedExport:
    recs: pd.DataFrame         # the export's records normalised (matchers.records.normalize_identity)
    checks: dict[str, int]     # counts of its failing checks (schemas.validate_identity), for the log


def prepare_export(identity: pd.DataFrame) -> PreparedExport:
    """The identity export (intake.identity.RENAMES columns) normalised and checked."""
    return PreparedExport(recs=normalize_identity(identity), checks=validate_identity(identity))


def validate_and_normalize(inbox: Inbox) -> Prepared:
    """Both sides normalised and validated with the Pandera models: the household rows as the
    reader prepared them (``prepare_rows``; here if it read them raw), numbered by household
    over the run's current lists (matchers.records.number_households); the export as the reader
    prepared it (``prepare_export``, ``Inbox.export_prepared``; here if it did not)."""
    rows = number_households(inbox.households if inbox.prepared else prepare_rows(inbox.households))
    export = inbox.export_prepared if inbox.export_prepared is not None else prepare_export(inbox.identity)
    recs, issues = export.recs, export.checks
    unit_issues = []
    for frame, model in ((inbox.assignments, AssignmentRows), (inbox.staff, StaffRows)):
        if len(frame):
            why = validate_units(frame, model)
            bad = frame.loc[why != "", ["source", "sheet", "row"]].assign(reason=why[why != ""])
            unit_issues += bad.drop_duplicates(["source", "sheet", "row"]).to_dict("records")
    people = people_rows(inbox.assignments, inbox.staff)
    return Prepared(rows=rows, recs=recs, identity_issues=issues, unit_issues=unit_issues, people=people)


# An export of this many records has its snapshot stored by a worker while this process
# validates, links and finds (issue 15): a province's 2.3 M records are ~13 s of the store's
# load, which otherwise runs at the report's end with the other core idle.
EARLY_EXPORT_RECORDS = 500_000


def store_export_early(db_url: str, inbox: Inbox) -> Future | None:
    """Start storing the run's identity export in the warehouse (``warehouse.store_snapshot``) on
    a worker of the run's kept pool (``parallel.kept_pools``) or of a Dask cluster on this
    machine (``flows.partitions.TaskRunnerExecutor``, ``local``); None where there is neither,
    the export is small (``EARLY_EXPORT_RECORDS``) or the cluster's workers are elsewhere (they
    may not see the inbox, nor a SQLite file). The worker reads the file again, and stores
    nothing if its bytes are no longer those read (the ledger's sha256). Wait with
    ``early_export_stored``."""
    if len(inbox.identity) < EARLY_EXPORT_RECORDS:
        return None
    pool = parallel.distributed_executor()
    if pool is not None and not getattr(pool, "local", False):
        return None
    pool = pool or parallel.kept_pool(parallel.worker_count(True))
    if pool is None:
        return None
    e = inbox.export
    return pool.submit(store_export, db_url, str(inbox.root / e["source"]), e["source"], e["export_date"],
                       e["sha256"])


def store_export(db_url: str, path: str, source: str, export_date: str, sha256: str) -> bool:
    """The export at ``path`` stored as the snapshot of (``export_date``, ``sha256``) → True;
    False, storing nothing, if the file's bytes are not those any more. Raises what
    ``read_export`` and ``warehouse.store_snapshot`` raise."""
    try:
        if file_sha256(Path(path)) != sha256:
            return False
        # Arrow-backed text: the records only pass through this process, and its memory sits on
        # top of the run's (a province's export: ~0.6 GB of PSS, against ~1.5 as Python strings)
        with pd.option_context("mode.string_storage", "pyarrow"):   # the store's text columns too
            warehouse.store_snapshot(db_url, warehouse.IdentityExport(
                export_date=dt.date.fromisoformat(export_date), source=source, sha256=sha256,
                records=read_export(Path(path))))
        return True
    finally:   # the pool's worker lives on through the run: what it used goes back now
        parallel.give_back_memory()


def early_export_stored(started: Future | None) -> str:
    """Wait for ``store_export_early``'s work: 'stored', 'changed' (the file changed since it
    was read), 'not started', or the error's type: then the store loads the snapshot itself, as
    it would have (the error's message is not passed on: it could quote a record)."""
    if started is None:
        return "not started"
    try:
        return "stored" if started.result() else "changed"
    except Exception as exc:  # noqa: BLE001 - the store does it itself; never a reason to stop a run
        return type(exc).__name__


def release_raw(inbox: Inbox) -> None:
    """Past normalising, a run needs no raw household cell (the export stays: the warehouse
    keeps it as read): drops the inbox's household rows (the rows normalised are ``Prepared``'s).
    Read raw at province scale, that is ~1.8 GB of strings whose memory the later stages' objects
    reuse; the process's RSS itself hardly falls (pymalloc keeps its arenas)."""
    inbox.households = inbox.households.iloc[:0]


def decisions_for_run(inbox: Inbox, rows: pd.DataFrame,
                      kept: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """→ (decisions in force, decisions new in this inbox). Kept decisions (newest first, as the
    warehouse returns them) are overridden by those dropped into inbox/reviews/ now. A decision
    without a person_key (a hand-made sheet) is tied to the person on that row."""
    new = inbox.reviews.copy()
    if len(new):
        missing = new["person_key"] == ""
        if missing.any():
            key = rows.set_index(["source", "sheet", "row"])["person_key"]
            key = key[~key.index.duplicated()]
            idx = pd.MultiIndex.from_arrays([new.loc[missing, "source"], new.loc[missing, "sheet"],
                                             new.loc[missing, "row"].astype("Int64")])
            new.loc[missing, "person_key"] = key.reindex(idx).fillna("").to_numpy()
        new = new[new["person_key"] != ""]
    frames = [f for f in (kept.iloc[::-1] if kept is not None else None, new) if f is not None and len(f)]
    if not frames:
        return new, new
    both = pd.concat(frames, ignore_index=True)
    return both.drop_duplicates(["person_key", "identity_id"], keep="last").reset_index(drop=True), new


# Listed rows per linkage partition (issue 15): a province of ~1.5M rows makes ~7 partitions of
# whole wards, each a worker's task of ~1.1 GB at most; a city is linked whole.
PARTITION_ROWS = 250_000


def partition_rows() -> int:
    """``$RECONCILE_PARTITION_ROWS`` if set, else ``PARTITION_ROWS``."""
    return parallel.env_count("RECONCILE_PARTITION_ROWS") or PARTITION_ROWS


def link_rows(prepared: Prepared, decisions: pd.DataFrame | None = None) -> Linked:
    """Household rows, then cadre and staff rows, linked to the export (matchers.linkage). More
    household rows than ``partition_rows``, or within ``parallel.distributed`` (``reconcile run
    --dask``), are linked by partitions of whole wards on the process pool (the cluster's
    workers), with the same links: the pairs, the biggest part of a linkage's memory, are then
    held a partition at a time by the workers, not the whole run's by this process."""
    rows, recs = prepared.rows, prepared.recs
    size = partition_rows()
    people: list[pd.DataFrame] = []

    def cadres_and_staff(weights: dict) -> None:
        # with the households' model: the same comparison levels and m/u weights; by partitions,
        # while the pool runs the second pass (~7 s at province scale that ran after it, alone)
        people.append(link_people(prepared.people, prepared.recs, weights))

    if parallel.distributed_executor() is None and len(rows) <= size:
        links = link(rows, recs, SETTINGS, decisions, meanwhile=cadres_and_staff)
    else:
        # Not meanwhile on a Dask cluster: there this process orchestrates the partitions' task
        # runs, and work of its own would starve Prefect's and Dask's threads (flows/nightly.py).
        with parallel.process_pool(parallel.worker_count(True)) as pool:
            links = link(rows, recs, SETTINGS, decisions, partitions=ward_partitions(rows, recs, size),
                         submit=pool.submit if pool is not None else None,
                         meanwhile=cadres_and_staff if parallel.distributed_executor() is None else None)
        if not people:
            cadres_and_staff(links.attrs["weights"])
    links.loc[prepared.rows["invalid"].to_numpy(), ["match_status", "identity_id", "method"]] = ["invalid", "", ""]
    return Linked(rows=prepared.rows, recs=prepared.recs, links=links, people=people[0])


def find(inbox: Inbox, linked: Linked, as_of: dt.date, campaign: Campaign = DEFAULT_CAMPAIGN) -> Found:
    """Row and unit findings, and where every unit and cadre stands (findings.progress)."""
    rows, recs, links = linked.rows, linked.recs, linked.links
    matches = matches_frame(rows, links, recs)
    by_id = records_by_id(recs)   # once: each function below looks people up in it
    per_row = row_findings(rows, links, recs, unique_ids=len(by_id) == len(recs))
    submitted = set(rows["ward_code"].unique())
    withheld = withheld_by_ward(inbox.gaps, inbox.registry.wards["ward_code"])
    people = linked.people
    age = ages(recs["birth_date"], as_of)   # once, for the three below that judge eligibility
    at = linked_positions(matches, links)   # each current row's record, as linked
    listed = listed_records(matches, recs, by_id, at)   # once, for NOT_LISTED and the groups' figures
    units = unit_findings(recs, matches, submitted, inbox.registry.groups, inbox.assignments, people, as_of,
                          withheld, campaign.eligible_age, campaign.max_groups_per_cadre, by_id=by_id, age=age,
                          listed=listed)
    findings = sort_findings(pd.concat([per_row, units], ignore_index=True))
    wards = ward_results(recs, inbox.registry.wards, as_of, campaign.eligible_age, age=age)
    households = household_members(people, recs, as_of, campaign.eligible_age, by_id=by_id)
    groups = group_figures(matches, recs, as_of, campaign, by_id=by_id, age=age, listed=listed, linked_at=at)
    cadres = cadre_progress(cadre_groups(inbox.assignments, people), groups, inbox.registry.groups, recs, as_of,
                            campaign, by_id=by_id)
    status = by_id["status"]
    per_unit = unit_results(wards, inbox.registry.agencies, people, households, cadres, inbox.registry.groups,
                            findings, status)
    return Found(matches, findings, wards, per_unit, cadres, households, people, groups)


def summary_of(run_id: str, as_of: dt.date, inbox: Inbox, matches: pd.DataFrame, findings: pd.DataFrame,
               wards: pd.DataFrame, seconds: dict[str, float], unit_issues: list[dict] | None = None,
               people: pd.DataFrame | None = None) -> dict:
    status = matches["match_status"].value_counts()
    counts = {k: int(status.get(k, 0)) for k in ("matched", "review", "unmatched", "invalid")}
    by_code = findings["code"].value_counts()
    files = inbox.files
    read_sources = files.loc[files["status"] == "accepted", "source"].drop_duplicates().tolist()
    return {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "export_date": inbox.export["export_date"],
        "rows": {"read": int(len(matches)), **counts},
        "findings": {c: int(by_code[c]) for c in CODES if c in by_code},
        "wards": {
            r.ward_code: {"name": r.ward_name, "target": int(r.target), "eligible": int(r.eligible),
                          "activated": int(r.activated), "rate": float(r.rate)}
            for r in wards.itertuples()
        },
        # every sheet of every people-made file: read (rows by kind), skipped (hidden, empty) or
        # rejected, with why; and the unit findings withheld because a file could not be read
        "files": {"read": read_sources, "rejected": inbox.rejected, "superseded": inbox.superseded,
                  "sheets": inbox.sheets},
        "withheld": [{"code": code, "ward_code": ward, "because": sources}
                     for code, by_ward in withheld_by_ward(inbox.gaps, inbox.registry.wards["ward_code"]).items()
                     for ward, sources in sorted(by_ward.items())],
        # assignment and staff rows read, and those whose person cannot be checked (with why)
        "units": {"assignment_rows": int(inbox.assignments.drop_duplicates(["source", "sheet", "row"]).shape[0]),
                  "staff_rows": int(len(inbox.staff)),
                  "unusable_rows": [{**r, "row": int(r["row"])} for r in (unit_issues or [])],
                  # how the cadre and staff rows were linked; those that found no one, with why
                  "people": _people_counts(people),
                  "not_found": [] if people is None else [
                      {"kind": r.kind, "source": r.source, "sheet": r.sheet, "row": int(r.row), "reason": r.reason}
                      for r in people[people["match_status"] != "matched"].itertuples()]},
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }


def _people_counts(people: pd.DataFrame | None) -> dict:
    if people is None or not len(people):
        return {}
    counts = people.groupby(["kind", "match_status"]).size()
    return {kind: {"rows": int(counts[kind].sum()), **{k: int(v) for k, v in counts[kind].items()}}
            for kind in counts.index.get_level_values(0).unique()}


def run_id_for(inbox: Inbox, as_of: dt.date) -> str:
    """Same inbox and date → same run id (a re-run replaces, never duplicates)."""
    return f"{as_of:%Y%m%d}-{inbox.fingerprint[:10]}"


PEOPLE_CSV_COLUMNS = ["kind", "source", "sheet", "row", "ward_code", "unit_code", "match_status", "identity_id",
                      "method", "score", "reason"]


def output_tables(found: Found) -> dict[str, pd.DataFrame]:
    """The run folder's CSVs beyond CONTRACT §3's: where each unit stands (units.csv), each
    cadre's groups against their phase (cadres.csv), the household members of staff and cadres
    (households.csv), and how every cadre and staff row was linked (people.csv)."""
    return {"units.csv": found.units, "cadres.csv": found.cadres, "households.csv": found.households,
            "people.csv": found.people[PEOPLE_CSV_COLUMNS]}


def write_outputs(out_dir: str | Path, run_id: str, matches: pd.DataFrame, findings: pd.DataFrame,
                  summary: dict, extra=None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    return write_run_folder(Path(out_dir), run_id, matches, findings, summary, extra, tables)


def warehouse_rows(linked: Linked, matches: pd.DataFrame) -> pd.DataFrame:
    """Person-rows as the warehouse keeps them: normalised values plus the match."""
    r = linked.rows
    out = r[["source", "sheet", "row", "ward_code", "group_no", "name", "name_key", "birth_date",
             "national_id", "id_state", "phone", "relation", "reported_status", "level", "case_label"]].copy()
    out["gender"] = r["gender"].map({"M": "Nam", "F": "Nữ"}).fillna("")
    out["match_status"] = matches["match_status"].to_numpy()
    out["identity_id"] = matches["identity_id"].to_numpy()
    out["method"] = matches["method"].to_numpy()
    out["score"] = matches["score"].to_numpy()
    out["agreements"] = linked.links["agreements"].fillna("").to_numpy()
    return out


def history_with(history: pd.DataFrame, units: pd.DataFrame, as_of: dt.date, run_id: str) -> pd.DataFrame:
    """The warehouse's per-unit history (warehouse.unit_history) with this run's night in it:
    the reports are written before the run is stored."""
    now = units.assign(as_of=as_of, run_id=run_id)
    past = history[history["as_of"].astype(str) != as_of.isoformat()] if len(history) else history
    frames = [f for f in (past, now) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else now


def rewrite_seconds(folder: Path, seconds: dict[str, float]) -> None:
    """Put the final timings (report and total included) into summary.json, atomically."""
    path = folder / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    summary["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


__all__ = ["release_raw", "warehouse_rows", "rewrite_seconds", "Prepared", "Linked", "read", "validate_and_normalize", "link_rows", "find", "summary_of",
           "run_id_for", "write_outputs"]

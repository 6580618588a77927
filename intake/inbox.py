"""Read a whole inbox (CONTRACT §1): registry, identity export, and every people-made file.

Every file ends in the ledger: read, rejected (with a reason a person can act on) or
superseded by a newer submission of the same ward and group. A bad file never stops the run;
only a missing registry or identity export does (``InboxError``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from intake.guard import GUARDED_SUFFIXES, guarded as guard
from intake.households import Submission, current_submissions, path_wards, raw_frame, read_household_file
from intake.identity import ExportFile, IdentityExportError, choose_export, peek_export_date, read_export
from intake.registry import Registry, read_registry
from intake.reviews import DECISION_COLUMNS, read_review_file
from intake.sheets import TABLE_SUFFIXES, UnreadableFile
from intake.units import ASSIGNMENT_COLUMNS, STAFF_COLUMNS, read_assignment_file, read_staff_file
from parallel import give_back_memory, process_pool, worker_count

FILE_COLUMNS = ["source", "sheet", "kind", "sha256", "size_bytes", "ward_code", "group_no",
                "submitted_on", "status", "reason", "replaced_by", "row_count"]


UNEXPECTED = ("Không đọc được tệp do lỗi không lường trước ({}): hãy mở tệp bằng Excel, lưu lại "
              "dưới dạng .xlsx theo mẫu của thành phố rồi gửi lại.")


class InboxError(Exception):
    """The run cannot start: the message is one clear line for the operator."""


@dataclass
class Inbox:
    root: Path
    registry: Registry
    identity: pd.DataFrame                 # the newest export, CONTRACT §1.1 renamed (identity.RENAMES)
    export: dict                           # {"source", "export_date", "sha256"}
    # person-rows of current submissions: raw (households.RAW_COLUMNS), or, read with ``prepare``,
    # what it made of them (``prepared``), in the same order
    households: pd.DataFrame
    assignments: pd.DataFrame
    staff: pd.DataFrame
    files: pd.DataFrame                    # the ledger (FILE_COLUMNS)
    rejected: list[dict] = field(default_factory=list)
    superseded: list[dict] = field(default_factory=list)
    sheets: list[dict] = field(default_factory=list)   # every sheet of every people-made file (SheetAccount)
    # What could not be read, by the wards it was about (None: could not tell, so any ward):
    # {"kind": "households"|"assignments"|"staff", "source", "sheet", "covers": [ward, ...] | None}
    gaps: list[dict] = field(default_factory=list)
    reviews: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DECISION_COLUMNS))
    fingerprint: str = ""                  # hash of every input file's hash: same inbox → same value
    prepared: bool = False                 # ``households`` is ``prepare``'s output, not raw
    export_prepared: object = None         # what ``prepare_export`` made of the export, if asked


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex (the file ledger's sha256)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Entries of the inbox that are not read, and why (named in the ledger, never silently dropped).
NOT_FOLLOWED = ("Là liên kết (symlink) tới nơi khác: không đọc để không ra khỏi thư mục hộp thư; hãy chép "
                "chính tệp vào thư mục.")
HIDDEN_ENTRY = "Tệp/thư mục ẩn hoặc tệp tạm của Office (tên bắt đầu bằng '.' hoặc '~$'): bỏ qua."
NOT_A_FILE = "Không phải tệp thường (thiết bị, ống dẫn…): bỏ qua."


def _walk(root: Path, folder: str) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Regular files under ``root/folder`` (any depth, sorted), following no symlink, and the
    entries not read with their reason: symlinks (files or folders), hidden entries and Office
    lock files, anything that is not a regular file. Stays inside the inbox (issue 14)."""
    base = root / folder
    if base.is_symlink():
        return [], [(base, NOT_FOLLOWED)]
    if not base.is_dir():
        return [], []
    files, skipped = [], []
    for top, dirs, names in os.walk(base, followlinks=False):
        here = Path(top)
        for d in list(dirs):
            p = here / d
            if p.is_symlink():
                skipped.append((p, NOT_FOLLOWED))
                dirs.remove(d)
            elif d.startswith("."):
                skipped.append((p, HIDDEN_ENTRY))
                dirs.remove(d)
        for n in names:
            p = here / n
            if p.is_symlink():
                skipped.append((p, NOT_FOLLOWED))
            elif n.startswith(("~$", ".")):
                skipped.append((p, HIDDEN_ENTRY))
            elif not p.is_file():
                skipped.append((p, NOT_A_FILE))
            else:
                files.append(p)
    return sorted(files), sorted(skipped)


def _people_files(root: Path, folder: str) -> list[Path]:
    return _walk(root, folder)[0]


def preflight(root: Path) -> None:
    """Fail fast, before any flow starts, on an inbox that cannot make a run."""
    if root.exists() and not root.is_dir():
        raise InboxError(f"--inbox {root} is a file, not a folder: name the inbox folder (docs/inbox.md)")
    if not root.is_dir():
        raise InboxError(f"inbox folder not found: {root}")
    if not os.access(root, os.R_OK | os.X_OK):
        raise InboxError(f"unreadable inbox: no permission to read {root}")
    if not (root / "registry" / "wards.csv").is_file():
        raise InboxError(f"unreadable inbox: {root}/registry/wards.csv is missing")
    if not any(p.name.endswith((".csv", ".csv.gz")) for p in _people_files(root, "identity")):
        raise InboxError(f"no identity export in {root}/identity (expected *.csv or *.csv.gz)")


def read_inbox(root: Path, prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
               prepare_export: Callable[[pd.DataFrame], object] | None = None) -> Inbox:
    """The inbox at ``root``, every file accounted for in the ledger. ``prepare`` (a picklable
    function of a raw person-rows frame → the same rows normalised, e.g.
    ``reconcile.stages.prepare_rows``): applied to the household rows where they are read, by
    each pool worker to its batch of files (``PREPARED_BATCH_FILES``), so that the run's
    biggest per-row work is spread over the cores and the raw rows never reach this process
    (issue 15); ``Inbox.households`` is then its output. ``prepare_export``: a function of the
    export's frame (e.g. ``reconcile.stages.prepare_export``: normalised and checked), run here
    while the pool reads the lists (this process waits for them otherwise); its result is
    ``Inbox.export_prepared``. Raises InboxError (no registry or no usable identity export)."""
    preflight(root)
    try:
        registry = read_registry(root)
    except Exception as exc:  # malformed registry CSV
        raise InboxError(f"unreadable registry in {root}/registry: {type(exc).__name__}") from exc

    ledger: list[dict] = []
    rejected: list[dict] = []

    def entry(path: Path, kind: str, **kw) -> dict:
        e = {c: None for c in FILE_COLUMNS}
        try:
            digest, size = file_sha256(path), path.stat().st_size
        except OSError:  # gone or unreadable since it was listed: reading it will reject it
            digest, size = "", 0
        e.update(source=path.relative_to(root).as_posix(), sheet="", kind=kind, sha256=digest,
                 size_bytes=size, status="accepted", reason="", replaced_by="", row_count=0)
        e.update(kw)
        ledger.append(e)
        return e

    def reject(e: dict, reason: str) -> None:
        e.update(status="rejected", reason=reason)
        rejected.append({"source": e["source"], "reason": reason})

    for name in ("wards.csv", "groups.csv", "agencies.csv"):
        if (root / "registry" / name).is_file():
            entry(root / "registry" / name, "registry")

    # Identity export: the newest by NGAY_XUAT, then by name.
    candidates: list[ExportFile] = []
    walked = {folder: _walk(root, folder) for folder in ("identity", "households", "assignments", "staff", "reviews")}
    for path in walked["identity"][0]:
        if not (path.name.endswith(".csv") or path.name.endswith(".csv.gz")):
            continue
        e = entry(path, "identity")
        try:
            candidates.append(ExportFile(path, e["source"], peek_export_date(path)))
        except (IdentityExportError, OSError, UnicodeDecodeError, EOFError) as exc:
            reject(e, str(exc) if isinstance(exc, IdentityExportError) else "Không đọc được tệp xuất.")
    if not candidates:
        refused = [e["reason"] for e in ledger if e["kind"] == "identity" and e["status"] == "rejected"]
        if refused:   # named with why, so the operator knows which file to ask for again
            raise InboxError(f"no usable identity export in {root}/identity: {' '.join(refused)}")
        raise InboxError(f"no identity export in {root}/identity (expected *.csv or *.csv.gz)")
    chosen = choose_export(candidates)
    for e in ledger:
        if e["kind"] == "identity" and e["status"] == "accepted" and e["source"] != chosen.source:
            e.update(status="superseded", replaced_by=chosen.source)

    # People-made files are listed (and hashed) now and read in the background, by a pool of
    # processes for a big inbox, while this process loads the identity export.
    readers = {
        "households": functools.partial(read_household_file, registry=registry,
                                        reference=dt.date.fromisoformat(chosen.export_date)),
        "assignments": functools.partial(read_assignment_file, registry=registry),
        "staff": functools.partial(read_staff_file, registry=registry),
        "reviews": read_review_file,
    }
    listed = {folder: [(entry(p, folder), p) for p in walked[folder][0]] for folder in readers}
    # What is not read is named: a link may point at a list (its ward's findings are withheld);
    # hidden files and Office lock files are junk, skipped without withholding anything.
    not_read = [(folder, p, why) for folder in ("identity", *readers) for p, why in walked[folder][1]]
    households_end = len(ledger)  # where the ledger lists superseded household sheets
    with _reader_pool([e for files in listed.values() for e, _ in files]) as pool:
        results = {folder: _read_all(readers[folder], files, pool, prepare if folder == "households" else None)
                   for folder, files in listed.items()}
        try:
            identity = read_export(chosen.path)
        except (IdentityExportError, OSError, ValueError) as exc:
            raise InboxError(f"identity export {chosen.source} is unreadable: {exc}") from exc
        export_entry = next(e for e in ledger if e["source"] == chosen.source)
        export_entry["row_count"] = len(identity)
        export_prepared = prepare_export(identity) if prepare_export is not None else None

        sheets: list[dict] = []
        gaps: list[dict] = []

        def gap(kind: str, e: dict, covers, sheet: str = "") -> None:
            """A file (or sheet) not read: the wards it was about, from its path or what was read."""
            folder_ward, file_ward = path_wards(e["source"], registry)
            known = [w for w in (folder_ward, file_ward) if w]
            if covers is not None or known:
                covers = list(dict.fromkeys(known + list(covers or ())))
            gaps.append({"kind": kind, "source": e["source"], "sheet": sheet, "covers": covers})

        def refuse(kind: str, e: dict, why) -> None:
            reason, covers = why
            reject(e, reason)
            sheets.append({"source": e["source"], "sheet": "", "status": "rejected", "reason": reason,
                           "rows": {}, "notes": []})
            gap(kind, e, covers)

        def account(kind: str, e: dict, file_sheets, covers) -> None:
            for a in file_sheets:
                sheets.append(a.as_dict(e["source"]))
                if a.status == "rejected":
                    rejected.append({"source": e["source"], "sheet": a.sheet,
                                     "reason": f"Trang tính '{a.sheet}': {a.reason}" if a.sheet else a.reason})
                    gap(kind, e, covers, a.sheet)
                if a.status in ("rejected", "skipped"):
                    ledger_sheets.append({**e, "sheet": a.sheet, "status": a.status, "reason": a.reason,
                                          "row_count": 0})

        ledger_sheets: list[dict] = []
        for folder, p, why in not_read:
            e = {c: None for c in FILE_COLUMNS}
            e.update(source=p.relative_to(root).as_posix(), sheet="", kind=folder, sha256="", size_bytes=0,
                     replaced_by="", row_count=0)
            ledger.append(e)
            if why == HIDDEN_ENTRY:
                e.update(status="skipped", reason=why)
                sheets.append({"source": e["source"], "sheet": "", "status": "skipped", "reason": why,
                               "rows": {}, "notes": []})
            elif folder in ("households", "assignments", "staff"):
                refuse(folder, e, (why, None))
            else:
                reject(e, why)

        # Household lists.
        subs = []
        for e, (ok, result) in results["households"]:
            if not ok:
                refuse("households", e, result)
                continue
            account("households", e, result.sheets, result.covers)
            subs.extend(result.submissions)
            e["row_count"] = sum(len(s.rows) for s in result.submissions)
        current, superseded = current_submissions(subs)
        del subs
        households = _person_rows(current, prepare)
        by_source = {e["source"]: e for e in ledger}
        for s in current:
            by_source[s.source].update(ward_code=s.ward_code, group_no=s.group_no, submitted_on=s.submitted_on)
        # A workbook may be only partly replaced (one sheet of several); the ledger says so per sheet.
        ledger[households_end:households_end] = [
            {**by_source[sup["source"]], "sheet": sup["sheet"], "status": "superseded",
             "replaced_by": sup["replaced_by"], "ward_code": sup["ward_code"], "group_no": sup["group_no"],
             "reason": _RULES[sup["rule"]], "row_count": 0}
            for sup in superseded]
        # A sheet's person-rows of replaced lists are counted as superseded; a sheet all of whose
        # lists were replaced is superseded, not read.
        accounts = {(a["source"], a["sheet"]): a for a in sheets if a["status"] == "read"}
        for sup in superseded:
            a = accounts.get((sup["source"], sup["sheet"]))
            if a is not None:
                a["rows"]["person"] -= sup["rows"]
                a["rows"]["superseded"] = a["rows"].get("superseded", 0) + sup["rows"]
                if a["rows"]["person"] == 0:
                    a["status"] = "superseded"

        def frames(folder: str, columns: list[str]) -> pd.DataFrame:
            parts = []
            for e, (ok, result) in results[folder]:
                if not ok:
                    refuse(folder, e, result)
                    continue
                if folder == "reviews":
                    frame = result
                else:
                    account(folder, e, result.sheets, getattr(result, "covers", ()))
                    frame = result.frame
                e["row_count"] = len(frame)
                parts.append(frame)
            return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

        assignments = frames("assignments", ASSIGNMENT_COLUMNS)
        staff = frames("staff", STAFF_COLUMNS)
        reviews = frames("reviews", DECISION_COLUMNS)

    ledger.extend(ledger_sheets)
    files = pd.DataFrame(ledger, columns=FILE_COLUMNS)
    fingerprint = hashlib.sha256("".join(sorted(files["source"] + ":" + files["sha256"])).encode()).hexdigest()
    return Inbox(
        root=root, registry=registry, identity=identity,
        export={"source": chosen.source, "export_date": chosen.export_date, "sha256": export_entry["sha256"]},
        households=households, assignments=assignments, staff=staff, files=files,
        rejected=rejected, reviews=reviews, sheets=sheets, gaps=gaps,
        superseded=[{k: s[k] for k in ("source", "sheet", "replaced_by", "replaced_by_sheet", "rule", "dates")}
                    for s in superseded],
        fingerprint=fingerprint, prepared=prepare is not None,
        export_prepared=export_prepared,
    )


# Reading is Python per cell: a big inbox is read by a pool of processes (parallel). 200 files
# (~13 ms each) pay for starting it; a city's 1,244 lists are 22 MB, so its threshold in bytes
# is that of ~200 lists (it was 32 MB: a city read on one core with the other idle, 14.3 s
# against 11.7 s with the pool, the whole command 44.9 s against 41.4 s).
PARALLEL_MIN_FILES = 200
PARALLEL_MIN_BYTES = 4 << 20


_RULES = {  # why a submission was taken for older (ledger reason, Vietnamese)
    "title_date": "Có danh sách mới hơn (theo ngày ghi trên danh sách).",
    "modified_time": "Có danh sách mới hơn (theo thời gian sửa tệp, vì không so được ngày ghi trên danh sách).",
    "file_name": "Có danh sách mới hơn (theo tên tệp, vì ngày và thời gian sửa tệp như nhau).",
}


def _reader_pool(entries: list[dict]):
    """A pool for the files of these ledger entries, or None where they are few or small."""
    big = len(entries) >= PARALLEL_MIN_FILES and sum(e["size_bytes"] for e in entries) >= PARALLEL_MIN_BYTES
    return process_pool(worker_count(big))


def _read_one(read, path: Path, source: str) -> tuple[bool, object]:
    """(True, what ``read`` made of the file) or (False, (the reason it is rejected, the wards
    it covers or None))."""
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return False, (f"Không phải tệp danh sách (.xlsx, .csv hoặc .txt): '{path.name}'.", None)
    try:
        return True, read(path, source)
    except UnreadableFile as exc:
        # Without its traceback: a reader that keeps the error it raises (the last sheet's, say)
        # makes a reference cycle through the frames, and the frames hold everything up to the
        # pool's batch, freed then only when the cyclic collector comes round (parallel.GC_THRESHOLDS).
        exc.__traceback__ = None
        return False, (str(exc), exc.covers)
    except Exception as exc:  # a bad file never stops the run
        exc.__traceback__ = None
        return False, (UNEXPECTED.format(type(exc).__name__), None)


# Household files per batch that a pool worker reads and then prepares in one go: ``prepare``
# has a fixed cost per call (Pandera's validation ~50 ms), a province's ~10,600 files make ~80
# batches of ~18,000 rows, and the last batch to finish leaves a core idle for only a second or two.
PREPARED_BATCH_FILES = 128


def _read_all(read, files: list[tuple[dict, Path]], pool: ProcessPoolExecutor | None, prepare=None):
    """(ledger entry, (ok, result of ``_read_one``)) for each file, in order. Formats no scan
    bounds are read in a guarded child process (intake.guard). With a pool, every other file is
    submitted now and read in the background; ``read`` must be picklable. With a pool and
    ``prepare``, files go by batches (``_read_batch``)."""
    guarded = [p.suffix.lower() in GUARDED_SUFFIXES for _, p in files]
    if pool is None:
        return ((e, guard(_read_one, read, p, e["source"]) if g else _read_one(read, p, e["source"]))
                for (e, p), g in zip(files, guarded))
    plain = [f for f, g in zip(files, guarded) if not g]
    if prepare is None:
        results = pool.map(_read_one, [read] * len(plain), [p for _, p in plain], [e["source"] for e, _ in plain],
                           chunksize=16)
    else:
        batches = [plain[i:i + PREPARED_BATCH_FILES] for i in range(0, len(plain), PREPARED_BATCH_FILES)]
        results = (r for batch in pool.map(_read_batch, [read] * len(batches), [[p for _, p in b] for b in batches],
                                           [[e["source"] for e, _ in b] for b in batches], [prepare] * len(batches))
                   for r in batch)
    by_file = _resilient(results, read, plain)

    def ordered():
        for (e, p), g in zip(files, guarded):
            yield e, (guard(_read_one, read, p, e["source"]) if g else next(by_file))
    return ordered()


def _read_batch(read, paths: list[Path], sources: list[str], prepare) -> list[tuple[bool, object]]:
    """``_read_one`` of each file, then the person-rows of every list they hold prepared in one
    frame (``prepare``), each list's rows becoming its positions in it (``Submission.prepared``,
    pickled once with the batch). Should ``prepare`` fail, the lists stay raw: the reading
    process prepares them, and meets the error there as any stage would."""
    results = [_read_one(read, p, s) for p, s in zip(paths, sources)]
    subs = [sub for ok, result in results if ok for sub in result.submissions]
    if subs:
        try:
            frame = prepare(raw_frame([r for sub in subs for r in sub.rows]))
        except Exception:  # noqa: BLE001 - left to the reading process, which reports it
            return results
        _point_at(subs, frame)
    give_back_memory()
    return results


def _point_at(subs: list[Submission], frame: pd.DataFrame) -> None:
    """Give each list the positions of its rows in ``frame``, made from their rows in order."""
    start = 0
    for sub in subs:
        n = len(sub.rows)
        sub.rows, sub.prepared = range(start, start + n), frame
        start += n


def _person_rows(current: list[Submission], prepare) -> pd.DataFrame:
    """The person-rows of the current lists, list after list: raw (``raw_frame``), or with
    ``prepare`` the rows its workers prepared, with those of lists read here prepared now."""
    if prepare is None:
        return raw_frame([r for sub in current for r in sub.rows])
    if not current:
        return prepare(raw_frame([]))
    here = [sub for sub in current if sub.prepared is None]
    if here:
        _point_at(here, prepare(raw_frame([r for sub in here for r in sub.rows])))
    frames: dict[int, int] = {}       # id(prepared frame) → its offset in the concatenation
    parts, positions, offset = [], [], 0
    for sub in current:
        start = frames.get(id(sub.prepared))
        if start is None:
            start = frames[id(sub.prepared)] = offset
            parts.append(sub.prepared)
            offset += len(sub.prepared)
        positions.append(np.arange(sub.rows.start + start, sub.rows.stop + start))
    whole = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return whole.take(np.concatenate(positions)).reset_index(drop=True)


def _resilient(results, read, files):
    """The pool's results; should a worker die, the files it had not finished are read one by
    one in guarded children, never in this process: one of them killed the worker."""
    done = 0
    try:
        for result in results:
            done += 1
            yield result
    except BrokenProcessPool:
        for e, p in files[done:]:
            yield guard(_read_one, read, p, e["source"])


def parse_as_of(text: str | None, export_date: str) -> dt.date:
    """The reference date: --as-of, else the export date."""
    return dt.date.fromisoformat(text or export_date)

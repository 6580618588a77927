"""The machine-readable outputs of CONTRACT §3: matches.csv, discrepancies.csv, summary.json.

A run folder appears whole or not at all: everything is written to a hidden sibling folder
which is renamed into place last.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from findings.progress import text_rank
from findings.rows import FINDING_COLUMNS
from reconcile.faults import pause_at
from reports.inert import inert_frame

MATCH_COLUMNS = ["source", "sheet", "row", "ward_code", "group_no", "match_status", "identity_id",
                 "method", "score", "reported_status", "system_status"]
DISCREPANCY_COLUMNS = FINDING_COLUMNS  # CONTRACT §3 discrepancies.csv
CODES = ["INVALID", "ID_MALFORMED", "ID_INCONSISTENT", "ID_MISSING", "ID_MISMATCH", "NOT_FOUND",
         "NAME_MISMATCH", "DOB_MISMATCH", "GENDER_MISMATCH", "PHONE_MISMATCH", "STATUS_OVERSTATED",
         "STATUS_OUTDATED", "DUPLICATE", "OUT_OF_AREA", "NOT_LISTED", "GROUP_UNASSIGNED",
         "CADRE_OVERLOADED", "CADRE_NOT_ACTIVATED", "STAFF_NOT_ACTIVATED"]


def matches_frame(rows: pd.DataFrame, links: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
    out = rows[["source", "sheet", "row", "ward_code", "group_no"]].copy()
    out["match_status"] = links["match_status"]
    out.loc[rows["invalid_reason"] != "", "match_status"] = "invalid"
    keep = out["match_status"].isin(["matched", "review"])
    out["identity_id"] = links["identity_id"].where(keep, "")
    out["method"] = links["method"].where(keep, "")
    out["score"] = links["score"].where(keep, 0.0).astype(float).round(4)
    reported = rows["reported_status"]
    out["reported_status"] = reported.where(reported != "unknown", "")
    pos = links["rec"].where(keep).fillna(-1).astype("int64").to_numpy()
    status = recs["status"].to_numpy()
    out["system_status"] = np.append(status, "")[pos]   # -1 (no record compared) → ""
    return out[MATCH_COLUMNS]


def sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """discrepancies.csv's order: row findings first, by source, sheet, row number and the code's
    place in CODES, then ward, group and identity; unit findings after them by the same keys.
    Text in code-point order, missing values last: ``sort_values(kind="stable")`` on these
    columns, by one ``np.lexsort`` of integer keys (``findings.progress.text_rank``)."""
    order = {c: i for i, c in enumerate(CODES)}
    keys = [findings["source"].eq("").to_numpy(dtype=bool), text_rank(findings["source"]),
            text_rank(findings["sheet"]), pd.to_numeric(findings["row"], errors="coerce").to_numpy(dtype=float),
            findings["code"].map(order).to_numpy(dtype=float), text_rank(findings["ward_code"]),
            text_rank(findings["group_no"]), text_rank(findings["identity_id"])]
    at = np.lexsort(keys[::-1])   # stable; NaN sorts last, as in sort_values
    return findings[DISCREPANCY_COLUMNS].take(at).reset_index(drop=True)


def _remove_stale(out_root: Path) -> None:
    """Half-written folders of runs that crashed (killed while writing, or between replacing
    and removing an old folder): the next run removes them, personal data and all. Runs on one
    warehouse are serialised by its lock, so none of these belongs to a run in progress."""
    for p in out_root.iterdir():
        if p.name.startswith(".") and p.name.endswith((".partial", ".old")) and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def _csv(frame: pd.DataFrame, path: Path) -> None:
    """RFC 4180 CSV: CRLF line ends, so a field holding a CR or LF (a hostile file name) is
    quoted; every text cell from input made inert (reports.inert)."""
    inert_frame(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")


def write_run_folder(out_root: Path, run_id: str, matches: pd.DataFrame, findings: pd.DataFrame,
                     summary: dict, extra=None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write everything into <out>/.<run_id>.partial, then rename to <out>/<run_id>.
    ``tables``: more CSVs by file name (units.csv, cadres.csv, ...). ``extra(folder, machine)``
    writes the human reports into the same folder before the rename and calls ``machine()``, which
    writes the CSVs and summary.json, when it suits it (the flow: while its pool writes the ward
    workbooks, so the CSVs take no wall time of their own); if it does not, they are written after."""
    out_root.mkdir(parents=True, exist_ok=True)
    _remove_stale(out_root)
    final = out_root / run_id
    tmp = out_root / f".{run_id}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    written = []

    def machine() -> None:
        if written:
            return
        written.append(True)
        _csv(matches, tmp / "matches.csv")
        f = findings.copy()
        f["row"] = pd.to_numeric(f["row"], errors="coerce").astype("Int64")
        _csv(f, tmp / "discrepancies.csv")
        (tmp / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        for name, frame in (tables or {}).items():
            _csv(frame, tmp / name)

    try:
        if extra is not None:
            extra(tmp, machine)
        machine()
        pause_at("rename")
        if final.exists():  # the same inbox and date again: replace, never duplicate
            old = out_root / f".{run_id}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final

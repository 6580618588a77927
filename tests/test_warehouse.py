"""The warehouse on SQLite and on a real PostgreSQL (``db_url`` fixture in conftest.py).

Frames are synthetic, built here: made-up names and numbers shaped like CONTRACT §1.1/§3.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import warehouse
from warehouse.db import engine_for

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Synthetic runs

SURNAMES = np.array(["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Danh", "Thạch", "Sơn", "Kim", "Lâm"])
MIDDLES = np.array(["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh"])
GIVENS = np.array(["An", "Bình", "Châu", "Dũng", "Hòa", "Thủy", "Sang", "Phước", "Sóc", "Mai"])
WARDS = [("30802", "Phường Vĩnh Thanh Vân"), ("30805", "Phường Vĩnh Thanh"), ("30808", "Phường Vĩnh Quang"),
         ("30811", "Phường Vĩnh Thông"), ("30814", "Phường An Hòa"), ("30817", "Xã Phi Thông")]
STATUSES = np.array(["CHUA_DANG_KY", "CHO_DUYET", "DA_DUYET", "DA_KICH_HOAT"])
CODES = np.array(["ID_MISSING", "NAME_MISMATCH", "DOB_MISMATCH", "PHONE_MISMATCH", "STATUS_OVERSTATED",
                  "NOT_FOUND", "DUPLICATE", "NOT_LISTED"])


def _digits(rng: np.random.Generator, n: int, width: int) -> pd.Series:
    return pd.Series(rng.integers(0, 10 ** width, n)).astype(str).str.zfill(width)


def make_identity(n: int, seed: int = 1, export_date: str = "2023-10-24") -> warehouse.IdentityExport:
    rng = np.random.default_rng(seed)
    province = pd.Series(rng.choice(["091", "079", "001", "094"], n))
    ids = province + pd.Series(rng.choice(list("0123"), n)) + _digits(rng, n, 2) + _digits(rng, n, 6)
    ids = ids.where(~ids.duplicated(), province + "9" + _digits(rng, n, 8))  # keep the key unique
    status = rng.choice(STATUSES, n, p=[0.15, 0.1, 0.1, 0.65])
    records = pd.DataFrame({
        "identity_id": ids,
        "name": pd.Series(rng.choice(SURNAMES, n)) + " " + rng.choice(MIDDLES, n) + " " + rng.choice(GIVENS, n),
        "birth_date": pd.Series(rng.integers(1930, 2015, n)).astype(str) + "-" + pd.Series(
            rng.integers(1, 13, n)).astype(str).str.zfill(2) + "-" + pd.Series(rng.integers(1, 29, n)).astype(str).str.zfill(2),
        "gender": rng.choice(["Nam", "Nữ"], n),
        "household_code": "HK" + _digits(rng, n, 7),
        "relation": rng.choice(["Chủ hộ", "Vợ", "Chồng", "Con", "Cháu"], n),
        "ward_code": rng.choice([w for w, _ in WARDS], n),
        "address": "Khu phố " + pd.Series(rng.integers(1, 9, n)).astype(str),
        "phone": np.where(rng.random(n) < 0.8, "09" + _digits(rng, n, 8), ""),
        "level": rng.choice(["0", "1", "2"], n),
        "status": status,
        "activated_on": np.where(status == "DA_KICH_HOAT", "2023-10-1" + pd.Series(rng.integers(0, 9, n)).astype(str), ""),
        "export_date": export_date,
    })
    sha = hashlib.sha256(f"{seed}:{n}:{export_date}".encode()).hexdigest()
    return warehouse.IdentityExport(export_date=dt.date.fromisoformat(export_date),
                                    source=f"identity/export_{export_date}.csv.gz", sha256=sha, records=records)


def make_run(n_rows: int = 300, n_findings: int = 120, identity: warehouse.IdentityExport | None = None,
             as_of: str = "2023-10-25", seed: int = 1, run_id: str | None = None,
             decisions: pd.DataFrame | None = None, rates: dict[str, float] | None = None) -> warehouse.RunData:
    """A complete synthetic RunData: person-rows, findings, files, wards and an identity export."""
    rng = np.random.default_rng(seed + 1000)
    identity = identity if identity is not None else make_identity(max(n_rows * 2, 50), seed)
    recs = identity.records
    ward_codes = [w for w, _ in WARDS]
    group = pd.Series(rng.integers(1, 40, n_rows)).astype(str)
    ward = pd.Series(rng.choice(ward_codes, n_rows))
    source = "households/" + ward + "/to_" + group.str.zfill(2) + ".xlsx"
    pick = rng.integers(0, len(recs), n_rows)
    status = rng.choice(["matched", "review", "unmatched", "invalid"], n_rows, p=[0.8, 0.05, 0.1, 0.05])
    linked = np.isin(status, ["matched", "review"])
    rows = pd.DataFrame({
        "source": source, "sheet": np.where(rng.random(n_rows) < 0.5, "", "Tổ " + group),
        "row": rng.integers(5, 400, n_rows), "ward_code": ward, "group_no": group,
        "name": recs["name"].to_numpy()[pick], "name_key": recs["name"].str.lower().to_numpy()[pick],
        "birth_date": np.where(rng.random(n_rows) < 0.05, "1970-00-00", recs["birth_date"].to_numpy()[pick]),
        "gender": rng.choice(["Nam", "Nữ", ""], n_rows, p=[0.48, 0.48, 0.04]),
        "national_id": np.where(rng.random(n_rows) < 0.9, recs["identity_id"].to_numpy()[pick], ""),
        "id_state": rng.choice(["ok", "missing", "malformed", "old_id", "unrecoverable"], n_rows,
                               p=[0.85, 0.05, 0.04, 0.03, 0.03]),
        "phone": recs["phone"].to_numpy()[pick], "relation": recs["relation"].to_numpy()[pick],
        "reported_status": rng.choice(["activated", "approved", "registered", "not_registered", ""], n_rows),
        "level": pd.array(np.where(rng.random(n_rows) < 0.2, None, rng.integers(0, 3, n_rows)), dtype="Int64"),
        "case_label": rng.choice(["", "Vắng mặt", "Không có ĐTTM"], n_rows, p=[0.9, 0.05, 0.05]),
        "match_status": status,
        "identity_id": np.where(linked, recs["identity_id"].to_numpy()[pick], ""),
        "method": np.where(linked, rng.choice(["id_exact", "id_fuzzy", "name_dob", "phone"], n_rows), ""),
        "score": np.where(linked, rng.random(n_rows).round(4), 0.0),
        "agreements": np.where(linked, "name,dob", ""),
        "extra_column_ignored": 1,
    })
    unit = rng.random(n_findings) < 0.3
    frow = rng.integers(0, n_rows, n_findings)
    findings = pd.DataFrame({
        "source": np.where(unit, "", rows["source"].to_numpy()[frow]),
        "sheet": np.where(unit, "", rows["sheet"].to_numpy()[frow]),
        "row": pd.array(np.where(unit, None, rows["row"].to_numpy()[frow]), dtype="Int64"),
        "ward_code": rows["ward_code"].to_numpy()[frow], "group_no": rows["group_no"].to_numpy()[frow],
        "identity_id": recs["identity_id"].to_numpy()[rng.integers(0, len(recs), n_findings)],
        "code": rng.choice(CODES, n_findings), "detail": "chi tiết sai lệch",
    })
    subs = rows[["source", "ward_code", "group_no"]].drop_duplicates("source").reset_index(drop=True)
    files = pd.concat([
        pd.DataFrame({"source": ["registry/wards.csv", identity.source], "sheet": "", "kind": ["registry", "identity"],
                      "sha256": ["a" * 64, identity.sha256], "size_bytes": [812, 12_345_678], "ward_code": None,
                      "group_no": None, "submitted_on": None, "status": "accepted", "reason": "", "replaced_by": "",
                      "row_count": [len(WARDS), len(recs)]}),
        subs.assign(sheet="", kind="households", sha256=[hashlib.sha256(s.encode()).hexdigest() for s in subs["source"]],
                    size_bytes=20_480, submitted_on=dt.date(2023, 10, 20), status="accepted", reason="",
                    replaced_by="", row_count=rows.groupby("source").size().reindex(subs["source"]).to_numpy()),
        pd.DataFrame({"source": ["households/30802/cu.xlsx", "households/loi.docx"], "sheet": "",
                      "kind": "households", "sha256": ["b" * 64, "c" * 64], "size_bytes": [100, 50],
                      "ward_code": ["30802", None], "group_no": ["1", None], "submitted_on": [dt.date(2023, 10, 1), None],
                      "status": ["superseded", "rejected"], "reason": ["", "Không phải tệp danh sách (.xlsx hoặc .csv)"],
                      "replaced_by": [rows["source"].iloc[0], ""], "row_count": [0, 0]}),
    ], ignore_index=True)
    rates = rates or {}
    wards = pd.DataFrame([{"ward_code": code, "ward_name": name, "target": 10_000 + i * 1000,
                           "eligible": 12_000 + i * 900, "activated": round((10_000 + i * 1000) * rates.get(code, 0.5 + i / 20)),
                           "rate": rates.get(code, 0.5 + i / 20)} for i, (code, name) in enumerate(WARDS)])
    counts = pd.Series(status).value_counts()
    run_id = run_id or f"{as_of.replace('-', '')}-{hashlib.sha256(f'{seed}{n_rows}'.encode()).hexdigest()[:10]}"
    seconds = {"read": 1.5, "validate": 0.5, "link": 2.0, "findings": 0.7, "store": 0.0, "report": 0.0, "total": 4.7}
    summary = {
        "run_id": run_id, "as_of": as_of,
        "rows": {"read": n_rows, **{k: int(counts.get(k, 0)) for k in ("matched", "review", "unmatched", "invalid")}},
        "findings": {k: int(v) for k, v in findings["code"].value_counts().items()},
        "wards": {r.ward_code: {"target": r.target, "eligible": r.eligible, "activated": r.activated, "rate": r.rate}
                  for r in wards.itertuples()},
        "files": {"read": files.loc[files["status"] == "accepted", "source"].tolist(),
                  "rejected": [{"source": "households/loi.docx", "reason": "Không phải tệp danh sách"}],
                  "superseded": [{"source": "households/30802/cu.xlsx", "sheet": "", "replaced_by": rows["source"].iloc[0]}]},
        "seconds": seconds,
    }
    started = dt.datetime.fromisoformat(f"{as_of}T02:00:00+07:00")
    return warehouse.RunData(run_id=run_id, as_of=dt.date.fromisoformat(as_of), started_at=started,
                             finished_at=started + dt.timedelta(minutes=3, seconds=seed), seconds=seconds,
                             summary=summary, files=files, rows=rows, findings=findings, wards=wards,
                             identity_export=identity, decisions=decisions)


def _decisions(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "sheet", "row", "identity_id", "decision", "note", "person_key"])


def _table(url: str, sql: str, **params) -> pd.DataFrame:
    with engine_for(url).connect() as conn:
        result = conn.execute(sa.text(sql), params)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _count(url: str, table: str) -> int:
    return int(_table(url, f"SELECT COUNT(*) AS n FROM {table}")["n"].iloc[0])


def _stored_rows(url: str, run_id: str) -> pd.DataFrame:
    return _table(url, """
        SELECT p.*, m.match_status, m.identity_id, m.method, m.score, m.agreements
        FROM person_rows p JOIN runs r ON r.id = p.run_key
        JOIN matches m ON m.run_key = p.run_key AND m.seq = p.seq
        WHERE r.run_id = :run_id ORDER BY p.seq""", run_id=run_id)


def _none_if_na(values) -> list:
    return [None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else v for v in values]


# ---------------------------------------------------------------------------------------------
# Storing and reading back


def test_store_run_round_trip(db_url):
    run = make_run(n_rows=400, n_findings=150, seed=2)
    warehouse.store_run(db_url, run)

    runs = _table(db_url, "SELECT * FROM runs")
    assert len(runs) == 1
    r = runs.iloc[0]
    assert (r["run_id"], r["status"], str(r["as_of"])) == (run.run_id, "completed", "2023-10-25")
    assert r["rows_read"] == 400 and r["findings_count"] == 150
    assert r["rows_matched"] + r["rows_review"] + r["rows_unmatched"] + r["rows_invalid"] == 400
    assert (r["files_read"], r["files_rejected"], r["files_superseded"]) == (len(run.summary["files"]["read"]), 1, 1)
    assert r["seconds_total"] == pytest.approx(4.7)
    with engine_for(db_url).connect() as conn:  # JSON columns come back through the ORM types
        from warehouse.models import Run
        stored = conn.execute(sa.select(Run.summary, Run.seconds, Run.started_at)).one()
    assert stored.summary == run.summary
    assert stored.seconds == run.seconds
    assert stored.started_at.replace(tzinfo=None) == run.started_at.astimezone(dt.timezone.utc).replace(tzinfo=None)

    rows = _stored_rows(db_url, run.run_id)
    assert len(rows) == 400
    for col in ("source", "sheet", "ward_code", "group_no", "name", "name_key", "birth_date", "gender", "national_id",
                "id_state", "phone", "relation", "reported_status", "case_label", "match_status", "identity_id",
                "method", "agreements"):
        assert rows[col].tolist() == run.rows[col].astype(str).tolist(), col
    assert rows["row"].tolist() == run.rows["row"].tolist()
    assert _none_if_na(rows["level"]) == _none_if_na(run.rows["level"])
    assert rows["score"].tolist() == pytest.approx(run.rows["score"].tolist())
    assert "extra_column_ignored" not in rows.columns

    findings = _table(db_url, "SELECT * FROM findings ORDER BY seq")
    assert findings["code"].tolist() == run.findings["code"].tolist()
    assert _none_if_na(findings["row"]) == _none_if_na(run.findings["row"])   # unit findings: NULL row
    assert findings["identity_id"].tolist() == run.findings["identity_id"].tolist()

    files = _table(db_url, "SELECT * FROM input_files ORDER BY seq")
    assert files["source"].tolist() == run.files["source"].tolist()
    assert files["status"].value_counts().to_dict() == run.files["status"].value_counts().to_dict()
    assert str(files.loc[files["kind"] == "households", "submitted_on"].iloc[0]) == "2023-10-20"
    assert files.loc[files["kind"] == "registry", "submitted_on"].isna().all()
    assert int(files.loc[files["kind"] == "identity", "size_bytes"].iloc[0]) == 12_345_678

    wards = _table(db_url, "SELECT ward_code, ward_name, target, eligible, activated, rate FROM ward_results ORDER BY ward_code")
    expected = run.wards.sort_values("ward_code").reset_index(drop=True)
    assert wards["ward_name"].tolist() == expected["ward_name"].tolist()
    assert wards["activated"].tolist() == expected["activated"].tolist()
    assert wards["rate"].tolist() == pytest.approx(expected["rate"].tolist())

    recs = _table(db_url, "SELECT * FROM identity_records ORDER BY seq")
    src = run.identity_export.records
    assert len(recs) == len(src)
    assert recs["identity_id"].tolist() == src["identity_id"].tolist()
    assert recs["level"].tolist() == src["level"].astype(int).tolist()
    activated = recs["activated_on"].map(lambda d: "" if d is None or pd.isna(d) else str(d)).tolist()
    assert activated == src["activated_on"].tolist()  # empty in the export → NULL → ''
    export = _table(db_url, "SELECT * FROM identity_exports")
    assert export["record_count"].tolist() == [len(src)] and export["sha256"].tolist() == [run.identity_export.sha256]


def test_same_run_again_replaces_it(db_url):
    identity = make_identity(600, seed=3)
    first = make_run(n_rows=300, n_findings=100, identity=identity, seed=3, run_id="20231025-aaaaaaaaaa")
    warehouse.store_run(db_url, first)
    warehouse.store_run(db_url, first)
    again = make_run(n_rows=250, n_findings=80, identity=identity, seed=4, run_id="20231025-aaaaaaaaaa")
    warehouse.store_run(db_url, again)

    assert _count(db_url, "runs") == 1
    assert _count(db_url, "person_rows") == _count(db_url, "matches") == 250
    assert _count(db_url, "findings") == 80
    assert _count(db_url, "input_files") == len(again.files)
    assert _count(db_url, "ward_results") == len(again.wards)
    assert _count(db_url, "identity_exports") == 1 and _count(db_url, "identity_records") == 600
    assert _stored_rows(db_url, again.run_id)["national_id"].tolist() == again.rows["national_id"].tolist()


def test_an_export_stored_ahead_by_a_worker_is_the_snapshot_its_run_finds(db_url, tmp_path, monkeypatch):
    """A big export is stored by a worker of the run's kept pool while the run validates
    (reconcile.stages.store_export_early); its run's store then finds it stored and loads none
    of it again. A file changed since it was read is not stored ahead: the run's store does it."""
    from intake.identity import RENAMES
    from intake.inbox import Inbox
    from reconcile import stages
    import parallel

    identity = make_identity(400, seed=21)
    source = "identity/export_2023-10-24.csv"
    path = tmp_path / "inbox" / source
    path.parent.mkdir(parents=True)
    written = identity.records.copy()
    # what the worker's Arrow-backed text must store as the flow's Python strings do
    written.loc[0, "identity_id"] = " " + written.loc[0, "identity_id"] + " "
    written.loc[1, "birth_date"] = "1990-00-00"
    written.loc[2, ["name", "level", "gender"]] = ["  Lê  Thị Ánh  ", "", ""]
    written.loc[3, "activated_on"] = "15/10/2023"   # not ISO: NULL on either side
    written.rename(columns={v: k for k, v in RENAMES.items()}).to_csv(path, index=False)
    read = stages.read_export(path)
    export = warehouse.IdentityExport(identity.export_date, source, stages.file_sha256(path), read)
    inbox = Inbox(root=tmp_path / "inbox", registry=None, identity=read, households=None, assignments=None, staff=None,
                  files=None, rejected=[], reviews=None, sheets=[], gaps=[], superseded=[], fingerprint="",
                  export={"source": source, "export_date": "2023-10-24", "sha256": export.sha256})
    monkeypatch.setenv("RECONCILE_WORKERS", "2")
    monkeypatch.setattr(stages, "EARLY_EXPORT_RECORDS", 100)   # 400 records count as big here
    with parallel.kept_pools():
        assert stages.early_export_stored(stages.store_export_early(db_url, inbox)) == "stored"
    assert _count(db_url, "identity_exports") == 1 and _count(db_url, "identity_records") == 400
    warehouse.store_run(db_url, make_run(120, 30, identity=export, seed=21))
    assert _count(db_url, "identity_exports") == 1 and _count(db_url, "identity_records") == 400
    stored = _table(db_url, "SELECT identity_id, name FROM identity_records ORDER BY seq")
    assert stored["identity_id"].tolist() == read["identity_id"].tolist() and stored["name"].tolist() == read["name"].tolist()
    assert _table(db_url, "SELECT identity_export_id FROM runs")["identity_export_id"].notna().all()

    path.write_text(path.read_text(encoding="utf-8").replace("Khu phố", "Ấp"), encoding="utf-8")
    with parallel.kept_pools():   # the ledger's sha256 is the file's before the change
        assert stages.early_export_stored(stages.store_export_early(db_url, inbox)) == "changed"
        # no kept pool of two, a small export, or a Dask cluster: the run's store does it
        monkeypatch.setenv("RECONCILE_WORKERS", "1")
        assert stages.store_export_early(db_url, inbox) is None
    assert stages.early_export_stored(None) == "not started"
    assert _count(db_url, "identity_exports") == 1

    # the flow's own store of the same file (Python strings) stores every column alike
    warehouse.store_snapshot(db_url, warehouse.IdentityExport(identity.export_date, source, "flow", read))
    both = _table(db_url, "SELECT * FROM identity_records ORDER BY export_id, seq")
    early, flow = (part.drop(columns="export_id").reset_index(drop=True) for _, part in both.groupby("export_id"))
    assert len(early) == 400 and early.loc[0, "identity_id"] == identity.records.loc[0, "identity_id"]
    pd.testing.assert_frame_equal(early, flow)


def test_the_read_stage_prepares_the_export_and_the_validate_stage_takes_it(small_city, tmp_path):
    """The export is normalised and checked with its Pandera model by the read stage, while its
    pool reads the lists (reconcile.stages.read, prepare_export); the validate stage takes
    both, and prepares the export itself only for an inbox read without them."""
    import shutil

    import pandas as pd

    from intake.inbox import read_inbox
    from matchers.records import normalize_identity
    from reconcile import stages
    from schemas import validate_identity

    shutil.copytree(small_city / "inbox", tmp_path / "inbox")   # copy2: the lists' mtimes kept
    export = tmp_path / "inbox" / stages.read(small_city / "inbox").export["source"]
    written = pd.read_csv(export, dtype=str, keep_default_na=False)
    written.loc[[3, 7], "GIOI_TINH"] = "Khác"   # two records the export's model refuses
    written.to_csv(export, index=False)
    data = stages.read(tmp_path / "inbox")
    made = data.export_prepared
    assert made.checks == validate_identity(data.identity) and made.checks["gender:isin"] == 2
    pd.testing.assert_frame_equal(made.recs, normalize_identity(data.identity))
    prepared = stages.validate_and_normalize(data)
    assert prepared.identity_issues == made.checks and prepared.recs is made.recs   # taken, not made again
    raw = read_inbox(tmp_path / "inbox")
    assert raw.export_prepared is None
    again = stages.validate_and_normalize(raw)
    assert again.identity_issues == made.checks
    pd.testing.assert_frame_equal(again.recs, made.recs)


def test_an_account_level_the_column_cannot_hold_is_stored_as_null(db_url):
    # MUC_TAI_KHOAN is a small integer; "inf" or 99999 made the whole run's store fail (OverflowError,
    # or PostgreSQL refusing the COPY) over one cell of the export
    identity = make_identity(6, seed=31)
    identity.records["level"] = ["inf", "99999", "-inf", "2", "2.0", "x"]
    warehouse.store_snapshot(db_url, identity)
    stored = _table(db_url, "SELECT level FROM identity_records ORDER BY seq")["level"]
    assert _none_if_na(stored) == [None, None, None, 2, 2, None]


def test_identity_snapshot_is_stored_once_and_shared(db_url):
    identity = make_identity(500, seed=5)
    warehouse.store_run(db_url, make_run(200, 50, identity=identity, seed=5, as_of="2023-10-24"))
    warehouse.store_run(db_url, make_run(220, 60, identity=identity, seed=6, as_of="2023-10-25"))
    assert _count(db_url, "identity_exports") == 1
    assert _count(db_url, "identity_records") == 500
    assert _table(db_url, "SELECT DISTINCT identity_export_id FROM runs")["identity_export_id"].notna().sum() == 1

    newer = make_identity(300, seed=7, export_date="2023-10-25")
    warehouse.store_run(db_url, make_run(100, 20, identity=newer, seed=7, as_of="2023-10-26"))
    assert _count(db_url, "identity_exports") == 2
    assert _count(db_url, "identity_records") == 800


def test_history_keeps_the_newest_completed_run_per_night(db_url):
    identity = make_identity(300, seed=8)
    codes = [w for w, _ in WARDS]
    nights = [
        ("2023-10-23", "20231023-aaaaaaaaaa", 1, {c: 0.40 for c in codes}),
        ("2023-10-24", "20231024-bbbbbbbbbb", 2, {c: 0.50 for c in codes}),
        ("2023-10-24", "20231024-cccccccccc", 5, {c: 0.55 for c in codes}),  # finished later: wins the night
    ]
    for as_of, run_id, seed, rates in nights:
        warehouse.store_run(db_url, make_run(50, 10, identity=identity, seed=seed, as_of=as_of, run_id=run_id, rates=rates))
    warehouse.mark_failed(db_url, "20231025-dddddddddd", dt.date(2023, 10, 25),
                          dt.datetime(2023, 10, 25, 2, tzinfo=dt.timezone.utc), "link failed: MemoryError")

    hist = warehouse.history(db_url)
    assert list(hist.columns) == ["as_of", "run_id", "ward_code", "ward_name", "target", "eligible", "activated", "rate"]
    assert len(hist) == 2 * len(WARDS)
    assert sorted(set(hist["as_of"])) == [dt.date(2023, 10, 23), dt.date(2023, 10, 24)]
    night = hist[hist["as_of"] == dt.date(2023, 10, 24)]
    assert set(night["run_id"]) == {"20231024-cccccccccc"}
    assert night["rate"].tolist() == pytest.approx([0.55] * len(WARDS))
    first = hist[hist["as_of"] == dt.date(2023, 10, 23)].set_index("ward_code")
    assert first.loc["30802", "ward_name"] == "Phường Vĩnh Thanh Vân"
    assert int(first.loc["30802", "activated"]) == round(10_000 * 0.40)
    assert int(first.loc["30802", "target"]) == 10_000

    from reconcile.cli import main
    assert main(["history", "--db", db_url, "--csv"]) == 0


def test_history_of_a_new_warehouse_is_empty(db_url):
    hist = warehouse.history(db_url)
    assert hist.empty and "rate" in hist.columns


def test_review_decisions_are_kept_per_person_and_updated(db_url):
    identity = make_identity(200, seed=9)
    ids = identity.records["identity_id"].tolist()
    first = _decisions(
        ("households/30802/to_05.xlsx", "", 12, ids[0], "same", "", "nguyen van an|1980-01-02"),
        ("households/30802/to_05.xlsx", "", 13, ids[1], "not_same", "khác người", "tran thi bich|1975-00-00"),
        ("households/30802/to_05.xlsx", "", 14, ids[2], "", "", "le van cu|1990-03-04"),  # no decision yet
    )
    warehouse.store_run(db_url, make_run(60, 10, identity=identity, seed=9, run_id="20231024-1111111111",
                                         as_of="2023-10-24", decisions=first))
    kept = warehouse.load_decisions(db_url)
    assert len(kept) == 2 and set(kept["decision"]) == {"same", "not_same"}

    # The ward resubmitted the group: the same person now sits on another file and row.
    second = _decisions(
        ("households/30802/to_05_v2.xlsx", "Tổ 5", 40, ids[0], "visit", "cần xác minh lại", "nguyen van an|1980-01-02"),
        ("households/30802/to_05_v2.xlsx", "Tổ 5", 41, ids[3], "same", None, "pham van duc|1969-07-08"),
    )
    warehouse.store_run(db_url, make_run(60, 10, identity=identity, seed=10, run_id="20231025-2222222222",
                                         decisions=second))
    warehouse.store_run(db_url, make_run(60, 10, identity=identity, seed=10, run_id="20231025-2222222222",
                                         decisions=second))  # idempotent
    kept = warehouse.load_decisions(db_url).set_index("identity_id")
    assert len(kept) == 3
    assert kept.loc[ids[0], "decision"] == "visit"
    assert kept.loc[ids[0], "note"] == "cần xác minh lại"
    assert (kept.loc[ids[0], "first_run_id"], kept.loc[ids[0], "last_run_id"]) == ("20231024-1111111111", "20231025-2222222222")
    assert (kept.loc[ids[0], "source"], int(kept.loc[ids[0], "row"])) == ("households/30802/to_05_v2.xlsx", 40)
    assert kept.loc[ids[1], "decision"] == "not_same" and kept.loc[ids[1], "last_run_id"] == "20231024-1111111111"


def test_a_bad_decision_stores_nothing_of_the_run(db_url):
    bad = _decisions(("reviews/x.xlsx", "Xem xét", 3, "091203004567", "maybe", "", "k"))
    run = make_run(80, 10, seed=11, decisions=bad)
    with pytest.raises(warehouse.WarehouseError) as info:
        warehouse.store_run(db_url, run)
    assert "091203004567" not in str(info.value)
    assert _count(db_url, "runs") == 0 and _count(db_url, "person_rows") == 0
    assert _count(db_url, "identity_records") == 0


def test_mark_failed(db_url):
    run = make_run(50, 5, seed=12)
    reason = "link failed: ValueError for 091203004567 / 0912 345 678"
    assert warehouse.mark_failed(db_url, run.run_id, run.as_of, run.started_at, reason) is True
    row = _table(db_url, "SELECT status, failure_reason, rows_read FROM runs").iloc[0]
    assert row["status"] == "failed" and row["rows_read"] == 0
    assert "091203004567" not in row["failure_reason"] and "345 678" not in row["failure_reason"]
    assert row["failure_reason"].startswith("link failed: ValueError")

    warehouse.store_run(db_url, run)  # the retry completes: the same row becomes the completed run
    row = _table(db_url, "SELECT status, failure_reason FROM runs").iloc[0]
    assert row["status"] == "completed" and row["failure_reason"] is None
    # A later failing attempt of the same inbox and date leaves the completed run alone.
    assert warehouse.mark_failed(db_url, run.run_id, run.as_of, run.started_at, "report failed") is False
    assert _table(db_url, "SELECT status FROM runs")["status"].tolist() == ["completed"]
    assert _count(db_url, "person_rows") == 50


def test_notice_is_recorded(db_url):
    run = make_run(30, 5, seed=13)
    warehouse.store_run(db_url, run)
    warehouse.record_notice(db_url, run.run_id, "30802", "ward", "email", document="thong_bao/30802.pdf")
    warehouse.store_run(db_url, run)  # replacing the run keeps the notices sent for it
    notices = _table(db_url, "SELECT n.unit_code, r.run_id FROM notices n JOIN runs r ON r.id = n.run_key")
    assert notices.values.tolist() == [["30802", run.run_id]]


# ---------------------------------------------------------------------------------------------
# Schema versions


def test_new_database_gets_the_current_schema_and_migrations_match_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from warehouse.models import Base

    warehouse.ensure_schema(db_url)
    assert warehouse.current_revision(db_url) == warehouse.head_revision()
    warehouse.ensure_schema(db_url)  # twice is fine
    with engine_for(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    # Every migration goes down and up again (SQLite in batch mode).
    warehouse.downgrade(db_url, "base")
    assert warehouse.current_revision(db_url) is None
    warehouse.upgrade(db_url)
    assert warehouse.current_revision(db_url) == warehouse.head_revision()


def test_older_schema_is_refused_with_the_upgrade_command(db_url):
    warehouse.upgrade(db_url, "0001")
    with pytest.raises(warehouse.SchemaOutdated) as info:
        warehouse.ensure_schema(db_url)
    message = str(info.value)
    assert message.startswith(f"warehouse schema is at revision 0001, this version needs {warehouse.head_revision()}")
    assert "run `reconcile db upgrade --db " in message
    with pytest.raises(warehouse.SchemaOutdated):
        warehouse.store_run(db_url, make_run(20, 2, seed=14))
    with pytest.raises(warehouse.SchemaOutdated):
        warehouse.history(db_url)

    from reconcile.cli import main
    assert main(["db", "upgrade", "--db", db_url]) == 0
    warehouse.ensure_schema(db_url)
    warehouse.store_run(db_url, make_run(20, 2, seed=14))
    assert _count(db_url, "runs") == 1


def test_unknown_schema_revision_is_refused(db_url):
    warehouse.ensure_schema(db_url)
    with engine_for(db_url).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(warehouse.SchemaOutdated, match="revision 9999, which this version does not know"):
        warehouse.ensure_schema(db_url)


def test_tables_without_revision_are_refused(tmp_path):
    from warehouse.models import Base

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    Base.metadata.create_all(engine_for(url))
    with pytest.raises(warehouse.SchemaOutdated, match="no schema revision"):
        warehouse.ensure_schema(url)


def test_messages_never_show_passwords_or_personal_numbers():
    assert "s3cret" not in warehouse.redact("postgresql+psycopg://police:s3cret@db.local/warehouse")
    assert "postgresql+psycopg://police:***@db.local/warehouse" == warehouse.redact(
        "postgresql+psycopg://police:s3cret@db.local/warehouse")
    from warehouse.store import scrub
    assert scrub("row 12: ID 091203004567, phone +84 912 345 678, CMND 381234567") == (
        "row 12: ID [number removed], phone [number removed], CMND [number removed]")


def test_default_db_url(monkeypatch, tmp_path):
    monkeypatch.delenv("RECONCILE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert warehouse.default_db_url() == f"sqlite:///{tmp_path}/vneid-reconcile/warehouse.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert warehouse.default_db_url() == f"sqlite:///{tmp_path}/home/.local/share/vneid-reconcile/warehouse.sqlite"
    monkeypatch.setenv("RECONCILE_DB", "postgresql+psycopg://u@h/d")
    assert warehouse.default_db_url() == "postgresql+psycopg://u@h/d"


# ---------------------------------------------------------------------------------------------
# Two processes, and a process killed mid-store

CHILD_PRELUDE = """
import sys, time
sys.path.insert(0, {root!r})
import warehouse
url = {url!r}
"""


def _child(url: str, body: str) -> subprocess.Popen:
    code = CHILD_PRELUDE.format(root=str(ROOT), url=url) + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, word: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == word:
            return
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"child never said {word}: {proc.stderr.read()[-2000:]}")


def test_two_runs_cannot_interleave(db_url, capsys):
    warehouse.ensure_schema(db_url)
    holder = _child(db_url, """
        with warehouse.run_lock(url):
            print("LOCKED", flush=True)
            sys.stdin.readline()
        print("RELEASED", flush=True)
    """)
    try:
        _wait_for(holder, "LOCKED")
        started = time.monotonic()
        with pytest.raises(warehouse.WarehouseBusy) as info:
            with warehouse.run_lock(db_url, timeout=0.6):
                pytest.fail("the lock was granted twice")
        assert time.monotonic() - started >= 0.5
        message = str(info.value)
        assert "is busy: another reconciliation run" in message and f"process {holder.pid}" in message
        assert "Try again when that run has finished" in message
        said = capsys.readouterr().err   # a waiting run says so, once, instead of sitting silent
        assert said.count("another run holds the warehouse") == 1 and "waiting up to" in said

        # The second run waits while the first finishes, then goes on.
        def release():
            time.sleep(1.0)
            holder.stdin.write("done\n")
            holder.stdin.flush()
        import threading
        threading.Thread(target=release, daemon=True).start()
        started = time.monotonic()
        with warehouse.run_lock(db_url, timeout=30):
            waited = time.monotonic() - started
        assert waited >= 0.8
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()


def test_runs_starting_at_once_on_an_empty_warehouse_all_get_the_schema(db_url):
    from concurrent.futures import ThreadPoolExecutor

    starters = [_child(db_url, """
        print("UP", flush=True)
        sys.stdin.readline()
        warehouse.ensure_schema(url)
        print("READY", flush=True)
    """) for _ in range(2)]
    for proc in starters:
        _wait_for(proc, "UP")
    for proc in starters:  # both are up and waiting: go at once
        proc.stdin.write("go\n")
        proc.stdin.flush()
    with ThreadPoolExecutor(2) as pool:  # and two threads of this process too
        list(pool.map(lambda _: warehouse.ensure_schema(db_url), range(2)))
    for proc in starters:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out.strip() == "READY", err[-2000:]
    assert warehouse.current_revision(db_url) == warehouse.head_revision()


def _open_new_files(folder: str, rounds: int, start, out) -> None:
    """A child of the test below: each round, a first connection to a new file at the barrier."""
    for round_ in range(rounds):
        start.wait()
        try:
            with engine_for(f"sqlite:///{folder}/{round_}.sqlite").connect() as conn:
                out.put((round_, conn.exec_driver_sql("PRAGMA journal_mode").scalar()))
        except Exception as exc:
            out.put((round_, repr(exc)))


def test_processes_opening_a_new_sqlite_file_at_once_all_switch_it_to_wal(tmp_path):
    # SQLite answers one of two connections that switch a new file to WAL at the same moment
    # "database is locked" at once, whatever the busy timeout: each holds the read lock that the
    # other's switch waits for, and SQLite will not wait in a deadlock (sqlite3_busy_handler's
    # documentation). It failed the test above once in CI. Processes, since SQLAlchemy runs an
    # engine's first connect events under a lock: threads of one process take turns.
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    n, rounds = 4, 40
    start, out = spawn.Barrier(n, timeout=60), spawn.Queue()   # a child that dies breaks the barrier
    children = [spawn.Process(target=_open_new_files, args=(str(tmp_path), rounds, start, out), daemon=True)
                for _ in range(n)]
    try:
        for child in children:
            child.start()
        results = [out.get(timeout=120) for _ in range(n * rounds)]
    finally:
        for child in children:
            child.terminate()
            child.join(timeout=10)
    failed = sorted(r for r in results if r[1] != "wal")
    assert failed == [], f"{len(failed)} of {n * rounds} connections: {failed[:3]}"


def test_sigkill_mid_store_leaves_only_complete_runs(db_url):
    identity = make_identity(2_000, seed=20)
    done = make_run(500, 100, identity=identity, seed=20, as_of="2023-10-24", run_id="20231024-0000000001")
    warehouse.store_run(db_url, done)

    # A large run, stopped for good half-way through its transaction: after its person-rows were
    # written and before its matches and findings were.
    victim = _child(db_url, """
        import warehouse.store as store
        from tests.test_warehouse import make_identity, make_run

        run = make_run(60_000, 20_000, identity=make_identity(80_000, seed=21), seed=21, run_id="20231025-0000000002")
        real_load = store._load

        def load(conn, table, frame, fixed):
            n = real_load(conn, table, frame, fixed)
            if table.name == "person_rows":
                print("MID-STORE", flush=True)
                time.sleep(120)
            return n

        store._load = load
        with warehouse.run_lock(url):
            warehouse.store_run(url, run)
        print("FINISHED", flush=True)
    """)
    try:
        _wait_for(victim, "MID-STORE", timeout=120)
        # Meanwhile, nothing of the unfinished run is visible.
        assert _table(db_url, "SELECT run_id FROM runs")["run_id"].tolist() == [done.run_id]
        assert _count(db_url, "person_rows") == 500
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.wait()

    # Only the complete run is there, whole.
    assert _table(db_url, "SELECT run_id, status FROM runs").values.tolist() == [[done.run_id, "completed"]]
    assert _count(db_url, "person_rows") == _count(db_url, "matches") == 500
    assert _count(db_url, "findings") == 100
    assert _count(db_url, "identity_exports") == 1 and _count(db_url, "identity_records") == 2_000

    # The next run takes the lock (released by the kill) and stores normally.
    after = make_run(3_000, 600, identity=make_identity(5_000, seed=22), seed=22, run_id="20231025-0000000002")
    with warehouse.run_lock(db_url, timeout=30):
        warehouse.store_run(db_url, after)
    runs = _table(db_url, "SELECT run_id, status, rows_read FROM runs ORDER BY run_id").values.tolist()
    assert runs == [[done.run_id, "completed", 500], [after.run_id, "completed", 3_000]]
    assert _count(db_url, "person_rows") == 3_500 and _count(db_url, "identity_records") == 7_000
    assert warehouse.history(db_url)["run_id"].nunique() == 2


def test_prune_keeps_the_newest_runs_and_drops_what_no_kept_run_needs(db_url):
    """Retention (issue 14): older runs go whole, with the identity snapshots only they used."""
    import sqlalchemy as sa

    old_export = make_identity(400, seed=31, export_date="2023-10-18")
    new_export = make_identity(400, seed=32, export_date="2023-10-25")
    for i, (as_of, export) in enumerate([("2023-10-23", old_export), ("2023-10-24", new_export),
                                         ("2023-10-25", new_export)]):
        warehouse.store_run(db_url, make_run(200, 50, identity=export, as_of=as_of, seed=40 + i,
                                             run_id=f"{as_of.replace('-', '')}-000000000{i}"))
    assert warehouse.prune(db_url, 2) == ["20231023-0000000000"]
    assert sorted(warehouse.history(db_url)["as_of"].astype(str).unique()) == ["2023-10-24", "2023-10-25"]
    with engine_for(db_url).connect() as conn:
        exports = conn.execute(sa.text("select export_date from identity_exports")).scalars().all()
        orphans = conn.execute(sa.text("select count(*) from person_rows where run_key not in "
                                       "(select id from runs)")).scalar_one()
    assert [str(e) for e in exports] == ["2023-10-25"] and orphans == 0
    assert warehouse.prune(db_url, 2) == []
    with pytest.raises(warehouse.WarehouseError):
        warehouse.prune(db_url, 0)


def test_prune_drops_a_snapshot_stored_ahead_by_a_failed_run_and_never_one_being_stored(db_url, monkeypatch):
    """A run stores a big export's snapshot ahead of its rows (issue 15): if it fails afterwards,
    no run refers to the snapshot, and prune removes it even with no run to remove; while a run
    holds the warehouse (its snapshot not yet referred to), prune waits for it, or gives up."""
    import sqlalchemy as sa

    export = make_identity(300, seed=33, export_date="2023-10-25")
    warehouse.store_run(db_url, make_run(100, 20, identity=export, run_id="20231025-0000000000"))
    ahead = make_identity(300, seed=34, export_date="2023-10-26")
    warehouse.store_snapshot(db_url, ahead)

    def exports() -> list[str]:
        with engine_for(db_url).connect() as conn:
            return sorted(str(e) for e in conn.execute(sa.text("select export_date from identity_exports")).scalars())

    assert exports() == ["2023-10-25", "2023-10-26"]
    monkeypatch.setenv("RECONCILE_LOCK_TIMEOUT", "0")
    with warehouse.run_lock(db_url):   # a run is being written: its snapshot stored ahead stays
        with pytest.raises(warehouse.WarehouseBusy):
            warehouse.prune(db_url, 1)
    assert exports() == ["2023-10-25", "2023-10-26"]
    assert warehouse.prune(db_url, 1) == []   # no run to remove; the orphan snapshot goes
    assert exports() == ["2023-10-25"] and _count(db_url, "identity_records") == 300
    assert warehouse.history(db_url)["run_id"].unique().tolist() == ["20231025-0000000000"]


# ---------------------------------------------------------------------------------------------
# Several writers in one run (issue 15)


def test_several_writers_store_what_one_writer_stores(postgres_url):
    """On PostgreSQL the person-rows, matches and findings go in by three connections at once;
    what is kept is exactly what one transaction keeps, and it replaces the older run the same way."""
    identity = make_identity(3_000, seed=30)
    older = make_run(400, 90, identity=identity, seed=30, run_id="20231025-3030303030")
    warehouse.store_run(postgres_url, older, writers=3)
    warehouse.record_notice(postgres_url, older.run_id, "30733", "ward", "email")
    run = make_run(2_000, 700, identity=identity, seed=31, run_id="20231025-3030303030")
    tables = (("person_rows", "seq"), ("matches", "seq"), ("findings", "seq"), ("input_files", "seq"),
              ("ward_results", "ward_code"))

    def kept() -> dict[str, pd.DataFrame]:
        return {t: _table(postgres_url, f"SELECT * FROM {t} ORDER BY {o}").drop(columns="run_key") for t, o in tables}

    warehouse.store_run(postgres_url, run)               # one transaction, replacing the older run
    one = kept()
    warehouse.store_run(postgres_url, run, writers=3)    # three writers, replacing that one
    several = kept()
    for table, _ in tables:
        assert len(one[table]) > 0, table
        pd.testing.assert_frame_equal(several[table], one[table], obj=table)
    runs = _table(postgres_url, "SELECT id, run_id, status, rows_read, failure_reason FROM runs")
    assert runs[["run_id", "status", "rows_read"]].values.tolist() == [[run.run_id, "completed", 2_000]]
    assert runs["failure_reason"].isna().all()
    # the notice sent for the older run stays with the run that replaced it
    assert _table(postgres_url, "SELECT run_key FROM notices")["run_key"].tolist() == runs["id"].tolist()


def test_a_failing_writer_keeps_nothing_of_the_run(postgres_url):
    """One writer's partition is refused by PostgreSQL (a CHECK the test adds refuses one row's
    level; the store itself makes every value fit its column): the run is not kept, neither its
    staging run nor any row another writer committed; the older run stays."""
    identity = make_identity(3_000, seed=32)
    older = make_run(500, 100, identity=identity, seed=32, run_id="20231025-3232323232")
    warehouse.store_run(postgres_url, older, writers=2)
    with engine_for(postgres_url).begin() as conn:
        conn.exec_driver_sql("ALTER TABLE person_rows ADD CONSTRAINT refuse_level_7 CHECK (level IS DISTINCT FROM 7)")
    bad = make_run(3_000, 900, identity=identity, seed=33, run_id="20231025-3232323232")
    bad.rows["level"] = bad.rows["level"].astype("Int64")
    bad.rows.loc[2_900, "level"] = 7      # in the last of the three partitions of person_rows

    with pytest.raises(warehouse.WarehouseError, match="nothing of it was kept"):
        warehouse.store_run(postgres_url, bad, writers=3)
    assert _table(postgres_url, "SELECT run_id, status FROM runs").values.tolist() == [[older.run_id, "completed"]]
    assert _count(postgres_url, "person_rows") == _count(postgres_url, "matches") == 500
    assert _count(postgres_url, "findings") == 100


def test_a_store_killed_mid_way_leaves_a_failed_run_that_the_next_store_drops(postgres_url):
    """Killed between its writers' commits and its last transaction, a run is a failed staging
    run, never a completed one; the next store drops it and its rows."""
    victim = _child(postgres_url, """
        import warehouse.store as store
        from tests.test_warehouse import make_identity, make_run

        run = make_run(20_000, 5_000, identity=make_identity(30_000, seed=34), seed=34, run_id="20231025-3434343434")
        real_load = store._load

        def load(conn, table, frame, fixed):
            n = real_load(conn, table, frame, fixed)
            if table.name == "findings" and int(fixed["seq"][0]) > 0:
                print("MID-STORE", flush=True)
                time.sleep(120)
            return n

        store._load = load
        with warehouse.run_lock(url):
            warehouse.store_run(url, run, writers=2)
    """)
    try:
        _wait_for(victim, "MID-STORE", timeout=120)
        time.sleep(1)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.wait()
    left = _table(postgres_url, "SELECT run_id, status, failure_reason FROM runs").values.tolist()
    assert len(left) == 1 and left[0][0].startswith("20231025-3434343434~") and left[0][1:] == [
        "failed", "stopped while being stored"]
    assert _count(postgres_url, "person_rows") > 0   # writers had committed their partitions
    assert warehouse.history(postgres_url).empty

    after = make_run(300, 50, identity=make_identity(600, seed=35), seed=35, run_id="20231025-3434343434")
    warehouse.store_run(postgres_url, after, writers=2)
    assert _table(postgres_url, "SELECT run_id, status FROM runs").values.tolist() == [[after.run_id, "completed"]]
    assert _count(postgres_url, "person_rows") == _count(postgres_url, "matches") == 300


@pytest.mark.parametrize("writers", [1, 3])
def test_a_pending_run_is_completed_only_when_committed(db_url, writers):
    """PendingRun (issue 15): the rows are loaded while the run still works on its reports;
    until the commit no completed run is seen from another connection, the older run of the
    same run_id stays, and the commit keeps the final timings. With several writers (PostgreSQL)
    the same holds under a staging run."""
    identity = make_identity(1_000, seed=50)
    older = make_run(200, 40, identity=identity, seed=50, run_id="20231025-5050505050")
    warehouse.store_run(db_url, older)
    run = make_run(600, 90, identity=identity, seed=51, run_id="20231025-5050505050")
    with warehouse.PendingRun(db_url, writers) as pending:
        pending.load(run)
        seen = _table(db_url, "SELECT run_id, status, rows_read FROM runs WHERE status = 'completed'")
        assert seen.values.tolist() == [[older.run_id, "completed", 200]]   # the older run, still whole
        final = {**run.seconds, "report": 12.5, "total": 17.2}
        pending.commit(seconds=final)
    runs = _table(db_url, "SELECT run_id, status, rows_read, seconds_total FROM runs")
    assert runs.values.tolist() == [[run.run_id, "completed", 600, pytest.approx(17.2)]]
    assert _count(db_url, "person_rows") == _count(db_url, "matches") == 600
    assert _count(db_url, "findings") == 90


@pytest.mark.parametrize("writers", [1, 3])
def test_a_pending_run_left_without_commit_keeps_nothing(db_url, writers):
    """A report that fails after the rows were loaded: leaving the block takes every row of the
    run back (the older run stays whole), and the warehouse takes the next write at once."""
    identity = make_identity(1_000, seed=52)
    older = make_run(200, 40, identity=identity, seed=52, run_id="20231025-5252525252")
    warehouse.store_run(db_url, older)
    with pytest.raises(RuntimeError, match="the report failed"):
        with warehouse.PendingRun(db_url, writers) as pending:
            pending.load(make_run(600, 90, identity=identity, seed=53, run_id="20231025-5252525252"))
            raise RuntimeError("the report failed")
    runs = _table(db_url, "SELECT run_id, status, rows_read FROM runs")
    assert runs.values.tolist() == [[older.run_id, "completed", 200]]
    assert _count(db_url, "person_rows") == _count(db_url, "matches") == 200
    assert warehouse.mark_failed(db_url, "20231025-5353535353", dt.date(2023, 10, 25),
                                 dt.datetime(2023, 10, 25, tzinfo=dt.timezone.utc), "report failed")

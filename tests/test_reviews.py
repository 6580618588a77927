"""Review decisions (CONTRACT §5): filled in the ward workbook, dropped into inbox/reviews/,
applied by the next run and kept in the warehouse for the runs after it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd

import warehouse


def _run(inbox: Path, out: Path, db: str, as_of: str) -> Path:
    from flows.nightly import reconcile

    with warehouse.using(db):
        return Path(reconcile(inbox=str(inbox), out=str(out), as_of=as_of))


def test_decisions_apply_and_outlive_the_review_file(prefect_harness, small_clean_city, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(small_clean_city / "inbox", inbox)
    as_of = json.loads((small_clean_city / "truth" / "meta.json").read_text())["as_of"]
    db = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    first = _run(inbox, tmp_path / "out1", db, as_of)

    # Inspection team: open a ward workbook's review sheet and decide two rows.
    book = sorted((first / "bao_cao").glob("3*.xlsx"))[0]
    wb = openpyxl.load_workbook(book)
    ws = wb["Xem xét"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[col["identity_id"]]]
    assert len(rows) >= 2, "the review sheet lists rows that need a person's eye"
    wrong = rows[0]
    # a different person (a DUPLICATE's two rows share one person and one identity)
    right = next(r for r in rows[1:] if r[col["identity_id"]] != wrong[col["identity_id"]]
                 and r[col["person_key"]] != wrong[col["person_key"]])
    for r in ws.iter_rows(min_row=2):
        if r[col["row"]].value == wrong[col["row"]] and r[col["source"]].value == wrong[col["source"]]:
            r[col["Kết luận"]].value = "Không phải"
        if r[col["row"]].value == right[col["row"]] and r[col["source"]].value == right[col["source"]]:
            r[col["Kết luận"]].value = "Đúng người"
    (inbox / "reviews").mkdir()
    wb.save(inbox / "reviews" / book.name)

    def status_of(run: Path, record) -> pd.Series:
        m = pd.read_csv(run / "matches.csv", dtype=str, keep_default_na=False)
        hit = m[(m["source"] == record[col["source"]]) & (m["row"] == str(record[col["row"]]))]
        return hit.iloc[0]

    second = _run(inbox, tmp_path / "out2", db, as_of)
    assert status_of(second, wrong)["identity_id"] != wrong[col["identity_id"]]  # that pairing is forbidden
    kept = status_of(second, right)
    assert (kept["match_status"], kept["method"], kept["identity_id"]) == ("matched", "review", right[col["identity_id"]])

    # The review file is gone (or the ward resubmitted): the decisions still hold.
    shutil.rmtree(inbox / "reviews")
    third = _run(inbox, tmp_path / "out3", db, as_of)
    assert status_of(third, wrong)["identity_id"] != wrong[col["identity_id"]]
    assert status_of(third, right)["method"] == "review"

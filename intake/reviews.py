"""Review decisions dropped into ``inbox/reviews/`` (CONTRACT §5).

A team fills the "Kết luận" column of a ward workbook's review sheet: "Đúng người" (same person),
"Không phải" (not this person) or "Cần xác minh" (needs a visit). Decisions are keyed on the
person (``person_key``: folded name, birth date, ward) so that they outlive a resubmission.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from intake.headers import header_key
from reports.inert import uninert
from intake.sheets import UnreadableFile, read_grids
from matchers.text import fold

DECISION_COLUMNS = ["source", "sheet", "row", "identity_id", "decision", "note", "person_key", "decided_in"]
_DECISIONS = {"dung nguoi": "same", "khong phai": "not_same", "can xac minh": "visit"}
_NEEDED = {header_key(h) for h in ("source", "sheet", "row", "identity_id", "Kết luận")}


def _decision(value) -> str:
    f = fold(str(value or ""))
    for phrase, code in _DECISIONS.items():
        if f.startswith(phrase):
            return code
    return ""


def read_review_file(path: Path, source: str) -> pd.DataFrame:
    records = []
    found_sheet = False
    for grid in read_grids(path):
        for idx, row in enumerate(grid.rows[:10]):
            keys = [header_key(str(c)) if c not in ("", None) else "" for c in row]
            if _NEEDED <= set(keys):
                found_sheet = True
                col = {k: keys.index(k) for k in set(keys) if k}
                for r in grid.rows[idx + 1:]:
                    def cell(name):
                        i = col.get(header_key(name))
                        return r[i] if i is not None and i < len(r) else ""
                    decision = _decision(cell("Kết luận"))
                    if not decision:
                        continue
                    row_no = cell("row")
                    records.append({
                        "source": uninert(str(cell("source"))), "sheet": uninert(str(cell("sheet"))),
                        "row": int(float(row_no)) if str(row_no).strip() not in ("", "None") else None,
                        "identity_id": str(cell("identity_id")).strip().split(".")[0].zfill(12)
                        if str(cell("identity_id")).strip() else "",
                        "decision": decision, "note": str(cell("Ghi chú") or ""),
                        "person_key": str(cell("person_key") or ""), "decided_in": source,
                    })
                break
    if not found_sheet:
        raise UnreadableFile("Không phải sổ kiểm tra: không thấy trang có các cột source, sheet, row, "
                             "identity_id và 'Kết luận'.")
    return pd.DataFrame.from_records(records, columns=DECISION_COLUMNS)

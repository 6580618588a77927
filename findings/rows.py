"""Row findings: what is wrong with one person-row of a list (CONTRACT §3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matchers.normalize import STATUS_ORDER

FINDING_COLUMNS = ["source", "sheet", "row", "ward_code", "group_no", "identity_id", "code", "detail"]

_ID_MALFORMED_DETAIL = {
    "old_id": "Số CMND cũ (9 số), không phải số định danh cá nhân 12 số",
    "unrecoverable": "Số bị Excel đổi sang dạng khoa học (ví dụ 9.12E+10), mất chữ số: cần ghi lại",
    "malformed": "Không phải số định danh 12 số với mã tỉnh hợp lệ",
}
_SEX_VI = {"M": "Nam", "F": "Nữ"}
_STATUS_VI = {"not_registered": "chưa đăng ký", "registered": "đã đăng ký (chờ duyệt)",
              "approved": "đã duyệt", "activated": "đã kích hoạt"}


def invalid_reasons(rows: pd.DataFrame) -> pd.Series:
    """'' for a row that can be processed, else why not (Vietnamese, no personal data)."""
    no_name = rows["name_key"] == ""
    no_key = (rows["id_state"] != "ok") & (rows["birth_date"] == "")
    return pd.Series(np.select(
        [no_name, no_key],
        ["Thiếu họ và tên", "Không có số định danh hợp lệ và không có ngày sinh"], ""), index=rows.index)


def row_findings(rows: pd.DataFrame, links: pd.DataFrame, recs: pd.DataFrame, unique_ids: bool = False) -> pd.DataFrame:
    """rows: normalised rows with 'invalid_reason' (reconcile.stages.prepare_rows, then
    matchers.records.number_households); links: matchers.linkage.link output (same index); recs:
    normalised identity records (matchers.records.normalize_identity; positional, as linked).
    ``unique_ids``: no identity_id appears twice in ``recs`` (CONTRACT §1.1; the findings stage
    knows it from findings.units.records_by_id), so a record's position stands for its ID.
    → FINDING_COLUMNS, one row per finding."""
    base = rows[["source", "sheet", "row", "ward_code", "group_no"]]
    status = links["match_status"]
    candidate = status.isin(["matched", "review"])
    invalid = rows["invalid_reason"] != ""
    ident = links["identity_id"].where(candidate, "")
    out: list[pd.DataFrame] = []

    def emit(mask, code: str, detail) -> None:
        mask = pd.Series(mask, index=rows.index).fillna(False).astype(bool)
        if not mask.any():
            return
        # A callable detail is worded for the flagged rows only: most rows are flagged by nothing.
        d = detail(mask) if callable(detail) else (detail[mask] if isinstance(detail, pd.Series) else detail)
        out.append(base[mask].assign(identity_id=ident[mask], code=code, detail=d))

    emit(invalid, "INVALID", rows["invalid_reason"])
    ok = ~invalid
    state = rows["id_state"]
    emit(ok & (state == "missing"), "ID_MISSING", "Không ghi số định danh cá nhân")
    emit(ok & state.isin(list(_ID_MALFORMED_DETAIL)), "ID_MALFORMED", state.map(_ID_MALFORMED_DETAIL))
    g, s = rows["gender"].to_numpy(dtype=object), rows["id_sex"].to_numpy(dtype=object)
    sex_bad = pd.Series((g != "") & (s != "") & (g != s), index=rows.index)
    year_bad = rows["birth_year"].notna() & rows["id_year"].notna() & (rows["birth_year"] != rows["id_year"])
    year_bad = year_bad.fillna(False).astype(bool)
    def inconsistency(m):   # worded for the flagged rows only (for all 1.5 M rows at province scale: ~2 s)
        sex, year = sex_bad[m], year_bad[m]
        return pd.Series(np.select(
            [sex & year, sex], ["Chữ số thứ 4–6 không khớp giới tính và năm sinh", "Chữ số thứ 4 không khớp giới tính"],
            "Chữ số thứ 4–6 không khớp năm sinh"), index=sex.index)

    emit(ok & (state == "ok") & (sex_bad | year_bad), "ID_INCONSISTENT", inconsistency)
    emit(ok & (status == "unmatched"), "NOT_FOUND", "Không tìm thấy trong dữ liệu định danh")

    # Comparisons with the matched record (or, for review, the best candidate). Each record's
    # field is taken by position (an extension array's take: no dtype inference, ~4x faster than
    # building an object array) and compared as object arrays (NumPy's element-wise !=, ~3x
    # faster than pandas' text comparison, with the same answer: a missing value differs from
    # everything). At province scale the section took ~7 s of the findings stage's ~25.
    cmp = ok & candidate
    pos = links["rec"].where(cmp).fillna(-1).astype(np.int64).to_numpy()
    compared = pos >= 0
    R = recs.reset_index(drop=True)

    def rec(col: str) -> pd.Series:   # NaN where no record is compared
        return pd.Series(R[col].array.take(pos, allow_fill=True), index=rows.index)

    def ne(a, b) -> np.ndarray:
        return np.asarray(a.to_numpy(dtype=object) != b.to_numpy(dtype=object), dtype=bool)

    def filled(col: str) -> np.ndarray:   # a compared record's text, '' where none or missing
        v = rec(col).to_numpy(dtype=object, copy=True)   # a view may be read-only (copy on write)
        v[pd.isna(v)] = ""
        return v

    on = cmp.to_numpy(dtype=bool)
    rec_name = rec("name")
    emit(on & (state == "ok").to_numpy() & ne(rows["national_id"], ident), "ID_MISMATCH",
         "Số định danh trên danh sách khác số của người được đối chiếu")
    emit(on & ne(rows["name_key"], rec("name_key")), "NAME_MISMATCH",
         lambda m: "Danh sách: " + rows["name"][m] + " / hệ thống: " + rec_name[m].astype(str))
    rd, cd = rows["birth_date"].to_numpy(dtype=object), filled("birth_date")   # ISO text already
    # a year-only date on either side is compared by year (both sides' normalisers flag them)
    yonly = rows["year_only"].to_numpy(dtype=bool, copy=True)
    yonly[compared] |= R["year_only"].to_numpy(dtype=bool)[pos[compared]]
    differ = rd != cd
    by_year = np.flatnonzero(yonly)   # few rows: their years cut out for them only
    differ[by_year] = [_year(a) != _year(b) for a, b in zip(rd[by_year], cd[by_year])]
    dob_bad = (rd != "") & (cd != "") & differ
    rd, cd = pd.Series(rd, index=rows.index, dtype=object), pd.Series(cd, index=rows.index, dtype=object)
    emit(on & dob_bad, "DOB_MISMATCH",
         lambda m: "Danh sách: " + _vi_date(rd[m]) + " / hệ thống: " + _vi_date(cd[m]))
    rg, cg = rows["gender"], rec("gender").fillna("")
    g, h = rg.to_numpy(dtype=object), cg.to_numpy(dtype=object)
    emit(on & (g != "") & (h != "") & (g != h), "GENDER_MISMATCH",
         lambda m: "Danh sách: " + rg[m].map(_SEX_VI) + " / hệ thống: " + cg[m].map(_SEX_VI))
    rp, cp = rows["phone"].to_numpy(dtype=object), filled("phone")
    emit(on & (rp != "") & (cp != "") & (rp != cp), "PHONE_MISMATCH",
         "Số điện thoại trên danh sách khác số đăng ký tài khoản định danh điện tử")
    reported = rows["reported_status"].map(STATUS_ORDER)
    system_status = rec("status").fillna("")
    system = system_status.map(STATUS_ORDER)
    both = reported.notna() & system.notna()

    def status_detail(m):
        return ("Báo cáo: " + rows["reported_status"][m].map(_STATUS_VI).fillna("") +
                " / hệ thống: " + system_status[m].map(_STATUS_VI).fillna(""))

    emit(cmp & both & (reported > system), "STATUS_OVERSTATED", status_detail)
    emit(cmp & both & (reported < system), "STATUS_OUTDATED", status_detail)
    # the same identity on several compared rows: by the record's position where the export's
    # IDs are unique (integers: ~10x faster than hashing 1.4 M identity_id strings), else by ID
    dup = np.zeros(len(rows), dtype=bool)
    key = pd.Series(pos[on]) if unique_ids else ident[on]
    dup[on] = key.duplicated(keep=False).to_numpy()
    emit(dup, "DUPLICATE", "Cùng một người có trên nhiều dòng danh sách")
    rw = rec("ward_code").fillna("")
    emit(cmp & (rw != rows["ward_code"]), "OUT_OF_AREA",
         lambda m: "Người này cư trú tại đơn vị khác: " + rw[m].astype(str))

    if not out:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return pd.concat(out, ignore_index=True)[FINDING_COLUMNS]


def _year(date):
    """A date's first four characters, as ``Series.str[:4]`` gives them (a missing one stays missing)."""
    return date[:4] if isinstance(date, str) else date


def _vi_date(d: pd.Series) -> pd.Series:
    """'1985-03-07' → '07/03/1985'; '1985-00-00' → '1985'."""
    d = d.fillna("").astype(str)
    full = d.str[8:10] + "/" + d.str[5:7] + "/" + d.str[:4]
    return pd.Series(np.where(d.str.endswith("-00-00") | (d.str.len() < 10), d.str[:4], full), index=d.index)

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


def row_findings(rows: pd.DataFrame, links: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
    """rows: normalised rows with 'invalid_reason' (reconcile.stages.prepare_rows, then
    matchers.records.number_households); links: matchers.linkage.link output (same index); recs:
    normalised identity records (matchers.records.normalize_identity; positional, as linked)."""
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
    sex_bad = (rows["gender"] != "") & (rows["id_sex"] != "") & (rows["gender"] != rows["id_sex"])
    year_bad = rows["birth_year"].notna() & rows["id_year"].notna() & (rows["birth_year"] != rows["id_year"])
    year_bad = year_bad.fillna(False).astype(bool)
    def inconsistency(m):   # worded for the flagged rows only (for all 1.5 M rows at province scale: ~2 s)
        sex, year = sex_bad[m], year_bad[m]
        return pd.Series(np.select(
            [sex & year, sex], ["Chữ số thứ 4–6 không khớp giới tính và năm sinh", "Chữ số thứ 4 không khớp giới tính"],
            "Chữ số thứ 4–6 không khớp năm sinh"), index=sex.index)

    emit(ok & (state == "ok") & (sex_bad | year_bad), "ID_INCONSISTENT", inconsistency)
    emit(ok & (status == "unmatched"), "NOT_FOUND", "Không tìm thấy trong dữ liệu định danh")

    # Comparisons with the matched record (or, for review, the best candidate).
    cmp = ok & candidate
    pos = links["rec"].where(cmp).fillna(-1).astype(np.int64).to_numpy()
    R = recs.reset_index(drop=True)

    def rec(col: str) -> pd.Series:
        vals = R[col].to_numpy()
        return pd.Series(np.where(pos >= 0, vals[np.maximum(pos, 0)], None), index=rows.index)

    rec_name, rec_key = rec("name"), rec("name_key")
    emit(cmp & (state == "ok") & (rows["national_id"] != ident), "ID_MISMATCH",
         "Số định danh trên danh sách khác số của người được đối chiếu")
    emit(cmp & (rows["name_key"] != rec_key), "NAME_MISMATCH",
         lambda m: "Danh sách: " + rows["name"][m] + " / hệ thống: " + rec_name[m].astype(str))
    rd, cd = rows["birth_date"], rec("birth_date").fillna("")   # ISO text already: no astype (~1 s)
    # a year-only date on either side is compared by year (both sides' normalisers flag them)
    yonly = rows["year_only"].to_numpy(dtype=bool) | rec("year_only").fillna(False).to_numpy(dtype=bool)
    differ = (rd != cd).to_numpy(dtype=bool, copy=True)
    by_year = np.flatnonzero(yonly)   # few rows: their years cut out for them only
    differ[by_year] = (rd.iloc[by_year].str[:4] != cd.iloc[by_year].str[:4]).to_numpy(dtype=bool)
    dob_bad = (rd != "") & (cd != "") & differ
    emit(cmp & dob_bad, "DOB_MISMATCH",
         lambda m: "Danh sách: " + _vi_date(rd[m]) + " / hệ thống: " + _vi_date(cd[m]))
    rg, cg = rows["gender"], rec("gender").fillna("")
    emit(cmp & (rg != "") & (cg != "") & (rg != cg), "GENDER_MISMATCH",
         lambda m: "Danh sách: " + rg[m].map(_SEX_VI) + " / hệ thống: " + cg[m].map(_SEX_VI))
    rp, cp = rows["phone"], rec("phone").fillna("")
    emit(cmp & (rp != "") & (cp != "") & (rp != cp), "PHONE_MISMATCH",
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
    # the same identity on several compared rows (duplicated: ~6x faster than counting each
    # identity and mapping the counts back, at province scale 2.7 s)
    on = cmp.to_numpy(dtype=bool)
    dup = np.zeros(len(rows), dtype=bool)
    dup[on] = ident[on].duplicated(keep=False).to_numpy()
    emit(dup, "DUPLICATE", "Cùng một người có trên nhiều dòng danh sách")
    rw = rec("ward_code").fillna("")
    emit(cmp & (rw != rows["ward_code"]), "OUT_OF_AREA",
         lambda m: "Người này cư trú tại đơn vị khác: " + rw[m].astype(str))

    if not out:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    return pd.concat(out, ignore_index=True)[FINDING_COLUMNS]


def _vi_date(d: pd.Series) -> pd.Series:
    """'1985-03-07' → '07/03/1985'; '1985-00-00' → '1985'."""
    d = d.fillna("").astype(str)
    full = d.str[8:10] + "/" + d.str[5:7] + "/" + d.str[:4]
    return pd.Series(np.where(d.str.endswith("-00-00") | (d.str.len() < 10), d.str[:4], full), index=d.index)

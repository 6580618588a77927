"""A ward's inspection workbook, laid out for the team that opens it: where the ward stands
(first sheet), whom to visit (second), one sheet per kind of finding with the list's value beside
the system's, each cadre's groups against their phase, the ward's unit findings, and the review
sheet whose "Kết luận" column comes back through inbox/reviews/ (CONTRACT §5).

Codes (CONTRACT §3) sit in a hidden last column of each sheet, for machines only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter

from findings.campaign import Campaign
from reports.details import visit_list
from reports.labels import (ACCOUNT_LABELS, CODE_LABELS, CODE_SHEETS, DECISIONS, GENDER_LABELS, MET_LABELS,
                            STATE_LABELS, natural, vi_date)
from reports.xlsx import formats, page, table, wrapped_lines

EXPORT_OLD_DAYS = 3   # an identity export older than this on the run's date gets a visible warning
# Findings a person should confirm on the spot, beside rows in review (CONTRACT §5).
CONFIRM_CODES = {"ID_MISMATCH", "NAME_MISMATCH", "DOB_MISMATCH", "GENDER_MISMATCH", "DUPLICATE", "OUT_OF_AREA"}
# For each row finding: the field whose list value and system value a team compares.
COMPARED = {
    "ID_MISMATCH": ("list_id", "identity_id", "Số định danh"),
    "NAME_MISMATCH": ("list_name", "sys_name", "Họ tên"),
    "DOB_MISMATCH": ("list_birth_date", "sys_birth_date", "Ngày sinh"),
    "GENDER_MISMATCH": ("list_gender", "sys_gender", "Giới tính"),
    "PHONE_MISMATCH": ("list_phone", "sys_phone", "Số điện thoại"),
    "STATUS_OVERSTATED": ("list_status", "sys_status", "Kết quả"),
    "STATUS_OUTDATED": ("list_status", "sys_status", "Kết quả"),
    "OUT_OF_AREA": ("ward_code", "sys_ward", "Phường/xã"),
    "DUPLICATE": ("list_id", "identity_id", "Số định danh"),
    "ID_INCONSISTENT": ("list_id", "list_birth_date", "Số định danh / ngày sinh"),
}


@dataclass
class WardBook:
    """Everything one ward's workbook shows. Shapes: details (reports.details DETAIL_COLUMNS +
    person_key), findings (discrepancies.csv rows of the ward), not_listed (NOT_LISTED_COLUMNS),
    groups (registry groups of the ward), cadres (findings.progress
    CADRE_COLUMNS), history (warehouse.unit_history rows of the ward)."""

    ward: dict
    as_of: str
    export_date: str
    details: pd.DataFrame
    findings: pd.DataFrame
    not_listed: pd.DataFrame
    groups: pd.DataFrame
    cadres: pd.DataFrame | None
    history: pd.DataFrame | None
    rejected: list
    withheld: list
    campaign: Campaign
    group_figures: pd.DataFrame | None = None   # findings.progress.group_figures of the ward


def _columns(frame: pd.DataFrame, *names: str) -> list[list]:
    """The frame's columns as lists, to zip into a sheet's records: iterating a pandas column of
    text goes through its array one element at a time (~20x slower than ``tolist``)."""
    return [frame[name].tolist() for name in names]


def _value(field: str, v: str) -> str:
    if field.endswith("birth_date"):
        return vi_date(v)
    if field.endswith("gender"):
        return GENDER_LABELS.get(v, v)
    if field.endswith("status"):
        return ACCOUNT_LABELS.get(v, v) if v else ""
    return v


def review_rows(book: WardBook) -> pd.DataFrame:
    """The rows the review sheet lists: in review, or with a finding a person must confirm; with
    ``codes``, each row's finding codes in the findings' order."""
    f = book.findings[book.findings["source"] != ""]
    f_key = pd.MultiIndex.from_arrays([f["source"], f["sheet"], pd.to_numeric(f["row"]).astype(int)])
    d = book.details
    key = pd.MultiIndex.from_arrays([d["source"], d["sheet"], d["row"].astype(int)])
    wanted = (d["match_status"] == "review").to_numpy() | key.isin(f_key[f["code"].isin(CONFIRM_CODES).to_numpy()])
    # the codes as a list per row for the wanted rows only: a groupby's list costs tens of µs a
    # row, and most of a ward's findings are on rows no one needs to confirm
    mine = f_key.isin(key[wanted])
    codes = f["code"][mine].groupby([f_key.get_level_values(i)[mine] for i in range(3)]).apply(list)
    return d[wanted].assign(codes=[c if isinstance(c, list) else [] for c in codes.reindex(key[wanted])])


def write_ward(path: Path, book: WardBook) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})   # rows are written in order
    fmt = formats(wb)
    run_date = vi_date(book.as_of)
    review = review_rows(book)
    # the ward's visit list from its own frames, here on the pool's worker: it is the whole run's
    # list cut by ward (visit_list sorts by ward first, and a row's findings are its ward's)
    visits = visit_list(book.details, book.not_listed, book.findings)
    _overview(wb, fmt, book, review, visits, run_date)
    _visits(wb, fmt, visits, run_date)
    _finding_sheets(wb, fmt, book, run_date)
    if book.cadres is not None and len(book.cadres):
        _cadres(wb, fmt, book.cadres, run_date)
    _unit_findings(wb, fmt, book, run_date)
    _review(wb, fmt, review, run_date)
    if book.rejected:
        rj = wb.add_worksheet("Tệp bị từ chối")
        table(rj, fmt, 0, ["Tệp", "Trang tính", "Lý do"],
              [(r["source"], r.get("sheet", ""), r["reason"]) for r in book.rejected], [50, 15, 110])
        page(rj, 0, run_date)
    wb.close()


def _overview(wb, fmt, book: WardBook, review: pd.DataFrame, visits: pd.DataFrame, run_date: str) -> None:
    """Where the ward stands, in ten seconds: the rate against target and against eligible
    residents, what the team must do, the deadlines, the nightly trend, each group's progress."""
    w = book.ward
    ws = wb.add_worksheet("Tổng quan")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 12, 12)
    ws.write_string(0, 0, f"KẾT QUẢ ĐỐI CHIẾU — {str(w['ward_name']).upper()}", fmt["title"])
    ws.write_string(1, 0, f"Ngày đối chiếu: {run_date} — dữ liệu định danh ngày {vi_date(book.export_date)}",
                    fmt["subtitle"])
    r = 2
    age = _days(book.export_date, book.as_of)
    if age is not None and age > EXPORT_OLD_DAYS:
        _warning(ws, fmt, r, f"Lưu ý: dữ liệu định danh đã cũ {age} ngày so với ngày đối chiếu; người kích hoạt "
                             "sau ngày xuất dữ liệu chưa được tính.")
        r += 1
    r += 1
    target, eligible, activated = int(w["target"]), int(w["eligible"]), int(w["activated"])
    lines = [("Chỉ tiêu được giao", target, "big"), ("Công dân đủ 14 tuổi (theo dữ liệu định danh)", eligible, "big"),
             ("Đã kích hoạt", activated, "big"),
             ("Tỷ lệ so với chỉ tiêu", activated / target if target else float("nan"), "bigpct"),
             ("Tỷ lệ so với công dân đủ 14 tuổi", activated / eligible if eligible else float("nan"), "bigpct"),
             ("Số người cần đến nhà (trang \"Cần đến nhà\")", len(visits), "big"),
             ("Chưa có trong danh sách của tổ", len(book.not_listed), "big"),
             ("Dòng cần xem xét (trang \"Xem xét\")", len(review), "big")]
    for label, value, f in lines:
        ws.write_string(r, 0, label, fmt["bold"])
        if value == value:
            ws.write_number(r, 1, value, fmt[f])
        r += 1
    r += 1
    ws.write_string(r, 0, "Thời hạn", fmt["bold"])
    r += 1
    today = dt.date.fromisoformat(book.as_of)
    for phase in book.campaign.phases:
        ws.write_string(r, 0, f"{phase.name}: hoàn thành tổ thứ {book.campaign.phases.index(phase) + 1} "
                              "của mỗi cán bộ")
        ws.write_string(r, 1, _due(phase.due, today))
        r += 1
    ws.write_string(r, 0, "Hạn chót của chiến dịch")
    ws.write_string(r, 1, _due(book.campaign.deadline, today))
    r += 2
    for line in book.withheld:
        _warning(ws, fmt, r, line)
        r += 1
    # the nightly trend (warehouse), as a native chart fed by a small table
    trend = _trend_points(book)
    ws.write_string(r, 0, "Diễn biến tỷ lệ so với chỉ tiêu", fmt["bold"])
    t0 = r + 1
    ws.write_string(t0, 0, "Ngày", fmt["head"])
    ws.write_string(t0, 1, "Tỷ lệ", fmt["head"])
    for i, (day, rate) in enumerate(trend, start=1):
        ws.write_string(t0 + i, 0, vi_date(day))
        ws.write_number(t0 + i, 1, rate, fmt["pct"])
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"name": "Tỷ lệ kích hoạt", "categories": ["Tổng quan", t0 + 1, 0, t0 + len(trend), 0],
                      "values": ["Tổng quan", t0 + 1, 1, t0 + len(trend), 1], "marker": {"type": "circle"},
                      "data_labels": {"value": True, "num_format": "0.0%"}})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
    chart.set_legend({"none": True})
    chart.set_title({"name": "Tỷ lệ kích hoạt qua các ngày đối chiếu"})
    ws.insert_chart(3, 3, chart, {"x_scale": 1.2, "y_scale": 1.0})
    r = t0 + len(trend) + 2
    # each group's progress, with its cadre(s) and phase
    ws.write_string(r, 0, "Tiến độ theo tổ", fmt["bold"])
    r += 1
    records = []
    cad = book.cadres if book.cadres is not None else pd.DataFrame(columns=["group_no"])
    by_group = dict(tuple(cad.groupby("group_no"))) if len(cad) else {}
    groups = book.groups.sort_values(["quarter", "group_no"], key=lambda col: col.map(natural), kind="stable")
    figures = (book.group_figures.set_index("group_no") if book.group_figures is not None
               else pd.DataFrame(columns=["eligible", "activated", "rate", "not_listed"]))
    for g in groups.itertuples():
        c = by_group.get(g.group_no)
        if c is None or not len(c):
            listed = g.group_no in figures.index
            fig = figures.loc[g.group_no] if listed else None
            records.append([g.quarter, g.group_no, "Chưa có cán bộ phụ trách", "", "",
                            int(fig["eligible"]) if listed else 0, int(fig["activated"]) if listed else 0,
                            float(fig["rate"]) if listed else float("nan"), int(fig["not_listed"]) if listed else 0,
                            STATE_LABELS["open"] if listed else STATE_LABELS["no_list"]])
            continue
        first = c.iloc[0]
        records.append([g.quarter, g.group_no, ", ".join(dict.fromkeys(c["cadre_name"])), first["phase"],
                        vi_date(first["due"]), int(first["eligible"]), int(first["activated"]),
                        float(first["rate"]) if first["has_list"] else float("nan"), int(first["not_listed"]),
                        STATE_LABELS.get(first["state"], first["state"])])
    table(ws, fmt, r, ["Khu phố", "Tổ", "Cán bộ phụ trách", "Đợt", "Hạn", "Đủ 14 tuổi", "Đã kích hoạt", "Tỷ lệ",
                       "Chưa có trong danh sách", "Tình trạng"], records, [34, 16, 28, 8, 11, 10, 10, 9, 12, 20],
          filter_=False)
    ws.freeze_panes(0, 0)
    page(ws, None, run_date, landscape=False)


def _warning(ws, fmt, r: int, text: str) -> None:
    """A warning in column A (34 wide, wrapped) whose row gets the height of its lines: a
    spreadsheet does not grow a row for wrapped text a program wrote, and the lines would
    overlap the rows below. Bold: about a tenth fewer characters a line."""
    ws.write_string(r, 0, text, fmt["warn"])
    lines = wrapped_lines(text, 30)
    if lines > 1:
        ws.set_row(r, 13 * lines)


def _days(earlier: str, later: str) -> int | None:
    try:
        return (dt.date.fromisoformat(later) - dt.date.fromisoformat(earlier)).days
    except ValueError:
        return None


def _due(day: dt.date, today: dt.date) -> str:
    left = (day - today).days
    when = f"còn {left} ngày" if left > 0 else ("hôm nay" if left == 0 else f"đã quá {-left} ngày")
    return f"{day:%d/%m/%Y} ({when})"


def _trend_points(book: WardBook) -> list[tuple[str, float]]:
    """(as_of, rate) per night from the warehouse, this run's night last and always present."""
    points = {}
    if book.history is not None and len(book.history):
        for day, rate in zip(book.history["as_of"].astype(str), book.history["rate"]):
            if rate == rate:
                points[day] = float(rate)
    points[book.as_of] = float(book.ward["rate"])
    return sorted(points.items())


def _visits(wb, fmt, v: pd.DataFrame, run_date: str) -> None:
    """Whom to visit, by quarter, group and household, and what to do (reports.details.visit_list)."""
    ws = wb.add_worksheet("Cần đến nhà")
    records = [[q, g, h, n, vi_date(b), a, p, ACCOUNT_LABELS.get(s, s), act, note, "", i]
               for q, g, h, n, b, a, p, s, act, note, i in
               zip(*_columns(v, "quarter", "group_no", "head", "name", "birth_date", "address", "phone", "status",
                             "action", "note", "identity_id"))]
    table(ws, fmt, 0, ["Khu phố", "Tổ", "Chủ hộ", "Họ và tên", "Ngày sinh", "Địa chỉ", "Số điện thoại",
                              "Tài khoản hiện nay", "Việc cần làm", "Ghi chú của danh sách", "Kết quả đến nhà",
                              "Số định danh"], records, [11, 5, 20, 22, 10, 34, 12, 16, 40, 16, 16, 14], wrap=(5, 8))
    page(ws, 0, run_date)


def _finding_sheets(wb, fmt, book: WardBook, run_date: str) -> None:
    """One sheet per kind of row finding: who, where, the list's value beside the system's (the
    differing one highlighted), and the finding's detail; NOT_LISTED residents from the export."""
    f = book.findings[book.findings["source"] != ""]
    d = book.details.assign(row=book.details["row"].astype(int))
    rows = f.assign(row=pd.to_numeric(f["row"]).astype(int)).merge(
        d, on=["source", "sheet", "row"], how="left", suffixes=("", "_d")).fillna("")
    for code in CODE_LABELS:
        part = rows[rows["code"] == code]
        if code == "NOT_LISTED":
            _not_listed_sheet(wb, fmt, book, run_date)
            continue
        if not len(part) or code not in CODE_SHEETS:
            continue
        ws = wb.add_worksheet(CODE_SHEETS[code])
        ws.write_string(0, 0, CODE_LABELS[code].upper(), fmt["title"])
        list_field, sys_field, what = COMPARED.get(code, ("list_id", "identity_id", "Số định danh"))
        records = [[q, g, n, vi_date(b), a, _value(list_field, lv), _value(sys_field, sv), d, s, int(r), code]
                   for q, g, n, b, a, lv, sv, d, s, r in zip(*_columns(
                       part, "quarter", "group_no", "list_name", "list_birth_date", "list_address", list_field,
                       sys_field, "detail", "source", "row"))]
        table(ws, fmt, 2, ["Khu phố", "Tổ", "Họ và tên (danh sách)", "Ngày sinh (danh sách)", "Địa chỉ",
                                  f"{what} theo danh sách", f"{what} theo hệ thống", "Chi tiết", "Tệp", "Dòng", "Mã"],
                     records, [11, 5, 22, 11, 30, 18, 18, 40, 30, 6, 6], highlight={6: 5}, wrap=(4, 7, 8))
        ws.set_column(10, 10, None, None, {"hidden": True})
        page(ws, 2, run_date)


def _not_listed_sheet(wb, fmt, book: WardBook, run_date: str) -> None:
    nl = book.not_listed
    if not len(nl):
        return
    ws = wb.add_worksheet(CODE_SHEETS["NOT_LISTED"])
    ws.write_string(0, 0, "NGƯỜI DÂN ĐỦ 14 TUỔI CHƯA CÓ TRONG DANH SÁCH NÀO CỦA PHƯỜNG/XÃ", fmt["title"])
    records = [[q, g, h, n, vi_date(b), GENDER_LABELS.get(s, s), a, p, ACCOUNT_LABELS.get(st, st), i, "NOT_LISTED"]
               for q, g, h, n, b, s, a, p, st, i in
               zip(*_columns(nl, "quarter", "group_no", "head", "name", "birth_date", "gender", "address", "phone",
                             "status", "identity_id"))]
    table(ws, fmt, 2, ["Khu phố", "Tổ (theo hộ)", "Chủ hộ", "Họ và tên", "Ngày sinh", "Giới tính", "Địa chỉ",
                       "Số điện thoại", "Tài khoản", "Số định danh", "Mã"],
          records, [11, 7, 22, 22, 11, 8, 36, 12, 16, 14, 6], wrap=(6,))
    ws.set_column(10, 10, None, None, {"hidden": True})
    page(ws, 2, run_date)


def _cadres(wb, fmt, cadres: pd.DataFrame, run_date: str) -> None:
    """Dispatch 969 item 2: each cadre's groups against their phase (findings.progress)."""
    ws = wb.add_worksheet("Cán bộ phụ trách")
    ws.write_string(0, 0, "TIẾN ĐỘ CỦA CÁN BỘ PHỤ TRÁCH TỔ NDTQ THEO ĐỢT", fmt["title"])
    records = [[c.cadre_name, c.cadre_id, ACCOUNT_LABELS.get(c.cadre_status, c.cadre_status), c.unit, c.group_no,
                c.quarter, c.phase, vi_date(c.due), int(c.eligible), int(c.activated),
                float(c.rate) if c.has_list else float("nan"), int(c.listed), int(c.not_listed),
                STATE_LABELS.get(c.state, c.state),
                MET_LABELS.get(None if c.met_deadline is pd.NA else c.met_deadline, "")]
               for c in cadres.itertuples()]
    table(ws, fmt, 2, ["Cán bộ phụ trách", "Số định danh", "Tài khoản của cán bộ", "Đơn vị công tác", "Tổ",
                       "Khu phố", "Đợt", "Hạn hoàn thành", "Đủ 14 tuổi", "Đã kích hoạt", "Tỷ lệ",
                       "Đã có trong danh sách", "Chưa có trong danh sách", "Tình trạng", "Kết quả theo hạn"],
          records, [24, 14, 16, 26, 6, 10, 8, 11, 9, 9, 8, 10, 10, 16, 11])
    page(ws, 2, run_date)


def _unit_findings(wb, fmt, book: WardBook, run_date: str) -> None:
    """The ward's groups without a cadre, and its cadres over two groups or not activated."""
    u = book.findings[(book.findings["source"] == "") & (book.findings["code"] != "NOT_LISTED")]
    if not len(u):
        return
    names = {}
    if book.cadres is not None and len(book.cadres):
        names = dict(zip(book.cadres["cadre_id"], book.cadres["cadre_name"]))
    ws = wb.add_worksheet("Tổ và cán bộ")
    ws.write_string(0, 0, "TỔ CHƯA CÓ CÁN BỘ PHỤ TRÁCH, CÁN BỘ QUÁ 2 TỔ HOẶC CHƯA KÍCH HOẠT", fmt["title"])
    records = [[CODE_LABELS.get(c, c), g, names.get(i, ""), i, d, c]
               for c, g, i, d in zip(u["code"], u["group_no"], u["identity_id"], u["detail"])]
    table(ws, fmt, 2, ["Nội dung", "Tổ", "Cán bộ", "Số định danh", "Chi tiết", "Mã"], records, [30, 6, 24, 14, 60, 6],
          wrap=(4,))
    ws.set_column(5, 5, None, None, {"hidden": True})
    page(ws, 2, run_date)


def _review(wb, fmt, review: pd.DataFrame, run_date: str) -> None:
    """CONTRACT §5's review sheet: source, sheet, row, identity_id, Kết luận (drop-down), Ghi chú,
    with both sides' details so a team can judge "Đúng người"; person_key hidden (it ties the
    decision to the person, not the row, so it survives a resubmission)."""
    rs = wb.add_worksheet("Xem xét")
    records = []
    for (source, sheet, row, identity_id, group_no, list_name, list_birth_date, list_gender, list_id, list_address,
         sys_name, sys_birth_date, sys_gender, sys_address, codes, match_status, person_key) in zip(*_columns(
            review, "source", "sheet", "row", "identity_id", "group_no", "list_name", "list_birth_date",
            "list_gender", "list_id", "list_address", "sys_name", "sys_birth_date", "sys_gender", "sys_address",
            "codes", "match_status", "person_key")):
        why = ", ".join(CODE_LABELS[c] for c in codes)
        if match_status == "review":
            why = "Cần xem xét (điểm khớp thấp)" + (", " + why if why else "")
        records.append((source, sheet, int(row), identity_id, group_no,
                        list_name, vi_date(list_birth_date), GENDER_LABELS.get(list_gender, list_gender),
                        list_id, list_address,
                        sys_name, vi_date(sys_birth_date), GENDER_LABELS.get(sys_gender, sys_gender),
                        sys_address, why, "", "", person_key))
    headers = ["source", "sheet", "row", "identity_id", "Tổ",
               "Họ tên (danh sách)", "Ngày sinh (danh sách)", "Giới tính (danh sách)", "Số định danh ghi trong danh sách",
               "Địa chỉ (danh sách)",
               "Họ tên (hệ thống, người được đề xuất)", "Ngày sinh (hệ thống)", "Giới tính (hệ thống)",
               "Địa chỉ (hệ thống)", "Lý do cần xem xét", "Kết luận", "Ghi chú", "person_key"]
    last = table(rs, fmt, 0, headers, records,
                 [20, 8, 5, 14, 5, 20, 11, 8, 14, 24, 20, 11, 8, 24, 30, 13, 20, 18], highlight={10: 5, 11: 6, 12: 7},
                 wrap=(0, 9, 13, 14))
    decision_col, key_col = headers.index("Kết luận"), headers.index("person_key")
    rs.set_column(key_col, key_col, None, None, {"hidden": True})
    rs.data_validation(1, decision_col, max(last, 1) + 500, decision_col, {
        "validate": "list", "source": DECISIONS,
        "input_title": "Kết luận", "input_message": "Chọn: Đúng người / Không phải / Cần xác minh",
    })
    page(rs, 0, run_date)


__all__ = ["WardBook", "write_ward", "review_rows"]

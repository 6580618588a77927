"""Human reports in Vietnamese: one inspection workbook per ward and a city overview.

They are built from the same frames as the CSVs, so they agree with them by construction.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import xlsxwriter

from matchers.text import fold
from reconcile.workers import process_pool, worker_count

CODE_LABELS = {
    "INVALID": "Dòng không xử lý được",
    "ID_MALFORMED": "Số định danh sai định dạng",
    "ID_INCONSISTENT": "Số định danh không khớp giới tính/năm sinh",
    "ID_MISSING": "Thiếu số định danh",
    "ID_MISMATCH": "Số định danh khác hệ thống",
    "NOT_FOUND": "Không tìm thấy trong hệ thống",
    "NAME_MISMATCH": "Họ tên khác hệ thống",
    "DOB_MISMATCH": "Ngày sinh khác hệ thống",
    "GENDER_MISMATCH": "Giới tính khác hệ thống",
    "PHONE_MISMATCH": "Số điện thoại khác số đăng ký",
    "STATUS_OVERSTATED": "Báo cáo kết quả cao hơn thực tế",
    "STATUS_OUTDATED": "Báo cáo kết quả chưa cập nhật",
    "DUPLICATE": "Trùng người trên nhiều dòng",
    "OUT_OF_AREA": "Cư trú ở đơn vị khác",
    "NOT_LISTED": "Chưa có trong danh sách",
    "GROUP_UNASSIGNED": "Tổ chưa có cán bộ phụ trách",
    "CADRE_OVERLOADED": "Cán bộ phụ trách quá 2 tổ",
    "CADRE_NOT_ACTIVATED": "Cán bộ phụ trách chưa kích hoạt",
    "STAFF_NOT_ACTIVATED": "Cán bộ, nhân viên chưa kích hoạt",
}
STATUS_LABELS = {"matched": "Khớp", "review": "Cần xem xét", "unmatched": "Không tìm thấy", "invalid": "Không hợp lệ"}
# Findings a person should confirm on the spot, beside rows in review (CONTRACT §5).
CONFIRM_CODES = {"ID_MISMATCH", "NAME_MISMATCH", "DOB_MISMATCH", "GENDER_MISMATCH", "DUPLICATE", "OUT_OF_AREA"}
DECISIONS = ["Đúng người", "Không phải", "Cần xác minh"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


def _columns(frame: pd.DataFrame, cols: list[str]):
    """Rows of a frame as tuples of plain values (itertuples over pandas strings is slow)."""
    return zip(*(frame[c].to_numpy(dtype=object) for c in cols))


# Ward workbooks are Python per cell (xlsxwriter): past this many person-rows they are written by
# a pool of processes, one workbook per task.
PARALLEL_MIN_ROWS = 200_000


def write_human_reports(folder: Path, data, linked, matches: pd.DataFrame, findings: pd.DataFrame,
                        wards: pd.DataFrame, summary: dict, units: pd.DataFrame | None = None,
                        cadres: pd.DataFrame | None = None, households: pd.DataFrame | None = None) -> None:
    """The Vietnamese workbooks of a run in ``<folder>/bao_cao``: the city's, and one per ward.
    ``units`` (findings.progress UNIT_COLUMNS) adds the agencies' sheet to the city workbook,
    ``households`` (HOUSEHOLD_COLUMNS) the list of staff's and cadres' relatives not yet
    activated; ``cadres`` (CADRE_COLUMNS) the cadres' sheet to each ward's."""
    out = folder / "bao_cao"
    out.mkdir(exist_ok=True)
    rows = linked.rows
    if len(matches) != len(rows):
        raise ValueError("matches must be aligned with the linked rows")
    rec = linked.links["rec"].to_numpy(dtype=float)
    has = ~np.isnan(rec)
    rec_names = linked.recs["name"].to_numpy(dtype=object)
    # The names beside each row (list and system) and its person_key, for the review sheet.
    people = matches.assign(
        list_name=rows["name"].to_numpy(dtype=object),
        system_name=np.where(has, rec_names[np.where(has, rec, 0).astype(np.int64)], ""),
        person_key=rows["person_key"].to_numpy(dtype=object))
    by_ward_f = dict(tuple(findings.groupby("ward_code", sort=False)))
    by_ward_m = dict(tuple(people.groupby("ward_code", sort=False)))
    jobs = []
    for ward in wards.itertuples(index=False):
        wf = by_ward_f.get(ward.ward_code, findings.iloc[:0])
        wm = by_ward_m.get(ward.ward_code, people.iloc[:0])
        if wf.empty and wm.empty:
            continue
        # a ward sees the files of its own folder (or naming it) that could not be used, and why
        slug = _slug(ward.ward_name)
        own = [r for r in summary["files"]["rejected"]
               if ward.ward_code in r["source"].split("/") or slug.split("_", 1)[-1] in _slug(r["source"])]
        wc = cadres[cadres["ward_code"] == ward.ward_code] if cadres is not None else None
        jobs.append((out / f"{ward.ward_code}_{slug}.xlsx", ward._asdict(), wm, wf, own,
                     withheld_lines(summary, ward.ward_code), wc))
    with process_pool(worker_count(len(matches) >= PARALLEL_MIN_ROWS)) as pool:
        if pool is None:
            for job in jobs:
                _write_ward(*job)
        futures = [pool.submit(_write_ward, *job) for job in jobs] if pool else []
        _write_city(out / "tong_hop_thanh_pho.xlsx", summary, wards, findings, units, households)  # while the pool works
        for future in futures:
            future.result()


def _formats(wb):
    return {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
        "text": wb.add_format({"num_format": "@"}),
        "pct": wb.add_format({"num_format": "0.00%"}),
        "bold": wb.add_format({"bold": True}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
    }


def _table(ws, fmt, top: int, headers: list[str], records, widths: list[int]) -> int:
    for c, (h, w) in enumerate(zip(headers, widths)):
        ws.write_string(top, c, h, fmt["head"])
        ws.set_column(c, c, w)
    # A header that wraps gets the height of its lines (spreadsheets do not grow rows for wrapped
    # text that a program wrote): about one character per width unit, 15 points a line.
    lines = max((len(textwrap.wrap(h, max(int(w) - 1, 1))) for h, w in zip(headers, widths)), default=1)
    if lines > 1:
        ws.set_row(top, 15 * lines)
    r = top
    for r, rec in enumerate(records, start=top + 1):
        # Strings are text cells: an ID must never become a number in the inspectors' Excel.
        for c, v in enumerate(rec):
            if isinstance(v, str):
                if v:
                    ws.write_string(r, c, v)
            elif isinstance(v, (int, np.integer)):
                ws.write_number(r, c, int(v))
            elif isinstance(v, (float, np.floating)) and v == v:   # a rate (NaN stays empty)
                ws.write_number(r, c, float(v), fmt["pct"])
    ws.freeze_panes(top + 1, 0)
    # Printed by the police and the wards: A4 landscape, one page wide, the header on every page.
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)
    if r > top:
        ws.autofilter(top, 0, r, len(headers) - 1)
    return r


def _write_city(path: Path, summary: dict, wards: pd.DataFrame, findings: pd.DataFrame,
                units: pd.DataFrame | None = None, households: pd.DataFrame | None = None) -> None:
    wb = xlsxwriter.Workbook(str(path))
    fmt = _formats(wb)
    ws = wb.add_worksheet("Tổng hợp")
    ws.write_string(0, 0, "KẾT QUẢ ĐỐI CHIẾU DANH SÁCH ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ", fmt["title"])
    ws.write_string(1, 0, f"Ngày đối chiếu: {_vi(summary['as_of'])} — dữ liệu định danh ngày {_vi(summary['export_date'])}")
    rows = summary["rows"]
    ws.write_string(2, 0, f"Số dòng đã đọc: {rows['read']:,} — khớp {rows['matched']:,}, cần xem xét "
                          f"{rows['review']:,}, không tìm thấy {rows['unmatched']:,}, không hợp lệ {rows['invalid']:,}")
    by_ward = findings.groupby(["ward_code", "code"]).size().unstack(fill_value=0)
    codes = [c for c in CODE_LABELS if c in by_ward.columns]
    headers = ["Mã đơn vị", "Phường/xã", "Chỉ tiêu", "Đủ 14 tuổi", "Đã kích hoạt", "Tỷ lệ"] + [CODE_LABELS[c] for c in codes]
    records = []
    for w in wards.itertuples():
        counts = [int(by_ward.at[w.ward_code, c]) if w.ward_code in by_ward.index else 0 for c in codes]
        records.append([w.ward_code, w.ward_name, int(w.target), int(w.eligible), int(w.activated), float(w.rate)] + counts)
    last = _table(ws, fmt, 4, headers, records, [10, 24, 10, 11, 12, 8] + [14] * len(codes))
    ws.set_column(5, 5, 8, fmt["pct"])
    if records:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "Tỷ lệ kích hoạt", "categories": ["Tổng hợp", 5, 1, last, 1],
                          "values": ["Tổng hợp", 5, 5, last, 5]})
        chart.set_title({"name": "Tỷ lệ kích hoạt theo phường/xã"})
        chart.set_x_axis({"num_format": "0%"})
        chart.set_legend({"none": True})
        ws.insert_chart(last + 2, 1, chart, {"x_scale": 1.5, "y_scale": 1.5})
    if units is not None:
        _agencies_sheet(wb, fmt, units)
        if households is not None:
            _relatives_sheet(wb, fmt, households, units)
        _not_found_sheet(wb, fmt, summary)
    _files_sheet(wb, fmt, summary)
    _withheld_sheet(wb, fmt, summary, wards)
    files = wb.add_worksheet("Tệp bị từ chối")
    _table(files, fmt, 0, ["Tệp", "Trang tính", "Lý do"],
           [[r["source"], r.get("sheet", ""), r["reason"]] for r in summary["files"]["rejected"]], [50, 15, 100])
    sup = wb.add_worksheet("Tệp được thay thế")
    _table(sup, fmt, 0, ["Tệp", "Trang tính", "Được thay bằng", "Trang tính mới", "Căn cứ", "Ngày ghi (cũ)",
                         "Ngày ghi (mới)"],
           [[r["source"], r["sheet"], r["replaced_by"], r.get("replaced_by_sheet", ""),
             RULE_LABELS.get(r.get("rule", ""), ""), _vi((r.get("dates") or {}).get("replaced") or ""),
             _vi((r.get("dates") or {}).get("replaced_by") or "")] for r in summary["files"]["superseded"]],
           [45, 12, 45, 12, 40, 12, 12])
    wb.close()


SHEET_STATUS = {"read": "Đã đọc", "skipped": "Bỏ qua", "rejected": "Bị từ chối", "superseded": "Bị thay thế"}
RULE_LABELS = {"title_date": "Ngày ghi trên danh sách mới hơn",
               "modified_time": "Tệp sửa sau (không so được ngày ghi)",
               "file_name": "Tên tệp (ngày và giờ sửa như nhau)"}
_LAYOUT = [("person", "Dòng người dân"), ("superseded", "Dòng của danh sách cũ"), ("title", "Dòng tiêu đề"),
           ("header", "Dòng tên cột"), ("closing", "Dòng tổng cộng, ký tên"), ("blank", "Dòng trống"),
           ("other", "Dòng khác")]


def _agencies_sheet(wb, fmt, units: pd.DataFrame) -> None:
    """Dispatch 969 item 1: each agency's staff and their households (findings.progress)."""
    ws = wb.add_worksheet("Cơ quan, đơn vị")
    ws.write_string(0, 0, "CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, NGƯỜI LAO ĐỘNG VÀ NGƯỜI THÂN TRONG HỘ", fmt["title"])
    a = units[units["unit_kind"] == "agency"]
    records = [[u.unit_code, u.unit_name, int(u.members), int(u.members_found), int(u.members_activated),
                float(u.rate) if u.members else float("nan"), int(u.members_found - u.members_activated),
                int(u.household_eligible), int(u.household_activated),
                u.household_activated / u.household_eligible if u.household_eligible else float("nan")]
               for u in a.itertuples()]
    _table(ws, fmt, 2, ["Mã đơn vị", "Cơ quan, đơn vị", "Cán bộ trong danh sách", "Tìm thấy trong dữ liệu định danh",
                        "Đã kích hoạt", "Tỷ lệ kích hoạt", "Chưa kích hoạt", "Người thân trong hộ đủ 14 tuổi",
                        "Người thân đã kích hoạt", "Tỷ lệ người thân"],
           records, [10, 44, 12, 14, 11, 10, 11, 14, 12, 10])


def _relatives_sheet(wb, fmt, households: pd.DataFrame, units: pd.DataFrame) -> None:
    """Dispatch 969 item 1: the eligible household members of staff and cadres not yet activated,
    each with the staff member or cadre who is to guide them."""
    h = households[households["eligible"] & ~households["activated"]]
    ws = wb.add_worksheet("Người thân chưa kích hoạt")
    ws.write_string(0, 0, "NGƯỜI THÂN TRONG HỘ CỦA CÁN BỘ CHƯA KÍCH HOẠT TÀI KHOẢN", fmt["title"])
    names = dict(zip(units["unit_code"], units["unit_name"]))
    kinds = {"staff": "Cơ quan", "cadre": "Phường/xã"}
    records = [[kinds.get(r.kind, r.kind), r.unit_code, names.get(r.unit_code, ""), r.person_name, r.name,
                r.identity_id, _vi(r.birth_date) if r.birth_date[5:] not in ("", "00-00") else r.birth_date[:4],
                r.relation, ACCOUNT_LABELS.get(r.status, r.status)]
               for r in h.sort_values(["kind", "unit_code", "person_name"], kind="stable").itertuples()]
    _table(ws, fmt, 2, ["Loại đơn vị", "Mã đơn vị", "Đơn vị", "Cán bộ hướng dẫn", "Người thân", "Số định danh",
                        "Ngày sinh", "Quan hệ với chủ hộ", "Tài khoản"],
           records, [10, 10, 34, 24, 24, 14, 11, 12, 22])


def _not_found_sheet(wb, fmt, summary: dict) -> None:
    """Cadre and staff rows found by no one: never dropped, each with what to check."""
    rows = summary.get("units", {}).get("not_found", [])
    if not rows:
        return
    ws = wb.add_worksheet("Cán bộ chưa tìm thấy")
    kinds = {"cadre": "Cán bộ phụ trách tổ", "staff": "Cán bộ cơ quan, đơn vị"}
    _table(ws, fmt, 0, ["Danh sách", "Tệp", "Trang tính", "Dòng", "Cần làm"],
           [[kinds.get(r["kind"], r["kind"]), r["source"], r["sheet"], int(r["row"]), r["reason"]] for r in rows],
           [20, 40, 14, 7, 80])


STATE_LABELS = {"open": "Đang thực hiện", "finished": "Đã hoàn thành", "late": "Quá hạn chưa hoàn thành",
                "no_list": "Chưa có danh sách"}
ACCOUNT_LABELS = {"activated": "Đã kích hoạt", "approved": "Đã duyệt, chưa kích hoạt", "registered": "Chờ duyệt",
                  "not_registered": "Chưa đăng ký", "": "Không tìm thấy"}


def _cadres_sheet(wb, fmt, cadres: pd.DataFrame) -> None:
    """Dispatch 969 item 2: each cadre's groups against their phase (findings.progress)."""
    ws = wb.add_worksheet("Cán bộ phụ trách")
    ws.write_string(0, 0, "TIẾN ĐỘ CỦA CÁN BỘ PHỤ TRÁCH TỔ NDTQ THEO ĐỢT", fmt["title"])
    met = {True: "Đúng hạn", False: "Không đạt"}
    records = [[c.cadre_name, c.cadre_id, ACCOUNT_LABELS.get(c.cadre_status, c.cadre_status), c.unit, c.group_no,
                c.quarter, c.phase, _vi(c.due), int(c.eligible), int(c.activated),
                float(c.rate) if c.has_list else float("nan"), int(c.listed), int(c.not_listed),
                STATE_LABELS.get(c.state, c.state), met.get(c.met_deadline if c.met_deadline is not pd.NA else None, "")]
               for c in cadres.itertuples()]
    _table(ws, fmt, 2, ["Cán bộ phụ trách", "Số định danh", "Tài khoản của cán bộ", "Đơn vị công tác", "Tổ",
                        "Khu phố", "Đợt", "Hạn hoàn thành", "Đủ 14 tuổi", "Đã kích hoạt", "Tỷ lệ", "Đã có trong danh sách",
                        "Chưa có trong danh sách", "Tình trạng", "Kết quả theo hạn"],
           records, [24, 14, 16, 26, 6, 10, 8, 11, 9, 9, 8, 10, 10, 16, 11])


def _files_sheet(wb, fmt, summary: dict) -> None:
    """Every sheet of every people-made file: what was read, skipped or rejected, and why."""
    ws = wb.add_worksheet("Tệp đã nhận")
    records = []
    for s in summary["files"].get("sheets", []):
        rows = s.get("rows") or {}
        why = " ".join([s.get("reason", "")] + list(s.get("notes", []))).strip()
        records.append([s["source"], s["sheet"], SHEET_STATUS.get(s["status"], s["status"])]
                       + [int(rows.get(k, 0)) for k, _ in _LAYOUT] + [why])
    _table(ws, fmt, 0, ["Tệp", "Trang tính", "Tình trạng"] + [label for _, label in _LAYOUT] + ["Lý do, ghi chú"],
           records, [40, 12, 11] + [9] * len(_LAYOUT) + [60])
    ws.set_column(3 + len(_LAYOUT), 3 + len(_LAYOUT), 60, fmt["wrap"])  # reasons wrap, the page stays readable
    for i, rec in enumerate(records, start=1):
        if len(rec[-1]) > 60:  # neither Excel nor LibreOffice grows a row for text written by a program
            ws.set_row(i, 15 * (len(rec[-1]) // 55 + 1), fmt["wrap"])


def _withheld_sheet(wb, fmt, summary: dict, wards: pd.DataFrame) -> None:
    """Findings not concluded because a file that could refute them was not read."""
    withheld = summary.get("withheld", [])
    if not withheld:
        return
    names = dict(zip(wards["ward_code"], wards["ward_name"]))
    ws = wb.add_worksheet("Chưa kết luận")
    ws.write_string(0, 0, "Nội dung chưa kết luận vì có tệp không đọc được (hãy sửa tệp và gửi lại)", fmt["bold"])
    _table(ws, fmt, 2, ["Mã đơn vị", "Phường/xã", "Nội dung chưa kết luận", "Do các tệp"],
           [[w["ward_code"], names.get(w["ward_code"], ""), CODE_LABELS.get(w["code"], w["code"]),
             "; ".join(w["because"])] for w in withheld], [10, 24, 30, 80])
    ws.set_column(3, 3, 80, fmt["wrap"])


def withheld_lines(summary: dict, ward_code: str) -> list[str]:
    """Vietnamese sentences telling a ward which findings were not concluded, and why."""
    out = []
    for w in summary.get("withheld", []):
        if w["ward_code"] == ward_code:
            files = ", ".join(w["because"][:3]) + (" …" if len(w["because"]) > 3 else "")
            out.append(f"Chưa kết luận \"{CODE_LABELS.get(w['code'], w['code'])}\" vì không đọc được: {files}. "
                       "Hãy sửa các tệp này và gửi lại.")
    return out


def _write_ward(path: Path, ward: dict, matches: pd.DataFrame, findings: pd.DataFrame,
                rejected: list[dict], withheld: list[str] = (), cadres: pd.DataFrame | None = None) -> None:
    """One ward's workbook. ``matches`` carries list_name, system_name and person_key besides
    the matches.csv columns."""
    ward = SimpleNamespace(**ward)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    fmt = _formats(wb)
    ws = wb.add_worksheet("Tổng hợp")
    ws.write_string(0, 0, f"KẾT QUẢ ĐỐI CHIẾU — {ward.ward_name.upper()}", fmt["title"])
    lines = [("Chỉ tiêu", int(ward.target)), ("Công dân đủ 14 tuổi", int(ward.eligible)),
             ("Đã kích hoạt", int(ward.activated))]
    for i, (label, value) in enumerate(lines, start=2):
        ws.write_string(i, 0, label, fmt["bold"])
        ws.write_number(i, 1, value)
    ws.write_string(5, 0, "Tỷ lệ kích hoạt", fmt["bold"])
    ws.write_number(5, 1, float(ward.rate), fmt["pct"])
    status = matches["match_status"].value_counts()
    ws.write_string(7, 0, "Kết quả đối chiếu dòng danh sách", fmt["bold"])
    for i, (k, label) in enumerate(STATUS_LABELS.items(), start=8):
        ws.write_string(i, 0, label)
        ws.write_number(i, 1, int(status.get(k, 0)))
    counts = findings["code"].value_counts()
    ws.write_string(13, 0, "Sai lệch", fmt["bold"])
    r = 14
    for code, label in CODE_LABELS.items():
        if code in counts:
            ws.write_string(r, 0, label)
            ws.write_string(r, 1, code)
            ws.write_number(r, 2, int(counts[code]))
            r += 1
    for line in withheld:
        r += 1
        ws.write_string(r, 0, line, fmt["bold"])
    ws.set_column(0, 0, 38)
    ws.set_column(1, 2, 18)

    rows_f = findings[findings["source"] != ""]
    fs = wb.add_worksheet("Sai lệch")
    _table(fs, fmt, 0, ["Tệp", "Trang tính", "Dòng", "Tổ", "Số định danh", "Mã", "Nội dung", "Chi tiết"],
           [(src, sh, int(r), g, i, c, CODE_LABELS.get(c, c), d) for src, sh, r, g, i, c, d in
            _columns(rows_f, ["source", "sheet", "row", "group_no", "identity_id", "code", "detail"])],
           [38, 12, 7, 6, 15, 18, 30, 60])
    units = findings[findings["source"] == ""]
    us = wb.add_worksheet("Sai lệch đơn vị")
    _table(us, fmt, 0, ["Số định danh", "Tổ", "Mã", "Nội dung", "Chi tiết"],
           [(i, g, c, CODE_LABELS.get(c, c), d) for i, g, c, d in
            _columns(units, ["identity_id", "group_no", "code", "detail"])],
           [15, 6, 20, 32, 70])

    # Review sheet (CONTRACT §5): columns source, sheet, row, identity_id, Kết luận, Ghi chú.
    reasons: dict[tuple, list[str]] = {}
    for src, sh, r, c in _columns(rows_f, ["source", "sheet", "row", "code"]):
        reasons.setdefault((src, sh, int(r)), []).append(c)
    if cadres is not None and len(cadres):
        _cadres_sheet(wb, fmt, cadres)
    rs = wb.add_worksheet("Xem xét")
    records = []
    for src, sh, r, ident, status, list_name, system_name, pkey in _columns(
            matches, ["source", "sheet", "row", "identity_id", "match_status", "list_name", "system_name",
                      "person_key"]):
        k = (src, sh, int(r))
        codes = reasons.get(k, [])
        if status != "review" and not CONFIRM_CODES.intersection(codes):
            continue
        why = ", ".join(CODE_LABELS[c] for c in codes)
        if status == "review":
            why = "Cần xem xét (điểm khớp thấp)" + (", " + why if why else "")
        records.append((src, sh, int(r), ident, list_name, system_name, why, "", "", pkey))
    last = _table(rs, fmt, 0, ["source", "sheet", "row", "identity_id", "Họ tên (danh sách)", "Họ tên (hệ thống)",
                               "Lý do", "Kết luận", "Ghi chú", "person_key"], records,
                  [38, 12, 7, 15, 24, 24, 40, 14, 30, 18])
    # person_key ties a decision to the person, not the row, so it survives a resubmission.
    rs.set_column(9, 9, None, None, {"hidden": True})
    rs.data_validation(1, 7, max(last, 1) + 500, 7, {
        "validate": "list", "source": DECISIONS,
        "input_title": "Kết luận", "input_message": "Chọn: Đúng người / Không phải / Cần xác minh",
    })
    if rejected:
        rj = wb.add_worksheet("Tệp bị từ chối")
        _table(rj, fmt, 0, ["Tệp", "Trang tính", "Lý do"], [(r["source"], r.get("sheet", ""), r["reason"])
                                                           for r in rejected], [50, 15, 110])
    wb.close()


def _vi(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso and len(iso) >= 10 else iso

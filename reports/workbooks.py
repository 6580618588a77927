"""Human reports in Vietnamese: the city's workbook, one inspection workbook per ward
(reports/ward.py) and the result notices (reports/notices.py).

They are built from the same frames as the CSVs, so they agree with them by construction. Every
word a user reads comes from reports/labels.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter

from findings.campaign import DEFAULT as DEFAULT_CAMPAIGN, Campaign
from parallel import process_pool, worker_count
from reports.details import household_heads, not_listed_details, row_details
from reports.labels import (ACCOUNT_LABELS, CODE_LABELS, LAYOUT_LABELS, RULE_LABELS, SHEET_STATUS, slug, vi_date,
                            vi_int, vi_pct)
from reports.ward import WardBook, write_ward
from reports.xlsx import formats, page, table

# Ward workbooks are Python per cell (xlsxwriter, ~9 cells a person-row across their sheets): past
# this many person-rows they are written by a pool of processes, one workbook per task (a city's
# ~160k rows take ~25 s on one core; starting the pool costs about a second).
PARALLEL_MIN_ROWS = 50_000


@dataclass
class Extras:
    """What the findings stage adds beyond the CSVs (all optional): units, cadres and households
    (findings.progress), the warehouse's per-unit history (warehouse.unit_history), the campaign."""

    units: pd.DataFrame | None = None
    cadres: pd.DataFrame | None = None
    households: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    campaign: Campaign = field(default_factory=lambda: DEFAULT_CAMPAIGN)
    groups: pd.DataFrame | None = None   # findings.progress.group_figures


def write_human_reports(folder: Path, data, linked, matches: pd.DataFrame, findings: pd.DataFrame,
                        wards: pd.DataFrame, summary: dict, extras: Extras | None = None, meanwhile=None) -> None:
    """The Vietnamese workbooks of a run in ``<folder>/bao_cao``: the city's, and one per ward
    that has rows or findings. ``matches`` must be aligned with ``linked.rows``. ``meanwhile()``,
    if given, runs in this process while the pool writes the ward workbooks (the flow writes its
    CSVs and notices there: a province's ward workbooks keep both cores busy for a minute or more)."""
    extras = extras or Extras()
    out = folder / "bao_cao"
    out.mkdir(exist_ok=True)
    rows, recs = linked.rows, linked.recs
    if len(matches) != len(rows):
        raise ValueError("matches must be aligned with the linked rows")
    addresses = data.identity["address"] if "address" in data.identity else pd.Series("", index=recs.index)
    heads = household_heads(recs)   # both frames name the export's household heads
    details = row_details(rows, linked.links, matches, recs, addresses, data.registry.groups, heads)
    details["person_key"] = rows["person_key"].to_numpy(dtype=object)
    not_listed = not_listed_details(findings, matches, recs, addresses, data.registry.groups, heads)
    del heads
    # each ward's visit list is made from these by its workbook's worker (reports.ward.write_ward)
    views = {"details": details, "findings": findings, "not_listed": not_listed}
    by_ward = {name: dict(tuple(frame.groupby("ward_code", sort=False))) for name, frame in views.items()}
    empty = {name: frame.iloc[:0] for name, frame in views.items()}
    # the jobs take the per-ward copies: the whole run's frames go now, not after the pool, so that
    # the CSVs this process writes meanwhile come on top of less (the stage's peak is this split)
    del details, not_listed, views
    cadres = extras.cadres
    jobs = []
    for ward in wards.itertuples(index=False):
        code = ward.ward_code
        wf = by_ward["findings"].get(code, empty["findings"])
        wd = by_ward["details"].get(code, empty["details"])
        if wf.empty and wd.empty:
            continue
        # a ward sees the files of its own folder (or naming it) that could not be used, and why
        name = slug(ward.ward_name)
        own = [r for r in summary["files"]["rejected"]
               if code in r["source"].split("/") or name.split("_", 1)[-1] in slug(r["source"])]
        history = (extras.history[(extras.history["unit_kind"] == "ward") & (extras.history["unit_code"] == code)]
                   if extras.history is not None and len(extras.history) else None)
        book = WardBook(
            ward=ward._asdict(), as_of=summary["as_of"], export_date=summary.get("export_date", ""),
            details=wd, findings=wf, not_listed=by_ward["not_listed"].get(code, empty["not_listed"]),
            groups=data.registry.groups[data.registry.groups["ward_code"] == code],
            group_figures=(extras.groups[extras.groups["ward_code"] == code] if extras.groups is not None else None),
            cadres=cadres[cadres["ward_code"] == code] if cadres is not None else None,
            history=history, rejected=own, withheld=withheld_lines(summary, code), campaign=extras.campaign)
        jobs.append((out / f"{code}_{name}.xlsx", book))
    # biggest first: the last workbook to start is a small one, so no worker waits long at the end
    jobs.sort(key=lambda job: -(len(job[1].details) + len(job[1].findings) + len(job[1].not_listed)))
    with process_pool(worker_count(len(matches) >= PARALLEL_MIN_ROWS)) as pool:
        if pool is None:
            for job in jobs:
                write_ward(*job)
        futures = [pool.submit(write_ward, *job) for job in jobs] if pool else []
        jobs.clear()      # a ward's frames are freed once its workbook is written
        by_ward.clear()
        _write_city(out / "tong_hop_thanh_pho.xlsx", summary, wards, findings, extras)  # while the pool works
        if meanwhile is not None:
            meanwhile()
        for future in futures:
            future.result()


def city_total(wards: pd.DataFrame) -> dict:
    """The city's line (dispatch 969's "113,957 / 173,856 (65.55 %)"): target, eligible,
    activated, rate = activated / target (or / eligible where no target is set)."""
    target, eligible, activated = (int(wards[c].sum()) for c in ("target", "eligible", "activated"))
    denom = target or eligible
    return {"target": target, "eligible": eligible, "activated": activated,
            "rate": round(activated / denom, 4) if denom else 0.0}


def _write_city(path: Path, summary: dict, wards: pd.DataFrame, findings: pd.DataFrame, extras: Extras) -> None:
    wb = xlsxwriter.Workbook(str(path))
    fmt = formats(wb)
    run_date = vi_date(summary["as_of"])
    ws = wb.add_worksheet("Tổng hợp")
    ws.write_string(0, 0, "KẾT QUẢ ĐỐI CHIẾU DANH SÁCH ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ", fmt["title"])
    ws.write_string(1, 0, f"Ngày đối chiếu: {run_date} — dữ liệu định danh ngày {vi_date(summary['export_date'])}",
                    fmt["subtitle"])
    total = city_total(wards)
    ws.write_string(2, 0, f"Toàn thành phố: {vi_int(total['activated'])} / {vi_int(total['target'])} tài khoản "
                          f"đã kích hoạt so với chỉ tiêu ({vi_pct(total['rate'])}).", fmt["bold"])
    rows = summary["rows"]
    ws.write_string(3, 0, f"Số dòng đã đọc: {vi_int(rows['read'])} — khớp {vi_int(rows['matched'])}, cần xem xét "
                          f"{vi_int(rows['review'])}, không tìm thấy {vi_int(rows['unmatched'])}, "
                          f"không hợp lệ {vi_int(rows['invalid'])}")
    by_ward = findings.groupby(["ward_code", "code"]).size().unstack(fill_value=0)
    codes = [c for c in CODE_LABELS if c in by_ward.columns]
    n_findings = findings.groupby("ward_code").size()
    ranked = wards.assign(rank_=wards["rate"].rank(ascending=False, method="min").astype(int))
    headers = ["Mã đơn vị", "Phường/xã", "Chỉ tiêu", "Đủ 14 tuổi", "Đã kích hoạt", "Tỷ lệ so với chỉ tiêu",
               "Tỷ lệ so với đủ 14 tuổi", "Xếp hạng", "Còn thiếu so với chỉ tiêu", "Số sai lệch"]
    records = [[w.ward_code, w.ward_name, int(w.target), int(w.eligible), int(w.activated), float(w.rate),
                w.activated / w.eligible if w.eligible else float("nan"), int(w.rank_),
                max(int(w.target) - int(w.activated), 0), int(n_findings.get(w.ward_code, 0))]
               for w in ranked.itertuples()]
    top = 5
    last = table(ws, fmt, top, headers, records, [10, 26, 11, 11, 12, 11, 11, 8, 12, 10])
    # the city's total row, with the same figures as the line above
    t = last + 1
    ws.write_string(t, 1, "Toàn thành phố", fmt["total"])
    for c, key in ((2, "target"), (3, "eligible"), (4, "activated")):
        ws.write_number(t, c, total[key], fmt["total"])
    ws.write_number(t, 5, total["rate"], fmt["totalpct"])
    if total["eligible"]:
        ws.write_number(t, 6, total["activated"] / total["eligible"], fmt["totalpct"])
    ws.write_number(t, 8, max(total["target"] - total["activated"], 0), fmt["total"])
    ws.write_number(t, 9, len(findings), fmt["total"])
    page(ws, top, run_date, landscape=False)
    if records:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "Tỷ lệ kích hoạt so với chỉ tiêu", "categories": ["Tổng hợp", top + 1, 1, last, 1],
                          "values": ["Tổng hợp", top + 1, 5, last, 5], "data_labels": {"value": True, "num_format": "0%"}})
        chart.set_title({"name": "Tỷ lệ kích hoạt theo phường/xã"})
        chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1, "major_gridlines": {"visible": True}})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        ws.insert_chart(t + 2, 1, chart, {"x_scale": 1.6, "y_scale": max(1.0, len(records) / 12)})
    # every kind of finding per ward, on a sheet of its own (too wide for the first page)
    fs = wb.add_worksheet("Sai lệch theo phường")
    frecs = [[w.ward_code, w.ward_name] + [int(by_ward.at[w.ward_code, c]) if w.ward_code in by_ward.index else 0
                                           for c in codes] for w in wards.itertuples()]
    frecs.append(["", "Toàn thành phố"] + [int(by_ward[c].sum()) for c in codes])
    table(fs, fmt, 0, ["Mã đơn vị", "Phường/xã"] + [CODE_LABELS[c] for c in codes], frecs, [10, 24] + [12] * len(codes))
    page(fs, 0, run_date)
    _trend_sheet(wb, fmt, extras.history, run_date)
    if extras.units is not None:
        _agencies_sheet(wb, fmt, extras.units, run_date)
        if extras.households is not None:
            _relatives_sheet(wb, fmt, extras.households, extras.units, run_date)
        _not_found_sheet(wb, fmt, summary, run_date)
    _files_sheet(wb, fmt, summary, run_date)
    _withheld_sheet(wb, fmt, summary, wards, run_date)
    files = wb.add_worksheet("Tệp bị từ chối")
    table(files, fmt, 0, ["Tệp", "Trang tính", "Lý do"],
          [[r["source"], r.get("sheet", ""), r["reason"]] for r in summary["files"]["rejected"]], [50, 15, 100])
    page(files, 0, run_date)
    sup = wb.add_worksheet("Tệp được thay thế")
    table(sup, fmt, 0, ["Tệp", "Trang tính", "Được thay bằng", "Trang tính mới", "Căn cứ", "Ngày ghi (cũ)",
                        "Ngày ghi (mới)"],
          [[r["source"], r["sheet"], r["replaced_by"], r.get("replaced_by_sheet", ""),
            RULE_LABELS.get(r.get("rule", ""), ""), vi_date((r.get("dates") or {}).get("replaced") or ""),
            vi_date((r.get("dates") or {}).get("replaced_by") or "")] for r in summary["files"]["superseded"]],
          [45, 12, 45, 12, 40, 12, 12])
    page(sup, 0, run_date)
    wb.close()


def _trend_sheet(wb, fmt, history: pd.DataFrame | None, run_date: str) -> None:
    """Each ward's rate night by night (the warehouse's unit_results), as a native line chart."""
    if history is None or not len(history):
        return
    h = history[history["unit_kind"] == "ward"]
    if not len(h):
        return
    ws = wb.add_worksheet("Diễn biến")
    ws.write_string(0, 0, "DIỄN BIẾN TỶ LỆ KÍCH HOẠT QUA CÁC NGÀY ĐỐI CHIẾU", fmt["title"])
    pivot = h.pivot_table(index="as_of", columns="unit_name", values="rate", aggfunc="last").sort_index()
    headers = ["Ngày"] + [str(c) for c in pivot.columns]
    records = [[vi_date(str(d))] + [float(v) for v in row] for d, row in zip(pivot.index, pivot.to_numpy())]
    last = table(ws, fmt, 2, headers, records, [12] + [14] * len(pivot.columns), filter_=False)
    chart = wb.add_chart({"type": "line"})
    for j in range(len(pivot.columns)):
        chart.add_series({"name": ["Diễn biến", 2, j + 1], "categories": ["Diễn biến", 3, 0, last, 0],
                          "values": ["Diễn biến", 3, j + 1, last, j + 1], "marker": {"type": "circle"}})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
    chart.set_title({"name": "Tỷ lệ kích hoạt so với chỉ tiêu"})
    ws.insert_chart(last + 2, 0, chart, {"x_scale": 1.8, "y_scale": 1.4})
    page(ws, 2, run_date)


def _agencies_sheet(wb, fmt, units: pd.DataFrame, run_date: str) -> None:
    """Dispatch 969 item 1: each agency's staff and their households (findings.progress)."""
    ws = wb.add_worksheet("Cơ quan, đơn vị")
    ws.write_string(0, 0, "CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, NGƯỜI LAO ĐỘNG VÀ NGƯỜI THÂN TRONG HỘ", fmt["title"])
    a = units[units["unit_kind"] == "agency"]
    records = [[u.unit_code, u.unit_name, int(u.members), int(u.members_found), int(u.members_activated),
                float(u.rate) if u.members else float("nan"), int(u.members_found - u.members_activated),
                int(u.household_eligible), int(u.household_activated),
                u.household_activated / u.household_eligible if u.household_eligible else float("nan")]
               for u in a.itertuples()]
    table(ws, fmt, 2, ["Mã đơn vị", "Cơ quan, đơn vị", "Cán bộ trong danh sách", "Tìm thấy trong dữ liệu định danh",
                       "Đã kích hoạt", "Tỷ lệ kích hoạt", "Chưa kích hoạt", "Người thân trong hộ đủ 14 tuổi",
                       "Người thân đã kích hoạt", "Tỷ lệ người thân"],
          records, [10, 44, 12, 14, 11, 10, 11, 14, 12, 10])
    page(ws, 2, run_date)


def _relatives_sheet(wb, fmt, households: pd.DataFrame, units: pd.DataFrame, run_date: str) -> None:
    """Dispatch 969 item 1: the eligible household members of staff and cadres not yet activated,
    each with the staff member or cadre who is to guide them."""
    h = households[households["eligible"] & ~households["activated"]]
    ws = wb.add_worksheet("Người thân chưa kích hoạt")
    ws.write_string(0, 0, "NGƯỜI THÂN TRONG HỘ CỦA CÁN BỘ CHƯA KÍCH HOẠT TÀI KHOẢN", fmt["title"])
    names = dict(zip(units["unit_code"], units["unit_name"]))
    kinds = {"staff": "Cơ quan", "cadre": "Phường/xã"}
    records = [[kinds.get(r.kind, r.kind), r.unit_code, names.get(r.unit_code, ""), r.person_name, r.name,
                r.identity_id, vi_date(r.birth_date), r.relation, ACCOUNT_LABELS.get(r.status, r.status)]
               for r in h.sort_values(["kind", "unit_code", "person_name"], kind="stable").itertuples()]
    table(ws, fmt, 2, ["Loại đơn vị", "Mã đơn vị", "Đơn vị", "Cán bộ hướng dẫn", "Người thân", "Số định danh",
                       "Ngày sinh", "Quan hệ với chủ hộ", "Tài khoản"],
          records, [10, 10, 34, 24, 24, 14, 11, 12, 22])
    page(ws, 2, run_date)


def _not_found_sheet(wb, fmt, summary: dict, run_date: str) -> None:
    """Cadre and staff rows found by no one: never dropped, each with what to check."""
    rows = summary.get("units", {}).get("not_found", [])
    if not rows:
        return
    ws = wb.add_worksheet("Cán bộ chưa tìm thấy")
    kinds = {"cadre": "Cán bộ phụ trách tổ", "staff": "Cán bộ cơ quan, đơn vị"}
    table(ws, fmt, 0, ["Danh sách", "Tệp", "Trang tính", "Dòng", "Cần làm"],
          [[kinds.get(r["kind"], r["kind"]), r["source"], r["sheet"], int(r["row"]), r["reason"]] for r in rows],
          [20, 40, 14, 7, 80])
    page(ws, 0, run_date)


def _files_sheet(wb, fmt, summary: dict, run_date: str) -> None:
    """Every sheet of every people-made file: what was read, skipped or rejected, and why."""
    ws = wb.add_worksheet("Tệp đã nhận")
    records = []
    for s in summary["files"].get("sheets", []):
        rows = s.get("rows") or {}
        why = " ".join([s.get("reason", "")] + list(s.get("notes", []))).strip()
        records.append([s["source"], s["sheet"], SHEET_STATUS.get(s["status"], s["status"])]
                       + [int(rows.get(k, 0)) for k, _ in LAYOUT_LABELS] + [why])
    table(ws, fmt, 0, ["Tệp", "Trang tính", "Tình trạng"] + [label for _, label in LAYOUT_LABELS] + ["Lý do, ghi chú"],
          records, [40, 12, 11] + [9] * len(LAYOUT_LABELS) + [60])
    ws.set_column(3 + len(LAYOUT_LABELS), 3 + len(LAYOUT_LABELS), 60, fmt["wrap"])  # reasons wrap
    for i, rec in enumerate(records, start=1):
        if len(rec[-1]) > 60:  # neither Excel nor LibreOffice grows a row for text written by a program
            ws.set_row(i, 15 * (len(rec[-1]) // 55 + 1), fmt["wrap"])
    page(ws, 0, run_date)


def _withheld_sheet(wb, fmt, summary: dict, wards: pd.DataFrame, run_date: str) -> None:
    """Findings not concluded because a file that could refute them was not read."""
    withheld = summary.get("withheld", [])
    if not withheld:
        return
    names = dict(zip(wards["ward_code"], wards["ward_name"]))
    ws = wb.add_worksheet("Chưa kết luận")
    ws.write_string(0, 0, "Nội dung chưa kết luận vì có tệp không đọc được (hãy sửa tệp và gửi lại)", fmt["bold"])
    table(ws, fmt, 2, ["Mã đơn vị", "Phường/xã", "Nội dung chưa kết luận", "Do các tệp"],
          [[w["ward_code"], names.get(w["ward_code"], ""), CODE_LABELS.get(w["code"], w["code"]),
            "; ".join(w["because"])] for w in withheld], [10, 24, 30, 80])
    ws.set_column(3, 3, 80, fmt["wrap"])
    page(ws, 2, run_date)


def withheld_lines(summary: dict, ward_code: str) -> list[str]:
    """Vietnamese sentences telling a ward which findings were not concluded, and why."""
    out = []
    for w in summary.get("withheld", []):
        if w["ward_code"] == ward_code:
            files = ", ".join(w["because"][:3]) + (" …" if len(w["because"]) > 3 else "")
            out.append(f"Chưa kết luận \"{CODE_LABELS.get(w['code'], w['code'])}\" vì không đọc được: {files}. "
                       "Hãy sửa các tệp này và gửi lại.")
    return out

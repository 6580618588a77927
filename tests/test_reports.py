"""The Vietnamese workbooks: the same cells whether one process or a pool writes them."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from reconcile import stages
from reports.workbooks import Extras, write_human_reports


def _cells(folder):
    out = {}
    for path in sorted((folder / "bao_cao").glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        out[path.name] = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    return out


def test_a_pool_writes_the_same_workbooks_as_one_process(small_city, tmp_path, monkeypatch):
    data = stages.read(small_city / "inbox")
    prepared = stages.validate_and_normalize(data)
    linked = stages.link_rows(prepared)
    as_of = dt.date.fromisoformat(json.loads((small_city / "truth" / "meta.json").read_text())["as_of"])
    found = stages.find(data, linked, as_of)
    matches, findings, wards = found.matches, found.findings, found.wards
    summary = stages.summary_of("r", as_of, data, matches, findings, wards, {})
    books = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("RECONCILE_WORKERS", workers)
        folder = tmp_path / workers
        folder.mkdir()
        write_human_reports(folder, data, linked, matches, findings, wards, summary, Extras(found.units, found.cadres, found.households))
        books[workers] = _cells(folder)
    assert books["2"] == books["1"]
    assert len(books["1"]) == 1 + wards["ward_code"].isin(matches["ward_code"]).sum()
    # The review sheet names the person twice, as listed and as the system knows them.
    review = [r for sheets in books["1"].values() if "Xem xét" in sheets for r in sheets["Xem xét"][1:]]
    status = dict(zip(zip(matches["source"], matches["sheet"], matches["row"].astype(int)), matches["match_status"]))
    in_review = [r for r in review if status[(r[0], r[1], int(r[2]))] == "review"]
    assert in_review and all(r[4] and r[5] for r in in_review)


def test_the_city_workbook_accounts_for_every_sheet_and_what_was_withheld(small_city, tmp_path):
    data = stages.read(small_city / "inbox")
    linked = stages.link_rows(stages.validate_and_normalize(data))
    as_of = dt.date.fromisoformat(json.loads((small_city / "truth" / "meta.json").read_text())["as_of"])
    found = stages.find(data, linked, as_of)
    matches, findings, wards = found.matches, found.findings, found.wards
    summary = stages.summary_of("r", as_of, data, matches, findings, wards, {})
    write_human_reports(tmp_path, data, linked, matches, findings, wards, summary, Extras(found.units, found.cadres, found.households))
    city = _cells(tmp_path)["tong_hop_thanh_pho.xlsx"]
    listed = [(r[0], r[1], r[2]) for r in city["Tệp đã nhận"][1:]]
    label = {"read": "Đã đọc", "skipped": "Bỏ qua", "rejected": "Bị từ chối", "superseded": "Bị thay thế"}
    assert listed == [(s["source"], s["sheet"], label[s["status"]]) for s in summary["files"]["sheets"]]
    assert {"Bỏ qua", "Bị từ chối", "Bị thay thế"} <= {r[2] for r in listed}
    people = sum(int(r[3]) for r in city["Tệp đã nhận"][1:] if r[0].startswith("households/"))
    assert people == len(matches)
    withheld = city["Chưa kết luận"][3:]
    assert {(r[0], r[2]) for r in withheld} == {(w["ward_code"], {"NOT_LISTED": "Chưa có trong danh sách",
                                                                  "GROUP_UNASSIGNED": "Tổ chưa có cán bộ phụ trách"}[w["code"]])
                                                for w in summary["withheld"]}
    assert withheld
    # Dispatch 969 items 1–2: each agency's staff and households, each cadre's groups by phase
    agencies = city["Cơ quan, đơn vị"]
    head = agencies[2]
    table = {r[0]: dict(zip(head, r)) for r in agencies[3:]}
    units = found.units[found.units["unit_kind"] == "agency"].set_index("unit_code")
    assert set(table) == set(units.index)
    for code, row in table.items():
        assert (row["Cán bộ trong danh sách"], row["Đã kích hoạt"], row["Người thân trong hộ đủ 14 tuổi"]) == \
            (units.at[code, "members"], units.at[code, "members_activated"], units.at[code, "household_eligible"])
    ward_books = {name: book for name, book in _cells(tmp_path).items() if name != "tong_hop_thanh_pho.xlsx"}
    shown = sum(len(book["Cán bộ phụ trách"]) - 3 for book in ward_books.values() if "Cán bộ phụ trách" in book)
    assert shown == len(found.cadres[found.cadres["ward_code"].isin(matches["ward_code"])])
    waiting = found.households[found.households["eligible"] & ~found.households["activated"]]
    assert len(city["Người thân chưa kích hoạt"]) - 3 == len(waiting) > 0


# -- issue 12: everything a user reads, read back -----------------------------------------------

def _reconciled(small_city):
    """The small city through the stages up to its summary: (data, linked, found, summary)."""
    data = stages.read(small_city / "inbox")
    linked = stages.link_rows(stages.validate_and_normalize(data))
    as_of = dt.date.fromisoformat(json.loads((small_city / "truth" / "meta.json").read_text())["as_of"])
    found = stages.find(data, linked, as_of)
    summary = stages.summary_of("r", as_of, data, found.matches, found.findings, found.wards, {}, people=found.people)
    return data, linked, found, summary


def _run_reports(small_city, tmp_path):
    from reports.notices import NoticeData, write_notices

    data, linked, found, summary = _reconciled(small_city)
    write_human_reports(tmp_path, data, linked, found.matches, found.findings, found.wards, summary,
                        Extras(found.units, found.cadres, found.households))
    notices = write_notices(tmp_path, NoticeData(found.units, found.cadres, found.households, found.people,
                                                 linked.recs, summary, Extras().campaign))
    return found, summary, notices


def test_notices_started_on_the_pool_are_the_notices_written_here(small_city, tmp_path):
    """The flow starts the notices as one task on the run's pool before the ward workbooks'
    frames (flows.nightly.report_task): the same documents as ``write_notices``; a failure comes
    out of the task's result, which the flow waits for; without a pool they are rendered at once."""
    import zipfile

    from docx.opc.exceptions import PackageNotFoundError

    import parallel
    from reports.notices import NoticeData, start_notices, write_notices

    data, linked, found, summary = _reconciled(small_city)
    notices = NoticeData(found.units, found.cadres, found.households, found.people, linked.recs, summary,
                         Extras().campaign)
    expected = write_notices(tmp_path / "here", notices)

    def xml(folder, frame):
        out = {}
        for doc in frame["document"]:
            with zipfile.ZipFile(folder / doc) as z:
                out[doc] = z.read("word/document.xml")
        return out

    with parallel.kept_pools(), parallel.process_pool(2) as pool:
        started = start_notices(tmp_path / "pool", notices, pool)
        failing = start_notices(tmp_path / "bad", notices, pool, template=tmp_path / "missing.docx")
        written = started.result()
        with pytest.raises(PackageNotFoundError):   # pickled back from the worker
            failing.result()
    # built on the worker, with the flow's string storage (parallel.worker_options): the same frame
    pd.testing.assert_frame_equal(written, expected)
    assert len(expected) > 1
    assert xml(tmp_path / "pool", written) == xml(tmp_path / "here", expected)
    at_once = start_notices(tmp_path / "alone", notices, None)
    assert at_once.done() and xml(tmp_path / "alone", at_once.result()) == xml(tmp_path / "here", expected)


def test_a_rendered_notice_does_not_wait_for_the_cyclic_collector(small_city, tmp_path):
    """A run starts the cyclic garbage collector rarely (parallel.GC_THRESHOLDS), and a
    python-docx document is a reference cycle holding its XML trees: each notice is freed as soon
    as it is saved (a province's 515 notices held 3.2 GB on their worker instead of 0.7)."""
    import gc
    import os

    import docx.opc.package

    from reports.notices import NoticeData, _render, notice_jobs

    data, linked, found, summary = _reconciled(small_city)
    jobs, _ = notice_jobs(tmp_path, NoticeData(found.units, found.cadres, found.households, found.people,
                                               linked.recs, summary, Extras().campaign))
    gc.collect()
    gc.disable()
    try:
        for job in jobs[:3]:
            _render(*job)
        assert not [o for o in gc.get_objects() if isinstance(o, docx.opc.package.OpcPackage)]
    finally:
        gc.enable()
    assert all(os.path.getsize(out) > 0 for _, _, out in jobs[:3])


def test_every_figure_a_user_reads_agrees_with_the_csvs(small_city, tmp_path):
    import zipfile

    import openpyxl
    from docx import Document

    from reports.labels import CODE_SHEETS, vi_int, vi_pct

    found, summary, notices = _run_reports(small_city, tmp_path)
    findings = found.findings
    # The city: rate cells are numbers, the chart draws them, and the total row is the city's line.
    path = tmp_path / "bao_cao" / "tong_hop_thanh_pho.xlsx"
    ws = openpyxl.load_workbook(path)["Tổng hợp"]
    header_row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "Mã đơn vị")
    head = [c.value for c in ws[header_row]]
    rate_col = head.index("Tỷ lệ so với chỉ tiêu") + 1
    lines = [r for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if r[0]]
    assert {r[0]: r[rate_col - 1] for r in lines} == {c: w["rate"] for c, w in summary["wards"].items()}
    assert all(isinstance(r[rate_col - 1], float) for r in lines)
    total = next(r for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if r[1] == "Toàn thành phố")
    assert total[2] == sum(w["target"] for w in summary["wards"].values())
    assert total[4] == sum(w["activated"] for w in summary["wards"].values())
    assert vi_int(total[4]) in ws.cell(3, 1).value and vi_pct(total[rate_col - 1]) in ws.cell(3, 1).value
    with zipfile.ZipFile(path) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    col = openpyxl.utils.get_column_letter(rate_col)
    assert f"$F${header_row + 1}:$F${header_row + len(lines)}".replace("F", col) in chart
    assert "<c:max val=\"1\"/>" in chart

    # Each ward: its figures, whom to visit (every line names a person), each finding kind's sheet.
    for code, ward in summary["wards"].items():
        books = list((tmp_path / "bao_cao").glob(f"{code}_*.xlsx"))
        wf = findings[findings["ward_code"] == code]
        if not books:
            assert wf.empty
            continue
        wb = openpyxl.load_workbook(books[0])
        assert wb.sheetnames[:2] == ["Tổng quan", "Cần đến nhà"]
        top = {r[0]: r[1] for r in wb["Tổng quan"].iter_rows(values_only=True) if r[0]}
        assert (top["Chỉ tiêu được giao"], top["Đã kích hoạt"]) == (ward["target"], ward["activated"])
        assert top["Công dân đủ 14 tuổi (theo dữ liệu định danh)"] == ward["eligible"]
        visits = list(wb["Cần đến nhà"].iter_rows(min_row=2, values_only=True))
        assert visits and all(v[3] for v in visits)
        assert top["Số người cần đến nhà (trang \"Cần đến nhà\")"] == len(visits)
        review = [r for r in wb["Xem xét"].iter_rows(min_row=2, values_only=True) if r[0]]
        assert top["Dòng cần xem xét (trang \"Xem xét\")"] == len(review)
        for c, sheet in CODE_SHEETS.items():
            want = int((wf["code"] == c).sum())
            if not want:
                assert sheet not in wb.sheetnames
                continue
            rows = [r for r in wb[sheet].iter_rows(min_row=4, values_only=True) if any(r)]
            assert len(rows) == want, (code, c)
            assert {r[-1] for r in rows} == {c}                                   # the hidden code column
            assert wb[sheet].column_dimensions[openpyxl.utils.get_column_letter(len(rows[0]))].hidden
            name_col = 3 if c == "NOT_LISTED" else 2
            assert all(r[name_col] for r in rows) or c == "INVALID"               # every line names a person

    # Notices: one per agency and per ward with lists; the figures as the units' table has them.
    assert set(notices.loc[notices["unit_kind"] == "agency", "unit_code"]) == \
        set(found.units.loc[found.units["unit_kind"] == "agency", "unit_code"])
    for n in notices[notices["unit_kind"] == "agency"].itertuples():
        doc = Document(str(tmp_path / n.document))
        figures = {row.cells[0].text: row.cells[1].text for row in doc.tables[1].rows}
        u = found.units.set_index("unit_code").loc[n.unit_code]
        assert figures["Đã kích hoạt"] == f"{vi_int(u['members_activated'])} ({vi_pct(u['rate'])})"
        annex = doc.tables[-1].rows[1:]
        h = found.households
        relatives = h[(h["kind"] == "staff") & (h["unit_code"] == n.unit_code) & h["eligible"] & ~h["activated"]]
        assert len(annex) == int(u["members_found"] - u["members_activated"]) + relatives["identity_id"].nunique()
        assert all("******" in row.cells[3].text for row in annex)                # IDs masked
    first = Document(str(tmp_path / notices.iloc[0]["document"]))
    text = "\n".join([p.text for p in first.paragraphs]
                     + [c.text for t in first.tables for row in t.rows for c in row.cells])
    assert "Độc lập - Tự do - Hạnh phúc" in text and "CÔNG AN THÀNH PHỐ RẠCH GIÁ" in text
    assert "{{" not in text and "{%" not in text

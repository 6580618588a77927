"""The Vietnamese workbooks: the same cells whether one process or a pool writes them."""

from __future__ import annotations

import datetime as dt
import json

from python_calamine import CalamineWorkbook

from reconcile import stages
from reports.workbooks import write_human_reports


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
        write_human_reports(folder, data, linked, matches, findings, wards, summary, found.units, found.cadres, found.households)
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
    write_human_reports(tmp_path, data, linked, matches, findings, wards, summary, found.units, found.cadres, found.households)
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

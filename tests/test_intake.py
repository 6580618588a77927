"""Reading people-made files: real workbooks written by the tests."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from intake.inbox import InboxError, read_inbox
from tests.workbooks import CANONICAL_HEADER, minimal_inbox, person, title_block, write_xlsx


def canonical_sheet(group_line="Tổ NDTQ số 01 - Khu phố 1", ward_line="PHƯỜNG VĨNH THANH VÂN",
                    date_line="Ngày 20/10/2023", people=None):
    people = people or [
        person(1, "Nguyễn Văn Hùng", dt.date(1985, 3, 7), "Nam", "091085001234", "0912345678"),
        person(2, "Trần Thị Hòa", dt.date(1987, 5, 1), "Nữ", "091187002345", relation="Vợ"),
    ]
    return (title_block(ward_line, group_line, date_line) + [CANONICAL_HEADER] + people +
            [[], ["Tổng cộng: 2 người"], [], ["", "NGƯỜI LẬP DANH SÁCH", "", "", "", "", "", "", "TỔ TRƯỞNG"],
             ["", "(Ký, ghi rõ họ tên)"]])


def test_canonical_template_rows_and_places(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    write_xlsx(inbox / "households" / "30733" / "to_01.xlsx", {"Tổ 1": canonical_sheet()})
    data = read_inbox(inbox)
    h = data.households
    assert h["row"].tolist() == [8, 9]  # spreadsheet row numbers, under a 6-row title block and a header
    assert set(h["ward_code"]) == {"30733"} and set(h["group_no"]) == {"1"}
    assert h["name"].tolist() == ["Nguyễn Văn Hùng", "Trần Thị Hòa"]
    assert data.rejected == [] and data.superseded == []


def test_ward_and_group_from_folder_and_sheet_when_title_is_silent(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    rows = [[CANONICAL_HEADER[i] for i in range(12)],
            person(1, "Nguyễn Văn Hùng", dt.date(1985, 3, 7), "Nam", "091085001234")]
    write_xlsx(inbox / "households" / "30733" / "ds.xlsx", {"TO 02": rows})
    h = read_inbox(inbox).households
    assert (h["ward_code"].tolist(), h["group_no"].tolist()) == (["30733"], ["2"])


def test_resubmission_replaces_older_list(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    old = write_xlsx(inbox / "households" / "30733" / "to_01_lan1.xlsx",
                     {"Tổ 1": canonical_sheet(date_line="Ngày 10/10/2023")})
    write_xlsx(inbox / "households" / "30733" / "to_01_lan2.xlsx", {"Tổ 1": canonical_sheet(
        date_line="Ngày 20/10/2023",
        people=[person(1, "Nguyễn Văn Hùng", dt.date(1985, 3, 7), "Nam", "091085001234")])})
    os.utime(old, (2_000_000_000, 2_000_000_000))  # newer mtime must not beat a later title date
    data = read_inbox(inbox)
    assert len(data.households) == 1
    assert data.superseded == [{"source": "households/30733/to_01_lan1.xlsx", "sheet": "Tổ 1",
                                "replaced_by": "households/30733/to_01_lan2.xlsx", "replaced_by_sheet": "Tổ 1",
                                "rule": "title_date",
                                "dates": {"replaced": "2023-10-10", "replaced_by": "2023-10-20"}}]


def test_bad_files_are_rejected_with_reasons_and_the_rest_goes_on(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    write_xlsx(inbox / "households" / "30733" / "to_01.xlsx", {"Tổ 1": canonical_sheet()})
    (inbox / "households" / "30733" / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    write_xlsx(inbox / "households" / "30733" / "khong_tieu_de.xlsx", {"Sheet1": [["a", "b"], ["c", "d"]]})
    write_xlsx(inbox / "households" / "la" / "to_01.xlsx",
               {"Tổ 1": canonical_sheet(ward_line="PHƯỜNG KHÔNG CÓ")})
    data = read_inbox(inbox)
    assert len(data.households) == 2
    reasons = {r["source"]: r["reason"] for r in data.rejected}
    assert set(reasons) == {"households/30733/hong.xlsx", "households/30733/khong_tieu_de.xlsx",
                            "households/la/to_01.xlsx"}
    assert "Excel" in reasons["households/30733/hong.xlsx"]
    assert "tiêu đề cột" in reasons["households/30733/khong_tieu_de.xlsx"]
    assert "phường/xã" in reasons["households/la/to_01.xlsx"]
    for reason in reasons.values():  # never the data itself
        assert "0910850" not in reason


def test_old_form_sex_columns_and_status_ticks(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    header = ["STT", "Họ và tên", "Ngày sinh", "", "Số CCCD", "Kết quả", "", "", ""]
    sub = ["", "", "Nam", "Nữ", "", "Chưa đăng ký", "Đã đăng ký", "Đã duyệt", "Đã kích hoạt"]
    rows = title_block("PHƯỜNG VĨNH THANH VÂN", "Tổ 1") + [header, sub,
        [1, "Nguyễn Văn Hùng", dt.date(1985, 3, 7), "", "091085001234", "", "", "", "x"],
        [2, "Trần Thị Hòa", "", "01/05/1987", "091187002345", "x", "", "", ""]]
    write_xlsx(inbox / "households" / "30733" / "cu.xlsx", {"Tổ 1": rows})
    h = read_inbox(inbox).households
    assert h["gender_raw"].tolist() == ["Nam", "Nữ"]
    assert h["result_raw"].tolist() == ["Đã kích hoạt", "Chưa đăng ký"]
    assert h["row"].tolist() == [9, 10]


def test_ward_wide_sheet_with_ward_and_group_columns(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    header = ["TT", "Họ tên", "Năm sinh", "Nam/Nữ", "CCCD/CMND", "Phường/xã", "Tổ NDTQ"]
    rows = [["DANH SÁCH TOÀN PHƯỜNG"], header,
            [1, "Nguyễn Văn Hùng", 1985, "Nam", 91085001234, "Vĩnh Thanh Vân", 1],
            [2, "Trần Thị Hòa", 1987, "Nữ", "091187002345", "vinh thanh van", "Tổ 2"]]
    write_xlsx(inbox / "households" / "toan_phuong.xlsx", {"DS": rows})
    h = read_inbox(inbox).households
    assert h["ward_code"].tolist() == ["30733", "30733"]
    assert h["group_no"].tolist() == ["1", "2"]


def test_csv_in_windows_1258_with_semicolons(tmp_path):
    import unicodedata

    inbox = minimal_inbox(tmp_path / "inbox")
    lines = ["PHƯỜNG VĨNH THANH VÂN;;;", "Tổ NDTQ số 02;;;", "STT;Họ và tên;Ngày sinh;Số định danh cá nhân",
             "1;Nguyễn Văn Hùng;07/03/1985;091085001234"]
    text = unicodedata.normalize("NFD", "\r\n".join(lines) + "\r\n")
    # cp1258 has base letters with circumflex/breve/horn precomposed and tones as combining marks
    composed = "".join(unicodedata.normalize("NFC", ch) if False else ch for ch in text)
    data = _encode_cp1258(composed)
    (inbox / "households" / "30733").mkdir(parents=True)
    (inbox / "households" / "30733" / "to_02.csv").write_bytes(data)
    h = read_inbox(inbox).households
    assert h["name"].tolist() == ["Nguyễn Văn Hùng"]
    assert (h["group_no"].tolist(), h["row"].tolist()) == (["2"], [4])


def _encode_cp1258(nfd: str) -> bytes:
    import unicodedata

    out = []
    for ch in nfd:
        out.append(ch)
    text = "".join(out)
    # Recompose base + circumflex/breve/horn, which cp1258 has as single bytes.
    result, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        comp = unicodedata.normalize("NFC", pair)
        if len(pair) == 2 and len(comp) == 1 and pair[1] in "\u0302\u0306\u031b":
            result.append(comp)
            i += 2
        else:
            result.append(text[i])
            i += 1
    return "".join(result).encode("cp1258")


def test_missing_identity_export_is_fatal(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    (inbox / "identity" / "export.csv").unlink()
    with pytest.raises(InboxError, match="no identity export"):
        read_inbox(inbox)


def test_newest_export_wins(tmp_path):
    inbox = minimal_inbox(tmp_path / "inbox")
    older = (inbox / "identity" / "export.csv").read_text(encoding="utf-8").replace("2023-10-25", "2023-10-18")
    (inbox / "identity" / "z_older.csv").write_text(older, encoding="utf-8")
    data = read_inbox(inbox)
    assert data.export["source"] == "identity/export.csv"
    assert data.export["export_date"] == "2023-10-25"


def test_an_export_without_records_or_without_a_date_is_rejected_saying_why(tmp_path):
    """Beside a good export, an empty one and one dated 25/10/2023 are rejected with their reason
    (they used to crash the read stage with a bare ValueError); alone, they stop the run in one
    line that names the file and what is wrong with it."""
    inbox = minimal_inbox(tmp_path / "inbox")
    good = (inbox / "identity" / "export.csv").read_text(encoding="utf-8")
    (inbox / "identity" / "z_empty.csv").write_text(good.splitlines()[0] + "\n", encoding="utf-8")
    (inbox / "identity" / "z_undated.csv").write_text(good.replace("2023-10-25", "25/10/2023"), encoding="utf-8")
    data = read_inbox(inbox)
    assert data.export["source"] == "identity/export.csv"
    reasons = {r["source"]: r["reason"] for r in data.rejected}
    assert "không có bản ghi" in reasons["identity/z_empty.csv"]
    assert "NGAY_XUAT" in reasons["identity/z_undated.csv"]

    (inbox / "identity" / "export.csv").unlink()
    (inbox / "identity" / "z_undated.csv").unlink()
    with pytest.raises(InboxError, match="no usable identity export .*z_empty.csv: tệp xuất không có bản ghi nào"):
        read_inbox(inbox)


def test_blank_template_is_read_back_after_a_person_fills_it(tmp_path):
    import openpyxl

    from reports.template import HEADER_ROW, write_template

    inbox = minimal_inbox(tmp_path / "inbox")
    path = write_template(inbox / "households" / "30733" / "to_02.xlsx")
    wb = openpyxl.load_workbook(path)  # a person typing into Excel
    ws = wb["Danh sách"]
    assert ws.column_dimensions["E"].number_format == "@"  # IDs stay text: no lost zeros
    assert ws.column_dimensions["F"].number_format == "@"
    ws.cell(4, 1).value = "Tổ NDTQ số 02 - Khu phố 1"
    ws.cell(HEADER_ROW + 2, 1).value = 1
    ws.cell(HEADER_ROW + 2, 2).value = "Nguyễn Văn Hùng"
    ws.cell(HEADER_ROW + 2, 3).value = dt.datetime(1985, 3, 7)
    ws.cell(HEADER_ROW + 2, 5).value = "091085001234"
    wb.save(path)
    data = read_inbox(inbox)
    h = data.households
    assert h[["ward_code", "group_no", "row", "id_raw"]].values.tolist() == [["30733", "2", HEADER_ROW + 2, "091085001234"]]
    checks = [dv.sqref for dv in wb["Danh sách"].data_validations.dataValidation]
    assert len(checks) >= 5  # drop-downs and length checks survive a save


def test_workbook_typed_in_tcvn3_is_read_as_unicode(tmp_path):
    import unicodedata

    from intake.legacy import TCVN3_TO_UNICODE

    # Plumbing test: the tables themselves are checked on real words in tests/test_legacy.py.
    encode = {v: k for k, v in TCVN3_TO_UNICODE.items()}

    def tcvn3(text: str) -> str:
        return "".join(encode.get(ch, ch) for ch in unicodedata.normalize("NFC", text))

    inbox = minimal_inbox(tmp_path / "inbox")
    sheet = [[tcvn3(c) if isinstance(c, str) else c for c in row] for row in canonical_sheet()]
    write_xlsx(inbox / "households" / "30733" / "to_01.xlsx", {"Tổ 1": sheet})
    data = read_inbox(inbox)
    assert data.rejected == []
    assert data.households["name"].tolist() == ["Nguyễn Văn Hùng", "Trần Thị Hòa"]
    assert set(data.households["group_no"]) == {"1"}


def test_the_dispatch_date_in_a_title_is_not_the_list_date():
    from intake.dates import list_date

    lines = ["DANH SÁCH CÔNG DÂN", "(Kèm theo Công văn số 969/UBND-CATP ngày 16/10/2023)", "Ngày 22/10/2023"]
    assert list_date(lines) == dt.date(2023, 10, 22)


def test_assignment_rows_without_a_usable_id_are_accounted_for(tmp_path):
    from reconcile import stages

    inbox = minimal_inbox(tmp_path / "inbox")
    write_xlsx(inbox / "households" / "30733" / "to_01.xlsx", {"Tổ 1": canonical_sheet()})
    header = ["STT", "Họ và tên", "Số định danh cá nhân", "Đơn vị công tác", "Số điện thoại", "Phường/xã",
              "Tổ NDTQ phụ trách"]
    write_xlsx(inbox / "assignments" / "30733.xlsx", {"DS": [["PHƯỜNG VĨNH THANH VÂN"], header,
               [1, "Nguyễn Văn Hùng", "091085001234", "Công an phường", "", "Vĩnh Thanh Vân", "1; 2"],
               [2, "Trần Thị Hòa", "", "Đoàn phường", "", "Vĩnh Thanh Vân", "2"]]})
    data = read_inbox(inbox)
    prepared = stages.validate_and_normalize(data)
    assert [(r["row"], r["reason"]) for r in prepared.unit_issues] == [
        (4, "Không có số định danh hợp lệ, ngày sinh hay số điện thoại: không tìm được người này để "
            "kiểm tra tài khoản")]
    assert sorted(data.assignments["group_no"]) == ["1", "2", "2"]  # the row still assigns its group


def test_repeated_ward_names_in_a_province_are_settled_by_the_folder_never_guessed():
    import pandas as pd

    from intake.registry import Registry

    reg = Registry(
        wards=pd.DataFrame({"ward_code": ["101", "201", "301", "302"],
                            "ward_name": ["Phường 1", "Phường 1", "Phường Vĩnh Thanh", "Xã Vĩnh Thạnh"],
                            "target": [1, 1, 1, 1]}),
        groups=pd.DataFrame(columns=["ward_code", "group_no"]), agencies=pd.DataFrame(columns=["unit_code"]))
    assert reg.find_ward_in("PHƯỜNG 1") is None                      # two towns have one
    assert reg.find_ward_in("PHƯỜNG 1", hint="201") == "201"         # the folder says which
    assert reg.find_ward_in("Tổ NDTQ số 1 - Khu phố 1") is None      # "1" alone names no ward
    assert reg.find_ward_in("PHƯỜNG VĨNH THANH") == "301"            # diacritics tell them apart
    assert reg.find_ward_in("XÃ VĨNH THẠNH - TỔ 3") == "302"
    assert reg.resolve_ward("vinh thanh") is None                    # folded, both fit
    assert reg.resolve_ward("vinh thanh", hint="302") == "302"
    assert reg.resolve_ward("301") == "301"


def test_a_pool_of_readers_reads_exactly_what_one_reader_reads(small_city, monkeypatch):
    """A province inbox is read by one process per core; the result must not depend on it:
    same person-rows in the same order, same ledger, same rejections."""
    import pandas as pd

    monkeypatch.setenv("RECONCILE_WORKERS", "1")
    alone = read_inbox(small_city / "inbox")
    monkeypatch.setenv("RECONCILE_WORKERS", "2")
    pooled = read_inbox(small_city / "inbox")
    assert len(alone.households) > 1000 and alone.rejected  # a real inbox, bad files included
    pd.testing.assert_frame_equal(pooled.households, alone.households)
    pd.testing.assert_frame_equal(pooled.files, alone.files)
    assert pooled.rejected == alone.rejected and pooled.superseded == alone.superseded


def test_rows_prepared_by_the_readers_batch_by_batch_are_the_rows_prepared_whole(small_city, monkeypatch):
    """A big inbox's household rows are normalised and validated by the pool's workers, a batch
    of files each (issue 15): whatever the batches, the run gets the rows it would get preparing
    the whole inbox's raw rows at once, lists replaced by newer ones left out, in the same order."""
    import pandas as pd

    import intake.inbox
    from reconcile.stages import prepare_rows

    monkeypatch.setenv("RECONCILE_WORKERS", "1")
    raw = read_inbox(small_city / "inbox")
    whole = prepare_rows(raw.households)
    alone = read_inbox(small_city / "inbox", prepare=prepare_rows)
    monkeypatch.setenv("RECONCILE_WORKERS", "2")
    monkeypatch.setattr(intake.inbox, "PREPARED_BATCH_FILES", 7)   # many batches, lists cut anywhere
    pooled = read_inbox(small_city / "inbox", prepare=prepare_rows)
    assert raw.superseded and len(whole) > 1000 and whole["invalid"].any()   # replaced lists, invalid rows
    assert pooled.prepared and alone.prepared and not raw.prepared
    pd.testing.assert_frame_equal(pooled.households, whole)
    pd.testing.assert_frame_equal(alone.households, whole)
    pd.testing.assert_frame_equal(pooled.files, raw.files)
    assert pooled.superseded == raw.superseded and pooled.rejected == raw.rejected


def _prepare_here_only(raw):
    """prepare_rows, failing in any process but the test's own (the pool's workers)."""
    from reconcile.stages import prepare_rows

    if os.getpid() != int(os.environ["TEST_READING_PID"]):
        raise RuntimeError("a worker's preparing failed")
    return prepare_rows(raw)


def test_rows_a_worker_failed_to_prepare_are_prepared_by_the_reading_process(small_city, monkeypatch):
    """Should preparing a batch fail on a worker, its files are not lost: their lists come back
    raw and the reading process prepares them (and meets the error there, if it is one)."""
    import pandas as pd

    from reconcile.stages import prepare_rows

    monkeypatch.setenv("RECONCILE_WORKERS", "1")
    whole = prepare_rows(read_inbox(small_city / "inbox").households)
    monkeypatch.setenv("RECONCILE_WORKERS", "2")
    monkeypatch.setenv("TEST_READING_PID", str(os.getpid()))
    pooled = read_inbox(small_city / "inbox", prepare=_prepare_here_only)
    pd.testing.assert_frame_equal(pooled.households, whole)


def test_an_export_with_a_repeated_header_is_read_by_its_first_column(tmp_path):
    from intake.identity import EXPORT_COLUMNS, read_export

    header = EXPORT_COLUMNS + ["GHI_CHU", "GHI_CHU", "HO_TEN"]
    row = ["091085001234", "Nguyễn Văn Hùng", "1985-03-07", "Nam", "H1", "Chủ hộ", "30733", "Tổ 1",
           "0912345678", "2", "activated", "2023-10-01", "2023-10-20", "a", "b", "Tên khác"]
    path = tmp_path / "dinh_danh.csv"
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8-sig")
    frame = read_export(path)
    assert frame[["identity_id", "name", "export_date"]].values.tolist() == [
        ["091085001234", "Nguyễn Văn Hùng", "2023-10-20"]]


def test_a_batch_with_an_unreadable_list_is_freed_without_the_cyclic_collector(tmp_path):
    """A pool's worker reads batch after batch (intake.inbox._read_batch) with the cyclic garbage
    collector run rarely (parallel.GC_THRESHOLDS): an unreadable list's error must not keep the
    batch's prepared rows alive through its traceback's frames (it did: ~20 MB of rows for each
    batch of 128 province lists with an unreadable one among them)."""
    import functools
    import gc
    import weakref

    from intake.households import read_household_file
    from intake.inbox import _read_batch
    from intake.registry import read_registry
    from reconcile.stages import prepare_rows

    inbox = minimal_inbox(tmp_path / "inbox")
    good, bad = inbox / "households" / "30733" / "to_01.xlsx", inbox / "households" / "la" / "to_01.xlsx"
    write_xlsx(good, {"Tổ 1": canonical_sheet()})
    write_xlsx(bad, {"Tổ 1": canonical_sheet(ward_line="PHƯỜNG KHÔNG CÓ")})   # no ward: the file is refused
    read = functools.partial(read_household_file, registry=read_registry(inbox), reference=dt.date(2023, 10, 25))
    prepared = []

    def prepare(raw):
        frame = prepare_rows(raw)
        prepared.append(weakref.ref(frame))
        return frame

    gc.collect()
    gc.disable()
    try:
        results = _read_batch(read, [good, bad], ["households/30733/to_01.xlsx", "households/la/to_01.xlsx"], prepare)
        assert [ok for ok, _ in results] == [True, False] and "phường/xã" in results[1][1][0]
        del results
        assert len(prepared) == 1 and prepared[0]() is None   # freed by reference counting alone
    finally:
        gc.enable()

"""Hypothesis: whatever header spellings, cell values and encodings people use, the reader never
crashes and never loses (or invents) a person-row."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.inbox import read_inbox
from matchers.text import fold
from tests.test_intake import _encode_cp1258
from tests.workbooks import minimal_inbox, write_xlsx

SPELLINGS = {
    "stt": ["STT", "TT", "Số TT"],
    "name": ["Họ và tên", "Họ tên", "Họ và tên công dân"],
    "dob": ["Ngày sinh", "Ngày, tháng, năm sinh", "Năm sinh"],
    "gender": ["Giới tính", "Nam/Nữ"],
    "national_id": ["Số định danh cá nhân", "Số CCCD", "Số ĐDCN", "CCCD/CMND", "Số CMND/CCCD", "Số định danh"],
    "phone": ["Số điện thoại", "SĐT", "Điện thoại", "Số ĐT"],
    "result": ["Kết quả", "Tình trạng", "Kết quả kích hoạt"],
}
NAMES = ["Nguyễn Văn Hùng", "Trần Thị Hòa", "Danh Sà Rươne", "Thị Sa Vân", "Phạm Thị Thủy", "Đặng Quốc Khỏe",
         "Lê Văn Tám", "Tô Trường Giang", "Công Văn Tùng", "Huỳnh Ngọc Ẩn"]


def _styled(text: str, style: int) -> str:
    return [text, text.upper(), text.lower(), "  " + text.replace(" ", "  ") + " ",
            unicodedata.normalize("NFD", text), text.replace(" ", "\n", 1), fold(text)][style]


cell_values = st.one_of(
    st.just(""), st.integers(min_value=0, max_value=10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 1, 1)),
)


@st.composite
def sheets(draw):
    fields = ["name"] + draw(st.lists(st.sampled_from(["stt", "dob", "gender", "national_id", "phone", "result"]),
                                      min_size=2, max_size=6, unique=True))
    header = [_styled(draw(st.sampled_from(SPELLINGS[f])), draw(st.integers(0, 6))) for f in fields]
    people = draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=12))
    rows = [[f"TIÊU ĐỀ {i}"] for i in range(draw(st.integers(0, 5)))]
    rows.append(header)
    for i, name in enumerate(people, start=1):
        row = []
        for f in fields:
            if f == "name":
                row.append(_styled(name, draw(st.integers(0, 6))))
            elif f == "stt":
                row.append(i)
            else:
                v = draw(cell_values)
                row.append(v.strip() if isinstance(v, str) else v)
        rows.append(row)
        if draw(st.booleans()) and draw(st.booleans()):
            rows.append([])  # a blank row inside the list
    rows += [[], ["Tổng cộng: %d người" % len(people)], ["", "NGƯỜI LẬP DANH SÁCH"]]
    return fields, rows, people


def _clean_cell(v):
    # a header/name cell may not contain characters a codepage cannot carry
    return v


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets(), st.sampled_from(["xlsx", "utf-8", "utf-8-sig", "cp1258"]), st.sampled_from([",", ";"]))
def test_reader_never_loses_a_person_row(sheet, encoding, delimiter):
    fields, rows, people = sheet
    root = Path(tempfile.mkdtemp())
    try:
        inbox = minimal_inbox(root / "inbox")
        folder = inbox / "households" / "30733"
        folder.mkdir(parents=True)
        if encoding == "xlsx":
            write_xlsx(folder / "to_01.xlsx", {"Tổ 1": rows})
        else:
            import csv
            import io

            buf = io.StringIO()
            writer = csv.writer(buf, delimiter=delimiter)
            for r in rows:
                writer.writerow(["" if v is None else (v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
                                 for v in r])
            text = buf.getvalue()
            if encoding == "cp1258":
                try:
                    data = _encode_cp1258(unicodedata.normalize("NFD", text))
                except UnicodeEncodeError:
                    return  # random text outside the codepage: not a file anyone could have saved
            else:
                data = text.encode(encoding)
            (folder / "to_01.csv").write_bytes(data)
        data = read_inbox(inbox)
        if not people:
            return
        got = data.households
        rejected = [r["source"] for r in data.rejected]
        # every person-row read, or the file rejected whole with a reason: never a silent loss
        if rejected:
            assert all(r["reason"] for r in data.rejected)
            return
        assert [fold(n) for n in got["name"]] == [fold(n) for n in people]
    finally:
        shutil.rmtree(root, ignore_errors=True)

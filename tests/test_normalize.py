"""Normalisers: properties that must hold for any value people type."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.normalize import (
    PROVINCE_CODES,
    id_sex_and_year,
    normalize_dates,
    normalize_ids,
    normalize_phones,
    normalize_statuses,
)
from matchers.text import clean_text, display_name, fold

provinces = st.sampled_from(sorted(PROVINCE_CODES))
ids = st.builds(lambda p, rest: p + rest, provinces, st.text("0123456789", min_size=9, max_size=9))


def one(func, value):
    return func(pd.Series([value], dtype=object)).iloc[0]


@given(ids, st.sampled_from(["plain", "number", "spaces", "dots", "quote"]))
def test_id_repairs_keep_the_same_id(national_id, written):
    value = {
        "plain": national_id,
        "number": float(int(national_id)),  # Excel drops the leading zero
        "spaces": " ".join([national_id[:3], national_id[3:6], national_id[6:]]),
        "dots": ".".join([national_id[:4], national_id[4:8], national_id[8:]]),
        "quote": "'" + national_id,
    }[written]
    row = one(normalize_ids, value)
    assert (row["national_id"], row["id_state"]) == (national_id, "ok")


def test_id_states():
    out = normalize_ids(pd.Series(["", None, "9.12030E+10", "123456789", "12345", "999123456789", 91203004567],
                                  dtype=object))
    assert out["id_state"].tolist() == ["missing", "missing", "unrecoverable", "old_id", "malformed", "malformed", "ok"]
    assert out["national_id"].iloc[-1] == "091203004567"


def test_id_encodes_sex_and_century():
    enc = id_sex_and_year(pd.Series(["091085001234", "091187002345", "091208003456", "091309000000"]))
    assert enc["sex"].tolist() == ["M", "F", "M", "F"]
    assert enc["year"].tolist() == [1985, 1987, 2008, 2009]


@given(st.sampled_from(["32", "33", "34", "35", "36", "37", "38", "39", "70", "79", "77", "76", "78", "83", "84",
                        "85", "81", "82", "56", "58", "59"]), st.text("0123456789", min_size=7, max_size=7))
def test_phone_forms_agree(new2, rest):
    new = "0" + new2 + rest
    old_prefix = {"32": "0162", "33": "0163", "34": "0164", "35": "0165", "36": "0166", "37": "0167", "38": "0168",
                  "39": "0169", "70": "0120", "79": "0121", "77": "0122", "76": "0126", "78": "0128", "83": "0123",
                  "84": "0124", "85": "0125", "81": "0127", "82": "0129", "56": "0186", "58": "0188",
                  "59": "0199"}[new2]
    forms = [new, "+84" + new[1:], "84" + new[1:], f"{new[:4]} {new[4:7]} {new[7:]}", f"{new[:4]}.{new[4:7]}.{new[7:]}",
             old_prefix + rest, float(new)]
    assert set(normalize_phones(pd.Series(forms, dtype=object))) == {new}


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2023, 12, 31)),
       st.sampled_from(["date", "datetime", "serial", "dmy", "dmy-dash", "dmy-dot", "iso"]))
def test_date_forms_agree(day, written):
    if written == "serial" and day.year < 1906:
        return  # serials 1900–2100 read as years typed alone (see matchers.normalize)
    value = {
        "date": day,
        "datetime": dt.datetime(day.year, day.month, day.day),
        "serial": float((day - dt.date(1899, 12, 30)).days),
        "dmy": f"{day.day}/{day.month}/{day.year}",
        "dmy-dash": f"{day.day:02d}-{day.month:02d}-{day.year}",
        "dmy-dot": f"{day.day:02d}.{day.month:02d}.{day.year}",
        "iso": day.isoformat(),
    }[written]
    assert one(normalize_dates, value) == day.isoformat()


def test_year_only_dates():
    out = normalize_dates(pd.Series([1985, 1985.0, "1985", "1985-00-00", "", None, "31/02/1985"], dtype=object))
    assert out.tolist() == ["1985-00-00"] * 4 + ["", "", ""]


NAMES = ["Nguyễn Văn Hùng", "Trần Thị Hòa", "Phạm Thị Thủy", "Đặng Quốc Khỏe", "Danh Sà Rươne", "Thị Sa Vân",
         "Huỳnh Ngọc Thúy", "Lê Quý Đôn", "Hoàng Xuân Quỳnh"]


@given(st.sampled_from(NAMES), st.sampled_from(["nfd", "upper", "spaces", "eth", "plain", "new_tone"]))
def test_name_variants_fold_to_the_same_key(name, written):
    value = {
        "nfd": unicodedata.normalize("NFD", name),
        "upper": name.upper(),
        "spaces": "  " + name.replace(" ", "   ") + " ",
        "eth": name.replace("Đ", "\u00d0"),
        "plain": fold(name).title(),
        "new_tone": name.replace("Hòa", "Hoà").replace("Thủy", "Thuỷ").replace("Thúy", "Thuý").replace("Khỏe", "Khoẻ"),
    }[written]
    assert fold(value) == fold(name)
    if written != "plain":
        assert display_name(value) == name


@settings(max_examples=300)
@given(st.text())
def test_text_normalisers_never_crash(text):
    assert isinstance(clean_text(text), str)
    assert fold(fold(text)) == fold(text)


def test_tone_placement_is_old_style_only_in_open_syllables():
    assert clean_text("hoà thuỷ khoẻ") == "hòa thủy khỏe"
    assert clean_text("hoàng thuyền quý") == "hoàng thuyền quý"


def test_status_words():
    words = ["Đã kích hoạt", "DA KICH HOAT", "Đã duyệt", "Đã đăng ký", "Chờ duyệt", "Chưa đăng ký",
             "Chưa kích hoạt", "chua kich hoat", "", "???"]
    assert normalize_statuses(pd.Series(words)).tolist() == [
        "activated", "activated", "approved", "registered", "registered", "not_registered",
        "approved", "approved", "", "unknown"]


def test_a_true_or_false_cell_reads_the_same_whatever_numbers_share_its_column():
    """Python hashes True, 1 and 1.0 alike: a TRUE cell typed in a level, date, phone or ID column
    must be read as it is, not as whichever equal number came first in the same frame (the
    reader's workers normalise by batches of files, so the frame around a cell varies)."""
    import pandas as pd

    from matchers.normalize import normalize_dates, normalize_ids, normalize_levels, normalize_phones

    def read(fn, cells):
        out = fn(pd.Series(cells, dtype=object))
        frame = out if isinstance(out, pd.DataFrame) else out.to_frame()
        return [tuple(None if pd.isna(v) else v for v in row) for row in frame.astype(object).itertuples(index=False)]

    cells = [1, True, 1.0, False, 0, "1", 912345678, True]
    for fn in (normalize_levels, normalize_dates, normalize_phones, normalize_ids):
        alone = [read(fn, [c])[0] for c in cells]
        assert read(fn, cells) == alone, fn.__name__
        assert read(fn, cells[::-1]) == alone[::-1], fn.__name__
    assert read(normalize_levels, [1, True]) != read(normalize_levels, [True, True])   # a TRUE is not level 1

"""The synthetic city's people-made files as offices really save them (synth/kinds.py): each kind
appears in a small messy city, is well-formed, and its ground truth is right."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import re
import unicodedata
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from intake.legacy import TCVN3_TO_UNICODE, VNI_TO_UNICODE, to_unicode
from synth import generate
from synth.geo import get_scale
from synth.kinds import (DATE_FORMS, INVISIBLE, MEANING_HOUSEHOLD, NO_BREAK_SPACES,
                         TCVN3_ENCODE, date_line, legacy_text, sprinkle, strip_invisible,
                         vni_encode, ward_abbrev)
from synth.population import build_population
from synth.text import fold, strip_diacritics, upper
from synth.units import build_units, unit_truth, write_assignments
from tests.test_synth import _read_sheet, _truth, decode_csv, stated_dates, without_far_cells


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("kinds")
    return out, generate(out, scale="small", seed=5, clean=False)


def _sheet_xml(path: Path, sheet: str) -> tuple[str, str]:
    """(workbook.xml, the sheet's own XML) of an xlsx, by sheet name."""
    z = zipfile.ZipFile(path)
    wb = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = re.search(r'<sheet name="%s" sheetId="\d+"(?: state="\w+")? r:id="(rId\d+)"'
                    % re.escape(sheet), wb).group(1)
    part = re.search(r'Id="%s" Type="[^"]+" Target="([^"]+)"' % rid, rels).group(1)
    return wb, z.read("xl/" + part).decode("utf-8")


def _raw(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


def _export(out: Path, meta: dict) -> pd.DataFrame:
    p = out / "inbox" / meta["identity"]["newest"]
    return pd.read_csv(p, dtype=str, keep_default_na=False).set_index("SO_DINH_DANH")


def _name_col(data: list[list]) -> tuple[int, int]:
    names = {fold(h) for h in ["Họ và tên", "Họ tên", "Họ và tên công dân", *MEANING_HOUSEHOLD["name"]]}
    for i, r in enumerate(data):
        for j, c in enumerate(r):
            if isinstance(c, str) and fold(c.replace("\n", " ")) in names:
                return i, j
    raise AssertionError("no name header")


# --------------------------------------------------------------------------------------------
# Pure helpers
def test_tcvn3_table_is_the_readers_inverse():
    assert {v: k for k, v in TCVN3_TO_UNICODE.items()} == TCVN3_ENCODE


def _letters() -> list[str]:
    out = []
    for base, tones in itertools.product(["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"],
                                         ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]):
        ch = unicodedata.normalize("NFC", base + tones)
        out += [ch, ch.upper()]
    return out + ["đ", "Đ"]


def test_vni_letters_read_back_through_the_readers_table():
    for ch in _letters():
        enc = vni_encode(ch)
        assert enc is not None and to_unicode(enc, "vni") == ch, (ch, enc)
        if len(enc) == 2:
            assert VNI_TO_UNICODE[enc] == ch
    for word in ["Nguyễn Văn Hùng", "HUỲNH THỊ ĐÀO", "Thạch Thị Sa Rết", "Phường Vĩnh Thanh Vân",
                 "Đã kích hoạt", "Không có ĐTTM", "Trường hợp", "Ấp Tà Tây A", "Lý Vũ"]:
        assert to_unicode(vni_encode(word), "vni") == word


def test_legacy_text_round_trips_through_the_reader():
    pop = build_population(get_scale("small"), np.random.default_rng(3))
    texts = list(pop.people["name"]) + list(pop.households["short_address"]) + [
        "UBND THÀNH PHỐ RẠCH GIÁ", "Tổ NDTQ số 07 - Khu phố 1", "Ngày báo cáo: 05/11/2023",
        "Rạch Giá, ngày 05 tháng 11 năm 2023", "Số CCCD", "Lý Vũ", "ĐÃ", "Ấn", "Ð"]
    exact = Counter()
    for enc in ("tcvn3", "vni"):
        for s in texts:
            t, ok = legacy_text(s, enc)
            back = to_unicode(t, enc)
            assert all(ord(c) < 256 for c in t)            # one byte per character
            if ok:
                assert back == unicodedata.normalize("NFC", s.replace("Ð", "Đ")), (enc, s, t)
            else:                     # typed in capitals, or without diacritics, and read so
                assert back in (upper(s), strip_diacritics(s).replace("Ð", "D")), (enc, s, t, back)
            exact[enc, ok] += 1
    assert exact["vni", False] <= 3 and exact["tcvn3", False] < 0.01 * len(texts)
    assert legacy_text("Nguyễn Văn Hùng", "tcvn3") == ("NguyÔn V¨n Hïng", True)
    assert legacy_text("Nguyễn Văn Hùng", "vni") == ("Nguyeãn Vaên Huøng", True)


def test_invisible_characters_vanish_for_the_reader():
    g = np.random.default_rng(0)
    for s, kind in [("091203004567", "id"), ("Nguyễn Văn Hùng", "name"), ("0912 345 678", "phone"),
                    ("+84 912 345 678", "phone"), ("Số định danh cá nhân", "header"),
                    ("Phường Vĩnh Thanh Vân", "text")]:
        seen = set()
        for _ in range(200):
            t = sprinkle(s, kind, g.random(4))
            assert t != s
            seen |= set(t) - set(s)
            assert " ".join(strip_invisible(t).split()) == " ".join(s.split()), (s, t)
            if kind in ("id", "phone"):
                assert re.sub(r"\s", "", strip_invisible(t)) == re.sub(r"\s", "", s)
        assert seen <= INVISIBLE | set(NO_BREAK_SPACES), seen


def test_date_forms_and_ward_abbreviations():
    d = date(2023, 11, 5)
    got = {k: date_line(k, d, "Rạch Giá") for k in DATE_FORMS}
    assert got[3] == "Ngày báo cáo: 05/11/2023"
    assert got[4] == "Cập nhật đến ngày 5-11-2023"
    assert got[5] == "Rạch Giá, ngày 05 tháng 11 năm 2023"
    assert got[6] == "Ngày 5/11/2023"
    assert got[7] == "Tính đến 17 giờ ngày 05.11.2023"
    assert got[8] == "(đến ngày 5/11)"
    assert got[9] == "05/11/23"
    forms = {ward_abbrev("Phường", "An Hòa", k) for k in range(6)}
    assert {"P. An Hòa", "P.An Hòa", "Ph. An Hòa", "P. An Hoa"} <= forms
    assert "X. Phi Thông" in {ward_abbrev("Xã", "Phi Thông", k) for k in range(6)}
    assert "TT. Hòn Đất" in {ward_abbrev("Thị trấn", "Hòn Đất", k) for k in range(6)}
    assert {"P.5", "Phường 05", "F5", "P5"} <= {ward_abbrev("Phường", "5", k) for k in range(6)}


# --------------------------------------------------------------------------------------------
# Each kind in a small messy city
def test_every_kind_appears(city):
    out, meta = city
    for kind, where in meta["kinds"].items():
        assert where, kind
    assert {h["state"] for h in meta["hidden_sheets"]} == {"hidden", "very_hidden"}
    assert {s["rule"] for s in meta["superseded"]} == {"title_date", "modified_time", "file_name"}
    assert {"newer_only", "older_only", "neither"} <= {s["dated"] for s in meta["superseded"]}
    assert {k["encoding"] for k in meta["kinds"]["legacy_font"]} == {"tcvn3", "vni"}
    assert {k["format"] for k in meta["kinds"]["legacy_font"]} == {"csv", "xlsx"}
    # cadre and staff lists as people keep them (issue 11)
    for kind in ("staff_id_typo", "staff_id_empty", "assignments_id_typo", "assignments_cadre_in_two_files",
                 "assignments_third_group_second_row"):
        assert meta["other_layouts"].get(kind, 0) >= 1, kind


def test_invisible_characters(city):
    out, meta = city
    rows, _ = _truth(out)
    header_hits = 0
    for k in meta["kinds"]["invisible_chars"]:
        p = out / "inbox" / k["source"]
        if p.suffix == ".xlsx":
            raw = _raw(p, k["sheet"])
        else:
            raw = [r.split("\t" if "\t" in r else None) for r in decode_csv(p.read_bytes()).splitlines()]
        cells = [c for r in raw for c in r if isinstance(c, str)]
        hit = [c for c in cells if set(c) & (INVISIBLE | set(NO_BREAK_SPACES))]
        assert hit, k
        hdr, _ = _name_col(_read_sheet(p, k["sheet"], meta, k["source"]))
        header_hits += any(isinstance(c, str) and set(c) & (INVISIBLE | set(NO_BREAK_SPACES))
                           for c in raw[hdr])
        # the rows are in the truth as any other list's (the reader removes the characters)
        assert ((rows["source"] == k["source"]) & (rows["sheet"] == k["sheet"])).any()
    assert header_hits


def test_hidden_older_copies(city):
    out, meta = city
    rows, _ = _truth(out)
    export = _export(out, meta)
    for h in meta["hidden_sheets"]:
        p = out / "inbox" / h["source"]
        wb, _ = _sheet_xml(p, h["sheet"])
        state = {"hidden": "hidden", "very_hidden": "veryHidden"}[h["state"]]
        assert re.search(r'<sheet name="%s" sheetId="\d+" state="%s"' % (re.escape(h["sheet"]), state), wb)
        assert not ((rows["source"] == h["source"]) & (rows["sheet"] == h["sheet"])).any()
        visible = rows[(rows["source"] == h["source"]) & (rows["sheet"] == h["copy_of"])]
        assert len(visible)
        # an older copy of the same people
        old = _read_sheet(p, h["sheet"], meta, h["source"])
        new = _read_sheet(p, h["copy_of"], meta, h["source"])
        hr, nc = _name_col(old)
        old_names = {fold(str(r[nc])) for r in old[hr + 1:] if isinstance(r[0], float) and r[nc]}
        hr2, nc2 = _name_col(new)
        new_names = {fold(str(r[nc2])) for r in new[hr2 + 1:] if isinstance(r[0], float) and r[nc2]}
        assert old_names and old_names <= new_names
        assert set(visible["identity_id"]) - {""} <= set(export.index)


def _merges(xml: str) -> list[tuple[int, int, int, int]]:
    def rc(ref):
        m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        return int(m.group(2)), col - 1
    out = []
    for a, b in re.findall(r'<mergeCell ref="([A-Z]+\d+):([A-Z]+\d+)"/>', xml):
        (r0, c0), (r1, c1) = rc(a), rc(b)
        out.append((r0, c0, r1, c1))
    return out


def test_merged_cells_give_each_row_its_value(city):
    out, meta = city
    rows, _ = _truth(out)
    addressed = 0
    for k in meta["kinds"]["merged_cells"]:
        p = out / "inbox" / k["source"]
        _, xml = _sheet_xml(p, k["sheet"])
        data = _read_sheet(p, k["sheet"], meta, k["source"])
        hdr, _ = _name_col(data)
        heads = [fold(str(c).replace("\n", " ")) for c in data[hdr]]
        gcol = next(i for i, h in enumerate(heads) if h.startswith("to") or "to ndtq" in h)
        acol = next((i for i, h in enumerate(heads) if h.startswith(("dia chi", "noi", "cho o"))), None)
        filled = [list(r) for r in data]
        vertical = [m for m in _merges(xml) if m[1] == m[3] and m[2] > m[0]]
        assert any(c == gcol for _, c, _, _ in vertical)
        for r0, c, r1, _ in vertical:
            for r in range(r0, r1):           # 1-based r0: data index r0 - 1 holds the value
                assert filled[r][c] in ("", None)
                filled[r][c] = filled[r0 - 1][c]
            addressed += c == acol
        mine = rows[(rows["source"] == k["source"]) & (rows["sheet"] == k["sheet"])]
        for r, g in zip(mine["row"].astype(int), mine["group_no"]):
            v = filled[r - 1][gcol]
            assert str(int(float(v))) == g if not isinstance(v, str) else str(int(v)) == g
    assert addressed


def test_legacy_fonts_decode_to_the_exact_names(city):
    out, meta = city
    rows, disc = _truth(out)
    export = _export(out, meta)
    bad = set(zip(disc.loc[disc["code"] == "NAME_MISMATCH", "source"],
                  disc.loc[disc["code"] == "NAME_MISMATCH", "row"]))
    checked = Counter()
    for k in meta["kinds"]["legacy_font"]:
        p = out / "inbox" / k["source"]
        if k["format"] == "csv":
            raw = p.read_bytes()
            assert not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe"))
            assert any(b >= 0xA1 for b in raw)
            text = raw.decode("latin-1")
            assert "ư" not in text and "Đ" not in text         # no Unicode Vietnamese at all
        else:
            cells = [c for r in _raw(p, k["sheet"]) for c in r if isinstance(c, str)]
            assert not any(re.search("[\u0102\u0103\u0110\u0111\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]", c)
                           for c in cells)
        data = _read_sheet(p, k["sheet"], meta, k["source"])     # via intake.legacy.to_unicode
        _, nc = _name_col(data)
        mine = rows[(rows["source"] == k["source"]) & (rows["sheet"] == k["sheet"])
                    & (rows["expected_match"] == "matched")]
        for r, ident in zip(mine["row"], mine["identity_id"]):
            if (k["source"], r) in bad:
                continue
            name = export.at[ident, "HO_TEN"]
            assert data[int(r) - 1][nc] in (name, upper(name)), (k["source"], r, data[int(r) - 1][nc], name)
            checked[k["encoding"], k["format"]] += 1
    assert checked["tcvn3", "csv"] > 20


def test_unicode_text_files(city):
    out, meta = city
    rows, _ = _truth(out)
    for k in meta["kinds"]["unicode_text"]:
        p = out / "inbox" / k["source"]
        assert p.suffix in (".txt", ".csv")
        raw = p.read_bytes()
        assert raw[:2] == b"\xff\xfe" and raw[2:4] != b"\x00\x00"
        text = raw[2:].decode("utf-16-le")
        assert "\t" in text and "\r\n" in text
        assert (rows["source"] == k["source"]).any()
    assert any(k["source"].endswith(".txt") for k in meta["kinds"]["unicode_text"])


def test_formulas_without_cached_values_are_rejected(city):
    out, meta = city
    rows, _ = _truth(out)
    rejected = {r["source"] for r in meta["rejected"]}
    withheld = {w["ward_code"]: w["because"] for w in meta["withheld"] if w["code"] == "NOT_LISTED"}
    for k in meta["kinds"]["formula_no_cache"]:
        p = out / "inbox" / k["source"]
        wb, xml = _sheet_xml(p, k["sheet"])
        assert 'fullCalcOnLoad="1"' in wb
        formulas = re.findall(r'<c r="[A-Z]+\d+"[^>]*><f>TEXT\(([A-Z]+)(\d+),"0{12}"\)</f><v>([^<]*)</v></c>', xml)
        assert len(formulas) > 20
        assert {v for _, _, v in formulas} <= {"0", ""}       # no usable cached value
        data = _raw(p, k["sheet"])
        for col, r, _ in formulas[:5]:                         # the number sits in a far helper cell
            c = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(col))) - 1
            assert isinstance(data[int(r) - 1][c], float) and data[int(r) - 1][c] > 10**9
        assert k["source"] in rejected and not (rows["source"] == k["source"]).any()
        assert k["source"] in withheld[k["source"].split("/")[1]]


def test_stray_far_cell(city):
    out, meta = city
    rows, _ = _truth(out)
    for k in meta["kinds"]["stray_far_cell"]:
        p = out / "inbox" / k["source"]
        _, xml = _sheet_xml(p, k["sheet"])
        assert re.search(r'<c r="%s" t="inlineStr"><is><t[^>]*>.</t></is></c>' % k["cell"], xml)
        assert k["cell"] in ("XFD1048576", "A1048576", "XFD3")
        dim = re.search(r'<dimension ref="A1:([A-Z]+)(\d+)"/>', xml)
        assert (k["cell"].startswith("XFD") and dim.group(1) == "XFD") or dim.group(2) == "1048576"
        # truth unchanged: the rows are read; without the far cell it is an ordinary workbook
        assert (rows["source"] == k["source"]).any()
        CalamineWorkbook.from_filelike(without_far_cells(p, k["sheet"], k["cell"])).get_sheet_by_name(
            k["sheet"]).to_python()


def test_dates_and_resubmission_rules(city):
    out, meta = city
    lay = meta["layouts"]
    for key in ("title_date_report", "title_date_updated", "title_date_long_padded",
                "title_date_no_pad", "title_date_hour", "title_date_no_year",
                "title_date_short_year", "title_date_below"):
        assert lay[key] >= 1, key
    rules = Counter(s["rule"] for s in meta["superseded"])
    assert rules["title_date"] and rules["modified_time"] and rules["file_name"]
    # a date below the table is found only in the signature block
    rows, _ = _truth(out)
    below = 0
    for (src, sheet), part in rows.groupby(["source", "sheet"]):
        data = _read_sheet(out / "inbox" / src, sheet, meta, src)
        last = int(part["row"].astype(int).max())
        tail = stated_dates(data[last:])
        head = stated_dates(data[:int(part["row"].astype(int).min()) - 1])
        if tail:
            assert not head and len(tail) == 1, (src, sheet)
            below += 1
    assert below >= 1


def test_headers_by_meaning(city):
    out, meta = city
    seen_two = False
    options = {fold(v) for vs in MEANING_HOUSEHOLD.values() for v in vs}
    for k in meta["kinds"]["header_by_meaning"]:
        data = _read_sheet(out / "inbox" / k["source"], k["sheet"], meta, k["source"])
        hdr, _ = _name_col(data)
        heads = {fold(str(c).replace("\n", " ")) for c in data[hdr] if c}
        assert heads & options, (k, heads)
        seen_two |= bool(heads & {fold(v) for v in MEANING_HOUSEHOLD["dob_parent"]}) and \
            {"nam", "nu"} <= {fold(str(c)) for c in data[hdr + 1]}
    assert seen_two
    assert meta["layouts"]["assignments_header_by_meaning"] and meta["layouts"]["staff_header_by_meaning"]


def test_abbreviated_ward_names(city):
    out, meta = city
    forms = {fold(ward_abbrev(kind, name, k)) for kind, name in (("Phường", "Vĩnh Thanh Vân"),
                                                                  ("Xã", "Phi Thông"))
             for k in range(6)}
    found = 0
    for k in meta["kinds"]["ward_abbrev"]:
        data = _read_sheet(out / "inbox" / k["source"], k["sheet"], meta, k["source"])
        texts = {fold(re.sub(r"^(UBND|Công an|CÔNG AN) ", "", c)) for r in data for c in r
                 if isinstance(c, str)}
        found += bool(texts & forms)
    assert found == len(meta["kinds"]["ward_abbrev"])


def test_assignment_file_without_group_column(city):
    out, meta = city
    rows, disc = _truth(out)
    withheld = [w for w in meta["withheld"] if w["code"] == "GROUP_UNASSIGNED"]
    assert len(withheld) == 1
    src = withheld[0]["because"][0]
    assert src.startswith("assignments/") and src in {r["source"] for r in meta["rejected"]}
    data = _raw(out / "inbox" / src, CalamineWorkbook.from_path(str(out / "inbox" / src)).sheet_names[0])
    heads = [fold(str(c)) for c in next(r for r in data if "stt" in [fold(str(c)) for c in r])]
    assert not [h for h in heads if h.startswith("to ")]
    ga = disc[disc["code"] == "GROUP_UNASSIGNED"]
    assert withheld[0]["ward_code"] not in set(ga["ward_code"]) and len(ga) >= 3
    # the file's people are in no finding about cadres
    ids = {str(r[2]).replace(" ", "") for r in data if isinstance(r[0], float)}
    cadre = disc[disc["code"].str.startswith("CADRE_")]
    assert ids and not ids & set(cadre["identity_id"])


def test_withheld_not_listed_follows_rejected_household_files(city):
    out, meta = city
    rows, disc = _truth(out)
    wards = set(pd.read_csv(out / "inbox/registry/wards.csv", dtype=str)["MA_DVHC"])
    households = [r["source"] for r in meta["rejected"] if r["source"].startswith("households/")]
    by_folder: dict[str, set] = {}
    for s in households:
        code = s.split("/")[1]
        if code in wards:
            by_folder.setdefault(code, set()).add(s)
    withheld = {w["ward_code"]: set(w["because"]) for w in meta["withheld"] if w["code"] == "NOT_LISTED"}
    assert withheld == by_folder
    assert any(s.startswith("households/khac/") for s in households)   # unknown ward: withholds nothing
    nl = disc[disc["code"] == "NOT_LISTED"]
    assert len(nl) >= 3 and not set(nl["ward_code"]) & set(withheld)


def test_main_assignment_file_rejected_at_city_scale(tmp_path):
    """City and province scale: the ward's own assignment file has no group column, so none of
    its rows are read: no CADRE_* from its cadres, no GROUP_UNASSIGNED for its groups."""
    sc = dataclasses.replace(get_scale("small"), name="city")
    pop = build_population(sc, np.random.default_rng(11))
    units = build_units(pop, sc, np.random.default_rng(12))
    assert units.no_group_column_file == "main" and len(units.no_group_column) == 1
    wi = units.no_group_column[0]
    written, rejected = write_assignments(tmp_path, pop, units, np.random.default_rng(13), False,
                                          "UBND THÀNH PHỐ RẠCH GIÁ", Counter(), datetime(2023, 10, 17, 9))
    assert [r["ward"] for r in rejected] == [wi] and rejected[0]["source"] in written
    listed = np.zeros(0, np.int64)
    f = unit_truth(pop, units, listed, set(), set(), {wi}, {wi})
    code = pop.wards[wi].code
    assert not len(f[(f["ward_code"] == code) & f["code"].isin(
        ["GROUP_UNASSIGNED", "CADRE_OVERLOADED", "CADRE_NOT_ACTIVATED"])])
    full = unit_truth(pop, units, listed, set())
    assert len(full[full["code"] == "CADRE_NOT_ACTIVATED"]) > len(f[f["code"] == "CADRE_NOT_ACTIVATED"]) >= 3

"""Tests of the synthetic-data generator (synth/): determinism, completeness, truth consistency."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import time
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from intake.legacy import to_unicode
from synth import generate
from synth.errors import ALL_CODES, ROW_CODES, _name_error
from synth.kinds import MEANING_HOUSEHOLD, strip_invisible
from synth.layouts import ALIASES, CANON, VARIATIONS
from synth.population import load_provinces
from synth.text import (cp1258_text, encode_cp1258, eth_for_d, fold, old_style_tones,
                        strip_diacritics, upper)
from synth.writers import write_identity

COMPARISON = {"ID_MISMATCH", "NAME_MISMATCH", "DOB_MISMATCH", "GENDER_MISMATCH", "PHONE_MISMATCH",
              "STATUS_OVERSTATED", "STATUS_OUTDATED", "DUPLICATE", "OUT_OF_AREA"}
NAME_HEADERS = {fold(h) for h in [CANON["name"], *ALIASES["name"], *MEANING_HOUSEHOLD["name"]]}
ID_HEADERS = {fold(h) for h in [CANON["id"], *ALIASES["id"], *MEANING_HOUSEHOLD["id"]]}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict, float]:
    out = tmp_path_factory.mktemp("small")
    t = time.perf_counter()
    meta = generate(out, scale="small", seed=1, clean=False)
    return out, meta, time.perf_counter() - t


@pytest.fixture(scope="module")
def small_clean(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("small_clean")
    return out, generate(out, scale="small", seed=1, clean=True)


def _truth(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.read_csv(out / "truth/rows.csv", dtype=str, keep_default_na=False)
    disc = pd.read_csv(out / "truth/discrepancies.csv", dtype=str, keep_default_na=False)
    return rows, disc


def _export(out: Path, meta: dict) -> pd.DataFrame:
    p = out / "inbox" / meta["identity"]["newest"]
    return pd.read_csv(p, dtype=str, keep_default_na=False,
                       compression="gzip" if p.suffix == ".gz" else None)


def _legacy_of(meta: dict) -> dict[tuple[str, str], str]:
    return {(k["source"], k["sheet"]): k["encoding"] for k in meta.get("kinds", {}).get("legacy_font", [])}


def _stray_of(meta: dict) -> dict[tuple[str, str], str]:
    return {(k["source"], k["sheet"]): k["cell"] for k in meta.get("kinds", {}).get("stray_far_cell", [])}


def decode_csv(raw: bytes, legacy: str | None = None) -> str:
    """A people-made CSV's text: UTF-16 with BOM, UTF-8 (BOM or not), a legacy font's bytes
    (converted by the reader's own tables), else Windows-1258."""
    if raw.startswith(b"\xff\xfe"):
        text = raw[2:].decode("utf-16-le")
    elif legacy:
        return raw.decode("latin-1")        # converted cell by cell (intake.legacy.to_unicode)
    elif raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1258")
    return unicodedata.normalize("NFC", text)


def without_far_cells(path: Path, sheet: str, cell: str) -> io.BytesIO:
    """The workbook with its stray far cell removed: python-calamine sizes a sheet by its
    farthest cell and aborts the whole process on XFD1048576, so never open such a file as is."""
    zin = zipfile.ZipFile(path)
    wb = zin.read("xl/workbook.xml").decode("utf-8")
    rels = zin.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = re.search(r'<sheet name="%s" sheetId="\d+"(?: state="\w+")? r:id="(rId\d+)"' % re.escape(sheet), wb).group(1)
    part = "xl/" + re.search(r'Id="%s" Type="[^"]+" Target="([^"]+)"' % rid, rels).group(1)
    xml = zin.read(part).decode("utf-8")
    xml, n = re.subn(r'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % cell, "", xml)
    assert n == 1, (path, cell)
    xml = re.sub(r'<row r="\d+"[^>]*?>(</row>)', "", xml)
    xml = re.sub(r'<row r="(\d+)"[^>]*?/>', "", xml)
    xml = re.sub(r'<dimension ref="[^"]+"/>', '<dimension ref="A1"/>', xml)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, xml.encode("utf-8") if item.filename == part else zin.read(item))
    buf.seek(0)
    return buf


def _read_sheet(path: Path, sheet: str, meta: dict | None = None, src: str = "") -> list[list]:
    """A sheet's cells as a reader sees them once it has undone what people do to files:
    invisible characters removed, legacy-font text converted, stray far cells ignored."""
    meta = meta or {}
    legacy = _legacy_of(meta).get((src, sheet))
    if path.suffix in (".csv", ".txt"):
        text = decode_csv(path.read_bytes(), legacy)
        best = None
        for sep in (",", ";", "\t"):
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
            width = max(len(r) for r in rows)
            score = sum(len(r) == width for r in rows) * width
            if best is None or score > best[0]:
                best = (score, rows)
        rows = best[1]
    else:
        stray = _stray_of(meta).get((src, sheet))
        wb = CalamineWorkbook.from_filelike(without_far_cells(path, sheet, stray)) if stray \
            else CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return [[_clean(c, legacy) for c in r] for r in rows]


def _clean(c, legacy: str | None):
    if not isinstance(c, str):
        return c
    if legacy:
        c = to_unicode(c, legacy)
    return unicodedata.normalize("NFC", strip_invisible(c))


def _norm_header(v) -> str:
    return fold(str(v).replace("\n", " "))


def _repair_id(v) -> str:
    if isinstance(v, float):
        return f"{int(v):012d}"
    s = str(v).replace(" ", "").replace(".", "")
    return s.zfill(12) if s.isdigit() and len(s) in (10, 11) else s


# --------------------------------------------------------------------------------------------
def test_small_is_fast_and_complete(small):
    out, meta, seconds = small
    assert seconds < 3.0, f"small scale took {seconds:.2f} s"
    for code in ALL_CODES:
        assert meta["counts"]["findings"][code] >= 3, code
    missing = [v for v in VARIATIONS if meta["layouts"].get(v, 0) < 1]
    assert not missing, f"layout variations never used: {missing}"
    for key in ("assignments_two_columns", "assignments_single_cell",
                "assignments_third_group_second_row", "staff_unit_canonical", "staff_unit_title",
                "staff_unit_filename", "staff_unit_column"):
        assert meta["other_layouts"].get(key, 0) >= 1, key
    assert meta["superseded"] and meta["rejected"]


def test_deterministic(small, tmp_path):
    out, _, _ = small
    again = tmp_path / "again"
    generate(again, scale="small", seed=1, clean=False)

    def digest(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}
    a, b = digest(out), digest(again)
    assert a == b
    mt = {str(p.relative_to(out)): p.stat().st_mtime for p in (out / "inbox").rglob("*") if p.is_file()}
    mt2 = {str(p.relative_to(again)): p.stat().st_mtime for p in (again / "inbox").rglob("*")
           if p.is_file()}
    assert mt == mt2
    other = tmp_path / "other"
    generate(other, scale="small", seed=2, clean=False)
    assert digest(other)["truth/rows.csv"] != a["truth/rows.csv"]


def test_gzip_export_is_deterministic(tmp_path):
    df = pd.DataFrame({"SO_DINH_DANH": ["091085000001"], "HO_TEN": ["Nguyễn Văn Hùng"]})
    when = datetime(2023, 10, 25, 5)
    write_identity(tmp_path / "a.csv.gz", [df], True, when)
    write_identity(tmp_path / "b.csv.gz", [df], True, when)
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.csv.gz").read_bytes()).decode().startswith("SO_DINH_DANH")


def test_clean_rows_match_canonical_files(small_clean):
    out, meta = small_clean
    rows, disc = _truth(out)
    assert meta["rejected"] == [] and meta["superseded"] == []
    assert len(rows) == meta["counts"]["rows"]
    counted = 0
    canon = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Số điện thoại",
             "Quan hệ với chủ hộ", "Địa chỉ", "Kết quả", "Mức tài khoản", "Trường hợp", "Ghi chú"]
    files = sorted((out / "inbox/households").rglob("*.*"))
    assert all(p.suffix == ".xlsx" and p.name.startswith("to_") for p in files)
    for p in files:
        wb = CalamineWorkbook.from_path(str(p))
        assert len(wb.sheet_names) == 1
        sheet = wb.sheet_names[0]
        data = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        assert data[0][0] == "UBND THÀNH PHỐ RẠCH GIÁ"
        assert data[4][0].startswith("Ngày ")
        assert list(data[6]) == canon
        person_rows = [i + 1 for i, r in enumerate(data) if i >= 7 and isinstance(r[0], float)]
        src = str(p.relative_to(out / "inbox")).replace("\\", "/")
        mine = rows[(rows["source"] == src) & (rows["sheet"] == sheet)]
        assert sorted(mine["row"].astype(int)) == person_rows
        assert person_rows[0] == 8
        counted += len(person_rows)
    assert counted == len(rows)


def _check_rows_point_at_people(out: Path, meta: dict) -> None:
    rows, disc = _truth(out)
    export = _export(out, meta).set_index("SO_DINH_DANH")
    codes = disc[disc["row"] != ""].groupby(["source", "sheet", "row"])["code"].apply(set)
    for (src, sheet), part in rows.groupby(["source", "sheet"], sort=True):
        data = _read_sheet(out / "inbox" / src, sheet, meta, src)
        rnums = part["row"].astype(int).to_numpy()
        stt = [r for r in data if r and str(r[0]).replace(".0", "").isdigit()]
        assert len(stt) == len(part), (src, sheet)
        # header: the last row above the first person row holding a "name" header
        hdr_row = next(i for i in range(rnums.min() - 2, -1, -1)
                       if any(_norm_header(c) in NAME_HEADERS for c in data[i]))
        hdr = [_norm_header(c) for c in data[hdr_row]]
        name_col = next(i for i, h in enumerate(hdr) if h in NAME_HEADERS)
        id_col = next((i for i, h in enumerate(hdr) if h in ID_HEADERS), None)
        for k, (r, ident, exp) in enumerate(zip(rnums, part["identity_id"], part["expected_match"])):
            cells = data[r - 1]
            assert int(float(cells[0])) == k + 1, (src, sheet, r)
            found = codes.get((src, sheet, str(r)), set())
            if exp != "matched":
                continue
            if "NAME_MISMATCH" not in found:
                assert fold(str(cells[name_col])) == fold(export.at[ident, "HO_TEN"]), (src, r)
            else:
                assert fold(str(cells[name_col])) != fold(export.at[ident, "HO_TEN"]), (src, r)
            if id_col is not None and not found & {"ID_MISSING", "ID_MALFORMED", "ID_MISMATCH"}:
                assert _repair_id(cells[id_col]) == ident, (src, r, cells[id_col])


def test_rows_point_at_person_rows_clean(small_clean):
    _check_rows_point_at_people(*small_clean)


def test_rows_point_at_person_rows_all_layouts(small):
    out, meta, _ = small
    _check_rows_point_at_people(out, meta)
    rows, _ = _truth(out)
    sources = set(rows["source"])
    for r in meta["rejected"]:
        assert r["source"] not in sources and (out / "inbox" / r["source"]).exists()
    pairs = set(zip(rows["source"], rows["sheet"]))
    for s in meta["superseded"]:
        assert (s["source"], s["sheet"]) not in pairs
        assert s["replaced_by"] in sources and (s["replaced_by"], s["replaced_by_sheet"]) in pairs
        _check_resubmission_rule(out, meta, s)


_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?(?!\d)")
_LONG_DATE = re.compile(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})")


def stated_dates(data: list[list]) -> set[tuple[int, int]]:
    """(day, month) of every date written outside the table: title block and signature block
    (rows with no row number in the first column), the dispatch's date left out."""
    found = set()
    for r in data:
        if not r or isinstance(r[0], (int, float)) or str(r[0]).strip().isdigit():
            continue
        for c in r:
            if not isinstance(c, str) or "Công văn" in c:
                continue
            for m in list(_DATE.finditer(c)) + list(_LONG_DATE.finditer(c)):
                found.add((int(m.group(1)), int(m.group(2))))
    return found


def _check_resubmission_rule(out: Path, meta: dict, s: dict) -> None:
    """The pair is decided by the rule meta names, as CONTRACT §1.2 orders them."""
    old, new = out / "inbox" / s["source"], out / "inbox" / s["replaced_by"]
    t_old, t_new = old.stat().st_mtime, new.stat().st_mtime
    d_old, d_new = s["dates"]
    by_dates = bool(d_old and d_new and d_old != d_new)
    if s["rule"] == "title_date":
        assert by_dates and d_new > d_old, s
        assert (t_old > t_new) == s["older_saved_later"], s
    elif s["rule"] == "modified_time":
        assert not by_dates and t_old < t_new, s
    else:
        assert s["rule"] == "file_name" and not by_dates and t_old == t_new, s
        assert (s["replaced_by"], s["replaced_by_sheet"]) > (s["source"], s["sheet"]), s
    for src, sheet, d in ((s["source"], s["sheet"], d_old),
                          (s["replaced_by"], s["replaced_by_sheet"], d_new)):
        found = stated_dates(_read_sheet(out / "inbox" / src, sheet, meta, src))
        want = {(int(d[8:]), int(d[5:7]))} if d else set()
        assert found == want, (src, sheet, found, want)


def test_findings_consistent(small):
    out, meta, _ = small
    rows, disc = _truth(out)
    export = _export(out, meta)
    assert set(disc["code"]) <= set(ALL_CODES)
    assert meta["counts"]["findings"] == {c: int((disc["code"] == c).sum()) for c in ALL_CODES}
    row_f = disc[disc["code"].isin(ROW_CODES)]
    unit_f = disc[~disc["code"].isin(ROW_CODES)]
    assert (unit_f[["source", "sheet", "row"]] == "").all().all()
    assert (row_f["row"] != "").all()
    key = rows.set_index(["source", "sheet", "row"])
    per_row = row_f.groupby(["source", "sheet", "row"])["code"].apply(list)
    for k, lst in per_row.items():
        assert k in key.index
        exp = key.at[k, "expected_match"]
        assert len(lst) == len(set(lst))
        if "INVALID" in lst:
            assert lst == ["INVALID"] and exp == "invalid"
        if "NOT_FOUND" in lst:
            assert exp == "unmatched"
        if set(lst) & COMPARISON:
            assert exp == "matched"
        assert not ({"ID_MISSING", "ID_MALFORMED"} <= set(lst))
    inv = rows[rows["expected_match"] == "invalid"]
    assert (inv["identity_id"] == "").all()
    assert len(inv) == (row_f["code"] == "INVALID").sum()
    assert (rows["expected_match"] == "unmatched").sum() == (row_f["code"] == "NOT_FOUND").sum()
    ids = set(export["SO_DINH_DANH"])
    matched = rows[rows["expected_match"] == "matched"]
    assert set(matched["identity_id"]) <= ids
    assert not (set(rows.loc[rows["expected_match"] == "unmatched", "identity_id"]) - {""})
    # duplicates: exactly the identities on more than one matched row
    multi = matched["identity_id"].value_counts()
    dup = row_f[row_f["code"] == "DUPLICATE"]
    assert set(dup["identity_id"]) == set(multi[multi > 1].index)
    assert len(dup) == multi[multi > 1].sum()
    # out of area: the record's ward differs from the listing ward
    home = export.set_index("SO_DINH_DANH")["MA_DVHC"]
    ooa = row_f[row_f["code"] == "OUT_OF_AREA"]
    assert (home.loc[ooa["identity_id"]].to_numpy() != ooa["ward_code"].to_numpy()).all()
    ok = matched[~matched.set_index(["source", "sheet", "row"]).index.isin(
        ooa.set_index(["source", "sheet", "row"]).index)]
    assert (home.loc[ok["identity_id"]].to_numpy() == ok["ward_code"].to_numpy()).all()
    # not listed: eligible residents of submitting wards on no matched row
    nl = unit_f[unit_f["code"] == "NOT_LISTED"]
    assert not set(nl["identity_id"]) & set(matched["identity_id"])
    e = export.set_index("SO_DINH_DANH")
    born = e.loc[nl["identity_id"], "NGAY_SINH"].str.replace("-00-00", "-01-01")
    assert (born <= "2009-10-25").all()
    assert (e.loc[nl["identity_id"], "MA_DVHC"].to_numpy() == nl["ward_code"].to_numpy()).all()
    wards = set(pd.read_csv(out / "inbox/registry/wards.csv", dtype=str)["MA_DVHC"])
    withheld = {w["ward_code"] for w in meta["withheld"] if w["code"] == "NOT_LISTED"}
    assert withheld and withheld < wards       # some, never all: NOT_LISTED stays asserted
    assert not set(nl["ward_code"]) & withheld
    elig = e[(e["NGAY_SINH"].str.replace("-00-00", "-01-01") <= "2009-10-25")
             & e["MA_DVHC"].isin(wards - withheld)]
    assert set(elig.index) == set(nl["identity_id"]) | (set(elig.index) & set(matched["identity_id"]))
    # cadres and staff
    for code in ("CADRE_NOT_ACTIVATED", "STAFF_NOT_ACTIVATED"):
        part = unit_f[unit_f["code"] == code]
        assert (e.loc[part["identity_id"], "TRANG_THAI"] != "DA_KICH_HOAT").all()
    staff = unit_f[unit_f["code"] == "STAFF_NOT_ACTIVATED"]
    assert (staff["ward_code"] == "").all() and (staff["detail"].str.match(r"DV\d{4} ")).all()
    ga = unit_f[unit_f["code"] == "GROUP_UNASSIGNED"]
    assert (ga["identity_id"] == "").all() and (ga["group_no"] != "").all()
    no_group = {w["ward_code"] for w in meta["withheld"] if w["code"] == "GROUP_UNASSIGNED"}
    assert len(no_group) == 1 and not set(ga["ward_code"]) & no_group


def test_export_ids_follow_the_rules(small):
    out, meta, _ = small
    e = _export(out, meta)
    prov = set(load_provinces())
    ids = e["SO_DINH_DANH"]
    assert ids.is_unique and ids.str.fullmatch(r"\d{12}").all()
    assert ids.str[:3].isin(prov).all()
    g = ids.str[3].astype(int)
    year = e["NGAY_SINH"].str[:4].astype(int)
    assert ((g % 2 == 1) == (e["GIOI_TINH"] == "Nữ")).all()
    assert (1900 + (g // 2) * 100 + ids.str[4:6].astype(int) == year).all()
    assert (ids.str[:3] == "091").mean() > 0.75
    assert e["NGAY_SINH"].str.endswith("-00-00").any()
    phones = e.loc[e["SO_DIEN_THOAI"] != "", "SO_DIEN_THOAI"]
    assert phones.str.fullmatch(r"0[35789]\d{8}").all()
    assert (e["NGAY_XUAT"] == "2023-10-25").all()
    assert {"CHUA_DANG_KY", "CHO_DUYET", "DA_DUYET", "DA_KICH_HOAT"} == set(e["TRANG_THAI"])
    act = e[e["TRANG_THAI"] == "DA_KICH_HOAT"]
    assert (act["NGAY_KICH_HOAT"] != "").all() and act["MUC_TAI_KHOAN"].isin(["1", "2"]).all()
    names = set(e["HO_TEN"])
    assert any(n.startswith("Thị ") for n in names)          # Khmer women without surname
    assert all(unicodedata.normalize("NFC", n) == n for n in names)


def test_surface_variants_keep_the_fold():
    names = ["Nguyễn Thị Thủy", "Trần Văn Hòa", "Đặng Quốc Khoa", "Thị Sa Rết", "Huỳnh Thúy Hạnh",
             "Đỗ Ngọc Quý", "Lê Thị Hoè"]
    for n in names:
        f = fold(n)
        for v in (upper(n), strip_diacritics(n), unicodedata.normalize("NFD", n),
                  old_style_tones(n), eth_for_d(n), "  " + n.replace(" ", "  ") + " ",
                  unicodedata.normalize("NFC", encode_cp1258(n).decode("cp1258")),
                  cp1258_text(n)):
            assert fold(v) == f, (n, v)
    assert old_style_tones("Hòa Thủy") == "Hoà Thuỷ"


def test_name_errors_change_the_fold():
    rng = np.random.default_rng(5)
    for n in ["Nguyễn Văn Hùng", "Thị Sa Vân", "Lê Lan", "Trần Thị Ngọc Hương", "Danh Út"] * 40:
        for fem in (False, True):
            bad = _name_error(n, fem, n.startswith(("Thị", "Danh")), rng.random(12))
            assert bad and fold(bad) != fold(n), (n, bad)


def test_meta_and_registry(small):
    out, meta, _ = small
    m = json.loads((out / "truth/meta.json").read_text(encoding="utf-8"))
    assert m == meta
    assert m["as_of"] == m["export_date"] == "2023-10-25"
    wards = pd.read_csv(out / "inbox/registry/wards.csv", dtype=str)
    assert list(wards.columns) == ["MA_DVHC", "TEN", "CHI_TIEU"]
    assert set(wards["TEN"]) == {"Phường Vĩnh Thanh Vân", "Xã Phi Thông"}
    groups = pd.read_csv(out / "inbox/registry/groups.csv", dtype=str)
    assert list(groups.columns) == ["MA_DVHC", "TO_SO", "KHU_PHO", "SO_HO"]
    so_ho = groups["SO_HO"].astype(int)
    assert so_ho.between(25, 70).all()
    ag = pd.read_csv(out / "inbox/registry/agencies.csv", dtype=str)
    assert list(ag.columns) == ["MA_DON_VI", "TEN_DON_VI", "LOAI"]
    ident = sorted((out / "inbox/identity").iterdir())
    assert len(ident) == 2
    old = pd.read_csv(ident[0], dtype=str, keep_default_na=False)
    assert (old["NGAY_XUAT"] == "2023-10-18").all()

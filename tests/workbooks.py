"""Write real workbooks and CSV files for tests, cell by cell as a person would lay them out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

CANONICAL_HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Số điện thoại",
                    "Quan hệ với chủ hộ", "Địa chỉ", "Kết quả", "Mức tài khoản", "Trường hợp", "Ghi chú"]

WARDS_CSV = "MA_DVHC,TEN,CHI_TIEU\n30733,Phường Vĩnh Thanh Vân,10\n30736,Phường Vĩnh Thanh,5\n30766,Xã Phi Thông,5\n"


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """sheets: name → rows (None/'' = empty cell; dates written as real Excel dates)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, v)
    wb.close()
    return path


def title_block(ward_line: str, group_line: str, date_line: str = "Ngày 20/10/2023") -> list[list]:
    return [["UBND THÀNH PHỐ RẠCH GIÁ"], [ward_line],
            ["DANH SÁCH CÔNG DÂN ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ"], [group_line], [date_line], []]


def person(stt, name, dob, sex, national_id, phone="", relation="Chủ hộ", result="Đã kích hoạt") -> list:
    return [stt, name, dob, sex, national_id, phone, relation, "1 Lê Lợi", result, "", "", ""]


def minimal_inbox(root: Path, export_rows: list[str] | None = None) -> Path:
    """registry + a tiny identity export; people-made files are added by each test."""
    (root / "registry").mkdir(parents=True, exist_ok=True)
    (root / "registry" / "wards.csv").write_text(WARDS_CSV, encoding="utf-8")
    (root / "registry" / "groups.csv").write_text(
        "MA_DVHC,TO_SO,KHU_PHO,SO_HO\n30733,1,Khu phố 1,30\n30733,2,Khu phố 1,30\n", encoding="utf-8")
    (root / "identity").mkdir(exist_ok=True)
    header = ("SO_DINH_DANH,HO_TEN,NGAY_SINH,GIOI_TINH,MA_HO,QUAN_HE_CHU_HO,MA_DVHC,DIA_CHI,SO_DIEN_THOAI,"
              "MUC_TAI_KHOAN,TRANG_THAI,NGAY_KICH_HOAT,NGAY_XUAT")
    rows = export_rows or [
        "091085001234,Nguyễn Văn Hùng,1985-03-07,Nam,H1,Chủ hộ,30733,1 Lê Lợi,0912345678,2,DA_KICH_HOAT,2023-09-01,2023-10-25",
        "091187002345,Trần Thị Hòa,1987-05-01,Nữ,H1,Vợ,30733,1 Lê Lợi,0987654321,0,CHUA_DANG_KY,,2023-10-25",
    ]
    (root / "identity" / "export.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return root


def raw_xlsx(path: Path, rows: list[list], *, prefix: str = "", quote: str = '"', refs: bool = True,
             strict: bool = False, formulas: dict[tuple[int, int], str] | None = None,
             extra_rows: str = "") -> Path:
    """A package written by hand as other programs write them: a namespace prefix (the .NET
    OpenXML SDK writes <x:c>), Strict OOXML namespaces, single quotes, cells without references.
    Text is inline; ``formulas`` (row0, col0) → formula with no cached value; ``extra_rows`` is
    raw XML appended to sheetData (stray far cells)."""
    import zipfile
    from xml.sax.saxutils import escape

    main = "http://purl.oclc.org/ooxml/spreadsheetml/main" if strict else \
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://purl.oclc.org/ooxml/officeDocument/relationships" if strict else \
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns{":" + prefix if prefix else ""}={quote}{main}{quote}'
    q = quote
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            ref = f" r={q}{chr(65 + c)}{r + 1}{q}" if refs else ""
            f = (formulas or {}).get((r, c))
            if f is not None:
                cells.append(f"<{p}c{ref}><{p}f>{escape(f)}</{p}f><{p}v/></{p}c>")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f"<{p}c{ref}><{p}v>{v}</{p}v></{p}c>")
            elif v not in ("", None):
                cells.append(f"<{p}c{ref} t={q}inlineStr{q}><{p}is><{p}t>{escape(str(v))}</{p}t></{p}is></{p}c>")
            elif not refs:
                cells.append(f"<{p}c/>")
        rr = f" r={q}{r + 1}{q}" if refs else ""
        out.append(f"<{p}row{rr}>{''.join(cells)}</{p}row>")
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {ns}><{p}sheetData>'
             + "".join(out) + extra_rows.replace("<c ", f"<{p}c ").replace("</c>", f"</{p}c>")
             .replace("<row ", f"<{p}row ").replace("</row>", f"</{p}row>")
             .replace("<is>", f"<{p}is>").replace("</is>", f"</{p}is>").replace("<t>", f"<{p}t>")
             .replace("</t>", f"</{p}t>") + f"</{p}sheetData></{p}worksheet>")
    book = (f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {ns} xmlns:r="{rel}"><{p}sheets>'
            f'<{p}sheet name="Tổ 1" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>')
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
             'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
             '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    doc = ("http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument" if strict else
           "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument")
    wsrel = ("http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet" if strict else
             "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet")
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{doc}" '
                                  'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", book)
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                                                 f'Type="{wsrel}" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path

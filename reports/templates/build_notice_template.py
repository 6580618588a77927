"""Build ``thong_bao_ket_qua.docx``, the editable Word template of the result notice (docxtpl).

The police edit the .docx in Word (wording, signer, recipients); this script only made its first
version and stays to rebuild it: `python reports/templates/build_notice_template.py`. Layout after
Decree 30/2020/NĐ-CP (administrative documents): issuing body and national motto side by side,
number and place-date line, title, body, recipients and signature block; an annex follows.

Placeholders (Jinja, docxtpl): issuer, issuer_parent, issuer_short, number, place, day, month, year, deadline,
unit_name, dispatch, as_of, export_date, figures (list of {label, value}), lines (list of str),
request, annex_title, annex_headers (list of str, 6), annex (list of {cells: list of 6 str}), annex_note,
recipients (list of str), signer_title, signer_name.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
OUT = HERE / "thong_bao_ket_qua.docx"


def _para(doc_or_cell, text: str = "", bold=False, italic=False, size=13, align=None, space_after=3):
    p = doc_or_cell.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    return p


def _widths(tbl, cm: list[float]) -> None:
    tbl.autofit = False
    for col, w in zip(tbl.columns, cm):   # the grid (what LibreOffice follows) and each cell (Word)
        col.width = Cm(w)
    for row in tbl.rows:
        for cell, w in zip(row.cells, cm):
            cell.width = Cm(w)


def build(path: Path = OUT) -> Path:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(2), Cm(2), Cm(3), Cm(2)
    sec.orientation = WD_ORIENT.PORTRAIT

    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    left.paragraphs[0].text = ""
    _para(left, "{{ issuer_parent }}", size=12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(left, "{{ issuer }}", bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    _para(left, "Số: {{ number }}", size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
          space_after=0)
    _para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    _para(right, "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}", italic=True, size=13,
          align=WD_ALIGN_PARAGRAPH.CENTER)

    _para(doc, "")
    _para(doc, "THÔNG BÁO", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, "Kết quả đối chiếu đăng ký, kích hoạt tài khoản định danh điện tử", bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, "của {{ unit_name }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    body = _para(doc, "Thực hiện {{ dispatch }}, {{ issuer_short }} đã đối chiếu danh sách do đơn vị gửi với dữ "
                      "liệu định danh điện tử (dữ liệu ngày {{ export_date }}). Kết quả tính đến ngày {{ as_of }} "
                      "như sau:", align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=6)
    body.paragraph_format.first_line_indent = Cm(1)

    fig = doc.add_table(rows=2, cols=2)
    fig.style = "Table Grid"
    fig.rows[0].cells[0].text = "{%tr for f in figures %}"
    fig.rows[1].cells[0].text = "{{ f.label }}"
    fig.rows[1].cells[1].text = "{{ f.value }}"
    fig.add_row().cells[0].text = "{%tr endfor %}"
    _widths(fig, [11.0, 5.0])

    _para(doc, "")
    p = _para(doc, "{%p for line in lines %}", space_after=0)
    p = _para(doc, "- {{ line }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=3)
    p.paragraph_format.first_line_indent = Cm(1)
    _para(doc, "{%p endfor %}", space_after=0)
    closing = _para(doc, "Đề nghị {{ unit_name }} {{ request }} và báo cáo kết quả về {{ issuer_short }} "
                         "trước ngày {{ deadline }}.", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    closing.paragraph_format.first_line_indent = Cm(1)

    sign = doc.add_table(rows=1, cols=2)
    rec_cell, sig_cell = sign.rows[0].cells
    rec_cell.paragraphs[0].text = ""
    _para(rec_cell, "Nơi nhận:", bold=True, italic=True, size=12, space_after=0)
    _para(rec_cell, "{%p for r in recipients %}", size=11, space_after=0)
    _para(rec_cell, "- {{ r }};", size=11, space_after=0)
    _para(rec_cell, "{%p endfor %}", size=11, space_after=0)
    _para(sig_cell, "{{ signer_title }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=60)
    _para(sig_cell, "{{ signer_name }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    doc.add_page_break()
    _para(doc, "PHỤ LỤC", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, "{{ annex_title }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, "(Kèm theo Thông báo số {{ number }} ngày {{ day }}/{{ month }}/{{ year }})", italic=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    annex = doc.add_table(rows=1, cols=6)
    annex.style = "Table Grid"
    for i in range(6):
        annex.rows[0].cells[i].text = "{{ annex_headers[%d] }}" % i
        for run in annex.rows[0].cells[i].paragraphs[0].runs:
            run.bold, run.font.size = True, Pt(11)
    annex.add_row().cells[0].text = "{%tr for a in annex %}"
    row = annex.add_row()
    for i in range(6):
        row.cells[i].text = "{{ a.cells[%d] }}" % i
        for run in row.cells[i].paragraphs[0].runs:
            run.font.size = Pt(11)
    annex.add_row().cells[0].text = "{%tr endfor %}"
    _widths(annex, [1.1, 4.0, 2.3, 2.9, 3.4, 2.3])
    _para(doc, "{{ annex_note }}", italic=True, size=11)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build())

"""Look inside an Excel package (.xlsx/.xlsm) before any reader allocates one of its sheets.

Two properties of people's files are invisible to a cell reader and have to be found in the
sheet XML itself:

* **Stray far cells.** calamine builds each sheet as one dense rectangle from A1 to the farthest
  cell that holds a value, so one character typed in XFD1048576 asks for 17 billion cells and
  aborts the process (SIGABRT: no exception to catch). Cells beyond ``Limits`` are cut out of a
  copy of the package before calamine sees it, and named in the ledger.
* **Formulas without a trusted result.** A workbook written by a program (openpyxl, pandas,
  xlsxwriter) and never opened in Excel holds formulas whose results were never computed: the
  cached value is missing, empty, or a placeholder that the writer asked Excel to recompute
  (``fullCalcOnLoad``). Read as values they are empty IDs; the table reader rejects a list whose
  person-rows depend on them.

No maintained library reads a bounded window of a sheet or reports uncomputed formulas without
materialising the sheet (calamine allocates the dense range; openpyxl's read-only mode pads rows
to the used range), so this module scans the XML bytes with a few regular expressions whose
literal prefix (`r="`, `<f`) keeps them at memchr speed on ordinary sheets.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class Limits:
    """Bounds on what one sheet may ask of the reader (settings, not properties of a list).

    256 columns is the old Excel limit (IV) and ten times the widest list template; 200,000 rows
    is ten times the largest ward-wide sheet seen. ``max_cells`` bounds the dense rectangle the
    cell reader allocates (about 32 bytes a cell in calamine, more once in Python)."""

    max_rows: int = 200_000
    max_cols: int = 256
    max_cells: int = 6_000_000
    max_sheet_bytes: int = 256 << 20       # uncompressed XML of one sheet
    max_package_bytes: int = 512 << 20     # uncompressed total of the package


LIMITS = Limits()


class PackageError(Exception):
    """The package cannot be read safely; the message is Vietnamese, for the ward."""


@dataclass
class SheetScan:
    name: str
    member: str                                   # zip member of the sheet XML
    stray: list[str] = field(default_factory=list)  # refs of value cells beyond the limits
    untrusted: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) → ref
    too_large: str = ""                           # why the sheet cannot be read at all


@dataclass
class PackageScan:
    sheets: dict[str, SheetScan]
    full_calc_on_load: bool
    data: bytes                                   # the package to read (a bounded copy if cut)
    invisible: bool = True                        # some text may hold invisible characters


_FAR_REF = re.compile(rb'r="((?:[A-Z]{2,3}[0-9]+)|(?:[A-Z]{1,3}[0-9]{6,}))"')
_LAST_ROW = re.compile(rb'<row\b[^>]*?\br="([0-9]+)"')
_FORMULA = re.compile(rb"<f[\s>/]")
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
# The characters ``sheets.clean_invisible`` removes or makes spaces: where none occurs in the
# package's text (shared strings, inline strings) nor a character reference (&#8203;), no cell
# needs cleaning.
_INVISIBLE_TEXT = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\u061c\u202a-\u202f\u2066-\u2069"
                             "\u00a0\u1680\u2000-\u200a\u205f\u3000]")


def _has_invisible(xml: bytes) -> bool:
    # A character class over the decoded text is twice as fast as a byte-level alternation.
    return b"&#" in xml or bool(_INVISIBLE_TEXT.search(xml.decode("utf-8", "replace")))


def column_number(letters: str) -> int:
    """'A' → 1, 'Z' → 26, 'AA' → 27, 'XFD' → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _split_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.fullmatch(ref)
    return (int(m.group(2)), column_number(m.group(1))) if m else None


def _cell_at(xml: bytes, attr_pos: int) -> tuple[int, int, bytes] | None:
    """The <c> element whose attribute starts at ``attr_pos``: (start, end, opening tag)."""
    start = xml.rfind(b"<", 0, attr_pos)
    if start < 0 or xml[start + 1:start + 2] != b"c" or xml[start + 2:start + 3] not in b" \t\r\n":
        return None
    close = xml.find(b">", attr_pos)
    if close < 0:
        return None
    tag = xml[start:close + 1]
    if tag.endswith(b"/>"):
        return start, close + 1, tag
    end = xml.find(b"</c>", close)
    return (start, end + 4, tag) if end >= 0 else None


def _has_value(element: bytes) -> bool:
    return bool(re.search(rb"<v>[^<]+</v>|<is>", element))


def _height(xml: bytes, max_rows: int) -> int:
    """The last row number within the limit (rows come in ascending order in a sheet's XML)."""
    pos = len(xml)
    while (i := xml.rfind(b"<row ", 0, pos)) >= 0:
        m = _LAST_ROW.match(xml, i)
        if m and int(m.group(1)) <= max_rows:
            return int(m.group(1))
        pos = i
    return 0


def _scan_sheet(name: str, member: str, xml: bytes, full_calc: bool, limits: Limits) -> tuple[SheetScan, bytes]:
    scan = SheetScan(name, member)
    cuts: list[tuple[int, int]] = []
    widest = 26
    for m in _FAR_REF.finditer(xml):
        pos = _split_ref(m.group(1).decode())
        if pos is None:
            continue
        row, col = pos
        if row <= limits.max_rows and col <= limits.max_cols:
            widest = max(widest, col)
            continue
        cell = _cell_at(xml, m.start())
        if cell is None:
            continue  # a <row r="..."> or another element: allocates nothing
        start, end, _ = cell
        if _has_value(xml[start:end]):
            scan.stray.append(m.group(1).decode())
        cuts.append((start, end))
    if cuts:
        parts, last = [], 0
        for start, end in cuts:
            parts.append(xml[last:start])
            last = end
        parts.append(xml[last:])
        xml = b"".join(parts)
    height = _height(xml, limits.max_rows)
    if height * widest > limits.max_cells:
        scan.too_large = (f"Trang tính '{name}' có vùng dữ liệu quá lớn ({height:,} dòng × {widest} cột): "
                          "hãy xoá các dòng, cột thừa ngoài danh sách rồi gửi lại.").replace(",", ".")
    if _FORMULA.search(xml):
        for m in _FORMULA.finditer(xml):
            start = xml.rfind(b"<c", 0, m.start())
            if start < 0:
                continue
            end = xml.find(b"</c>", m.start())
            element = xml[start:end if end >= 0 else len(xml)]
            attrs = dict(_ATTR.findall(element[:element.find(b">") + 1]))
            ref = attrs.get(b"r", b"").decode()
            pos = _split_ref(ref)
            if pos is None:
                continue
            cached = _VALUE.search(element)
            computed_empty = attrs.get(b"t") == b"str" and cached is not None
            if full_calc or not (cached and cached.group(1)) and not computed_empty:
                scan.untrusted[(pos[0] - 1, pos[1] - 1)] = ref
    return scan, xml


def _sheet_members(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) in workbook order."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return []
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    out = []
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        if not target:
            continue
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out.append((sheet.get("name", ""), member))
    return out


def scan_package(data: bytes, limits: Limits = LIMITS) -> PackageScan:
    """Scan an .xlsx/.xlsm package held in memory. Raises PackageError (Vietnamese) when the
    package is bigger than ``limits`` allow once uncompressed; zipfile errors pass through for
    the caller's "cannot open" message."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = {i.filename: i for i in zf.infolist()}
    if sum(i.file_size for i in infos.values()) > limits.max_package_bytes:
        raise PackageError("Tệp Excel quá lớn khi giải nén (có thể là tệp hỏng hoặc tệp độc hại): "
                           "hãy lưu lại danh sách thành tệp mới rồi gửi lại.")
    try:
        book = zf.read("xl/workbook.xml")
    except KeyError:
        book = b""
    full_calc = bool(re.search(rb'fullCalcOnLoad="(?:1|true)"', book))
    sheets: dict[str, SheetScan] = {}
    changed: dict[str, bytes] = {}
    strings = infos.get("xl/sharedStrings.xml")
    invisible = bool(strings and strings.file_size <= limits.max_sheet_bytes
                     and _has_invisible(zf.read(strings.filename)))
    for name, member in _sheet_members(zf):
        info = infos.get(member)
        if info is None:
            continue
        if info.file_size > limits.max_sheet_bytes:
            sheets[name] = SheetScan(name, member, too_large=(
                f"Trang tính '{name}' quá lớn ({info.file_size >> 20} MB khi giải nén): hãy tách danh sách "
                "thành nhiều tệp nhỏ hơn rồi gửi lại."))
            continue
        xml = zf.read(member)
        invisible = invisible or (b"inlineStr" in xml and _has_invisible(xml))
        scan, bounded = _scan_sheet(name, member, xml, full_calc, limits)
        sheets[name] = scan
        if bounded is not xml:
            changed[member] = bounded
    if changed:
        data = _rewrite(zf, changed)
    return PackageScan(sheets=sheets, full_calc_on_load=full_calc, data=data, invisible=invisible)


def _rewrite(zf: zipfile.ZipFile, changed: dict[str, bytes]) -> bytes:
    """A copy of the package with some members replaced (the sheets with far cells cut out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in zf.infolist():
            dst.writestr(info.filename, changed.get(info.filename) or zf.read(info.filename))
    return out.getvalue()


__all__ = ["LIMITS", "Limits", "PackageError", "PackageScan", "SheetScan", "column_number", "scan_package"]

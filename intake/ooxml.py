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
    max_file_bytes: int = 100 << 20        # any people-made file, as sent (the largest ward file seen: ~4 MB)

    @classmethod
    def from_env(cls) -> "Limits":
        """The defaults, each overridable by RECONCILE_<NAME> (e.g. RECONCILE_MAX_ROWS=500000)."""
        import os

        return cls(**{f: int(os.environ[f"RECONCILE_{f.upper()}"]) for f in cls.__dataclass_fields__
                      if os.environ.get(f"RECONCILE_{f.upper()}", "").isdigit()})


LIMITS = Limits.from_env()


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


# Any writer's spelling of the same XML: a namespace prefix (<x:c>, the .NET OpenXML SDK),
# Strict OOXML's other namespace URIs, single or double quotes around attributes.
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
_FAR_REF = re.compile(rb"""r=["']((?:[A-Z]{2,3}[0-9]+)|(?:[A-Z]{1,3}[0-9]{6,})|(?:[0-9]{6,}))["']""")
_ELEMENT = re.compile(rb"<(" + _P + rb")(c|row)[\s/>]")
_ROW = re.compile(rb"<" + _P + rb"""row\b[^>]*?\sr=["']([0-9]+)["']""")
_HAS_VALUE = re.compile(rb"<" + _P + rb"v>[^<]+</|<" + _P + rb"is>")
_FORMULA_HINT = (b"<f", b":f>", b":f ")
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_CELL_REF = re.compile(rb"""\sr=["']([A-Z]{1,3}[0-9]+)["']""")
# The characters ``sheets.clean_invisible`` removes or makes spaces: where none occurs in the
# package's text (shared strings, inline strings) nor a character reference (&#8203;), no cell
# needs cleaning.
_INVISIBLE_TEXT = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\u061c\u202a-\u202f\u2066-\u2069"
                             "\u00a0\u1680\u2000-\u200a\u205f\u3000\uff10-\uff19\u0660-\u0669\u06f0-\u06f9]")


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


def _element_at(xml: bytes, attr_pos: int) -> tuple[str, int, int] | None:
    """The <c> or <row> element whose attribute starts at ``attr_pos``: (kind, start, end)."""
    start = xml.rfind(b"<", 0, attr_pos)
    m = _ELEMENT.match(xml, start) if start >= 0 else None
    if m is None:
        return None
    prefix, kind = m.group(1), m.group(2)
    close = xml.find(b">", attr_pos)
    if close < 0:
        return None
    if xml[close - 1:close] == b"/":
        return kind.decode(), start, close + 1
    end_tag = b"</" + prefix + kind + b">"
    end = xml.find(end_tag, close)
    return (kind.decode(), start, end + len(end_tag)) if end >= 0 else None


def _height(xml: bytes, max_rows: int) -> int:
    """The last row within the limit that holds a value (rows come in ascending order; empty
    formatted rows at the end allocate nothing in the reader), found from the end."""
    pos, end, unnumbered = len(xml), len(xml), 0
    while (i := xml.rfind(b"row", 0, pos)) > 0:
        pos = i
        if xml[i - 1:i] not in (b"<", b":"):
            continue
        start = xml.rfind(b"<", 0, i)
        m = _ROW.match(xml, start)
        if m is None:
            unnumbered += xml[start + 1:start + 2] != b"/"
            continue
        number = int(m.group(1))
        if number <= max_rows and _HAS_VALUE.search(xml, start, end):
            return number
        end = start
    return unnumbered  # no numbered row holds a value: rows count one each


def _scan_sheet(name: str, member: str, xml: bytes, full_calc: bool, limits: Limits) -> tuple[SheetScan, bytes]:
    scan = SheetScan(name, member)
    cuts: list[tuple[int, int]] = []
    widest = 26
    for m in _FAR_REF.finditer(xml):
        ref = m.group(1).decode()
        if ref.isdigit():
            row, col = int(ref), 1
        else:
            pos = _split_ref(ref)
            if pos is None:
                continue
            row, col = pos
        if row <= limits.max_rows and col <= limits.max_cols:
            if col > widest and (el := _element_at(xml, m.start())) and _HAS_VALUE.search(xml, el[1], el[2]):
                widest = col
            continue
        if cuts and m.start() < cuts[-1][1]:
            continue  # inside a row already cut
        el = _element_at(xml, m.start())
        if el is None:
            continue
        kind, start, end = el
        if _HAS_VALUE.search(xml, start, end):
            inner = _CELL_REF.search(xml, start + 4, end) if kind == "row" else None
            scan.stray.append(ref if kind == "c" else inner.group(1).decode() if inner else f"A{row}")
        cuts.append((start, end))  # a far row goes whole, with cells that carry no reference
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
    if any(h in xml for h in _FORMULA_HINT):
        scan.untrusted = _untrusted_formulas(xml, full_calc)
    return scan, xml


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _untrusted_formulas(xml: bytes, full_calc: bool) -> dict[tuple[int, int], str]:
    """(row0, col0) → ref of formula cells whose result is missing, empty, or was declared stale
    (``full_calc``). A real parse (rare: only sheets with formulas) so that cells without a
    reference, which take the next position, are placed as a reader places them."""
    out: dict[tuple[int, int], str] = {}
    row, col = -1, -1
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row = int(r) - 1 if r and r.isdigit() else row + 1
                    col = -1
                elif tag == "c":
                    pos = _split_ref(el.get("r") or "")
                    if pos:
                        row, col = pos[0] - 1, pos[1] - 1
                    else:
                        col += 1
                continue
            if tag == "c":
                f = v = None
                for child in el:
                    name = _local(child.tag)
                    if name == "f":
                        f = child
                    elif name == "v":
                        v = child
                if f is not None:
                    cached = v.text if v is not None else None
                    computed_empty = el.get("t") == "str" and v is not None
                    if full_calc or (not cached and not computed_empty):
                        out[(row, col)] = el.get("r") or _ref(row, col)
                el.clear()
    except ElementTree.ParseError:
        pass  # the cell reader will say the file is damaged
    return out


def _ref(row0: int, col0: int) -> str:
    letters, n = "", col0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row0 + 1}"


def _sheet_members(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) in workbook order."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return []
    # By local names: transitional and Strict OOXML name the same elements in other namespaces.
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if _local(r.tag) == "Relationship"}
    out = []
    for sheet in (e for e in book.iter() if _local(e.tag) == "sheet"):
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), "")
        target = targets.get(rid, "")
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
    full_calc = bool(re.search(rb"""fullCalcOnLoad=["'](?:1|true)["']""", book))
    sheets: dict[str, SheetScan] = {}
    changed: dict[str, bytes] = {}
    strings = infos.get("xl/sharedStrings.xml")
    invisible = bool(strings and strings.file_size <= limits.max_sheet_bytes
                     and _has_invisible(zf.read(strings.filename)))
    members = _sheet_members(zf)
    named = {m for _, m in members}
    # A worksheet the workbook part does not name (a damaged or unusual package) is bounded too.
    members += [(f"#{m}", m) for m in sorted(infos) if m.startswith("xl/worksheets/") and m.endswith(".xml")
                and m not in named]
    for name, member in members:
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

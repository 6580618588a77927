"""Delimited text files as offices save them: encoding and delimiter are detected, not assumed.

Seen in the field (CONTRACT §1, field cases):
* UTF-8 with or without BOM ("CSV UTF-8"), Windows-1258 ("CSV" on a Vietnamese Windows);
* Excel's "Unicode Text": UTF-16 LE with BOM, tab-separated, saved as .txt (or renamed .csv);
  UTF-16/32 in either byte order, with or without BOM;
* text typed in the legacy TCVN3 (ABC) or VNI fonts saved as a one-byte CSV: the bytes are the
  font's codes, which only read right as Latin-1 followed by the font's table (``intake.legacy``);
  decoding them as Windows-1258 would turn some into combining marks and garble the headers;
* comma, semicolon or tab between cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter

from intake import legacy

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 60
_WORD = re.compile(r"[^\W\d_]+")

_BOMS = (  # longest first: the UTF-32 LE BOM begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class TextFileError(Exception):
    """The text file cannot be decoded; the message is Vietnamese, for the ward."""


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the zero bytes of ASCII characters fall."""
    n = len(head) - len(head) % 4
    if n < 8:
        return None
    zeros = [sum(1 for i in range(k, n, 4) if head[i] == 0) / (n // 4) for k in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9:
        return "utf-32-be"
    odd, even = (zeros[1] + zeros[3]) / 2, (zeros[0] + zeros[2]) / 2
    if odd > 0.6 and even < 0.1:
        return "utf-16-le"
    if even > 0.6 and odd < 0.1:
        return "utf-16-be"
    return None


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the most of the first lines into the same number of cells (>1)."""
    lines = [ln for ln in text.splitlines()[:_SNIFF_LINES] if ln.strip()]
    sample = "\n".join(lines)
    best, best_score = ",", (-1, 0)
    for d in DELIMITERS:
        if d not in sample:
            continue
        counts = Counter(len(r) for r in csv.reader(io.StringIO(sample), delimiter=d) if len(r) > 1)
        if not counts:
            continue
        width, lines_of_width = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (lines_of_width, width)
        if score > best_score:
            best, best_score = d, score
    return best


MAX_CELL_CHARS = 131_072   # Python's csv default field limit; Excel's own cell limit is 32,767


def _cells(text: str, delimiter: str) -> list[list[str]]:
    # A spreadsheet shows one row per record, even where a quoted cell spans lines.
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def decode(data: bytes) -> tuple[str, str]:
    """→ (text in NFC, the encoding it was read with: a codec name, or "latin-1" for one-byte text
    that is to be read through a legacy font's table). Raises TextFileError."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode_as(data[len(bom):], name), name
    wide = _wide_encoding(data[:4096])
    if wide:
        return _decode_as(data, wide), wide
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return mixed, "utf-8"
    # One byte per character: the legacy fonts' codes (read as Latin-1), else Windows-1258.
    latin = data.decode("latin-1")
    texts = _sample_cells(latin)
    encoding, _ = legacy.assess(texts)
    try:
        vietnamese = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        vietnamese = None
    if encoding in legacy.ENCODINGS:
        # Windows-1258 text read as Latin-1 can pass for a legacy font on a few words; the reading
        # that makes more of the words Vietnamese syllables wins.
        converted = [legacy.to_unicode(t, encoding) for t in texts]
        if vietnamese is None or _syllable_share(converted) > _syllable_share(_sample_cells(vietnamese)):
            return latin, encoding
    if vietnamese is None:
        raise TextFileError("Không nhận ra bảng mã của tệp văn bản: hãy lưu lại với bảng mã UTF-8 "
                            "(trong Excel: Lưu thành ▸ CSV UTF-8).")
    return vietnamese, "cp1258"


def _sample_cells(text: str) -> list[str]:
    sample = _cells("\n".join(text.splitlines()[:400]), sniff_delimiter(text))
    return list(dict.fromkeys(c for row in sample for c in row if c.strip()))


def _syllable_share(texts: list[str]) -> float:
    """Share of the non-ASCII words that are valid Vietnamese syllables."""
    words = [w for t in texts for w in _WORD.findall(t) if not w.isascii()]
    return sum(map(legacy.is_syllable, words)) / len(words) if words else 0.0


def _mixed_utf8(data: bytes) -> str | None:
    """A UTF-8 file with a few lines pasted in from a Windows-1258 one (lists are merged by copy
    and paste): each line in the encoding it reads in. None where UTF-8 is not the main one."""
    good = bad = 0
    lines = data.split(b"\n")
    decoded = []
    for line in lines:
        try:
            text = line.decode("utf-8")
            good += not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1258")
            except UnicodeDecodeError:
                return None
            bad += 1
        decoded.append(text)
    if good < 3 * bad:
        return None
    return unicodedata.normalize("NFC", "\n".join(decoded))


def _decode_as(data: bytes, name: str) -> str:
    try:
        return unicodedata.normalize("NFC", data.decode(name))
    except UnicodeDecodeError:
        raise TextFileError(f"Tệp văn bản ghi bảng mã {name.upper()} nhưng có byte lỗi: hãy lưu lại "
                            "với bảng mã UTF-8 rồi gửi lại.") from None


def read_text_table(data: bytes) -> tuple[list[list[str]], str | None]:
    """→ (rows of cells, legacy font to convert the text from: "tcvn3", "vni" or None)."""
    text, encoding = decode(data)
    try:
        rows = _cells(text, sniff_delimiter(text))
    except csv.Error:   # a cell longer than MAX_CELL_CHARS (or a broken quote spanning the file)
        raise TextFileError(f"Có ô dài hơn {MAX_CELL_CHARS:,} ký tự (hoặc dấu ngoặc kép không đóng) nên không "
                            "đọc được tệp: hãy mở bằng Excel, kiểm tra rồi lưu lại.".replace(",", ".")) from None
    return rows, (encoding if encoding in legacy.ENCODINGS else None)


__all__ = ["DELIMITERS", "TEXT_SUFFIXES", "TextFileError", "decode", "read_text_table", "sniff_delimiter"]

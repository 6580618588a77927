"""The date a list was made, as people write it above or below the table.

Seen in title and signature blocks (CONTRACT §1.2, "however it is written"):
"Ngày báo cáo: 05/11/2023", "Cập nhật đến ngày 5-11-2023", "Rạch Giá, ngày 05 tháng 11 năm 2023",
"Ngày 5/11/2023", "Tính đến 17 giờ ngày 05.11.2023", "05/11/23", "2023-11-05",
"ngày 5 tháng 11/2023" and, without a year, "(đến ngày 5/11)".

Rules:
* a date that follows the citation of another document ("Kèm theo Công văn số 969/UBND-CATP
  ngày 16/10/2023", a decision, a plan) is that document's, not the list's;
* day, month and year are separated alike ("Tổ 2 - 20/11/2023" holds 20/11/2023 only; "16/10 -
  25/10/2023" holds 25/10/2023);
* the latest date written in the title block counts; the signature block's date ("Rạch Giá,
  ngày ...") counts where the title has none;
* a day and month without a year take the year that puts the date no later than ``reference``
  (the identity export's date) + 31 days, preferring the reference's own year;
* a two-digit year is 20yy; dates outside 2000–2099 or impossible (31/02) are not dates.
"""

from __future__ import annotations

import datetime as dt
import re

from matchers.text import fold

_CITES = re.compile(r"\b(?:theo cong van|theo ke hoach|theo quyet dinh|cong van|kem theo|quyet dinh|ke hoach|thong tu|nghi dinh|chi thi|van ban|"
                    r"cv so|qd so|kh so|so \d+\s*/\s*[a-z])")
# day month year with the same separator twice (so "Tổ 2 - 20/11/2023" is not the 2nd of the 20th
# month, and "16/10 - 25/10/2023" is not 16/10/2025): "5 thang 11 nam 2023", "05 thang 11/2023",
# "5/11/2023", "05.11.23", "5 - 11 - 2023"
_DMY = re.compile(r"(?<![\d/.\-])(\d{1,2})(?:\s*thang\s*(\d{1,2})\s*(?:nam|/|-|\.)\s*"
                  r"|\s*([/\-.])\s*(\d{1,2})\s*\3\s*)(\d{4}|\d{2})(?![\d]|\s*[/\-.]\s*\d)")
_YMD = re.compile(r"(?<!\d)(20\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
# day and month only, after "ngay": "(den ngay 5/11)", "ngay 5 thang 11"
_DM = re.compile(r"\bngay\s*(\d{1,2})(?:\s*thang\s*|\s*[/\-.]\s*)(\d{1,2})(?!\s*(?:nam|[/\-.])\s*\d)(?!\d)")


def _date(y: int, m: int, d: int) -> dt.date | None:
    if y < 100:
        y += 2000
    if not 2000 <= y <= 2099:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def dates_in(line: str, reference: dt.date | None = None) -> list[dt.date]:
    """Every date written in one line of a title or signature block (see the module rules)."""
    folded = fold(line)
    cite = _CITES.search(folded)
    if cite:  # "Cập nhật ngày 20/11/2023 theo Công văn số 969 ngày 16/10/2023": only what comes before
        folded = folded[:cite.start()]
    found = [_date(int(y), int(m1 or m2), int(d)) for d, m1, _, m2, y in _DMY.findall(folded)]
    found += [_date(int(y), int(m), int(d)) for y, m, d in _YMD.findall(folded)]
    if reference is not None:
        for d, m in _DM.findall(folded):
            for year in (reference.year, reference.year - 1):
                day = _date(year, int(m), int(d))
                if day and day <= reference + dt.timedelta(days=31):
                    found.append(day)
                    break
    return [d for d in found if d]


def list_date(title_lines: list[str], closing_lines: list[str] = (),
              reference: dt.date | None = None) -> dt.date | None:
    """The list's date: the latest in the title block, else the latest in the closing block."""
    for block in (title_lines, closing_lines):
        found = [d for line in block for d in dates_in(line, reference)]
        if found:
            return max(found)
    return None


__all__ = ["dates_in", "list_date"]

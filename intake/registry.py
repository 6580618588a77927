"""The city's registry (wards, groups, agencies) and resolving a ward from what people write."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matchers.text import clean_text, fold

_WARD_WORDS = re.compile(r"^(phuong|xa|thi tran|p\.|x\.|p|x|ph|tt|f)\s+")
_WARD_WORDS_EXACT = re.compile(r"^(phường|xã|thị trấn|p\.|x\.|p|x|ph|tt|f)\s+")
_PUNCT = re.compile(r"[^\w ]+")
# How people abbreviate a ward (dispatches, chat, hand-written lists): "P. An Hòa", "P.An Hòa",
# "Ph. An Hòa", "X. Phi Thông", "TT. Thứ Ba", and numbered wards "P.5", "P5", "F5", "Phường 05".
# Applied to keys whose punctuation is already spaces; ``word`` is "phường"/"phuong" etc.
_NUMBERED = re.compile(r"\b(?:p|ph|f|phuong|phường)\s*0*(\d{1,3})\b")
_LEADING = (re.compile(r"^(?:p|ph)\s+(?=\D)"), re.compile(r"^x\s+(?=\D)"), re.compile(r"^tt\s+(?=\D)"))


def _expand(key: str, exact: bool) -> str:
    ward, commune, town = ("phường", "xã", "thị trấn") if exact else ("phuong", "xa", "thi tran")
    key = _NUMBERED.sub(lambda m: f"{ward} {int(m.group(1))}", key)
    for pattern, word in zip(_LEADING, (ward, commune, town)):
        key = pattern.sub(word + " ", key)
    return key


def _exact_key(text: str) -> str:
    """Lower-case NFC words, diacritics kept ("Vĩnh Thanh" and "Vĩnh Thạnh" stay apart)."""
    return _expand(re.sub(r"\s+", " ", _PUNCT.sub(" ", clean_text(str(text)).lower())).strip(), True)


def _folded_key(text: str) -> str:
    return _expand(re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", fold(str(text)))).strip(), False)


@dataclass
class Registry:
    """Wards are named by code, by name with or without diacritics, with or without the word
    Phường/Xã. A province repeats names ("Phường 1" in every town; "Vĩnh Thanh" and "Vĩnh Thạnh"
    fold alike), so a name that fits several wards is settled by a hint (the ward of the file's
    folder) or left unresolved — never guessed."""

    wards: pd.DataFrame      # ward_code, ward_name, target
    groups: pd.DataFrame     # ward_code, group_no, quarter, households
    agencies: pd.DataFrame   # unit_code, unit_name, kind
    _codes: set = field(default_factory=set, repr=False)
    _keys: list = field(default_factory=list, repr=False)   # (kind, key, codes), longest key first
    _seen: dict = field(default_factory=dict, repr=False)   # find_ward_in cache: titles repeat

    def __post_init__(self) -> None:
        exact: dict[str, set] = {}
        folded: dict[str, set] = {}
        for code, name in zip(self.wards["ward_code"], self.wards["ward_name"]):
            self._codes.add(code)
            e, f = _exact_key(name), _folded_key(name)
            bare_e, bare_f = _WARD_WORDS_EXACT.sub("", e).strip(), _WARD_WORDS.sub("", f).strip()
            for table, full, bare in ((exact, e, bare_e), (folded, f, bare_f)):
                table.setdefault(full, set()).add(code)
                if bare and not bare.isdigit():  # "1" alone is not a ward: "Phường 1" is
                    table.setdefault(bare, set()).add(code)
        self._keys = sorted([("exact", k, v) for k, v in exact.items()] + [("folded", k, v) for k, v in folded.items()],
                            key=lambda t: (-len(t[1]), t[0]))

    @staticmethod
    def _pick(codes: set, hint: str | None) -> str | None:
        if len(codes) == 1:
            return next(iter(codes))
        return hint if hint in codes else None

    def resolve_ward(self, text, hint: str | None = None) -> str | None:
        """The ward a cell or a folder name means (code, or its whole name)."""
        if text is None:
            return None
        s = str(text).strip()
        if s.endswith(".0"):
            s = s[:-2]
        if not s:
            return None
        if s in self._codes:
            return s
        e, f = _exact_key(s), _folded_key(s)
        for kind, key, codes in self._keys:
            if key == (e if kind == "exact" else f):
                return self._pick(codes, hint)
        bare = _WARD_WORDS.sub("", f).strip()
        if bare.isdigit():
            for kind, key, codes in self._keys:
                if kind == "folded" and key.endswith(" " + bare) and _WARD_WORDS.match(key):
                    return self._pick(codes, hint)
        return None

    def find_ward_in(self, text: str, hint: str | None = None) -> str | None:
        """A ward named anywhere inside a line of text ("PHƯỜNG VĨNH THANH VÂN - TỔ 5")."""
        if (text, hint) not in self._seen:
            self._seen[(text, hint)] = self._find_ward_in(text, hint)
        return self._seen[(text, hint)]

    def _find_ward_in(self, text: str, hint: str | None) -> str | None:
        e = " " + _exact_key(text) + " "
        f = " " + _folded_key(text) + " "
        for kind, key, codes in self._keys:  # longest (most specific) name first
            if key and (" " + key + " ") in (e if kind == "exact" else f):
                return self._pick(codes, hint)
        for code in self._codes:
            if f" {code} " in f:
                return code
        return None


def read_registry(inbox: Path) -> Registry:
    reg = inbox / "registry"
    wards = pd.read_csv(reg / "wards.csv", dtype=str, keep_default_na=False)
    wards = wards.rename(columns={"MA_DVHC": "ward_code", "TEN": "ward_name", "CHI_TIEU": "target"})
    wards["target"] = pd.to_numeric(wards["target"], errors="coerce").fillna(0).astype(int)
    groups_path = reg / "groups.csv"
    if groups_path.exists():
        groups = pd.read_csv(groups_path, dtype=str, keep_default_na=False).rename(
            columns={"MA_DVHC": "ward_code", "TO_SO": "group_no", "KHU_PHO": "quarter", "SO_HO": "households"}
        )
        groups["group_no"] = groups["group_no"].str.lstrip("0").replace("", "0")
    else:
        groups = pd.DataFrame(columns=["ward_code", "group_no", "quarter", "households"])
    agencies_path = reg / "agencies.csv"
    if agencies_path.exists():
        agencies = pd.read_csv(agencies_path, dtype=str, keep_default_na=False).rename(
            columns={"MA_DON_VI": "unit_code", "TEN_DON_VI": "unit_name", "LOAI": "kind"}
        )
    else:
        agencies = pd.DataFrame(columns=["unit_code", "unit_name", "kind"])
    return Registry(wards=wards, groups=groups, agencies=agencies)

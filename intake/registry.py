"""The city's registry (wards, groups, agencies) and resolving a ward from what people write."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from matchers.text import fold

_WARD_WORDS = re.compile(r"^(phuong|xa|thi tran|p\.|x\.|p|x)\s+")


def _ward_name_key(text: str) -> str:
    f = re.sub(r"[^a-z0-9 ]+", " ", fold(text)).strip()
    f = re.sub(r"\s+", " ", f)
    return _WARD_WORDS.sub("", f).strip()


@dataclass
class Registry:
    wards: pd.DataFrame      # ward_code, ward_name, target
    groups: pd.DataFrame     # ward_code, group_no, quarter, households
    agencies: pd.DataFrame   # unit_code, unit_name, kind
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for code, name in zip(self.wards["ward_code"], self.wards["ward_name"]):
            self._by_key[code] = code
            self._by_key[_ward_name_key(name)] = code

    def resolve_ward(self, text) -> str | None:
        """A ward code from a code, a name, with or without diacritics or 'Phường'/'Xã'."""
        if text is None:
            return None
        s = str(text).strip()
        if s.endswith(".0"):
            s = s[:-2]
        if not s:
            return None
        return self._by_key.get(s) or self._by_key.get(_ward_name_key(s))

    def find_ward_in(self, text: str) -> str | None:
        """A ward named anywhere inside a line of text ("PHƯỜNG VĨNH THANH VÂN - TỔ 5")."""
        key = " " + _ward_name_key(text) + " "
        best = None
        for k, code in self._by_key.items():
            if k and (" " + k + " ") in key and (best is None or len(k) > len(best[0])):
                best = (k, code)
        return best[1] if best else None


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

"""Fault injection for the crash test (tests/test_crash.py): with RECONCILE_PAUSE_AT set to a
point's name, a run stops there, writes RECONCILE_PAUSE_FILE and waits to be killed. Unset (always,
outside that test), ``pause_at`` does nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("read", "rename", "store")   # start of reading; run folder written, not renamed; before storing


def pause_at(point: str) -> None:
    if os.environ.get("RECONCILE_PAUSE_AT") != point:
        return
    Path(os.environ["RECONCILE_PAUSE_FILE"]).write_text(point, encoding="utf-8")
    time.sleep(600)

"""A native reader's crash costs one file, never the run (issue 14).

Files whose package is not scanned before parsing (.xls, .xlsb, .ods: binary or other programs'
formats, read by python-calamine's Rust code) are read in a child process of their own, under an
address-space limit (RLIMIT_AS) and a time limit; a child that dies, runs out of memory or time
gets the file rejected with a specific reason, and the run goes on. The same guarded read serves
the files a dead pool worker had not finished: a file that killed a worker is never re-read in
the run's own process.

Limits are settings (environment): RECONCILE_READER_MEMORY_MB (default 2048) and
RECONCILE_READER_SECONDS (default 300).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from pathlib import Path

GUARDED_SUFFIXES = {".xls", ".xlsb", ".ods"}
DIED = ("Tệp làm trình đọc bảng tính bị dừng đột ngột (tệp hỏng hoặc được tạo để gây hại): tệp bị bỏ qua, "
        "các tệp khác vẫn được đọc. Hãy mở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại.")
TOO_BIG = ("Tệp cần quá {mb} MB bộ nhớ để đọc (giới hạn của hệ thống): hãy xóa các ô, dòng, cột thừa hoặc tách "
           "tệp, lưu dưới dạng .xlsx rồi gửi lại.")
TOO_SLOW = "Đọc tệp quá {s} giây (giới hạn của hệ thống): hãy lưu lại dưới dạng .xlsx, bỏ phần thừa rồi gửi lại."


def limits() -> tuple[int, int]:
    """(memory limit in MB, time limit in seconds) of one guarded read."""
    return (int(os.environ.get("RECONCILE_READER_MEMORY_MB", "2048")),
            int(os.environ.get("RECONCILE_READER_SECONDS", "300")))


def _child(conn, read_one, read, path: Path, source: str, memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = read_one(read, path, source)
    except MemoryError:
        result = (False, (TOO_BIG.format(mb=memory_mb), None))
    conn.send(result)
    conn.close()


def guarded(read_one, read, path: Path, source: str) -> tuple[bool, object]:
    """``read_one(read, path, source)`` in a child process under the limits; its result, or
    (False, (reason, None)) when the child dies or exceeds them. ``read`` must be picklable."""
    memory_mb, seconds = limits()
    ctx = multiprocessing.get_context("spawn")   # no fork of a threaded process (Prefect's)
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, read_one, read, path, source, memory_mb), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(seconds):
            try:
                return parent.recv()
            except EOFError:   # died while sending, or before
                pass
        else:
            return False, (TOO_SLOW.format(s=seconds), None)
        proc.join(5)
        return False, (DIED, None)
    finally:   # a child still running (too slow, or stuck after sending) is killed
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join()

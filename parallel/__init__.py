"""Process pools for the two stages that are Python per cell: reading workbooks and writing them.

A province sends ~10,900 workbooks and gets ~120 ward workbooks back; on one core each side
costs a minute or more. Either stage hands its files to one process per core once there is
enough work to pay for starting them (about a second); a city or a test runs in-process.

Within ``distributed(executor)`` (the flow on a Dask cluster, issue 15) every stage hands its
work to that executor instead, whatever its size: reading is partitioned by file, linkage by
whole wards (``distributed_executor``), reports by ward.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import NamedTuple

import pandas as pd

MAX_WORKERS = 8
# The pandas options a worker takes from the process that hands it work. reconcile sets
# python-backed strings; a worker whose work never imports reconcile (a pool started for a
# city's ward workbooks, a Dask worker) would build its new text columns Arrow-backed, and
# mixed storages take pandas' slow per-element paths.
WORKER_OPTIONS = ("mode.string_storage",)
# When CPython's cyclic garbage collector runs (gc.set_threshold: new container objects before a
# young collection, then young collections before each older one). At its defaults (700, 10, 10)
# it took ~10 % of a province run's work (gc.callbacks in every process, 2026-12-02: 27 core-seconds
# in each of the pool's two workers, 52 full collections each, and 7 in the flow's process, of
# ~590): a full collection walks every object alive, and a worker that reads lists or writes ward
# workbooks creates and keeps millions. At these: 2 full collections a worker, ~9 core-seconds in
# all; the cycles the libraries leave (hundreds of thousands at a time) are still collected.
GC_THRESHOLDS = (50_000, 20, 20)


def collect_less() -> None:
    """Run the cyclic garbage collector at ``GC_THRESHOLDS`` in this process (the flow does, as
    it starts; the pool's workers take it with ``worker_options``)."""
    gc.set_threshold(*GC_THRESHOLDS)


def give_back_memory() -> None:
    """Return to the machine the memory this process has freed but its allocators keep: Arrow's
    memory pool (mimalloc: pyarrow's CSV reader and pandas' Arrow paths) keeps freed blocks for
    reuse that no other allocator can use, and glibc's malloc keeps freed pages inside its heap.
    Measured on the province's export read and stored in a worker: 1,417 MB of PSS after the work,
    914 after ``malloc_trim``, 267 after Arrow's ``release_unused`` too. Python's own arenas
    (pymalloc) are returned only when wholly free, by CPython itself. ``malloc_trim`` is glibc's
    (called through ctypes: no library wraps it); elsewhere only Arrow's part runs."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    trim = _glibc_malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _glibc_malloc_trim():
    """glibc's ``malloc_trim`` among this process's own symbols; None where the C library has
    none (musl, macOS)."""
    import ctypes

    return getattr(ctypes.CDLL(None), "malloc_trim", None)


def pandas_options() -> dict[str, object]:
    """This process's values of ``WORKER_OPTIONS``, for ``apply_options`` in a worker."""
    return {name: pd.get_option(name) for name in WORKER_OPTIONS}


def worker_options() -> dict[str, object]:
    """``pandas_options()`` and this process's garbage collector thresholds (under
    ``"gc.threshold"``), for ``apply_options`` in a pool's worker. Not for a Dask worker
    (flows.partitions sends it ``pandas_options()`` only): it is a long-lived process whose
    Prefect task runs leave their results in reference cycles, and collecting them less often
    raised its peak (a city's biggest worker 573 → 753 MB, a province's ~2.3 → 3.0 GB)."""
    return {**pandas_options(), "gc.threshold": gc.get_threshold()}


def apply_options(options: dict[str, object]) -> None:
    """Set ``worker_options()`` of the process that hands this one its work."""
    for name, value in options.items():
        if name == "gc.threshold":
            gc.set_threshold(*value)
        else:
            pd.set_option(name, value)


def env_count(name: str) -> int | None:
    """A count a user set in the environment variable ``name`` (at least 1), or None if unset or
    not a number."""
    forced = os.environ.get(name, "").strip()
    return max(1, int(forced)) if forced.isdigit() else None


def worker_count(enough_work: bool) -> int:
    """RECONCILE_WORKERS if set (1 = this process alone), else one per core when there is
    enough work, else 1."""
    forced = env_count("RECONCILE_WORKERS")
    if forced is not None:
        return forced
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS)) if enough_work else 1


_DISTRIBUTED: contextvars.ContextVar[Executor | None] = contextvars.ContextVar("distributed", default=None)


@contextlib.contextmanager
def distributed(executor: Executor):
    """Within the block, ``process_pool`` yields ``executor`` for any amount of work."""
    token = _DISTRIBUTED.set(executor)
    try:
        yield executor
    finally:
        _DISTRIBUTED.reset(token)


def distributed_executor() -> Executor | None:
    """The executor of the enclosing ``distributed`` block, or None."""
    return _DISTRIBUTED.get()


_KEPT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kept_pools", default=None)


@contextlib.contextmanager
def kept_pools():
    """Within the block, a pool started by one stage is kept for the next (the ward workbooks and
    the notices reuse the read stage's warm workers instead of spawning new ones: ~2 s at city
    scale); all are shut down at the end."""
    kept: dict[int, ProcessPoolExecutor] = {}
    token = _KEPT.set(kept)
    try:
        yield
    finally:
        _KEPT.reset(token)
        for pool in kept.values():
            pool.shutdown(wait=True, cancel_futures=True)


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (MB) of this process, or of process ``pid`` (NaN if it cannot be
    read): VmHWM, which belongs to the program now running; getrusage's maxrss also counts the
    pages a spawned process was forked with (a flow's worker, a bench's command), so it is only
    this process's fallback where /proc is missing."""
    try:
        for line in open(f"/proc/{pid or 'self'}/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid is not None:
        return float("nan")
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Cores(NamedTuple):
    """CPU seconds so far (Linux; NaN elsewhere): ``idle``, the machine's cores idle or waiting
    for I/O since boot; ``this``, this process; ``descendants``, every process it started, alive
    (with what their own ended children used) or ended (``RUSAGE_CHILDREN``). Differences over a
    stage tell where its core-seconds went (``reconcile bench``)."""

    idle: float
    this: float
    descendants: float


def cores() -> Cores:
    """This process's and its descendants' CPU seconds and the machine's idle ones (``Cores``)."""
    import resource

    tick = os.sysconf("SC_CLK_TCK")
    own = os.times()
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
        idle = (int(fields[4]) + int(fields[5])) / tick
        parent, used = {}, {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                        stat = fh.read()
                except OSError:
                    continue   # ended meanwhile
                after = stat[stat.rfind(")") + 2:].split()   # the command name may hold spaces
                parent[int(name)] = int(after[1])
                used[int(name)] = sum(int(v) for v in after[11:15]) / tick   # utime stime cutime cstime
    except (OSError, IndexError, ValueError):
        return Cores(float("nan"), own.user + own.system, float("nan"))
    mine, found = {os.getpid()}, True
    while found:   # the descendants: children first, then theirs
        found = False
        for pid, ppid in parent.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                found = True
    alive = sum(used[pid] for pid in mine if pid != os.getpid())
    return Cores(idle, own.user + own.system, alive + ended.ru_utime + ended.ru_stime)


def kept_pool(workers: int) -> ProcessPoolExecutor | None:
    """Within ``kept_pools``, its pool of ``workers`` processes (started if need be), which
    outlives the stage that submits to it (work started in one stage, waited for in a later
    one); else None, and None for fewer than 2 workers."""
    kept = _KEPT.get()
    if kept is None or workers < 2:
        return None
    # a pool a killed worker broke (a hostile file, intake._resilient) is replaced
    if workers not in kept or getattr(kept[workers], "_broken", False):
        kept[workers] = _new_pool(workers)
    return kept[workers]


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: the flow's process has threads (Prefect) that fork would copy mid-lock.
    # Like any spawned pool, a script that calls into it must guard its main code.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=apply_options, initargs=(worker_options(),))


@contextlib.contextmanager
def process_pool(workers: int):
    """A pool of ``workers`` processes, or None where this process works alone; within
    ``distributed``, that executor; within ``kept_pools``, the kept pool of that size. On an
    error the work not yet started is cancelled."""
    if _DISTRIBUTED.get() is not None:
        yield _DISTRIBUTED.get()
        return
    if workers < 2:
        yield None
        return
    kept = kept_pool(workers)
    if kept is not None:
        yield kept
        return
    pool = _new_pool(workers)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)

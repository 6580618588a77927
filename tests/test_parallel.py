"""parallel: one pool kept across a run's stages, replaced when a worker died."""

from __future__ import annotations

import functools
import gc
import os
import time
from concurrent.futures.process import BrokenProcessPool

import cloudpickle
import pandas as pd
import pytest

import parallel


def _die() -> None:
    os._exit(9)   # what a worker killed by a hostile file looks like to its pool


def test_a_kept_pool_is_reused_and_a_broken_one_replaced():
    with parallel.kept_pools():
        with parallel.process_pool(2) as first:
            assert first.submit(pow, 2, 10).result() == 1024
        with parallel.process_pool(2) as again:
            assert again is first                      # the read stage's warm workers, reused
            with pytest.raises(BrokenProcessPool):
                again.submit(_die).result()
        with parallel.process_pool(2) as fresh:
            assert fresh is not first and fresh.submit(pow, 3, 3).result() == 27
    with pytest.raises(RuntimeError):                  # all shut down at the end
        fresh.submit(pow, 2, 2)


def test_workers_build_text_columns_as_the_process_that_started_them():
    """A pool's workers take this process's pandas string storage (reconcile sets python-backed
    strings), also when the work they are given never imports reconcile: pandas' own default is
    Arrow-backed, and frames of mixed storages take slow per-element paths."""
    before = pd.get_option("mode.string_storage")
    try:
        for storage in ("python", "pyarrow"):
            pd.set_option("mode.string_storage", storage)
            with parallel.process_pool(2) as pool:
                made = pool.submit(pd.Series, ["Nguyễn Văn An"], dtype="str").result()
            assert made.dtype.storage == storage
    finally:
        pd.set_option("mode.string_storage", before)


def test_workers_collect_garbage_as_the_process_that_started_them():
    """The flow runs CPython's cyclic collector at ``parallel.GC_THRESHOLDS`` (at its defaults it
    took ~10 % of a province run's work, most of it in the pool's workers); a pool's workers
    take this process's thresholds, also when the work they are given never imports reconcile."""
    before = gc.get_threshold()
    try:
        parallel.collect_less()
        assert gc.get_threshold() == parallel.GC_THRESHOLDS != (700, 10, 10)
        for thresholds in (parallel.GC_THRESHOLDS, (12_345, 11, 12)):
            gc.set_threshold(*thresholds)
            with parallel.process_pool(2) as pool:
                assert pool.submit(gc.get_threshold).result() == thresholds
    finally:
        gc.set_threshold(*before)


def test_a_partition_on_a_dask_worker_runs_with_the_flows_options():
    """``reconcile run --dask``: each partition task run sets the flow's pandas options before
    its calls (a Dask worker is not started by the flow, so no pool initializer reaches it), and
    leaves the worker's garbage collector as it is (``parallel.worker_options``: its Prefect task
    runs' cycles hold their results)."""
    from flows.partitions import partition

    before = pd.get_option("mode.string_storage"), gc.get_threshold()
    try:
        pd.set_option("mode.string_storage", "python")    # the flow's (reconcile sets it)
        options = parallel.pandas_options()               # what flows.partitions sends
        assert "gc.threshold" not in options
        payload = cloudpickle.dumps((functools.partial(pd.Series, dtype="str"), [(["Trần Thị Bình"],)], options))
        pd.set_option("mode.string_storage", "pyarrow")   # pandas' default on a bare worker
        gc.set_threshold(700, 10, 10)                      # CPython's
        [made] = partition.fn(payload)
        assert made.dtype.storage == "python"
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        pd.set_option("mode.string_storage", before[0])
        gc.set_threshold(*before[1])


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_cores_counts_the_workers_alive_and_ended():
    """parallel.cores, behind the bench's core-seconds by stage: the CPU of a pool's workers is
    counted while they are alive and after they have ended."""
    before = parallel.cores()
    with parallel.process_pool(2) as pool:
        list(pool.map(_burn, [0.4, 0.4]))
        alive = parallel.cores()
    ended = parallel.cores()
    assert alive.descendants - before.descendants >= 0.7
    assert ended.descendants >= alive.descendants - 0.01
    assert ended.this >= before.this and ended.idle >= before.idle

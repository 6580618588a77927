"""Partitioned work as Prefect task runs on the flow's task runner (issue 15).

Under ``reconcile run --dask`` the flow runs with prefect-dask's ``DaskTaskRunner``; the stages
that are Python per cell (reading workbooks, writing the ward workbooks and notices) hand their
work to ``parallel.process_pool``, which then yields a ``TaskRunnerExecutor``: each call, or each
batch of files, becomes one ``partition`` task run on a Dask worker, visible in Prefect like the
stages are. The link stage submits its two passes over partitions of whole wards to the same
executor (``reconcile.stages.link_rows``). The same functions run as under the local process
pool, so the results are the same.
"""

from __future__ import annotations

import collections
import contextvars
import os
from concurrent.futures import Executor

import cloudpickle
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from parallel import apply_options, pandas_options, peak_rss_mb

# Calls per task run at least ``chunksize`` (the reader's: 16 files, or one batch of files it
# prepares, intake.inbox), else spread over TASKS_PER_WORKER task runs per worker: each is worth
# Prefect's ~50 ms of bookkeeping.
TASKS_PER_WORKER = 8
WINDOW_PER_WORKER = 2


class PartitionFailed(RuntimeError):
    """A partition failed; the message names the work and the error type, never the data."""


@task(name="partition", cache_policy=NO_CACHE, persist_result=False, retries=0)
def partition(payload: bytes) -> list:
    """``[fn(*args) for args in calls]``, ``(fn, calls, options)`` pickled in ``payload``, on
    whichever worker the task runner chose, with the flow's pandas options
    (``parallel.pandas_options``). Private by default there too (umask 077, issue 14); an error
    keeps its detail on the worker's stderr."""
    os.umask(0o077)
    fn, calls, options = cloudpickle.loads(payload)
    apply_options(options)
    try:
        return [fn(*args) for args in calls]
    except Exception as exc:
        import traceback

        traceback.print_exc()
        raise PartitionFailed(f"{getattr(fn, '__name__', 'partition')} failed: {type(exc).__name__}") from None


class _Future:
    """One call's result out of a partition task run's list."""

    def __init__(self, future) -> None:
        self._future = future

    def result(self, timeout: float | None = None):
        return self._future.result(timeout=timeout)[0]


class TaskRunnerExecutor(Executor):
    """A ``concurrent.futures.Executor`` whose calls are ``partition`` task runs submitted to the
    current flow run's task runner. ``workers``: the cluster's worker threads (sizes the batches
    and the window: at most ``WINDOW_PER_WORKER`` partitions per worker are in flight, so the
    flow's process never holds every partition's payload at once). ``local``: the workers run on
    this machine (a ``LocalCluster`` started for the run), so they see the inbox and a SQLite
    warehouse as this process does."""

    def __init__(self, workers: int, local: bool = False) -> None:
        self.workers = max(1, workers)
        self.local = local
        self._in_flight: collections.deque = collections.deque()

    def submit(self, fn, /, *args, **kwargs):
        if kwargs:
            raise TypeError("partition calls take positional arguments only")
        return _Future(self._submit(fn, [args]))

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """Results in order, batches of files submitted ahead as the window allows."""
        calls = list(zip(*iterables))
        size = max(chunksize, -(-len(calls) // (self.workers * TASKS_PER_WORKER)))
        batches = [calls[i:i + size] for i in range(0, len(calls), size)]
        ahead = collections.deque(self._submit(fn, b) for b in batches[:self.workers * WINDOW_PER_WORKER])
        rest = iter(batches[len(ahead):])

        def results():
            while ahead:
                batch = ahead.popleft().result(timeout=timeout)
                following = next(rest, None)
                if following is not None:
                    ahead.append(self._submit(fn, following))
                yield from batch
        return results()

    def _submit(self, fn, calls: list[tuple]):
        """Submitted as a task run of the flow, outside the stage's task run: prefect-dask sends
        the current task run's context with every submission, parameters included, and the
        report stage's parameters are the whole run (870 MB a ward workbook at province scale).
        The payload is pickled bytes: Dask would otherwise hash (tokenize) and Prefect walk every
        frame in it."""
        while len(self._in_flight) >= self.workers * WINDOW_PER_WORKER:
            self._in_flight.popleft().wait()
        name = getattr(fn, "__name__", "partition").strip("_")
        submit = partition.with_options(task_run_name=f"{name}[{len(calls)}]").submit
        payload = cloudpickle.dumps((fn, calls, pandas_options()), protocol=5)

        def outside_the_stage():
            TaskRunContext.__var__.set(None)
            return submit(payload)
        future = contextvars.copy_context().run(outside_the_stage)
        self._in_flight.append(future)
        return future


def worker_peaks_mb(client) -> dict[str, float]:
    """Peak resident memory (MB) of each Dask worker process so far, by worker address."""
    return client.run(peak_rss_mb)

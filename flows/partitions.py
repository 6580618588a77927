"""Partitioned work as Prefect task runs on the flow's task runner (issue 15).

Under ``reconcile run --dask`` the flow runs with prefect-dask's ``DaskTaskRunner``; the stages
that are Python per cell (reading workbooks, writing the ward workbooks and notices) hand their
work to ``parallel.process_pool``, which then yields a ``TaskRunnerExecutor``: each call, or each
batch of files, becomes one ``partition`` task run on a Dask worker, visible in Prefect like the
stages are. The same functions run as under the local process pool, so the results are the same.
"""

from __future__ import annotations

import os
import resource
from concurrent.futures import Executor

from prefect import task
from prefect.cache_policies import NO_CACHE

# Files per task run when reading: a province's ~10,900 workbooks make ~100-700 task runs, each
# worth Prefect's ~50 ms of bookkeeping.
MIN_FILES_PER_TASK = 16
TASKS_PER_WORKER = 8


class PartitionFailed(RuntimeError):
    """A partition failed; the message names the work and the error type, never the data."""


@task(name="partition", cache_policy=NO_CACHE, persist_result=False, retries=0)
def partition(fn, calls: list[tuple]) -> list:
    """``[fn(*args) for args in calls]`` on whichever worker the task runner chose. Private by
    default there too (umask 077, issue 14); an error keeps its detail on the worker's stderr."""
    os.umask(0o077)
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
    current flow run's task runner. ``workers``: the cluster's worker count (sizes the batches)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def submit(self, fn, /, *args, **kwargs):
        if kwargs:
            raise TypeError("partition calls take positional arguments only")
        return _Future(self._submit(fn, [args]))

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        calls = list(zip(*iterables))
        size = max(chunksize, MIN_FILES_PER_TASK, -(-len(calls) // (self.workers * TASKS_PER_WORKER)))
        futures = [self._submit(fn, calls[i:i + size]) for i in range(0, len(calls), size)]

        def results():
            for future in futures:
                yield from future.result(timeout=timeout)
        return results()

    @staticmethod
    def _submit(fn, calls: list[tuple]):
        name = getattr(fn, "__name__", "partition").strip("_")
        return partition.with_options(task_run_name=f"{name}[{len(calls)}]").submit(fn, calls)


def worker_peaks_mb(client) -> dict[str, float]:
    """Peak resident memory (MB) of each Dask worker process so far, by worker address."""
    return client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

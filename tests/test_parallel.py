"""parallel: one pool kept across a run's stages, replaced when a worker died."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

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

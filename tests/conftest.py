"""Shared fixtures. One Prefect test harness per session: it costs seconds to start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def small_city(tmp_path_factory) -> Path:
    """A small synthetic city with every layout variation (its truth beside the inbox)."""
    from synth import generate

    out = tmp_path_factory.mktemp("small_city")
    generate(out, scale="small", seed=7, clean=False)
    return out


@pytest.fixture(scope="session")
def small_clean_city(tmp_path_factory) -> Path:
    """A small synthetic city in the canonical template only."""
    from synth import generate

    out = tmp_path_factory.mktemp("small_clean_city")
    generate(out, scale="small", seed=3, clean=True)
    return out


def pytest_configure(config):
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

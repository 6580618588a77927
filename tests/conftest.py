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
    import tempfile

    # The default warehouse lives in the user's data folder: no test may touch the real one.
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="reconcile-tests-data-")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry from tests
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


# --- Warehouse database URLs ------------------------------------------------------------------
# `db_url` runs a test once on SQLite (a file in tmp_path) and once on PostgreSQL: a fresh database
# per test on the server named by RECONCILE_TEST_PG_URL, which `bash scripts/with-postgres`
# (`make test`) starts and exports. Without it the PostgreSQL case is skipped, except under
# CI=true where it fails: CI must test PostgreSQL.

PG_URL_VARIABLE = "RECONCILE_TEST_PG_URL"


def postgres_base_url() -> str:
    url = os.environ.get(PG_URL_VARIABLE, "")
    if not url:
        message = (f"{PG_URL_VARIABLE} is not set: run the tests through `bash scripts/with-postgres` "
                   f"(as `make test` does) to test the PostgreSQL warehouse")
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL is required)", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    base = sa.make_url(postgres_base_url())
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A warehouse URL with an empty database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    return request.getfixturevalue("postgres_url")

"""The warehouse: every reconciliation run kept whole (SQLAlchemy 2; SQLite file by default,
PostgreSQL in production). See docs/DESIGN.md.

    ensure_schema(url)                 new database → schema; older schema → SchemaOutdated
    with run_lock(url):                one run at a time (else WarehouseBusy after a wait)
        store_run(url, RunData(...))   one transaction; same run_id replaces; COPY / executemany
        with PendingRun(url) as p:     the same in two steps: p.load(RunData(...)) writes the rows,
            ...                        p.commit(seconds=...) makes them the completed run
    store_snapshot(url, export)        an identity export's snapshot stored ahead of its run
    mark_failed(url, run_id, ...)      a run that could not finish
    history(url), load_decisions(url)  reading back
"""

from warehouse.db import default_db_url, key, redact, using
from warehouse.errors import SchemaOutdated, WarehouseBusy, WarehouseError
from warehouse.lock import run_lock
from warehouse.queries import history, history_query, load_decisions, unit_history
from warehouse.schema import current_revision, downgrade, ensure_schema, head_revision, upgrade
from warehouse.store import (IdentityExport, PendingRun, RunData, mark_failed, prune, record_notice, store_run,
                             store_snapshot)

__all__ = [
    "IdentityExport", "PendingRun", "RunData", "SchemaOutdated", "WarehouseBusy", "WarehouseError",
    "current_revision", "default_db_url", "downgrade", "ensure_schema", "head_revision", "history",
    "history_query", "key", "load_decisions", "unit_history", "mark_failed", "prune", "record_notice", "redact", "run_lock", "using",
    "store_run", "store_snapshot", "upgrade",
]

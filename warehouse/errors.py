"""The warehouse's own exceptions. Their messages are written to be shown to an operator as they
are: plain English, no credentials (URLs are redacted) and never personal data."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class of every error the warehouse raises on purpose."""


class WarehouseBusy(WarehouseError):
    """Another run holds the warehouse's run lock and did not release it in time."""


class SchemaOutdated(WarehouseError):
    """The database's schema is not the one this version of the program needs."""

"""Pandera models of the frames that flow through a run, and their lazy validation.

Pandera's own messages quote failing values (IDs, phones): they are never stored or logged.
Only the check names, mapped to our own sanitised reasons, leave this package.
"""

from schemas.models import (
    AssignmentRows,
    HouseholdRows,
    IdentityRecords,
    StaffRows,
    validate_identity,
    validate_rows,
    validate_units,
)

__all__ = ["AssignmentRows", "HouseholdRows", "IdentityRecords", "StaffRows", "validate_identity", "validate_rows",
           "validate_units"]

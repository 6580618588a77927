"""Findings: the discrepancy codes of CONTRACT §3, row findings and unit findings."""

from findings.rows import FINDING_COLUMNS, invalid_reasons, row_findings
from findings.units import unit_findings, ward_results, withheld_by_ward

__all__ = ["FINDING_COLUMNS", "invalid_reasons", "row_findings", "unit_findings", "ward_results", "withheld_by_ward"]

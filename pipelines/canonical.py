"""The seven canonical input tables (metrics.md section 1): columns, types, keys and row rules.

Every source format is mapped to these tables before it lands. Ingestion reads this module to type,
validate and deduplicate rows; dbt's `sources.yml` documents the same tables for the transformations.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED")  # Asterisk CDR words
DIRECTIONS = ("outbound", "inbound")
OUTCOMES = ("meeting_agreed", "callback", "refused", "no_decision")
CLIENT_TYPES = ("legal_entity", "sole_proprietor", "individual")


def known_stages() -> tuple[str, ...]:
    """Deal stages from the dbt seed `stage_catalog.csv`, the one place stages are declared."""
    with (DBT_PROJECT_DIR / "seeds" / "stage_catalog.csv").open(newline="") as fh:
        return tuple(row["stage"] for row in csv.DictReader(fh))


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | timestamp | date | integer | number
    required: bool = False
    accepted: tuple[str, ...] | None = None  # allowed values after normalisation
    case: str | None = None  # "upper" | "lower": how enum values are normalised before the check


@dataclass(frozen=True)
class RowRule:
    """A rule over the typed values of one row; `violated` is a DuckDB boolean expression."""

    reason: str
    violated: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[RowRule, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _tables() -> dict[str, Table]:
    stages = known_stages()
    tables = [
        Table(
            "employees",
            (
                Column("employee_id", required=True),
                Column("full_name"),
                Column("team"),
                Column("role"),
                Column("hired_on", "date"),
                Column("left_on", "date"),
            ),
            key=("employee_id",),
            rules=(RowRule("left_on before hired_on", "left_on < hired_on"),),
        ),
        Table(
            "clients",
            (
                Column("client_id", required=True),
                Column("name"),
                Column("client_type", accepted=CLIENT_TYPES, case="lower"),
                Column("region"),
                Column("industry"),
                Column("services"),
                Column("equipment"),
                Column("revenue_tier"),
                Column("created_at", "timestamp"),
            ),
            key=("client_id",),
        ),
        Table(
            "calls",
            (
                Column("call_id", required=True),
                Column("started_at", "timestamp", required=True),
                Column("direction", required=True, accepted=DIRECTIONS, case="lower"),
                Column("employee_id"),
                Column("client_id"),
                Column("client_phone"),
                Column("disposition", required=True, accepted=DISPOSITIONS, case="upper"),
                Column("duration_s", "integer"),
                Column("outcome", accepted=OUTCOMES, case="lower"),
            ),
            key=("call_id",),
            rules=(
                RowRule("negative duration_s", "duration_s < 0"),
                RowRule("outcome on a call that was not answered",
                        "outcome is not null and disposition <> 'ANSWERED'"),
            ),
        ),
        Table(
            "deal_stages",
            (
                Column("deal_id", required=True),
                Column("client_id"),
                Column("stage", required=True, accepted=stages, case="lower"),
                Column("entered_at", "timestamp", required=True),
                Column("employee_id"),
                Column("loss_reason"),
            ),
            key=("deal_id", "stage", "entered_at"),
            rules=(RowRule("loss_reason on a stage other than lost",
                           "loss_reason is not null and stage <> 'lost'"),),
        ),
        Table(
            "contracts",
            (
                Column("contract_id", required=True),
                Column("client_id"),
                Column("deal_id"),
                Column("signed_at", "timestamp"),
                Column("starts_on", "date"),
                Column("ends_on", "date"),
                Column("amount", "number"),
                Column("currency", case="upper"),
            ),
            key=("contract_id",),
            rules=(RowRule("ends_on before starts_on", "ends_on < starts_on"),),
        ),
        Table(
            "entity_identifiers",
            (
                Column("client_id", required=True),
                Column("id_type", required=True, case="upper"),
                Column("id_value", required=True),
                Column("source"),
                Column("observed_at", "timestamp"),
            ),
            # The same identifier seen by two sources or on two days is two observations.
            key=("client_id", "id_type", "id_value", "source", "observed_at"),
        ),
        Table(
            "entity_analyses",
            (
                Column("analysis_id", required=True),
                Column("client_id", required=True),
                Column("requested_at", "timestamp", required=True),
                Column("completed_at", "timestamp"),
                Column("analyst_id"),
                Column("decision"),
            ),
            key=("analysis_id",),
            rules=(RowRule("completed_at before requested_at", "completed_at < requested_at"),),
        ),
    ]
    return {t.name: t for t in tables}


TABLES: dict[str, Table] = _tables()

"""The canonical input tables (docs/metrics.md section 1): columns, types, keys and row rules.

Every source format is mapped to these tables before it lands (`sources/*.yml`, `pipelines/ingest`).
Ingestion reads this module to type, validate and deduplicate rows; dbt's `sources.yml` documents the
same tables for the transformations.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def coded_values(table: str, column: str) -> tuple[str, ...]:
    """The permitted values of a coded column, from the dbt seed `coded_values.csv` (their one home)."""
    values = tuple(r["code"] for r in _seed("coded_values") if (r["table_name"], r["column_name"]) == (table, column))
    if not values:
        raise KeyError(f"coded_values.csv has no values for {table}.{column}")
    return values


# Event times outside this window are typing accidents (a year 2062, a 1900 default date), and one of
# them would move the as-of date or open decades of empty months: such rows are quarantined.
EARLIEST_EVENT = "1990-01-01"
FUTURE_TOLERANCE = "1 day"  # clocks and time zones of the source systems
MAX_TEXT_LENGTH = 65_536  # longer values are broken exports (a field that swallowed a file), not data
# A stage entered before an earlier stage of the chain is out of order, unless within this much: exports
# round some times to the minute (amoCRM's closing time) but not others (its creation time).
STAGE_ORDER_TOLERANCE = "1 minute"


@dataclass(frozen=True)
class Stage:
    stage: str
    order: int
    is_won: bool
    is_lost: bool
    is_terminal: bool


@cache
def stage_catalog() -> tuple[Stage, ...]:
    """Deal stages from the dbt seed `stage_catalog.csv`, the one place stages and their flags live."""
    return tuple(Stage(r["stage"], int(r["stage_order"]), r["is_won"] == "true", r["is_lost"] == "true",
                       r["is_terminal"] == "true") for r in _seed("stage_catalog"))


def known_stages() -> tuple[str, ...]:
    return tuple(s.stage for s in stage_catalog())


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | timestamp | date | integer | number
    required: bool = False
    accepted: tuple[str, ...] | None = None  # allowed values after normalisation
    case: str | None = None  # "upper" | "lower": how enum values are normalised before the check
    event_time: bool = False  # a moment that has happened: not in the future, not before EARLIEST_EVENT


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

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _tables() -> dict[str, Table]:
    stages = known_stages()
    lost = [s.stage for s in stage_catalog() if s.is_lost]
    lost_list = ", ".join(f"'{s}'" for s in lost)
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
                Column("client_type", accepted=coded_values("clients", "client_type"), case="lower"),
                Column("region"),
                Column("industry"),
                Column("services"),
                Column("equipment"),
                Column("revenue_tier"),
                Column("created_at", "timestamp", event_time=True),
                Column("phone"),  # `;`-list; normalised and hashed by raw/phone_numbers, never shown
            ),
            key=("client_id",),
        ),
        Table(
            "calls",
            (
                Column("call_id", required=True),
                Column("started_at", "timestamp", required=True, event_time=True),
                Column("direction", required=True, accepted=coded_values("calls", "direction"), case="lower"),
                Column("employee_id"),
                Column("client_id"),
                Column("client_phone"),
                Column("disposition", required=True, accepted=coded_values("calls", "disposition"), case="upper"),
                Column("duration_s", "integer"),
                Column("outcome", accepted=coded_values("calls", "outcome"), case="lower"),
                Column("linked_id"),  # legs of one call share it (Asterisk linkedid); empty: one leg
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
                # Empty when the export gives only the current stage: the deal is (or was) in it, date
                # unknown. Such a passage counts in stage reach and win rate, never in a period KPI.
                Column("entered_at", "timestamp", event_time=True),
                Column("employee_id"),
                Column("loss_reason"),
            ),
            key=("deal_id", "stage", "entered_at"),
            rules=(RowRule("loss_reason on a stage that is not a loss",
                           f"loss_reason is not null and stage not in ({lost_list})"),),
        ),
        Table(
            "contracts",
            (
                Column("contract_id", required=True),
                Column("client_id"),
                Column("deal_id"),
                Column("signed_at", "timestamp", event_time=True),
                Column("starts_on", "date"),
                Column("ends_on", "date"),
                Column("amount", "number"),
                Column("currency", case="upper"),
            ),
            key=("contract_id",),
            rules=(RowRule("ends_on before starts_on", "ends_on < starts_on"),),
        ),
        Table(
            "leads",
            (
                Column("lead_id", required=True),
                Column("created_at", "timestamp", required=True, event_time=True),
                Column("source"),
                Column("client_id"),
                Column("assigned_at", "timestamp", event_time=True),
                Column("assignee_id"),
                Column("first_contact_at", "timestamp", event_time=True),
                Column("status", required=True, accepted=coded_values("leads", "status"), case="lower"),
                Column("closed_at", "timestamp", event_time=True),
                Column("refusal_reason"),
                Column("refusal_note"),
                Column("handed_to_wholesale_at", "timestamp", event_time=True),
            ),
            key=("lead_id",),
            # Times out of order (a lead closed before it was created: real exports have them) are kept
            # and flagged by a dbt test on fct_leads, not quarantined: the lead and its outcome still count.
            rules=(
                RowRule("refusal_reason on a lead that is not refused",
                        "refusal_reason is not null and status <> 'refused'"),
                RowRule("closed_at on an open lead", "closed_at is not null and status = 'open'"),
            ),
        ),
        Table(
            "lead_callbacks",
            (
                Column("lead_id", required=True),
                Column("set_at", "timestamp", required=True, event_time=True),
                Column("planned_at", "timestamp", required=True),  # the agreed next call: may be ahead
                Column("done_at", "timestamp", event_time=True),
                Column("employee_id"),
                Column("result"),
            ),
            key=("lead_id", "set_at"),
            rules=(RowRule("done_at before set_at", "done_at < set_at"),),
        ),
        Table(
            "entity_identifiers",
            (
                Column("client_id", required=True),
                Column("id_type", required=True, case="upper"),
                Column("id_value", required=True),
                Column("source"),
                Column("observed_at", "timestamp", event_time=True),
            ),
            # The same identifier seen by two sources or on two days is two observations.
            key=("client_id", "id_type", "id_value", "source", "observed_at"),
        ),
        Table(
            "entity_analyses",
            (
                Column("analysis_id", required=True),
                Column("client_id", required=True),
                Column("requested_at", "timestamp", required=True, event_time=True),
                Column("completed_at", "timestamp", event_time=True),
                Column("analyst_id"),
                Column("decision"),
            ),
            key=("analysis_id",),
            rules=(RowRule("completed_at before requested_at", "completed_at < requested_at"),),
        ),
    ]
    return {t.name: t for t in tables}


TABLES: dict[str, Table] = _tables()

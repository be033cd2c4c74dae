"""The two suites, as rules: a rule is a named group of expectations with one severity.

A rule maps to one Dagster asset check; its expectations may be several (reliability is checked per
source). Thresholds and severities come from `thresholds.yml`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.yml")
IDENTIFIER_RULES = ("known_clients", "known_id_types", "reliability_per_source", "no_collisions", "stale_share")
ANALYSIS_RULES = ("known_clients", "completed_after_requested", "plausible_duration", "known_decisions",
                  "open_not_stuck")
ROW_ID_COLUMNS = {"entity_identifiers": ["client_id", "id_type", "id_value", "source"],
                  "entity_analyses": ["analysis_id", "client_id"]}


@dataclass
class Rule:
    name: str
    severity: str  # ERROR | WARN
    description: str
    expectations: list = field(default_factory=list)


def load_thresholds() -> dict:
    path = Path(os.environ.get("SALESFUNNEL_EXPECTATIONS", THRESHOLDS_FILE))
    with path.open() as fh:
        config = yaml.safe_load(fh)
    for suite, names in (("entity_identifiers", IDENTIFIER_RULES), ("entity_analyses", ANALYSIS_RULES)):
        for name in names:
            severity = config.get(suite, {}).get(name, {}).get("severity")
            if severity not in ("ERROR", "WARN"):
                raise ValueError(f"{path}: {suite}.{name}.severity must be ERROR or WARN, not {severity!r}")
    return config


def _by_source(column: str, frame: pd.DataFrame, **bounds):
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return [gxe.ExpectColumnMeanToBeBetween(column=column, row_condition=Column("source") == source,
                                            meta={"scope": f"source={source}"}, **bounds)
            for source in sorted(frame["source"].dropna().unique())]


def identifier_rules(frame: pd.DataFrame, known_types: list[str], config: dict) -> list[Rule]:
    """Rules over intermediate.int_identifier_checks (one row per identifier observation)."""
    import great_expectations.expectations as gxe

    c = config["entity_identifiers"]
    return [
        Rule("known_clients", c["known_clients"]["severity"], "every identifier belongs to a known client",
             [gxe.ExpectColumnValuesToBeInSet(column="is_known_client", value_set=[True])]),
        Rule("known_id_types", c["known_id_types"]["severity"], "every id_type has a validator",
             [gxe.ExpectColumnValuesToBeInSet(column="id_type", value_set=known_types)]),
        Rule("reliability_per_source", c["reliability_per_source"]["severity"],
             f"reliable rows / rows >= {c['reliability_per_source']['min']} for every source",
             _by_source("is_reliable", frame, min_value=c["reliability_per_source"]["min"])),
        Rule("no_collisions", c["no_collisions"]["severity"], "no (id_type, value) on more than one entity",
             [gxe.ExpectColumnValuesToBeInSet(column="has_collision", value_set=[False])]),
        # A share of no rows is no share: with no identifiers there is nothing to be stale.
        Rule("stale_share", c["stale_share"]["severity"], f"stale share <= {c['stale_share']['max']}",
             [gxe.ExpectColumnMeanToBeBetween(column="is_stale", max_value=c["stale_share"]["max"])] if len(frame)
             else []),
    ]


def analysis_rules(config: dict) -> list[Rule]:
    """Rules over intermediate.int_entity_analyses (one row per analysis)."""
    import great_expectations.expectations as gxe

    c = config["entity_analyses"]
    return [
        Rule("known_clients", c["known_clients"]["severity"], "every analysis is of a known client",
             [gxe.ExpectColumnValuesToBeInSet(column="is_known_client", value_set=[True])]),
        Rule("completed_after_requested", c["completed_after_requested"]["severity"],
             "no analysis completes before it is requested",
             [gxe.ExpectColumnValuesToBeBetween(column="duration_days", min_value=0)]),
        Rule("plausible_duration", c["plausible_duration"]["severity"],
             f"durations up to {c['plausible_duration']['max_days']} days",
             [gxe.ExpectColumnValuesToBeBetween(column="duration_days",
                                                max_value=c["plausible_duration"]["max_days"])]),
        Rule("known_decisions", c["known_decisions"]["severity"], "decisions from the known list",
             [gxe.ExpectColumnValuesToBeInSet(column="decision", value_set=c["known_decisions"]["values"])]),
        Rule("open_not_stuck", c["open_not_stuck"]["severity"],
             f"open analyses younger than {c['open_not_stuck']['max_age_days']} days",
             [gxe.ExpectColumnValuesToBeBetween(column="age_days", max_value=c["open_not_stuck"]["max_age_days"])]),
    ]

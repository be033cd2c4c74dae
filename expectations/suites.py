"""The two suites, as rules: a rule is a named group of expectations with one severity.

A rule maps to one Dagster asset check; its expectations may be several (reliability is checked per
source). Thresholds and severities come from `thresholds.yml`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.yml")
IDENTIFIER_RULES = ("known_clients", "known_id_types", "no_collisions")
# Reliability and stale share are columns of int_identifier_quality: the suite checks them, never recomputes.
QUALITY_RULES = ("reliability_per_source", "stale_share")
# No rule for "completed after requested": the loader quarantines such rows, so it could never fail.
ANALYSIS_RULES = ("known_clients", "plausible_duration", "known_decisions", "open_not_stuck")
ROW_ID_COLUMNS = {"entity_identifiers": ["client_id", "id_type", "id_value", "source"],
                  "identifier_quality": ["scope_type", "scope_value"],
                  "entity_analyses": ["analysis_id", "client_id"]}
SUITE_RULES = {"entity_identifiers": IDENTIFIER_RULES, "identifier_quality": QUALITY_RULES,
               "entity_analyses": ANALYSIS_RULES}


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
    for suite, names in SUITE_RULES.items():
        for name in names:
            severity = config.get(suite, {}).get(name, {}).get("severity")
            if severity not in ("ERROR", "WARN"):
                raise ValueError(f"{path}: {suite}.{name}.severity must be ERROR or WARN, not {severity!r}")
    return config


def identifier_rules(known_types: list[str], config: dict) -> list[Rule]:
    """Rules over intermediate.int_identifier_checks (one row per identifier observation)."""
    import great_expectations.expectations as gxe

    c = config["entity_identifiers"]
    return [
        Rule("known_clients", c["known_clients"]["severity"], "every identifier belongs to a known client",
             [gxe.ExpectColumnValuesToBeInSet(column="is_known_client", value_set=[True])]),
        Rule("known_id_types", c["known_id_types"]["severity"], "every id_type has a validator",
             [gxe.ExpectColumnValuesToBeInSet(column="id_type", value_set=known_types)]),
        Rule("no_collisions", c["no_collisions"]["severity"], "no (id_type, value) on more than one entity",
             [gxe.ExpectColumnValuesToBeInSet(column="has_collision", value_set=[False])]),
    ]


def quality_rules(config: dict) -> list[Rule]:
    """Rules over intermediate.int_identifier_quality (one row for all, one per source, one per id_type).
    A share of no rows is NULL, which the expectations skip: with no identifiers nothing is unreliable."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    c = config["identifier_quality"]
    return [
        Rule("reliability_per_source", c["reliability_per_source"]["severity"],
             f"reliability >= {c['reliability_per_source']['min']} for every source",
             [gxe.ExpectColumnValuesToBeBetween(column="reliability", min_value=c["reliability_per_source"]["min"],
                                                row_condition=Column("scope_type") == "source")]),
        Rule("stale_share", c["stale_share"]["severity"], f"stale share <= {c['stale_share']['max']}",
             [gxe.ExpectColumnValuesToBeBetween(column="stale_share", max_value=c["stale_share"]["max"],
                                                row_condition=Column("scope_type") == "all")]),
    ]


def analysis_rules(config: dict) -> list[Rule]:
    """Rules over intermediate.int_entity_analyses (one row per analysis)."""
    import great_expectations.expectations as gxe

    c = config["entity_analyses"]
    return [
        Rule("known_clients", c["known_clients"]["severity"], "every analysis is of a known client",
             [gxe.ExpectColumnValuesToBeInSet(column="is_known_client", value_set=[True])]),
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

"""docs/metrics.md section 6, identifiers and new-entity analyses, read from the marts of the real run."""

from __future__ import annotations

import json

import pytest

from tests.conftest import query


def test_thirteen_rows_ten_reliable_one_stale(warehouse):
    rows, reliable, stale = query(warehouse, "SELECT count(*), count(*) FILTER (WHERE is_reliable), "
                                             "count(*) FILTER (WHERE is_stale) FROM marts.fct_identifier_checks")[0]
    assert (rows, reliable, stale) == (13, 10, 1)
    assert reliable / rows == pytest.approx(0.7692, abs=1e-4)
    assert query(warehouse, "SELECT client_id, id_type FROM marts.fct_identifier_checks WHERE is_stale") == [
        ("C05", "KPP")]


def test_reliability_by_source(warehouse):
    rows = query(warehouse, "SELECT source, identifier_rows, reliable_rows FROM marts.fct_identifier_quality_by_source "
                            "ORDER BY source")
    assert rows == [("bank", 1, 1), ("crm", 5, 4), ("manual", 2, 0), ("registry", 5, 5)]


def test_conflicts_collision_and_warning(warehouse):
    conflicts = query(warehouse, "SELECT DISTINCT client_id, id_type FROM marts.fct_identifier_checks "
                                 "WHERE has_conflict ORDER BY 1, 2")
    assert conflicts == [("C02", "INN"), ("C05", "LEI")]
    collisions = query(warehouse, "SELECT DISTINCT id_type, normalized_value, client_id "
                                  "FROM marts.fct_identifier_checks WHERE has_collision ORDER BY client_id")
    assert collisions == [("INN", "7736050003", "C02"), ("INN", "7736050003", "C07")]
    assert query(warehouse, "SELECT client_id, id_type FROM marts.fct_identifier_checks WHERE has_warning") == [
        ("C05", "KPP")]


def test_problems_say_what_to_fix(warehouse):
    problems = dict(query(warehouse, "SELECT id_value, problems FROM marts.fct_identifier_checks "
                                     "WHERE client_id IN ('C02', 'C05') AND id_type IN ('INN', 'KPP')"))
    assert problems["7707083894"] == "INN invalid check digit; conflict: 2 values of INN for this entity"
    assert problems["77AB01001"] == ("KPP invalid format; stale: observed 2024-01-10, over 365 days before "
                                     "2026-05-31; warning: KPP on a sole proprietor")


def test_entity_verdicts(warehouse):
    verdicts = dict(query(warehouse, "SELECT client_id, verdict FROM marts.fct_entity_identifier_verdicts"))
    assert verdicts == {"C01": "valid", "C02": "problems", "C05": "problems", "C07": "problems"}


def test_analysis_durations_and_identifier_counts(warehouse):
    rows = query(warehouse, "SELECT analysis_id, is_open, duration_days, duration_weeks, age_days, identifier_count, "
                            "identifier_bucket FROM marts.fct_entity_analysis ORDER BY analysis_id")
    assert rows == [("A01", False, 42.0, 6.0, None, 3, "<=4"), ("A02", False, 35.0, 5.0, None, 3, "<=4"),
                    ("A05", False, 49.0, 7.0, None, 5, ">4"), ("A07", True, None, None, 58, 1, "<=4")]


def test_analysis_time_by_bucket(warehouse):
    rows = {bucket: (n, mean_days, mean_weeks, open_n) for bucket, n, mean_days, mean_weeks, open_n in query(
        warehouse, "SELECT identifier_bucket, completed_analyses, mean_days, mean_weeks, open_analyses "
                   "FROM marts.fct_entity_analysis_by_bucket WHERE bucket_scheme = 'survey'")}
    assert rows == {"<=4": (2, 38.5, 5.5, 1), ">4": (1, 49.0, 7.0, 0)}


def test_validation_and_quality_histories_are_kept(warehouse):
    [(success, unexpected, offending)] = query(
        warehouse, "SELECT success, unexpected_count, unexpected_rows FROM quality.expectation_results "
                   "WHERE suite = 'identifier_quality' AND rule = 'reliability_per_source'")
    assert (success, unexpected) == (False, 2)  # crm 0.8 and manual 0.0 are under the 0.95 of thresholds.yml
    assert sorted(r["scope_value"] for r in json.loads(offending)) == ["crm", "manual"]
    rows = query(warehouse, "SELECT scope_value, reliability FROM quality.identifier_quality_history "
                            "WHERE scope_type = 'source' ORDER BY scope_value")
    assert rows == [("bank", 1.0), ("crm", 0.8), ("manual", 0.0), ("registry", 1.0)]

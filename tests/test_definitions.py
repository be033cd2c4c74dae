"""The Dagster code location: every asset, check, job, schedule and sensor is there and wired."""

from __future__ import annotations

import dagster as dg
import pytest

from expectations.suites import ANALYSIS_RULES, IDENTIFIER_RULES
from pipelines.canonical import TABLES
from pipelines.definitions import build_definitions, defs
from pipelines.resources import WarehouseResource
from pipelines.schedules import REFRESH_JOB, landing_sensor
from pipelines.settings import Settings

MARTS = ["fct_process_kpis", "fct_client_funnel", "fct_deal_losses", "fct_losses_by_reason",
         "fct_contracts_ending", "dim_clients", "dim_employees", "fct_inbound_calls_daily", "fct_missed_calls",
         "fct_call_linking", "fct_unlinked_calls", "fct_deal_outcomes", "fct_bookings", "fct_stage_reach",
         "fct_time_in_stage", "fct_open_stage_stays", "fct_stage_dropoffs", "fct_leads", "fct_lead_kpis",
         "fct_leads_at_risk", "fct_identifier_checks",
         "fct_identifier_quality_by_source", "fct_identifier_quality_by_type", "fct_entity_identifier_verdicts",
         "fct_entity_analysis", "fct_entity_analysis_by_bucket"]


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_every_asset_is_defined(graph):
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    expected = {f"raw/{t}" for t in TABLES} | {f"staging/stg_{t}" for t in TABLES} | {f"marts/{m}" for m in MARTS} | {
        "raw/_load_ledger", "raw/phone_numbers", "staging/stg_client_phones", "intermediate/int_calls",
        "intermediate/int_inbound_calls", "intermediate/int_calendar_days", "intermediate/int_deals",
        "intermediate/int_deal_stage_passages", "intermediate/int_stage_stays", "intermediate/int_leads",
        "config/process_chain", "config/stage_catalog", "config/client_funnel_steps",
        "intermediate/int_funnel_events", "intermediate/int_process_events", "intermediate/int_process_cohorts",
        "intermediate/int_as_of", "intermediate/int_reporting_months",
        "intermediate/int_identifier_checks", "intermediate/int_entity_analyses", "validation/identifier_formats",
        "reports/management_report"}
    assert keys == expected


def test_marts_descend_from_the_ingestion_assets(graph):
    upstream = graph.get(dg.AssetKey(["marts", "fct_process_kpis"])).parent_keys
    assert dg.AssetKey(["intermediate", "int_process_cohorts"]) in upstream
    staged_from = graph.get(dg.AssetKey(["staging", "stg_calls"])).parent_keys
    assert staged_from == {dg.AssetKey(["raw", "calls"]), dg.AssetKey(["raw", "phone_numbers"])}


def test_every_asset_has_a_description_and_an_owner(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.owners, f"{key.to_user_string()} has no owner"


def test_checks_cover_ingestion_and_dbt_tests(graph):
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    for table in TABLES:
        assert (f"raw/{table}", "rows_accounted") in checks
        assert (f"raw/{table}", "no_quarantined_rows") in checks
    assert ("raw/_load_ledger", "no_rejected_files") in checks
    assert ("marts/fct_process_kpis",
            "unique_combination_fct_process_kpis_process__period_grain__period_start__slice_type__slice_value"
            ) in checks
    assert ("marts/fct_process_kpis", "assert_team_slices_add_up_to_all") in checks
    for rule in IDENTIFIER_RULES:
        assert ("intermediate/int_identifier_checks", f"gx_{rule}") in checks
    for rule in ANALYSIS_RULES:
        assert ("intermediate/int_entity_analyses", f"gx_{rule}") in checks
    assert len(checks) > 100


def test_expectation_checks_block_downstream(graph):
    blocking = {k.name for k in graph.asset_check_keys if graph.get_check_spec(k).blocking}
    assert {f"gx_{rule}" for rule in IDENTIFIER_RULES + ANALYSIS_RULES} <= blocking


def test_job_schedule_and_sensor():
    assert defs.resolve_job_def(REFRESH_JOB).executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Europe/Moscow")
    assert defs.resolve_sensor_def("landing_sensor").job_name == REFRESH_JOB


def test_schedule_follows_the_business_time_zone(tmp_path):
    settings = Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb", business_tz="Asia/Vladivostok")
    other = build_definitions(settings)
    assert other.resolve_schedule_def("nightly_refresh").execution_timezone == "Asia/Vladivostok"


def test_sensor_requests_a_run_only_when_files_land(tmp_path):
    warehouse = WarehouseResource(landing_dir=str(tmp_path), path=str(tmp_path / "w.duckdb"),
                                  business_tz="Europe/Moscow")
    with dg.build_sensor_context(resources={"warehouse": warehouse}) as context:
        assert isinstance(landing_sensor(context), dg.SkipReason)
        (tmp_path / "calls.csv").write_text("call_id\n")
        (tmp_path / "notes.txt").write_text("not a table\n")
        first = landing_sensor(context)
        assert isinstance(first, dg.RunRequest) and "calls.csv" in first.tags["salesfunnel/new_files"]
        assert isinstance(landing_sensor(context), dg.SkipReason)
        (tmp_path / "deal_stages__2026-06.csv").write_text("deal_id\n")
        second = landing_sensor(context)
        assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key
        assert second.tags["salesfunnel/new_files"] == "deal_stages__2026-06.csv"
        assert second.asset_selection is None  # sales data: the whole graph


def test_a_new_entity_file_refreshes_only_the_entity_assets(tmp_path):
    warehouse = WarehouseResource(landing_dir=str(tmp_path), path=str(tmp_path / "w.duckdb"),
                                  business_tz="Europe/Moscow")
    (tmp_path / "calls.csv").write_text("call_id\n")
    with dg.build_sensor_context(resources={"warehouse": warehouse}) as context:
        landing_sensor(context)
        (tmp_path / "entity_identifiers__new_client.csv").write_text("client_id\n")
        request = landing_sensor(context)
    selected = {k.to_user_string() for k in request.asset_selection}
    assert request.tags["salesfunnel/scope"] == "entities"
    assert {"raw/entity_identifiers", "validation/identifier_formats", "intermediate/int_identifier_checks",
            "marts/fct_entity_identifier_verdicts"} <= selected
    assert not selected & {"raw/calls", "marts/fct_process_kpis", "intermediate/int_as_of"}

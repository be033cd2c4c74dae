"""The Dagster code location: every asset, check, job, schedule and sensor is there and wired."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import dagster as dg
import pytest

import dashboards.report
from dashboards.report import REPORT_TABLES
from expectations.suites import SUITE_RULES
from pipelines.canonical import TABLES
from pipelines.definitions import build_definitions, defs
from pipelines.publish import PUBLISHED_KEY
from pipelines.quality.expectation_checks import EXPECTATION_RESULTS_KEY, SUITES, check_name
from pipelines.resources import WarehouseResource
from pipelines.schedules import REFRESH_JOB, entity_asset_keys, landing_sensor
from pipelines.settings import Settings
from pipelines.transform.assets import (
    DbtBuildConfig,
    _assert_every_build_reported,
    dbt_entity_marts,
    dbt_models,
    selected_nodes,
)
from pipelines.transform.project import dbt_project, ensure_manifest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def describe(graph) -> str:
    """The asset graph as text, one asset per paragraph: its key, what it reads, its checks."""
    blocks = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        lines = [key.to_user_string()]
        lines += [f"  <- {parent.to_user_string()}" for parent in sorted(node.parent_keys, key=str)]
        lines += [f"  check {check.name}" for check in sorted(node.check_keys, key=lambda c: c.name)]
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"


def test_asset_graph_matches_its_snapshot(graph):
    """An asset, dependency or check added or lost shows in review as a change of the snapshot file.
    After an intended change: SALESFUNNEL_UPDATE_SNAPSHOT=1 pytest tests/test_definitions.py."""
    current = describe(graph)
    if os.environ.get("SALESFUNNEL_UPDATE_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text(), "the asset graph changed: see the diff, then update the snapshot"


def test_the_report_declares_every_table_it_reads(graph):
    """The report asset waits for exactly the tables load_report_data queries, and each is an asset."""
    source = Path(dashboards.report.__file__).read_text()
    queried = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+\.[a-z_]+)\b", source))
    assert queried == set(REPORT_TABLES)
    report_inputs = graph.get(dg.AssetKey(["reports", "management_report"])).parent_keys
    assert report_inputs == {dg.AssetKey(table.split(".")) for table in REPORT_TABLES}


def test_every_canonical_table_is_loaded_and_staged(graph):
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"raw/{t}" for t in TABLES} | {f"staging/stg_{t}" for t in TABLES} <= keys


def test_marts_descend_from_the_ingestion_assets(graph):
    upstream = graph.get(dg.AssetKey(["intermediate", "int_process_kpi_periods"])).parent_keys
    assert dg.AssetKey(["intermediate", "int_process_cohorts"]) in upstream
    assert dg.AssetKey(["intermediate", "int_process_kpi_periods"]) in graph.get(
        dg.AssetKey(["marts", "fct_process_kpis"])).parent_keys
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
    for suite in SUITES:
        for rule in SUITE_RULES[suite.name]:
            assert ("quality/expectation_results", check_name(suite.name, rule)) in checks
    assert len(checks) > 100


def test_expectations_block_the_entity_marts_and_nothing_else(graph):
    gx_checks = [k for k in graph.asset_check_keys if k.asset_key == EXPECTATION_RESULTS_KEY]
    assert gx_checks and all(graph.get_check_spec(k).blocking for k in gx_checks)
    waiting = {k.to_user_string() for k in graph.get(EXPECTATION_RESULTS_KEY).child_keys}
    assert waiting == {"marts/fct_identifier_checks", "marts/fct_identifier_quality_by_source",
                       "marts/fct_identifier_quality_by_type", "marts/fct_entity_identifier_verdicts",
                       "marts/fct_entity_analysis", "marts/fct_entity_analysis_by_bucket"}


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


def test_publication_waits_for_every_other_asset(graph):
    """Dagster runs the publication only after everything it depends on: it depends on every asset."""
    others = set(graph.materializable_asset_keys) - {PUBLISHED_KEY}
    assert set(graph.get_ancestor_asset_keys(PUBLISHED_KEY)) == others


def test_a_dbt_build_whose_events_were_lost_fails_its_step():
    """Else its assets stay unmaterialised, later steps are skipped and the run 'succeeds' unpublished."""
    selected = ["model.salesfunnel.fct_process_kpis", "seed.salesfunnel.process_chain"]
    _assert_every_build_reported(selected, {*selected, "model.salesfunnel.other_step"})
    with pytest.raises(dg.Failure, match="dbt built model.salesfunnel.fct_process_kpis but its events were lost"):
        _assert_every_build_reported(selected, {"seed.salesfunnel.process_chain"})


def test_a_dbt_step_expects_the_models_and_seeds_of_its_selected_assets():
    """What the lost-events check and the basis of incremental models go by: the whole first step, or
    only its entity models in an entity-only run."""
    manifest = json.loads(ensure_manifest(dbt_project).read_text())

    def tagged(*tags: str) -> set[str]:
        return {uid for uid, node in manifest["nodes"].items()
                if node["resource_type"] in ("model", "seed") and set(node["tags"]) & set(tags)}

    seeds = {uid for uid in manifest["nodes"] if uid.startswith("seed.")}
    assert set(selected_nodes(dbt_models.keys, manifest)) == tagged("sales", "entity_checks") | seeds
    assert set(selected_nodes(set(entity_asset_keys()), manifest)) == tagged("entity_checks", "entity_marts")
    assert set(selected_nodes(dbt_entity_marts.keys, manifest)) == tagged("entity_marts")


def test_the_dbt_resource_knows_its_version_without_starting_dbt():
    """The two dagster-dbt hooks the pipeline's resource replaces still exist (an upgrade that renames
    them would silently cost 6 s a step again), and the version it reports is what `dbt --version` says."""
    import subprocess

    from dagster_dbt import DbtCliResource

    from pipelines.transform.assets import PipelineDbtCliResource, dbt_resource
    from pipelines.transform.project import DBT_EXECUTABLE

    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(dir(DbtCliResource))
    resource = dbt_resource()
    assert isinstance(resource, PipelineDbtCliResource) and resource._initialize_dbt_core_adapter(["build"]) is None
    said = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"installed:\s*(\S+)", said).group(1) == str(resource._cli_version)


def test_the_days_to_rebuild_of_the_launchpad_reach_dbt_or_fail_clearly():
    assert DbtBuildConfig().days_to_rebuild() == {}
    assert DbtBuildConfig(rebuild_from="2026-04-01", rebuild_through="2026-04-30").days_to_rebuild() == {
        "SALESFUNNEL_REBUILD_FROM": "2026-04-01", "SALESFUNNEL_REBUILD_THROUGH": "2026-04-30"}
    for half_or_bad in ({"rebuild_from": "2026-04-01"}, {"rebuild_from": "April", "rebuild_through": "2026-04-30"}):
        with pytest.raises(dg.Failure, match="must both be dates"):
            DbtBuildConfig(**half_or_bad).days_to_rebuild()
    with pytest.raises(dg.Failure, match="is after"):
        DbtBuildConfig(rebuild_from="2026-04-30", rebuild_through="2026-04-01").days_to_rebuild()

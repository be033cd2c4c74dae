"""Great Expectations checks in Dagster: ERROR blocks the entity marts and the publication, WARN does not
(in-process runs)."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest
import yaml

from expectations.suites import THRESHOLDS_FILE, load_thresholds
from pipelines.run_events import failed_checks
from pipelines.runner import run_refresh
from pipelines.settings import Settings
from pipelines.warehouse_copies import work_path
from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE

COLLISIONS = ("quality/expectation_results", "entity_identifiers__no_collisions")


def check_evaluations(result) -> dict[tuple[str, str], object]:
    return {(e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def materialised(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_warn_failures_show_with_offending_rows_and_block_nothing(worked_run):
    evaluation = check_evaluations(worked_run)[COLLISIONS]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    offending = evaluation.metadata["offending_rows"].value
    assert sorted((r["client_id"], r["id_value"]) for r in offending) == [("C02", "7736050003"), ("C07", "7736050003")]
    assert evaluation.metadata["unexpected_count"].value == 2
    assert {"marts/fct_identifier_checks", "marts/fct_entity_analysis"} <= materialised(worked_run)


def test_an_error_failure_blocks_the_entity_marts_and_the_publication(tmp_path, monkeypatch):
    config = yaml.safe_load(THRESHOLDS_FILE.read_text())
    config["entity_identifiers"]["no_collisions"]["severity"] = "ERROR"
    strict = tmp_path / "strict.yml"
    strict.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("SALESFUNNEL_EXPECTATIONS", str(strict))
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    settings = Settings(landing=landing, warehouse=tmp_path / "w.duckdb", as_of=WORKED_AS_OF)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_refresh(settings, instance=instance)

    evaluation = check_evaluations(result)[COLLISIONS]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "quality/expectation_results:entity_identifiers__no_collisions (ERROR)" in failed_checks(result.all_events)
    built = materialised(result)
    assert {"marts/fct_process_kpis", "intermediate/int_identifier_checks", "quality/expectation_results",
            "quality/identifier_quality_history"} <= built  # the failing outcome is kept in the history
    assert not {k for k in built if k.startswith(("marts/fct_identifier", "marts/fct_entity", "published/"))}
    # Built in the run's working copy, not published: readers keep the last good version (none yet).
    assert not settings.warehouse.exists()
    with duckdb.connect(str(work_path(settings.warehouse)), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'marts'").fetchall()}
    assert "fct_process_kpis" in tables and "fct_identifier_checks" not in tables


def test_thresholds_config_is_validated(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yml"
    bad.write_text(THRESHOLDS_FILE.read_text().replace("known_clients: {severity: ERROR}",
                                                       "known_clients: {severity: FATAL}", 1))
    monkeypatch.setenv("SALESFUNNEL_EXPECTATIONS", str(bad))
    with pytest.raises(ValueError, match="entity_identifiers.known_clients.severity must be ERROR or WARN"):
        load_thresholds()


def test_data_docs_are_built(worked_run, worked_settings):
    """The index, and a page per suite for this run's validation, linked from the index."""
    site = worked_settings.warehouse.parent / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site"
    index = (site / "index.html").read_text()
    for suite in ("entity_identifiers", "identifier_quality", "entity_analyses"):
        [page] = (site / "validations" / suite).rglob("*.html")
        assert str(page.relative_to(site)) in index


def test_great_expectations_gets_only_the_columns_its_rules_read():
    """The checked column of each expectation and the column of its row condition, nothing else."""
    from expectations.runner import checked_columns
    from expectations.suites import quality_rules

    assert checked_columns(quality_rules(load_thresholds())) == ["reliability", "scope_type", "stale_share"]

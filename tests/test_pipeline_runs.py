"""Whole-graph runs on the worked example: checks pass, reruns change nothing, metadata is there."""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date

import dagster as dg
import duckdb

from pipelines.definitions import defs
from pipelines.run_events import failed_checks
from pipelines.runner import built_nothing, run_refresh
from pipelines.schedules import entity_asset_keys
from pipelines.settings import REPO_ROOT, Settings
from pipelines.transform.assets import UNBUILT_CHECKS_LOGGER
from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE

MART_TABLES = ["fct_process_kpis", "fct_client_funnel", "fct_deal_losses", "fct_losses_by_reason",
               "fct_contracts_ending", "dim_clients", "dim_employees", "fct_deal_outcomes", "fct_stage_reach",
               "fct_time_in_stage", "fct_lead_kpis", "fct_leads_at_risk", "fct_inbound_calls_daily"]


def snapshot(warehouse) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM marts.{t}").fetchall())) for t in MART_TABLES}


def worked_copy(tmp_path) -> Settings:
    """The worked example copied to a landing folder of its own (tests add files to it), its warehouse."""
    shutil.copytree(WORKED_EXAMPLE, tmp_path / "landing")
    return Settings(landing=tmp_path / "landing", warehouse=tmp_path / "w.duckdb", as_of=WORKED_AS_OF)


def test_every_asset_materialised_and_only_the_planted_defects_fail_checks(worked_run):
    materialised = {e.asset_key.to_user_string() for e in worked_run.get_asset_materialization_events()}
    assert {"raw/calls", "staging/stg_calls", "marts/fct_process_kpis", "marts/fct_client_funnel"} <= materialised
    assert materialised == {k.to_user_string() for k in defs.resolve_asset_graph().materializable_asset_keys}
    # The worked example plants identifier defects: the two WARN rules they break fail, nothing else.
    assert sorted(failed_checks(worked_run.all_events)) == [
        "quality/expectation_results:entity_identifiers__no_collisions (WARN)",
        "quality/expectation_results:identifier_quality__reliability_per_source (WARN)"]


def test_ingestion_metadata_shows_the_row_accounting(worked_run):
    [calls] = [e for e in worked_run.get_asset_materialization_events()
               if e.asset_key == dg.AssetKey(["raw", "calls"])]
    metadata = calls.materialization.metadata
    assert {k: metadata[k].value for k in ("rows_in", "rows_loaded", "rows_duplicate", "rows_quarantined")} == {
        "rows_in": 26, "rows_loaded": 25, "rows_duplicate": 1, "rows_quarantined": 0}


def test_rerun_and_resent_files_leave_every_mart_unchanged(tmp_path):
    settings = worked_copy(tmp_path)
    landing = settings.landing
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings, instance=instance).success
        first = snapshot(settings.warehouse)
        # The same export sent again under another name with Windows line ends (other bytes, same
        # rows), and a byte-identical copy, beside the files already loaded.
        text = (landing / "deal_stages.csv").read_text()
        (landing / "deal_stages__resent.csv").write_bytes(text.replace("\n", "\r\n").encode())
        shutil.copy(landing / "calls.csv", landing / "calls__copy.csv")
        assert run_refresh(settings, instance=instance).success
    assert snapshot(settings.warehouse) == first
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT rows_in, rows_loaded, rows_duplicate FROM raw._load_ledger "
                           "WHERE file_name = 'deal_stages__resent.csv'").fetchall() == [(20, 0, 20)]
        assert con.execute("SELECT count(*) FROM raw._load_ledger").fetchall() == [(10,)]  # 9 files + 1 re-sent


def test_broken_file_loads_good_rows_and_the_run_warns(tmp_path):
    settings = worked_copy(tmp_path)
    with (settings.landing / "calls__late.csv").open("w") as fh:
        fh.write("call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome\n"
                 "K900,2026-04-10T10:00:00+03:00,outbound,E1,C16,+7,ANSWERED,60,refused\n"
                 "K901,not a time,outbound,E1,C16,+7,ANSWERED,60,refused\n")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_refresh(settings, instance=instance)
    assert result.success
    assert "raw/calls:no_quarantined_rows (WARN)" in failed_checks(result.all_events)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT file_name, line, reason FROM raw._quarantine").fetchall() == [
            ("calls__late.csv", 3, "bad timestamp in started_at: not a time")]
        assert con.execute("SELECT dials, inputs FROM marts.fct_process_kpis WHERE process = 'client_search' "
                           "AND period_grain = 'month' AND period_start = DATE '2026-04-01' "
                           "AND slice_type = 'all'").fetchall() == [(2, 2)]


def test_a_run_with_nothing_new_builds_nothing_until_something_changes(tmp_path, caplog):
    settings = worked_copy(tmp_path)
    landing = settings.landing
    with dg.DagsterInstance.ephemeral() as instance:
        first = run_refresh(settings, instance=instance)
        assert first.success and not built_nothing(first)
        built = snapshot(settings.warehouse)
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger=UNBUILT_CHECKS_LOGGER.name):
            again = run_refresh(settings, instance=instance)
        assert built_nothing(again)
        # The checks of the models not built give no result; Dagster's line for each is kept at debug.
        levels = {r.levelname for r in caplog.records
                  if r.name == UNBUILT_CHECKS_LOGGER.name and r.getMessage().startswith("Blocking asset check")}
        assert levels == {"DEBUG"}
        skipped = {e.step_key for e in again.all_events if e.event_type_value == "STEP_SKIPPED"}
        assert {"dbt_models", "dbt_entity_marts", "reports__management_report"} <= skipped
        assert snapshot(settings.warehouse) == built
        # On demand, everything is built all the same, to the same marts.
        rebuilt = run_refresh(settings, instance=instance, rebuild=True)
        assert len(rebuilt.get_asset_materialization_events()) == len(first.get_asset_materialization_events())
        assert snapshot(settings.warehouse) == built
        # Another as-of date is another build.
        other_day = Settings(landing=landing, warehouse=settings.warehouse, as_of=date(2026, 4, 30))
        assert not built_nothing(run_refresh(other_day, instance=instance))
        assert snapshot(settings.warehouse) != built
        # A file with new rows is another build.
        (landing / "calls__late.csv").write_text(
            "call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome\n"
            "K900,2026-04-10T10:00:00+03:00,outbound,E1,C16,+7,ANSWERED,60,refused\n")
        assert not built_nothing(run_refresh(settings, instance=instance))
        assert built_nothing(run_refresh(settings, instance=instance))


def test_a_new_entity_file_is_judged_by_an_entity_only_run(tmp_path):
    """What the sensor starts when only identifiers land: the entity assets and nothing else, the new
    observation in the verdict, the sales marts as they were."""
    settings = worked_copy(tmp_path)
    landing = settings.landing
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings, instance=instance).success
        sales = snapshot(settings.warehouse)
        (landing / "entity_identifiers__new.csv").write_text(
            "client_id,id_type,id_value,source,observed_at\nC02,INN,7736050003,registry,2026-05-30\n")
        judged = run_refresh(settings, instance=instance, entities_only=True)
        assert judged.success
        materialised = {e.asset_key for e in judged.get_asset_materialization_events()}
        assert materialised == set(entity_asset_keys())
        assert snapshot(settings.warehouse) == sales
        # The report reads the entity marts too: the next complete run builds, the one after it not.
        assert not built_nothing(run_refresh(settings, instance=instance))
        assert built_nothing(run_refresh(settings, instance=instance))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT last_observed_at::date FROM marts.fct_entity_identifier_verdicts "
                           "WHERE client_id = 'C02'").fetchall() == [(date(2026, 5, 30),)]


def test_the_readme_queries_run(worked_run, worked_settings):
    """The README's query commands, as a shell hands them to Python, on the worked example's warehouse."""
    commands = re.findall(r'^\.venv/bin/python -c ".*?"\)\)"$', (REPO_ROOT / "README.md").read_text(), re.M | re.S)
    assert len(commands) == 2
    for command in commands:
        code = re.sub(r"'[^']*\.duckdb'", repr(str(worked_settings.warehouse)), shlex.split(command)[2])
        shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith("┌")  # DuckDB's table of the rows

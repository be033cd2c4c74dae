"""Nightly deliveries against one full build: data that arrives in two runs (the second with rows dated
before the first run's last day: late-arriving rows) gives the same marts, intermediate and staging
tables, every one of them, as the same files loaded and built in a single run; the second run takes in
only its new loads (the incremental models are not rebuilt). On the worked example and on generated
demo data; tests/test_incremental_calls.py adds newer versions of calls and clients."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.definitions import build_definitions
from pipelines.demo.generator import write_demo_data
from pipelines.runner import run_refresh
from pipelines.schedules import REFRESH_JOB
from pipelines.settings import Settings
from pipelines.warehouse_copies import work_path
from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE, dbt_test

# The column that dates each row of a table; the others (employees, clients) arrive whole in the first
# delivery: identifiers of a client not yet known are an ERROR by design (they block the entity marts).
DATED_BY = {"calls": "started_at", "deal_stages": "entered_at", "leads": "created_at", "lead_callbacks": "set_at",
            "contracts": "signed_at", "entity_identifiers": "observed_at", "entity_analyses": "requested_at"}
LATE_EVERY = 7  # every 7th row dated before the cut arrives only with the second delivery


def split_into_deliveries(source: Path, first: Path, second: Path, cut: str) -> None:
    """Each table's rows dated before `cut` go to the first delivery (except the late-arriving ones),
    the rest to the second; files are `<table>__1.csv` and `<table>__2.csv`, text kept as it was."""
    for path in sorted(source.glob("*.csv")):
        table = path.stem
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        column = DATED_BY.get(table)
        if column is None:
            frame.to_csv(first / f"{table}__1.csv", index=False)
            continue
        early = frame[column].str[:10] < cut
        late_arrival = early & (pd.Series(range(len(frame)), index=frame.index) % LATE_EVERY == 0)
        frame[early & ~late_arrival].to_csv(first / f"{table}__1.csv", index=False)
        frame[~early | late_arrival].to_csv(second / f"{table}__2.csv", index=False)


# Which load a row came with, or was rewritten in, differs between two deliveries and one; nothing
# downstream reads it but the incremental models.
LOAD_COLUMNS = ("load_id", "last_load_id", "merged_load_id")
# A run's lists of work (what the incremental models derive again), not results.
WORK_LISTS = ("intermediate.int_changed_subjects", "intermediate.int_changed_event_days")


def marts(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Every table of the marts, intermediate and staging schemas, rows sorted, floats to 9 decimals
    (sums of doubles may differ in the last bits between two DuckDB runs of the same query)."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                            "WHERE table_schema IN ('marts', 'intermediate', 'staging') ORDER BY 1, 2").fetchall()
        for schema, name in names:
            if f"{schema}.{name}" in WORK_LISTS:
                continue
            frame = con.execute(f"SELECT * FROM {schema}.{name}").df().drop(columns=list(LOAD_COLUMNS),
                                                                            errors="ignore")
            floats = frame.select_dtypes("float").columns
            frame[floats] = frame[floats].round(9)
            out[f"{schema}.{name}"] = frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)
    return out


def full_refreshes(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The dbt steps' notes that they rebuilt the incremental models in full."""
    return [entry.user_message for entry in instance.all_logs(run_id)
            if entry.user_message.startswith("full refresh:")]


STAGING_OF = {"clients": ("stg_clients", "stg_client_phones", "personal_client_names"),
              "employees": ("stg_employees", "personal_employee_names")}


def left_as_built(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """The staging tables and seeds a run did not rebuild, their inputs unchanged (transform/unchanged.py)."""
    notes = [entry.user_message for entry in instance.all_logs(run_id)
             if entry.user_message.startswith("not rebuilt, no load")]
    return {name for note in notes for name in note.split(": ", 1)[1].split(", ")}


def assert_same_marts(incremental: dict[str, pd.DataFrame], full: dict[str, pd.DataFrame]) -> None:
    assert sorted(incremental) == sorted(full)
    for name in full:
        pd.testing.assert_frame_equal(incremental[name], full[name], check_exact=False, rtol=1e-9, obj=name)


def two_deliveries(source: Path, cut: str, tmp_path: Path) -> tuple[Path, Path]:
    """The folders `first` and `second` under tmp_path, holding `source` split at `cut`."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    split_into_deliveries(source, first, second, cut)
    return first, second


def land(delivery: Path, landing: Path) -> None:
    for path in delivery.iterdir():
        shutil.copy(path, landing)


def build_in_two_deliveries_and_at_once(source: Path, cut: str, tmp_path: Path, as_of=None):
    return build_nightly_and_at_once(*two_deliveries(source, cut, tmp_path), tmp_path, as_of)


def build_nightly_and_at_once(first: Path, second: Path, tmp_path: Path, as_of=None, changes_events=True):
    """The files of `first`, then those of `second`, in two runs into one warehouse; and all of them in
    one run into another. The tables of both, and the second nightly run must not rebuild in full
    (nor derive again the events of every subject; of none when `second` changes no event)."""
    nightly, at_once = tmp_path / "nightly", tmp_path / "at_once"
    nightly.mkdir(), at_once.mkdir()
    for delivery in (first, second):
        land(delivery, at_once)
    with dg.DagsterInstance.ephemeral() as instance:
        for delivery in (first, second):
            land(delivery, nightly)
            settings = Settings(landing=nightly, warehouse=tmp_path / "nightly.duckdb", as_of=as_of)
            result = run_refresh(settings, instance=instance, log_level="ERROR")
            assert result.success
        assert not full_refreshes(instance, result.run_id)  # the second delivery went in incrementally
        # The staging tables of what the second delivery did not bring stay as built, the others are built.
        delivered = {path.name.split("__")[0] for path in second.iterdir()}
        left = left_as_built(instance, result.run_id)
        for table, names in STAGING_OF.items():
            assert set(names).isdisjoint(left) if table in delivered else set(names) <= left
        with duckdb.connect(str(tmp_path / "nightly.duckdb"), read_only=True) as con:
            rebuilt, subjects = con.execute(
                "SELECT (SELECT count(*) FROM intermediate.int_changed_subjects), "
                "(SELECT count(DISTINCT (subject_type, subject_id)) FROM intermediate.int_funnel_events)").fetchone()
        assert (rebuilt > 0 if changes_events else rebuilt == 0) and rebuilt < subjects
        full = Settings(landing=at_once, warehouse=tmp_path / "at_once.duckdb", as_of=as_of)
        assert run_refresh(full, instance=instance, log_level="ERROR").success
    return marts(tmp_path / "nightly.duckdb"), marts(tmp_path / "at_once.duckdb")


@pytest.fixture(autouse=True)
def one_phone_key(monkeypatch):
    """Both warehouses hash phone numbers with one key (each would otherwise draw its own)."""
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "incremental-equals-full")


def test_worked_example_in_two_deliveries_equals_one_build(tmp_path):
    incremental, full = build_in_two_deliveries_and_at_once(WORKED_EXAMPLE, "2026-04-15", tmp_path, WORKED_AS_OF)
    assert full["marts.fct_process_kpis"].shape[0] > 0
    assert_same_marts(incremental, full)


@pytest.mark.parametrize("seed", [5])
def test_generated_data_in_two_deliveries_equals_one_build(tmp_path, seed):
    source = tmp_path / "generated"
    write_demo_data(source, scale=0.004, seed=seed)
    # The as-of date moves with the data here: the first run's is earlier than the second's.
    incremental, full = build_in_two_deliveries_and_at_once(source, "2026-06-01", tmp_path)
    assert full["marts.fct_process_kpis"].shape[0] > 0 and full["marts.fct_leads_at_risk"].shape[0] > 0
    assert_same_marts(incremental, full)



def test_an_earlier_as_of_date_and_back_equals_one_build_at_each(tmp_path):
    """An analyst's run as of an earlier date on a nightly warehouse cuts the later events off, and the
    next nightly run takes them in again: each equals one build at its date, without a full refresh."""
    landing = tmp_path / "landing"
    write_demo_data(landing, scale=0.004, seed=11)
    earlier = date(2026, 5, 20)
    with dg.DagsterInstance.ephemeral() as instance:
        def build(warehouse: str, as_of=None) -> dg.ExecuteInProcessResult:
            result = run_refresh(Settings(landing=landing, warehouse=tmp_path / warehouse, as_of=as_of),
                                 instance=instance, log_level="ERROR")
            assert result.success
            return result
        build("nightly.duckdb")
        assert not full_refreshes(instance, build("nightly.duckdb", earlier).run_id)
        build("at_earlier.duckdb", earlier)
        assert_same_marts(marts(tmp_path / "nightly.duckdb"), marts(tmp_path / "at_earlier.duckdb"))
        assert not full_refreshes(instance, build("nightly.duckdb").run_id)
        build("at_latest.duckdb")
        assert_same_marts(marts(tmp_path / "nightly.duckdb"), marts(tmp_path / "at_latest.duckdb"))


def test_rebuilding_a_range_of_days_derives_their_events_again_and_changes_nothing(tmp_path):
    """A backfill of days without a full refresh (`run --rebuild-days`, the dbt_models config in the UI):
    the run derives again the calls and events of those days, and only those, with nothing new landed;
    the marts stay equal to one build."""
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    first, last = date(2026, 4, 1), date(2026, 4, 10)
    with dg.DagsterInstance.ephemeral() as instance:
        settings = Settings(landing=landing, warehouse=tmp_path / "nightly.duckdb", as_of=WORKED_AS_OF)
        assert run_refresh(settings, instance=instance, log_level="ERROR").success
        before = marts(settings.warehouse)
        result = run_refresh(settings, instance=instance, log_level="ERROR", rebuild=True, rebuild_days=(first, last))
        assert result.success and not full_refreshes(instance, result.run_id)
        left = left_as_built(instance, result.run_id)  # nothing landed: the staging tables stay as built
        assert {"stg_deal_stages", "stg_leads", "stg_clients", "stage_catalog"} <= left
        notes = [entry.user_message for entry in instance.all_logs(result.run_id)
                 if entry.user_message.startswith("incremental: the events of")]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rebuilt = set(con.execute("SELECT subject_type, subject_id FROM intermediate.int_changed_subjects").fetchall())
        in_range = set(con.execute(
            "SELECT subject_type, subject_id FROM intermediate.int_funnel_events WHERE occurred_on BETWEEN ? AND ? "
            "UNION SELECT 'call', call_id FROM intermediate.int_calls WHERE started_on BETWEEN ? AND ? "
            "UNION SELECT 'deal', deal_id FROM staging.stg_deal_stages WHERE entered_on BETWEEN ? AND ?",
            [first, last] * 3).fetchall())
    assert rebuilt and rebuilt == in_range
    kinds = [kind for kind, _ in rebuilt]
    assert notes == [f"incremental: the events of {kinds.count('call')} calls, {kinds.count('deal')} deals, "
                     f"{kinds.count('lead')} leads derived again (int_changed_subjects)"]
    assert_same_marts(marts(settings.warehouse), before)
    with dg.DagsterInstance.ephemeral() as instance:  # a full refresh builds every table
        refreshed = run_refresh(settings, instance=instance, log_level="ERROR", rebuild=True, full_refresh=True)
        assert refreshed.success and not left_as_built(instance, refreshed.run_id)


def test_a_run_that_selects_some_incremental_models_builds_them_whole_and_so_does_the_next(tmp_path):
    """A run that loads new calls and materialises some incremental models without the lists of what
    changed (the UI's "Materialize selected") builds those whole; the next full run, finding the models'
    last builds apart, builds every one whole once (the lists cannot tell what each missed) and equals
    one build; the run after it is incremental again."""
    (first, second), landing = two_deliveries(WORKED_EXAMPLE, "2026-04-15", tmp_path), tmp_path / "landing"
    landing.mkdir()
    settings = Settings(landing=landing, warehouse=tmp_path / "nightly.duckdb", as_of=WORKED_AS_OF)
    selection = [dg.AssetKey(["raw", "calls"]), dg.AssetKey(["staging", "stg_calls"]),
                 dg.AssetKey(["intermediate", "int_process_kpi_periods"])]
    with dg.DagsterInstance.ephemeral() as instance:
        def refresh(**options) -> dg.ExecuteInProcessResult:
            result = run_refresh(settings, instance=instance, log_level="ERROR", **options)
            assert result.success
            return result
        land(first, landing)
        refresh()
        land(second, landing)
        job = build_definitions(settings).resolve_job_def(REFRESH_JOB)
        partial = job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False)
        assert partial.success and full_refreshes(instance, partial.run_id) == [
            "full refresh: the selection leaves out int_changed_subjects, int_changed_event_days, which list "
            "what an incremental build derives again"]
        assert full_refreshes(instance, refresh().run_id) == [
            "full refresh: the incremental models were last built apart (a run selected some of them), from "
            "different loads or as-of dates"]
        assert not full_refreshes(instance, refresh(rebuild=True).run_id)
        at_once = Settings(landing=landing, warehouse=tmp_path / "at_once.duckdb", as_of=WORKED_AS_OF)
        assert run_refresh(at_once, instance=instance, log_level="ERROR").success
    assert_same_marts(marts(settings.warehouse), marts(at_once.warehouse))


def test_an_incremental_build_checks_the_keys_of_the_rows_it_wrote(tmp_path):
    """The uniqueness tests of the incremental models check, in an incremental build, the keys of the
    rows it wrote against the whole table (not all 15M keys again): a row written twice fails them."""
    (first, second), landing = two_deliveries(WORKED_EXAMPLE, "2026-04-15", tmp_path), tmp_path / "landing"
    landing.mkdir()
    settings = Settings(landing=landing, warehouse=tmp_path / "nightly.duckdb", as_of=WORKED_AS_OF)
    with dg.DagsterInstance.ephemeral() as instance:
        for delivery in (first, second):
            land(delivery, landing)
            assert run_refresh(settings, instance=instance, log_level="ERROR").success
    work = work_path(settings.warehouse)
    with duckdb.connect(str(work)) as con:  # as the second build saw it: the first build's last load
        first_load = con.execute("SELECT max(load_id) FROM raw._load_ledger WHERE file_name LIKE '%\\_\\_1.csv' "
                                 "ESCAPE '\\'").fetchone()[0]
        con.execute("UPDATE raw._incremental_basis SET through_load = ?", [first_load])

    selection = "int_funnel_events int_process_events stg_calls int_calls"

    assert dbt_test(selection, work, tmp_path / "target").returncode == 0
    with duckdb.connect(str(work)) as con:
        con.execute("""
            INSERT INTO intermediate.int_funnel_events
            SELECT * FROM intermediate.int_funnel_events
            WHERE (subject_type, subject_id) IN (SELECT subject_type, subject_id FROM intermediate.int_changed_subjects)
            LIMIT 1""")
        con.execute("INSERT INTO staging.stg_calls SELECT * FROM staging.stg_calls WHERE load_id > ? LIMIT 1",
                    [first_load])
    failed = dbt_test(selection, work, tmp_path / "target")
    assert failed.returncode == 1
    assert "FAIL 1 unique_combination_int_funnel_events_subject_type__subject_id" in failed.stdout
    assert "FAIL 1 unique_combination_stg_calls_call_id" in failed.stdout

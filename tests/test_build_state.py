"""The build fingerprint (what the marts are built from) and the incremental models' basis (what their
rows were made by). Unit tests on a small ledger."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.build_state import (
    BASIS_TABLE,
    built_apart,
    fingerprint,
    incremental_basis,
    last_build,
    last_load,
    loaded_tables_states,
    models_on_another_basis,
    record_basis,
    record_build,
    record_inputs,
    unchanged_since,
)

SETTINGS = {"business_tz": "Europe/Moscow", "as_of_date": None, "phone_region": "RU"}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw._load_ledger (load_id BIGINT, file_name VARCHAR, status VARCHAR, "
                "rows_loaded BIGINT, rows_quarantined BIGINT)")
    con.execute("INSERT INTO raw._load_ledger VALUES (1, 'calls.csv', 'loaded', 10, 0), "
                "(2, 'broken.csv', 'rejected', 0, 0)")
    return con


def test_recorded_build_is_the_last(con):
    assert last_build(con) is None
    record_build(con, "a", "run1")
    record_build(con, "b", "run2")
    assert last_build(con) == ("b", "run2")


def test_the_same_state_gives_the_same_fingerprint(con):
    assert fingerprint(con, SETTINGS) == fingerprint(con, dict(SETTINGS))


def test_a_rejected_file_retried_unchanged_changes_nothing(con):
    before = fingerprint(con, SETTINGS)
    con.execute("INSERT INTO raw._load_ledger VALUES (3, 'broken.csv', 'rejected', 0, 0)")
    assert fingerprint(con, SETTINGS) == before


@pytest.mark.parametrize("change", [
    "INSERT INTO raw._load_ledger VALUES (3, 'calls__more.csv', 'loaded', 5, 0)",
    "INSERT INTO raw._load_ledger VALUES (3, 'calls__bad_rows.csv', 'loaded', 0, 2)",
    "INSERT INTO raw._load_ledger VALUES (3, 'broken.csv', 'loaded', 4, 0)",
    "INSERT INTO raw._load_ledger VALUES (3, 'empty.csv', 'rejected', 0, 0)",
])
def test_new_data_or_a_newly_rejected_file_changes_it(con, change):
    before = fingerprint(con, SETTINGS)
    con.execute(change)
    assert fingerprint(con, SETTINGS) != before


def test_settings_and_outside_configuration_change_it(con, tmp_path, monkeypatch):
    before = fingerprint(con, SETTINGS)
    assert fingerprint(con, {**SETTINGS, "as_of_date": "2026-05-31"}) != before
    assert fingerprint(con, {**SETTINGS, "business_tz": "Asia/Yekaterinburg"}) != before
    report_config = tmp_path / "report.yml"
    report_config.write_text("language: ru\n")
    monkeypatch.setenv("SALESFUNNEL_REPORT_CONFIG", str(report_config))
    with_config = fingerprint(con, SETTINGS)
    assert with_config != before
    report_config.write_text("language: en\n")
    assert fingerprint(con, SETTINGS) != with_config


MODELS = ["model.salesfunnel.int_calls", "model.salesfunnel.stg_calls"]


def test_models_never_recorded_or_built_on_another_basis_are_stale(con):
    assert models_on_another_basis(con, MODELS, "b1") == MODELS
    record_basis(con, MODELS, "b1", through_load=3)
    assert models_on_another_basis(con, MODELS, "b1") == []
    record_basis(con, MODELS[:1], "b2", through_load=4)  # a run that built only one of them on a new basis
    assert models_on_another_basis(con, MODELS, "b2") == MODELS[1:]
    assert models_on_another_basis(con, MODELS, "b1") == MODELS[:1]


def test_a_build_records_the_last_load_it_took_in_and_its_as_of_date(con):
    assert last_load(con) == 2  # a rejected file takes a load id too
    con.execute("INSERT INTO raw._load_ledger (load_id) VALUES (7), (9)")
    assert last_load(con) == 9
    record_basis(con, MODELS, "b1", through_load=last_load(con))  # no int_as_of yet: no as-of date
    con.execute("CREATE SCHEMA intermediate")
    con.execute("CREATE TABLE intermediate.int_as_of AS SELECT DATE '2026-05-31' AS as_of_date")
    record_basis(con, MODELS[:1], "b1", through_load=9)
    assert con.execute(f"SELECT model, through_load, as_of_date FROM {BASIS_TABLE} ORDER BY model").fetchall() == [
        (MODELS[0], 9, date(2026, 5, 31)), (MODELS[1], 9, None)]


def test_models_whose_last_builds_took_in_different_loads_or_as_of_dates_were_built_apart(con):
    assert not built_apart(con, MODELS)  # nothing recorded
    record_basis(con, MODELS, "b1", through_load=3)
    assert not built_apart(con, MODELS)
    record_basis(con, MODELS[:1], "b1", through_load=4)  # a run that selected one of them
    assert built_apart(con, MODELS) and not built_apart(con, MODELS[:1])
    record_basis(con, MODELS[1:], "b1", through_load=4)
    assert not built_apart(con, MODELS)
    con.execute("CREATE SCHEMA intermediate")
    con.execute("CREATE TABLE intermediate.int_as_of AS SELECT DATE '2026-05-31' AS as_of_date")
    record_basis(con, MODELS[:1], "b1", through_load=4)  # the same loads at another as-of date
    assert built_apart(con, MODELS)


def test_the_as_of_date_leaves_the_basis_and_what_makes_rows_changes_it(con):
    before = incremental_basis(con, SETTINGS)
    assert incremental_basis(con, {**SETTINGS, "as_of_date": "2026-05-31"}) == before
    assert incremental_basis(con, {**SETTINGS, "business_tz": "Asia/Yekaterinburg"}) != before
    assert incremental_basis(con, {**SETTINGS, "engine": "spark"}) != before
    con.execute("CREATE TABLE raw.phone_numbers (raw_value VARCHAR, settings_id VARCHAR)")
    con.execute("INSERT INTO raw.phone_numbers VALUES ('+7 495 000', 'key-1')")
    with_phones = incremental_basis(con, SETTINGS)
    con.execute("UPDATE raw.phone_numbers SET settings_id = 'key-2'")  # another hash key or region
    assert incremental_basis(con, SETTINGS) != with_phones
    before_new_data = incremental_basis(con, SETTINGS)
    con.execute("INSERT INTO raw._load_ledger VALUES (3, 'calls__more.csv', 'loaded', 5, 0)")
    assert incremental_basis(con, SETTINGS) == before_new_data


def test_a_staging_table_is_unchanged_until_a_load_into_its_raw_tables_or_another_basis(con):
    con.execute("CREATE TABLE raw.clients (client_id VARCHAR, _load_id BIGINT)")
    con.execute("INSERT INTO raw.clients VALUES ('C1', 1)")
    con.execute("CREATE TABLE raw.phone_numbers (raw_value VARCHAR, phone_key VARCHAR)")
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.stg_clients AS SELECT client_id FROM raw.clients")
    reads = {"model.stg_clients": ["raw.clients", "raw.phone_numbers"]}
    state = loaded_tables_states(con, reads)["model.stg_clients"]
    tables = {"model.stg_clients": (state, "staging.stg_clients")}
    assert unchanged_since(con, tables, "b1") == {}  # never recorded
    record_inputs(con, {"model.stg_clients": state}, "b1")
    assert set(unchanged_since(con, tables, "b1")) == {"model.stg_clients"}
    assert unchanged_since(con, tables, "b2") == {}  # other code or settings
    con.execute("INSERT INTO raw.phone_numbers VALUES ('+7 495 000', 'k')")  # follows loads and the basis
    assert loaded_tables_states(con, reads) == {"model.stg_clients": state}
    con.execute("INSERT INTO raw.clients VALUES ('C1', 2)")  # a new load, even of a row seen before
    assert loaded_tables_states(con, reads) != {"model.stg_clients": state}
    con.execute("DROP TABLE staging.stg_clients")
    assert unchanged_since(con, tables, "b1") == {}  # a table someone dropped is built again


def test_a_table_reading_a_raw_table_that_is_not_loaded_is_always_built(con):
    con.execute("CREATE TABLE raw._settings (name VARCHAR, value VARCHAR)")
    assert loaded_tables_states(con, {"model.stg_settings": ["raw._settings"]}) == {}

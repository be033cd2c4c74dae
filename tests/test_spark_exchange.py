"""The DuckDB side of the Spark engine, without Spark: the engine setting, the environment dbt gets, and
tables through the exchange folder unchanged (tests/test_spark_engine.py builds on Spark itself)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.__main__ import main
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings
from pipelines.transform.spark_exchange import built_tables, export_tables, import_tables, source_tables, spark_env


def test_duckdb_is_the_default_engine_and_others_are_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SALESFUNNEL_ENGINE", raising=False)
    assert Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb").engine == "duckdb"
    monkeypatch.setenv("SALESFUNNEL_ENGINE", "spark")
    assert Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb").engine == "spark"
    with pytest.raises(ValueError, match="unknown engine 'trino'; use one of duckdb, spark"):
        Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb", engine="trino")


def test_the_command_line_refuses_an_unknown_engine(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--engine", "trino", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb")])
    assert "invalid choice: 'trino'" in capsys.readouterr().err


def test_dbt_gets_the_duckdb_target_unless_the_engine_is_spark(tmp_path, monkeypatch):
    for name in ("SALESFUNNEL_DBT_TARGET", "SALESFUNNEL_SPARK_DIR", "SALESFUNNEL_SPARK_EXCHANGE", "PYTHONWARNINGS",
                 "SALESFUNNEL_SPARK_EXCHANGE_URI", "SPARK_LOCAL_IP"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb", engine="duckdb")
    assert WarehouseResource.from_settings(settings).dbt_env()["SALESFUNNEL_DBT_TARGET"] == "local"

    env = WarehouseResource.from_settings(Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb",
                                                   engine="spark")).dbt_env()
    assert env["SALESFUNNEL_DBT_TARGET"] == "spark_session"
    assert env["SALESFUNNEL_SPARK_DIR"] == str(tmp_path / "w.spark")
    assert env["SALESFUNNEL_SPARK_EXCHANGE_URI"] == (tmp_path / "w.spark" / "exchange").as_uri()
    assert env["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert env["PYTHONWARNINGS"].startswith("ignore:PySpark does not yet fully support pandas")
    assert Path(env["SALESFUNNEL_SPARK_LOG4J"]).is_file()

    monkeypatch.setenv("SALESFUNNEL_DBT_TARGET", "spark_thrift")
    monkeypatch.setenv("SALESFUNNEL_SPARK_EXCHANGE", str(tmp_path / "shared mount"))
    env = spark_env(tmp_path / "w.duckdb")
    assert env["SALESFUNNEL_DBT_TARGET"] == "spark_thrift"
    assert env["SALESFUNNEL_SPARK_EXCHANGE_URI"] == (tmp_path / "shared mount").as_uri()  # %20: a URI
    monkeypatch.setenv("SALESFUNNEL_SPARK_EXCHANGE_URI", "s3a://sales-ops/exchange/")  # the bucket mounted here
    assert spark_env(tmp_path / "w.duckdb")["SALESFUNNEL_SPARK_EXCHANGE_URI"] == "s3a://sales-ops/exchange"
    monkeypatch.setenv("SALESFUNNEL_DBT_TARGET", "local")
    with pytest.raises(ValueError, match="'local' is not a Spark target: the engine is spark"):
        spark_env(tmp_path / "w.duckdb")


def test_tables_come_back_from_the_exchange_as_they_left(tmp_path):
    exchange = tmp_path / "exchange"
    rows = [(1, "a'b", datetime(2026, 5, 1, 9, 30), date(2026, 5, 1), Decimal("1.500000000"), 0.1, None),
            (2, "Обработка", None, None, None, 1 / 3, True)]
    with duckdb.connect(str(tmp_path / "a.duckdb")) as out:
        out.execute("CREATE SCHEMA raw")
        out.execute("CREATE TABLE raw.calls (n BIGINT, text VARCHAR, started_at TIMESTAMP, day DATE, "
                    "amount DECIMAL(38, 9), "
                    "ratio DOUBLE, flag BOOLEAN)")
        out.executemany("INSERT INTO raw.calls VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        out.execute("CREATE TABLE raw.empty (n BIGINT)")
        export_tables(out, exchange, [("raw", "calls"), ("raw", "empty")])
        export_tables(out, exchange, [("raw", "calls")])  # again: replaces, never appends
        types = out.execute("DESCRIBE raw.calls").fetchall()
    assert sorted(p.name for p in (exchange / "raw" / "calls").iterdir()) == ["part-0.parquet"]
    with duckdb.connect(str(tmp_path / "b.duckdb")) as back:
        import_tables(back, exchange, [("raw", "calls"), ("raw", "empty")])
        assert back.execute("SELECT * FROM raw.calls ORDER BY n").fetchall() == rows
        assert back.execute("DESCRIBE raw.calls").fetchall() == types
        assert back.execute("SELECT count(*) FROM raw.empty").fetchone() == (0,)


def test_the_tables_to_send_and_to_load_come_from_dbts_manifest():
    manifest = {
        "sources": {"source.p.raw.calls": {"schema": "raw", "identifier": "calls"},
                    "source.p.validation.formats": {"schema": "validation", "identifier": "identifier_formats"}},
        "nodes": {"model.p.stg_calls": {"resource_type": "model", "schema": "staging", "alias": "stg_calls"},
                  "model.p.fct_x": {"resource_type": "model", "schema": "marts", "alias": "fct_x"},
                  "seed.p.chain": {"resource_type": "seed", "schema": "config", "alias": "process_chain"},
                  "test.p.not_null": {"resource_type": "test", "schema": "marts", "alias": "not_null"}}}
    assert source_tables(manifest) == [("raw", "calls"), ("validation", "identifier_formats")]
    assert built_tables(manifest, ["model.p.stg_calls", "seed.p.chain"]) == [("staging", "stg_calls"),
                                                                       ("config", "process_chain")]

"""Where a Spark build meets the DuckDB warehouse (docs/scale-out.md).

The dbt sources leave the warehouse's working copy as Parquet, one folder per table under the exchange
folder; on Spark, dbt's run-start hook makes them tables and its run-end hook writes every model and seed
it built back beside them (dbt_project/macros/engines.sql); they are loaded into the working copy, so the
checks, the report and analysts' queries read the same tables whichever engine built them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb

from pipelines.canonical import DBT_PROJECT_DIR
from pipelines.ingest.reading import sql_ident, sql_text

DEFAULT_SPARK_TARGET = "spark_session"  # profiles.yml; every Spark output's name begins with "spark_"
LOG4J_CONFIG = DBT_PROJECT_DIR / "spark" / "log4j2.properties"
PANDAS_WARNING = "ignore:PySpark does not yet fully support pandas:FutureWarning"


def spark_dir(warehouse: Path) -> Path:
    """The local Spark session's tables and metastore: SALESFUNNEL_SPARK_DIR, else beside the warehouse."""
    return Path(os.environ.get("SALESFUNNEL_SPARK_DIR") or warehouse.with_name(warehouse.stem + ".spark"))


def exchange_dir(warehouse: Path) -> Path:
    """Where sources go out and built tables come back: SALESFUNNEL_SPARK_EXCHANGE, else in spark_dir. With
    a cluster, a folder its nodes reach too (SALESFUNNEL_SPARK_EXCHANGE_URI says how)."""
    return Path(os.environ.get("SALESFUNNEL_SPARK_EXCHANGE") or spark_dir(warehouse) / "exchange").resolve()


def spark_env(warehouse: Path) -> dict[str, str]:
    """What dbt reads from the environment to build on Spark (profiles.yml, macros/engines.sql)."""
    target = os.environ.get("SALESFUNNEL_DBT_TARGET") or DEFAULT_SPARK_TARGET
    if not target.startswith("spark_"):
        raise ValueError(f"SALESFUNNEL_DBT_TARGET={target!r} is not a Spark target: the engine is spark, so "
                         "name an output of dbt_project/profiles.yml beginning with spark_ (e.g. spark_thrift)")
    return {"SALESFUNNEL_DBT_TARGET": target,
            "SALESFUNNEL_SPARK_DIR": str(spark_dir(warehouse).resolve()),
            # The exchange folder as Spark sees it: a bucket mounted here, or the same folder as a file:
            # URI (a bare path would mean the cluster's default file system, HDFS, to Spark).
            "SALESFUNNEL_SPARK_EXCHANGE_URI": (os.environ.get("SALESFUNNEL_SPARK_EXCHANGE_URI")
                                               or exchange_dir(warehouse).as_uri()).rstrip("/"),
            "SALESFUNNEL_SPARK_LOG4J": str(LOG4J_CONFIG),
            # Spark binds to the machine's address otherwise, which a locked-down host may refuse.
            "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
            # pyspark warns on import that it does not know pandas 3; dbt-spark does not use pandas.
            "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), PANDAS_WARNING]))}


def export_tables(con: duckdb.DuckDBPyConnection, exchange: Path, tables: Iterable[tuple[str, str]]) -> None:
    """Write each (schema, table) of the warehouse as <exchange>/<schema>/<table>/part-0.parquet."""
    for schema, table in tables:
        folder = exchange / schema / table
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        con.execute(f"COPY {sql_ident(schema)}.{sql_ident(table)} TO {sql_text(str(folder / 'part-0.parquet'))} "
                    "(FORMAT parquet)")


def import_tables(con: duckdb.DuckDBPyConnection, exchange: Path, tables: Iterable[tuple[str, str]]) -> None:
    """Replace each (schema, table) of the warehouse with the Parquet files Spark wrote for it."""
    for schema, table in tables:
        files = sql_text(str(exchange / schema / table / "*.parquet"))
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {sql_ident(schema)}")
        con.execute(f"CREATE OR REPLACE TABLE {sql_ident(schema)}.{sql_ident(table)} AS "
                    f"SELECT * FROM read_parquet({files})")


def source_tables(manifest: dict) -> list[tuple[str, str]]:
    """The (schema, table) of every dbt source."""
    return sorted({(source["schema"], source["identifier"]) for source in manifest["sources"].values()})


def built_tables(manifest: dict, node_ids: list[str]) -> list[tuple[str, str]]:
    """The (schema, table) of each model and seed of `node_ids`."""
    nodes = manifest["nodes"]
    return [(nodes[node_id]["schema"], nodes[node_id]["alias"]) for node_id in node_ids]

"""Identifier quality run by run: what int_identifier_quality said at each refresh, for the report's trend.

The numbers are the model's own (one definition of reliability); this asset only keeps them, one row per
scope per run, with the run's as-of date.
"""

from datetime import UTC, datetime

import dagster as dg

from pipelines.quality.assets import QUALITY_GROUP
from pipelines.resources import WarehouseResource

HISTORY_KEY = dg.AssetKey(["quality", "identifier_quality_history"])


@dg.asset(
    key=HISTORY_KEY,
    deps=[dg.AssetKey(["intermediate", "int_identifier_quality"]), dg.AssetKey(["intermediate", "int_as_of"])],
    group_name=QUALITY_GROUP,
    kinds={"duckdb"},
    owners=["team:compliance-analytics"],
    description="intermediate.int_identifier_quality as it was at every run (reliability and stale share for "
                "all rows, per source and per id_type), appended with the run's time and as-of date.",
)
def identifier_quality_history(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS quality")
        con.execute("""
            CREATE TABLE IF NOT EXISTS quality.identifier_quality_history AS
            SELECT CAST(NULL AS TIMESTAMP) AS recorded_at, CAST(NULL AS VARCHAR) AS run_id,
                   CAST(NULL AS DATE) AS as_of_date, quality.*
            FROM intermediate.int_identifier_quality AS quality WITH NO DATA""")
        con.execute("""
            INSERT INTO quality.identifier_quality_history BY NAME
            SELECT ? AS recorded_at, ? AS run_id, as_of.as_of_date, quality.*
            FROM intermediate.int_identifier_quality AS quality CROSS JOIN intermediate.int_as_of AS as_of""",
                    [datetime.now(UTC).replace(tzinfo=None), context.run.run_id])
        runs = con.execute("SELECT count(DISTINCT run_id) FROM quality.identifier_quality_history").fetchall()[0][0]
    return dg.MaterializeResult(metadata={"runs_recorded": runs})


defs = dg.Definitions(assets=[identifier_quality_history])

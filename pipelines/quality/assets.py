"""Identifier validation as a Dagster asset: python-stdnum verdicts for every distinct identifier.

Only pairs not validated before (or validated by another python-stdnum version) are checked, so a
nightly run or a new entity's file costs only its new values.
"""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import stdnum

from pipelines.quality.identifiers import validate_all
from pipelines.resources import WarehouseResource

QUALITY_GROUP = "quality"
FORMATS_KEY = dg.AssetKey(["validation", "identifier_formats"])


@dg.asset(
    key=FORMATS_KEY,
    deps=[dg.AssetKey(["raw", "entity_identifiers"])],
    group_name=QUALITY_GROUP,
    kinds={"python", "duckdb"},
    owners=["team:compliance-analytics"],
    description="Format and check-digit verdict (python-stdnum, or a documented rule for KPP and BIK) for "
                "every distinct (id_type, id_value) of raw.entity_identifiers; unknown types are reported.",
)
def identifier_formats(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS validation")
        con.execute("""
            CREATE TABLE IF NOT EXISTS validation.identifier_formats (
                id_type VARCHAR, id_value VARCHAR, normalized_value VARCHAR, is_known_type BOOLEAN,
                is_valid BOOLEAN, problem VARCHAR, validator VARCHAR, validated_at TIMESTAMP,
                stdnum_version VARCHAR)""")
        con.execute("DELETE FROM validation.identifier_formats WHERE stdnum_version <> ?", [stdnum.__version__])
        pending = con.execute("""
            SELECT DISTINCT id_type, id_value FROM raw.entity_identifiers
            EXCEPT SELECT id_type, id_value FROM validation.identifier_formats""").fetchall()
        verdicts = pd.DataFrame([v.__dict__ for v in validate_all(pending)],
                                columns=["id_type", "id_value", "normalized_value", "is_known_type", "is_valid",
                                         "problem", "validator"])
        verdicts["validated_at"] = datetime.now(UTC).replace(tzinfo=None)
        verdicts["stdnum_version"] = stdnum.__version__
        con.register("verdicts", verdicts)
        con.execute("INSERT INTO validation.identifier_formats SELECT * FROM verdicts")
        con.unregister("verdicts")
        totals = con.execute("""
            SELECT count(*), count(*) FILTER (WHERE is_valid), count(*) FILTER (WHERE NOT is_known_type)
            FROM validation.identifier_formats""").fetchall()[0]
    context.log.info(f"validated {len(pending)} new identifier values")
    return dg.MaterializeResult(metadata={
        "newly_validated": len(pending),
        "newly_invalid": int((~verdicts.is_valid).sum()),
        "distinct_values": totals[0],
        "valid_values": totals[1],
        "unknown_type_values": totals[2],
        "stdnum_version": stdnum.__version__,
    })


defs = dg.Definitions(assets=[identifier_formats])

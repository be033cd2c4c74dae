"""One Dagster asset per canonical table: load its landed files, report the row accounting.

Asset keys are `raw/<table>`, the keys dagster-dbt gives the dbt sources, so the graph runs from the
files through staging to the marts.
"""

import dagster as dg

from pipelines.canonical import TABLES
from pipelines.ingest.loader import FileLoad, landed_files, load_files
from pipelines.resources import WarehouseResource

INGEST_GROUP = "ingest"
ROWS_ACCOUNTED = "rows_accounted"
NO_QUARANTINE = "no_quarantined_rows"
QUARANTINE_SAMPLE = 5


def _files_table(loads: list[FileLoad]) -> str:
    lines = ["| file | status | in | loaded | duplicate | quarantined |", "|---|---|---|---|---|---|"]
    lines += [f"| {f.file_name} | {f.status} | {f.rows_in} | {f.rows_loaded} | {f.rows_duplicate} | "
              f"{f.rows_quarantined} |" for f in loads]
    return "\n".join(lines)


def _quarantine_sample(con, load_ids: list[int]) -> list[dict]:
    rows = con.execute(
        "SELECT file_name, line, reason FROM raw._quarantine WHERE list_contains(?, load_id) "
        f"ORDER BY load_id, line LIMIT {QUARANTINE_SAMPLE}", [load_ids]).fetchall()
    return [{"file": f, "line": line, "reason": r} for f, line, r in rows]


def build_raw_table_asset(table_name: str) -> dg.AssetsDefinition:
    table = TABLES[table_name]

    @dg.asset(
        key=dg.AssetKey(["raw", table_name]),
        group_name=INGEST_GROUP,
        kinds={"duckdb", "python"},
        owners=["team:sales-ops-analytics"],
        description=(
            f"Canonical table `{table_name}` (key: {', '.join(table.key)}), loaded from "
            f"`{table_name}.csv|.parquet` or `{table_name}__*.csv|.parquet` in the landing folder. "
            "Files already loaded (same sha256) are skipped; exact duplicate rows are counted once; "
            "rows that break a rule go to raw._quarantine with file, line and reason."
        ),
        check_specs=[
            dg.AssetCheckSpec(ROWS_ACCOUNTED, asset=dg.AssetKey(["raw", table_name]),
                              description="rows in = loaded + duplicates + quarantined, for every file of the run"),
            dg.AssetCheckSpec(NO_QUARANTINE, asset=dg.AssetKey(["raw", table_name]),
                              description="no row of this run's files went to quarantine (warning only)"),
        ],
    )
    def raw_table(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        files = landed_files(warehouse.landing, table_name)
        with warehouse.connect() as con:
            loads = load_files(con, table_name, files)
            new = [f for f in loads if f.status == "loaded"]
            sample = _quarantine_sample(con, [f.load_id for f in new])
            stored = con.execute(f"SELECT count(*) FROM raw.{table_name}").fetchall()[0][0]

        totals = {k: sum(getattr(f, k) for f in new)
                  for k in ("rows_in", "rows_loaded", "rows_duplicate", "rows_quarantined")}
        unbalanced = [f.file_name for f in new
                      if f.rows_in != f.rows_loaded + f.rows_duplicate + f.rows_quarantined]
        if not files:
            context.log.warning(f"no files for {table_name} in {warehouse.landing}")
        return dg.MaterializeResult(
            metadata={
                **totals,
                "files_loaded": len(new),
                "files_skipped": len(loads) - len(new),
                "rows_stored": stored,
                "files": dg.MetadataValue.md(_files_table(loads) if loads else "no files landed"),
                "landing": dg.MetadataValue.path(str(warehouse.landing)),
            },
            check_results=[
                dg.AssetCheckResult(check_name=ROWS_ACCOUNTED, passed=not unbalanced,
                                    severity=dg.AssetCheckSeverity.ERROR,
                                    metadata={"unbalanced_files": ", ".join(unbalanced) or "none"}),
                dg.AssetCheckResult(check_name=NO_QUARANTINE, passed=totals["rows_quarantined"] == 0,
                                    severity=dg.AssetCheckSeverity.WARN,
                                    metadata={"rows_quarantined": totals["rows_quarantined"],
                                              "sample": dg.MetadataValue.json(sample)}),
            ],
        )

    return raw_table


raw_table_assets = [build_raw_table_asset(name) for name in TABLES]
defs = dg.Definitions(assets=raw_table_assets)

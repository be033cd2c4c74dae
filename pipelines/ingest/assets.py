"""Ingestion as one Dagster step: every landed file routed to its mapping and loaded, one asset per
canonical table (`raw/<table>`, the keys dagster-dbt gives the dbt sources) plus the ledger.

A bad file never fails the step: it is rejected with its reason in the ledger, and the ledger's
`no_rejected_files` check (WARN) shows it; every other file loads and every mart is built.

When ingestion finds nothing that would change a mart since the last complete build
(pipelines/build_state.py), it yields nothing and Dagster skips every step after it: the marts of that
build stand. The `rebuild`
setting (UI launchpad, or `python -m pipelines run --rebuild`) builds everything all the same.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipelines import collector, warm_up
from pipelines.build_state import fingerprint, last_build
from pipelines.canonical import TABLES
from pipelines.ingest.loader import FileLoad, LandingReport, load_landing, prune_landing
from pipelines.resources import WarehouseResource

INGEST_GROUP = "ingest"
LEDGER_KEY = dg.AssetKey(["raw", "_load_ledger"])
ROWS_ACCOUNTED = "rows_accounted"
NO_QUARANTINE = "no_quarantined_rows"
NO_REJECTED_FILES = "no_rejected_files"
QUARANTINE_SAMPLE = 5
OWNERS = ["team:sales-ops-analytics"]


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _files_table(loads: list[FileLoad]) -> str:
    lines = ["| file | status | mapping | in | loaded | duplicate | quarantined | filtered | how it was read |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {f.file_name} | {f.status} | {f.source} | {f.rows_in} | {f.rows_loaded} | {f.rows_duplicate} | "
              f"{f.rows_quarantined} | {f.rows_filtered} | {f.notes} |" for f in loads]
    return "\n".join(lines)


def _rejected_table(rejected: list[FileLoad]) -> str:
    lines = ["| file | mapping tried | reason |", "|---|---|---|"]
    lines += [f"| {f.file_name} | {f.source} | {f.reason.replace('|', '/')} |" for f in rejected]
    return "\n".join(lines)


def _quarantine_sample(con, load_ids: list[int]) -> list[dict]:
    rows = con.execute(
        "SELECT file_name, line, reason FROM raw._quarantine WHERE list_contains(?, load_id) "
        f"ORDER BY load_id, line LIMIT {QUARANTINE_SAMPLE}", [load_ids]).fetchall()
    return [{"file": f, "line": line, "reason": r} for f, line, r in rows]


def _table_results(con, table: str, loads: list[FileLoad], landing: Path) -> Iterator:
    new = [f for f in loads if f.status == "loaded"]
    totals = {k: sum(getattr(f, k) for f in new)
              for k in ("rows_in", "rows_loaded", "rows_duplicate", "rows_quarantined", "rows_filtered")}
    unbalanced = [f.file_name for f in new if not f.balanced]
    stored = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
    key = raw_key(table)
    yield dg.MaterializeResult(asset_key=key, metadata={
        **totals,
        "files_loaded": len(new),
        "files_skipped": len(loads) - len(new),
        "rows_stored": stored,
        "files": dg.MetadataValue.md(_files_table(loads) if loads else "no files for this table"),
        "landing": dg.MetadataValue.path(str(landing)),
    })
    yield dg.AssetCheckResult(asset_key=key, check_name=ROWS_ACCOUNTED, passed=not unbalanced,
                              severity=dg.AssetCheckSeverity.ERROR,
                              metadata={"unbalanced_files": ", ".join(unbalanced) or "none"})
    yield dg.AssetCheckResult(asset_key=key, check_name=NO_QUARANTINE, passed=totals["rows_quarantined"] == 0,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"rows_quarantined": totals["rows_quarantined"],
                                        "sample": dg.MetadataValue.json(
                                            _quarantine_sample(con, [f.load_id for f in new]))})


def _ledger_results(report: LandingReport) -> Iterator:
    rejected = report.rejected
    yield dg.MaterializeResult(asset_key=LEDGER_KEY, metadata={
        "files_loaded": len({f.file_name for f in report.loads if f.status == "loaded"}),
        "files_skipped": len({f.file_name for f in report.loads if f.status == "skipped"}),
        "files_rejected": len(rejected),
        "rejected": dg.MetadataValue.md(_rejected_table(rejected) if rejected else "none"),
        "ignored": ", ".join(report.ignored) or "none",
        "still_changing": ", ".join(report.changing) or "none",
    })
    yield dg.AssetCheckResult(asset_key=LEDGER_KEY, check_name=NO_REJECTED_FILES, passed=not rejected,
                              severity=dg.AssetCheckSeverity.WARN,
                              description="every file in the landing folder was read and mapped",
                              metadata={"rejected": dg.MetadataValue.json(
                                  # new: first rejected with this content and reason (an unchanged
                                  # bad file is rejected again by every run, and alerted about once)
                                  [{"file": f.file_name, "reason": f.reason, "new": f.load_id is not None}
                                   for f in rejected])})


class IngestConfig(dg.Config):
    rebuild: bool = Field(default=False, description="Build every asset even if nothing is new since the last "
                                                     "build (e.g. after a change outside this repository).")


@dg.multi_asset(
    name="ingest_landing",
    specs=[
        *(dg.AssetSpec(
            raw_key(name), group_name=INGEST_GROUP, kinds={"duckdb", "python"}, owners=OWNERS, skippable=True,
            description=(
                f"Canonical table `{name}` (key: {', '.join(table.key)}), loaded from the landing folder: "
                f"files named `{name}.csv|.parquet|.xlsx` or `{name}__*`, and exports that a source mapping "
                "(sources/*.yml) turns into this table. Files already loaded (same content and mapping) are "
                "skipped; exact duplicate rows are counted once; rows that break a rule go to raw._quarantine "
                "with file, line and reason."))
          for name, table in TABLES.items()),
        dg.AssetSpec(LEDGER_KEY, group_name=INGEST_GROUP, kinds={"duckdb"}, owners=OWNERS, skippable=True,
                     description="Every landed file's fate: which mapping read it and how, rows in, loaded, "
                                 "duplicate, quarantined and filtered; or why it was rejected."),
    ],
    check_specs=[
        *(dg.AssetCheckSpec(ROWS_ACCOUNTED, asset=raw_key(t),
                            description="rows in = loaded + duplicates + quarantined + filtered, for every file")
          for t in TABLES),
        *(dg.AssetCheckSpec(NO_QUARANTINE, asset=raw_key(t),
                            description="no row of this run's files went to quarantine (warning only)")
          for t in TABLES),
        dg.AssetCheckSpec(NO_REJECTED_FILES, asset=LEDGER_KEY,
                          description="no landed file was rejected as a whole (warning only)"),
    ],
    can_subset=True,
)
def ingest_landing(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource):
    collector.tune()  # the first step of every run: this process runs the pipeline
    selected = {k.path[1] for k in context.selected_asset_keys if k != LEDGER_KEY}
    tables = None if selected == set(TABLES) else selected
    with warehouse.connect() as con:
        report = load_landing(con, warehouse.landing, warehouse.mappings(), tables=tables,
                              workdir=Path(warehouse.path).parent / ".ingest",
                              quiet_seconds=warehouse.landing_quiet_seconds,
                              while_waiting=warm_up.start)  # a file still settling is new: the run builds
        if warehouse.landing_retention_days is not None and tables is None:  # a full run: every table loaded
            for name in prune_landing(warehouse.landing, report, warehouse.landing_retention_days):
                context.log.info(f"deleted {name} from the landing folder: loaded, older than "
                                 f"{warehouse.landing_retention_days:g} days")
        for name in report.changing:
            context.log.warning(f"{name} changed in the last {warehouse.landing_quiet_seconds:g} s: left for a "
                                "later run (the sensor starts one when it has stopped changing)")
        for load in report.rejected:
            context.log.warning(f"rejected {load.file_name}: {load.reason}")
        if not landing_has_files(warehouse.landing):
            context.log.warning(f"no files in {warehouse.landing}")
        if not config.rebuild and _nothing_new(context, con, warehouse):
            return
        warm_up.start()
        for table in sorted(selected):
            yield from _table_results(con, table, report.for_table(table), warehouse.landing)
    if LEDGER_KEY in context.selected_asset_keys:
        yield from _ledger_results(report)


def _nothing_new(context: dg.AssetExecutionContext, con, warehouse: WarehouseResource) -> bool:
    """What the assets are built from (all loaded data, not only this run's tables) is what the last
    complete build used: whatever this run selected, it would rebuild the same (and publish it again,
    unless someone removed the published file)."""
    last = last_build(con)
    if (last is None or last[0] != fingerprint(con, warehouse.build_settings())
            or not Path(warehouse.path).exists()):
        return False
    context.log.info(f"nothing new since the build of run {last[1]}: its marts stand, every later step is "
                     "skipped (rebuild: true builds them all the same)")
    return True


def landing_has_files(landing: Path) -> bool:
    return Path(landing).is_dir() and any(p.is_file() for p in Path(landing).iterdir())


defs = dg.Definitions(assets=[ingest_landing])

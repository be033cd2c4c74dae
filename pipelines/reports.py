"""The management report as a Dagster asset, downstream of every table it reads (REPORT_INPUTS): it reads
them in the run's working copy, so it shows what the run publishes next."""

import time
from pathlib import Path

import dagster as dg

from dashboards.report import (
    REPORT_TABLES,
    ReportConfig,
    build_report,
    complete_months,
    load_report_data,
    prune_reports,
    write_report,
)
from pipelines.resources import WarehouseResource

# The tables load_report_data reads, as asset keys (schema.table -> schema/table): the lineage in the UI.
REPORT_INPUTS = [dg.AssetKey(table.split(".")) for table in REPORT_TABLES]


def headline_table(data, months, language: str) -> str:
    """Results, efficiency and productivity of each process in the latest complete month (Markdown)."""
    if not months:
        return "no complete month yet"
    kpis, names = data.kpis, data.names(language)
    latest = kpis[(kpis.period_grain == "month") & (kpis.slice_type == "all")
                  & (kpis.period_start.dt.date == months[0])].set_index("process")
    lines = [f"**{months[0]:%Y-%m}**", "", "| process | results | efficiency | productivity |", "|---|---|---|---|"]
    for process in data.processes:
        if process in latest.index:
            row = latest.loc[process]
            eff = "-" if row.efficiency != row.efficiency else f"{row.efficiency:.1%}"
            productivity = "-" if row.productivity != row.productivity else f"{row.productivity:.2f}"
            lines.append(f"| {names('process', process)} | {int(row.results)} | {eff} | {productivity} |")
    return "\n".join(lines)


@dg.asset(
    key=dg.AssetKey(["reports", "management_report"]),
    deps=REPORT_INPUTS,
    group_name="reports",
    kinds={"plotly", "html"},
    owners=["team:sales-ops-analytics"],
    description="One HTML management report per run (plotly.js embedded, opens offline), plus "
                "data/reports/latest.html; lists over download_rows_in_page rows as CSV files under "
                "data/reports/lists/; a PNG per figure for e-mail when a Chromium is installed.",
)
def management_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    started = time.perf_counter()
    config = ReportConfig.load()
    data = load_report_data(warehouse.work_path)
    report, reports = build_report(data, config, context.run.run_id), Path(warehouse.path).parent / "reports"
    written = write_report(report, reports, config.wants_png(scheduled="dagster/schedule_name" in context.run.tags))
    if config.keep_reports is not None:
        for name in prune_reports(reports, config.keep_reports):
            context.log.info(f"deleted the report {name} and its list files: keep_reports is {config.keep_reports}")
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.path(str(written["report"])),
        "latest": dg.MetadataValue.url(written["latest"].as_uri()),
        "headline_kpis": dg.MetadataValue.md(headline_table(data, complete_months(data, 1), config.language)),
        "figures": len(report.figures),
        "list_files": len(report.files),
        "size_mb": round(written["report"].stat().st_size / 2**20, 2),
        "png": dg.MetadataValue.path(str(written["png"])) if "png" in written else "no Chromium: no PNGs",
        "build_seconds": round(time.perf_counter() - started, 2),
    })


defs = dg.Definitions(assets=[management_report])

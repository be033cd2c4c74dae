"""The management report: one self-contained HTML page (plotly.js embedded once, no network needed)
for the latest complete month, with a selector for earlier months.

`load_report_data` reads the marts (never the raw phone numbers); `build_report` turns them into the
page with the figure functions of `dashboards.figures`.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import yaml
from plotly.offline import get_plotlyjs

from dashboards import figures
from dashboards.labels import label

CONFIG_FILE = Path(__file__).with_name("report.yml")


@dataclass
class ReportConfig:
    language: str = "en"
    show_employee_names: bool = True
    months_in_selector: int = 12
    employee_process: str = "client_search"
    heatmap_process: str = "client_search"
    export_png: str = "auto"

    @classmethod
    def load(cls) -> ReportConfig:
        path = Path(os.environ.get("SALESFUNNEL_REPORT_CONFIG", CONFIG_FILE))
        config = cls(**(yaml.safe_load(path.read_text()) or {}))
        label(config.language, "title")  # fails early on an unknown language
        return config


@dataclass
class ReportData:
    as_of: date
    processes: list[str]
    contract_horizon_days: int
    kpis: pd.DataFrame
    funnel: pd.DataFrame
    losses: pd.DataFrame
    contracts: pd.DataFrame
    employees: pd.DataFrame
    identifier_quality: pd.DataFrame
    identifier_history: pd.DataFrame
    analysis_buckets: pd.DataFrame
    loads: pd.DataFrame
    quarantined: int


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    try:
        return con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)  # dates as datetime64
    except duckdb.CatalogException:  # a mart blocked by a failed ERROR expectation, or never built
        return pd.DataFrame()


def load_report_data(warehouse: Path, contract_horizon_days: int = 90) -> ReportData:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        kpis = _frame(con, "SELECT * FROM marts.fct_process_kpis WHERE period_grain IN ('month', 'week')")
        return ReportData(
            as_of=con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0],
            processes=[p for (p,) in con.execute("SELECT process FROM config.process_chain ORDER BY process_order")
                       .fetchall()],
            contract_horizon_days=contract_horizon_days,
            kpis=kpis,
            funnel=_frame(con, "SELECT * FROM marts.fct_client_funnel"),
            losses=_frame(con, "SELECT * FROM marts.fct_losses_by_reason WHERE period_grain = 'month'"),
            contracts=_frame(con, "SELECT * FROM marts.fct_contracts_ending"),
            employees=_frame(con, "SELECT employee_id, full_name, team FROM marts.dim_employees"),
            identifier_quality=_frame(con, "SELECT * FROM marts.fct_identifier_quality_by_source"),
            identifier_history=_frame(con, "SELECT validated_at, scope, observed_value "
                                           "FROM quality.expectation_results WHERE rule = 'reliability_per_source'"),
            analysis_buckets=_frame(con, "SELECT * FROM marts.fct_entity_analysis_by_bucket"),
            loads=_frame(con, "SELECT table_name, sum(rows_loaded) AS rows_loaded, max(loaded_at) AS loaded_at "
                              "FROM raw._load_ledger GROUP BY table_name ORDER BY table_name"),
            quarantined=con.execute("SELECT count(*) FROM raw._quarantine").fetchall()[0][0],
        )


def complete_months(data: ReportData, limit: int) -> list[date]:
    """Months that ended by the as-of date and have KPI rows, latest first."""
    if data.kpis.empty:
        return []
    monthly = data.kpis[(data.kpis.period_grain == "month") & (data.kpis.slice_type == "all")]
    months = sorted({pd.Timestamp(m).date() for m in monthly.period_start}, reverse=True)
    return [m for m in months if (pd.Timestamp(m) + pd.offsets.MonthEnd(0)).date() <= data.as_of][:limit]


def period_figures(data: ReportData, config: ReportConfig, month: date, previous: date | None
                   ) -> dict[str, go.Figure | None]:
    lang = config.language
    return {
        "funnel": figures.funnel_figure(data.funnel, month, lang),
        "kpi_triad": figures.kpi_triad_figure(data.kpis, data.processes, month, previous, lang),
        "employees": figures.employee_productivity_figure(data.kpis, data.employees, config.employee_process,
                                                          month, lang, config.show_employee_names),
        "teams": figures.team_comparison_figure(data.kpis, data.processes, month, lang),
        "losses": figures.losses_figure(data.losses, month, lang),
        "segments": figures.segment_heatmap_figure(data.kpis, config.heatmap_process, month, lang),
        "contracts": figures.contracts_figure(data.contracts, month, data.contract_horizon_days, lang),
    }


def overall_figures(data: ReportData, config: ReportConfig) -> dict[str, go.Figure | None]:
    lang = config.language
    return {
        "weekly_trend": figures.weekly_trend_figure(data.kpis, data.processes, lang),
        "identifier_quality": figures.identifier_quality_figure(data.identifier_quality, lang),
        "identifier_trend": figures.identifier_trend_figure(data.identifier_history, lang),
        "analysis": figures.analysis_duration_figure(data.analysis_buckets, lang),
    }


def _figure_html(fig: go.Figure | None, div_id: str, language: str) -> str:
    if fig is None:
        return f'<p class="no-data" id="{div_id}">{html.escape(label(language, "no_data"))}</p>'
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


_STYLE = """
body { font-family: Segoe UI, Roboto, Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 16px 24px; color: #222; }
header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; }
select { font-size: 1em; padding: 2px 6px; }
.period[hidden] { display: none; }
.no-data { color: #777; font-style: italic; }
footer { margin-top: 32px; border-top: 1px solid #ddd; padding-top: 8px; color: #555; font-size: 0.9em; }
"""

_SELECTOR = """
document.getElementById('period').addEventListener('change', function (event) {
  document.querySelectorAll('section.period').forEach(function (section) {
    section.hidden = section.dataset.period !== event.target.value;
    if (!section.hidden) {
      section.querySelectorAll('.plotly-graph-div').forEach(function (div) { Plotly.Plots.resize(div); });
    }
  });
});
"""


def build_report(data: ReportData, config: ReportConfig, built_at: datetime | None = None
                 ) -> tuple[str, dict[str, go.Figure]]:
    """The HTML page and every figure in it, keyed by its div id."""
    lang = config.language
    built_at = built_at or datetime.now(UTC)
    months = complete_months(data, config.months_in_selector)
    drawn: dict[str, go.Figure] = {}
    options, sections = [], []
    for i, month in enumerate(months):
        key = month.strftime("%Y-%m")
        previous = months[i + 1] if i + 1 < len(months) else None
        options.append(f'<option value="{key}">{html.escape(figures.month_name(month, lang))}</option>')
        parts = []
        for name, fig in period_figures(data, config, month, previous).items():
            div_id = f"fig-{name}-{key}"
            parts.append(_figure_html(fig, div_id, lang))
            if fig is not None:
                drawn[div_id] = fig
        sections.append(f'<section class="period" data-period="{key}"{"" if i == 0 else " hidden"}>'
                        + "\n".join(parts) + "</section>")
    overall = []
    for name, fig in overall_figures(data, config).items():
        overall.append(_figure_html(fig, f"fig-{name}", lang))
        if fig is not None:
            drawn[f"fig-{name}"] = fig

    loaded_at = data.loads.loaded_at.max() if not data.loads.empty else None
    rows = ", ".join(f"{t} {int(n):,}" for t, n in zip(data.loads.table_name, data.loads.rows_loaded, strict=True)) \
        if not data.loads.empty else "-"
    footer = " ".join([
        label(lang, "footer_freshness", as_of=data.as_of.isoformat(),
              loaded_at=pd.Timestamp(loaded_at).strftime("%Y-%m-%d %H:%M") if loaded_at is not None else "-",
              built_at=built_at.strftime("%Y-%m-%d %H:%M")),
        label(lang, "footer_rows", rows=rows),
        label(lang, "footer_quarantine", rows=f"{data.quarantined:,}"),
    ])
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(label(lang, "title"))}</title>
<style>{_STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body>
<header><h1>{html.escape(label(lang, "title"))}</h1>
<p>{html.escape(label(lang, "as_of"))} {data.as_of.isoformat()} &middot;
<label>{html.escape(label(lang, "period"))} <select id="period">{"".join(options)}</select></label></p></header>
{"".join(sections)}
<section class="overall">{"".join(overall)}</section>
<footer>{html.escape(footer)}</footer>
<script>{_SELECTOR}</script>
</body></html>
"""
    return page, drawn


def write_report(page: str, figures_by_id: dict[str, go.Figure], out_dir: Path, run_id: str,
                 export_png: str) -> dict[str, Path]:
    """Write the run's report and the stable `latest.html`; PNGs only where a Chromium can draw them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    report = out_dir / f"management_report_{stamp}_{run_id[:8]}.html"
    report.write_text(page, encoding="utf-8")
    latest = out_dir / "latest.html"
    latest.write_text(page, encoding="utf-8")
    written = {"report": report, "latest": latest}
    chromium = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                     if Path(p).exists()), None)
    if export_png == "auto" and chromium:
        os.environ.setdefault("BROWSER_PATH", chromium)  # kaleido's choreographer looks here first
        png_dir = out_dir / "png"
        png_dir.mkdir(exist_ok=True)
        # One browser session for all figures: a fig.write_image per figure starts Chromium each time.
        pio.write_images(list(figures_by_id.values()), [png_dir / f"{div_id}.png" for div_id in figures_by_id],
                         width=1100)
        written["png"] = png_dir
    return written

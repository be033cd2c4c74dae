"""The management report: one HTML page (plotly.js embedded once, no network needed)
for the latest complete month, with a selector for earlier months, and the lists a manager works
through (leads at risk, deals sitting in a stage, drop-offs, contracts ending) with CSV downloads (a
long list's CSV is a file beside the page: `dashboards.lists.Downloads`).

`load_report_data` reads the marts (never the raw phone numbers) and neutralises their text (see
`dashboards.lists`); `build_report` turns them into the page with the figure functions of
`dashboards.figures`.
"""

from __future__ import annotations

import html
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import yaml
from plotly.offline import get_plotlyjs

from dashboards import figures
from dashboards.labels import Names, label
from dashboards.lists import SHOWN_ROWS, Downloads, csv_bytes, html_table, neutralise_frame
from pipelines.ingest.loader import REJECTED_FILES_SQL
from pipelines.warehouse_copies import connect_published

CONFIG_FILE = Path(__file__).with_name("report.yml")
# Every table load_report_data reads; the report's Dagster asset declares them as its upstream assets.
REPORT_TABLES = (
    "intermediate.int_as_of", "config.process_chain", "config.stage_catalog", "config.client_funnel_steps",
    "marts.fct_process_kpis", "marts.fct_client_funnel", "marts.fct_losses_by_reason", "marts.fct_contracts_ending",
    "marts.dim_employees", "marts.fct_deal_outcomes", "marts.fct_bookings", "marts.fct_time_in_stage",
    "marts.fct_open_stage_stays", "marts.fct_stage_dropoffs", "marts.fct_lead_kpis", "marts.fct_leads_at_risk",
    "marts.fct_identifier_quality_by_source", "quality.identifier_quality_history",
    "marts.fct_entity_analysis_by_bucket", "raw._load_ledger", "raw.personal_employee_names",
    "raw.personal_client_names",
)
# The marts carry ids; names live in schema raw only and are joined here, for the page (docs/operations.md).
CLIENT_NAMES = "LEFT JOIN raw.personal_client_names AS names USING (client_id)"


@dataclass
class ReportConfig:
    language: str = "en"
    show_employee_names: bool = True
    months_in_selector: int = 12
    employee_process: str = "client_search"
    heatmap_process: str = "client_search"
    export_png: str = "nightly"  # nightly | always | never
    download_rows_in_page: int = 5_000
    keep_reports: int | None = None  # None: every run's page and lists stay

    def wants_png(self, scheduled: bool) -> bool:
        """PNGs (for e-mail) cost seconds a run: by default only the nightly run makes them."""
        return self.export_png == "always" or (self.export_png == "nightly" and scheduled)

    @classmethod
    def load(cls) -> ReportConfig:
        path = Path(os.environ.get("SALESFUNNEL_REPORT_CONFIG", CONFIG_FILE))
        config = cls(**(yaml.safe_load(path.read_text()) or {}))
        label(config.language, "title")  # fails early on an unknown language
        if config.export_png not in ("nightly", "always", "never"):
            raise ValueError(f"{path}: export_png must be nightly, always or never, not {config.export_png!r}")
        keep = config.keep_reports
        if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
            raise ValueError(f"{path}: keep_reports must be a whole number from 1, or null, not {keep!r}")
        return config


@dataclass
class ReportData:
    as_of: date
    processes: list[str]
    labels: pd.DataFrame  # kind (process, stage, step), code, label_en, label_ru: from the dbt seeds
    kpis: pd.DataFrame
    funnel: pd.DataFrame
    losses: pd.DataFrame
    contracts: pd.DataFrame
    employees: pd.DataFrame
    outcomes: pd.DataFrame
    bookings: pd.DataFrame
    time_in_stage: pd.DataFrame
    open_stays: pd.DataFrame
    dropoffs: pd.DataFrame
    lead_kpis: pd.DataFrame
    leads_at_risk: pd.DataFrame
    identifier_quality: pd.DataFrame
    identifier_history: pd.DataFrame
    analysis_buckets: pd.DataFrame
    loads: pd.DataFrame
    quarantined: int
    rejected_files: int

    def names(self, language: str) -> Names:
        column = f"label_{language}"
        by_kind = {kind: dict(zip(rows.code, rows[column], strict=True)) for kind, rows in self.labels.groupby("kind")}
        return Names(language, by_kind.get("process", {}), by_kind.get("stage", {}), by_kind.get("step", {}))


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    try:
        frame = con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)  # dates as datetime64
    except duckdb.CatalogException:  # a mart blocked by a failed ERROR expectation, or never built
        return pd.DataFrame()
    return neutralise_frame(frame)


def load_report_data(warehouse: Path) -> ReportData:
    with connect_published(warehouse) as con:
        kpis = _frame(con, "SELECT * FROM marts.fct_process_kpis WHERE period_grain IN ('month', 'week')")
        return ReportData(
            as_of=con.execute("SELECT as_of_date FROM intermediate.int_as_of").fetchall()[0][0],
            processes=[p for (p,) in con.execute("SELECT process FROM config.process_chain ORDER BY process_order")
                       .fetchall()],
            labels=_frame(con, """
                SELECT 'process' AS kind, process AS code, label_en, label_ru FROM config.process_chain
                UNION ALL SELECT 'stage', stage, label_en, label_ru FROM config.stage_catalog
                UNION ALL SELECT 'step', step, label_en, label_ru FROM config.client_funnel_steps"""),
            kpis=kpis,
            funnel=_frame(con, "SELECT * FROM marts.fct_client_funnel"),
            losses=_frame(con, "SELECT * FROM marts.fct_losses_by_reason WHERE period_grain = 'month'"),
            contracts=_frame(con, f"SELECT * FROM marts.fct_contracts_ending {CLIENT_NAMES} "
                                  "ORDER BY month_start, days_to_end, contract_id"),
            employees=_frame(con, "SELECT employee_id, names.full_name, team FROM marts.dim_employees "
                                  "LEFT JOIN raw.personal_employee_names AS names USING (employee_id)"),
            outcomes=_frame(con, "SELECT * FROM marts.fct_deal_outcomes WHERE period_grain = 'month'"),
            bookings=_frame(con, "SELECT * FROM marts.fct_bookings WHERE period_grain = 'month'"),
            time_in_stage=_frame(con, "SELECT * FROM marts.fct_time_in_stage WHERE period_grain = 'month'"),
            open_stays=_frame(con, f"SELECT * FROM marts.fct_open_stage_stays {CLIENT_NAMES} ORDER BY age_hours DESC"),
            dropoffs=_frame(con, f"SELECT * FROM marts.fct_stage_dropoffs {CLIENT_NAMES} "
                                 "ORDER BY stage_order, hours_in_stage DESC"),
            lead_kpis=_frame(con, "SELECT * FROM marts.fct_lead_kpis WHERE period_grain = 'month'"),
            leads_at_risk=_frame(con, "SELECT * FROM marts.fct_leads_at_risk ORDER BY age_hours DESC"),
            identifier_quality=_frame(con, "SELECT * FROM marts.fct_identifier_quality_by_source"),
            identifier_history=_frame(con, "SELECT recorded_at, scope_value AS source, reliability "
                                           "FROM quality.identifier_quality_history WHERE scope_type = 'source'"),
            analysis_buckets=_frame(con, "SELECT * FROM marts.fct_entity_analysis_by_bucket"),
            loads=_frame(con, "SELECT table_name, sum(rows_loaded) AS rows_loaded, max(loaded_at) AS loaded_at "
                              "FROM raw._load_ledger WHERE status = 'loaded' GROUP BY table_name ORDER BY table_name"),
            quarantined=con.execute("SELECT coalesce(sum(rows_quarantined), 0) FROM raw._load_ledger "
                                    "WHERE status = 'loaded'").fetchall()[0][0],
            rejected_files=con.execute(f"SELECT count(*) FROM ({REJECTED_FILES_SQL})").fetchall()[0][0],
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
    lang, names = config.language, data.names(config.language)
    return {
        "kpi_triad": figures.kpi_triad_figure(data.kpis, data.processes, month, previous, names),
        "funnel": figures.funnel_figure(data.funnel, month, names),
        "outcomes": figures.deal_outcomes_figure(data.outcomes, data.employees, month, names,
                                                 config.show_employee_names),
        "time_in_stage": figures.time_in_stage_figure(data.time_in_stage, month, names),
        "leads": figures.lead_handling_figure(data.lead_kpis, month, names),
        "employees": figures.employee_productivity_figure(data.kpis, data.employees, config.employee_process,
                                                          month, names, config.show_employee_names),
        "teams": figures.team_comparison_figure(data.kpis, data.processes, month, names),
        "losses": figures.losses_figure(data.losses, month, names),
        "segments": figures.segment_heatmap_figure(data.kpis, config.heatmap_process, month, names),
        "contracts": figures.contracts_figure(data.contracts, month, lang),
    }


# The notes that go under a figure of a period, when there is something to say.
def period_notes(data: ReportData, config: ReportConfig, month: date) -> dict[str, str | None]:
    names = data.names(config.language)
    return {"kpi_triad": figures.cohort_note(data.kpis, month, names),
            "outcomes": figures.bookings_text(data.bookings, month, config.language)}


def overall_figures(data: ReportData, config: ReportConfig) -> dict[str, go.Figure | None]:
    lang = config.language
    return {
        "weekly_trend": figures.weekly_trend_figure(data.kpis, data.processes, data.names(lang)),
        "identifier_quality": figures.identifier_quality_figure(data.identifier_quality, lang),
        "identifier_trend": figures.identifier_trend_figure(data.identifier_history, lang),
        "analysis": figures.analysis_duration_figure(data.analysis_buckets, lang),
    }


def _list_html(title: str, frame: pd.DataFrame, shown: pd.DataFrame, headers: dict[str, str], file_name: str,
               list_id: str, language: str, downloads: Downloads) -> str:
    """A list with its title, its first rows (`shown`: the first SHOWN_ROWS of `frame`, in words) and a CSV
    download of all of it (the mart's own columns)."""
    heading = f"<h3>{html.escape(title)}</h3>"
    if frame.empty:
        return f'<div class="list-block" id="{list_id}">{heading}<p class="no-data">' \
               f'{html.escape(label(language, "none_listed"))}</p></div>'
    return (f'<div class="list-block" id="{list_id}">{heading}'
            f'{downloads.link(frame, file_name, label(language, "download", n=len(frame)))}'
            f'{html_table(shown, headers, f"{list_id}-table", _more_rows(language, len(frame)))}</div>')


def _more_rows(language: str, rows: int) -> str:
    """What a list shown by its first SHOWN_ROWS says of the rest, if there is a rest."""
    return label(language, "more_rows", shown=SHOWN_ROWS, n=rows) if rows > SHOWN_ROWS else ""


def _people(data: ReportData, config: ReportConfig) -> dict[str, str]:
    if data.employees.empty:
        return {}
    if not config.show_employee_names:
        return {}
    return {e: n for e, n in zip(data.employees.employee_id, data.employees.full_name, strict=True) if pd.notna(n)}


def dropoff_list(data: ReportData, config: ReportConfig, month: date, downloads: Downloads) -> str:
    lang, names, people = config.language, data.names(config.language), _people(data, config)
    rows = data.dropoffs[data.dropoffs.month_start == pd.Timestamp(month)] if not data.dropoffs.empty \
        else data.dropoffs
    top = rows.head(SHOWN_ROWS)
    shown = top.assign(stage=top.stage.map(lambda v: names("stage", v)),
                       employee=top.employee_id.map(lambda e: people.get(e, e)),
                       dropoff=top.dropoff.map(lambda v: names("value", v)),
                       loss_reason=top.loss_reason.map(lambda v: names("value", v) if pd.notna(v) else "")) \
        if not rows.empty else rows
    headers = {k: label(lang, v) for k, v in (("stage", "stage"), ("deal_id", "deal"), ("client_name", "client"),
                                              ("employee", "employee"), ("dropoff", "dropoff"),
                                              ("loss_reason", "loss_reason"), ("entered_at", "entered"),
                                              ("hours_in_stage", "hours"))}
    return _list_html(label(lang, "dropoffs", period=figures.month_name(month, lang)), rows, shown, headers,
                      f"dropoffs_{month:%Y-%m}.csv", f"list-dropoffs-{month:%Y-%m}", lang, downloads)


def contracts_download(data: ReportData, config: ReportConfig, month: date, downloads: Downloads) -> str:
    """Under the contracts figure (the soonest ending of the month): all of the month's contracts as CSV."""
    if data.contracts.empty:
        return ""
    rows = data.contracts[data.contracts.month_start == pd.Timestamp(month)]
    if rows.empty:
        return ""
    lang = config.language
    return (f'<p class="more" id="download-contracts-{month:%Y-%m}">'
            f'{downloads.link(rows, f"contracts_ending_{month:%Y-%m}.csv", label(lang, "download", n=len(rows)))}'
            f' {html.escape(_more_rows(lang, len(rows)))}</p>')


def as_of_lists(data: ReportData, config: ReportConfig, downloads: Downloads) -> str:
    """The lists to work through today: leads at risk and deals sitting in a stage, at the as-of date."""
    lang, names, people = config.language, data.names(config.language), _people(data, config)
    risk, stuck = data.leads_at_risk, data.open_stays
    top = risk.head(SHOWN_ROWS)
    risk_shown = top.assign(assignee=top.assignee_id.map(lambda e: people.get(e, e)),
                            risk=top.risk.map(lambda v: names("value", v)),
                            age_days=top.age_hours / 24) if not risk.empty else risk
    top = stuck.head(SHOWN_ROWS)
    stuck_shown = top.assign(stage=top.stage.map(lambda v: names("stage", v)),
                             employee=top.employee_id.map(lambda e: people.get(e, e)),
                             age_days=top.age_hours / 24) if not stuck.empty else stuck
    as_of = data.as_of.isoformat()
    return "".join([
        _list_html(label(lang, "at_risk", date=as_of), risk, risk_shown,
                   {k: label(lang, v) for k, v in (("lead_id", "lead"), ("assignee", "assignee"), ("team", "team"),
                                                    ("risk", "risk"), ("since", "since"), ("age_days", "age_days"))},
                   "leads_at_risk.csv", "list-leads-at-risk", lang, downloads),
        _list_html(label(lang, "stuck", date=as_of), stuck, stuck_shown,
                   {k: label(lang, v) for k, v in (("deal_id", "deal"), ("client_name", "client"),
                                                    ("employee", "employee"), ("team", "team"), ("stage", "stage"),
                                                    ("entered_at", "entered"), ("age_days", "age_days"))},
                   "deals_in_stage.csv", "list-stuck-deals", lang, downloads),
    ])


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
.note { color: #444; background: #f6f6f0; border-left: 3px solid #c9b458; padding: 6px 10px; margin: 4px 0 16px; }
table.list { border-collapse: collapse; font-size: 0.9em; margin: 6px 0; }
table.list th, table.list td { border-bottom: 1px solid #e3e3e3; padding: 3px 10px; text-align: left; }
a.download { font-size: 0.9em; }
.beside { color: #666; font-size: 0.85em; }
.more { color: #666; font-size: 0.85em; }
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


@dataclass
class Report:
    name: str  # the page's file name without .html
    page: str
    figures: dict[str, go.Figure]  # every figure in the page, keyed by its div id
    files: dict[str, pd.DataFrame] = field(default_factory=dict)  # the lists' CSV files, by path from the page


def build_report(data: ReportData, config: ReportConfig, run_id: str = "", built_at: datetime | None = None
                 ) -> Report:
    """The HTML page, its figures and the CSV files it links to."""
    lang = config.language
    built_at = built_at or datetime.now(UTC)
    name = f"management_report_{built_at:%Y%m%dT%H%M%S}_{run_id[:8]}".rstrip("_")
    downloads = Downloads(f"lists/{name}", config.download_rows_in_page)
    months = complete_months(data, config.months_in_selector)
    drawn: dict[str, go.Figure] = {}
    options, sections = [], []
    for i, month in enumerate(months):
        key = month.strftime("%Y-%m")
        previous = months[i + 1] if i + 1 < len(months) else None
        options.append(f'<option value="{key}">{html.escape(figures.month_name(month, lang))}</option>')
        parts = []
        notes = period_notes(data, config, month)
        for figure, fig in period_figures(data, config, month, previous).items():
            div_id = f"fig-{figure}-{key}"
            parts.append(_figure_html(fig, div_id, lang))
            if notes.get(figure):
                parts.append(f'<p class="note" id="note-{figure}-{key}">{html.escape(notes[figure])}</p>')
            if fig is not None:
                drawn[div_id] = fig
            if figure == "contracts":
                parts.append(contracts_download(data, config, month, downloads))
        parts.append(dropoff_list(data, config, month, downloads))
        sections.append(f'<section class="period" data-period="{key}"{"" if i == 0 else " hidden"}>'
                        + "\n".join(parts) + "</section>")
    overall = []
    for figure, fig in overall_figures(data, config).items():
        overall.append(_figure_html(fig, f"fig-{figure}", lang))
        if fig is not None:
            drawn[f"fig-{figure}"] = fig

    loaded_at = data.loads.loaded_at.max() if not data.loads.empty else None
    rows = ", ".join(f"{t} {int(n):,}" for t, n in zip(data.loads.table_name, data.loads.rows_loaded, strict=True)) \
        if not data.loads.empty else "-"
    footer = " ".join([
        label(lang, "footer_freshness", as_of=data.as_of.isoformat(),
              loaded_at=pd.Timestamp(loaded_at).strftime("%Y-%m-%d %H:%M") if loaded_at is not None else "-",
              built_at=built_at.strftime("%Y-%m-%d %H:%M")),
        label(lang, "footer_rows", rows=rows),
        label(lang, "footer_quarantine", rows=f"{data.quarantined:,}"),
        label(lang, "footer_rejected", files=f"{data.rejected_files:,}"),
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
<section class="lists">{as_of_lists(data, config, downloads)}</section>
<section class="overall">{"".join(overall)}</section>
<footer>{html.escape(footer)}</footer>
<script>{_SELECTOR}</script>
</body></html>
"""
    return Report(name, page, drawn, downloads.files)


def write_report(report: Report, out_dir: Path, export_png: bool) -> dict[str, Path]:
    """Write the run's page, the stable `latest.html` (both link the same list files, under lists/) and
    the list files; PNGs only where a Chromium can draw them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, frame in report.files.items():  # before the pages that link them
        (out_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / path).write_bytes(csv_bytes(frame))
    page = out_dir / f"{report.name}.html"
    page.write_text(report.page, encoding="utf-8")
    latest = out_dir / "latest.html"
    latest.write_text(report.page, encoding="utf-8")
    written = {"report": page, "latest": latest}
    figures_by_id = report.figures
    chromium = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                     if Path(p).exists()), None)
    if export_png and chromium:
        os.environ.setdefault("BROWSER_PATH", chromium)  # kaleido's choreographer looks here first
        png_dir = out_dir / "png"
        png_dir.mkdir(exist_ok=True)
        # One browser session for all figures: a fig.write_image per figure starts Chromium each time.
        pio.write_images(list(figures_by_id.values()), [png_dir / f"{div_id}.png" for div_id in figures_by_id],
                         width=1100)
        written["png"] = png_dir
    return written


def prune_reports(out_dir: Path, keep: int) -> list[str]:
    """Delete the pages, with their list files, of all but the `keep` newest runs (latest.html stays); the
    names of the pages deleted. A page's name starts with its UTC time, so names sort oldest first."""
    pages = sorted(out_dir.glob("management_report_*.html"))
    old = pages[:-keep] if len(pages) > keep else []
    for page in old:
        shutil.rmtree(out_dir / "lists" / page.stem, ignore_errors=True)
        page.unlink()
    return [page.name for page in old]

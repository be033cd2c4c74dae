"""Pure functions from mart DataFrames to Plotly figures. No I/O: the data comes in, a figure goes out.

Every function returns None when its data is empty (or its mart was not built: a frame without
columns), so the report says "no data" instead of drawing an empty chart. Metrics are never computed
here: the figures show the marts' own columns.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboards.labels import Names, label
from dashboards.lists import SHOWN_ROWS

FONT = {"family": "Segoe UI, Roboto, Helvetica, Arial, sans-serif", "size": 13}
# The triad and the cohort conversion beside period efficiency: (label key, mart column, is a share).
KPIS = (("results", "results", False), ("efficiency", "efficiency", True),
        ("cohort_conversion", "cohort_share", True), ("productivity", "productivity", False))


# The figures' template, as plotly's default: a new figure takes the default as it is, while
# update_layout(template=...) copies and validates the whole template again (2 s for the 124 figures of
# the SF10 report). This process draws only the report's figures.
pio.templates.default = "plotly_white"


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01}, font=FONT, height=height,
                      margin={"l": 60, "r": 30, "t": 70, "b": 50})
    return fig


def month_name(month: date, language: str) -> str:
    return pd.Timestamp(month).strftime(label(language, "month_format"))


def funnel_figure(funnel: pd.DataFrame, cohort_month: date, names: Names) -> go.Figure | None:
    """The client funnel of one cohort month: clients per step, with step and cumulative conversion."""
    language = names.language
    if funnel.empty:
        return None
    rows = funnel[funnel.cohort_month == pd.Timestamp(cohort_month)].sort_values("step_order")
    if rows.empty or rows.clients.iloc[0] == 0:
        return None
    # The shares on the bars are the mart's (not plotly's own "percent previous"), so bar and hover agree.
    text = [f"{n:,}" if pd.isna(step) else f"{n:,} · {step:.0%} · {cumulative:.0%}"
            for n, step, cumulative in zip(rows.clients, rows.step_conversion, rows.cumulative_conversion, strict=True)]
    fig = go.Figure(go.Funnel(
        y=[names("step", s) for s in rows.step], x=rows.clients.tolist(), text=text, textinfo="text",
        customdata=rows[["step_conversion", "cumulative_conversion"]].to_numpy(),
        hovertemplate="%{y}: %{x}<br>step %{customdata[0]:.1%}, cumulative %{customdata[1]:.1%}<extra></extra>"))
    return _layout(fig, label(language, "funnel", period=month_name(cohort_month, language)))


def _share(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value) * 100


def kpi_triad_figure(kpis: pd.DataFrame, processes: list[str], period: date, previous: date | None,
                     names: Names) -> go.Figure | None:
    """Results, efficiency, cohort conversion and productivity of every process in the period, each with
    its change from the previous period; shares in %, their changes in percentage points."""
    language = names.language
    if kpis.empty:
        return None
    monthly = kpis[(kpis.period_grain == "month") & (kpis.slice_type == "all")].set_index(["process", "period_start"])
    present = [p for p in processes if (p, pd.Timestamp(period)) in monthly.index]
    if not present:
        return None
    fig = go.Figure()
    for row, process in enumerate(present):
        current = monthly.loc[(process, pd.Timestamp(period))]
        before = monthly.loc[(process, pd.Timestamp(previous))] if previous is not None and (
            process, pd.Timestamp(previous)) in monthly.index else None
        for column, (key, field, is_share) in enumerate(KPIS):
            value = _share(current[field]) if is_share else current[field]
            reference = None if before is None else (_share(before[field]) if is_share else before[field])
            has_delta = reference is not None and pd.notna(reference)
            fmt = ".1f" if is_share else (",.0f" if field == "results" else ",.2f")
            fig.add_trace(go.Indicator(
                mode="number+delta" if has_delta else "number",
                value=None if value is None or pd.isna(value) else float(value),
                number={"valueformat": fmt, "suffix": "%" if is_share else ""},
                delta={"reference": float(reference), "valueformat": fmt, "relative": False,
                       "suffix": label(language, "pp") if is_share else ""} if has_delta else None,
                title={"text": f"{names('process', process)}<br>"
                               f"<span style='font-size:0.8em'>{label(language, key)}</span>"},
                name=f"{process}:{field}",
                domain={"row": row, "column": column}))
    fig.update_layout(grid={"rows": len(present), "columns": len(KPIS), "pattern": "independent"})
    title = label(language, "triad", period=month_name(period, language),
                  previous=month_name(previous, language) if previous is not None else "-")
    fig = _layout(fig, title, height=170 * len(present) + 120)
    return fig.update_layout(margin={"t": 120})


def cohort_note(kpis: pd.DataFrame, period: date, names: Names) -> str | None:
    """Why a period efficiency above 100% is no error, naming the processes where it happens."""
    if kpis.empty:
        return None
    rows = kpis[(kpis.period_grain == "month") & (kpis.slice_type == "all")
                & (kpis.period_start == pd.Timestamp(period)) & (kpis.efficiency > 1)]
    if rows.empty:
        return None
    return label(names.language, "cohort_note", processes=", ".join(names("process", p) for p in rows.process))


def weekly_trend_figure(kpis: pd.DataFrame, processes: list[str], names: Names) -> go.Figure | None:
    language = names.language
    if kpis.empty:
        return None
    weekly = kpis[(kpis.period_grain == "week") & (kpis.slice_type == "all")].sort_values("period_start")
    if weekly.empty:
        return None
    fig = go.Figure([go.Scatter(x=rows.period_start, y=rows.efficiency, mode="lines+markers",
                                name=names("process", process))
                     for process in processes if not (rows := weekly[weekly.process == process]).empty])
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, label(language, "weekly_trend"))


def employee_productivity_figure(kpis: pd.DataFrame, employees: pd.DataFrame, process: str, period: date,
                                 names: Names, show_names: bool) -> go.Figure | None:
    """Results per employee in the period against their team's average per participant."""
    language = names.language
    if kpis.empty:
        return None
    at = (kpis.period_grain == "month") & (kpis.period_start == pd.Timestamp(period)) & (kpis.process == process)
    people = kpis[at & (kpis.slice_type == "employee")].merge(
        employees, left_on="slice_value", right_on="employee_id", how="left")
    if people.empty:
        return None
    teams = kpis[at & (kpis.slice_type == "team")].set_index("slice_value")["productivity"]
    people["team"] = people.team.fillna("unknown")
    people["who"] = people.full_name.fillna(people.slice_value) if show_names else people.slice_value
    people = people.sort_values(["team", "results"], ascending=[True, False])
    fig = go.Figure([
        go.Bar(x=people.who, y=people.results, name=label(language, "results"),
               customdata=people.team, hovertemplate="%{x} (%{customdata}): %{y}<extra></extra>"),
        go.Scatter(x=people.who, y=people.team.map(teams), mode="markers", marker={"symbol": "line-ew-open",
                   "size": 28, "line": {"width": 3}}, name=label(language, "team_average")),
    ])
    return _layout(fig, label(language, "employees", process=names("process", process),
                              period=month_name(period, language)))


def team_comparison_figure(kpis: pd.DataFrame, processes: list[str], period: date, names: Names) -> go.Figure | None:
    language = names.language
    if kpis.empty:
        return None
    teams = kpis[(kpis.period_grain == "month") & (kpis.period_start == pd.Timestamp(period))
                 & (kpis.slice_type == "team")]
    if teams.empty:
        return None
    fig = go.Figure([go.Bar(x=[names("process", p) for p in rows.process], y=rows.efficiency, name=team,
                            text=rows.efficiency.map(lambda v: "" if pd.isna(v) else f"{v:.0%}"))
                     for team, rows in teams.assign(process=pd.Categorical(teams.process, processes))
                     .sort_values("process").groupby("slice_value", observed=True)])
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, label(language, "teams", period=month_name(period, language)))


def losses_figure(losses: pd.DataFrame, period: date, names: Names) -> go.Figure | None:
    language = names.language
    if losses.empty:
        return None
    rows = losses[(losses.period_grain == "month") & (losses.period_start == pd.Timestamp(period))]
    if rows.empty:
        return None
    rows = rows.assign(reason=rows.loss_reason.map(lambda r: names("value", r)) + rows.is_wholesale_handoff.map(
        {True: label(language, "wholesale"), False: ""}))
    fig = go.Figure([go.Bar(y=stage_rows.reason, x=stage_rows.losses, name=names("stage", stage), orientation="h")
                     for stage, stage_rows in rows.groupby("last_stage_before_loss")])
    fig.update_layout(barmode="stack")
    return _layout(fig, label(language, "losses", period=month_name(period, language)))


def segment_heatmap_figure(kpis: pd.DataFrame, process: str, period: date, names: Names) -> go.Figure | None:
    """Period efficiency by region (rows) and revenue tier (columns), from the `region_tier` slice."""
    language = names.language
    if kpis.empty:
        return None
    cells = kpis[(kpis.period_grain == "month") & (kpis.period_start == pd.Timestamp(period))
                 & (kpis.process == process) & (kpis.slice_type == "region_tier")]
    if cells.empty:
        return None
    split = cells.slice_value.str.split(" | ", n=1, expand=True, regex=False)
    grid = cells.assign(region=split[0], tier=split[1]).pivot_table(
        index="region", columns="tier", values="efficiency", aggfunc="first").sort_index()
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(), x=grid.columns.tolist(), y=grid.index.tolist(),
                               colorscale="Blues", zmin=0, colorbar={"tickformat": ".0%"},
                               hovertemplate="%{y}, %{x}: %{z:.1%}<extra></extra>"))
    return _layout(fig, label(language, "heatmap", process=names("process", process),
                              period=month_name(period, language)),
                   height=max(320, 28 * len(grid) + 140))


def contracts_figure(contracts: pd.DataFrame, month: date, language: str) -> go.Figure | None:
    """The month's contracts that end soonest (the first SHOWN_ROWS: the report links the CSV of all)."""
    if contracts.empty:
        return None
    month_rows = contracts[contracts.month_start == pd.Timestamp(month)]
    if month_rows.empty:
        return None
    rows = month_rows.sort_values("days_to_end", kind="stable").head(SHOWN_ROWS)
    columns = ["contract_id", "client_name", "region", "revenue_tier", "ends_on", "days_to_end", "amount"]
    headers = [label(language, k) for k in ("contract", "client", "region", "tier", "ends_on", "days_left",
                                            "amount")]
    # One 2-D array, not lists: plotly checks a list element by element (11 s for SF10's contracts).
    values = np.array([rows[c].astype(str).to_numpy() if c != "amount" else rows[c].map("{:,.0f}".format).to_numpy()
                       for c in columns], dtype=object)
    fig = go.Figure(go.Table(header={"values": headers, "align": "left"}, cells={"values": values, "align": "left"}))
    reporting = pd.Timestamp(rows.reporting_date.iloc[0]).date().isoformat()
    horizon_days = int(rows.horizon_days.iloc[0])  # the dbt variable the mart was built with
    return _layout(fig, label(language, "contracts", days=horizon_days, date=reporting),
                   height=min(900, 60 + 30 * len(rows) + 80))


def identifier_quality_figure(by_source: pd.DataFrame, language: str) -> go.Figure | None:
    if by_source.empty:
        return None
    rows = by_source.sort_values("reliability")
    fig = go.Figure(go.Bar(x=rows.reliability, y=rows.source, orientation="h",
                           text=[f"{r:.0%} ({int(n)}/{int(t)})" for r, n, t in
                                 zip(rows.reliability, rows.reliable_rows, rows.identifier_rows, strict=True)]))
    fig.update_xaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(fig, label(language, "identifier_quality"), height=max(260, 45 * len(rows) + 120))


def identifier_trend_figure(history: pd.DataFrame, language: str) -> go.Figure | None:
    """Reliability per source at each run, from quality.identifier_quality_history (the same numbers
    int_identifier_quality gives the identifier_quality figure)."""
    if history.empty:
        return None
    fig = go.Figure([go.Scatter(x=rows.recorded_at, y=rows.reliability, mode="lines+markers", name=source)
                     for source, rows in history.sort_values("recorded_at").groupby("source")])
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(fig, label(language, "identifier_trend"))


def analysis_duration_figure(by_bucket: pd.DataFrame, language: str) -> go.Figure | None:
    """Mean weeks per analysis in each bucket of the survey's split, beside the survey's own figure for
    the bucket (the mart's survey_mean_weeks, from the seed identifier_count_buckets)."""
    if by_bucket.empty:
        return None
    rows = by_bucket[(by_bucket.bucket_scheme == "survey") & (by_bucket.completed_analyses > 0)] \
        .sort_values("bucket_order")
    if rows.empty:
        return None
    fig = go.Figure(go.Bar(x=rows.identifier_bucket, y=rows.mean_weeks, name=label(language, "measured"),
                           text=[f"{w:.1f} {label(language, 'weeks')} (n={int(n)})"
                                 for w, n in zip(rows.mean_weeks, rows.completed_analyses, strict=True)]))
    surveyed = rows[rows.survey_mean_weeks.notna()]
    fig.add_trace(go.Scatter(x=surveyed.identifier_bucket, y=surveyed.survey_mean_weeks, mode="markers+text",
                             name=label(language, "survey"), marker={"symbol": "line-ew-open", "size": 40},
                             text=[f"{w:g}" for w in surveyed.survey_mean_weeks], textposition="top center"))
    return _layout(fig, label(language, "analysis"))


def deal_outcomes_figure(outcomes: pd.DataFrame, employees: pd.DataFrame, period: date, names: Names,
                         show_names: bool) -> go.Figure | None:
    """Win rate in the period for the whole company, each team and each manager who closed a deal, with
    the deals won and lost and the median sales cycle."""
    language = names.language
    if outcomes.empty:
        return None
    rows = outcomes[(outcomes.period_grain == "month") & (outcomes.period_start == pd.Timestamp(period))
                    & (outcomes.won + outcomes.lost > 0)]
    if rows.empty:
        return None
    people = employees.set_index("employee_id") if not employees.empty else pd.DataFrame()

    def who(slice_type: str, value: str) -> str:
        if slice_type == "all":
            return label(language, "all_deals")
        if slice_type == "team":
            return f"{label(language, 'team')}: {names('value', value)}"
        known = value in people.index
        name = people.full_name.get(value) if known and show_names and pd.notna(people.full_name.get(value)) \
            else value
        team = people.team.get(value) if known else None
        return f"{name} ({team})" if team else name

    order = {"all": 0, "team": 1, "employee": 2}
    rows = rows.assign(order=rows.slice_type.map(order)).sort_values(["order", "win_rate"], ascending=[True, False])
    texts = [label(language, "won_lost", won=int(w), lost=int(lo))
             + (f" · {label(language, 'cycle_days', days=c)}" if pd.notna(c) else "")
             for w, lo, c in zip(rows.won, rows.lost, rows.sales_cycle_median_days, strict=True)]
    fig = go.Figure(go.Bar(
        y=[who(t, v) for t, v in zip(rows.slice_type, rows.slice_value, strict=True)], x=rows.win_rate,
        orientation="h", text=texts, textposition="outside", cliponaxis=False, name="win_rate",
        customdata=rows[["won", "lost", "sales_cycle_median_days"]].to_numpy(),
        hovertemplate="%{y}: %{x:.1%}<br>%{text}<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", range=[0, 1.6])  # room for the text beside a 100% bar
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, label(language, "outcomes", period=month_name(period, language)),
                   height=max(300, 32 * len(rows) + 140))


def bookings_text(bookings: pd.DataFrame, period: date, language: str) -> str | None:
    """Bookings of the period per currency, as a sentence."""
    if bookings.empty:
        return None
    rows = bookings[(bookings.period_grain == "month") & (bookings.slice_type == "all")
                    & (bookings.period_start == pd.Timestamp(period)) & bookings.amount.notna()]
    if rows.empty:
        return None
    amounts = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in
                        zip(rows.currency, rows.amount, strict=True))
    return label(language, "bookings", period=month_name(period, language), amounts=amounts)


def time_in_stage_figure(time_in_stage: pd.DataFrame, period: date, names: Names) -> go.Figure | None:
    """Median and 90th percentile hours in each stage of the stays that began in the period, and how
    many of them are still open."""
    language = names.language
    if time_in_stage.empty:
        return None
    rows = time_in_stage[(time_in_stage.period_grain == "month")
                         & (time_in_stage.period_start == pd.Timestamp(period))].sort_values("stage_order")
    if rows.empty:
        return None
    stages = [names("stage", s) for s in rows.stage]
    still = [label(language, "open_stays", n=int(n)) if n else "" for n in rows.open_stays]
    fig = go.Figure([
        go.Bar(x=stages, y=rows.median_hours, name=label(language, "median"), text=still, textposition="outside"),
        go.Bar(x=stages, y=rows.p90_hours, name=label(language, "p90")),
    ])
    fig.update_layout(barmode="group")
    return _layout(fig, label(language, "time_in_stage", period=month_name(period, language)))


LEAD_KPIS = (("leads_created", "leads_created", ",.0f"), ("hours_to_assign", "median_hours_to_assign", ",.1f"),
             ("hours_to_contact", "median_hours_to_first_contact", ",.1f"), ("converted", "converted", ",.0f"),
             ("refused", "refused", ",.0f"), ("still_open", "still_open", ",.0f"),
             ("conversion", "conversion", ".1%"), ("wholesale_handed", "wholesale_handed_over", ",.0f"),
             ("wholesale_missing", "wholesale_not_handed_over", ",.0f"))


def lead_handling_figure(lead_kpis: pd.DataFrame, period: date, names: Names) -> go.Figure | None:
    """How the period's leads were handled: how many, how fast, how they ended, the wholesale hand-offs."""
    language = names.language
    if lead_kpis.empty:
        return None
    rows = lead_kpis[(lead_kpis.period_grain == "month") & (lead_kpis.slice_type == "all")
                     & (lead_kpis.period_start == pd.Timestamp(period))]
    if rows.empty:
        return None
    row = rows.iloc[0]
    fig = go.Figure([go.Indicator(
        mode="number", value=None if pd.isna(row[column]) else float(row[column]), number={"valueformat": fmt},
        title={"text": label(language, key)}, name=f"leads:{column}", domain={"row": i // 3, "column": i % 3})
        for i, (key, column, fmt) in enumerate(LEAD_KPIS)])
    fig.update_layout(grid={"rows": 3, "columns": 3, "pattern": "independent"})
    fig = _layout(fig, label(language, "leads", period=month_name(period, language)), height=520)
    return fig.update_layout(margin={"t": 110})

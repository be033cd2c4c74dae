"""The figure functions on small hand-made mart frames: what they draw, and nothing when data is missing."""

from __future__ import annotations

import base64
import tempfile
from datetime import date

import pandas as pd
import pytest

from dashboards import figures
from dashboards.labels import Names, label
from dashboards.lists import csv_bytes, csv_link, html_table, neutralise, neutralise_frame

MARCH, FEB = date(2026, 3, 1), date(2026, 2, 1)
EN = Names("en", {"client_search": "Client search by phone", "meeting": "Meetings"},
           {"proposal_sent": "Proposal sent", "meeting_scheduled": "Meeting scheduled"},
           {"contacted": "Contacted", "agreed": "Meeting agreed", "paid": "Paid"})
RU = Names("ru", {"client_search": "Поиск клиентов"}, {"proposal_sent": "КП отправлено",
                                                       "meeting_scheduled": "Встреча назначена"}, {})


def kpi_rows(*rows) -> pd.DataFrame:
    columns = ["process", "period_grain", "period_start", "slice_type", "slice_value", "results", "efficiency",
               "productivity", "inputs", "cohort_share"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["period_start"] = pd.to_datetime(frame.period_start)
    return frame


KPIS = kpi_rows(
    ("client_search", "month", MARCH, "all", "all", 3, 0.25, 1.0, 12, 0.25),
    ("client_search", "month", FEB, "all", "all", 1, 1.0, 1.0, 1, 1.0),
    ("meeting", "month", MARCH, "all", "all", 3, 0.6, 1.5, 5, 0.6),
    ("client_search", "month", MARCH, "team", "North", 3, 0.3, 1.5, 10, 0.3),
    ("client_search", "month", MARCH, "team", "South", 0, 0.0, 0.0, 2, 0.0),
    ("client_search", "month", MARCH, "employee", "E1", 2, 0.33, 2.0, 6, 0.33),
    ("client_search", "month", MARCH, "employee", "E3", 0, 0.0, 0.0, 2, 0.0),
    ("client_search", "month", MARCH, "region_tier", "Moscow | A", 1, 0.5, 1.0, 2, 0.5),
    ("client_search", "month", MARCH, "region_tier", "Kirov | C", 0, 0.0, 0.0, 3, 0.0),
    ("client_search", "week", date(2026, 3, 2), "all", "all", 2, 0.5, 1.0, 4, 0.5),
)


def test_kpi_triad_shows_the_kpis_and_cohort_conversion_with_changes_in_points():
    fig = figures.kpi_triad_figure(KPIS, ["client_search", "meeting", "payment"], MARCH, FEB, EN)
    values = {t.name: (t.value, t.delta.reference if t.delta and t.delta.reference is not None else None)
              for t in fig.data}
    assert values == {"client_search:results": (3, 1), "client_search:efficiency": (25.0, 100.0),
                      "client_search:cohort_share": (25.0, 100.0), "client_search:productivity": (1.0, 1.0),
                      "meeting:results": (3, None), "meeting:efficiency": (60.0, None),
                      "meeting:cohort_share": (60.0, None), "meeting:productivity": (1.5, None)}
    efficiency = next(t for t in fig.data if t.name == "client_search:efficiency")
    assert (efficiency.number.suffix, efficiency.delta.suffix) == ("%", " pp")  # changes in percentage points
    assert "Client search by phone" in efficiency.title.text and "client_search" not in efficiency.title.text
    assert fig.layout.grid.rows == 2  # payment has no row in March: no empty indicators


def test_efficiency_above_100_percent_is_explained():
    assert figures.cohort_note(KPIS, MARCH, EN) is None
    over = pd.concat([KPIS, kpi_rows(("meeting", "month", date(2026, 4, 1), "all", "all", 2, 2.0, 2.0, 1, 0.0))])
    note = figures.cohort_note(over, date(2026, 4, 1), EN)
    assert "Efficiency above 100% (Meetings)" in note and "cohort conversion" in note


def test_funnel_shows_step_and_cumulative_percentages():
    funnel = pd.DataFrame({"cohort_month": pd.to_datetime([MARCH] * 3), "step": ["contacted", "agreed", "paid"],
                           "step_order": [1, 2, 3], "clients": [9, 3, 1], "step_conversion": [None, 1 / 3, 1 / 3],
                           "cumulative_conversion": [1, 1 / 3, 1 / 9]})
    fig = figures.funnel_figure(funnel, MARCH, EN)
    assert list(fig.data[0].x) == [9, 3, 1] and list(fig.data[0].y) == ["Contacted", "Meeting agreed", "Paid"]
    assert list(fig.data[0].text) == ["9", "3 · 33% · 33%", "1 · 33% · 11%"]  # the mart's shares, not plotly's
    assert figures.funnel_figure(funnel, FEB, EN) is None


def test_employees_against_their_team_average_with_or_without_names():
    employees = pd.DataFrame({"employee_id": ["E1", "E3"], "full_name": ["Anna Ivanova", "Vera Sidorova"],
                              "team": ["North", "South"]})
    named = figures.employee_productivity_figure(KPIS, employees, "client_search", MARCH, EN, show_names=True)
    assert list(named.data[0].x) == ["Anna Ivanova", "Vera Sidorova"]
    assert list(named.data[1].y) == [1.5, 0.0]  # the team's productivity per participant
    anonymous = figures.employee_productivity_figure(KPIS, employees, "client_search", MARCH, EN, show_names=False)
    assert list(anonymous.data[0].x) == ["E1", "E3"]


def test_heatmap_splits_region_and_tier():
    fig = figures.segment_heatmap_figure(KPIS, "client_search", MARCH, EN)
    assert list(fig.data[0].y) == ["Kirov", "Moscow"] and list(fig.data[0].x) == ["A", "C"]
    z = fig.data[0].z
    assert z[1][0] == 0.5 and z[0][1] == 0.0 and pd.isna(z[0][0])


def test_losses_mark_wholesale_handoffs():
    losses = pd.DataFrame({"period_grain": "month", "period_start": pd.to_datetime([MARCH, MARCH]),
                           "loss_reason": ["wants_wholesale", "client_refused"],
                           "last_stage_before_loss": ["proposal_sent", "meeting_scheduled"],
                           "is_wholesale_handoff": [True, False], "losses": [1, 1]})
    fig = figures.losses_figure(losses, MARCH, RU)
    bars = {(t.name, y): x for t in fig.data for y, x in zip(t.y, t.x, strict=True)}
    assert bars == {("КП отправлено", "хочет оптом" + label("ru", "wholesale")): 1,
                    ("Встреча назначена", "отказ клиента"): 1}


def test_weekly_trend_and_team_comparison():
    trend = figures.weekly_trend_figure(KPIS, ["client_search", "meeting"], EN)
    assert [t.name for t in trend.data] == ["Client search by phone"] and list(trend.data[0].y) == [0.5]
    teams = figures.team_comparison_figure(KPIS, ["client_search"], MARCH, EN)
    assert {t.name: list(t.y) for t in teams.data} == {"North": [0.3], "South": [0.0]}
    assert list(teams.data[0].x) == ["Client search by phone"]


def test_identifier_and_analysis_figures():
    quality = pd.DataFrame({"source": ["crm", "bank"], "identifier_rows": [5, 1], "reliable_rows": [4, 1],
                            "reliability": [0.8, 1.0]})
    fig = figures.identifier_quality_figure(quality, "en")
    assert dict(zip(fig.data[0].y, fig.data[0].x, strict=True)) == {"crm": 0.8, "bank": 1.0}
    buckets = pd.DataFrame({"bucket_scheme": ["survey", "survey", "fine"], "identifier_bucket": [">4", "<=4", "3-4"],
                            "bucket_order": [2, 1, 2], "survey_mean_weeks": [7.0, 6.0, None],
                            "completed_analyses": [1, 2, 2], "mean_weeks": [7.0, 5.5, 5.5]})
    analysis = figures.analysis_duration_figure(buckets, "en")
    assert list(analysis.data[0].x) == ["<=4", ">4"]  # in the seed's order
    assert dict(zip(analysis.data[0].x, analysis.data[0].y, strict=True)) == {"<=4": 5.5, ">4": 7.0}
    assert dict(zip(analysis.data[1].x, analysis.data[1].y, strict=True)) == {"<=4": 6.0, ">4": 7.0}


@pytest.mark.parametrize("name", ["funnel_figure", "losses_figure", "identifier_quality_figure",
                                  "analysis_duration_figure", "weekly_trend_figure", "identifier_trend_figure",
                                  "deal_outcomes_figure", "time_in_stage_figure", "lead_handling_figure"])
def test_no_data_draws_no_chart(name):
    empty = pd.DataFrame(columns=["cohort_month", "period_grain", "period_start", "slice_type", "bucket_scheme",
                                  "completed_analyses", "source", "recorded_at", "reliability"])
    args = {"funnel_figure": (empty, MARCH, EN), "losses_figure": (empty, MARCH, EN),
            "identifier_quality_figure": (empty, "en"), "analysis_duration_figure": (empty, "en"),
            "weekly_trend_figure": (empty, ["client_search"], EN), "identifier_trend_figure": (empty, "en"),
            "deal_outcomes_figure": (empty, empty, MARCH, EN, True), "time_in_stage_figure": (empty, MARCH, EN),
            "lead_handling_figure": (empty, MARCH, EN)}[name]
    assert getattr(figures, name)(*args) is None


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="report language must be one of en, ru"):
        label("de", "title")


def test_win_rate_per_team_and_manager_with_names_and_cycle():
    outcomes = pd.DataFrame({
        "period_grain": "month", "period_start": pd.to_datetime([MARCH] * 5),
        "slice_type": ["all", "team", "team", "employee", "employee"],
        "slice_value": ["all", "North", "South", "M1", "M2"], "won": [2, 2, 0, 2, 0], "lost": [2, 1, 1, 1, 1],
        "win_rate": [0.5, 2 / 3, 0.0, 2 / 3, 0.0], "sales_cycle_median_days": [20.5, 20.5, None, 20.5, None]})
    employees = pd.DataFrame({"employee_id": ["M1", "M2"], "full_name": ["Gleb Orlov", "Daria Kuznetsova"],
                              "team": ["North", "South"]})
    bar = figures.deal_outcomes_figure(outcomes, employees, MARCH, EN, show_names=True).data[0]
    assert dict(zip(bar.y, bar.x, strict=True)) == {"All": 0.5, "Team: North": 2 / 3, "Gleb Orlov (North)": 2 / 3,
                                                    "Team: South": 0.0, "Daria Kuznetsova (South)": 0.0}
    assert bar.text[0] == "2 won / 2 lost · cycle 20.5 d"
    anonymous = figures.deal_outcomes_figure(outcomes, employees, MARCH, EN, show_names=False).data[0]
    assert "M1 (North)" in anonymous.y and "Gleb Orlov (North)" not in anonymous.y
    assert figures.deal_outcomes_figure(outcomes, employees, FEB, EN, True) is None


def test_time_in_stage_lead_handling_and_bookings():
    stays = pd.DataFrame({"period_grain": "month", "period_start": pd.to_datetime([MARCH] * 2),
                          "stage": ["proposal_sent", "meeting_scheduled"], "stage_order": [3, 1],
                          "median_hours": [312.0, 144.0], "p90_hours": [331.2, 240.0], "open_stays": [0, 2]})
    fig = figures.time_in_stage_figure(stays, MARCH, EN)
    assert list(fig.data[0].x) == ["Meeting scheduled", "Proposal sent"] and list(fig.data[0].y) == [144.0, 312.0]
    assert list(fig.data[0].text) == ["2 still there", ""]
    leads = pd.DataFrame({"period_grain": ["month"], "period_start": pd.to_datetime([MARCH]), "slice_type": ["all"],
                          "leads_created": [6], "median_hours_to_assign": [0.5], "median_hours_to_first_contact": [5.0],
                          "converted": [1], "refused": [3], "still_open": [2], "conversion": [1 / 6],
                          "wholesale_handed_over": [1], "wholesale_not_handed_over": [1]})
    values = {t.name: t.value for t in figures.lead_handling_figure(leads, MARCH, EN).data}
    assert values["leads:leads_created"] == 6 and values["leads:conversion"] == pytest.approx(1 / 6)
    bookings = pd.DataFrame({"period_grain": "month", "period_start": pd.to_datetime([MARCH, MARCH]),
                             "slice_type": "all", "currency": ["RUB", "none"], "amount": [1_650_000.0, None]})
    assert figures.bookings_text(bookings, MARCH, "en") == "Bookings in March 2026: 1,650,000.00 RUB"


@pytest.mark.parametrize(("value", "safe"), [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+7 900", "'+7 900"),
    ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("ООО «Ромашка»", "ООО «Ромашка»"),
    ("<b>x</b>", "‹b>x‹/b>"), ("<=4", "<=4"), (">4", ">4"), (42, 42), (None, None),
])
def test_text_leaving_the_warehouse_is_neutralised(value, safe):
    assert neutralise(value) == safe


def test_lists_and_csv_downloads_are_formula_safe():
    frame = neutralise_frame(pd.DataFrame({"client_name": ["=cmd|' /C calc'!A0", "OK"], "age_hours": [-5.0, 1.0]}))
    assert list(frame.client_name) == ["'=cmd|' /C calc'!A0", "OK"] and list(frame.age_hours) == [-5.0, 1.0]
    link = csv_link(pd.DataFrame({"name": ["=1+1"]}), "x.csv", "Download")
    encoded = link.split("base64,", 1)[1].split('"', 1)[0]
    assert 'download="x.csv"' in link and base64.b64decode(encoded).decode() == "\ufeffname\n'=1+1\n"
    table = html_table(pd.DataFrame({"name": ["<script>", "=2"]}), {"name": "Name"}, "t", "more")
    assert "‹script&gt;" in table and "<script>" not in table and "&#x27;=2" in table  # shown as '=2


def test_a_list_as_csv_keeps_every_kind_of_value():
    """What the lists hold, as DuckDB writes it: quoted where needed, dates of midnight-only columns as
    dates, missing values empty, formulas neutralised."""
    frame = pd.DataFrame({
        "client_name": pd.array(['ООО «Ромашка», "опт"', "=HYPERLINK(1)", None, ""], dtype="string"),
        "month_start": pd.to_datetime(["2026-01-01", "2026-02-01", None, "2026-03-01"]),
        "entered_at": pd.to_datetime(["2026-01-01 09:02:49", "2026-02-01 00:00:00", None, "2026-03-01 12:00:00"]),
        "hours": [1.5, float("nan"), 1e-05, 8804.666666666666],
        "deals": pd.array([1, None, 3, 4], dtype="Int64"),
    })
    assert csv_bytes(frame).decode("utf-8") == (
        "\ufeffclient_name,month_start,entered_at,hours,deals\n"
        '"ООО «Ромашка», ""опт""",2026-01-01,2026-01-01 09:02:49,1.5,1\n'
        "'=HYPERLINK(1),2026-02-01,2026-02-01 00:00:00,,\n"
        ",,,1e-05,3\n"
        '"",2026-03-01,2026-03-01 12:00:00,8804.666666666666,4\n')
    assert csv_bytes(frame.iloc[0:0]).decode("utf-8") == "\ufeffclient_name,month_start,entered_at,hours,deals\n"


def test_a_list_as_csv_is_written_whatever_the_temporary_folder_is_called(tmp_path, monkeypatch):
    folder = tmp_path / "o'brien"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert csv_bytes(pd.DataFrame({'say "hi"': [1]})).decode("utf-8") == '\ufeff"say ""hi"""\n1\n'

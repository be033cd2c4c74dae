"""The figure functions on small hand-made mart frames: what they draw, and nothing when data is missing."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboards import figures
from dashboards.labels import label

MARCH, FEB = date(2026, 3, 1), date(2026, 2, 1)


def kpi_rows(*rows) -> pd.DataFrame:
    columns = ["process", "period_grain", "period_start", "slice_type", "slice_value", "results", "efficiency",
               "productivity", "inputs"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["period_start"] = pd.to_datetime(frame.period_start)
    return frame


KPIS = kpi_rows(
    ("client_search", "month", MARCH, "all", "all", 3, 0.25, 1.0, 12),
    ("client_search", "month", FEB, "all", "all", 1, 1.0, 1.0, 1),
    ("meeting", "month", MARCH, "all", "all", 3, 0.6, 1.5, 5),
    ("client_search", "month", MARCH, "team", "North", 3, 0.3, 1.5, 10),
    ("client_search", "month", MARCH, "team", "South", 0, 0.0, 0.0, 2),
    ("client_search", "month", MARCH, "employee", "E1", 2, 0.33, 2.0, 6),
    ("client_search", "month", MARCH, "employee", "E3", 0, 0.0, 0.0, 2),
    ("client_search", "month", MARCH, "region_tier", "Moscow | A", 1, 0.5, 1.0, 2),
    ("client_search", "month", MARCH, "region_tier", "Kirov | C", 0, 0.0, 0.0, 3),
    ("client_search", "week", date(2026, 3, 2), "all", "all", 2, 0.5, 1.0, 4),
)


def test_kpi_triad_shows_three_kpis_per_process_with_deltas():
    fig = figures.kpi_triad_figure(KPIS, ["client_search", "meeting", "payment"], MARCH, FEB, "en")
    values = {t.name: (t.value, t.delta.reference if t.delta and t.delta.reference is not None else None)
              for t in fig.data}
    assert values == {"client_search:results": (3, 1), "client_search:efficiency": (0.25, 1.0),
                      "client_search:productivity": (1.0, 1.0), "meeting:results": (3, None),
                      "meeting:efficiency": (0.6, None), "meeting:productivity": (1.5, None)}
    assert fig.layout.grid.rows == 2  # payment has no row in March: no empty indicators


def test_funnel_shows_step_and_cumulative_percentages():
    funnel = pd.DataFrame({"cohort_month": pd.to_datetime([MARCH] * 3), "step": ["contacted", "agreed", "paid"],
                           "step_order": [1, 2, 3], "clients": [9, 3, 1], "step_conversion": [None, 1 / 3, 1 / 3],
                           "cumulative_conversion": [1, 1 / 3, 1 / 9]})
    fig = figures.funnel_figure(funnel, MARCH, "en")
    assert list(fig.data[0].x) == [9, 3, 1]
    assert fig.data[0].textinfo == "value+percent previous+percent initial"
    assert figures.funnel_figure(funnel, FEB, "en") is None


def test_employees_against_their_team_average_with_or_without_names():
    employees = pd.DataFrame({"employee_id": ["E1", "E3"], "full_name": ["Anna Ivanova", "Vera Sidorova"],
                              "team": ["North", "South"]})
    named = figures.employee_productivity_figure(KPIS, employees, "client_search", MARCH, "en", show_names=True)
    assert list(named.data[0].x) == ["Anna Ivanova", "Vera Sidorova"]
    assert list(named.data[1].y) == [1.5, 0.0]  # the team's productivity per participant
    anonymous = figures.employee_productivity_figure(KPIS, employees, "client_search", MARCH, "en", show_names=False)
    assert list(anonymous.data[0].x) == ["E1", "E3"]


def test_heatmap_splits_region_and_tier():
    fig = figures.segment_heatmap_figure(KPIS, "client_search", MARCH, "en")
    assert list(fig.data[0].y) == ["Kirov", "Moscow"] and list(fig.data[0].x) == ["A", "C"]
    z = fig.data[0].z
    assert z[1][0] == 0.5 and z[0][1] == 0.0 and pd.isna(z[0][0])


def test_losses_mark_wholesale_handoffs():
    losses = pd.DataFrame({"period_grain": "month", "period_start": pd.to_datetime([MARCH, MARCH]),
                           "loss_reason": ["wants_wholesale", "client_refused"],
                           "last_stage_before_loss": ["proposal_sent", "meeting_scheduled"],
                           "is_wholesale_handoff": [True, False], "losses": [1, 1]})
    fig = figures.losses_figure(losses, MARCH, "ru")
    bars = {(t.name, y): x for t in fig.data for y, x in zip(t.y, t.x, strict=True)}
    assert bars == {("proposal_sent", "wants_wholesale" + label("ru", "wholesale")): 1,
                    ("meeting_scheduled", "client_refused"): 1}


def test_weekly_trend_and_team_comparison():
    trend = figures.weekly_trend_figure(KPIS, ["client_search", "meeting"], "en")
    assert [t.name for t in trend.data] == ["client_search"] and list(trend.data[0].y) == [0.5]
    teams = figures.team_comparison_figure(KPIS, ["client_search"], MARCH, "en")
    assert {t.name: list(t.y) for t in teams.data} == {"North": [0.3], "South": [0.0]}


def test_identifier_and_analysis_figures():
    quality = pd.DataFrame({"source": ["crm", "bank"], "identifier_rows": [5, 1], "reliable_rows": [4, 1],
                            "reliability": [0.8, 1.0]})
    fig = figures.identifier_quality_figure(quality, "en")
    assert dict(zip(fig.data[0].y, fig.data[0].x, strict=True)) == {"crm": 0.8, "bank": 1.0}
    buckets = pd.DataFrame({"bucket_scheme": ["survey", "survey", "fine"], "identifier_bucket": ["<=4", ">4", "3-4"],
                            "completed_analyses": [2, 1, 2], "mean_weeks": [5.5, 7.0, 5.5]})
    analysis = figures.analysis_duration_figure(buckets, "en")
    assert dict(zip(analysis.data[0].x, analysis.data[0].y, strict=True)) == {"<=4": 5.5, ">4": 7.0}


@pytest.mark.parametrize("name", ["funnel_figure", "losses_figure", "identifier_quality_figure",
                                  "analysis_duration_figure", "weekly_trend_figure", "identifier_trend_figure"])
def test_no_data_draws_no_chart(name):
    empty = pd.DataFrame(columns=["cohort_month", "period_grain", "period_start", "slice_type", "bucket_scheme",
                                  "completed_analyses", "scope", "validated_at"])
    args = {"funnel_figure": (empty, MARCH, "en"), "losses_figure": (empty, MARCH, "en"),
            "identifier_quality_figure": (empty, "en"), "analysis_duration_figure": (empty, "en"),
            "weekly_trend_figure": (empty, ["client_search"], "en"), "identifier_trend_figure": (empty, "en")}[name]
    assert getattr(figures, name)(*args) is None


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="report language must be one of en, ru"):
        label("de", "title")

"""docs/metrics.md section 7 (deal outcomes) and section 8 (lead handling), number by number, read from the
marts the real pipeline built on the worked example."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import query
from tests.test_worked_example import APRIL, FEB, MARCH, kpi

MAY = date(2026, 5, 1)


def one(con, sql: str, params: list) -> dict:
    cur = con.execute(sql, params)
    rows = cur.fetchall()
    assert len(rows) == 1, f"{sql} {params}: {len(rows)} rows"
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True))


def outcome(con, period_start, slice_type="all", slice_value="all", grain="month") -> dict:
    return one(con, "SELECT * FROM marts.fct_deal_outcomes WHERE period_grain = ? AND period_start IS NOT DISTINCT "
                    "FROM ? AND slice_type = ? AND slice_value = ?", [grain, period_start, slice_type, slice_value])


@pytest.mark.parametrize(("slice_type", "slice_value", "won", "lost", "win_rate"), [
    ("all", "all", 2, 2, 0.5), ("employee", "M1", 2, 1, 0.6667), ("team", "North", 2, 1, 0.6667),
    ("employee", "M2", 0, 1, 0.0), ("team", "South", 0, 1, 0.0),
])
def test_win_rate_in_march(warehouse, slice_type, slice_value, won, lost, win_rate):
    row = outcome(warehouse, MARCH, slice_type, slice_value)
    assert (row["won"], row["lost"]) == (won, lost)
    assert row["win_rate"] == pytest.approx(win_rate, abs=1e-4)


@pytest.mark.parametrize("month", [FEB, APRIL, MAY])
def test_no_deal_closed_means_no_win_rate(warehouse, month):
    row = outcome(warehouse, month)
    assert (row["won"], row["lost"], row["win_rate"]) == (0, 0, None)  # D01's payment in April is no second win


def test_sales_cycle_of_the_march_wins(warehouse):
    row = outcome(warehouse, MARCH)
    assert row["sales_cycle_median_days"] == pytest.approx(20.5417, abs=1e-4)  # D05 21.0833, D01 20.0
    assert row["sales_cycle_mean_days"] == pytest.approx(20.5417, abs=1e-4)
    cycles = dict(query(warehouse, "SELECT deal_id, sales_cycle_days FROM intermediate.int_deals "
                                   "WHERE outcome = 'won' ORDER BY deal_id"))
    assert cycles == {"D01": pytest.approx(20.0), "D05": pytest.approx(21.0833, abs=1e-4)}


def test_all_time_row_counts_every_close(warehouse):
    row = outcome(warehouse, None, grain="all")
    assert (row["won"], row["lost"], row["win_rate"]) == (2, 2, 0.5)


def test_bookings_in_march(warehouse):
    assert query(warehouse, "SELECT currency, won_deals, amount FROM marts.fct_bookings WHERE period_grain = 'month' "
                            "AND slice_type = 'all'") == [("RUB", 2, 1_650_000.0)]  # CT05 1,200,000 + CT01 450,000


STAGES = ["meeting_scheduled", "meeting_held", "proposal_sent", "contract_signed", "paid"]


@pytest.mark.parametrize(("cohort", "deals"), [(FEB, [1, 1, 1, 1, 1]), (MARCH, [5, 4, 2, 1, 1])])
def test_stage_reach_by_cohort(warehouse, cohort, deals):
    rows = query(warehouse, "SELECT stage, deals, implied_deals, reach_share FROM marts.fct_stage_reach "
                            "WHERE cohort_month = ? ORDER BY stage_order", [cohort])
    assert [(s, d) for s, d, _, _ in rows] == list(zip(STAGES, deals, strict=True))
    assert all(implied == 0 for _, _, implied, _ in rows)  # the worked example dates every passage
    assert [share for *_, share in rows] == pytest.approx([d / deals[0] for d in deals])


@pytest.mark.parametrize(("stage", "grain", "start", "closed", "median"), [
    ("meeting_scheduled", "month", FEB, 1, 97), ("meeting_scheduled", "month", MARCH, 5, 144),
    ("meeting_scheduled", "all", None, 6, 132), ("meeting_held", "month", MARCH, 3, 48),
    ("proposal_sent", "month", MARCH, 3, 312), ("contract_signed", "month", MARCH, 2, 252),
])
def test_time_in_stage(warehouse, stage, grain, start, closed, median):
    row = one(warehouse, "SELECT * FROM marts.fct_time_in_stage WHERE period_grain = ? AND period_start IS NOT "
                         "DISTINCT FROM ? AND stage = ?", [grain, start, stage])
    assert (row["closed_stays"], row["median_hours"]) == (closed, median)


def test_open_stays_at_the_end_of_the_as_of_date(warehouse):
    assert query(warehouse, "SELECT deal_id, stage, CAST(entered_at AS VARCHAR), age_hours "
                            "FROM marts.fct_open_stage_stays ORDER BY deal_id") == [
        ("D07", "meeting_held", "2026-04-02 10:00:00", 1430.0), ("D16", "meeting_held", "2026-04-06 10:00:00", 1334.0)]
    assert one(warehouse, "SELECT open_stays FROM marts.fct_time_in_stage WHERE period_grain = 'all' "
                          "AND stage = 'meeting_held'", [])["open_stays"] == 2


def test_dropoffs_list_the_lost_and_the_stuck(warehouse):
    assert query(warehouse, "SELECT month_start, stage, dropoff, deal_id FROM marts.fct_stage_dropoffs "
                            "ORDER BY stage_order, deal_id") == [
        (MARCH, "meeting_scheduled", "lost", "D09"), (APRIL, "meeting_held", "stuck", "D07"),
        (APRIL, "meeting_held", "stuck", "D16"), (MARCH, "proposal_sent", "lost", "D02")]


def lead_kpis(con, slice_type="all", slice_value="all", month=MARCH) -> dict:
    return one(con, "SELECT * FROM marts.fct_lead_kpis WHERE period_grain = 'month' AND period_start = ? "
                    "AND slice_type = ? AND slice_value = ?", [month, slice_type, slice_value])


def test_leads_created_and_their_timing(warehouse):
    march, april = lead_kpis(warehouse), lead_kpis(warehouse, month=APRIL)
    assert (march["leads_created"], april["leads_created"]) == (6, 2)
    assert march["median_hours_to_assign"] == pytest.approx(0.5)  # 0.5, 20, 0.3333, 65, 0.1667
    assert march["median_hours_to_first_contact"] == pytest.approx(5.0)  # 2, 5, 24, 27, 0.5
    hours = dict(query(warehouse, "SELECT lead_id, hours_to_assign FROM marts.fct_leads "
                                  "WHERE created_at < '2026-04-01'"))
    assert hours == {"L1": 0.5, "L2": 20.0, "L3": pytest.approx(1 / 3), "L4": 65.0, "L5": None,
                     "L8": pytest.approx(1 / 6)}


def test_outcomes_of_the_march_leads(warehouse):
    row = lead_kpis(warehouse)
    assert (row["converted"], row["refused"], row["refused_wants_wholesale"], row["refused_deal_impossible"],
            row["still_open"]) == (1, 3, 2, 1, 2)
    assert row["conversion"] == pytest.approx(1 / 6)


def test_wholesale_hand_offs(warehouse):
    row = lead_kpis(warehouse)
    assert (row["wholesale_refusals"], row["wholesale_handed_over"], row["wholesale_not_handed_over"]) == (2, 1, 1)
    assert query(warehouse, "SELECT lead_id, wholesale_handoff, hours_to_handoff FROM marts.fct_leads "
                            "WHERE wholesale_handoff IS NOT NULL ORDER BY lead_id") == [("L2", "done", 1.0),
                                                                                      ("L8", "missing", None)]


def test_leads_at_risk_at_the_end_of_the_as_of_date(warehouse):
    assert query(warehouse, "SELECT risk, lead_id, CAST(since AS VARCHAR) FROM marts.fct_leads_at_risk "
                            "ORDER BY risk") == [
        ("callback_overdue", "L4", "2026-04-01 10:00:00"), ("never_contacted", "L7", "2026-04-05 12:30:00"),
        ("no_callback_planned", "L6", "2026-04-02 10:00:00"), ("unassigned", "L5", "2026-03-25 11:00:00")]


def test_lead_handling_is_a_process_of_the_chain(warehouse):
    march = kpi(warehouse, "lead_handling", MARCH)
    assert (march["inputs"], march["results"], march["cohort_conversions"], march["participants"]) == (6, 1, 1, 2)
    assert march["efficiency"] == pytest.approx(1 / 6) and march["cohort_share"] == pytest.approx(1 / 6)
    assert march["cohort_window_days"] == 30 and march["median_hours_to_result"] == 195  # L1
    assert (march["productivity"], march["fte"], march["productivity_fte"]) == (0.5, 2.0, 0.5)
    teams = {v: (kpi(warehouse, "lead_handling", MARCH, "team", v)["inputs"],
                 kpi(warehouse, "lead_handling", MARCH, "team", v)["results"]) for v in ("North", "South", "unknown")}
    assert teams == {"North": (2, 1), "South": (3, 0), "unknown": (1, 0)}
    assert kpi(warehouse, "lead_handling", MARCH, "team", "North")["efficiency"] == 0.5
    april = kpi(warehouse, "lead_handling", APRIL)
    assert (april["inputs"], april["results"], april["efficiency"], april["participants"]) == (2, 0, 0.0, 2)


def test_ratios_are_double_precision(warehouse):
    types = dict(query(warehouse, "SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'marts' AND table_name = 'fct_process_kpis'"))
    assert {types[c] for c in ("efficiency", "productivity", "fte", "productivity_fte", "cohort_share",
                               "reach_rate")} == {"DOUBLE"}
    assert {types[c] for c in ("inputs", "results", "dials", "cohort_conversions")} == {"BIGINT"}
    efficiency = query(warehouse, "SELECT efficiency FROM marts.fct_process_kpis WHERE process = 'client_search' "
                                  "AND period_grain = 'month' AND period_start = ? AND slice_type = 'employee' "
                                  "AND slice_value = 'E1'", [MARCH])[0][0]
    assert efficiency == 1 / 3  # exactly the double, not 0.33333334

"""docs/metrics.md section 6, number by number, read from the marts the real pipeline built."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import query

MARCH, FEB, APRIL = date(2026, 3, 1), date(2026, 2, 1), date(2026, 4, 1)


def kpi(con, process, period_start, slice_type="all", slice_value="all", grain="month") -> dict:
    cur = con.execute(
        "SELECT * FROM marts.fct_process_kpis WHERE process = ? AND period_grain = ? AND period_start = ? "
        "AND slice_type = ? AND slice_value = ?", [process, grain, period_start, slice_type, slice_value])
    rows = cur.fetchall()
    assert len(rows) == 1, f"{process} {period_start} {slice_type}={slice_value}: {len(rows)} rows"
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True))


@pytest.mark.parametrize(("month", "dials", "contacts", "results", "efficiency", "participants", "productivity"), [
    (FEB, 1, 1, 1, 1.0, 1, 1.0),
    (MARCH, 22, 12, 3, 0.25, 3, 1.0),
    (APRIL, 1, 1, 0, 0.0, 1, 0.0),
])
def test_client_search_by_month(warehouse, month, dials, contacts, results, efficiency, participants, productivity):
    row = kpi(warehouse, "client_search", month)
    assert (row["dials"], row["inputs"], row["results"], row["participants"]) == (
        dials, contacts, results, participants)
    assert row["efficiency"] == pytest.approx(efficiency)
    assert row["productivity"] == pytest.approx(productivity)
    assert row["reach_rate"] == pytest.approx(contacts / dials)


@pytest.mark.parametrize(("employee", "dials", "contacts", "results", "efficiency"), [
    ("E1", 10, 6, 2, 0.3333), ("E2", 7, 4, 1, 0.25), ("E3", 5, 2, 0, 0.0),
])
def test_client_search_march_by_employee(warehouse, employee, dials, contacts, results, efficiency):
    row = kpi(warehouse, "client_search", MARCH, "employee", employee)
    assert (row["dials"], row["inputs"], row["results"]) == (dials, contacts, results)
    assert row["efficiency"] == pytest.approx(efficiency, abs=1e-4)


@pytest.mark.parametrize(("team", "contacts", "results", "efficiency", "participants", "productivity",
                          "fte", "productivity_fte"), [
    ("North", 10, 3, 0.3, 2, 1.5, 2.0, 1.5),
    ("South", 2, 0, 0.0, 1, 0.0, 0.5161, 0.0),
])
def test_client_search_march_by_team(warehouse, team, contacts, results, efficiency, participants, productivity,
                                     fte, productivity_fte):
    row = kpi(warehouse, "client_search", MARCH, "team", team)
    assert (row["inputs"], row["results"], row["participants"]) == (contacts, results, participants)
    assert row["efficiency"] == pytest.approx(efficiency)
    assert row["productivity"] == pytest.approx(productivity)
    assert row["fte"] == pytest.approx(fte, abs=1e-4)
    assert row["productivity_fte"] == pytest.approx(productivity_fte, abs=1e-4)


def test_client_search_march_fte(warehouse):
    row = kpi(warehouse, "client_search", MARCH)
    assert row["fte"] == pytest.approx(2 + 16 / 31)  # E3 hired on the 16th
    assert row["productivity_fte"] == pytest.approx(1.1923, abs=1e-4)
    assert kpi(warehouse, "client_search", MARCH, "employee", "E3")["fte"] == pytest.approx(16 / 31)


@pytest.mark.parametrize(("process", "productivity_fte"), [
    ("meeting", 1.5), ("proposal", 1.5), ("contract", 1.0), ("payment", 0.5),
])
def test_deal_processes_march_fte(warehouse, process, productivity_fte):
    row = kpi(warehouse, process, MARCH)
    assert row["fte"] == pytest.approx(2.0)
    assert row["productivity_fte"] == pytest.approx(productivity_fte)


NULL = None


@pytest.mark.parametrize(("process", "month", "inputs", "results", "efficiency", "participants", "productivity",
                          "cohort_conversions", "cohort_share", "median_hours"), [
    ("meeting", FEB, 1, 0, 0.0, 1, 0.0, 1, 1.0, 97),
    ("meeting", MARCH, 5, 3, 0.6, 2, 1.5, 4, 0.8, 132),
    ("meeting", APRIL, 0, 2, NULL, 1, 2.0, 0, NULL, NULL),
    ("proposal", MARCH, 3, 3, 1.0, 1, 3.0, 3, 1.0, 48),
    ("proposal", APRIL, 2, 0, 0.0, 1, 0.0, 0, 0.0, NULL),
    ("contract", MARCH, 3, 2, 0.6667, 1, 2.0, 2, 0.6667, 324),
    ("payment", MARCH, 2, 1, 0.5, 1, 1.0, 2, 1.0, 252),
    ("payment", APRIL, 0, 1, NULL, 1, 1.0, 0, NULL, NULL),
])
def test_deal_processes_by_month(warehouse, process, month, inputs, results, efficiency, participants,
                                 productivity, cohort_conversions, cohort_share, median_hours):
    row = kpi(warehouse, process, month)
    assert (row["inputs"], row["results"], row["participants"], row["cohort_conversions"]) == (
        inputs, results, participants, cohort_conversions)
    for column, expected in (("efficiency", efficiency), ("productivity", productivity),
                             ("cohort_share", cohort_share), ("median_hours_to_result", median_hours)):
        if expected is NULL:
            assert row[column] is None, column
        else:
            assert row[column] == pytest.approx(expected, abs=1e-4), column
    assert row["cohort_window_days"] == 30
    assert row["cohort_open"] is False
    assert row["dials"] is None


def test_deal_processes_have_no_rows_without_events(warehouse):
    assert query(warehouse, "SELECT count(*) FROM marts.fct_process_kpis WHERE process = 'proposal' "
                            "AND period_grain = 'month' AND slice_type = 'all' AND period_start = ?", [FEB]) == [(0,)]


def test_moscow_time_decides_the_period(warehouse):
    """K011 at 21:30Z on Feb 28 is March 1 in Moscow; K018 at 21:30Z on Mar 31 is April."""
    days = dict(query(warehouse, "SELECT call_id, started_on FROM staging.stg_calls WHERE call_id IN ('K011', 'K018')"))
    assert days == {"K011": date(2026, 3, 1), "K018": date(2026, 4, 1)}


def test_client_funnel(warehouse):
    rows = query(warehouse, "SELECT cohort_month, step, clients FROM marts.fct_client_funnel "
                            "ORDER BY cohort_month, step_order")
    by_month: dict = {}
    for month, step, clients in rows:
        by_month.setdefault(month, {})[step] = clients
    assert by_month[FEB] == dict.fromkeys(
        ["contacted", "meeting_agreed", "meeting_scheduled", "meeting_held", "proposal_sent", "contract_signed",
         "paid"], 1)
    assert by_month[MARCH] == {"contacted": 9, "meeting_agreed": 3, "meeting_scheduled": 3, "meeting_held": 3,
                               "proposal_sent": 2, "contract_signed": 1, "paid": 1}
    assert set(by_month) == {FEB, MARCH}


def test_client_funnel_conversions(warehouse):
    rows = dict(((step), (step_conv, cum_conv)) for step, step_conv, cum_conv in query(
        warehouse, "SELECT step, step_conversion, cumulative_conversion FROM marts.fct_client_funnel "
                   "WHERE cohort_month = ?", [MARCH]))
    assert rows["contacted"] == (None, 1.0)
    assert rows["meeting_agreed"] == (pytest.approx(3 / 9), pytest.approx(3 / 9))
    assert rows["proposal_sent"] == (pytest.approx(2 / 3), pytest.approx(2 / 9))


def test_losses_in_march(warehouse):
    rows = query(warehouse, "SELECT loss_reason, last_stage_before_loss, is_wholesale_handoff, losses "
                            "FROM marts.fct_losses_by_reason WHERE period_grain = 'month' AND period_start = ? "
                            "ORDER BY loss_reason", [MARCH])
    assert rows == [("client_refused", "meeting_scheduled", False, 1), ("wants_wholesale", "proposal_sent", True, 1)]


def test_contracts_ending_within_90_days_after_march(warehouse):
    rows = query(warehouse, "SELECT contract_id, days_to_end FROM marts.fct_contracts_ending "
                            "WHERE reporting_date = DATE '2026-03-31'")
    assert rows == [("CT90", 15)]  # CT01 ends on day 91


def test_duplicate_call_counts_once_and_inbound_is_not_search(warehouse):
    assert query(warehouse, "SELECT count(*) FROM staging.stg_calls WHERE call_id = 'K013'") == [(1,)]
    assert query(warehouse, "SELECT rows_in, rows_loaded, rows_duplicate, rows_quarantined FROM raw._load_ledger "
                            "WHERE table_name = 'calls'") == [(26, 25, 1, 0)]
    assert query(warehouse, "SELECT count(*) FROM intermediate.int_process_events "
                            "WHERE subject_id = 'K024'") == [(0,)]


def test_dim_clients_last_meeting(warehouse):
    rows = dict(query(warehouse, "SELECT client_id, last_meeting_band FROM marts.dim_clients"))
    assert rows["C16"] == "31-90 days"  # meeting held 2026-04-06, 55 days before the as-of date
    assert rows["C06"] == "never"

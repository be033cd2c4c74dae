"""The incremental calls (stg_calls, int_calls) against one full build, where newer versions of call
legs and clients change calls built by an earlier run: through the real pipeline, two nightly runs
against one (helpers of tests/test_incremental_runs.py)."""

from __future__ import annotations

import shutil

from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE
from tests.test_incremental_runs import assert_same_marts, build_nightly_and_at_once

CALL_COLUMNS = ("call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome,"
                "linked_id")
CLIENT_COLUMNS = "client_id,name,client_type,region,industry,revenue_tier,created_at,phone"


def test_new_versions_that_move_legs_and_change_phone_owners_equal_one_build(tmp_path, monkeypatch):
    """What an incremental run must merge again besides the new legs: a call that loses a leg to another
    (a newer version names another linked_id), a call left with no leg, and calls linked by phone whose
    number gains an owner (unknown -> linked), a second one (linked -> ambiguous) or loses its only one
    (linked -> unknown: the client's newer version has another number)."""
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "incremental-equals-full")  # one key for both warehouses
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    for path in WORKED_EXAMPLE.glob("*.csv"):
        shutil.copy(path, first / f"{path.stem}__1.csv")
    (first / "calls__1b.csv").write_text("\n".join([
        CALL_COLUMNS,
        "K900,2026-04-01T10:00:00+03:00,outbound,E1,,+74950000900,NO ANSWER,0,,",
        "K901,2026-04-01T11:00:00+03:00,outbound,E1,,+74950000901,ANSWERED,60,callback,",
        "K902,2026-04-01T12:00:00+03:00,outbound,E1,,+74950000902,ANSWERED,45,callback,",
        "K910,2026-04-02T10:00:00+03:00,inbound,,C01,,NO ANSWER,0,,",
        "K910b,2026-04-02T10:00:05+03:00,inbound,E2,C01,,ANSWERED,90,,K910",
        "K920,2026-04-03T10:00:00+03:00,outbound,E1,C02,,ANSWERED,30,meeting_agreed,",
    ]) + "\n")
    (first / "clients__1b.csv").write_text("\n".join([
        CLIENT_COLUMNS, "C901,OOO Tochka,legal_entity,Moscow,retail,B,2026-01-05,+74950000901",
        "C903,OOO Staryi,legal_entity,Moscow,retail,B,2026-01-05,+74950000902"]) + "\n")
    (second / "calls__2.csv").write_text("\n".join([
        CALL_COLUMNS,
        # K910's answering leg joins the new call K930: K910 loses it
        "K910b,2026-04-02T10:00:05+03:00,inbound,E2,C01,,ANSWERED,90,,K930",
        # K920's only leg joins K930 too: K920 is left with no leg
        "K920,2026-04-03T10:00:00+03:00,outbound,E1,C02,,ANSWERED,30,meeting_agreed,K930",
        "K930,2026-04-03T09:59:00+03:00,outbound,E1,C02,,NO ANSWER,0,,",
    ]) + "\n")
    (second / "clients__2.csv").write_text("\n".join([
        CLIENT_COLUMNS,
        "C900,AO Novy,legal_entity,Moscow,retail,C,2026-01-06,+74950000900",     # K900: unknown -> phone
        "C902,OOO Dubl,legal_entity,Moscow,retail,C,2026-01-07,+7 495 000-09-01",  # K901: phone -> ambiguous
        "C903,OOO Staryi,legal_entity,Moscow,retail,B,2026-01-05,+74950000999",    # K902: phone -> unknown
    ]) + "\n")
    incremental, full = build_nightly_and_at_once(first, second, tmp_path, WORKED_AS_OF)
    calls = full["intermediate.int_calls"].set_index("call_id")
    assert calls.loc["K900", "client_link"] == "phone" and calls.loc["K901", "client_link"] == "ambiguous_phone"
    assert calls.loc["K902", "client_link"] == "unknown_phone"
    assert calls.loc["K910", "legs"] == 1 and "K920" not in calls.index and calls.loc["K930", "legs"] == 3
    assert_same_marts(incremental, full)


def test_a_client_changing_segment_and_an_employee_changing_team_equal_one_build(tmp_path, monkeypatch):
    """New versions of a client and an employee with no new event of theirs move their old events to
    other slices: the KPI periods of those events' days are derived again, not only the new day's."""
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "incremental-equals-full")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    for path in WORKED_EXAMPLE.glob("*.csv"):
        shutil.copy(path, first / f"{path.stem}__1.csv")
    (second / "clients__2.csv").write_text(
        "client_id,name,client_type,region,industry,services,equipment,revenue_tier,created_at\n"
        "C01,OOO Severstroy,legal_entity,Kazan,construction,property;liability,,C,2026-01-15\n")
    (second / "employees__2.csv").write_text(
        "employee_id,full_name,team,role,hired_on,left_on\nE1,Anna Ivanova,South,caller,2025-01-10,\n")
    incremental, full = build_nightly_and_at_once(first, second, tmp_path, WORKED_AS_OF, changes_events=False)
    kpis = full["marts.fct_process_kpis"]
    assert ((kpis["slice_type"] == "region") & (kpis["slice_value"] == "Kazan")).any()
    assert ((kpis["slice_type"] == "team") & (kpis["slice_value"] == "South")).any()
    assert_same_marts(incremental, full)

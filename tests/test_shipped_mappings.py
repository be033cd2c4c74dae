"""Each shipped mapping (sources/*.yml) on real files, end to end: the public exports (../shared/data:
Asterisk CDRs, amoCRM, Olist; skipped when absent) and the Bitrix24 sample in tests/fixtures/exports,
landed together and run through the whole pipeline. The numbers are the README's headline numbers."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.runner import run_refresh
from pipelines.settings import REPO_ROOT, Settings
from tests.conftest import PUBLIC_DATA, needs_public_data

DATA = PUBLIC_DATA
BITRIX = REPO_ROOT / "tests" / "fixtures" / "exports" / "bitrix24_deals.csv"
REAL_FILES = ["asterisk_cdr/Master_cdr_csv_extended_masked.csv", "asterisk_cdr/Master_cdr_custom_KelySaina.csv",
              "amocrm_export/amocrm_leads_test.csv", "amocrm_export/amocrm_contacts_test.csv",
              "olist_funnel/olist_marketing_qualified_leads_dataset.csv", "olist_funnel/olist_closed_deals_dataset.csv"]

pytestmark = needs_public_data()


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("real")
    landing = folder / "landing"
    landing.mkdir()
    for name in REAL_FILES:
        shutil.copy(DATA / name, landing)
    shutil.copy(BITRIX, landing)
    # The same Bitrix24 export from an older portal: cp1251, and another name.
    (landing / "bitrix24_deals_old_portal.csv").write_bytes(BITRIX.read_text(encoding="utf-8-sig").encode("cp1251"))
    settings = Settings(landing=landing, warehouse=folder / "w.duckdb")
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings, instance=instance, log_level="ERROR").success
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        yield con


def ledger(con, file_name: str) -> list[tuple]:
    return con.execute("SELECT table_name, source, status, rows_in, rows_loaded, rows_duplicate, rows_quarantined, "
                       "rows_filtered FROM raw._load_ledger WHERE file_name = ? ORDER BY table_name",
                       [file_name]).fetchall()


def deals_of(con, file_name: str) -> dict[str, int]:
    return dict(con.execute("SELECT outcome, count(*) FROM intermediate.int_deals WHERE deal_id IN "
                            "(SELECT deal_id FROM raw.deal_stages WHERE _file = ?) GROUP BY 1", [file_name]).fetchall())


def test_nothing_is_rejected_or_quarantined(real):
    assert real.execute("SELECT count(*) FROM raw._load_ledger WHERE status <> 'loaded'").fetchall() == [(0,)]
    assert real.execute("SELECT count(*) FROM raw._quarantine").fetchall() == [(0,)]


def test_asterisk_cdr_csv_with_linkedid(real):
    assert ledger(real, "Master_cdr_csv_extended_masked.csv") == [
        ("calls", "asterisk_cdr_csv_extended", "loaded", 84, 84, 0, 0, 0)]
    # 84 CDR rows are the legs of 36 inbound calls: 24 answered by a person, 12 missed, none called back.
    calls = real.execute("SELECT count(*), sum(legs), count(*) FILTER (is_answered) FROM intermediate.int_calls "
                         "WHERE direction = 'inbound'").fetchall()
    assert calls == [(36, 84, 24)]
    assert real.execute("SELECT sum(inbound_calls), sum(answered), sum(missed), sum(missed_not_called_back) "
                        "FROM marts.fct_inbound_calls_daily").fetchall() == [(36, 24, 12, 12)]
    # The agent's extension comes from the destination channel (SIP/301-0000001a -> 301).
    assert ("301",) in real.execute("SELECT DISTINCT employee_id FROM intermediate.int_calls "
                                    "WHERE direction = 'inbound' AND is_answered").fetchall()


def test_asterisk_cdr_custom(real):
    assert ledger(real, "Master_cdr_custom_KelySaina.csv") == [
        ("calls", "asterisk_cdr_custom", "loaded", 14, 14, 0, 0, 0)]
    # Two softphones calling each other: 14 outbound calls, 11 answered, no outside number to link.
    assert real.execute("SELECT count(*), count(*) FILTER (is_answered), count(*) FILTER (client_link = 'no_phone') "
                        "FROM intermediate.int_calls WHERE direction = 'outbound'").fetchall() == [(14, 11, 14)]


def test_amocrm_leads_and_contacts(real):
    assert ledger(real, "amocrm_leads_test.csv") == [
        ("contracts", "amocrm_leads", "loaded", 20, 1, 0, 0, 19),
        ("deal_stages", "amocrm_leads", "loaded", 40, 38, 0, 0, 2)]  # a repeated product line, twice
    assert ledger(real, "amocrm_contacts_test.csv") == [("clients", "amocrm_contacts", "loaded", 19, 19, 0, 0, 0)]
    assert deals_of(real, "amocrm_leads_test.csv") == {"won": 1, "lost": 7, "open": 11}
    # The export gives each deal's current stage only: "Принимают решение" implies a held meeting.
    reach = real.execute("SELECT stage, sum(deals), sum(implied_deals) FROM marts.fct_stage_reach "
                         "WHERE cohort_month BETWEEN '2022-01-01' AND '2022-12-01' GROUP BY stage, stage_order "
                         "ORDER BY stage_order").fetchall()
    assert reach == [("meeting_scheduled", 19, 0), ("meeting_held", 11, 11), ("proposal_sent", 11, 1),
                     ("contract_signed", 1, 0), ("paid", 0, 0)]
    assert real.execute("SELECT count(*) FROM raw.phone_numbers WHERE raw_value LIKE '67566%'").fetchall()[0][0] > 0


def test_bitrix24_deals_utf8_and_cp1251(real):
    assert ledger(real, "bitrix24_deals.csv") == [
        ("clients", "bitrix24_deals", "loaded", 14, 14, 0, 0, 0),
        ("contracts", "bitrix24_deals", "loaded", 14, 4, 0, 0, 10),
        ("deal_stages", "bitrix24_deals", "loaded", 28, 28, 0, 0, 0)]
    # The cp1251 copy carries the same rows: every one a duplicate.
    assert ledger(real, "bitrix24_deals_old_portal.csv") == [
        ("clients", "bitrix24_deals", "loaded", 14, 0, 14, 0, 0),
        ("contracts", "bitrix24_deals", "loaded", 14, 0, 4, 0, 10),
        ("deal_stages", "bitrix24_deals", "loaded", 28, 0, 28, 0, 0)]
    assert deals_of(real, "bitrix24_deals.csv") == {"won": 4, "lost": 3, "open": 7}
    bookings = real.execute("SELECT currency, won_deals, amount FROM marts.fct_bookings WHERE period_grain = 'all' "
                            "AND slice_type = 'all' AND currency IN ('RUB', 'EUR') ORDER BY 1").fetchall()
    assert bookings == [("EUR", 1, 780000.5), ("RUB", 4, 9_000_000.0)]  # 3 from Bitrix24, amoCRM's win at 0


def test_olist_marketing_funnel(real):
    assert ledger(real, "olist_marketing_qualified_leads_dataset.csv") == [
        ("leads", "olist_mql", "loaded", 8000, 8000, 0, 0, 0)]
    [(created, converted, still_open, conversion)] = real.execute(
        "SELECT leads_created, converted, still_open, conversion FROM marts.fct_lead_kpis "
        "WHERE period_grain = 'all' AND slice_type = 'all'").fetchall()
    assert (created, converted, still_open) == (8000, 842, 7158) and conversion == pytest.approx(0.10525)
    assert deals_of(real, "olist_closed_deals_dataset.csv") == {"won": 842}
    # One lead was closed two days before its first contact in the data set: kept, counted, and flagged.
    assert real.execute("SELECT count(*) FROM marts.fct_leads WHERE closed_at < created_at").fetchall() == [(1,)]

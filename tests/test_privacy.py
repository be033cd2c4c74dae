"""No phone number leaves the raw layer: every table of the worked example's warehouse outside `raw`, and
the report it wrote, are scanned for the numbers the landed files hold, in any of the ways people write
them."""

from __future__ import annotations

import re

from tests.conftest import WORKED_EXAMPLE


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_tails() -> set[str]:
    """The last ten digits of every number in the landed files: +7 900..., 8 900..., 900... all end so."""
    text = "".join(p.read_text() for p in WORKED_EXAMPLE.glob("*.csv"))
    tails = {_digits(p)[-10:] for p in re.findall(r"\+7\d{10}", text)}
    assert len(tails) > 10
    return tails


def test_no_mart_or_staging_view_holds_a_phone_number(warehouse):
    tails = _phone_tails()
    relations = warehouse.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                  "WHERE table_schema IN ('staging', 'intermediate', 'marts')").fetchall()
    assert len(relations) > 30
    for schema, name in relations:
        columns = [c for (c,) in warehouse.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "AND data_type = 'VARCHAR'", [schema, name]).fetchall()]
        for column in columns:
            values = {v for (v,) in warehouse.execute(f'SELECT DISTINCT "{column}" FROM {schema}.{name}').fetchall()
                      if v}
            leaked = {v for v in values if _digits(v)[-10:] in tails and len(_digits(v)) >= 10}
            assert not leaked, f"{schema}.{name}.{column} holds phone numbers: {sorted(leaked)[:3]}"


def test_calls_keep_a_keyed_hash_of_the_number(warehouse):
    keys = warehouse.execute("SELECT count(DISTINCT client_phone_key), min(length(client_phone_key)) "
                             "FROM staging.stg_calls").fetchall()
    assert keys == [(15, 24)]  # 15 distinct numbers in calls.csv, 96-bit hashes


def test_the_report_and_its_lists_hold_no_phone_number(worked_run, worked_settings):
    tails = _phone_tails()
    reports = worked_settings.warehouse.parent / "reports"
    pages = [reports / "latest.html", *reports.rglob("*.csv")]
    for page in pages:
        # Any run of digits with the separators people write numbers with: 8 (900) 123-45-67.
        written = {_digits(m) for m in re.findall(r"\+?\d[\d ()\-]{8,}\d", page.read_text(errors="replace"))}
        leaked = {d for d in written if len(d) >= 10 and d[-10:] in tails}
        assert not leaked, f"{page.name} holds phone numbers: {sorted(leaked)[:3]}"


def test_personal_names_stay_in_the_raw_schema(warehouse):
    """Employees' and clients' names are in schema raw only (personal_*_names); every other table holds ids."""
    employees = {n for (n,) in warehouse.execute("SELECT full_name FROM raw.personal_employee_names").fetchall() if n}
    clients = {n for (n,) in warehouse.execute("SELECT client_name FROM raw.personal_client_names").fetchall() if n}
    assert "Anna Ivanova" in employees and len(clients) > 10
    names = employees | clients
    relations = warehouse.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                  "WHERE table_schema NOT IN ('raw')").fetchall()
    for schema, name in relations:
        for (column,) in warehouse.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "AND data_type = 'VARCHAR'", [schema, name]).fetchall():
            values = {v for (v,) in warehouse.execute(f'SELECT DISTINCT "{column}" FROM {schema}.{name}').fetchall()}
            assert not values & names, f"{schema}.{name}.{column} holds names: {sorted(values & names)[:3]}"

"""No phone number leaves the raw layer: every mart of the worked example is scanned for the numbers
the landed files hold, in any of the ways people write them."""

from __future__ import annotations

import re

from tests.conftest import WORKED_EXAMPLE


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_no_mart_or_staging_view_holds_a_phone_number(warehouse):
    phones = set(re.findall(r"\+7\d{10}", (WORKED_EXAMPLE / "calls.csv").read_text()))
    tails = {_digits(p)[-10:] for p in phones}  # +7 900..., 8 900..., 900...: the last ten digits
    assert len(tails) > 10
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

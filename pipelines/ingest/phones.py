"""Phone numbers: normalised to E.164 with Google's libphonenumber (`phonenumbers`), and replaced by a
keyed hash everywhere past the raw layer.

`8 900 123-45-67`, `+7 (900) 123 45 67` and `89001234567` are one number, `+79001234567`: calls link
to clients by it when the call has no client id. The key of the hash is SALESFUNNEL_PHONE_KEY, or a
random key kept in the warehouse (`raw._settings`); staging and marts see only the hash, so a mart or
a report can count and join by phone but never show one. Each distinct value is normalised once.
"""

import hashlib
import hmac
import os
import re
import secrets
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pandas as pd
import phonenumbers

from pipelines.resources import WarehouseResource

PHONES_KEY = dg.AssetKey(["raw", "phone_numbers"])
_LIST_SEPARATOR = re.compile(r"[;,]")
_SOURCES = (("calls", "client_phone"), ("clients", "phone"))


def normalise(value: str, region: str) -> str | None:
    """E.164 (`+79001234567`) of a number as people write it; None when it cannot be a phone number
    (an internal extension, a name, too few digits)."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(e164: str, key: bytes) -> str:
    return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()[:24]


def hash_key(con: duckdb.DuckDBPyConnection) -> bytes:
    """SALESFUNNEL_PHONE_KEY, else the warehouse's own random key (made on first use)."""
    if os.environ.get("SALESFUNNEL_PHONE_KEY"):
        return os.environ["SALESFUNNEL_PHONE_KEY"].encode()
    con.execute("CREATE TABLE IF NOT EXISTS raw._settings (name VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO raw._settings VALUES ('phone_key', ?) ON CONFLICT DO NOTHING", [secrets.token_hex(32)])
    return con.execute("SELECT value FROM raw._settings WHERE name = 'phone_key'").fetchall()[0][0].encode()


def split_numbers(value: str) -> list[str]:
    """A `;`- or `,`-separated list of numbers (a client's phones) as its parts."""
    return [part.strip() for part in _LIST_SEPARATOR.split(value) if part.strip()]


def normalise_new_values(con: duckdb.DuckDBPyConnection, region: str) -> dict[str, int]:
    key = hash_key(con)
    settings_id = hashlib.sha256(key + region.encode() + phonenumbers.__version__.encode()).hexdigest()[:12]
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.phone_numbers (
            raw_value VARCHAR, part INTEGER, e164 VARCHAR, phone_key VARCHAR, settings_id VARCHAR,
            normalised_at TIMESTAMP)""")
    # Another region, key or phonenumbers release: every number is normalised again.
    con.execute("DELETE FROM raw.phone_numbers WHERE settings_id <> ?", [settings_id])
    union = " UNION ".join(f"SELECT trim({column}) FROM raw.{table} WHERE {column} IS NOT NULL"
                           for table, column in _SOURCES)
    pending = [v for (v,) in con.execute(
        f"SELECT * FROM ({union}) EXCEPT SELECT raw_value FROM raw.phone_numbers").fetchall()]
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for value in pending:
        for part, number in enumerate(split_numbers(value) or [value], start=1):
            e164 = normalise(number, region)
            rows.append((value, part, e164, phone_key(e164, key) if e164 else None, settings_id, now))
    if rows:
        frame = pd.DataFrame(rows, columns=["raw_value", "part", "e164", "phone_key", "settings_id", "normalised_at"])
        con.register("new_numbers", frame)
        con.execute("INSERT INTO raw.phone_numbers SELECT * FROM new_numbers")
        con.unregister("new_numbers")
    totals = con.execute("SELECT count(DISTINCT raw_value), count(e164) FROM raw.phone_numbers").fetchall()[0]
    return {"new_values": len(pending), "values": totals[0], "numbers": totals[1],
            "not_numbers": sum(1 for r in rows if r[2] is None)}


@dg.asset(
    key=PHONES_KEY,
    deps=[dg.AssetKey(["raw", table]) for table, _ in _SOURCES],
    group_name="ingest",
    kinds={"python", "duckdb"},
    owners=["team:sales-ops-analytics"],
    description="Every distinct phone value of calls and clients, normalised to E.164 (phonenumbers, default "
                "region from SALESFUNNEL_PHONE_REGION) with its keyed hash; staging and marts read only the "
                "hash. Values that cannot be phone numbers (extensions, names) have none.",
)
def phone_numbers(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = normalise_new_values(con, warehouse.phone_region)
    context.log.info(f"normalised {counts['new_values']} new phone values")
    return dg.MaterializeResult(metadata={**counts, "region": warehouse.phone_region})


defs = dg.Definitions(assets=[phone_numbers])

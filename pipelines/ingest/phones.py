"""Phone numbers: normalised to E.164 with Google's libphonenumber (`phonenumbers`), and replaced by a
keyed hash everywhere past the raw layer.

`8 900 123-45-67`, `+7 (900) 123 45 67` and `89001234567` are one number, `+79001234567`: calls link
to clients by it when the call has no client id. The key of the hash is SALESFUNNEL_PHONE_KEY, or a
random key kept in the warehouse (`raw._settings`); staging and marts see only the hash (keyed
BLAKE2b), so a mart or a report can count and join by phone but never show one. Each distinct value is
normalised once. The usual shapes of the default region's numbers (its country code or national
prefix, then a national number of a possible length) are normalised from libphonenumber's metadata
without parsing (a million numbers would take half a minute); `tests/test_phones.py` shows the
result is libphonenumber's own.
"""

import hashlib
import os
import re
import secrets
from datetime import UTC, datetime
from functools import cache

import dagster as dg
import duckdb
import pandas as pd
import phonenumbers

from pipelines.resources import WarehouseResource

PHONES_KEY = dg.AssetKey(["raw", "phone_numbers"])
_LIST_SEPARATOR = re.compile(r"[;,]")
_SOURCES = (("calls", "client_phone"), ("clients", "phone"))


_FORMATTING = re.compile(r"[\s\-().\u00a0]")
_DIGITS = re.compile(r"\+?\d+")


@cache
def _region_shape(region: str) -> tuple[str, str, frozenset[int], re.Pattern, re.Pattern] | None:
    """Country code, national prefix, possible national lengths, international prefix and the pattern
    of its national numbers, for a region whose national prefix is a plain digit string (other regions
    always go through the parser)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix or ""
    if not prefix.isdigit() or metadata.national_prefix != prefix:
        return None
    international = re.compile(metadata.international_prefix or "(?!)")
    national = re.compile(metadata.general_desc.national_number_pattern)
    return (str(metadata.country_code), prefix, frozenset(metadata.general_desc.possible_length), international,
            national)


def _fast(value: str, region: str) -> str | None:
    """E.164 of a number in one of the region's usual shapes, or None when the parser must decide."""
    shape = _region_shape(region)
    skeleton = _FORMATTING.sub("", value)
    if shape is None or not _DIGITS.fullmatch(skeleton):
        return None
    country, prefix, lengths, international, national_pattern = shape
    if international.match(skeleton):  # 810 1 212...: dialled abroad from the region
        return None

    def viable(national: str) -> bool:
        return len(national) in lengths and not national.startswith("0") and bool(national_pattern.fullmatch(national))

    if skeleton.startswith("+"):
        national = skeleton[1 + len(country):]
        return "+" + skeleton[1:] if skeleton[1:].startswith(country) and viable(national) else None
    if skeleton.startswith(prefix):
        stripped = skeleton[len(prefix):]
        return f"+{country}{stripped}" if viable(stripped) and not viable(skeleton) else None
    return f"+{country}{skeleton}" if viable(skeleton) else None


def normalise(value: str, region: str) -> str | None:
    """E.164 (`+79001234567`) of a number as people write it; None when it cannot be a phone number
    (an internal extension, a name, too few digits)."""
    fast = _fast(value, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(e164: str, key: bytes) -> str:
    """Keyed BLAKE2b (a MAC, and faster than HMAC-SHA256 on a million numbers), 96 bits in hex."""
    return hashlib.blake2b(e164.encode(), key=key[:64], digest_size=12).hexdigest()


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
    # The hash function is part of it: a hash made another way must not be kept.
    settings_id = hashlib.sha256(b"blake2b-96|" + key + region.encode() + phonenumbers.__version__.encode()
                                 ).hexdigest()[:12]
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

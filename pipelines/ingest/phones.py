"""Phone numbers: normalised to E.164 with Google's libphonenumber (`phonenumbers`), and replaced by a
keyed hash everywhere past the raw layer.

`8 900 123-45-67`, `+7 (900) 123 45 67` and `89001234567` are one number, `+79001234567`: calls link
to clients by it when the call has no client id. The key of the hash is SALESFUNNEL_PHONE_KEY, or a
random key kept in the warehouse (`raw._settings`); staging and marts see only the hash (HMAC-SHA256,
96 bits), so a mart or a report can count and join by phone but never show one. Each distinct value is
normalised once. The usual shapes of the default region's numbers (its country code or national
prefix, then a national number of a possible length) are normalised from libphonenumber's metadata
without parsing, by the warehouse in SQL (`_fast_sql`; in Python one value at a time, SF10's 2.4M values
took 16 s); `tests/test_phones.py` shows the result is libphonenumber's own.
"""

import hashlib
import os
import re
import secrets
from functools import cache

import dagster as dg
import duckdb
import pandas as pd
import phonenumbers

from pipelines.ingest.loader import scalar
from pipelines.ingest.reading import sql_text
from pipelines.resources import WarehouseResource

PHONES_KEY = dg.AssetKey(["raw", "phone_numbers"])
_LIST_SEPARATOR = re.compile(r"[;,]")
_SOURCES = (("calls", "client_phone"), ("clients", "phone"))


_FORMATTING = re.compile(r"[\s\-().\u00a0]")
_DIGITS = re.compile(r"\+?\d+")
# Values of these characters only are split and normalised in SQL (normalise_new_values).
_PLAIN = r"[0-9+() .;,-]*"
# A number's skeleton in SQL, _FORMATTING's work on _PLAIN characters.
_SKELETON_SQL = "regexp_replace(number, '[ ().-]', '', 'g')"
_SHA256_BLOCK = 64


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


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer key blocks (RFC 2104), for the warehouse to compute the MAC in SQL:
    sha256(outer || sha256(inner || message))."""
    block = (hashlib.sha256(key).digest() if len(key) > _SHA256_BLOCK else key).ljust(_SHA256_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


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


def _fast_sql(region: str) -> str:
    """`_fast` as a SQL expression over the column `sk`, a number's skeleton (_SKELETON_SQL), for values of
    _PLAIN characters only (where DuckDB's trim, regular expressions and digits mean what Python's do);
    NULL where the parser must decide."""
    shape = _region_shape(region)
    if shape is None:
        return "CAST(NULL AS VARCHAR)"
    country, prefix, lengths, international, national = shape

    def viable(national_number: str) -> str:
        return (f"(length({national_number}) IN ({', '.join(map(str, sorted(lengths)))}) "
                f"AND NOT starts_with({national_number}, '0') "
                f"AND regexp_full_match({national_number}, {sql_text(national.pattern)}))")

    return f"""CASE
        WHEN NOT regexp_full_match(sk, '\\+?[0-9]+') THEN NULL
        WHEN regexp_matches(sk, {sql_text('^(?:' + international.pattern + ')')}) THEN NULL
        WHEN starts_with(sk, '+') THEN CASE WHEN starts_with(sk, '+{country}')
                                             AND {viable(f"substr(sk, {2 + len(country)})")} THEN sk END
        WHEN starts_with(sk, '{prefix}') THEN CASE WHEN {viable(f"substr(sk, {1 + len(prefix)})")}
                                                    AND NOT {viable("sk")}
                                               THEN '+{country}' || substr(sk, {1 + len(prefix)}) END
        WHEN {viable("sk")} THEN '+{country}' || sk
        END"""


def normalise_new_values(con: duckdb.DuckDBPyConnection, region: str) -> dict[str, int]:
    """Normalise and hash the phone values of calls and clients not seen before. The work is the
    warehouse's, over all of them at once: splitting lists, the usual shapes (`_fast_sql`) and the hash.
    Python's libphonenumber decides the rest: values with other characters (letters, tabs, non-breaking
    spaces) and numbers in no usual shape. One value at a time in Python took 16 s for SF10's 2.4M."""
    key = hash_key(con)
    # The hash function is part of it: a hash made another way must not be kept.
    settings_id = hashlib.sha256(b"hmac-sha256-96|" + key + region.encode() + phonenumbers.__version__.encode()
                                 ).hexdigest()[:12]
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.phone_numbers (
            raw_value VARCHAR, part INTEGER, e164 VARCHAR, phone_key VARCHAR, settings_id VARCHAR,
            normalised_at TIMESTAMP)""")
    # Another region, key or phonenumbers release: every number is normalised again.
    con.execute("DELETE FROM raw.phone_numbers WHERE settings_id <> ?", [settings_id])
    # The loads taken in so far with these settings: their values are known (a night reads its own load's
    # rows, not 10M calls). Load ids only grow and raw rows are never deleted.
    con.execute("CREATE TABLE IF NOT EXISTS raw._phone_scans (settings_id VARCHAR, through_load BIGINT)")
    scanned = scalar(con, "SELECT max(through_load) FROM raw._phone_scans WHERE settings_id = ?", [settings_id])
    latest = scalar(con, "SELECT coalesce(max(load_id), 0) FROM raw._load_ledger")
    union = " UNION ".join(f"SELECT trim({column}) FROM raw.{table} WHERE {column} IS NOT NULL AND _load_id > ?"
                           for table, column in _SOURCES)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_phone_values AS
        SELECT v AS raw_value, regexp_full_match(v, '{_PLAIN}') AS plain
        FROM (SELECT * FROM ({union}) AS values_(v) EXCEPT SELECT raw_value FROM raw.phone_numbers)""",
                [scanned or 0] * len(_SOURCES))
    # A list's parts numbered from 1, empty parts dropped (split_numbers); a value with none is its own part.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _new_phone_parts AS
        WITH listed AS (
            SELECT raw_value,
                   coalesce(nullif(list_filter(list_transform(string_split_regex(raw_value, '[;,]'), lambda p: trim(p)),
                                               lambda p: p <> ''), []), [raw_value]) AS parts
            FROM _new_phone_values WHERE plain
        ), numbered AS (
            SELECT raw_value, generate_subscripts(parts, 1) AS part, unnest(parts) AS number FROM listed
        )
        SELECT raw_value, part, number, {_fast_sql(region)} AS e164
        FROM (SELECT *, {_SKELETON_SQL} AS sk FROM numbered)""")
    _normalise_in_python(con, region)
    inner, outer = _hmac_pads(key)
    con.execute("""
        INSERT INTO raw.phone_numbers
        SELECT raw_value, part, e164, left(sha256(?::BLOB || unhex(sha256(?::BLOB || encode(e164)))), 24), ?,
               now() AT TIME ZONE 'UTC'
        FROM _new_phone_parts""", [outer, inner, settings_id])
    con.execute("DELETE FROM raw._phone_scans")
    con.execute("INSERT INTO raw._phone_scans VALUES (?, ?)", [settings_id, latest])
    new_values, not_numbers = con.execute("SELECT count(DISTINCT raw_value), count(*) - count(e164) "
                                          "FROM _new_phone_parts").fetchall()[0]
    totals = con.execute("SELECT count(DISTINCT raw_value), count(e164) FROM raw.phone_numbers").fetchall()[0]
    con.execute("DROP TABLE _new_phone_values")
    con.execute("DROP TABLE _new_phone_parts")
    return {"new_values": new_values, "values": totals[0], "numbers": totals[1], "not_numbers": not_numbers}


def _normalise_in_python(con: duckdb.DuckDBPyConnection, region: str) -> None:
    """libphonenumber for what SQL left undecided: the values with characters SQL does not handle as
    Python does (split here, as `split_numbers` says), and numbers in no usual shape (few: extensions,
    foreign numbers)."""
    other = [(value, part, number)
             for (value,) in con.execute("SELECT raw_value FROM _new_phone_values WHERE NOT plain").fetchall()
             for part, number in enumerate(split_numbers(value) or [value], start=1)]
    if other:
        con.register("other", pd.DataFrame(other, columns=["raw_value", "part", "number"], dtype=object))
        con.execute("INSERT INTO _new_phone_parts SELECT raw_value, CAST(part AS INTEGER), number, NULL FROM other")
        con.unregister("other")
    undecided = [n for (n,) in con.execute("SELECT DISTINCT number FROM _new_phone_parts WHERE e164 IS NULL")
                 .fetchall()]
    decided = pd.DataFrame({"number": undecided, "e164": [normalise(n, region) for n in undecided]}, dtype=object)
    if decided["e164"].notna().any():
        con.register("decided", decided.dropna())
        con.execute("UPDATE _new_phone_parts AS p SET e164 = d.e164 FROM decided AS d "
                    "WHERE p.e164 IS NULL AND p.number = d.number")
        con.unregister("decided")


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

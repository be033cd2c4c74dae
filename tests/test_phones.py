"""Phone numbers: the normalisation is libphonenumber's, its fast paths (Python and SQL) included, and
the hash is keyed HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.phones import _fast, normalise, normalise_new_values, split_numbers


def library(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize(("value", "e164"), [
    ("89001234567", "+79001234567"), ("8 (900) 123-45-67", "+79001234567"), ("+7 900 123 45 67", "+79001234567"),
    ("9001234567", "+79001234567"), ("81079246516548", "+79246516548"), ("+7 495 1234567", "+74951234567"),
    ("8 800 100-00-00", "+78001000000"), ("8001000000", "+78001000000"), ("+1 212 555 0100", "+12125550100"),
    ("211474", None), ("client1", None), ("101", None),
])
def test_numbers_as_people_write_them(value, e164):
    assert normalise(value, "RU") == e164 == library(value, "RU")


separators = st.sampled_from(["", " ", "-", "(", ")", ".", "  "])


@st.composite
def written_numbers(draw):
    """Digits in the shapes people use (a country code, a national prefix, or neither), with separators."""
    start = draw(st.sampled_from(["", "+", "+7", "+1", "+44", "8", "7", "0", "1", "810", "00"]))
    digits = draw(st.text("0123456789", min_size=3, max_size=15))
    pieces = [start, *(digits[i:i + 3] for i in range(0, len(digits), 3))]
    return "".join(piece + draw(separators) for piece in pieces)


@settings(max_examples=3000, deadline=None)
@given(value=written_numbers(), region=st.sampled_from(["RU", "KZ", "BY", "US", "GB", "DE", "UA"]))
def test_the_fast_path_agrees_with_libphonenumber(value, region):
    fast = _fast(value, region)
    if fast is not None:
        assert fast == library(value, region)
    assert normalise(value, region) == library(value, region)


def test_lists_split():
    assert split_numbers("8 900 123-45-67; +7 495 1234567,") == ["8 900 123-45-67", "+7 495 1234567"]


def _warehouse(values: list[str]) -> duckdb.DuckDBPyConnection:
    """The raw tables' phone columns, the values loaded by load 1."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.calls (client_phone VARCHAR, _load_id BIGINT); "
                "CREATE TABLE raw.clients (phone VARCHAR, _load_id BIGINT); "
                "CREATE TABLE raw._load_ledger (load_id BIGINT); INSERT INTO raw._load_ledger VALUES (1)")
    con.executemany("INSERT INTO raw.clients VALUES (?, 1)", [[v] for v in values])
    return con


def reference(value: str, region: str, key: bytes) -> list[tuple]:
    """What normalise_new_values must store for a value, one part at a time in Python."""
    rows = []
    for part, number in enumerate(split_numbers(value) or [value], start=1):
        e164 = normalise(number, region)
        mac = hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()[:24] if e164 else None
        rows.append((value, part, e164, mac))
    return rows


def stored(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT raw_value, part, e164, phone_key FROM raw.phone_numbers ORDER BY ALL").fetchall()


@st.composite
def phone_values(draw):
    """What a phone column holds: numbers as people write them, lists of them, and anything else."""
    numbers = st.lists(written_numbers(), min_size=1, max_size=3)
    listed = numbers.map(lambda parts: "; ".join(parts)) | numbers.map(lambda parts: ",".join(parts) + ",")
    return draw(written_numbers() | listed | st.text(min_size=1, max_size=12)
                | written_numbers().map(lambda v: v.replace(" ", "\u00a0")))


@settings(max_examples=150, deadline=None,  # the key is the same for every example
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(values=st.lists(phone_values(), min_size=1, max_size=25, unique=True),
       region=st.sampled_from(["RU", "KZ", "BY", "US", "GB", "DE", "UA"]))
def test_the_warehouse_normalises_and_hashes_as_python_does(values, region, monkeypatch):
    """Splitting, the usual shapes and the MAC are SQL; the rest is libphonenumber in Python: together
    they store for every value exactly what the Python reference gives, part by part."""
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "k1")
    con = _warehouse([f" {v} " for v in values])
    trimmed = [v for (v,) in con.execute("SELECT DISTINCT trim(phone) FROM raw.clients").fetchall()]
    normalise_new_values(con, region)
    assert stored(con) == sorted(row for v in trimmed for row in reference(v, region, b"k1"))


def test_the_hash_is_keyed_and_new_values_only_are_normalised(monkeypatch):
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "k1")
    con = _warehouse(["8 900 123-45-67", "+7 900 123 45 67"])
    assert normalise_new_values(con, "RU") == {"new_values": 2, "values": 2, "numbers": 2, "not_numbers": 0}
    first = stored(con)
    assert len({mac for *_, mac in first}) == 1 and len(first[0][3]) == 24
    # The next load's values: a new one, and one known already.
    con.execute("INSERT INTO raw._load_ledger VALUES (2); INSERT INTO raw.calls VALUES ('client1', 2), "
                "('8 900 123-45-67', 2)")
    assert normalise_new_values(con, "RU")["new_values"] == 1
    assert normalise_new_values(con, "RU")["new_values"] == 0
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "k2")  # another key: every value of every load is hashed again
    assert normalise_new_values(con, "RU")["new_values"] == 3
    assert {mac for *_, mac in stored(con) if mac}.isdisjoint({mac for *_, mac in first})
    assert len(stored(con)) == 3

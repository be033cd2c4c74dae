"""Phone numbers: the normalisation is libphonenumber's, its fast path included, and the hash is keyed."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.phones import _fast, normalise, phone_key, split_numbers


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


def test_lists_split_and_the_hash_is_keyed():
    assert split_numbers("8 900 123-45-67; +7 495 1234567,") == ["8 900 123-45-67", "+7 495 1234567"]
    assert phone_key("+79001234567", b"k1") == phone_key("+79001234567", b"k1")
    assert phone_key("+79001234567", b"k1") != phone_key("+79001234567", b"k2")
    assert len(phone_key("+79001234567", b"k1")) == 24

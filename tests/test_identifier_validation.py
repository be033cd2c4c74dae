"""Identifier validation against real published numbers (the public data sets' identifiers/, skipped
when they are absent) and its rules."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.quality.identifiers import KNOWN_TYPES, validate, validate_all
from tests.conftest import PUBLIC_DATA, needs_public_data

IDENTIFIERS = PUBLIC_DATA / "identifiers"
published = needs_public_data("identifiers")
_BLOCK = re.compile(r">>> \w+ = '''\n(.*?)\.\.\. '''\n>>> (.*?)\n", re.S)
_SINGLE = re.compile(r">>> (\w+)\.validate\('([^']+)'\)[^\n]*\n(Traceback|')")


def _numbers(block: str) -> list[str]:
    return [line[4:].strip() for line in block.splitlines() if line.startswith("... ") and line[4:].strip()]


def published_cases() -> list[tuple[str, str, bool, str]]:
    """(id_type, number, valid?, where) for every number the stdnum test files and GLEIF records give."""
    files = {"stdnum_test_ru_inn.doctest": "INN", "stdnum_test_ru_ogrn.doctest": "OGRN",
             "stdnum_test_lei.doctest": "LEI", "stdnum_test_eu_vat.doctest": "VAT"}
    cases = []
    if not IDENTIFIERS.is_dir():
        return cases
    for name, id_type in files.items():
        text = (IDENTIFIERS / name).read_text()
        for block, check in _BLOCK.findall(text):
            valid = "if x and not" in check and "caught" not in check  # `not X.is_valid(x)` lists must be empty
            cases += [(id_type, number, valid, name) for number in _numbers(block)]
        cases += [(id_type, number, outcome == "'", name) for _, number, outcome in _SINGLE.findall(text)]
    records = json.loads((IDENTIFIERS / "gleif_api_multi_lei_records.json").read_text())["data"]
    cases += [("LEI", r["attributes"]["lei"], True, "gleif") for r in records]
    return [(("OGRNIP" if len(re.sub(r"\D", "", n)) == 15 else "OGRN") if t == "OGRN" else t, n, v, w)
            for t, n, v, w in cases]


CASES = published_cases()


@published
def test_the_published_sets_are_all_read():
    kinds = {(t, v) for t, _, v, _ in CASES}
    assert {("INN", True), ("OGRN", True), ("OGRN", False), ("OGRNIP", False), ("LEI", True), ("VAT", True),
            ("VAT", False)} <= kinds
    assert len(CASES) > 600


@published
@pytest.mark.parametrize(("id_type", "number", "valid", "where"), CASES,
                         ids=[f"{t}-{n}" for t, n, _, _ in CASES])
def test_every_published_number_gets_its_published_verdict(id_type, number, valid, where):
    verdict = validate(id_type, number)
    assert verdict.is_valid is valid, f"{number} from {where}: {verdict.problem}"
    assert verdict.is_known_type


@pytest.mark.parametrize(("id_type", "value", "valid", "problem"), [
    ("INN", "7707083893", True, None),
    ("INN", "7707083894", False, "INN invalid check digit"),
    ("inn", " 7707-083 893 ", True, None),                    # normalised first
    ("OGRN", "1027700132195", True, None),
    ("OGRN", "304500100732252", False, "OGRN invalid length"),  # a valid OGRNIP is not an OGRN
    ("OGRNIP", "304500100732252", True, None),
    ("KPP", "773601001", True, None),
    ("KPP", "7736AB001", True, None),                          # reason code may be Latin letters
    ("KPP", "77AB01001", False, "KPP invalid format"),
    ("BIC", "DEUTDEFF", True, None),
    ("BIK", "044525225", True, None),
    ("BIK", "144525225", False, "BIK invalid format"),
    ("DUNS", "150483782", False, "unknown id_type DUNS: not validated"),
])
def test_rules_per_type(id_type, value, valid, problem):
    verdict = validate(id_type, value)
    assert (verdict.is_valid, verdict.problem) == (valid, problem)


def test_unknown_types_are_reported_not_accepted():
    verdict = validate("OKPO", "12345678")
    assert not verdict.is_known_type and not verdict.is_valid
    assert "OKPO" not in KNOWN_TYPES


@given(st.lists(st.sampled_from([" ", "-", ".", "/"]), max_size=4), st.integers(0, 9))
def test_separators_and_case_never_change_the_verdict(separators, position):
    value = "529900t8bm49aursdo55"
    spaced = value[:position] + "".join(separators) + value[position:]
    assert validate("lei", spaced).is_valid
    assert validate("LEI", spaced).normalized_value == value.upper()


def test_validate_all_keeps_order():
    assert [v.id_value for v in validate_all([("INN", "1"), ("KPP", "2")])] == ["1", "2"]

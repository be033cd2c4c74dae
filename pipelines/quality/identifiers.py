"""Format and check-digit validation of legal-entity identifiers (docs/metrics.md section 4).

python-stdnum where it knows the type; a documented rule where it does not (KPP, Russian BIK).
Values are normalised first: spaces, dashes, dots and slashes dropped, letters upper-cased. An id_type
with no validator is reported as unknown, never accepted. Validation works on distinct
(id_type, id_value) pairs, so a value seen by five sources is checked once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stdnum import bic, iban, lei
from stdnum.eu import vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.ru import inn, ogrn

_SEPARATORS = re.compile(r"[\s\-./]+")
# KPP: tax office (4 digits), reason (2 digits or capital Latin letters), serial (3 digits).
_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
# Russian bank BIK (not the SWIFT BIC): 9 digits, starting with the country code 04.
_BIK = re.compile(r"^04\d{7}$")


class RuleError(ValidationError):
    """A value that breaks a documented rule of a type python-stdnum does not know."""

    message = "breaks the documented format"


def _regex_rule(pattern: re.Pattern, what: str) -> Callable[[str], str]:
    def validate(number: str) -> str:
        if not pattern.match(number):
            raise RuleError(f"not {what}")
        return number

    return validate


def _ogrn_of_length(length: int) -> Callable[[str], str]:
    """python-stdnum's OGRN module takes both lengths; OGRN is 13 digits, OGRNIP 15."""

    def validate(number: str) -> str:
        if len(number) != length:
            raise InvalidLength()
        return ogrn.validate(number)

    return validate


VALIDATORS: dict[str, tuple[str, Callable[[str], str]]] = {
    "INN": ("stdnum.ru.inn", inn.validate),
    "OGRN": ("stdnum.ru.ogrn (13 digits)", _ogrn_of_length(13)),
    "OGRNIP": ("stdnum.ru.ogrn (15 digits)", _ogrn_of_length(15)),
    "LEI": ("stdnum.lei", lei.validate),
    "VAT": ("stdnum.eu.vat", vat.validate),
    "BIC": ("stdnum.bic (ISO 9362)", bic.validate),
    "IBAN": ("stdnum.iban", iban.validate),
    "KPP": ("rule: 4 digits, 2 digits or capital Latin letters, 3 digits", _regex_rule(_KPP, "a KPP")),
    "BIK": ("rule: 9 digits starting with 04", _regex_rule(_BIK, "a Russian BIK")),
}
KNOWN_TYPES = tuple(VALIDATORS)

_PROBLEMS = {InvalidChecksum: "invalid check digit", InvalidLength: "invalid length",
             InvalidFormat: "invalid format", InvalidComponent: "invalid component", RuleError: "invalid format"}


@dataclass(frozen=True)
class Verdict:
    id_type: str
    id_value: str
    normalized_value: str
    is_known_type: bool
    is_valid: bool
    problem: str | None
    validator: str | None


def normalise(id_type: str, id_value: str) -> tuple[str, str]:
    return (id_type or "").strip().upper(), _SEPARATORS.sub("", id_value or "").upper()


def validate(id_type: str, id_value: str) -> Verdict:
    kind, value = normalise(id_type, id_value)
    if kind not in VALIDATORS:
        return Verdict(id_type, id_value, value, False, False, f"unknown id_type {kind}: not validated", None)
    name, check = VALIDATORS[kind]
    try:
        check(value)
    except ValidationError as exc:
        problem = next((text for cls, text in _PROBLEMS.items() if isinstance(exc, cls)), "invalid")
        return Verdict(id_type, id_value, value, True, False, f"{kind} {problem}", name)
    return Verdict(id_type, id_value, value, True, True, None, name)


def validate_all(pairs: Iterable[tuple[str, str]]) -> list[Verdict]:
    return [validate(id_type, id_value) for id_type, id_value in pairs]

"""Vectorised generators of Russian and international company identifiers with valid check digits.

Each function takes a numpy Generator and a count and returns an array of strings. The check-digit
rules are those of the Federal Tax Service (INN, OGRN, OGRNIP) and ISO 17442 (LEI); python-stdnum
validates them in the tests.
"""

from __future__ import annotations

import numpy as np

_INN10_WEIGHTS = np.array([2, 4, 10, 3, 5, 9, 4, 6, 8])
_INN12_WEIGHTS_11 = np.array([7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
_INN12_WEIGHTS_12 = np.array([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
_ALNUM = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def _digits_to_str(digits: np.ndarray) -> np.ndarray:
    """Rows of digits (n x k, ints 0-9) -> array of k-character strings."""
    as_bytes = (digits.astype(np.uint8) + ord("0")).astype(np.uint8)
    return as_bytes.view(f"S{digits.shape[1]}").ravel().astype(str)


def _region_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """First four digits: a tax region (01-89) and an office (01-99) in it."""
    region = rng.integers(1, 90, n)
    office = rng.integers(1, 100, n)
    return np.column_stack([region // 10, region % 10, office // 10, office % 10])


def legal_entity_inns(rng: np.random.Generator, n: int) -> np.ndarray:
    """10-digit INNs of organisations."""
    body = np.column_stack([_region_digits(rng, n), rng.integers(0, 10, (n, 5))])
    check = (body @ _INN10_WEIGHTS) % 11 % 10
    return _digits_to_str(np.column_stack([body, check]))


def person_inns(rng: np.random.Generator, n: int) -> np.ndarray:
    """12-digit INNs of individuals and sole proprietors."""
    body = np.column_stack([_region_digits(rng, n), rng.integers(0, 10, (n, 6))])
    c11 = (body @ _INN12_WEIGHTS_11) % 11 % 10
    with_c11 = np.column_stack([body, c11])
    c12 = (with_c11 @ _INN12_WEIGHTS_12) % 11 % 10
    return _digits_to_str(np.column_stack([with_c11, c12]))


def _remainder(body: np.ndarray, modulus: int) -> np.ndarray:
    """The rows of digits read as numbers, modulo `modulus` (Horner's rule, no big integers)."""
    remainder = np.zeros(len(body), dtype=np.int64)
    for column in body.T:
        remainder = (remainder * 10 + column) % modulus
    return remainder


def _mod_check(rng: np.random.Generator, n: int, first: int, body_len: int, modulus: int) -> np.ndarray:
    """OGRN-style numbers: `first` digit, a body, and (number % modulus) % 10 as the check digit.
    Bodies whose remainder is 10 or more are drawn again: python-stdnum (and the registry's own
    checker) accept only a remainder that is itself one digit."""
    body = np.column_stack([np.full(n, first), rng.integers(0, 10, (n, body_len - 1))])
    remainder = _remainder(body, modulus)
    while (redraw := remainder >= 10).any():
        body[redraw, 1:] = rng.integers(0, 10, (int(redraw.sum()), body_len - 1))
        remainder[redraw] = _remainder(body[redraw], modulus)
    return _digits_to_str(np.column_stack([body, remainder]))


def ogrns(rng: np.random.Generator, n: int) -> np.ndarray:
    """13-digit OGRNs of organisations (first digit 1 or 5)."""
    return _mod_check(rng, n, first=1, body_len=12, modulus=11)


def ogrnips(rng: np.random.Generator, n: int) -> np.ndarray:
    """15-digit OGRNIPs of sole proprietors (first digit 3)."""
    return _mod_check(rng, n, first=3, body_len=14, modulus=13)


def kpps(inns: np.ndarray) -> np.ndarray:
    """KPP of the head office: the INN's tax office (4 digits), reason code 01, serial 001."""
    return np.char.add(np.char.add(np.asarray(inns).astype("U4"), "01"), "001")


def leis(rng: np.random.Generator, n: int) -> np.ndarray:
    """20-character LEIs: a 4-character issuer prefix, '00', 12 alphanumerics and ISO 7064 check digits."""
    prefix = rng.choice(np.array(["5299", "2138", "9695", "2549", "4469"]), n)
    entity = _ALNUM[rng.integers(0, 36, (n, 12))]
    chars = np.column_stack([np.array([list(p) for p in prefix]), np.full((n, 2), "0"), entity])
    values = np.searchsorted(_ALNUM, chars)  # 0-9 for digits, 10-35 for letters
    remainder = np.zeros(n, dtype=np.int64)
    for column in values.T:
        remainder = (remainder * np.where(column >= 10, 100, 10) + column) % 97
    check = 98 - (remainder * 100) % 97
    body = chars.view(f"U{chars.shape[1]}").ravel()
    return np.char.add(body, np.char.zfill(check.astype(str), 2))


def corrupt_last_digit(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """A typo in the check digit: the last digit moved by 1-9, so the checksum no longer holds."""
    values = np.asarray(values).astype(str)
    last = np.array([int(v[-1]) if v[-1].isdigit() else 0 for v in values])
    shifted = (last + rng.integers(1, 10, len(values))) % 10
    return np.char.add(np.array([v[:-1] for v in values]), shifted.astype(str))

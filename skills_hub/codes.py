"""Human-friendly codes: Crockford base32 with a Luhn mod 32 check character, so typos are caught.

Used for learner numbers (`XXXX-XXXX`) and certificate verification codes (`XXXX-XXXX-XXXX`).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def check_character(payload: str) -> str:
    """The Luhn mod 32 check character for a payload of Crockford characters."""
    total, factor = 0, 2
    for ch in reversed(payload):
        addend = factor * _VALUE[ch]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def normalise(code: str) -> str:
    """Upper case without spaces or dashes, reading O as 0 and I or L as 1."""
    return "".join(code.split()).replace("-", "").upper().translate(_READ_AS)


def is_well_formed(code: str, length: int) -> bool:
    """The right length and only Crockford characters (the check character is not tested here)."""
    return len(code) == length and all(ch in _VALUE for ch in code)


def has_valid_check(code: str) -> bool:
    return check_character(code[:-1]) == code[-1]


def generate(length: int) -> str:
    """A random code of `length` characters, the last being the check character."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(length - 1))
    return payload + check_character(payload)


def grouped(code: str) -> str:
    """`ABCD1234` → `ABCD-1234` for display."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))

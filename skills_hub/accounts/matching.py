"""The one duplicate matcher, used by registration, the offline sync and the CSV import.

Two learners are likely the same person when they have the same date of birth and postcode, and their names are
the same after ignoring case, accents and spaces, or are one letter apart: the given and family names in either
order, or the name as the resident writes it (王秀英 matches 王 + 秀英 and 秀英 + 王).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import select

from skills_hub.accounts.models import Role, User
from skills_hub.extensions import db


def name_key(given_name: str, family_name: str) -> str:
    """`Siobhán  O'Brien` → `siobhano'brien`: no case, accents or spaces."""
    text = unicodedata.normalize("NFKD", f"{given_name}{family_name}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(text.casefold().split())


def search_words(text: str) -> list[str]:
    """What a name search compares, word by word: `Siobhán O'Brien` → [`siobhan`, `obrien`] (no case, accents,
    spaces or apostrophes); words with no letter or digit are dropped."""
    return [key for key in ("".join(ch for ch in name_key(word, "") if ch.isalnum()) for word in text.split())
            if key]


def name_keys(given_name: str, family_name: str, written: str | None = None) -> set[str]:
    """Every key a person's name may be matched by: given and family names in either order, and the written name."""
    keys = {name_key(given_name, family_name), name_key(family_name, given_name)}
    if written:
        keys.add(name_key(written, ""))
    return keys


def sort_key(name: str) -> tuple:
    """For sorting names as people expect: no case or accents, numbers as numbers ("Demo 4" before "Demo 37")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return tuple((1, int(part), "") if part.isdigit() else (0, 0, part) for part in re.split(r"(\d+)", text) if part)


def one_letter_apart(a: str, b: str) -> bool:
    """True when one letter added, removed or changed turns `a` into `b` (or they are equal)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def normalise_postcode(postcode: str) -> str:
    """`m13 9pl` → `M13 9PL`."""
    compact = "".join(postcode.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def likely_duplicates(given_name: str, family_name: str, date_of_birth: date | None,
                      postcode: str | None, written: str | None = None) -> list[User]:
    """Learners who are probably this person. Without a date of birth and postcode nothing can match."""
    if date_of_birth is None or not postcode:
        return []
    keys = name_keys(given_name, family_name, written)
    same_birthday_and_place = db.session.scalars(
        select(User).where(User.role == Role.LEARNER, User.date_of_birth == date_of_birth,
                           User.postcode == normalise_postcode(postcode)).order_by(User.created_at))
    return [user for user in same_birthday_and_place
            if any(one_letter_apart(theirs, key) for theirs in _keys_of(user) for key in keys)]


def _keys_of(user: User) -> set[str]:
    if not user.name_key:  # erased
        return set()
    return {user.name_key} | name_keys(user.given_name, user.family_name, user.name_as_written)

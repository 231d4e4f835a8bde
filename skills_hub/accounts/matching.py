"""The one duplicate matcher, used by registration, the offline sync and the CSV import.

Two learners are likely the same person when they have the same date of birth and postcode, and their names are
the same after ignoring case, accents and spaces, or are one letter apart.
"""

from __future__ import annotations

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
                      postcode: str | None) -> list[User]:
    """Learners who are probably this person. Without a date of birth and postcode nothing can match."""
    if date_of_birth is None or not postcode:
        return []
    key = name_key(given_name, family_name)
    same_birthday_and_place = db.session.scalars(
        select(User).where(User.role == Role.LEARNER, User.date_of_birth == date_of_birth,
                           User.postcode == normalise_postcode(postcode)).order_by(User.created_at))
    return [user for user in same_birthday_and_place if one_letter_apart(user.name_key, key)]

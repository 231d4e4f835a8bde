"""The password rule: 8 to 128 characters, never truncated, not one of the most common passwords.

No composition rules (NCSC and NIST advice): three random words make a good password.
"""

from __future__ import annotations

from functools import cache

from marshmallow import ValidationError

from skills_hub.i18n import say

MIN_LENGTH = 8
MAX_LENGTH = 128


@cache
def _common_passwords() -> frozenset[str]:
    # The 30,000 most common passwords from leaked lists, as shipped by the zxcvbn package.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word for word in FREQUENCY_LISTS["passwords"] if len(word) >= MIN_LENGTH)


def problem_with(password: str) -> str | None:
    """What is wrong with a new password, in plain words (in the page's language), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return say("Your password must be at least %(length)s characters. Three random words work well.",
                   length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return say("Your password must be %(length)s characters or fewer.", length=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return say("This password is too common and easy to guess. Try three random words, like cloudkettleviolin.")
    return None


def validate_new_password(password: str) -> None:
    """A marshmallow validator."""
    problem = problem_with(password)
    if problem:
        raise ValidationError(problem)

"""Languages: one way to read what people type ("Urdu", "urdu", "ur", "urd", "pt-BR") and to name a code.

The codes are ISO 639 (two letters where there are two), from pycountry's data. Residents' preferred languages,
the directory's languages, the search filter and sign-up sheets all go through here.
"""

from __future__ import annotations

import re

import pycountry

# Names people write that ISO 639 spells differently or not at all.
_NAMES = {
    "punjabi": "pa", "farsi": "fa", "pashto": "ps", "pushto": "ps", "cantonese": "yue", "mandarin": "zh",
    "bsl": "bfi", "britishsignlanguage": "bfi", "sorani": "ckb", "kurmanji": "kmr", "filipino": "fil",
    "tagalog": "tl", "sylheti": "syl", "mirpuri": "pa", "patois": "jam", "creole": "jam",
}
_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def language_code(text: str) -> str:
    """`Urdu`, `urdu`, `ur` or `urd` → `ur`. Raises ValueError with a message for staff."""
    key = re.sub(r"[^a-z]", "", text.lower())
    if key in _NAMES:
        return _NAMES[key]
    if _CODE.match(text.strip()) and len(text.strip()) != 3:  # en, pl, pt-BR
        primary, _, rest = text.strip().partition("-")
        return primary.lower() + (f"-{rest}" if rest else "")
    try:
        language = pycountry.languages.lookup(re.sub(r"\(.*?\)", "", text).strip())
    except LookupError:
        raise ValueError("Write a language name or code, like Urdu or ur.") from None
    return getattr(language, "alpha_2", None) or language.alpha_3


def two_letter_code(text: str) -> str | None:
    """The ISO 639-1 code the directory files languages under, or None for a language without one."""
    try:
        code = language_code(text).split("-")[0]
    except ValueError:
        return None
    return code if len(code) == 2 and pycountry.languages.get(alpha_2=code) else None


def language_name(code: str) -> str:
    language = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    return language.name if language else code


def preferred_code(person) -> str | None:
    """A resident's preferred language as a directory code (the default language of their search)."""
    return two_letter_code(person.preferred_language) if person and person.preferred_language else None

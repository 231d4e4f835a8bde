"""Languages: one way to read what people type ("Urdu", "urdu", "ur", "urd", "pt-BR") and to name a code.

The codes are ISO 639 (two letters where there are two), from pycountry's data. Residents' preferred languages,
the directory's languages, the search filter and sign-up sheets all go through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


# The languages pages, emails, login cards and certificates are written in. `code` is what the chooser, the
# cookie, `page_language` and `<html lang>` use; `locale` is Babel's name for the catalogue (zh_Hans, not zh-Hans).
@dataclass(frozen=True)
class PageLanguage:
    code: str
    locale: str
    name: str  # the language named in itself, as the chooser shows it
    english_name: str
    direction: str = "ltr"

    @property
    def is_english(self) -> bool:
        return self.code == ENGLISH


ENGLISH = "en"
PAGE_LANGUAGES: dict[str, PageLanguage] = {language.code: language for language in (
    PageLanguage("en", "en_GB", "English", "English"),
    PageLanguage("ur", "ur", "اردو", "Urdu", "rtl"),
    PageLanguage("ar", "ar", "العربية", "Arabic", "rtl"),
    PageLanguage("pl", "pl", "Polski", "Polish"),
    PageLanguage("zh-Hans", "zh_Hans", "中文", "Chinese"),
)}

# Codes stored on records (preferred_language, the directory, Accept-Language) → the page language their readers
# read best. Cantonese and Mandarin speakers read Chinese; Western Panjabi (Shahmukhi script) readers read Urdu.
# Panjabi in Gurmukhi (`pa`), Bengali and others have no page language yet: they get English and the chooser.
_RECORD_TO_PAGE = {
    "en": "en", "ur": "ur", "ar": "ar", "arb": "ar", "pl": "pl",
    "zh": "zh-Hans", "zh-hans": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "cmn": "zh-Hans",
    "yue": "zh-Hans", "zh-hant": "zh-Hans", "zh-tw": "zh-Hans", "zh-hk": "zh-Hans",
    "pnb": "ur", "pa-arab": "ur", "skr": "ur",
}


def page_language(code: str | None) -> PageLanguage | None:
    """The page language for a code from a record, a cookie or a browser (`ur-PK`, `zh-CN`, `yue`), or None."""
    if not code:
        return None
    key = code.strip().replace("_", "-").lower()
    while key:
        if key in _RECORD_TO_PAGE:
            return PAGE_LANGUAGES[_RECORD_TO_PAGE[key]]
        key = key.rpartition("-")[0]  # ur-PK → ur, zh-Hans-CN → zh-Hans → zh
    return None


def resident_language(person) -> PageLanguage:
    """The language to write to a resident in (emails, login card, certificate): what they chose to read pages
    in, else what their preferred language is read as, else English."""
    return (page_language(getattr(person, "page_language", None))
            or page_language(getattr(person, "preferred_language", None))
            or PAGE_LANGUAGES[ENGLISH])


# The languages forms offer by name (staff pages, the outreach page), the city's most spoken first by family:
# codes are stored; people choose names. A record holding another code keeps it and shows its name.
COMMON_LANGUAGES = (
    "en", "ur", "ar", "pl", "zh", "yue", "bn", "syl", "pa", "gu", "hi", "ta", "ne", "so", "ti", "am", "ckb",
    "kmr", "fa", "ps", "ro", "pt", "es", "fr", "it", "lt", "lv", "cs", "sk", "hu", "bg", "uk", "ru", "tr", "vi",
    "tl", "yo", "ig", "sq", "el", "bfi",
)
# How English-speaking staff in the UK name these (CLDR says "Bangla", "Central Kurdish").
ENGLISH_NAMES = {
    "bn": "Bengali", "pa": "Panjabi", "syl": "Sylheti", "ckb": "Kurdish (Sorani)", "kmr": "Kurdish (Kurmanji)",
    "zh": "Chinese (Mandarin)", "yue": "Chinese (Cantonese)", "ps": "Pashto", "ne": "Nepali", "el": "Greek",
    "bfi": "British Sign Language", "sw": "Swahili",
}

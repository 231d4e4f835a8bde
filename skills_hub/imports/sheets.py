"""Reading a sign-up sheet saved from a spreadsheet as CSV, the way real spreadsheets save it.

UTF-8 with or without a byte order mark, or Windows-1252 (Excel's UK default); CRLF, LF or CR line ends; commas,
semicolons or tabs; headings in any case, with extra spaces and common variants; blank lines (they still count,
so line numbers match the file); dates as 27/03/1960, 27/3/1960 or 1960-03-27.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from skills_hub.errors import DomainError, ValidationFailed
from skills_hub.exports import FORMULA_STARTS

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_LINES = 10  # a title or a note above the headings is skipped
MAX_PHONE_LENGTH = 20
# Columns whose cells are read as numbers or dates, so never stored as text a spreadsheet would run: a phone number
# like +44 7700 900123 starts with a plus, and anything else fails the phone or date check as a plain error.
PLAIN_NUMBERS = {"phone", "date_of_birth"}

# The template's columns, in order: field name → the heading staff see.
COLUMNS = {
    "given_name": "First name",
    "family_name": "Family name",
    "display_name": "Full name as they write it",  # optional: 王秀英, Nguyễn Thị Hương (else given then family)
    "date_of_birth": "Date of birth",
    "postcode": "Postcode",
    "email": "Email",
    "phone": "Phone",
    "preferred_language": "Preferred language",
}
# Headings as people type them, compared without case, spaces, punctuation or anything in brackets.
_HEADINGS = {
    "given_name": ["first name", "first names", "firstname", "given name", "given names", "forename", "forenames",
                   "christian name", "first"],
    "family_name": ["family name", "surname", "last name", "lastname", "second name", "last"],
    "display_name": ["full name as they write it", "full name as written", "name as written", "full name",
                     "display name"],
    "date_of_birth": ["date of birth", "dob", "d.o.b.", "birth date", "birthdate", "birthday", "born"],
    "postcode": ["postcode", "post code", "postal code"],
    "email": ["email", "e-mail", "email address", "e-mail address"],
    "phone": ["phone", "phone number", "phone no", "telephone", "telephone number", "tel", "tel no", "mobile",
              "mobile number", "mobile no", "mobile phone", "mob", "contact number"],
    "preferred_language": ["preferred language", "language", "first language", "main language", "home language",
                           "language spoken"],
}

FIELD_FOR_HEADING = {"".join(ch for ch in heading if ch.isalnum()): name
                     for name, headings in _HEADINGS.items() for heading in headings}

# Language names that ISO 639 spells differently from how people in the UK write them.
_UK_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$")
DATE_EXAMPLE = "27/03/1960"

_NOT_CSV = ("This file is not a CSV file. In your spreadsheet, choose Save As and pick “CSV UTF-8” or "
            "“CSV (Comma delimited)”, then upload that file.")


class SheetTooLarge(DomainError):
    """The file is bigger than one import takes."""

    status, title, slug = 413, "Too large", "too-large"


def sheet_problem(message: str, **extra) -> ValidationFailed:
    """A problem with the whole file: a 422 that names the `file` field."""
    return ValidationFailed(message, errors={"file": [message]}, extra=extra)


@dataclass
class SheetRow:
    line: int  # the physical line in the file where the row starts; the header's line is 1 when it is first
    values: dict[str, str] = field(default_factory=dict)  # field name → the cell's text, stripped; blanks left out
    formulas: dict[str, str] = field(default_factory=dict)  # field name → the mark that makes a spreadsheet run it
    # field name → the first hidden character in the cell (NUL, U+0007): the row is not added; `values` has the cell
    # without them
    hidden: dict[str, str] = field(default_factory=dict)


@dataclass
class Sheet:
    rows: list[SheetRow]
    headings: dict[str, str]  # field name → the heading as the file spells it
    unrecognised_columns: list[str]


def compact(heading: str) -> str:
    without_notes = re.sub(r"\(.*?\)|\[.*?\]", "", heading)
    return "".join(ch for ch in without_notes.casefold() if ch.isalnum())


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _mostly_hidden(hidden: int, size: int) -> bool:
    """Many hidden characters (NUL and other control characters) mean a file that is not text, like UTF-16 without
    its mark or a program's own format; a few are stray characters in some cells, and only their rows fail."""
    return hidden > 3 and hidden * 20 > size


def hidden_character(text: str) -> str | None:
    """The first control character a cell may not hold, as staff can look for it (NUL, U+0007), or None. Tabs and
    line breaks inside a cell are read as spaces."""
    found = next((ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n"), None)
    if found is None:
        return None
    return "NUL" if found == "\x00" else f"U+{ord(found):04X}"


def without_hidden_characters(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\t\r\n")


def _looks_binary(raw: bytes) -> str | None:
    if raw.startswith(b"%PDF"):
        return ("This is a PDF, not a CSV file. Open the sign-up sheet in your spreadsheet, choose Save As and "
                "pick “CSV UTF-8”, then upload that file.")
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return ("This looks like an Excel workbook or a zip file, not a CSV file. In Excel, choose File, Save As, "
                "and pick “CSV UTF-8 (Comma delimited)”, then upload that file.")
    sample = raw[:8192]
    if not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and _mostly_hidden(sample.count(b"\x00"),
                                                                                         len(sample)):
        return _NOT_CSV
    return None


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte order mark), UTF-16 with a mark, or else Windows-1252."""
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return unicodedata.normalize("NFC", text)
    raise sheet_problem(_NOT_CSV)


def _records(text: str, delimiter: str):
    """(line, cells) for each record; `line` is where it starts, counting every physical line from 1."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    try:
        for cells in reader:
            yield previous + 1, cells
            previous = reader.line_num
    except csv.Error as error:
        raise sheet_problem(f"Line {reader.line_num + 1} of the file could not be read as CSV. " + _NOT_CSV) \
            from error


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _header(text: str, delimiter: str) -> tuple[int, list[str]] | None:
    """The headings' line: the first of the first few non-blank lines that names both name columns (a sheet may
    have a title above them), or else the line that names most columns."""
    best: tuple[int, list[str]] | None = None
    filled = (record for record in _records(text, delimiter) if not _is_blank(record[1]))
    for seen, (line, cells) in enumerate(filled):
        if seen >= HEADER_SEARCH_LINES:
            break
        named = {FIELD_FOR_HEADING.get(compact(cell)) for cell in cells}
        if {"given_name", "family_name"} <= named:
            return line, cells
        if best is None or _recognised(cells) > _recognised(best[1]):
            best = (line, cells)
    return best


def _recognised(cells: list[str]) -> int:
    return len({FIELD_FOR_HEADING[compact(cell)] for cell in cells if compact(cell) in FIELD_FOR_HEADING})


def read_sheet(raw: bytes, *, max_bytes: int | None = MAX_BYTES,
               max_rows: int | None = MAX_ROWS) -> Sheet:
    """The rows of a sign-up sheet. A file that is empty, not CSV, too big, or without name columns raises."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise SheetTooLarge(f"The file is bigger than {max_bytes // (1024 * 1024)} MB. Split the sheet into smaller "
                            f"files of up to {MAX_ROWS:,} rows.", errors={"file": ["The file is too big."]})
    problem = _looks_binary(raw)
    if problem:
        raise sheet_problem(problem)
    text = decode(raw)
    if not text.strip():
        raise sheet_problem("The file is empty. Check you chose the right file.")
    sample = text[:8192]
    if _mostly_hidden(sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n"),
                      len(sample)):
        raise sheet_problem(_NOT_CSV)
    headers = {d: _header(text, d) for d in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: _recognised(headers[d][1]) if headers[d] else -1)
    if headers[delimiter] is None:
        raise sheet_problem("The file is empty. Check you chose the right file.")
    header_line, heading_cells = headers[delimiter]

    positions: dict[str, int] = {}
    headings: dict[str, str] = {}
    unrecognised: list[tuple[int, str]] = []
    for index, heading in enumerate(heading_cells):
        name = FIELD_FOR_HEADING.get(compact(heading))
        if name and name not in positions:
            positions[name], headings[name] = index, " ".join(heading.split())
        elif heading.strip():
            unrecognised.append((index, " ".join(heading.split())))
    if "given_name" not in positions or "family_name" not in positions:
        raise sheet_problem(
            "We could not find the First name and Family name columns. The first row of the sheet must name the "
            "columns, like the template: " + ", ".join(COLUMNS.values()) + ".",
            unrecognised_columns=[heading for _, heading in unrecognised])

    rows: list[SheetRow] = []
    unnamed_with_data: set[int] = set()
    named = set(positions.values()) | {index for index, _ in unrecognised}
    for line, cells in _records(text, delimiter):
        if line <= header_line or _is_blank(cells):
            continue
        if max_rows is not None and len(rows) >= max_rows:
            raise SheetTooLarge(f"The file has more than {max_rows:,} rows. Split the sheet into smaller files.",
                                errors={"file": ["The file has too many rows."]})
        values, formulas, hidden = {}, {}, {}
        for name, index in positions.items():
            # A cell typed over two lines (Alt+Enter) or with tabs is one line of words: names may not hold breaks.
            written = cells[index] if index < len(cells) else ""
            cell = " ".join(written.split())
            if found := hidden_character(cell):  # a stray NUL fails its row, not the whole sheet
                hidden[name] = found
                cell = " ".join(without_hidden_characters(cell).split())
            if cell:
                values[name] = cell
            if name not in PLAIN_NUMBERS and looks_like_formula(written):
                formulas[name] = written.lstrip(" ")[0]
        unnamed_with_data.update(i for i, cell in enumerate(cells) if i not in named and cell.strip())
        rows.append(SheetRow(line, values, formulas, hidden))
    if not rows:
        raise sheet_problem("The file has the column headings but no residents in it.")
    unrecognised += [(index, f"Column {column_letter(index)} (no heading)") for index in sorted(unnamed_with_data)]
    return Sheet(rows, headings, [heading for _, heading in sorted(unrecognised)])


# Cells ----------------------------------------------------------------------------------------------------------

def looks_like_formula(cell: str) -> bool:
    """A spreadsheet would run this cell: after any spaces it starts with =, +, -, @, a tab or a carriage return,
    and it has a letter or digit to run (a dash alone is how people leave a cell blank)."""
    start = cell.lstrip(" ")
    return start[:1] in FORMULA_STARTS and any(ch.isalnum() for ch in start)


def iso_date(text: str) -> str:
    """`27/03/1960`, `27/3/1960` or `1960-03-27` → `1960-03-27`. Raises ValueError with a message for staff."""
    text = text.strip()
    iso = _ISO_DATE.match(text)
    uk = _UK_DATE.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif uk:
        day, month, year = (int(part) for part in uk.groups())
        if len(uk.group(3)) != 4:
            raise ValueError(f"Write the year with 4 numbers, like {DATE_EXAMPLE}.")
    else:
        raise ValueError(f"Write the date of birth as day/month/year, like {DATE_EXAMPLE}.")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"This is not a real date. Write it as day/month/year, like {DATE_EXAMPLE}.") from None


def phone_number(text: str) -> str:
    """Brackets, dashes and dots become spaces; a number Excel stored without its leading 0 gets it back."""
    cleaned = " ".join(re.sub(r"[()\-.]", " ", text).split())
    if cleaned.isdigit() and len(cleaned) == 10 and cleaned[0] != "0":
        cleaned = "0" + cleaned
    if len(cleaned) > MAX_PHONE_LENGTH:
        raise ValueError(f"Write the phone number in {MAX_PHONE_LENGTH} characters or fewer, like 07700 900123.")
    return cleaned

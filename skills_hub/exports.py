"""CSV files the service hands out: safe to open in a spreadsheet, with accents that Excel shows right."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The value as text that a spreadsheet shows and never runs: `=SUM(A1)` → `'=SUM(A1)`. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _attachment_name(filename: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-.") or "export.csv"
    return name if name.lower().endswith(".csv") else f"{name}.csv"


def csv_response(header: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A CSV download: UTF-8 with a byte order mark (so Excel reads accents right), CRLF line ends, every cell
    through `safe_cell`. Not cached: exports hold personal data and library PCs are shared."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    response = Response(buffer.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_attachment_name(filename)}"'
    response.headers["Cache-Control"] = "no-store"
    return response

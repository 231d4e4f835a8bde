"""Bar charts drawn on the server as SVG: no JavaScript, readable without colour, with a data table beside each
(the chart is an image with a title and a description; the table holds the same numbers for screen readers)."""

from __future__ import annotations

import itertools
from html import escape

from markupsafe import Markup

ROW_HEIGHT, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 28, 190, 380, 90
_ids = itertools.count(1)


def _number(value) -> int:
    return value if isinstance(value, int) else 0


def bar_chart(title: str, rows: list[dict], series: list[tuple[str, str]]) -> Markup:
    """Horizontal bars, one per row, stacked by series ((key in the row, label) pairs). "<5" draws no bar."""
    chart_id = f"chart-{next(_ids)}"
    largest = max([sum(_number(row[key]) for key, _ in series) for row in rows] + [1])
    height = ROW_HEIGHT * (len(rows) + 1) + 10
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    legend = ", ".join(label for _, label in series)
    # A solid fill and a hatched one: told apart without colour.
    styles = ('fill="#14346b"', f'fill="url(#{chart_id}-hatch)" stroke="#14346b"')
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">A bar for each row of the table below it, showing {escape(legend)}. '
        f'Counts of 1 to 4 are not drawn.</desc>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#14346b" '
        'stroke-width="3"/></pattern></defs>',
    ]
    x = LABEL_WIDTH
    for index, (_, label) in enumerate(series):  # the legend
        parts.append(f'<rect x="{x}" y="4" width="14" height="14" {styles[index % 2]}/>')
        parts.append(f'<text x="{x + 20}" y="16" font-size="13">{escape(label)}</text>')
        x += 30 + 8 * len(label)
    for number, row in enumerate(rows, start=1):
        y = number * ROW_HEIGHT
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" font-size="13" text-anchor="end">'
                     f'{escape(str(row["key"]))[:28]}</text>')
        x = LABEL_WIDTH
        for index, (key, _) in enumerate(series):
            size = BAR_WIDTH * _number(row[key]) / largest
            if size:
                parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{size:.1f}" height="{ROW_HEIGHT - 8}" '
                             f'{styles[index % 2]}/>')
            x += size
        shown = " + ".join(str(row[key]) for key, _ in series)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}" font-size="13">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)

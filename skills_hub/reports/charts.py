"""Bar charts drawn on the server as SVG: no JavaScript, readable without colour, with a data table beside each
(the chart is an image with a title and a description; the table holds the same numbers for screen readers).

Nothing is ever cut off: each row's label is written above its bar, on as many lines as it needs, and the
picture is made as wide as its widest text. Text widths are worked out from the widths of each character in
the wider of two common fonts (Arial and DejaVu Sans), with a little to spare.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

FONT_SIZE = 15
FONT_FAMILY = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif"
LINE_HEIGHT = 20  # one line of text
BAR_HEIGHT = 18
ROW_GAP = 12  # space under each bar
LABEL_WIDTH = 440  # the longest line of a label, before it wraps; also the narrowest the chart is drawn
BAR_WIDTH = 260  # the longest bar
GAP = 6  # between a bar and its number
LEFT = 4  # a margin on the left: some letters (a J in some fonts) reach a little left of where they start
LEGEND_BOX = 14
SPARE = 1.08  # text drawn up to 8% wider than those widths say still fits
FEWER_THAN_5 = "fewer than 5"

# How wide each printable ASCII character (32 to 126) is, in thousandths of the font size: the wider of Arial
# (or Liberation Sans, Helvetica) and DejaVu Sans (the sans-serif of many Linux machines, as wide as Verdana).
_WIDTHS = [318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,  # space to /
            636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 556,  # 0 to ?
            1015, 684, 686, 722, 770, 667, 611, 778, 752, 295, 500, 667, 557, 863, 748, 787,  # @ to O
            667, 787, 722, 667, 611, 732, 684, 989, 685, 667, 685, 390, 337, 390, 838, 556,  # P to _
            500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,  # ` to o
            635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838]  # p to ~
_ids = itertools.count(1)


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """How wide `text` is drawn, in SVG units, with some to spare. A letter with an accent is as wide as the
    letter; any other character outside ASCII is counted as wide as the font size (wider than any of them)."""
    total = 0
    for character in text:
        base = unicodedata.normalize("NFKD", character)[:1] or character
        code = ord(base)
        total += _WIDTHS[code - 32] if 32 <= code <= 126 else 1000
    return total / 1000 * font_size * SPARE


def wrap(text: str, width: float = LABEL_WIDTH) -> list[str]:
    """`text` in lines no wider than `width`, broken between words (inside a word only when the word is too
    long for a line by itself). Nothing is left out: the lines hold every character of the text."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        joined = f"{current} {word}" if current else word
        if text_width(joined) <= width:
            current = joined
            continue
        if current:
            lines.append(current)
        while text_width(word) > width:
            cut = max([n for n in range(1, len(word)) if text_width(word[:n]) <= width] or [1])
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def shown(value: int | str) -> str:
    """A count in words: "<5" (a count of 1 to 4, suppressed) is "fewer than 5"."""
    return FEWER_THAN_5 if value == "<5" else str(value)


def _number(value: int | str) -> int:
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class Series:
    key: str  # in each row
    label: str  # in the legend
    short: str = ""  # after the number beside a bar ("9 with a helper"); empty for a chart of one series


def _value_text(row: dict, series: list[Series]) -> str:
    if len(series) == 1:
        return shown(row[series[0].key])
    parts = [f"{shown(row[s.key])} {s.short}" for s in series if row[s.key] != 0]
    return ", ".join(parts) or "0"


def bar_chart(title: str, rows: list[dict], series: list[Series]) -> Markup:
    """Horizontal bars, one per row (its "key" the label), stacked by series. A count of 1 to 4 ("<5") draws no
    bar: "fewer than 5" is written where the bar would be."""
    chart_id = f"chart-{next(_ids)}"
    largest = max([sum(_number(row[s.key]) for s in series) for row in rows] + [1])
    # A solid fill and a hatched one: told apart without colour.
    styles = ('fill="#14346b"', f'fill="url(#{chart_id}-hatch)" stroke="#14346b"')
    texts: list[tuple[float, float, str, str]] = []  # x, baseline y, text, extra attributes
    shapes: list[str] = []
    y = 0.0
    if len(series) > 1:  # the legend, a line for each series
        for index, item in enumerate(series):
            shapes.append(f'<rect x="{LEFT}" y="{y + 3:g}" width="{LEGEND_BOX}" height="{LEGEND_BOX}" '
                          f'{styles[index % 2]}/>')
            texts.append((LEFT + LEGEND_BOX + GAP, y + 15, item.label, ""))
            y += LINE_HEIGHT
        y += ROW_GAP
    for row in rows:
        for line in wrap(str(row["key"])):
            texts.append((LEFT, y + 15, line, ""))
            y += LINE_HEIGHT
        x = float(LEFT)
        for index, item in enumerate(series):
            size = BAR_WIDTH * _number(row[item.key]) / largest
            if size:
                shapes.append(f'<rect x="{x:.1f}" y="{y:g}" width="{size:.1f}" height="{BAR_HEIGHT}" '
                              f'{styles[index % 2]}/>')
            x += size
        texts.append((x + GAP if x > LEFT else LEFT, y + 14, _value_text(row, series), ""))
        y += BAR_HEIGHT + ROW_GAP
    width = math.ceil(max([LEFT + LABEL_WIDTH] + [x + text_width(text) for x, _, text, _ in texts]))
    height = math.ceil(y)
    legend = ", ".join(item.label for item in series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">A bar for each row of the table below it, showing {escape(legend)}. '
        f'A count of 1 to 4 has no bar: it says {FEWER_THAN_5}.</desc>',
    ]
    if len(series) > 1:
        parts.append(f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                     'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
                     '<line x1="0" y1="0" x2="0" y2="6" stroke="#14346b" stroke-width="3"/></pattern></defs>')
    parts.extend(shapes)
    parts.extend(f'<text x="{x:.1f}" y="{baseline:g}"{extra}>{escape(text)}</text>'
                 for x, baseline, text, extra in texts)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)

"""Postcode districts and distances: a full postcode or an outcode → the district's centroid, then kilometres.

The centroids come from `outcodes.csv` (Ordnance Survey Code-Point Open, OGL v3.0; see OUTCODES.md). A postcode
district is a few square kilometres, so distances are "about" figures, which is all a resident needs.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from skills_hub.i18n import say

OUTCODES_FILE = Path(__file__).with_name("outcodes.csv")
ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025",
    "Contains National Statistics data © Crown copyright and database right 2025",
)
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)

# The shape of a UK outcode (A9, A99, AA9, AA99, A9A, AA9A) and of an inward code (9AA).
_OUTCODE = r"[A-Z]{1,2}[0-9][0-9A-Z]?"
_FULL = re.compile(rf"^({_OUTCODE})([0-9][A-Z]{{2}})$")
_OUTCODE_ONLY = re.compile(rf"^{_OUTCODE}$")


class PostcodeProblem(ValueError):
    """A postcode we cannot place, with a message a resident understands."""


@dataclass(frozen=True)
class Place:
    postcode: str  # as we show it: "M13 9PL", or the outcode alone: "M13"
    outcode: str
    latitude: float
    longitude: float


@functools.cache
def centroids() -> dict[str, tuple[float, float]]:
    with OUTCODES_FILE.open(newline="", encoding="utf-8") as file:
        return {row["outcode"]: (float(row["latitude"]), float(row["longitude"])) for row in csv.DictReader(file)}


def split_postcode(text: str) -> tuple[str, str | None]:
    """`m13 9pl` → ("M13", "9PL"); `M13` → ("M13", None). Any case and spacing. PostcodeProblem otherwise."""
    compact = "".join(str(text).split()).upper()
    if not compact:
        raise PostcodeProblem(say("Enter a postcode, like M13 9PL, or the first half of one, like M13."))
    if match := _FULL.match(compact):
        return match.group(1), match.group(2)
    if _OUTCODE_ONLY.match(compact):
        return compact, None
    raise PostcodeProblem(say("“%(text)s” is not a UK postcode. Enter one like M13 9PL, or just M13.",
                              text=text.strip()[:20]))


def place(text: str) -> Place:
    """Where a postcode or outcode is. PostcodeProblem when it is malformed or not a district we know."""
    outcode, inward = split_postcode(text)
    if outcode not in centroids():
        raise PostcodeProblem(say("We cannot find the postcode area %(outcode)s. Check the postcode and try again.",
                                  outcode=outcode))
    latitude, longitude = centroids()[outcode]
    return Place(f"{outcode} {inward}" if inward else outcode, outcode, latitude, longitude)


def distance_km(latitude_1: float, longitude_1: float, latitude_2: float, longitude_2: float) -> float:
    """The great-circle distance (haversine formula)."""
    phi_1, phi_2 = math.radians(latitude_1), math.radians(latitude_2)
    d_phi = phi_2 - phi_1
    d_lambda = math.radians(longitude_2 - longitude_1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi_1) * math.cos(phi_2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))

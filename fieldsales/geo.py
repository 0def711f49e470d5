"""Distances on the Earth and the geofence rule of a geo check-in: one place, used by the API, sync and the admin."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
# A phone's reported accuracy is credited to the rep, but never more than this: a fix reported as
# "within 2 km" must not let a rep check in from across town.
MAX_ACCURACY_CREDIT_M = 50.0

BAD_NEAR = _("near must be “latitude,longitude”, e.g. near=5.35,-4.01.")
# "lat,lng" in decimal degrees, each within its range: the document's pattern and the views' rule, so that what the
# document calls valid is accepted and nothing else ("5e1", "nan" or " 5" are not positions a phone sends).
LATITUDE = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
NEAR_PATTERN = rf"^{LATITUDE},{LONGITUDE}$"


@dataclass(frozen=True)
class Position:
    lat: float
    lng: float
    accuracy_m: float | None = None


def point_of(lat: Any, lng: Any) -> tuple[float, float] | None:
    """(lat, lng) as a point in degrees, or None when they are not numbers within range (read back from a cursor)."""
    numbers = all(isinstance(value, int | float) and not isinstance(value, bool) for value in (lat, lng))
    if not numbers or not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return float(lat), float(lng)


def near_parse(text: str) -> tuple[float, float] | None:
    """The point of a `near=lat,lng` parameter, or None when it is not one (the request is then refused with
    BAD_NEAR)."""
    if not re.fullmatch(NEAR_PATTERN, text):
        return None
    lat, lng = text.split(",")
    return float(lat), float(lng)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def offset_point(lat: float, lng: float, distance_m: float, bearing_deg: float) -> tuple[float, float]:
    """The point `distance_m` from (lat, lng) towards `bearing_deg` (0 north, 90 east): a flat Earth, exact to the
    centimetre below a kilometre, where the demo and the tests place positions around a client."""
    bearing = math.radians(bearing_deg)
    dlat = distance_m * math.cos(bearing) / EARTH_RADIUS_M
    dlng = distance_m * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return lat + math.degrees(dlat), lng + math.degrees(dlng)


def within_geofence(distance_m: float, accuracy_m: float | None, radius_m: float) -> bool:
    """Accept when the distance, less the reported accuracy (counted at most MAX_ACCURACY_CREDIT_M, which the pull
    publishes to the app as `accuracy_credit_m`), is within the radius."""
    credit = min(max(accuracy_m or 0.0, 0.0), MAX_ACCURACY_CREDIT_M)
    return distance_m - credit <= radius_m


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) of a square around a point: an index-friendly first cut."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng

"""Distances on the Earth and the geofence rule of a geo check-in: one place, used by the API, sync and the admin."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
# A phone's reported accuracy is credited to the rep, but never more than this: a fix reported as
# "within 2 km" must not let a rep check in from across town.
MAX_ACCURACY_CREDIT_M = 50.0


@dataclass(frozen=True)
class Position:
    lat: float
    lng: float
    accuracy_m: float | None = None


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def within_geofence(distance_m: float, accuracy_m: float | None, radius_m: float) -> bool:
    """Accept when the distance, less the reported accuracy (counted at most 50 m), is within the radius."""
    credit = min(max(accuracy_m or 0.0, 0.0), MAX_ACCURACY_CREDIT_M)
    return distance_m - credit <= radius_m


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) of a square around a point: an index-friendly first cut."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng

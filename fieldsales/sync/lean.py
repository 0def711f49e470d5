"""The form of version 2 records (docs/sync-protocol-v2.md): no empty values, moments to the second.

Reps pay for every byte on 2G and 3G: a key the device would read as empty anyway is not sent. Applied to the objects
the server shapes (a record's data, an attribute's definition, an activity), never inside what a user entered (a
client's attributes, a form's values), where `false` and a missing value mean different things.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def _empty(value: Any) -> bool:
    # Identity, not equality: 0 == False, and a count of 0 is a value.
    return value is None or value is False or (isinstance(value, list | dict) and not value)


def lean(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` without the keys whose value is null, false, an empty list or an empty object."""
    return {key: value for key, value in data.items() if not _empty(value)}


def moment(value: dt.datetime | None) -> str | None:
    """A moment in UTC to the second, as `2026-11-22T09:14:03Z`."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""The duplicate-outlet rule: when a new client looks like one a rep already has.

The phone warns while the rep creates a client, offline, from these figures (published in the pull's rules; the
matching is static/js/lib/duplicates.js); the server keeps the pairs a rep created anyway (`client.create`'s
`similar_to`, clients/services.py: `PossibleDuplicate`), for the back office to review in the admin.
"""

from __future__ import annotations

from typing import Any

# A client of the rep's lists with a similar name within this distance of the new one is a likely duplicate.
DUPLICATE_RADIUS_M = 150
# "Similar": the names, without accents, case and punctuation, differ by at most this many edits.
DUPLICATE_MAX_EDITS = 2


def duplicate_rules() -> dict[str, Any]:
    """What the app needs to warn, as the pull publishes it."""
    return {"radius_m": DUPLICATE_RADIUS_M, "max_edits": DUPLICATE_MAX_EDITS}

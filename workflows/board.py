"""The supervisors' live board (`/board/`): who may watch it, the groups its sockets join, and the visit summaries
sent to them once a check-in, an order or a visit end commits.

Supervisors watch the reps whose profile names them; back-office staff watch every rep. A message carries the
visits as they are after the commit (workflows.selectors.board_summaries), so a lost one is made good by the next
message about the same visit, or by the board's re-sync after its socket reconnects; sending never raises into the
request that made the change.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fieldsales.accounts import team_of
from fieldsales.realtime import collect_after_commit, send_to_groups
from workflows.models import Visit
from workflows.selectors import board_day, board_summaries

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)

STAFF_GROUP = "board.staff"
# The message type: BoardConsumer.board_visits hands it on to the board's page.
VISITS = "board.visits"


def supervisor_group(supervisor_id: int) -> str:
    return f"board.supervisor.{supervisor_id}"


def board_group(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """The group whose messages `user`'s board receives, or None for anyone who may not watch a board. The one
    access rule of the page, its JSON and its socket.

    A supervisor watches their own reps even when also staff (fieldsales.accounts.team_of, the rule of the admin and
    the API too): supervisors are staff to read the back office. Other staff watch every rep when they may read
    visits."""
    if user is None or not user.is_authenticated:
        return None
    if team_of(user=user) is not None:
        return supervisor_group(user.pk)
    if getattr(user, "is_staff", False) and user.has_perm("workflows.view_visit"):  # type: ignore[attr-defined]
        return STAFF_GROUP
    return None


def board_visit_changed(visit_id: uuid.UUID | str) -> None:
    """Note that this visit changed in the current transaction; the boards watching its rep hear of it after the
    commit. A write undone since (a rejected op's savepoint) shows as nothing, or as the visit unchanged: the
    summaries are read after the commit."""
    collect_after_commit("board", _send, [str(visit_id)])


def _send(visit_ids: set[str]) -> None:
    board_send(visit_ids=visit_ids)


def board_send(*, visit_ids: Iterable[str]) -> None:
    """Send today's visits among these to their reps' supervisors' boards and to the staff's: one query, one
    message per group, all in one event loop. Never raises: a failure is logged."""
    ids = sorted(set(visit_ids))
    if not ids:
        return
    try:
        start, end = board_day()
        summaries = board_summaries(
            Visit.objects.filter(pk__in=ids, checked_in_at__gte=start, checked_in_at__lt=end), with_supervisor=True
        )
        by_group: dict[str, list[dict[str, Any]]] = {}
        for summary in summaries:
            supervisor_id = summary.pop("supervisor_id")
            by_group.setdefault(STAFF_GROUP, []).append(summary)
            if supervisor_id is not None:
                by_group.setdefault(supervisor_group(supervisor_id), []).append(summary)
        failed = send_to_groups({group: {"type": VISITS, "visits": visits} for group, visits in by_group.items()})
    except Exception:
        logger.warning(
            "board: %d visits not sent to the boards (they show at their next re-sync)", len(ids), exc_info=True
        )
        return
    if failed:
        group, error = failed[0]
        logger.warning(
            "board: %d of %d groups not sent their visits; first: %s: %r", len(failed), len(by_group), group, error
        )

"""Tell reps' open apps that their feed changed, so that they pull now rather than at their next poll.

A message only says "pull": it carries no data, so a lost one costs a rep at most one poll interval (5 minutes),
and one is as good as many. Hence sending never raises into the request that made the change: a failure is logged.
Messages lost while Redis was away (restarted, out of reach) cost less: once it answers again, the sockets that were
open all along are told to catch up (fieldsales.consumers.CatchesUpMixin).

Losses the channel layer can cause, and where they show (settings.CHANNEL_LAYER):
- `pubsub` keeps nothing: Redis hands a message to the workers subscribed at that moment, so one sent while a worker
  reconnects, or after Redis cut a slow worker off (`client-output-buffer-limit pubsub`), is lost without a trace on
  either side; channels-redis logs only the errors of its receiving task ("Unexpected exception in receive task").
- `core` skips a worker whose channel already holds `capacity` unread messages (all the worker's sockets share one) and
  logs the count at INFO on `channels_redis.core`, which the settings keep at INFO whatever LOG_LEVEL says. Messages
  unread after `expiry`, and those beyond `capacity` in a worker's local buffer for one socket, go without a log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHANGED = "rep.changed"
# Sent to a user's group when the account is deactivated or deleted: every socket of theirs closes.
DEACTIVATED = "user.deactivated"
# A layer that does not answer within this long is given up on: the request that made the change is waiting.
SEND_TIMEOUT_S = 5.0
# Group sends in flight at once: the core layer takes a pooled connection for each, and redis-py's pools refuse more
# than 100 at once (MaxConnectionsError); pubsub sends one at a time anyway.
CONCURRENT_SENDS = 20


def rep_group(*, rep_id: int) -> str:
    """The group of one rep's open apps (every tab and phone signed in as that rep)."""
    return f"rep.{rep_id}"


def user_group(*, user_id: int) -> str:
    """The group of every socket a user has open, whatever it is for (the rep's app, the board)."""
    return f"user.{user_id}"


def user_sockets_close(*, user_id: int) -> None:
    """Close every socket `user_id` has open. A socket's user is checked at its handshake only, so without this one
    opened before the account was deactivated would go on receiving. Never raises: a failure is logged as an error.

    Call it after the change commits (`transaction.on_commit`): a socket closed before could reconnect meanwhile."""
    users_sockets_close(user_ids=[user_id])


def users_sockets_close(*, user_ids: Iterable[int]) -> None:
    """`user_sockets_close` for many users at once (a bulk deactivation), all in one event loop. Never raises."""
    ids = sorted({int(user_id) for user_id in user_ids})
    try:
        failed = send_to_groups({user_group(user_id=user_id): {"type": DEACTIVATED} for user_id in ids})
    except Exception:
        logger.error("realtime: the sockets of deactivated users %s not closed", ids, exc_info=True)
        return
    for group, error in failed:
        logger.error("realtime: the sockets of a deactivated user not closed: %s: %r", group, error)


class _AfterCommit:
    """What a transaction collected for one `send`, sent in one go once it commits."""

    def __init__(self, send: Callable[[set[Any]], None]) -> None:
        self.send = send
        self.items: set[Any] = set()

    def __call__(self) -> None:
        self.send(self.items)


def collect_after_commit(key: str, send: Callable[[set[Any]], None], items: Iterable[Any]) -> None:
    """Add `items` to what `send` receives once the current transaction commits: one `on_commit` callback per
    transaction and key, however many writes collect (a push of 200 ops, an admin action on 1,000 clients)."""
    attribute = f"fieldsales_after_commit_{key}"
    pending: _AfterCommit | None = getattr(connection, attribute, None)
    # Still queued unless it ran, or the transaction (or the savepoint) that queued it rolled back.
    queued = pending is not None and any(callback[1] is pending for callback in connection.run_on_commit)
    if pending is None or not queued:
        pending = _AfterCommit(send)
        setattr(connection, attribute, pending)
    pending.items.update(items)
    if not queued:
        transaction.on_commit(pending)


def send_to_groups(messages: Mapping[str, dict[str, Any]]) -> list[tuple[str, BaseException]]:
    """Send each group its message, all in one event loop, at most CONCURRENT_SENDS at once. Returns the groups that
    failed with their errors; raises only when the layer itself is unusable."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return []
    send = async_to_sync(_send_all)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return send(layer=layer, messages=messages)
    # Synchronous code in a thread that runs an event loop (allowed by DJANGO_ALLOW_ASYNC_UNSAFE: a notebook, a
    # Playwright test): async_to_sync may not block that loop, so a thread of its own waits instead.
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(send, layer=layer, messages=messages).result()


async def _send_all(*, layer: Any, messages: Mapping[str, dict[str, Any]]) -> list[tuple[str, BaseException]]:
    gate = asyncio.Semaphore(CONCURRENT_SENDS)
    groups = sorted(messages)

    async def send(group: str) -> None:
        async with gate:
            await layer.group_send(group, messages[group])

    results = await asyncio.wait_for(
        asyncio.gather(*(send(group) for group in groups), return_exceptions=True), SEND_TIMEOUT_S
    )
    return [(group, result) for group, result in zip(groups, results, strict=True) if isinstance(result, Exception)]


def notify_reps(*, rep_ids: Iterable[int]) -> None:
    """Send each of these reps' open apps one `rep.changed` message, all in one event loop. Never raises.

    Call it after the change commits (`transaction.on_commit`): an app told before would pull the old data.
    """
    groups = sorted({rep_group(rep_id=int(rep_id)) for rep_id in rep_ids})
    if not groups:
        return
    try:
        failed = send_to_groups({group: {"type": CHANGED} for group in groups})
    except Exception:
        logger.warning(
            "realtime: %d reps not told of their changes (they pull at their next poll)", len(groups), exc_info=True
        )
        return
    if failed:
        group, error = failed[0]
        logger.warning(
            "realtime: %d of %d reps not told of their changes (they pull at their next poll); first: %s: %r",
            len(failed),
            len(groups),
            group,
            error,
        )

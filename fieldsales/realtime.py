"""Tell reps' open apps that their feed changed, so that they pull now rather than at their next poll.

A message only says "pull": it carries no data, so a lost one costs a rep at most one poll interval (5 minutes),
and one is as good as many. Hence sending never raises into the request that made the change: a failure is logged.

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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

CHANGED = "rep.changed"
# A layer that does not answer within this long is given up on: the request that made the change is waiting.
SEND_TIMEOUT_S = 5.0
# Group sends in flight at once: the core layer takes a pooled connection for each, and redis-py's pools refuse more
# than 100 at once (MaxConnectionsError); pubsub sends one at a time anyway.
CONCURRENT_SENDS = 20


def rep_group(*, rep_id: int) -> str:
    """The group of one rep's open apps (every tab and phone signed in as that rep)."""
    return f"rep.{rep_id}"


def notify_reps(*, rep_ids: Iterable[int]) -> None:
    """Send each of these reps' open apps one `rep.changed` message, all in one event loop. Never raises.

    Call it after the change commits (`transaction.on_commit`): an app told before would pull the old data.
    """
    groups = sorted({rep_group(rep_id=int(rep_id)) for rep_id in rep_ids})
    if not groups:
        return
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        send = async_to_sync(_send_all)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            send(layer=layer, groups=groups, message={"type": CHANGED})
        else:
            # Synchronous code in a thread that runs an event loop (allowed by DJANGO_ALLOW_ASYNC_UNSAFE: a notebook,
            # a Playwright test): async_to_sync may not block that loop, so a thread of its own waits instead.
            with ThreadPoolExecutor(max_workers=1) as executor:
                executor.submit(send, layer=layer, groups=groups, message={"type": CHANGED}).result()
    except Exception:
        logger.warning(
            "realtime: %d reps not told of their changes (they pull at their next poll)", len(groups), exc_info=True
        )


async def _send_all(*, layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    gate = asyncio.Semaphore(CONCURRENT_SENDS)

    async def send(group: str) -> None:
        async with gate:
            await layer.group_send(group, message)

    results = await asyncio.wait_for(
        asyncio.gather(*(send(group) for group in groups), return_exceptions=True), SEND_TIMEOUT_S
    )
    failed = [(group, result) for group, result in zip(groups, results, strict=True) if isinstance(result, Exception)]
    if failed:
        group, error = failed[0]
        logger.warning(
            "realtime: %d of %d reps not told of their changes (they pull at their next poll); first: %s: %r",
            len(failed),
            len(groups),
            group,
            error,
        )

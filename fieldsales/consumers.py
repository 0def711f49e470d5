"""The rep's socket: told when the rep's feed changed, the app pulls (fieldsales.realtime sends the messages). And
what every socket needs: closing when its user is deactivated, catching up after the channel layer was down."""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from fieldsales.realtime import CHANGED, rep_group, user_group

logger = logging.getLogger(__name__)

# The close code of a socket whose user was deactivated: the app does not sign in again with it.
ACCOUNT_CLOSED = 4403


class ClosedOnDeactivationMixin:
    """For a consumer of signed-in users: the socket closes as soon as its user is deactivated or deleted
    (fieldsales.realtime.user_sockets_close)."""

    channel_layer: Any
    channel_name: str
    user_group_name: str | None = None

    async def user_group_join(self, user_id: int) -> None:
        self.user_group_name = user_group(user_id=user_id)
        await self.channel_layer.group_add(self.user_group_name, self.channel_name)

    async def user_group_leave(self) -> None:
        if self.user_group_name is not None:
            await self.channel_layer.group_discard(self.user_group_name, self.channel_name)

    async def user_deactivated(self, event: dict[str, Any]) -> None:
        await self.close(code=ACCOUNT_CLOSED)  # type: ignore[attr-defined]


# Catching up after the channel layer was down -----------------------------------------------------------------------

# The sockets of this process that catch up, and the task that watches the layer for them (one per event loop).
_watched: weakref.WeakSet[CatchesUpMixin] = weakref.WeakSet()
_watch: asyncio.Task[None] | None = None


class CatchesUpMixin:
    """For a consumer whose socket must hear of what the channel layer lost while it was down (Redis restarted, or
    out of reach): while the process has such sockets open, it watches the layer (`_watch_layer`), and once the
    layer answers again after failing, it calls `catch_up` on each of them. Without this, an open app missed every
    change made meanwhile until its next poll (5 minutes)."""

    async def watch_layer(self) -> None:
        global _watch
        _watched.add(self)
        loop = asyncio.get_running_loop()
        if _watch is None or _watch.done() or _watch.get_loop() is not loop:
            _watch = loop.create_task(_watch_layer(get_channel_layer()))

    def unwatch_layer(self) -> None:
        _watched.discard(self)

    async def catch_up(self) -> None:
        raise NotImplementedError


async def _watch_layer(layer: Any) -> None:
    """While sockets of this process are open: every REALTIME_PROBE_SECONDS, ask the layer's Redis if it answers
    (PING, on a connection of its own: the layer's are left alone while Redis is away). One that does not means that
    messages to this process's sockets may be lost: a publish that failed, or one Redis gave to no one while this
    process was not subscribed. Once Redis answers again, a message is sent through the layer to this process until
    one arrives (its subscriptions are back), and every socket watched catches up. Nothing to watch without Redis."""
    client = _redis_client()
    if client is None:
        return
    channel: str | None = None
    lost = False
    try:
        while _watched:
            if not await _answers(client):
                if not lost:
                    logger.warning("realtime: Redis does not answer; open sockets catch up once it does")
                lost = True
            elif lost and (channel := await _probe(layer, channel)) is not None:
                lost = False
                sockets = list(_watched)
                logger.warning("realtime: Redis answers again; %d open sockets catch up", len(sockets))
                await asyncio.gather(*(socket.catch_up() for socket in sockets), return_exceptions=True)
            await asyncio.sleep(settings.REALTIME_PROBE_SECONDS)
    finally:
        await client.aclose()


def _redis_client() -> Any:
    """A client of the channel layer's Redis (its first host), or None for a layer without one."""
    import redis.asyncio

    hosts = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {}).get("hosts") or []
    if not hosts:
        return None
    address = hosts[0]["address"] if isinstance(hosts[0], dict) else hosts[0]
    timeout = settings.REALTIME_PROBE_SECONDS
    return redis.asyncio.Redis.from_url(address, socket_timeout=timeout, socket_connect_timeout=timeout)


async def _answers(client: Any) -> bool:
    try:
        return bool(await client.ping())
    except Exception:
        return False


async def _probe(layer: Any, channel: str | None) -> str | None:
    """The channel a message went through to this process (a new one when None), or None when none arrived in time.
    A channel whose message did not arrive is not used again: the pubsub layer unsubscribes a channel whose receive was
    cut short."""
    nonce = uuid.uuid4().hex
    try:
        async with asyncio.timeout(settings.REALTIME_PROBE_SECONDS * 2):
            channel = channel or await layer.new_channel("fieldsales.probe.")
            await layer.send(channel, {"type": "probe", "nonce": nonce})
            while (await layer.receive(channel)).get("nonce") != nonce:
                pass  # an earlier probe's, late
    except Exception:
        return None
    return channel


class RepConsumer(ClosedOnDeactivationMixin, CatchesUpMixin, AsyncJsonWebsocketConsumer):
    """`/ws/rep/`: a signed-in user joins their own group; anyone else is turned away at the handshake."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        self.group = rep_group(rep_id=user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.user_group_join(user.pk)
        await self.accept()
        await self.watch_layer()

    async def disconnect(self, code: int) -> None:
        self.unwatch_layer()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.user_group_leave()

    async def catch_up(self) -> None:
        """The app pulls: what it was not told of while the layer was down comes with the pull."""
        await self.send_json({"type": "changed"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to the one database thread before each handler, to close stale connections. This handler
        # touches no database, and when one commit tells 200 reps those hops queue up behind each other: skipping them
        # took p95 from the commit from 120-170 ms down to 90-125 ms (`make bench-realtime`, pubsub, a loaded machine).
        if message["type"] == CHANGED:
            await self.rep_changed(message)
        else:
            await super().dispatch(message)

    async def rep_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "changed"})

"""The rep's socket: told when the rep's feed changed, the app pulls (fieldsales.realtime sends the messages)."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from fieldsales.realtime import CHANGED, rep_group, user_group

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


class RepConsumer(ClosedOnDeactivationMixin, AsyncJsonWebsocketConsumer):
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

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.user_group_leave()

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

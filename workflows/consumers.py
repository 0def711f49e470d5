"""The supervisors' live board socket (workflows.board sends its messages)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from fieldsales.consumers import CatchesUpMixin, ClosedOnDeactivationMixin
from workflows.board import board_group


class BoardConsumer(ClosedOnDeactivationMixin, CatchesUpMixin, AsyncJsonWebsocketConsumer):
    """`/ws/board/`: a supervisor joins their own board's group, staff the staff's; anyone else is turned away at
    the handshake."""

    group: str | None = None

    async def connect(self) -> None:
        group = await database_sync_to_async(board_group)(self.scope.get("user"))
        if group is None:
            await self.close()
            return
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.user_group_join(self.scope["user"].pk)
        await self.accept()
        await self.watch_layer()

    async def disconnect(self, code: int) -> None:
        self.unwatch_layer()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.user_group_leave()

    async def catch_up(self) -> None:
        """The board reads the day's visits again: those it was not sent while the layer was down come with them."""
        await self.send_json({"type": "resync"})

    async def board_visits(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "visits", "visits": event["visits"]})

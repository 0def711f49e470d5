"""Calling the project's ASGI application directly, as a server would: one HTTP request, what it answered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fieldsales.asgi import application

Receive = Callable[[], Awaitable[dict[str, Any]]]


def http_scope(path: str, headers: dict[str, str], method: str = "GET") -> dict[str, Any]:
    """An HTTP request's scope, from a client on another host to this node's address (plain HTTP, as behind a
    proxy or a balancer)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("10.0.0.1", 40000),
        "server": ("10.0.0.7", 8000),
    }


def call(scope: dict[str, Any], receive: Receive) -> list[dict[str, Any]]:
    """Run the application on one request; the messages it sent back."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(application(scope, receive, send))
    return sent

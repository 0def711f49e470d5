"""Liveness and readiness, for a load balancer or an orchestrator, answered in front of Django: no host check, no
HTTPS redirect, no session, nothing a probe over plain HTTP to the node's address would trip on.

- `GET /health/live`: the process answers (200). Nothing else is asked: a worker that answers this is alive.
- `GET /health/ready`: what a request needs answers: the database, Redis when configured, the media storage (and
  the job queue's lag, reported but never failed on). 200
  with each check's result, or 503 naming the one that failed: the balancer sends this node nothing until it is
  back. On PostgreSQL it also checks the pool's idle connections and replaces the dead ones (after a database
  restart all of them are): the requests that follow get live connections at once.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections

from fieldsales.bodies import ASGIApp, Receive, Scope, Send
from fieldsales.jobs import lag_seconds

LIVE = "/health/live"
READY = "/health/ready"
# Seconds a check may take before it counts as failed.
CHECK_TIMEOUT = 3


def _database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    pool = getattr(connection, "pool", None)
    if pool is not None:
        pool.check()  # every idle connection tried; the dead ones replaced
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _redis() -> None:
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    with contextlib.suppress(FileNotFoundError):  # the local disk's folder, made by the first upload
        default_storage.listdir("")


def _jobs() -> dict[str, Any]:
    """The queue's lag, reported: a late queue is no reason to take this node out of the balancer."""
    return {"lag_s": round(lag_seconds(), 1)}


CHECKS: dict[str, Callable[[], dict[str, Any] | None]] = {
    "database": _database,
    "redis": _redis,
    "storage": _storage,
    "jobs": _jobs,
}


def readiness() -> tuple[bool, dict[str, Any]]:
    """Each check's result ("ok" or its error) and how long it took; whether all passed."""
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        found: dict[str, Any] | None = None
        try:
            found = check()
            outcome = "ok"
        except Exception as error:
            outcome = f"{type(error).__name__}: {error}"
        results[name] = {"status": outcome, "ms": round((time.monotonic() - started) * 1000, 1), **(found or {})}
    return all(result["status"] == "ok" for result in results.values()), results


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def health_endpoints(app: ASGIApp) -> ASGIApp:
    """`app`, with /health/live and /health/ready answered before it."""

    async def endpoints(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") else None
        if path == LIVE:
            await _answer(send, 200, {"status": "ok"})
        elif path == READY:
            ready, checks = await sync_to_async(readiness, thread_sensitive=False)()
            await _answer(send, 200 if ready else 503, {"status": "ok" if ready else "unavailable", "checks": checks})
        else:
            await app(scope, receive, send)

    return endpoints

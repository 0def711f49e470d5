"""Request bodies bounded before they are read, at the ASGI layer, in front of Django.

Django reads a request's whole body (into memory, or a temporary file past 2.5 MiB) before any view or check runs:
a 1 GiB POST to the push, signed in or not, was written to disk before its 403. Here each request gets the limit of
where it goes, read from the module whose rule it is (the push's, the photo's, the import file's), or a small one for
a request without a session (sign-in is a few hundred bytes): a body declared larger is refused before a byte of it
is read, and one sent without a length (chunked) as soon as it passes the limit. The answer is 413 in the API's JSON
envelope, in the language the request asks for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Without a session nothing but the sign-in form, and the password reset's, is accepted.
ANONYMOUS_BYTES = 64 * 1024
# An import file travels in a form, with its other fields and the form's boundaries.
FORM_OVERHEAD = 64 * 1024

TOO_LARGE = _("This request is too large: at most %(size)s.")


@dataclass(frozen=True)
class Limit:
    size: int
    message: Any  # translated when the answer is written; it may name the size, as %(size)s

    def text(self) -> str:
        kib = self.size // 1024
        size = _("%(count)s MiB") % {"count": kib // 1024} if kib % 1024 == 0 else _("%(count)s KiB") % {"count": kib}
        return str(self.message) % {"size": size}


@cache
def _routes() -> list[tuple[re.Pattern[str], Limit]]:
    """Where a larger body is accepted, with its limit: each the rule of the module that reads that body."""
    from fieldsales.imports import reading
    from fieldsales.sync import blobs
    from fieldsales.sync import views as sync_views

    return [
        (re.compile(r"^/api/sync/push$"), Limit(sync_views.MAX_PUSH_BYTES, sync_views.BODY_TOO_LARGE)),
        (re.compile(r"^/api/sync/blobs/[^/]+$"), Limit(blobs.MAX_BYTES, blobs.TOO_BIG)),
        (re.compile(r"^/admin/.+/import(-file)?/$"), Limit(reading.MAX_BYTES + FORM_OVERHEAD, reading.TOO_BIG)),
    ]


def limit_of(path: str, signed_in: bool) -> Limit:
    if not signed_in:
        return Limit(ANONYMOUS_BYTES, TOO_LARGE)
    for pattern, limit in _routes():
        if pattern.match(path):
            return limit
    return Limit(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, TOO_LARGE)


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _has_session(headers: dict[str, str]) -> bool:
    cookies = headers.get("cookie", "")
    return any(part.strip().startswith(f"{settings.SESSION_COOKIE_NAME}=") for part in cookies.split(";"))


def _declared_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _language(headers: dict[str, str]) -> str:
    request = HttpRequest()
    request.META["HTTP_ACCEPT_LANGUAGE"] = headers.get("accept-language", "")
    return translation.get_language_from_request(request)


async def _refuse(send: Send, headers: dict[str, str], limit: Limit) -> None:
    with translation.override(_language(headers)):
        body = json.dumps({"code": "too_large", "detail": limit.text()}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def bounded_bodies(app: ASGIApp) -> ASGIApp:
    """`app` behind the bodies' limits (HTTP only; websockets pass)."""

    async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = _headers(scope)
        limit = limit_of(scope.get("path", ""), _has_session(headers))
        declared = _declared_length(headers)
        if declared is not None and declared > limit.size:
            await _refuse(send, headers, limit)
            return
        received = 0
        refused = False

        async def receive_bounded() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    # Django, told the client left, answers nothing: the refusal is the answer.
                    refused = True
                    await _refuse(send, headers, limit)
                    return {"type": "http.disconnect"}
            return message

        await app(scope, receive_bounded, send)

    return bounded

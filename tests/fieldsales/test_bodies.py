"""Bodies bounded before they are read (fieldsales/bodies.py): refused 413 in the API's envelope, in the user's
language, with the limit of where they go, whether the client says its length or sends it chunk by chunk."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import uuid
from typing import Any

import pytest

from fieldsales.bodies import ANONYMOUS_BYTES
from fieldsales.sync.blobs import MAX_BYTES as PHOTO_BYTES
from fieldsales.sync.views import MAX_PUSH_BYTES
from tests.asgi import call, http_scope
from tests.servers import TIMEOUT_S, sign_in

GIB = 1024 * 1024 * 1024
CHUNK = 64 * 1024
PHOTO_ID = uuid.UUID("5d1c8a3e-9c1f-4a4e-9d53-0b8c1f1e2a77")


class Phone:
    """An ASGI client that sends a body chunk by chunk, only as the application asks for it, and counts them; then
    keeps what the application answered."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.read = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.read == self.total:
            await asyncio.Event().wait()  # all sent: the phone waits for the answer, and says nothing more
        size = min(CHUNK, self.total - self.read)
        self.read += size
        return {"type": "http.request", "body": b"x" * size, "more_body": self.read < self.total}

    def answer(self) -> tuple[int, dict[str, str], dict[str, Any]]:
        start, body = self.sent[0], b"".join(message.get("body", b"") for message in self.sent[1:])
        headers = {name.decode(): value.decode() for name, value in start["headers"]}
        return start["status"], headers, json.loads(body)


def post(phone: Phone, path: str, headers: dict[str, str]) -> None:
    phone.sent = call(http_scope(path, {"Host": "testserver", **headers}, method="POST"), phone.receive)


def test_a_gibibyte_declared_by_a_stranger_is_refused_before_a_byte_of_it_is_read():
    phone = Phone(GIB)
    post(phone, "/api/sync/push", {"Content-Length": str(GIB), "Accept-Language": "fr-CI,fr;q=0.9"})
    status, headers, body = phone.answer()
    assert (status, headers["content-type"], phone.read) == (413, "application/json", 0)
    assert body == {"code": "too_large", "detail": "Cette requête est trop grande : 64 Kio au plus."}


def test_a_gibibyte_sent_chunk_by_chunk_without_a_length_is_refused_once_past_the_limit():
    phone = Phone(GIB)
    post(phone, "/api/sync/push", {"Transfer-Encoding": "chunked"})
    status, _headers, body = phone.answer()
    assert (status, body["code"]) == (413, "too_large")
    assert ANONYMOUS_BYTES < phone.read <= ANONYMOUS_BYTES + CHUNK < 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("path", "size", "words"),
    [
        pytest.param("/api/sync/push", MAX_PUSH_BYTES + 1, "Un envoi ne peut pas dépasser 1 Mio", id="push"),
        pytest.param(f"/api/sync/blobs/{PHOTO_ID}", PHOTO_BYTES + 1, "Une photo ne peut pas dépasser 5 Mio", id="blob"),
        pytest.param("/api/me", 6 * 1024 * 1024 + 1, "Cette requête est trop grande : 6 Mio au plus.", id="other"),
    ],
)
def test_a_signed_in_body_gets_the_limit_of_where_it_goes(path, size, words):
    phone = Phone(size)
    post(phone, path, {"Content-Length": str(size), "Cookie": "sessionid=abc", "Accept-Language": "fr"})
    status, _headers, body = phone.answer()
    assert (status, phone.read) == (413, 0)
    assert words in body["detail"]


def test_a_body_within_its_limit_reaches_django_whole():
    phone = Phone(MAX_PUSH_BYTES)
    post(phone, "/api/sync/push", {"Content-Length": str(MAX_PUSH_BYTES), "Cookie": "sessionid=abc"})
    status, _headers, _body = phone.answer()
    assert (status, phone.read) == (403, MAX_PUSH_BYTES)  # read, then refused for the session that is none


def answer_while_sending(server: tuple[str, int], head: str, size: int) -> tuple[str, dict[str, Any]]:
    """Send `head` for a body of `size` bytes, then only its first 64 KiB, and wait: the answer can only come if the
    server answers without waiting for the rest. Its status line and JSON body."""
    with socket.create_connection(server, timeout=TIMEOUT_S) as link:
        link.sendall(f"{head}Content-Length: {size}\r\n\r\n".encode() + b"x" * CHUNK)
        readable, _, _ = select.select([link], [], [], TIMEOUT_S)
        assert readable, "no answer while the body was unsent"
        # The server closes the connection after its answer: read until then.
        answer = b"".join(iter(lambda: link.recv(65536), b"")).decode()
    head_part, _, body = answer.partition("\r\n\r\n")
    return head_part.splitlines()[0], json.loads(body)


def test_on_the_wire_a_gibibyte_is_answered_413_while_the_phone_has_sent_the_first_chunk(http_server, awa):
    """Through uvicorn, a stranger's gibibyte, then a signed-in phone's push over its limit."""
    request = "POST /api/sync/push HTTP/1.1\r\nHost: testserver\r\nContent-Type: application/json\r\n"
    status, body = answer_while_sending(http_server, request + "Accept-Language: en\r\n", GIB)
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert body == {"code": "too_large", "detail": "This request is too large: at most 64 KiB."}

    cookies = sign_in(http_server, awa.username)
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    status, body = answer_while_sending(http_server, request + f"Cookie: {cookie}\r\n", MAX_PUSH_BYTES + 1)
    assert (status, body["code"]) == ("HTTP/1.1 413 Request Entity Too Large", "too_large")
    assert body["detail"].startswith("A push carries at most 1 MiB")

"""A real HTTP server for tests that need one on the wire: the project's ASGI application (bodies bounded, Django,
Channels) in uvicorn on loopback, as in production behind its proxy; and a way to talk to it with a real session."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection

TIMEOUT_S = 120  # a request or a thread this slow is stuck, not slow
PASSWORD = "fieldsales"  # tests.factories.UserFactory's


def serve(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """`fieldsales.asgi.application` in uvicorn on a loopback socket bound and listening before the server
    starts, so that a request sent at once waits in the socket's queue instead of needing a poll for readiness."""
    import uvicorn

    from fieldsales.asgi import application

    # Plain HTTP on loopback, as behind the TLS proxy of production.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"].startswith("channels_redis."):
        # xdist workers share the Redis, and their test databases hand out the same user ids.
        settings.CHANNEL_LAYERS = {
            "default": {**layer, "CONFIG": {**layer.get("CONFIG", {}), "prefix": f"test-{uuid.uuid4().hex}"}}
        }
    # Each request's thread closes its connection when the request ends: none is left to block the teardown.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    server = uvicorn.Server(uvicorn.Config(application, loop="asyncio", lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="uvicorn", daemon=True)
    thread.start()
    yield listener.getsockname()[:2]
    server.should_exit = True
    thread.join(TIMEOUT_S)
    listener.close()
    assert not thread.is_alive(), "uvicorn did not stop"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def exchange(
    address: tuple[str, int], method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Answer:
    """One request on a connection of its own, answered in full."""
    link = http.client.HTTPConnection(*address, timeout=TIMEOUT_S)
    try:
        link.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = link.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        link.close()


def cookies_of(answer: Answer) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in answer.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def sign_in_attempt(server: tuple[str, int], username: str) -> tuple[Answer, dict[str, str], float]:
    """The login page read, then its form posted with the rep's password: the form's answer, the cookies the page
    gave, and the seconds the form took."""
    cookies = cookies_of(exchange(server, "GET", "/accounts/login/"))
    form = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": cookies["csrftoken"]})
    started = time.perf_counter()
    response = exchange(
        server,
        "POST",
        "/accounts/login/",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}"},
    )
    return response, cookies, time.perf_counter() - started


def sign_in(server: tuple[str, int], username: str) -> dict[str, str]:
    """The session and CSRF cookies of a rep signed in through the real login page."""
    response, cookies, _seconds = sign_in_attempt(server, username)
    assert response.status == 302, response.status
    cookies.update(cookies_of(response))  # signing in rotates the CSRF token
    assert "sessionid" in cookies
    return cookies


def wait_until(condition: Any, seconds: float = 30) -> None:
    """Wait for a condition another process or thread makes true (looked at every 20 ms), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{condition.__name__} still false after {seconds} s"
        threading.Event().wait(0.02)


# App nodes in processes of their own: `uvicorn` and its workers on a loopback socket, against the test database.

STOPS_S = 20
ROOT = Path(__file__).resolve().parent.parent


def listening_socket() -> socket.socket:
    """A loopback socket bound and listening: a server given it later finds the requests sent meanwhile waiting."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    listener.set_inheritable(True)
    return listener


@dataclass
class Node:
    name: str
    address: tuple[str, int]
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL to the master and its workers, as when a machine dies: nothing is finished, nothing closed."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOPS_S)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(STOPS_S)


def node_environment(**settings: str) -> dict[str, str]:
    """A production-like node's environment on the test database (committed data: `transactional_db`), plain HTTP
    on loopback, with these settings on top."""
    from django.conf import settings as django_settings

    database = connection.settings_dict
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "fieldsales.settings",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "DEBUG": "false",
        "HTTPS": "false",
        "STATIC_MANIFEST": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "DB_POOL_MAX": "4",
        **settings,
    }


def start_node(name: str, env: dict[str, str], workers: int = 2) -> Node:
    listener = listening_socket()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "fieldsales.asgi:application", "--fd", str(listener.fileno()),
         "--workers", str(workers), "--no-server-header", "--lifespan", "off", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        pass_fds=(listener.fileno(),),
        start_new_session=True,  # its own process group: killed with its workers
    )  # fmt: skip
    address = listener.getsockname()[:2]
    listener.close()  # the node's own copy stays open: killed, its port refuses at once
    return Node(name, address, process)


def production_passwords(*users: Any) -> None:
    """Hash these users' password as production does: the tests' processes add MD5 first (tests/conftest.py), which a
    node of its own does not know."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import get_hashers, make_password

    hashed = make_password(PASSWORD, hasher=get_hashers()[1].algorithm)
    get_user_model().objects.filter(pk__in=[user.pk for user in users]).update(password=hashed)

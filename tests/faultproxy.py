"""A TCP proxy on loopback that breaks HTTP exchanges on purpose, the way a phone's network does.

It reads each request whole, asks `decide` what to do with it, and then:
- `PASS`: forwards it and forwards the server's answer;
- `DROP`: forwards it, reads the server's whole answer (the server has done the work), and closes the client's
  connection without sending a byte of it;
- `RESET_BEFORE`: resets the client's connection (RST) without forwarding anything;
- `RESET_AFTER`: forwards it, reads the server's whole answer, then resets the client's connection;
- `UNAVAILABLE`: answers 503 itself, without forwarding anything (a load balancer whose backend is down);
- `UNAVAILABLE_AFTER`: forwards it, reads the server's whole answer, and answers 503 in its place (a gateway
  that gave up waiting while the server went on).

One request per connection: the proxy asks the server to close after its answer, and closes the client's
connection after each exchange (`Connection: close` both ways). Each exchange is recorded in `log`.
"""

from __future__ import annotations

import contextlib
import enum
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

TIMEOUT_S = 120  # a peer silent this long is a hang, not a pace
HEAD_LIMIT = 64 * 1024


class Fault(enum.Enum):
    PASS = "pass"
    DROP = "drop"
    RESET_BEFORE = "reset_before"
    RESET_AFTER = "reset_after"
    UNAVAILABLE = "unavailable"
    UNAVAILABLE_AFTER = "unavailable_after"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Exchange:
    request: Request
    fault: Fault
    upstream_status: int | None  # the server's answer, when the request reached it


SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
    b"Retry-After: 0\r\nConnection: close\r\n\r\nService unavailable\n"
)


class FaultProxy:
    """Listens on 127.0.0.1 (the port in `port`) from construction; `close()` stops it."""

    def __init__(self, upstream: tuple[str, int], decide: Callable[[Request], Fault]) -> None:
        self.upstream = upstream
        self.decide = decide
        self.log: list[Exchange] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="faultproxy", daemon=True)
        self._acceptor.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        # accept() is not woken by close() on every platform; a connection of its own wakes it.
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT_S):
            pass
        self._acceptor.join(TIMEOUT_S)
        self._listener.close()
        for thread in list(self._threads):
            thread.join(TIMEOUT_S)

    def _accept(self) -> None:
        while True:
            connection, _address = self._listener.accept()
            if self._closing.is_set():
                connection.close()
                return
            thread = threading.Thread(target=self._serve, args=(connection,), name="faultproxy-conn", daemon=True)
            self._threads = [alive for alive in self._threads if alive.is_alive()]
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(TIMEOUT_S)
        try:
            head, body = _read_request(client)
            if head is None:
                client.close()
                return
            request = _parse_request(head, body)
            fault = self.decide(request)
            answer = None
            if fault not in (Fault.RESET_BEFORE, Fault.UNAVAILABLE):
                answer = self._forward(_with_connection_close(head) + body)
            # Logged before the client hears anything: its next request cannot be logged before this one.
            with self._lock:
                self.log.append(Exchange(request, fault, _status_of(answer) if answer is not None else None))
            if fault is Fault.PASS and answer is not None:
                client.sendall(_with_connection_close(answer))
                client.close()
            elif fault in (Fault.UNAVAILABLE, Fault.UNAVAILABLE_AFTER):
                client.sendall(SERVICE_UNAVAILABLE)
                client.close()
            elif fault is Fault.DROP:
                client.close()
            else:
                _reset(client)
        except BaseException as error:  # a broken proxy must fail the test, not look like a lossy network
            with self._lock:
                self.errors.append(error)
            _reset(client)

    def _forward(self, data: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=TIMEOUT_S) as upstream:
            upstream.sendall(data)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def _read_request(sock: socket.socket) -> tuple[bytes | None, bytes]:
    """The request's head (through the blank line) and its body (Content-Length bytes); no head when the client
    closed without sending one."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buffer += chunk
        if len(buffer) > HEAD_LIMIT:
            raise ValueError("request head too large")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    head += b"\r\n\r\n"
    headers = _headers(head)
    if "chunked" in headers.get("transfer-encoding", ""):
        raise ValueError("chunked requests are not supported")
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("client closed mid-body")
        rest += chunk
    return head, rest[:length]


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = [line.split(":", 1) for line in lines if ":" in line]
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _parse_request(head: bytes, body: bytes) -> Request:
    method, path, _version = head.decode("latin-1").split("\r\n", 1)[0].split(" ", 2)
    return Request(method, path, _headers(head), body)


def _with_connection_close(message: bytes) -> bytes:
    """The message (a request or an answer) with `Connection: close` instead of any Connection/Keep-Alive."""
    head, separator, body = message.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("incomplete HTTP message")
    start, *lines = head.split(b"\r\n")
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive")]
    return b"\r\n".join([start, *kept, b"Connection: close"]) + b"\r\n\r\n" + body


def _status_of(answer: bytes) -> int | None:
    parts = answer.split(b"\r\n", 1)[0].split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN: SO_LINGER on, with a zero timeout."""
    with contextlib.suppress(OSError):  # the peer may have gone already
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()

"""The DevTools protocol plumbing of `make bench-network`, in one place: a phone's network and CPU, and its bytes.

Playwright drives the pages; this module holds a second DevTools connection of its own to the same Chromium (started
with `--remote-debugging-port`), because Playwright's CDP sessions reach pages only, and the service worker downloads
on a target of its own: a page's `Network.emulateNetworkConditions` leaves the worker's precache at full speed.

Here a browser-level session auto-attaches (flattened) to every page and service-worker target, and on each sets the
link (`Network.emulateNetworkConditions`) and the CPU (`Emulation.setCPUThrottlingRate`) before letting it run, and
records its requests (`Network.*` events): start, end, status, bytes down (`loadingFinished.encodedDataLength`,
headers included) and up (request line, headers as sent, body).

Playwright attaches to a new service worker too and lets it run at once: a worker does not wait for this connection's
`Runtime.runIfWaitingForDebugger`, so its emulation races the worker's first fetches. The conditions go out first
thing on attachment, in the reader thread, and each request records how long it waited for its answer's headers:
`unthrottled()` lists those answered faster than the link's round trip, which the benchmark prints as a check.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Listener = Callable[[str, dict[str, Any], str | None], None]


@dataclass(frozen=True)
class Link:
    """A mobile link as DevTools emulates it: kilobits per second each way, and a round trip added to each request."""

    name: str
    down_kbps: float
    up_kbps: float
    rtt_ms: float

    def conditions(self) -> dict[str, Any]:
        return {
            "offline": False,
            "latency": self.rtt_ms,
            "downloadThroughput": self.down_kbps * 1000 / 8,
            "uploadThroughput": self.up_kbps * 1000 / 8,
        }

    def seconds(self, *, down: float, up: float, round_trips: int) -> float:
        """The least time this link takes to carry these bytes over this many sequential round trips."""
        return round_trips * self.rtt_ms / 1000 + down * 8 / (self.down_kbps * 1000) + up * 8 / (self.up_kbps * 1000)


@dataclass
class Request:
    """One HTTP exchange (a redirect's hops are one each), as a target's Network events told it; times in epoch ms."""

    target: str
    method: str
    url: str
    start: float
    header_bytes: int
    body_bytes: int
    end: float | None = None
    status: int | None = None
    down: int = 0
    headers_wait_ms: float | None = None
    from_worker: bool = False
    from_cache: bool = False
    failed: str | None = None
    sent_headers: dict[str, str] = field(default_factory=dict, repr=False)
    received_headers: dict[str, str] = field(default_factory=dict, repr=False)
    monotonic_start: float = field(default=0.0, repr=False)

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def up(self) -> int:
        return self.header_bytes + self.body_bytes

    @property
    def received_header_bytes(self) -> int:
        """The answer's status line and headers, as HTTP/1.1 writes them."""
        return len(f"HTTP/1.1 {self.status} \r\n".encode()) + header_lines(self.received_headers) + 2

    @property
    def bytes(self) -> int:
        return self.down + self.up


class Connection:
    """A DevTools websocket: commands answered through futures, events handed to listeners from a reader thread."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self._socket = connect(url, max_size=None, open_timeout=30, close_timeout=1)
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.listeners: list[Listener] = []
        threading.Thread(target=self._read, name="devtools-reader", daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self._socket:
                message = json.loads(raw)
                if "id" in message:
                    waiting = self._waiting.pop(message["id"], None)
                    if waiting is None:
                        continue
                    if "error" in message:
                        waiting.set_exception(RuntimeError(f"{message['error'].get('message')}"))
                    else:
                        waiting.set_result(message.get("result", {}))
                    continue
                for listener in self.listeners:
                    listener(message.get("method", ""), message.get("params", {}), message.get("sessionId"))
        except Exception:  # noqa: S110 - the browser closing ends the socket, however it ends it
            pass
        finally:
            for waiting in self._waiting.values():
                if not waiting.done():
                    waiting.set_exception(RuntimeError("DevTools connection closed"))

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Future[dict]:
        answer: Future[dict[str, Any]] = Future()
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._waiting[message["id"]] = answer
        with self._lock:
            self._socket.send(json.dumps(message))
        return answer

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        return self.send(method, params, session).result(timeout=120)

    def close(self) -> None:
        self._socket.close()


def browser_socket_url(profile: str, timeout_s: float = 30) -> str:
    """The browser's DevTools websocket, from the port Chromium wrote into its profile (--remote-debugging-port=0)."""
    with urllib.request.urlopen(
        f"http://127.0.0.1:{devtools_port(profile, timeout_s)}/json/version", timeout=10
    ) as answer:
        return json.load(answer)["webSocketDebuggerUrl"]


def devtools_port(profile: str, timeout_s: float = 30) -> int:
    """The port Chromium chose (--remote-debugging-port=0): the first line of DevToolsActivePort in its profile."""
    path = Path(profile) / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Chromium wrote no {path}")
        time.sleep(0.05)
    return int(path.read_text().split()[0])


def header_lines(headers: dict[str, Any]) -> int:
    """Bytes of header lines (a value DevTools joined with newlines was several lines of the same name)."""
    return sum(
        len(f"{name}: {line}\r\n".encode()) for name, value in headers.items() for line in str(value).split("\n")
    )


def _header_bytes(method: str, url: str, headers: dict[str, Any]) -> int:
    parts = urlsplit(url)
    line = f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
    return len(line.encode()) + header_lines(headers) + 2


def _body_bytes(request: dict[str, Any]) -> int:
    if request.get("postDataEntries"):
        return sum(len(base64.b64decode(entry.get("bytes", ""))) for entry in request["postDataEntries"])
    return len(request.get("postData", "").encode())


class Devtools:
    """A phone's link and CPU on every page and service worker of one Chromium, and the requests they made."""

    def __init__(self, profile: str, *, link: Link | None, cpu_rate: float, link_on_worker: bool = True) -> None:
        self.link = link
        self.cpu_rate = cpu_rate
        self.link_on_worker = link_on_worker
        self.connection = Connection(browser_socket_url(profile))
        self.targets: dict[str, str] = {}  # session id: target type
        self.refused: dict[str, str] = {}  # "target type command": error, when a target refused a command
        self.worker_attached_at: float | None = None
        self.websockets = 0
        self._open: dict[tuple[str, str], Request] = {}
        self._sent_headers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._done: list[Request] = []
        self._lock = threading.Lock()
        self._page_ready = threading.Event()
        self.connection.listeners.append(self._on_event)
        self.connection.call(
            "Target.setAutoAttach",
            {
                "autoAttach": True,
                "waitForDebuggerOnStart": True,
                "flatten": True,
                "filter": [{"type": "page"}, {"type": "service_worker"}, {"exclude": True}],
            },
        )
        if not self._page_ready.wait(30):
            raise RuntimeError("no page target to attach to")

    # -- Emulation ----------------------------------------------------------------------------------------------

    def _emulate(self, session: str, kind: str) -> Future[dict]:
        """Sends this target its link and CPU; returns the last command's answer."""
        if self.link is not None and (kind == "page" or self.link_on_worker):
            self._tried(session, kind, "Network.emulateNetworkConditions", self.link.conditions())
        return self._tried(session, kind, "Emulation.setCPUThrottlingRate", {"rate": self.cpu_rate})

    def _tried(self, session: str, kind: str, method: str, params: dict[str, Any]) -> Future[dict]:
        answer = self.connection.send(method, params, session)

        def note(done: Future[dict]) -> None:
            if done.exception() is not None:
                self.refused[f"{kind} {method}"] = str(done.exception())

        answer.add_done_callback(note)
        return answer

    def set_link(self, link: Link | None) -> None:
        """Changes the link of every attached target (None: no limit)."""
        self.link = link
        conditions = link.conditions() if link else {"offline": False, "latency": 0, "downloadThroughput": -1}
        conditions.setdefault("uploadThroughput", -1)
        for session, kind in list(self.targets.items()):
            if kind == "page" or self.link_on_worker:
                self.connection.call("Network.emulateNetworkConditions", conditions, session)

    # -- Events -------------------------------------------------------------------------------------------------

    def _on_event(self, method: str, params: dict[str, Any], session: str | None) -> None:
        if method == "Target.attachedToTarget":
            self._attached(params)
        elif method == "Target.detachedFromTarget":
            self.targets.pop(params.get("sessionId", ""), None)
        elif session in self.targets and method.startswith("Network."):
            with self._lock:
                self._network(method, params, session, self.targets[session])

    def _attached(self, params: dict[str, Any]) -> None:
        session, kind = params["sessionId"], params["targetInfo"]["type"]
        self.targets[session] = kind
        if kind == "service_worker" and self.worker_attached_at is None:
            self.worker_attached_at = time.time() * 1000
        # In this order, before the target runs: a worker's first fetches race Playwright's own resume (see above).
        self.connection.send("Network.enable", {}, session)
        emulated = self._emulate(session, kind)
        self.connection.send("Runtime.runIfWaitingForDebugger", {}, session)
        if kind == "page":
            emulated.add_done_callback(lambda _done: self._page_ready.set())

    def _network(self, method: str, params: dict[str, Any], session: str, kind: str) -> None:
        key = (session, params.get("requestId", ""))
        if method == "Network.requestWillBeSent":
            self._sent(key, kind, params)
        elif method == "Network.requestWillBeSentExtraInfo":
            self._sent_headers.setdefault(key, []).append(params.get("headers", {}))
        elif method == "Network.responseReceived" and key in self._open:
            response = params["response"]
            request = self._open[key]
            request.status = response.get("status")
            request.from_worker = bool(response.get("fromServiceWorker"))
            request.from_cache = bool(response.get("fromDiskCache") or response.get("fromPrefetchCache"))
            request.headers_wait_ms = (response.get("timing") or {}).get("receiveHeadersEnd")
            request.received_headers = response.get("headers") or {}
        elif method == "Network.loadingFinished" and key in self._open:
            request = self._open.pop(key)
            # An answer the worker gave the page was downloaded by the worker, which counts it.
            request.down = 0 if request.from_worker else int(params.get("encodedDataLength", 0))
            self._finish(key, request, params["timestamp"])
        elif method == "Network.loadingFailed" and key in self._open:
            request = self._open.pop(key)
            request.failed = params.get("errorText") or "failed"
            self._finish(key, request, params["timestamp"])
        elif method == "Network.webSocketCreated":
            self.websockets += 1

    def _sent(self, key: tuple[str, str], kind: str, params: dict[str, Any]) -> None:
        previous = self._open.pop(key, None)
        redirect = params.get("redirectResponse")
        if previous is not None and redirect is not None:
            previous.status = redirect.get("status")
            previous.down = int(redirect.get("encodedDataLength", 0))
            self._finish(key, previous, params["timestamp"])
        request = params["request"]
        self._open[key] = Request(
            target="page" if kind == "page" else "worker",
            method=request["method"],
            url=request["url"],
            start=params["wallTime"] * 1000,
            header_bytes=_header_bytes(request["method"], request["url"], request.get("headers", {})),
            body_bytes=_body_bytes(request),
            monotonic_start=params["timestamp"],
        )

    def _finish(self, key: tuple[str, str], request: Request, monotonic_end: float) -> None:
        request.end = request.start + (monotonic_end - request.monotonic_start) * 1000
        sent = self._sent_headers.get(key)
        if sent:
            # The headers as sent (cookies included) rather than those the page asked for; a redirect's hops in turn.
            request.sent_headers = sent.pop(0)
            request.header_bytes = _header_bytes(request.method, request.url, request.sent_headers)
        self._done.append(request)

    # -- Reading ------------------------------------------------------------------------------------------------

    def requests(
        self, *, since: float = 0, until: float | None = None, target: str | None = None, path: str = ""
    ) -> list[Request]:
        """Finished requests started in [since, until], of one target kind ("page", "worker") and path prefix."""
        with self._lock:
            done = list(self._done)
        return sorted(
            (
                r
                for r in done
                if r.start >= since
                and (until is None or r.start <= until)
                and (target is None or r.target == target)
                and urlsplit(r.url).path.startswith(path)
            ),
            key=lambda r: r.start,
        )

    def in_flight(self, path: str = "") -> int:
        with self._lock:
            return sum(1 for r in self._open.values() if urlsplit(r.url).path.startswith(path))

    def settle(self, path: str = "", timeout_s: float = 30) -> None:
        """Waits until no request under `path` is still open (events trail the page's own view by a little)."""
        deadline = time.monotonic() + timeout_s
        while self.in_flight(path) and time.monotonic() < deadline:
            time.sleep(0.05)

    def unthrottled(self, requests: Iterable[Request]) -> list[Request]:
        """Requests answered over the network faster than the link's round trip: they escaped its emulation."""
        if self.link is None:
            return []
        return [
            r
            for r in requests
            if r.headers_wait_ms is not None
            and not r.from_worker
            and not r.from_cache
            and r.status not in (None, 0)
            and r.headers_wait_ms < 0.9 * self.link.rtt_ms
        ]

    def close(self) -> None:
        self.connection.close()

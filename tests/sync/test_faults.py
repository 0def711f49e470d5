"""Fault injection: a device's outbox replayed through a network that loses answers, resets connections and
answers 503, with two tabs sending the same ops at once. The server must end with exactly the device's records.

The project's ASGI application runs in uvicorn on loopback (as in production, behind a proxy); between it and
the device sits `tests.faultproxy.FaultProxy`, a real TCP proxy that breaks exchanges on purpose. The device is
modelled on the PWA's outbox (static/js/lib/sync.js, outbox.js, alerts.js): ops leave the outbox only when the server
answered for them, a batch holds at most one client.update per client, and a queued update is rebased on the
version its predecessor's answer gives. The day's ops, the batches and every fault are drawn from seeded
`random.Random`s, a fault keyed by the request rather than by the order in which threads reach the proxy: a run
meets the same faults as the last one. (Which of two tabs applies an op and which is told `duplicate` is the
race's, and on SQLite's in-memory test database a push can fail on a lock, see `sqlite_table_locked`.)
"""

from __future__ import annotations

import datetime as dt
import functools
import http.client
import json
import math
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection

from clients.models import Client
from clients.services import client_create
from fieldsales.geo import offset_point
from fieldsales.models import SyncOp
from tests import servers
from tests.factories import ABIDJAN
from tests.faultproxy import Fault, FaultProxy, Request
from tests.servers import TIMEOUT_S, sign_in
from tests.sync.conftest import new_id, started
from workflows.models import ActivitySubmission, Note, OrderLine, Visit

SEED = 20261122
# A full day of a rep's work (some thirty visits), and enough pushes, about as many, for every fault to happen several
# times: on the seed, 60 answers lost, 5 resets before the server and 8 after, 8 pushes of both tabs at once. Each push
# costs the server a few hundredths of a second: 500 ops took twice as long to meet the same kinds of faults.
OP_COUNT = 200
DROP_RATE = 0.30  # answers lost after the server committed
RESET_RATE = 0.05  # connections reset, half before the request reaches the server, half after its answer
TWIN_RATE = 0.05  # ops that a second tab sends at the same moment as the first
TWIN_CHANCE = 0.15  # how often a push is doubled by the second tab, until TWIN_RATE of the ops were
# How many ops a push carries at most: mostly the few written since the last sync (the app syncs after each
# write), now and then a backlog from a stretch without signal.
BATCH_LIMITS, BATCH_WEIGHTS = (1, 2, 3, 50), (62, 26, 11, 1)


# The server and the proxy ------------------------------------------------------------------------------------


def keyed(decide: Callable[[random.Random], Fault]) -> Callable[[Request], Fault]:
    """A proxy decision drawn from a generator seeded by the request's `X-Test-Request` key: the same request
    meets the same fault whichever thread reaches the proxy first."""

    def decision(request: Request) -> Fault:
        return decide(random.Random(f"{SEED}:{request.headers['x-test-request']}"))

    return decision


def lossy(rng: random.Random) -> Fault:
    draw = rng.random()
    if draw < RESET_RATE:
        return rng.choice([Fault.RESET_BEFORE, Fault.RESET_AFTER])
    if draw < RESET_RATE + DROP_RATE:
        return Fault.DROP
    return Fault.PASS


# A signed-in rep's browser ------------------------------------------------------------------------------------


class Lost(Exception):
    """The push's answer never arrived: the connection was closed or reset."""


@dataclass
class Tab:
    """One tab of the rep's app: pushes over a connection of its own, with the browser's cookies."""

    proxy: tuple[str, int]
    cookies: dict[str, str]
    name: str
    sent: int = 0

    def push(self, device: str, ops: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """The answer's status and body; raises Lost when none came."""
        key = f"{self.name}{self.sent}"
        self.sent += 1
        body = json.dumps({"device": device, "ops": ops}).encode()
        headers = {
            "Content-Type": "application/json",
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            "X-CSRFToken": self.cookies["csrftoken"],
            "X-Test-Request": key,
        }
        try:
            answer = servers.exchange(self.proxy, "POST", "/api/sync/push", body, headers)
        except (ConnectionError, http.client.HTTPException) as error:
            raise Lost(key) from error
        return answer.status, json.loads(answer.body) if answer.status == 200 else {}


# The device's day: what it queued, and what the server must hold after ------------------------------------------


def near(lat: float, lng: float, metres: float, bearing: float) -> tuple[float, float]:
    return offset_point(lat, lng, metres, math.degrees(bearing))


QUARTIERS = ("Cocody", "Plateau", "Treichville", "Yopougon", "Marcory", "Adjamé", "Koumassi")
CATEGORIES = ("Épicerie", "Boutique", "Supermarché")


@dataclass
class Workday:
    """The ops a device queued, in order, and the records they make (as the server must store them)."""

    rng: random.Random
    list_id: int
    workflow_id: int
    form_id: int
    order_id: int
    prices: dict[int, Decimal]
    ops: list[dict[str, Any]] = field(default_factory=list)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_clients: set[str] = field(default_factory=set)
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: dt.datetime = dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC)

    def new_id(self) -> str:
        """A UUID from the day's generator: the same seed, the same ids, the same choices among them."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def known(self, client: Client) -> None:
        self.clients[str(client.pk)] = {
            "name": client.name,
            "phone": client.phone,
            "lat": client.lat,
            "lng": client.lng,
            "attributes": dict(client.attributes),
            "version": client.version,
        }

    def _add(self, type_: str, entity_id: str, data: dict[str, Any], **envelope: Any) -> dt.datetime:
        self.clock += dt.timedelta(seconds=self.rng.randint(20, 400))
        self.ops.append(
            {
                "op_id": self.new_id(),
                "type": type_,
                "entity_id": entity_id,
                "made_at": self.clock.isoformat(),
                "data": data,
                **envelope,
            }
        )
        return self.clock

    def create_client(self) -> None:
        client_id, n = self.new_id(), len(self.new_clients) + 1
        lat, lng = near(*ABIDJAN, self.rng.uniform(50, 8000), self.rng.uniform(0, 2 * math.pi))
        record = {
            "name": f"Boutique {n} de la rue {self.rng.randint(1, 99)}",
            # In E.164, as the server stores it (clients/phones.py), so that the device's copy is the server's.
            "phone": f"+22507{self.rng.randint(10, 99)}{self.rng.randint(10, 99)}{n:04d}",
            "lat": lat,
            "lng": lng,
            "attributes": {"quartier": self.rng.choice(QUARTIERS), "categorie": self.rng.choice(CATEGORIES)},
        }
        self._add("client.create", client_id, {"list": self.list_id, "accuracy_m": 6.0, **record})
        self.clients[client_id] = {**record, "version": 1}
        self.new_clients.add(client_id)

    def update_client(self) -> None:
        client_id = self.rng.choice(sorted(self.clients))
        record = self.clients[client_id]
        data: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for change in self.rng.sample(["name", "phone", "quartier", "surface_m2", "frigo"], self.rng.randint(1, 3)):
            if change == "name":
                data["name"] = f"{record['name'].split(' *')[0]} *{self.rng.randint(1, 10**6)}"
            elif change == "phone":
                data["phone"] = f"+22505{self.rng.randint(10**7, 10**8 - 1)}"
            elif change == "quartier":
                attributes["quartier"] = self.rng.choice(
                    [q for q in QUARTIERS if q != record["attributes"]["quartier"]]
                )
            elif change == "surface_m2":
                attributes["surface_m2"] = record["attributes"].get("surface_m2", 0) + self.rng.randint(1, 50)
            else:
                attributes["frigo"] = not record["attributes"].get("frigo", False)
        if attributes:
            data["attributes"] = attributes
        # Queued offline: based on the version the phone held, rebased when the answers come (alerts.js).
        self._add("client.update", client_id, data, base_version=1)
        record.update({key: value for key, value in data.items() if key != "attributes"})
        record["attributes"] = {**record["attributes"], **attributes}
        record["version"] += 1

    def note(self, client_id: str, visit_id: str | None = None) -> None:
        note_id = self.new_id()
        text = self.rng.choice(["Rupture de stock", "Gérant absent", "Demande une remise", "Nouveau frigo"])
        text = f"{text} ({len(self.notes) + 1})"
        data = {"client": client_id, "text": text}
        if visit_id:
            data["visit"] = visit_id
        at = self._add("note.create", note_id, data)
        self.notes[note_id] = {"client": client_id, "visit": visit_id, "text": text, "created_at": at}

    def visit(self) -> None:
        client_id = self.rng.choice(sorted(self.clients))
        client = self.clients[client_id]
        visit_id = self.new_id()
        lat, lng = near(client["lat"], client["lng"], self.rng.uniform(0, 40), self.rng.uniform(0, 2 * math.pi))
        at = self.clock + dt.timedelta(seconds=30)
        self._add(
            "visit.checkin",
            visit_id,
            {
                "client": client_id,
                "workflow": self.workflow_id,
                "lat": lat,
                "lng": lng,
                "accuracy_m": 5.0,
                "at": at.isoformat(),
            },
        )
        visit = {"client": client_id, "lat": lat, "lng": lng, "checked_in_at": at, "ended_at": None, "version": 1}
        self.visits[visit_id] = visit
        for activity in self.rng.sample(["form", "order"], self.rng.randint(1, 2)):
            self.submit(visit_id, activity)
        if self.rng.random() < 0.4:
            self.note(client_id, visit_id)
        ended = self.clock + dt.timedelta(seconds=60)
        self._add("visit.end", visit_id, {"at": ended.isoformat()})
        visit["ended_at"] = ended
        visit["version"] += 1

    def submit(self, visit_id: str, activity: str) -> None:
        submission_id = self.new_id()
        values: dict[str, Any] = {}
        lines: list[tuple[int, Decimal, Decimal]] = []
        wire_lines = []
        if activity == "form":
            values = {"part_rayon": self.rng.randint(0, 100)}
        else:
            for product_id in self.rng.sample(sorted(self.prices), self.rng.randint(1, len(self.prices))):
                quantity = Decimal(self.rng.choice(["1", "2", "6", "12", "24", "0.5", "2.250"]))
                line: dict[str, Any] = {"product": product_id, "quantity": str(quantity)}
                price = self.prices[product_id]
                if self.rng.random() < 0.5:  # a negotiated price, else the catalogue's
                    price = Decimal(self.rng.randint(500, 2000)).quantize(Decimal("0.01"))
                    line["unit_price"] = str(price)
                wire_lines.append(line)
                lines.append((product_id, quantity, price))
        activity_id = self.form_id if activity == "form" else self.order_id
        data = {"visit": visit_id, "activity": activity_id, "values": values, "lines": wire_lines}
        at = self._add("activity.submit", submission_id, data)
        total = sum((q * p).quantize(Decimal("0.01")) for _product, q, p in lines) or Decimal("0")
        self.submissions[submission_id] = {
            "visit": visit_id,
            "activity": activity_id,
            "values": values,
            "lines": sorted(lines),
            "total": total,
            "at": at,
        }
        self.visits[visit_id]["version"] += 1

    def fill(self, count: int) -> None:
        """About one op in ten makes a client, two update one, one is a note, the rest are visits' ops."""
        while len(self.ops) < count:
            draw = self.rng.random()
            if draw < 0.1:
                self.create_client()
            elif draw < 0.3:
                self.update_client()
            elif draw < 0.4:
                self.note(self.rng.choice(sorted(self.clients)))
            else:
                self.visit()
        # The last visit may have run past the count: drop its tail, as if the day ended before it did.
        for dropped in self.ops[count:]:
            self._forget(dropped)
        del self.ops[count:]

    def _forget(self, the_op: dict[str, Any]) -> None:
        entity_id = the_op["entity_id"]
        if the_op["type"] == "visit.end":
            self.visits[entity_id].update(ended_at=None, version=self.visits[entity_id]["version"] - 1)
        elif the_op["type"] == "activity.submit":
            self.visits[self.submissions.pop(entity_id)["visit"]]["version"] -= 1
        elif the_op["type"] == "note.create":
            del self.notes[entity_id]
        else:  # the day's fill only overruns within a visit
            raise AssertionError(the_op["type"])


# The phone's outbox ---------------------------------------------------------------------------------------------


@dataclass
class Queued:
    op: dict[str, Any]
    sent: bool = False


@dataclass
class Outbox:
    """The PWA's outbox, shared by the app's tabs (IndexedDB): an op leaves it only when answered."""

    queue: list[Queued]
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    settled: list[Queued] = field(default_factory=list)  # in the order they left the queue
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_batch(self, limit: int, stale: int = 0) -> list[dict[str, Any]]:
        """The first ops, in order, stopping before a second update of one client (sync.js `nextBatch`); they
        are marked sent, after which their payload never changes. With `stale`, as a tab that has not seen the
        answers to that many of the last settled ops sees it: those first."""
        with self.lock:
            batch: list[Queued] = []
            updated: set[str] = set()
            for queued in [*self.settled[max(0, len(self.settled) - stale) :], *self.queue]:
                if len(batch) >= limit + stale:
                    break
                if queued.op["type"] == "client.update":
                    if queued.op["entity_id"] in updated:
                        break
                    updated.add(queued.op["entity_id"])
                batch.append(queued)
            for queued in batch:
                queued.sent = True
            return [queued.op for queued in batch]

    def settle(self, ops: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        """Take the server's answers (alerts.js `settle`): each op leaves the outbox, and the queued updates of
        its client made on the same version are rebased on the version it answered (`rebaseFollowing`)."""
        assert [result["op_id"] for result in results] == [the_op["op_id"] for the_op in ops], results
        with self.lock:
            for the_op, result in zip(ops, results, strict=True):
                self.answers.setdefault(the_op["op_id"], []).append(result)
                position = next((i for i, q in enumerate(self.queue) if q.op["op_id"] == the_op["op_id"]), None)
                if position is None:
                    continue  # the other tab's answer settled it first
                self.settled.append(self.queue.pop(position))
                if the_op["type"] == "client.update" and result["status"] != "rejected" and result["version"]:
                    for queued in self.queue:
                        if (
                            queued.op["type"] == "client.update"
                            and queued.op["entity_id"] == the_op["entity_id"]
                            and not queued.sent
                            and queued.op["base_version"] == the_op["base_version"]
                        ):
                            queued.op["base_version"] = result["version"]


@dataclass
class Tally:
    """What the device saw, besides the answers it settled (the proxy's log has the rest)."""

    concurrent_pairs: int = 0  # pushes sent by both tabs at the same moment
    sent_twice: set[str] = field(default_factory=set)  # ops in both of such a pair
    other_statuses: Counter[int] = field(default_factory=Counter)  # answers but 200
    lock: threading.Lock = field(default_factory=threading.Lock)


def send(tab: Tab, device: str, outbox: Outbox, batch: list[dict[str, Any]], tally: Tally) -> bool:
    """One push of `batch`; whether its answer came (and was settled)."""
    try:
        status, payload = tab.push(device, batch)
    except Lost:
        return False
    if status != 200:
        with tally.lock:
            tally.other_statuses[status] += 1
        return False
    outbox.settle(batch, payload["results"])
    return True


def replay(outbox: Outbox, device: str, first: Tab, second: Tab, rng: random.Random, tally: Tally) -> None:
    """Push until the outbox is empty, the way the app's sync loop does, at once after a failure (the app waits
    a growing delay; the server's side of it is the same).

    Now and then, until TWIN_RATE of the ops went out twice, the second tab pushes at the same moment. It reads
    the same outbox, but a little late: it has not seen the answers to the last few ops settled (up to 3, which
    it sends again), nor the ops queued last (it sends 1 to 3 of the first tab's first ops, or more when the first
    tab's batch is shorter still)."""
    attempts = 0
    while outbox.queue:
        attempts += 1
        assert attempts < 20 * OP_COUNT, f"the outbox does not drain: {len(outbox.queue)} ops left"
        batch = outbox.next_batch(rng.choices(BATCH_LIMITS, BATCH_WEIGHTS)[0])
        if len(tally.sent_twice) >= TWIN_RATE * OP_COUNT or rng.random() >= TWIN_CHANCE:
            send(first, device, outbox, batch, tally)
            continue
        other = outbox.next_batch(rng.randint(1, 3), stale=rng.randint(0, 3))
        tally.concurrent_pairs += 1
        tally.sent_twice.update({o["op_id"] for o in batch} & {o["op_id"] for o in other})
        together = threading.Barrier(2)
        worker = started(functools.partial(at_once, together, second, device, outbox, other, tally))
        at_once(together, first, device, outbox, batch, tally)
        worker.outcome()


def at_once(
    together: threading.Barrier, tab: Tab, device: str, outbox: Outbox, batch: list[dict[str, Any]], tally: Tally
) -> bool:
    together.wait(TIMEOUT_S)
    return send(tab, device, outbox, batch, tally)


# The tests ------------------------------------------------------------------------------------------------------


def server_state(rep: Any, workday: Workday) -> dict[str, Any]:
    clients = {
        str(c.pk): {
            "name": c.name,
            "phone": c.phone,
            "lat": c.lat,
            "lng": c.lng,
            "attributes": c.attributes,
            "version": c.version,
        }
        for c in Client.objects.filter(pk__in=list(workday.clients))
    }
    visits = {
        str(v.pk): {
            "client": str(v.client_id),
            "lat": v.checkin_lat,
            "lng": v.checkin_lng,
            "checked_in_at": v.checked_in_at,
            "ended_at": v.ended_at,
            "version": v.version,
        }
        for v in Visit.objects.filter(rep=rep)
    }
    lines: dict[str, list[tuple[int, Decimal, Decimal]]] = {}
    for line in OrderLine.objects.filter(submission__visit__rep=rep):
        lines.setdefault(str(line.submission_id), []).append((line.product_id, line.quantity, line.unit_price))
    submissions = {
        str(s.pk): {
            "visit": str(s.visit_id),
            "activity": s.activity_id,
            "values": s.values,
            "lines": sorted(lines.get(str(s.pk), [])),
            "total": s.order_total,
            "at": s.submitted_at,
        }
        for s in ActivitySubmission.objects.filter(visit__rep=rep)
    }
    notes = {
        str(n.pk): {
            "client": str(n.client_id),
            "visit": str(n.visit_id) if n.visit_id else None,
            "text": n.text,
            "created_at": n.created_at,
        }
        for n in Note.objects.filter(author=rep)
    }
    return {"clients": clients, "visits": visits, "submissions": submissions, "notes": notes}


@pytest.fixture
def server_errors() -> Iterator[list[BaseException]]:
    """The exceptions the server's requests end in (a 500 each), whichever thread served them."""
    from django.core.signals import got_request_exception

    errors: list[BaseException] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        errors.append(sys.exc_info()[1])  # type: ignore[arg-type]

    got_request_exception.connect(record, weak=False)
    yield errors
    got_request_exception.disconnect(record)


def sqlite_table_locked(error: BaseException) -> bool:
    """Whether `error` is SQLite's in-memory test database failing on a lock, which no deployment meets.

    That database is shared between connections (`cache=shared`), and there a transaction that meets another's
    lock fails at once ("database table is locked", SQLITE_LOCKED) instead of waiting for it, as the busy timeout
    makes it do on a database file. So when two tabs push at once, one push may end in a 500, which the device
    retries as the app does (nothing of it was applied). On a database file, as on PostgreSQL, none does."""
    return (
        connection.vendor == "sqlite"
        and connection.is_in_memory_db()
        and isinstance(error, OperationalError)
        and str(error) == "database table is locked"
    )


def test_a_days_ops_replayed_through_lost_answers_resets_and_two_tabs_are_stored_exactly_once(
    http_server, server_errors, pos_list_editable, rep1, visit_workflow
):
    started = time.monotonic()
    rng = random.Random(SEED)
    workday = Workday(
        rng=rng,
        list_id=pos_list_editable.pk,
        workflow_id=visit_workflow["workflow"].pk,
        form_id=visit_workflow["form"].pk,
        order_id=visit_workflow["order"].pk,
        prices={product.pk: product.unit_price for product in visit_workflow["products"]},
    )
    for n in range(10):  # the rep's clients the phone held before the day
        lat, lng = near(*ABIDJAN, 500 * (n + 1), n)
        attributes = {"quartier": "Cocody", "categorie": "Épicerie"}
        data = {"name": f"Client connu {n}", "lat": lat, "lng": lng, "attributes": attributes}
        client_id = uuid.UUID(workday.new_id())
        workday.known(
            client_create(user=None, client_list=pos_list_editable, data=data, client_id=client_id, reps=[rep1])
        )
    workday.fill(OP_COUNT)
    op_ids = [the_op["op_id"] for the_op in workday.ops]
    outbox = Outbox([Queued(the_op) for the_op in workday.ops])
    device = new_id()
    cookies = sign_in(http_server, rep1.username)
    tally = Tally()

    with FaultProxy(http_server, keyed(lossy)) as proxy:
        address = ("127.0.0.1", proxy.port)
        replay(outbox, device, Tab(address, cookies, "a"), Tab(address, cookies, "b"), rng, tally)
    elapsed = time.monotonic() - started

    pushes = Counter(exchange.fault for exchange in proxy.log)
    ops = Counter()
    for exchange in proxy.log:
        ops[exchange.fault] += len(json.loads(exchange.request.body)["ops"])
    upstream = Counter(exchange.upstream_status for exchange in proxy.log)
    answers = [answer for answers in outbox.answers.values() for answer in answers]
    statuses = Counter(answer["status"] for answer in answers)
    figures = (
        f"{OP_COUNT} ops in {len(proxy.log)} pushes ({sum(ops.values())} op sends), {elapsed:.1f} s. "
        f"Answers dropped after the server answered: {pushes[Fault.DROP]} pushes ({ops[Fault.DROP]} ops); "
        f"connections reset before the server saw the push: {pushes[Fault.RESET_BEFORE]} "
        f"({ops[Fault.RESET_BEFORE]} ops), after it answered: {pushes[Fault.RESET_AFTER]} "
        f"({ops[Fault.RESET_AFTER]} ops); passed: {pushes[Fault.PASS]}. Two tabs at once: "
        f"{tally.concurrent_pairs} times, {len(tally.sent_twice)} ops in both. Server answers {dict(upstream)} "
        f"(None: never reached it); answers the device got {dict(statuses)}"
    )
    print(figures)

    assert not proxy.errors, proxy.errors
    # The faults happened, in the proportions asked for: the test cannot pass for want of them.
    assert pushes[Fault.DROP] > OP_COUNT / 5 and ops[Fault.DROP] > OP_COUNT * 0.3, figures
    assert 0.2 < pushes[Fault.DROP] / len(proxy.log) < 0.4, figures
    resets = pushes[Fault.RESET_BEFORE] + pushes[Fault.RESET_AFTER]
    assert pushes[Fault.RESET_BEFORE] and pushes[Fault.RESET_AFTER] and 0.02 < resets / len(proxy.log) < 0.09, figures
    assert len(tally.sent_twice) >= TWIN_RATE * OP_COUNT, figures
    # No error on the server, save where the test database cannot wait for a lock (see `sqlite_table_locked`).
    unexpected = [error for error in server_errors if not sqlite_table_locked(error)]
    assert not unexpected, unexpected
    # The server answers such a failure 503 with Retry-After, the database being busy (fieldsales/http.py).
    assert set(upstream) <= {200, 503, None} and upstream[503] == len(server_errors), figures

    # Every op answered, and applied once: the answers that arrived for an op tell one outcome, at most one of
    # them `applied`; the server holds one claim per op, settled `applied`.
    assert outbox.queue == []
    assert set(outbox.answers) == set(op_ids)
    for op_answers in outbox.answers.values():
        assert {answer["status"] for answer in op_answers} <= {"applied", "duplicate"}, op_answers
        assert sum(answer["status"] == "applied" for answer in op_answers) <= 1, op_answers
        assert len({(answer["entity_id"], answer["version"]) for answer in op_answers}) == 1, op_answers
    assert statuses["duplicate"] >= OP_COUNT / 10, figures  # replays did reach the server, and were recognised as such
    claims = dict(SyncOp.objects.filter(user=rep1).values_list("op_id", "status"))
    assert {str(op_id) for op_id in claims} == set(op_ids)
    assert set(claims.values()) == {SyncOp.Status.APPLIED}

    # Exactly the device's records, with the device's values: none lost, none twice.
    kinds = Counter(the_op["type"] for the_op in workday.ops)
    assert Client.objects.count() == len(workday.clients) == 10 + kinds["client.create"]
    assert Visit.objects.count() == len(workday.visits) == kinds["visit.checkin"]
    assert ActivitySubmission.objects.count() == len(workday.submissions) == kinds["activity.submit"]
    assert OrderLine.objects.count() == sum(len(s["lines"]) for s in workday.submissions.values())
    assert Note.objects.count() == len(workday.notes) == kinds["note.create"]
    server = server_state(rep1, workday)
    assert server["clients"] == workday.clients
    assert server["visits"] == workday.visits
    assert server["submissions"] == workday.submissions
    assert server["notes"] == workday.notes


@pytest.mark.parametrize(
    "unavailable",
    [
        # A load balancer with no backend: the push never reaches the server.
        pytest.param(Fault.UNAVAILABLE, id="before-the-server"),
        # A gateway that gives up while the server goes on: the server applies the first push, and the device,
        # told 503, sends it again.
        pytest.param(Fault.UNAVAILABLE_AFTER, id="after-the-server"),
    ],
)
def test_a_push_answered_503_three_times_is_stored_once_and_answered_when_the_server_is_back(
    http_server, server_errors, pos_list_editable, rep1, unavailable
):
    failing = iter([unavailable] * 3)
    client_id = new_id()
    ops = [
        {
            "op_id": new_id(),
            "type": "client.create",
            "entity_id": client_id,
            "made_at": "2026-11-23T08:00:00+00:00",
            "data": {
                "list": pos_list_editable.pk,
                "name": "Kiosque du marché",
                "lat": ABIDJAN[0],
                "lng": ABIDJAN[1],
                "attributes": {"quartier": "Adjamé", "categorie": "Boutique"},
            },
        },
        {
            "op_id": new_id(),
            "type": "client.update",
            "entity_id": client_id,
            "base_version": 1,
            "made_at": "2026-11-23T08:01:00+00:00",
            "data": {"attributes": {"surface_m2": 12}},
        },
        {
            "op_id": new_id(),
            "type": "note.create",
            "entity_id": new_id(),
            "made_at": "2026-11-23T08:02:00+00:00",
            "data": {"client": client_id, "text": "Ouvert le dimanche"},
        },
    ]
    outbox = Outbox([Queued(the_op) for the_op in ops])
    device = new_id()
    cookies = sign_in(http_server, rep1.username)
    tally = Tally()

    with FaultProxy(http_server, lambda request: next(failing, Fault.PASS)) as proxy:
        tab = Tab(("127.0.0.1", proxy.port), cookies, "a")
        for _attempt in range(10):  # the app retries 5xx answers; here at once
            if send(tab, device, outbox, outbox.next_batch(50), tally):
                break

    reached = 200 if unavailable is Fault.UNAVAILABLE_AFTER else None
    assert [(exchange.fault, exchange.upstream_status) for exchange in proxy.log] == [
        (unavailable, reached),
        (unavailable, reached),
        (unavailable, reached),
        (Fault.PASS, 200),
    ]
    assert tally.other_statuses == {503: 3}
    assert not server_errors
    # The device got its answers, and the server holds the writes once: a client at version 2, one note.
    assert outbox.queue == []
    status = "duplicate" if unavailable is Fault.UNAVAILABLE_AFTER else "applied"
    assert [
        [(answer["status"], answer["entity_id"], answer["version"]) for answer in outbox.answers[the_op["op_id"]]]
        for the_op in ops
    ] == [[(status, client_id, 1)], [(status, client_id, 2)], [(status, ops[2]["entity_id"], 1)]]
    client = Client.objects.get()
    assert (str(client.pk), client.name, client.attributes["surface_m2"], client.version) == (
        client_id,
        "Kiosque du marché",
        12,
        2,
    )
    assert list(Note.objects.values_list("text", flat=True)) == ["Ouvert le dimanche"]
    assert sorted(SyncOp.objects.values_list("op_id", "status")) == sorted(
        (uuid.UUID(the_op["op_id"]), SyncOp.Status.APPLIED) for the_op in ops
    )

"""The concurrency guarantees of the sync contract, on PostgreSQL with real concurrent transactions.

Threads are orchestrated with barriers and events, never with sleeps: each test decides which
transaction writes, waits and commits when, so the interleaving under test happens every run.
"""

from __future__ import annotations

import functools
import json
import random
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client as HttpClient

from clients.models import Client
from clients.services import client_assign, client_update
from fieldsales.models import SyncOp
from tests.factories import make_client
from tests.sync.conftest import Device, device_for, new_id, op, started
from workflows.models import Note

pytestmark = pytest.mark.postgres

TIMEOUT = 60  # seconds a thread may wait on a barrier or an event before the test fails (a hang, not a pace)


def apply(device: Device, changes: list[dict[str, Any]]) -> None:
    for change in changes:
        key = (change["type"], change["id"])
        if change.get("deleted"):
            device.store.pop(key, None)
        else:
            device.store[key] = change


def clients_on_device(device: Device) -> dict[str, tuple[str, int]]:
    return {
        change["id"]: (change["data"]["name"], change["version"])
        for (kind, _id), change in device.store.items()
        if kind == "client"
    }


def clients_on_server(rep: Any) -> dict[str, tuple[str, int]]:
    """The clients `rep` should hold, read straight from the tables (assigned, not archived; the list is shared)."""
    return {
        str(pk): (name, version)
        for pk, name, version in Client.objects.filter(assignments__rep=rep, archived_at__isnull=True).values_list(
            "pk", "name", "version"
        )
    }


def test_the_same_op_pushed_by_20_requests_at_once_is_applied_once(pos_list_editable, rep1):
    sessions = []
    for _ in range(20):
        http = HttpClient()
        http.force_login(rep1)
        sessions.append(http)
    device = new_id()
    the_op = op(
        "client.create",
        data={
            "list": pos_list_editable.pk,
            "name": "Kiosque",
            "attributes": {"quartier": "Plateau", "categorie": "Boutique"},
        },
    )
    body = json.dumps({"device": device, "ops": [the_op]})
    together = threading.Barrier(len(sessions))

    def push(http: HttpClient) -> dict[str, Any]:
        together.wait(TIMEOUT)
        response = http.post("/api/sync/push", body, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["results"][0]

    workers = [started(lambda http=http: push(http)) for http in sessions]
    results = [worker.outcome() for worker in workers]

    assert Counter(result["status"] for result in results) == {"applied": 1, "duplicate": 19}
    assert {(result["entity_id"], result["version"]) for result in results} == {(the_op["entity_id"], 1)}
    assert Client.objects.count() == 1
    assert Client.objects.get().pk.hex == the_op["entity_id"].replace("-", "")
    assert SyncOp.objects.filter(op_id=the_op["op_id"]).count() == SyncOp.objects.count() == 1


def test_a_change_that_commits_after_a_later_one_is_pulled_not_skipped(pos_list_editable, rep1):
    x = make_client(pos_list_editable, reps=(rep1,), name="X")
    y = make_client(pos_list_editable, reps=(rep1,), name="Y")
    device = device_for(rep1)
    device.sync()
    a_wrote, a_may_commit = threading.Event(), threading.Event()

    def writer_a() -> None:
        with transaction.atomic():
            client_update(user=None, client=Client.objects.get(pk=x.pk), data={"name": "X by A"})
            a_wrote.set()
            assert a_may_commit.wait(TIMEOUT)

    def writer_b() -> None:
        client_update(user=None, client=Client.objects.get(pk=y.pk), data={"name": "Y by B"})

    a = started(writer_a)
    try:
        assert a_wrote.wait(TIMEOUT)
        started(writer_b).outcome()  # B began after A (a larger transaction id) and committed first
        assert Client.objects.get(pk=y.pk).name == "Y by B"

        # A is still open: handing out B's change would move the cursor past A's.
        assert device.sync(limit=1) == []
        assert clients_on_device(device) == {str(x.pk): ("X", 1), str(y.pk): ("Y", 1)}
    finally:
        a_may_commit.set()
    a.outcome()

    changes = device.sync(limit=1)
    assert sorted((change["id"], change["data"]["name"], change["version"]) for change in changes) == sorted(
        [(str(x.pk), "X by A", 2), (str(y.pk), "Y by B", 2)]
    )
    assert clients_on_device(device) == clients_on_server(rep1)


def test_a_device_paging_through_its_first_pull_while_others_commit_out_of_order_misses_nothing(
    pos_list_editable, rep1
):
    clients = [make_client(pos_list_editable, reps=(rep1,), name=f"Boutique {i}") for i in range(6)]
    device = device_for(rep1)
    first = device.pull_page(limit=2)
    apply(device, first["changes"])
    device.cursor = first["cursor"]
    a_wrote, a_may_commit = threading.Event(), threading.Event()

    def writer_a() -> None:
        with transaction.atomic():
            client_update(user=None, client=Client.objects.get(pk=clients[0].pk), data={"name": "Premier, par A"})
            a_wrote.set()
            assert a_may_commit.wait(TIMEOUT)

    a = started(writer_a)
    try:
        assert a_wrote.wait(TIMEOUT)
        started(lambda: client_assign(client=Client.objects.get(pk=clients[5].pk), reps=[])).outcome()
        device.sync(limit=2)
    finally:
        a_may_commit.set()
    a.outcome()
    device.sync(limit=2)

    assert clients_on_device(device) == clients_on_server(rep1)
    assert clients_on_device(device)[str(clients[0].pk)][0] == "Premier, par A"


@pytest.mark.parametrize("seed", [7, 2024])
def test_a_reader_paging_through_shuffled_concurrent_commits_ends_with_the_servers_state(pos_list_editable, rep1, seed):
    writers, rounds, per_writer = 4, 20, 3
    rng = random.Random(seed)
    clients = [
        str(make_client(pos_list_editable, reps=(rep1,), name=f"Boutique {i}").pk) for i in range(writers * per_writer)
    ]
    owned = {w: clients[w::writers] for w in range(writers)}  # disjoint: writers never wait on each other's rows
    # For each round: what each writer changes, and the order in which the writers commit.
    plans = [
        {
            w: [
                (client_id, rng.choice(["rename", "rename", "rename", "toggle"]))
                for client_id in rng.sample(owned[w], 2)
            ]
            for w in range(writers)
        }
        for _ in range(rounds)
    ]
    orders = [rng.sample(range(writers), writers) for _ in range(rounds)]
    all_written = threading.Barrier(writers)
    turns = [[threading.Event() for _ in range(writers + 1)] for _ in range(rounds)]
    for round_turns in turns:
        round_turns[0].set()
    stop = threading.Event()

    def write(w: int) -> None:
        for r in range(rounds):
            turn = orders[r].index(w)
            try:
                with transaction.atomic():
                    for client_id, action in sorted(plans[r][w]):
                        client = Client.objects.select_for_update().get(pk=client_id)
                        if action == "rename":
                            client_update(user=None, client=client, data={"name": f"w{w} r{r} {client_id[:4]}"})
                        elif client.assignments.exists():
                            client_assign(client=client, reps=[])
                        else:
                            client_assign(client=client, reps=[rep1])
                    # Every writer of the round holds its transaction id before any commits, then they commit
                    # in the round's shuffled order.
                    all_written.wait(TIMEOUT)
                    assert turns[r][turn].wait(TIMEOUT)
            finally:
                turns[r][turn + 1].set()

    reader_device = device_for(rep1)

    def read() -> int:
        pulls = 0
        versions: dict[str, int] = {}
        while not stop.is_set() or pulls == 0:
            page = reader_device.pull_page(reader_device.cursor, limit=3)
            for change in page["changes"]:
                if change["type"] == "client" and not change.get("deleted"):
                    # Same or newer: a client never goes back to an older version on the device.
                    assert change["version"] >= versions.get(change["id"], 0), change
                    versions[change["id"]] = change["version"]
            apply(reader_device, page["changes"])
            reader_device.cursor = page["cursor"] or reader_device.cursor
            pulls += 1
        return pulls

    reader = started(read)
    workers = [started(lambda w=w: write(w)) for w in range(writers)]
    try:
        for worker in workers:
            worker.outcome()
    finally:
        stop.set()
        all_written.abort()
        for round_turns in turns:
            for event in round_turns:
                event.set()
    assert reader.outcome() > 0

    reader_device.sync(limit=3)
    server = clients_on_server(rep1)
    assert clients_on_device(reader_device) == server
    assert sum(version for _name, version in server.values()) > len(clients) + rounds
    # A device that starts afresh gets the same.
    fresh = device_for(rep1)
    fresh.sync(limit=5)
    assert clients_on_device(fresh) == server


def open_transaction(database: str) -> Any:
    """A connection to `database` on the same server, in a transaction that holds a transaction id."""
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=database,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
    )
    other.execute("SELECT pg_current_xact_id()")
    return other


def test_a_transaction_left_open_in_another_database_does_not_hold_pulls_back(pos_list_editable, rep1):
    """Transaction ids are shared by every database of the server: another application's (or another test
    run's) open transaction must not stop this one's devices from getting their changes."""
    device = device_for(rep1)
    device.sync()
    elsewhere = open_transaction("postgres")
    try:
        client = make_client(pos_list_editable, reps=(rep1,), name="Nouvelle boutique")
        assert [change["id"] for change in device.sync()] == [str(client.pk)]
    finally:
        elsewhere.rollback()
        elsewhere.close()


def test_a_transaction_left_open_in_this_database_delays_later_changes_until_it_ends(pos_list_editable, rep1):
    device = device_for(rep1)
    device.sync()
    here = open_transaction(connection.settings_dict["NAME"])
    try:
        client = make_client(pos_list_editable, reps=(rep1,), name="Nouvelle boutique")
        assert device.sync() == []
    finally:
        here.rollback()
        here.close()
    assert [change["id"] for change in device.sync()] == [str(client.pk)]


def test_two_reps_updating_shared_clients_in_opposite_orders_wait_for_each_other_without_a_deadlock(
    pos_list_editable, rep1, rep2, caplog
):
    """Each push takes its clients' locks in one order, whatever the order of its ops: two pushes that name the same
    clients in opposite orders queue behind each other instead of deadlocking (which PostgreSQL breaks by failing
    one of them: a 500, and the device sending it all again)."""
    shared = [make_client(pos_list_editable, reps=(rep1, rep2), name=f"Boutique {n}") for n in range(6)]
    devices = {rep1: device_for(rep1), rep2: device_for(rep2)}
    for device in devices.values():
        device.http.raise_request_exception = False

    def push(device: Device, clients: list[Client], together: threading.Barrier) -> list[str]:
        ops = [
            op("client.update", str(client.pk), {"phone": f"+225 07 07 00 00 0{n}"}, base_version=client.version)
            for n, client in enumerate(clients)
        ]
        together.wait(TIMEOUT)
        return [result["status"] for result in device.push(*ops)]

    for _round in range(5):
        together = threading.Barrier(2)
        current = list(Client.objects.filter(pk__in=[client.pk for client in shared]).order_by("name"))
        workers = [
            started(lambda clients=current, barrier=together: push(devices[rep1], clients, barrier)),
            started(lambda clients=current[::-1], barrier=together: push(devices[rep2], clients, barrier)),
        ]
        statuses = [status for worker in workers for status in worker.outcome()]
        assert set(statuses) <= {"applied", "conflict"}
        assert statuses.count("applied") >= 6
    # Not even one deadlock that a second attempt hid (fieldsales/db.py says each one it runs again).
    assert [record.getMessage() for record in caplog.records if record.name == "fieldsales.db"] == []


def test_fifty_devices_of_two_reps_pushing_on_the_same_clients_at_once_are_all_answered_and_applied(
    pos_list_editable, rep1, rep2
):
    """An edit of each shared client in an order of its own and a note on one of them, from 49 phones of one rep and
    one of another, all at once: every push answered 200, every note stored, every edit applied or in conflict."""
    shared = [make_client(pos_list_editable, reps=(rep1, rep2), name=f"Boutique {n}") for n in range(6)]
    devices = [device_for(rep1) for _ in range(49)] + [device_for(rep2)]
    for device in devices:
        device.http.raise_request_exception = False
    rng = random.Random(19)
    together = threading.Barrier(len(devices))

    def push(device: Device, order: list[Client], noted: Client) -> list[str]:
        ops = [
            op("client.update", str(client.pk), {"phone": f"+225 07 07 00 00 0{n}"}, base_version=client.version)
            for n, client in enumerate(order)
        ]
        ops.append(op("note.create", data={"client": str(noted.pk), "text": "Rupture de stock sur le café."}))
        together.wait(TIMEOUT)
        return [result["status"] for result in device.push(*ops)]

    plans = [(device, rng.sample(shared, len(shared)), rng.choice(shared)) for device in devices]
    workers = [started(functools.partial(push, *plan)) for plan in plans]
    outcomes = [worker.outcome() for worker in workers]
    assert all(statuses[-1] == "applied" for statuses in outcomes)
    edits = Counter(status for statuses in outcomes for status in statuses[:-1])
    assert set(edits) <= {"applied", "conflict"} and edits["applied"] >= len(shared), edits
    assert Note.objects.count() == len(devices)

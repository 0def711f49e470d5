"""Recomputing every card never blocks the admin: computed outside any transaction, written in short batches, one
recompute at a time, and on SQLite a writer waits for the lock instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.db.models import F
from django.test import Client as HttpClient

from kpis import services
from kpis.models import KpiCard, KpiDefinition, KpiFolder
from kpis.services import kpi_cards_refresh_all
from tests.factories import ClientFactory, LedgerEntryFactory, ManagerFactory

# Committed for real: a transaction of the test's own would hide the refresh's, and the threads' connections
# would see none of the test's rows.
COMMITTED = pytest.mark.django_db(transaction=True)
# Bounds every wait below: a thread that never comes is a failure, never a hang.
WAIT = 30
SQLITE_ONLY = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's single writer")


@pytest.fixture
def balance(transactional_db) -> KpiDefinition:  # type: ignore[no-untyped-def]
    folder = KpiFolder.objects.create(name_en="Account", name_fr="Compte")
    return KpiDefinition.objects.create(
        key="balance", metric="debt_balance", folder=folder, display="money", label_en="Balance", label_fr="Solde"
    )


def shops(count: int) -> list[Any]:
    clients = [ClientFactory() for _ in range(count)]
    for index, client in enumerate(clients):
        LedgerEntryFactory(client=client, amount=Decimal(100 + index))
    return clients


@COMMITTED
def test_cards_are_computed_outside_any_transaction_and_written_a_short_batch_at_a_time(balance, monkeypatch):
    monkeypatch.setattr(services, "QUIET_BATCH", 3)
    shops(7)
    computed_in_transaction, published = [], []
    compute, publish = services.kpi_card_folders, services.publish

    def watched_compute(**kwargs: Any) -> Any:
        computed_in_transaction.append(connection.in_atomic_block)
        return compute(**kwargs)

    def watched_publish(type_name: str, ids: Any) -> Any:
        published.append((connection.in_atomic_block, len(list(ids))))
        return publish(type_name, ids)

    monkeypatch.setattr(services, "kpi_card_folders", watched_compute)
    monkeypatch.setattr(services, "publish", watched_publish)
    assert kpi_cards_refresh_all() == (7, 7)
    assert computed_in_transaction == [False] * 7
    assert published == [(True, 3), (True, 3), (True, 1)]  # each batch's cards, written in their own transaction
    assert set(KpiCard.objects.values_list("version", flat=True)) == {1}
    assert kpi_cards_refresh_all() == (0, 7)  # nothing moved: nothing written


@COMMITTED
def test_a_card_another_refresh_wrote_meanwhile_is_left_as_that_one_wrote_it(balance, monkeypatch):
    (shop,) = shops(1)
    kpi_cards_refresh_all()
    LedgerEntryFactory(client=shop, amount=Decimal("50"))  # the card is stale now
    compute = services.kpi_card_folders

    def overtaken(**kwargs: Any) -> Any:
        folders = compute(**kwargs)
        # A visit's refresh commits a newer card while this one computes.
        KpiCard.objects.filter(client=shop).update(folders=["newer"], version=F("version") + 1)
        return folders

    monkeypatch.setattr(services, "kpi_card_folders", overtaken)
    assert kpi_cards_refresh_all() == (0, 1)
    card = KpiCard.objects.get(client=shop)
    assert (card.folders, card.version) == (["newer"], 2)


@SQLITE_ONLY
def test_sqlite_writers_wait_for_the_lock_and_take_it_when_their_transaction_begins():
    options = connection.settings_dict["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 10
    assert "journal_mode=WAL" in options["init_command"]


@contextmanager
def on_file(path: Path) -> Iterator[None]:
    """The test database copied to a file, which the threads started within open instead (the test's own thread
    keeps the in-memory one): real connections, each with its own view of SQLite's lock."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    original = connections.settings["default"]
    connections.settings["default"] = {**original, "NAME": str(path)}
    try:
        yield
    finally:
        connections.settings["default"] = original


class Gate:
    """Holds the recompute inside a write transaction until the save and the sign-in have each begun theirs."""

    def __init__(self, waiters: int) -> None:
        self.holding = threading.Event()
        self.begun = threading.Semaphore(0)
        self.waiters = waiters
        self.watched: set[int] = set()

    def hold(self) -> None:
        self.holding.set()
        for _ in range(self.waiters):
            assert self.begun.acquire(timeout=WAIT), "a request never began a transaction"

    def began(self) -> None:
        if threading.get_ident() in self.watched:
            self.watched.discard(threading.get_ident())
            self.begun.release()


def run(name: str, results: dict[str, Any], work: Any) -> threading.Thread:
    def target() -> None:
        try:
            results[name] = work()
        except Exception as error:  # the test reads it: a 500 or "database is locked"
            results[name] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


@COMMITTED
@SQLITE_ONLY
def test_a_save_and_a_sign_in_during_a_recompute_succeed(balance, tmp_path, monkeypatch):
    shops(5)
    ManagerFactory(username="boss")
    ManagerFactory(username="other")
    folder = balance.folder
    gate = Gate(waiters=2)
    start_transaction = SqliteWrapper._start_transaction_under_autocommit
    publish = services.publish

    def watched_begin(self: Any) -> None:
        if gate.holding.is_set():
            gate.began()
        start_transaction(self)

    def held_publish(type_name: str, ids: Any) -> Any:
        if not gate.holding.is_set():
            gate.hold()  # inside the recompute's write transaction: the lock is held
        return publish(type_name, ids)

    monkeypatch.setattr(SqliteWrapper, "_start_transaction_under_autocommit", watched_begin)
    monkeypatch.setattr(services, "publish", held_publish)
    signed_in, boss = HttpClient(), {"username": "boss", "password": "fieldsales"}
    results: dict[str, Any] = {}

    def save() -> int:
        assert gate.holding.wait(WAIT)
        gate.watched.add(threading.get_ident())
        form = {
            "name_en": "Account",
            "name_fr": "Compte",
            "definitions-TOTAL_FORMS": "1",
            "definitions-INITIAL_FORMS": "1",
            "definitions-0-id": balance.pk,
            "definitions-0-folder": folder.pk,
            "definitions-0-key": "balance",
            "definitions-0-label_en": "Balance due",
            "definitions-0-label_fr": "Solde dû",
            "definitions-0-metric": "debt_balance",
            "definitions-0-display": "money",
            "definitions-0-order": "1",
            "definitions-0-active": "on",
        }
        return signed_in.post(f"/admin/kpis/kpifolder/{folder.pk}/change/", form).status_code

    def sign_in() -> int:
        assert gate.holding.wait(WAIT)
        gate.watched.add(threading.get_ident())
        return HttpClient().post("/admin/login/", {"username": "other", "password": "fieldsales"}).status_code

    with on_file(tmp_path / "db.sqlite3"):
        # Signed in before the recompute starts: what it holds up is the save.
        run("sign_in_first", results, lambda: signed_in.post("/admin/login/", boss).status_code).join(WAIT)
        threads = [run("save", results, save), run("sign_in", results, sign_in)]
        threads.append(run("recompute", results, kpi_cards_refresh_all))
        for thread in threads:
            thread.join(WAIT * 2)
    assert results == {"sign_in_first": 302, "save": 302, "sign_in": 302, "recompute": (5, 5)}
    copy = sqlite3.connect(tmp_path / "db.sqlite3")
    labels = copy.execute("select label_en from kpis_kpidefinition").fetchall()
    cards = copy.execute("select count(*) from kpis_kpicard").fetchone()
    copy.close()
    assert (labels, cards) == ([("Balance due",)], (5,))

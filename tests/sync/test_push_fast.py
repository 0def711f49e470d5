"""What a push costs the database (fieldsales/sync/push.py): the fast way claims all its ops in one statement, makes
no savepoint, and reads the clients and visits its ops name once; an op rejected after it wrote something sends the
push the careful way (a savepoint per op), with the same results."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client as ClientModel
from fieldsales.db import insert
from fieldsales.models import SyncOp
from fieldsales.sync.errors import INVALID, Rejected
from fieldsales.sync.registry import OPS, OpType, Outcome
from tests.factories import make_client
from tests.sync.conftest import new_id, op
from tests.sync.test_push import checkin_data
from workflows.models import Note, OrderLine, Visit


@pytest.fixture
def client(rep1, pos_list_editable) -> ClientModel:
    return make_client(pos_list_editable, user=rep1, reps=(rep1,))


def statements(captured: CaptureQueriesContext, start: str) -> int:
    """How many of the captured statements start with `start`."""
    return sum((query["sql"] or "").lstrip().upper().startswith(start.upper()) for query in captured.captured_queries)


def test_a_whole_visit_is_claimed_in_one_statement_without_savepoints_and_reads_its_client_and_visit_once(
    device1, client, visit_workflow
):
    visit_id, version = new_id(), client.version
    lines = [{"product": product.pk, "quantity": 2} for product in visit_workflow["products"]]
    ops = [
        op("visit.checkin", visit_id, checkin_data(client, visit_workflow["workflow"])),
        op("activity.submit", data={"visit": visit_id, "activity": visit_workflow["order"].pk, "lines": lines}),
        op("note.create", data={"client": str(client.pk), "visit": visit_id, "text": "Promotion demandée."}),
        op("visit.end", visit_id, {"at": "2026-11-22T09:40:00+00:00"}),
        op("client.update", str(client.pk), {"name": "Chez Awa"}, base_version=version),
        # Based on the version the op before made: the push reads the client again after an op that changed it.
        op("client.update", str(client.pk), {"phone": "+225 07 09 08 07 06"}, base_version=version + 1),
    ]

    with CaptureQueriesContext(connection) as captured:
        results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied"] * 6
    assert statements(captured, "SAVEPOINT") == 0
    assert statements(captured, 'INSERT INTO "fieldsales_syncop"') == 1
    # The clients of the push in one statement, then the client again after the op that changed it; the visit it
    # checked in is never read back.
    assert statements(captured, "SELECT client.*") == 2
    assert statements(captured, "SELECT visit.*") == 0
    visit = Visit.objects.get(pk=visit_id)
    assert (visit.version, results[3]["version"], visit.ended_at is not None) == (3, 3, True)
    assert OrderLine.objects.filter(submission__visit=visit).count() == len(lines)
    stored = ClientModel.objects.get(pk=client.pk)
    assert (stored.name, stored.phone, stored.version, results[5]["version"]) == (
        "Chez Awa",
        "+2250709080706",
        version + 2,
        version + 2,
    )


def test_an_op_rejected_before_it_wrote_anything_leaves_the_push_on_the_fast_way(device1, client):
    note = {"client": str(client.pk)}
    ops = [op("note.create", data={**note, "text": "Avant"}), op("note.create", data={**note, "text": "  "})]
    ops.append(op("note.create", data={**note, "text": "Après"}))

    with CaptureQueriesContext(connection) as captured:
        results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == "invalid" and list(results[1]["errors"]) == ["text"]
    assert statements(captured, "SAVEPOINT") == 0
    assert sorted(Note.objects.values_list("text", flat=True)) == ["Après", "Avant"]


def test_an_op_rejected_after_a_failed_write_sends_the_push_the_careful_way_each_op_applied_once(
    device1, client, visit_workflow
):
    # The second op checks in a visit under an id a visit has already: its insert fails in the database, which only a
    # savepoint undoes.
    taken, workflow, note = new_id(), visit_workflow["workflow"], {"client": str(client.pk)}
    assert device1.push(op("visit.checkin", taken, checkin_data(client, workflow)))[0]["status"] == "applied"
    ops = [
        op("note.create", data={**note, "text": "Avant"}),
        op("visit.checkin", taken, checkin_data(client, workflow)),
        op("note.create", data={**note, "text": "Après"}),
    ]

    with CaptureQueriesContext(connection) as captured:
        results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied", "rejected", "applied"]
    assert (results[1]["code"], list(results[1]["errors"])) == ("invalid", ["id"])
    # The careful way: a savepoint around each op, and one for the service each calls.
    assert statements(captured, "SAVEPOINT") >= 3
    assert sorted(Note.objects.values_list("text", flat=True)) == ["Après", "Avant"]
    assert Visit.objects.count() == 1
    assert SyncOp.objects.get(op_id=results[1]["op_id"]).status == SyncOp.Status.REJECTED


def test_a_note_under_an_id_already_taken_is_found_when_the_notes_are_inserted_and_rejected_the_careful_way(
    device1, client
):
    note = {"client": str(client.pk)}
    taken = new_id()
    assert device1.push(op("note.create", taken, {**note, "text": "Première"}))[0]["status"] == "applied"
    ops = [op("note.create", data={**note, "text": "Avant"}), op("note.create", taken, {**note, "text": "Encore"})]

    with CaptureQueriesContext(connection) as captured:
        results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied", "rejected"]
    assert (results[1]["code"], list(results[1]["errors"])) == ("invalid", ["id"])
    assert statements(captured, "SAVEPOINT") >= 2
    assert sorted(Note.objects.values_list("text", flat=True)) == ["Avant", "Première"]


def test_the_records_an_op_gave_to_insert_before_it_was_rejected_are_never_inserted(device1, client, monkeypatch):
    def insert_then_reject(the_op: Any) -> Outcome:
        insert(Note(id=the_op.entity_id, client=client, author=the_op.user, text="Jamais", created_at=timezone.now()))
        raise Rejected.message(INVALID, "refused after asking")

    monkeypatch.setitem(OPS, "test.insert", OpType("test.insert", insert_then_reject, label="test", entity=None))
    note = {"client": str(client.pk)}
    ops = [
        op("note.create", data={**note, "text": "Avant"}),
        op("test.insert"),
        op("note.create", data={**note, "text": "Après"}),
    ]

    with CaptureQueriesContext(connection) as captured:
        results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied", "rejected", "applied"]
    assert statements(captured, "SAVEPOINT") == 0
    assert sorted(Note.objects.values_list("text", flat=True)) == ["Après", "Avant"]


def test_a_pushs_check_ins_read_the_reps_earlier_ones_once_and_each_is_judged_against_the_one_before(
    device1, client, visit_workflow, pos_list_editable, rep1
):
    from tests.sync.test_push import north_of_client

    workflow = visit_workflow["workflow"]
    far = make_client(pos_list_editable, "Boutique Lointaine", user=rep1, reps=(rep1,))
    ClientModel.objects.filter(pk=far.pk).update(lat=north_of_client(30_000)[0])
    far_away = {**checkin_data(far, workflow), "lat": north_of_client(30_000)[0]}
    ops = [
        op("visit.checkin", data=checkin_data(client, workflow), made_at="2027-03-02T09:00:00+00:00"),
        # 30 km in 10 minutes: 180 km/h.
        op("visit.checkin", data=far_away, made_at="2027-03-02T09:10:00+00:00"),
        op("visit.checkin", data=checkin_data(client, workflow), made_at="2027-03-02T11:00:00+00:00"),
    ]

    with CaptureQueriesContext(connection) as captured:
        results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied"] * 3
    flags = [Visit.objects.get(pk=the_op["entity_id"]).checkin_flags for the_op in ops]
    assert [[flag["code"] for flag in visit_flags] for visit_flags in flags] == [[], ["too_fast"], []]
    # The rep's check-ins with a position: read once for the push's three.
    earlier_read = [query for query in captured.captured_queries if '"checkin_lat" IS NOT NULL' in (query["sql"] or "")]
    assert len(earlier_read) == 1


def test_a_visit_checked_in_by_the_push_is_found_by_its_later_ops_after_a_rejection_and_stored_as_they_left_it(
    device1, client, visit_workflow
):
    visit_id = new_id()
    lines = [{"product": visit_workflow["products"][0].pk, "quantity": 1}]
    ops = [
        op("visit.checkin", visit_id, checkin_data(client, visit_workflow["workflow"])),
        # Rejected before it writes: the push forgets the records it kept, not the visit waiting to be inserted.
        op("note.create", data={"client": str(client.pk), "text": " "}),
        op("activity.submit", data={"visit": visit_id, "activity": visit_workflow["order"].pk, "lines": lines}),
        op("visit.end", visit_id, {"at": "2026-11-22T09:40:00+00:00"}),
    ]

    results = device1.push(*ops)

    assert [result["status"] for result in results] == ["applied", "rejected", "applied", "applied"]
    visit = Visit.objects.get(pk=visit_id)
    assert (visit.version, visit.ended_at.isoformat(), results[3]["version"]) == (3, "2026-11-22T09:40:00+00:00", 3)
    assert OrderLine.objects.filter(submission__visit=visit).count() == 1

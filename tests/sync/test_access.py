"""The access rules: a rep reads and changes only the clients they work on, and learns nothing of the others'.

rep1 (awa) against rep2's (koffi's) client, its visit, order, note, photo and statement, on a list both may create,
edit and archive on: only the assignment stands between rep1 and rep2's client. Every op type of the sync registry
is tried (`test_every_op_type_is_tried`); tests/sync/test_access_matrix.py does the same for every URL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from clients.models import Assignment, Client, ListAccess
from fieldsales.geo import Position
from fieldsales.models import Blob, SyncEntry
from fieldsales.sync.blobs import blob_store
from fieldsales.sync.registry import CREATING_OPS, OPS
from kpis.models import KpiCard, KpiDefinition, KpiFolder, StatementDelivery
from kpis.services import kpi_cards_refresh, statement_send
from tests.factories import ABIDJAN, make_client
from tests.sync.conftest import device_for, made_by, new_id, op
from workflows.models import ActivitySubmission, Note, OrderLine, Visit
from workflows.services import activity_submit, note_create, visit_check_in

RECIPIENT = "+2250700000042"


@dataclass
class Rivals:
    mine: Client
    theirs: Client
    their_visit: Visit
    their_note: Note
    their_submission: ActivitySubmission
    their_blob: Blob
    their_delivery: StatementDelivery
    workflow: Any
    form: Any

    def secrets(self) -> list[str]:
        """What of rep2's must never reach rep1: ids, names and texts only rep2's records carry."""
        return [
            str(self.theirs.pk),
            self.theirs.name,
            str(self.their_visit.pk),
            str(self.their_note.pk),
            self.their_note.text,
            str(self.their_submission.pk),
            str(self.their_blob.pk),
            str(self.their_delivery.pk),
            RECIPIENT,
        ]

    def leaked(self, answer: Any, sent: Any = None) -> list[str]:
        """rep2's secrets in `answer`, but for those rep1 sent in the request it answers."""
        answer_text, sent_text = (json.dumps(value, ensure_ascii=False) for value in (answer, sent))
        return [secret for secret in self.secrets() if secret in answer_text and secret not in sent_text]


def jpeg(color: str = "teal") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(output, "JPEG")
    return output.getvalue()


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def rivals_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's MEDIA_ROOT for `rivals`: its photo, stored once, is there for every test it is copied back to."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def rivals(pos_list_editable, rep1, rep2, visit_workflow, settings, rivals_media, database_images) -> Rivals:  # type: ignore[no-untyped-def]
    """The same rivals for every test of the module: built by the first, copied back for the others (see
    `DatabaseImages`)."""
    settings.MEDIA_ROOT = rivals_media
    return database_images.made(
        "rivals",
        lambda: make_rivals(pos_list_editable, rep1, rep2, visit_workflow),
        *(rep1, rep2, pos_list_editable),
        *made_by(visit_workflow),
    )


def make_rivals(pos_list_editable: Any, rep1: Any, rep2: Any, visit_workflow: dict[str, Any]) -> Rivals:
    """rep1's client, and rep2's with a photo, a visit with an order, a note and a statement sent (photos are
    stored under MEDIA_ROOT: point it somewhere of the test's own first)."""
    ListAccess.objects.filter(client_list=pos_list_editable).update(can_archive=True)
    KpiDefinition.objects.create(
        key="last_value",
        metric="previous_order_value",
        folder=KpiFolder.objects.create(name_en="Sales", name_fr="Ventes"),
        label_en="Last order",
        label_fr="Dernière commande",
        params={},
    )
    mine = make_client(pos_list_editable, user=rep1, reps=(rep1,), name="Chez Awa", statement_enabled=True)
    their_blob, _created = blob_store(user=rep2, blob_id=uuid.uuid4(), content_type="image/jpeg", body=jpeg("red"))
    theirs = make_client(
        pos_list_editable,
        user=rep2,
        reps=(rep2,),
        name="Chez Koffi",
        statement_enabled=True,
        phone="+2250102030405",
        photo=their_blob,
    )
    their_visit = visit_check_in(
        rep=rep2,
        visit_id=uuid.uuid4(),
        client=theirs,
        workflow=visit_workflow["workflow"],
        position=Position(ABIDJAN[0], ABIDJAN[1], 5.0),
    )
    their_submission = activity_submit(
        rep=rep2,
        submission_id=uuid.uuid4(),
        visit=their_visit,
        activity=visit_workflow["order"],
        values={},
        lines=[{"product": str(visit_workflow["products"][0].pk), "quantity": "3"}],
    )
    their_note = note_create(
        author=rep2, note_id=uuid.uuid4(), client=theirs, visit=their_visit, text="Koffi: stock bas, rappeler"
    )
    kpi_cards_refresh(client_ids=[theirs.pk])  # as the job the visit enqueued does
    their_delivery = statement_send(user=rep2, client=theirs, channel="sms", recipient=RECIPIENT, language="fr")
    return Rivals(
        mine,
        theirs,
        their_visit,
        their_note,
        their_submission,
        their_blob,
        their_delivery,
        visit_workflow["workflow"],
        visit_workflow["form"],
    )


def _file_digest(blob: Blob) -> str:
    return hashlib.sha256(Path(blob.file.path).read_bytes()).hexdigest()


def checked_in(rep: Any, rivals: Rivals) -> Visit:
    """A visit of `rep` at their own client, in progress."""
    return visit_check_in(
        rep=rep,
        visit_id=uuid.uuid4(),
        client=rivals.mine,
        workflow=rivals.workflow,
        position=Position(ABIDJAN[0], ABIDJAN[1], 5.0),
    )


def db_state() -> dict[str, Any]:
    """Everything an op or a request could change, feeds and stored photo bytes included."""
    return {
        "clients": sorted(
            Client.objects.values_list("pk", "name", "version", "archived_at", "attributes", "photo_id", "phone")
        ),
        "assignments": sorted(Assignment.objects.values_list("client_id", "rep_id")),
        "visits": sorted(Visit.objects.values_list("pk", "client_id", "rep_id", "version", "ended_at")),
        "submissions": sorted(ActivitySubmission.objects.values_list("pk", "visit_id", "version", "order_total")),
        "lines": sorted(OrderLine.objects.values_list("pk", "submission_id", "quantity")),
        "notes": sorted(Note.objects.values_list("pk", "client_id", "text")),
        "deliveries": sorted(StatementDelivery.objects.values_list("pk", "client_id", "recipient", "status")),
        "cards": sorted(KpiCard.objects.values_list("client_id", "version")),
        "blobs": sorted((blob.pk, blob.uploaded_by_id, blob.size, _file_digest(blob)) for blob in Blob.objects.all()),
        "feeds": sorted(SyncEntry.objects.values_list("rep_id", "kind", "entity_id", "deleted", "stamp")),
    }


@dataclass(frozen=True)
class Target:
    """The records an attempt aims at: rep2's, or (the control) ids that nobody has."""

    client: str
    visit: str
    blob: str

    @classmethod
    def of(cls, rivals: Rivals) -> Target:
        return cls(str(rivals.theirs.pk), str(rivals.their_visit.pk), str(rivals.their_blob.pk))

    @classmethod
    def unknown(cls) -> Target:
        return cls(new_id(), new_id(), new_id())


@dataclass(frozen=True)
class Attempt:
    op_type: str
    code: str
    make: Callable[[Target, Rivals], dict[str, Any]]

    @property
    def name(self) -> str:
        return self.make.__name__


ATTEMPTS: list[Attempt] = []


def attempt(op_type: str, code: str = "not_found") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An op rep1 might push against rep2's records; `code` is the rejection it gets, the same as for ids nobody has."""

    def register(make: Callable[[Target, Rivals], dict[str, Any]]) -> Callable[[Target, Rivals], dict[str, Any]]:
        ATTEMPTS.append(Attempt(op_type, code, make))
        return make

    return register


def new_client_data(rivals: Rivals, **data: Any) -> dict[str, Any]:
    return {
        "list": rivals.mine.client_list_id,
        "name": "Nouvelle boutique",
        "lat": ABIDJAN[0],
        "lng": ABIDJAN[1],
        "accuracy_m": 5.0,
        "attributes": {"quartier": "Cocody", "categorie": "Épicerie"},
        **data,
    }


@attempt("client.create", code="missing_blob")
def client_create_with_their_photo(target: Target, rivals: Rivals) -> dict[str, Any]:
    """A new client of rep1's, its photo rep2's: then rep1 could download it (its client would show it)."""
    return op("client.create", new_id(), new_client_data(rivals, photo=target.blob))


@attempt("client.update")
def client_update(target: Target, rivals: Rivals) -> dict[str, Any]:
    return op("client.update", target.client, {"name": "Chez Awa (volé)"}, base_version=1)


@attempt("client.update", code="missing_blob")
def client_update_photo_to_theirs(target: Target, rivals: Rivals) -> dict[str, Any]:
    """rep1's own client, its photo set to rep2's."""
    return op("client.update", str(rivals.mine.pk), {"photo": target.blob}, base_version=1)


@attempt("client.archive")
def client_archive(target: Target, rivals: Rivals) -> dict[str, Any]:
    return op("client.archive", target.client, {})


@attempt("visit.checkin")
def visit_checkin(target: Target, rivals: Rivals) -> dict[str, Any]:
    return op(
        "visit.checkin",
        new_id(),
        {
            "client": target.client,
            "workflow": rivals.workflow.pk,
            "lat": ABIDJAN[0],
            "lng": ABIDJAN[1],
            "accuracy_m": 5.0,
        },
    )


@attempt("note.create")
def note_create_on_client(target: Target, rivals: Rivals) -> dict[str, Any]:
    return op("note.create", new_id(), {"client": target.client, "text": "Vu par Awa"})


@attempt("note.create")
def note_create_on_visit(target: Target, rivals: Rivals) -> dict[str, Any]:
    """A note on rep1's own client, naming rep2's visit."""
    return op("note.create", new_id(), {"client": str(rivals.mine.pk), "visit": target.visit, "text": "Vu par Awa"})


@attempt("visit.end")
def visit_end(target: Target, rivals: Rivals) -> dict[str, Any]:
    return op("visit.end", target.visit, {"at": timezone.now().isoformat()})


@attempt("activity.submit")
def activity_submit_on_visit(target: Target, rivals: Rivals) -> dict[str, Any]:
    return op(
        "activity.submit", new_id(), {"visit": target.visit, "activity": rivals.form.pk, "values": {"part_rayon": 30}}
    )


@attempt("statement.send")
def statement_send_for_client(target: Target, rivals: Rivals) -> dict[str, Any]:
    """rep2's client's statement, sent to a number of rep1's choosing."""
    return op("statement.send", new_id(), {"client": target.client, "channel": "sms", "recipient": "+2250700000001"})


def test_every_op_type_is_tried():
    """A new op type fails here until an attempt on another rep's records is written for it."""
    assert {attempt.op_type for attempt in ATTEMPTS} == set(OPS)


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda attempt: attempt.name)
def test_a_rep_cannot_act_on_another_reps_records_and_learns_nothing_of_them(rivals, device1, device2, attempt):
    before = db_state()

    sent = attempt.make(Target.of(rivals), rivals)
    [result] = device1.push(sent)
    [control] = device1.push(attempt.make(Target.unknown(), rivals))

    assert (result["status"], result["code"]) == ("rejected", attempt.code), result
    assert result["version"] is None and result["current"] is None
    # The answer for a record that exists and is someone else's is the one for a record that does not exist.
    assert (result["code"], result["errors"]) == (control["code"], control["errors"])
    assert rivals.leaked(result, sent) == []
    assert db_state() == before


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda attempt: attempt.name)
def test_the_same_op_on_the_reps_own_records_is_applied(rivals, rep1, attempt):
    """The control: each op above is refused for whose the records are, not for being malformed."""
    device = device_for(rep1)
    own_blob, _created = blob_store(user=rep1, blob_id=uuid.uuid4(), content_type="image/jpeg", body=jpeg())
    own_visit = checked_in(rep1, rivals)
    own = Target(str(rivals.mine.pk), str(own_visit.pk), str(own_blob.pk))

    [result] = device.push(attempt.make(own, dataclasses.replace(rivals, theirs=rivals.mine)))

    assert result["status"] == "applied", result


# An op that creates a record, under the id of a record of rep2's: each must be refused, and leave rep2's alone.
TAKEOVERS: dict[str, Callable[[Rivals, Visit], dict[str, Any]]] = {
    "client.create": lambda rivals, visit: op("client.create", str(rivals.theirs.pk), new_client_data(rivals)),
    "visit.checkin": lambda rivals, visit: op(
        "visit.checkin",
        str(rivals.their_visit.pk),
        {"client": str(rivals.mine.pk), "workflow": rivals.workflow.pk, "lat": ABIDJAN[0], "lng": ABIDJAN[1]},
    ),
    "activity.submit": lambda rivals, visit: op(
        "activity.submit",
        str(rivals.their_submission.pk),
        {"visit": str(visit.pk), "activity": rivals.form.pk, "values": {"part_rayon": 30}},
    ),
    "note.create": lambda rivals, visit: op(
        "note.create", str(rivals.their_note.pk), {"client": str(rivals.mine.pk), "text": "Réécrite par Awa"}
    ),
    "statement.send": lambda rivals, visit: op(
        "statement.send",
        str(rivals.their_delivery.pk),
        {"client": str(rivals.mine.pk), "channel": "sms", "recipient": "+2250700000001"},
    ),
}


def test_every_creating_op_type_is_tried_under_another_reps_id():
    assert set(TAKEOVERS) == CREATING_OPS


@pytest.mark.parametrize("op_type", sorted(TAKEOVERS))
def test_a_record_cannot_be_taken_over_by_creating_one_under_its_id(rivals, rep1, op_type):
    own_visit = checked_in(rep1, rivals)
    before = db_state()

    sent = TAKEOVERS[op_type](rivals, own_visit)
    [result] = device_for(rep1).push(sent)

    assert (result["status"], result["code"]) == ("rejected", "invalid"), result
    assert result["version"] is None and result["current"] is None
    assert rivals.leaked(result, sent) == []
    assert db_state() == before


def test_another_reps_op_id_neither_replays_their_result_nor_applies(rivals, device1, device2):
    """The idempotency key is not a way into another rep's answers: rep2's op sent again by rep1, word for word."""
    theirs = op("note.create", new_id(), {"client": str(rivals.theirs.pk), "text": "Koffi: commande demain"})
    [applied] = device2.push(theirs)
    assert applied["status"] == "applied"
    before = db_state()

    [result] = device1.push(theirs)

    assert (result["status"], result["code"]) == ("rejected", "op_id_reused")
    assert result["version"] is None and result["current"] is None
    assert rivals.leaked(result, theirs) == []
    assert db_state() == before


def test_a_pull_never_contains_anything_of_another_reps(rivals, device1, device2):
    device1.sync(limit=3)
    device2.sync(limit=3)

    theirs = {
        ("client", str(rivals.theirs.pk)),
        ("kpi_card", str(rivals.theirs.pk)),
        ("visit", str(rivals.their_visit.pk)),
        ("note", str(rivals.their_note.pk)),
    }
    assert theirs <= set(device2.store)
    assert not theirs & set(device1.store)
    assert ("client", str(rivals.mine.pk)) in device1.store
    # Nor anywhere inside rep1's records (a visit's submissions, a client's photo): rep2's does hold them all but
    # the delivery, which no feed carries.
    assert rivals.leaked(list(device2.store.values())) == rivals.secrets()[:7]
    assert rivals.leaked(list(device1.store.values())) == []


def test_the_client_list_of_the_api_holds_only_the_reps_own_clients(rivals, device1):
    response = device1.http.get("/api/clients/")

    assert response.status_code == 200
    assert [client["id"] for client in response.json()["results"]] == [str(rivals.mine.pk)]

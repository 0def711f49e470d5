"""The access rules: a rep reads and changes only the clients they work on, and learns nothing of the others'.

rep1 (awa) against rep2's (koffi's) client, its visit and its note, on a list both may create, edit and
archive on: only the assignment stands between rep1 and rep2's client.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from clients.models import Assignment, Client, ListAccess
from fieldsales.geo import Position
from fieldsales.models import SyncEntry
from tests.sync.conftest import ABIDJAN, device_for, make_client, new_id, op
from workflows.models import ActivitySubmission, Note, Visit
from workflows.services import note_create, visit_check_in


@dataclass
class Rivals:
    mine: Client
    theirs: Client
    their_visit: Visit
    their_note: Note
    workflow: Any
    form: Any


@pytest.fixture
def rivals(pos_list, rep1, rep2, visit_workflow) -> Rivals:  # type: ignore[no-untyped-def]
    ListAccess.objects.filter(client_list=pos_list).update(can_archive=True)
    mine = make_client(rep1, pos_list, reps=(rep1,), name="Chez Awa")
    theirs = make_client(rep2, pos_list, reps=(rep2,), name="Chez Koffi")
    their_visit = visit_check_in(
        rep=rep2,
        visit_id=uuid.uuid4(),
        client=theirs,
        workflow=visit_workflow["workflow"],
        position=Position(ABIDJAN[0], ABIDJAN[1], 5.0),
    )
    their_note = note_create(author=rep2, note_id=uuid.uuid4(), client=theirs, visit=their_visit, text="Stock bas")
    return Rivals(mine, theirs, their_visit, their_note, visit_workflow["workflow"], visit_workflow["form"])


def db_state() -> dict[str, Any]:
    """Everything an op could change, feeds included."""
    return {
        "clients": sorted(Client.objects.values_list("pk", "name", "version", "archived_at", "attributes")),
        "assignments": sorted(Assignment.objects.values_list("client_id", "rep_id")),
        "visits": sorted(Visit.objects.values_list("pk", "client_id", "version", "ended_at")),
        "submissions": sorted(ActivitySubmission.objects.values_list("pk", "visit_id")),
        "notes": sorted(Note.objects.values_list("pk", "client_id", "text")),
        "feeds": sorted(SyncEntry.objects.values_list("rep_id", "kind", "entity_id", "deleted", "stamp")),
    }


# Each op rep1 might try on rep2's client (`client`) or visit (`visit`); the same op on a random uuid is the control.
def client_update(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    return op("client.update", client, {"name": "Chez Awa (volé)"}, base_version=1)


def client_archive(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    return op("client.archive", client, {})


def visit_checkin(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    return op(
        "visit.checkin",
        new_id(),
        {"client": client, "workflow": rivals.workflow.pk, "lat": ABIDJAN[0], "lng": ABIDJAN[1], "accuracy_m": 5.0},
    )


def note_create_on_client(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    return op("note.create", new_id(), {"client": client, "text": "Vu par Awa"})


def note_create_on_visit(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    """A note on rep1's own client, naming rep2's visit."""
    return op("note.create", new_id(), {"client": str(rivals.mine.pk), "visit": visit, "text": "Vu par Awa"})


def visit_end(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    return op("visit.end", visit, {"at": timezone.now().isoformat()})


def activity_submit(client: str, visit: str, rivals: Rivals) -> dict[str, Any]:
    return op("activity.submit", new_id(), {"visit": visit, "activity": rivals.form.pk, "values": {"part_rayon": 30}})


ATTEMPTS = [
    client_update,
    client_archive,
    visit_checkin,
    note_create_on_client,
    note_create_on_visit,
    visit_end,
    activity_submit,
]


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda attempt: attempt.__name__)
def test_a_rep_cannot_act_on_another_reps_client_and_learns_nothing_of_it(rivals, device1, device2, attempt):
    before = db_state()

    [result] = device1.push(attempt(str(rivals.theirs.pk), str(rivals.their_visit.pk), rivals))
    [control] = device1.push(attempt(new_id(), new_id(), rivals))

    assert (result["status"], result["code"]) == ("rejected", "not_found")
    assert result["version"] is None and result["current"] is None
    # The answer for a record that exists and is someone else's is the one for a record that does not exist.
    assert (result["code"], result["errors"]) == (control["code"], control["errors"])
    assert db_state() == before


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda attempt: attempt.__name__)
def test_the_same_op_on_the_reps_own_client_is_applied(rivals, rep1, visit_workflow, attempt):
    """The control: each op above is refused for whose the client is, not for being malformed."""
    from workflows.services import visit_check_in as check_in

    mine = Client.objects.get(pk=rivals.mine.pk)
    own_visit = check_in(
        rep=rep1,
        visit_id=uuid.uuid4(),
        client=mine,
        workflow=rivals.workflow,
        position=Position(ABIDJAN[0], ABIDJAN[1], 5.0),
    )
    own = Rivals(mine, mine, own_visit, rivals.their_note, rivals.workflow, rivals.form)

    [result] = device_for(rep1).push(attempt(str(mine.pk), str(own_visit.pk), own))

    assert result["status"] == "applied", result


def test_a_pull_never_contains_another_reps_client_its_visits_or_notes(rivals, device1, device2):
    device1.sync(limit=3)
    device2.sync(limit=3)

    theirs = {
        ("client", str(rivals.theirs.pk)),
        ("visit", str(rivals.their_visit.pk)),
        ("note", str(rivals.their_note.pk)),
    }
    assert theirs <= set(device2.store)
    assert not theirs & set(device1.store)
    assert ("client", str(rivals.mine.pk)) in device1.store


@pytest.mark.parametrize("path", ["/api/clients/{}/", "/api/clients/{}/history/", "/api/clients/{}/notes/"])
def test_a_rep_cannot_read_another_reps_client_through_the_api(rivals, device1, device2, path):
    assert device2.http.get(path.format(rivals.theirs.pk)).status_code == 200

    response = device1.http.get(path.format(rivals.theirs.pk))
    control = device1.http.get(path.format(uuid.uuid4()))

    assert response.status_code == control.status_code == 404
    assert response.content == control.content


def test_the_client_list_of_the_api_holds_only_the_reps_own_clients(rivals, device1):
    response = device1.http.get("/api/clients/")

    assert response.status_code == 200
    assert [client["id"] for client in response.json()["results"]] == [str(rivals.mine.pk)]

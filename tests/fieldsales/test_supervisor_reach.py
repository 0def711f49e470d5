"""A supervisor against a rep they do not supervise, through the REST API, the board and the sockets: one rule
(fieldsales.accounts.team_of), the admin's (tests/fieldsales/test_admin_rights.py) too. Bintou supervises Awa,
Moussa supervises Koffi; both supervisors are staff, to read the back office."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client as HttpClient
from django.utils import timezone

from clients.services import client_update
from fieldsales.models import Profile
from kpis.api.views import NOT_YOURS_TO_SEND
from kpis.models import StatementDelivery
from tests.factories import (
    RepFactory,
    SupervisorFactory,
    VisitFactory,
    make_client,
    make_pos_list,
    reps_may_edit,
    signed_in,
)
from tests.sockets import ARRIVES_S, all_silent, open_socket, run, session_headers
from workflows.board import board_send

CLIENT_URLS = ("/api/clients/{}/", "/api/clients/{}/history/", "/api/clients/{}/notes/", "/api/clients/{}/kpis/")


def make_team(*, supervisor_is_staff: bool = True) -> dict[str, Any]:
    pos_list = reps_may_edit(make_pos_list())
    bintou = SupervisorFactory(username="bintou", is_staff=supervisor_is_staff)
    moussa = SupervisorFactory(username="moussa", is_staff=True)
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    Profile.objects.create(user=awa, supervisor=bintou)
    Profile.objects.create(user=koffi, supervisor=moussa)

    def shop(name: str, rep: Any) -> Any:
        return make_client(pos_list, name, user=rep, reps=[rep], statement_enabled=True)

    awas, koffis = shop("Chez Awa", awa), shop("Chez Koffi", koffi)
    return {
        "bintou": bintou,
        "awa": awa,
        "koffi": koffi,
        "awas": awas,
        "koffis": koffis,
        "awas_visit": VisitFactory(rep=awa, client=awas, checked_in_at=timezone.now()),
        "koffis_visit": VisitFactory(rep=koffi, client=koffis, checked_in_at=timezone.now()),
    }


def statement(http: HttpClient, client: Any) -> Any:
    return http.post(
        f"/api/clients/{client.pk}/statement/",
        {"channel": "sms", "recipient": "+2250700000001"},
        content_type="application/json",
    )


@pytest.mark.django_db
def test_a_supervisor_reads_their_reps_clients_through_the_api_and_no_other_reps():
    team = make_team()
    http = signed_in(team["bintou"])
    nobodys = uuid.uuid4()

    listed = [row["name"] for row in http.get("/api/clients/").json()["results"]]
    theirs = {url: http.get(url.format(team["koffis"].pk)).status_code for url in CLIENT_URLS}
    unknown = {url: http.get(url.format(nobodys)).status_code for url in CLIENT_URLS}
    ours = {url: http.get(url.format(team["awas"].pk)).status_code for url in CLIENT_URLS}

    assert listed == ["Chez Awa"]
    assert theirs == unknown == dict.fromkeys(CLIENT_URLS, 404)
    assert ours == dict.fromkeys(CLIENT_URLS, 200)


@pytest.mark.django_db
def test_a_supervisor_sends_no_statement_even_for_their_own_reps_client():
    team = make_team()
    http = signed_in(team["bintou"])

    theirs, ours = statement(http, team["koffis"]), statement(http, team["awas"])
    control = statement(signed_in(team["awa"]), team["awas"])

    assert theirs.status_code == 404
    assert (ours.status_code, ours.json()) == (403, {"code": "permission_denied", "detail": str(NOT_YOURS_TO_SEND)})
    assert control.status_code == 202
    assert StatementDelivery.objects.filter(requested_by=team["bintou"]).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [True, False], ids=["supervisor-staff", "supervisor"])
def test_a_supervisors_board_holds_only_their_reps_visits(staff):
    team = make_team(supervisor_is_staff=staff)

    visits = signed_in(team["bintou"]).get("/board/visits/").json()["visits"]

    assert [visit["id"] for visit in visits] == [str(team["awas_visit"].pk)]


@pytest.fixture
def memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.django_db(transaction=True)
def test_a_supervisors_sockets_hear_nothing_of_a_rep_they_do_not_supervise(memory_layer):
    team = make_team()
    board_headers, rep_headers = session_headers(team["bintou"]), session_headers(team["bintou"])
    koffi_headers = session_headers(team["koffi"])

    async def scenario() -> None:
        async with (
            open_socket("/ws/board/", board_headers) as board,
            open_socket("/ws/rep/", rep_headers) as bintous_app,
            open_socket("/ws/rep/", koffi_headers) as koffis_app,
        ):
            await sync_to_async(board_send)(visit_ids=[str(team["koffis_visit"].pk)])
            await sync_to_async(client_update)(user=team["koffi"], client=team["koffis"], data={"name": "Chez Koffi 2"})

            assert await koffis_app.receive_json_from(timeout=ARRIVES_S) == {"type": "changed"}  # the control
            assert await all_silent(board, bintous_app)

            await sync_to_async(board_send)(visit_ids=[str(team["awas_visit"].pk)])

            message = await board.receive_json_from(timeout=ARRIVES_S)
            assert [visit["id"] for visit in message["visits"]] == [str(team["awas_visit"].pk)]

    run(scenario)

"""The supervisors' live board (`/board/`): who may watch it, today's visits as JSON, and the check-ins, orders and
visit ends that reach its socket (`/ws/board/`) once they commit. Sockets go through the real ASGI application
(origin check, session auth, routing) and a real Redis channel layer."""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client as HttpClient
from django.utils import timezone

from fieldsales.geo import Position
from fieldsales.models import Profile
from tests.factories import (
    ABIDJAN,
    BackOfficeFactory,
    RepFactory,
    SupervisorFactory,
    make_client,
    make_pos_list,
    make_visit_workflow,
    reps_may_edit,
)
from tests.sockets import (
    ARRIVES_S,
    SILENT_S,
    flush_layer,
    open_socket,
    refused,
    run,
    session_headers,
    use_redis_layer,
)
from tests.sync.conftest import device_for, new_id, op
from workflows.models import Order, OrderStatus, Visit
from workflows.services import activity_submit, order_transition, visit_check_in, visit_end

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_layer(settings: Any) -> Iterator[None]:
    use_redis_layer(settings)
    yield
    flush_layer()


@pytest.fixture
def team(transactional_db: None) -> dict[str, Any]:
    """Two supervisors with a rep each (Awa under Bintou, Koffi under Moussa), a clerk, a client per rep at Abidjan's
    centre, and a sales visit workflow (a form and an order, within 100 m) with its products."""
    pos_list = reps_may_edit(make_pos_list())
    bintou = SupervisorFactory(username="bintou", first_name="Bintou", last_name="Traoré")
    moussa = SupervisorFactory(username="moussa")
    awa = RepFactory(username="awa", first_name="Awa", last_name="Koné")
    koffi = RepFactory(username="koffi")
    Profile.objects.create(user=awa, supervisor=bintou)
    Profile.objects.create(user=koffi, supervisor=moussa)
    clerk = BackOfficeFactory(username="clerk")
    return {
        "bintou": bintou,
        "moussa": moussa,
        "awa": awa,
        "koffi": koffi,
        "clerk": clerk,
        "awa_shop": make_client(pos_list, user=clerk, reps=(awa,), name="Épicerie Chez Awa"),
        "koffi_shop": make_client(pos_list, user=clerk, reps=(koffi,), name="Boutique Koffi"),
        **make_visit_workflow(),
    }


def check_in(team: dict[str, Any], rep: str, at: dt.datetime | None = None) -> Visit:
    return visit_check_in(
        rep=team[rep],
        visit_id=uuid.uuid4(),
        client=team[f"{rep}_shop"],
        workflow=team["workflow"],
        position=Position(*ABIDJAN, 5.0),
        at=at,
    )


def order(team: dict[str, Any], visit: Visit, quantity: str = "2") -> None:
    """An order of `quantity` of the first product (1,500.00 each)."""
    activity_submit(
        rep=visit.rep,
        submission_id=uuid.uuid4(),
        visit=visit,
        activity=team["order"],
        values={},
        lines=[{"product": str(team["products"][0].pk), "quantity": quantity}],
    )


def summary(visit: Visit, **changes: Any) -> dict[str, Any]:
    """The visit as the board shows it, read from the database."""
    visit.refresh_from_db()
    rep = visit.rep
    return {
        "id": str(visit.pk),
        "version": visit.version,
        "rep_id": rep.pk,
        "rep_name": rep.get_full_name() or rep.username,
        "client_id": str(visit.client_id),
        "client_name": visit.client.name,
        "lat": visit.client.lat,
        "lng": visit.client.lng,
        "checked_in_at": visit.checked_in_at.isoformat(),
        "ended_at": visit.ended_at.isoformat() if visit.ended_at else None,
        "order_total": "0.00",
        "checkin_flags": visit.checkin_flags,
        **changes,
    }


def board_socket(headers: list[tuple[bytes, bytes]]) -> Any:
    return open_socket("/ws/board/", headers)


async def visits_received(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    message = await socket.receive_json_from(timeout=ARRIVES_S)
    assert message["type"] == "visits"
    return message["visits"]


# The socket -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("supervisors_are_staff", [False, True], ids=["supervisors", "supervisors-also-staff"])
def test_a_supervisors_board_receives_their_reps_check_ins_orders_and_ends_and_nothing_of_other_reps(
    redis_layer, team, supervisors_are_staff
):
    # Supervisors who read the back office are staff too (the demo's are): they still watch only their own reps.
    get_user_model().objects.filter(pk__in=[team["bintou"].pk, team["moussa"].pk]).update(
        is_staff=supervisors_are_staff
    )
    bintou, moussa = session_headers(team["bintou"]), session_headers(team["moussa"])

    async def scenario() -> None:
        async with board_socket(bintou) as bintous_board, board_socket(moussa) as moussas_board:
            visit = await sync_to_async(check_in)(team, "awa")
            assert await visits_received(bintous_board) == [await sync_to_async(summary)(visit)]

            await sync_to_async(order)(team, visit, quantity="2")
            assert await visits_received(bintous_board) == [await sync_to_async(summary)(visit, order_total="3000.00")]

            await sync_to_async(visit_end)(rep=team["awa"], visit=visit)
            [ended] = await visits_received(bintous_board)
            assert ended == await sync_to_async(summary)(visit, order_total="3000.00")
            assert ended["ended_at"] is not None

            assert await moussas_board.receive_nothing(timeout=SILENT_S)
            assert await bintous_board.receive_nothing(timeout=SILENT_S)

    run(scenario)


def test_the_staffs_board_receives_every_reps_visits(redis_layer, team):
    clerk = session_headers(team["clerk"])

    async def scenario() -> None:
        async with board_socket(clerk) as board:
            awas = await sync_to_async(check_in)(team, "awa")
            koffis = await sync_to_async(check_in)(team, "koffi")

            assert await visits_received(board) == [await sync_to_async(summary)(awas)]
            assert await visits_received(board) == [await sync_to_async(summary)(koffis)]

    run(scenario)


def test_a_push_sends_each_board_one_message_with_the_visits_as_committed(redis_layer, team):
    """A check-in, an order and the visit's end pushed together: one message per board, carrying the end and the
    order, not three."""
    now = timezone.now().isoformat()
    visit_id = new_id()
    ops = [
        op(
            "visit.checkin",
            visit_id,
            {
                "client": str(team["awa_shop"].pk),
                "workflow": team["workflow"].pk,
                "lat": ABIDJAN[0],
                "lng": ABIDJAN[1],
                "accuracy_m": 5.0,
            },
            made_at=now,
        ),
        op(
            "activity.submit",
            new_id(),
            {
                "visit": visit_id,
                "activity": team["order"].pk,
                "values": {},
                "lines": [{"product": str(team["products"][1].pk), "quantity": 3}],
            },
            made_at=now,
        ),
        op("visit.end", visit_id, {}, made_at=now),
    ]
    device = device_for(team["awa"])
    bintou, clerk = session_headers(team["bintou"]), session_headers(team["clerk"])

    async def scenario() -> None:
        async with board_socket(bintou) as bintous_board, board_socket(clerk) as staff_board:
            results = await sync_to_async(device.push)(*ops)
            assert [result["status"] for result in results] == ["applied"] * 3

            visit = await sync_to_async(Visit.objects.get)(pk=visit_id)
            expected = [await sync_to_async(summary)(visit, order_total="4500.00")]
            assert expected[0]["ended_at"] is not None
            assert await visits_received(bintous_board) == expected
            assert await visits_received(staff_board) == expected
            assert await bintous_board.receive_nothing(timeout=SILENT_S)
            assert await staff_board.receive_nothing(timeout=SILENT_S)

    run(scenario)


def test_a_check_in_rolled_back_reaches_no_board(redis_layer, team):
    bintou = session_headers(team["bintou"])

    def check_in_then_fail() -> None:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            check_in(team, "awa")
            1 / 0  # noqa: B018

    async def scenario() -> None:
        async with board_socket(bintou) as board:
            await sync_to_async(check_in_then_fail)()
            assert await board.receive_nothing(timeout=SILENT_S)
            # The next transaction is sent: nothing of the undone one is left behind to swallow it.
            visit = await sync_to_async(check_in)(team, "awa")
            assert await visits_received(board) == [await sync_to_async(summary)(visit)]

    run(scenario)


def test_an_anonymous_socket_is_refused(redis_layer):
    async def scenario() -> None:
        assert await refused("/ws/board/", session_headers(None))

    run(scenario)


def test_a_reps_socket_is_refused(redis_layer, team):
    headers = session_headers(team["awa"])

    async def scenario() -> None:
        assert await refused("/ws/board/", headers)

    run(scenario)


def test_an_unreachable_channel_layer_does_not_fail_the_check_in_and_is_logged(settings, caplog, team):
    # Nothing listens on port 1: every connection is refused.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1"]}}
    }

    with caplog.at_level(logging.WARNING, logger="workflows.board"):
        visit = check_in(team, "awa")

    assert Visit.objects.filter(pk=visit.pk).exists()
    warnings = [record.getMessage() for record in caplog.records if record.name == "workflows.board"]
    assert warnings and all(warning.startswith("board: ") for warning in warnings)
    assert "ConnectionError" in warnings[0]


# The page and its JSON ------------------------------------------------------------------------------------------


def visits_json(user: Any) -> Any:
    http = HttpClient()
    http.force_login(user)
    return http.get("/board/visits/")


@pytest.mark.parametrize("supervisor_is_staff", [False, True], ids=["supervisor", "supervisor-also-staff"])
def test_a_supervisor_sees_today_only_their_own_reps_visits(team, supervisor_is_staff):
    get_user_model().objects.filter(pk=team["bintou"].pk).update(is_staff=supervisor_is_staff)
    yesterdays = check_in(team, "awa", at=timezone.now() - dt.timedelta(days=1))
    visit_end(rep=team["awa"], visit=yesterdays)
    awas = check_in(team, "awa")
    order(team, awas, quantity="1")
    check_in(team, "koffi")

    response = visits_json(team["bintou"])

    assert response.status_code == 200
    assert response.json()["visits"] == [summary(awas, order_total="1500.00")]


def test_a_cancelled_order_leaves_the_visits_total_as_it_leaves_the_kpis(team):
    visit = check_in(team, "awa")
    order(team, visit, quantity="1")
    order(team, visit, quantity="2")
    cancelled = Order.objects.filter(submission__visit=visit, total=Decimal("3000.00")).get()

    order_transition(user=team["clerk"], order=cancelled, status=OrderStatus.CANCELLED)

    assert visits_json(team["bintou"]).json()["visits"] == [summary(visit, order_total="1500.00")]


def test_staff_see_every_reps_visits(team):
    awas, koffis = check_in(team, "awa"), check_in(team, "koffi")

    response = visits_json(team["clerk"])

    assert response.status_code == 200
    assert response.json()["visits"] == [summary(awas), summary(koffis)]


def test_the_board_says_when_its_day_ends(team):
    until = dt.datetime.fromisoformat(visits_json(team["bintou"]).json()["until"])
    assert timezone.localtime(until).time() == dt.time.min
    assert dt.timedelta(0) < until - timezone.now() <= dt.timedelta(days=1)


@pytest.mark.parametrize("url", ["/board/", "/board/visits/"])
def test_a_rep_is_refused_the_board(team, url):
    http = HttpClient()
    http.force_login(team["awa"])
    assert http.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/board/", "/board/visits/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(transactional_db, url):
    response = HttpClient().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    "language", [{"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}, "LANGUAGE_CODE"], ids=["accept-language", "setting"]
)
def test_the_board_page_renders_in_french(team, settings, language):
    if language == "LANGUAGE_CODE":
        settings.LANGUAGE_CODE = "fr"
        headers: dict[str, str] = {}
    else:
        headers = language
    http = HttpClient()
    http.force_login(team["bintou"])

    response = http.get("/board/", **headers)

    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert re.search(r'<option value="fr"\s+selected>', html)
    # The map, the totals as text, plan against done (eight columns) and the visits' table (five), each named by its
    # caption.
    for marker in ('id="board-map"', 'id="total-done"', 'id="total-open"', 'id="total-orders"', 'id="plan-rows"'):
        assert marker in html
    assert html.count("<caption>") == 2 and html.count('<th scope="col"') == 8 + 5
    assert "<caption>Prévu et réalisé</caption>" in html and ">Couverture</th>" in html
    assert 'data-visits-url="/board/visits/"' in html and 'data-socket-path="/ws/board/"' in html
    for script in ("leaflet/leaflet.js", "leaflet/leaflet.css", "js/board.js", "css/board.css"):
        assert script in html


@pytest.mark.parametrize("visit_count", [1, 8])
def test_the_visits_json_takes_the_same_queries_whatever_the_number_of_visits(
    team, django_assert_num_queries, visit_count
):
    for _index in range(visit_count):
        visit = check_in(team, "awa")
        order(team, visit)
        visit_end(rep=team["awa"], visit=visit)
    http = HttpClient()
    http.force_login(team["bintou"])

    # 1. the session, 2. its user, 3. whether the user is a supervisor (their groups),
    # 4. today's visits of their reps, with their reps, clients and order totals; plan against done
    # (workflows.coverage): 5. the reps, 6. the plans' moves, 7. the plans, 8. the visits, 9. their clients.
    with django_assert_num_queries(9):
        response = http.get("/board/visits/")

    assert response.status_code == 200
    visits = response.json()["visits"]
    assert len(visits) == visit_count
    assert {visit["order_total"] for visit in visits} == {str(Decimal("3000.00"))}

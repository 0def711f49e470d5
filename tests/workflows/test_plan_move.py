"""A missed planned visit moved to another day, or dropped, from its page (`admin:workflows_visitplan_move`): by a
supervisor for their own reps, by the back office for anyone's; the rep's phone follows; back to where the supervisor
came from (the board) when it is a page of the site."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from fieldsales.models import Profile
from tests.factories import (
    BackOfficeFactory,
    RepFactory,
    SupervisorFactory,
    make_client,
    make_pos_list,
    make_visit_workflow,
    signed_in,
)
from workflows.admin import CHOOSE_DAY, MOVE_TITLE, PLAN_DAY_MOVED
from workflows.models import PlanMove, Repeat, VisitPlan
from workflows.planning import DAY_NOT_PLANNED, DAY_PAST, DAY_TAKEN, plan_day_move
from workflows.records import serialize_plans


@pytest.fixture
def field(db: Any) -> dict[str, Any]:
    """Awa (supervised by Bintou) and Koffi (by Moussa), each with a weekly plan from this week's Monday."""
    client_list = make_pos_list()
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    bintou = SupervisorFactory(username="bintou", is_staff=True)
    moussa = SupervisorFactory(username="moussa", is_staff=True)
    Profile.objects.create(user=awa, supervisor=bintou)
    Profile.objects.create(user=koffi, supervisor=moussa)
    workflow = make_visit_workflow()["workflow"]
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    plans = {
        rep.username: VisitPlan.objects.create(
            rep=rep,
            client=make_client(client_list, f"Boutique de {rep.username}", reps=(rep,)),
            workflow=workflow,
            starts_on=monday,
            repeat=Repeat.WEEKLY,
        )
        for rep in (awa, koffi)
    }
    return {"awa": awa, "koffi": koffi, "bintou": bintou, "moussa": moussa, "monday": monday, "plans": plans}


def in_french(user: Any) -> Any:
    http = signed_in(user)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return http


def move_url(plan: VisitPlan, day: dt.date, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"day": day.isoformat(), **params}.items())
    return f"{reverse('admin:workflows_visitplan_move', args=[plan.pk])}?{query}"


def french_day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def phone_days(plan: VisitPlan) -> list[str]:
    return serialize_plans(plan.rep, [str(plan.pk)])[str(plan.pk)]["data"]["days"]


def test_a_supervisor_moves_their_reps_missed_visit_and_the_phone_follows_and_goes_back_to_the_board(field):
    plan, monday = field["plans"]["awa"], field["monday"]
    missed, wednesday = monday + dt.timedelta(days=7), monday + dt.timedelta(days=9)
    http = in_french(field["bintou"])
    assert missed.isoformat() in phone_days(plan)

    page = http.get(move_url(plan, missed))
    done = http.post(move_url(plan, missed, next="/board/?rep=awa"), {"to_day": french_day(wednesday)})

    assert page.status_code == 200
    assert page.context["title"] == MOVE_TITLE
    assert [value for _label, value in page.context["summary"][:2]] == [plan.client, "awa"]
    assert (done.status_code, done["Location"]) == (302, "/board/?rep=awa")
    move = PlanMove.objects.get()
    assert (move.plan, move.from_day, move.to_day, move.moved_by) == (plan, missed, wednesday, field["bintou"])
    days = phone_days(plan)
    assert wednesday.isoformat() in days and missed.isoformat() not in days
    [message] = [str(m) for m in get_messages(done.wsgi_request)]
    with translation.override("fr"):
        day, to_day = date_format(missed), date_format(wednesday)
        assert message == str(PLAN_DAY_MOVED) % {"client": plan.client, "day": day, "to_day": to_day}
    # The board the supervisor comes back to says it.
    assert escape(message) in http.get("/board/").content.decode()


def test_a_visit_moved_already_is_moved_again_or_dropped_and_keeps_one_move(field):
    plan, monday = field["plans"]["awa"], field["monday"]
    missed = monday + dt.timedelta(days=7)
    http = signed_in(field["bintou"])
    http.post(move_url(plan, missed), {"to_day": (monday + dt.timedelta(days=9)).isoformat()})

    # From the day it is on now, as the board shows it.
    http.post(move_url(plan, monday + dt.timedelta(days=9)), {"drop": "on"})

    move = PlanMove.objects.get()
    assert (move.from_day, move.to_day) == (missed, None)
    assert missed.isoformat() not in phone_days(plan)


def test_after_the_move_an_address_off_the_site_is_not_followed(field):
    plan, monday = field["plans"]["awa"], field["monday"]
    http = signed_in(BackOfficeFactory(username="clerk"))

    done = http.post(
        move_url(plan, monday + dt.timedelta(days=7), next="https://evil.example/"),
        {"to_day": (monday + dt.timedelta(days=8)).isoformat()},
    )

    assert done["Location"] == reverse("admin:workflows_visitplan_change", args=[plan.pk])


def test_a_supervisor_cannot_move_the_visits_of_another_teams_rep(field):
    plan, monday = field["plans"]["koffi"], field["monday"]
    http = signed_in(field["bintou"])

    page = http.get(move_url(plan, monday + dt.timedelta(days=7)))
    posted = http.post(move_url(plan, monday + dt.timedelta(days=7)), {"drop": "on"})

    assert (page.status_code, posted.status_code) == (404, 404)
    assert not PlanMove.objects.exists()


def test_a_day_the_plan_has_no_visit_on_a_day_past_and_a_day_taken_are_told_in_french(field):
    plan, monday = field["plans"]["awa"], field["monday"]
    http = in_french(field["bintou"])
    tuesday = monday + dt.timedelta(days=8)

    not_planned = http.post(move_url(plan, tuesday), {"to_day": french_day(tuesday + dt.timedelta(days=1))})
    past = http.post(move_url(plan, monday + dt.timedelta(days=7)), {"to_day": french_day(monday - dt.timedelta(7))})
    taken = http.post(move_url(plan, monday + dt.timedelta(days=7)), {"to_day": french_day(monday + dt.timedelta(14))})
    neither = http.post(move_url(plan, monday + dt.timedelta(days=7)), {"to_day": ""})

    with translation.override("fr"):
        assert not_planned.context["form"].non_field_errors() == [str(DAY_NOT_PLANNED) % {"day": date_format(tuesday)}]
        assert past.context["form"].errors["to_day"] == [str(DAY_PAST)]
        taken_day = date_format(monday + dt.timedelta(14))
        assert taken.context["form"].errors["to_day"] == [str(DAY_TAKEN) % {"day": taken_day}]
        assert neither.context["form"].errors["to_day"] == [str(CHOOSE_DAY)]
    assert escape(str(not_planned.context["form"].non_field_errors()[0])) in not_planned.content.decode()
    assert not PlanMove.objects.exists()


def test_the_service_refuses_a_user_who_may_not_change_plans(field):
    plan, monday = field["plans"]["awa"], field["monday"]

    with pytest.raises(PermissionDenied):
        plan_day_move(user=field["awa"], plan=plan, from_day=monday, to_day=None)
    with pytest.raises(PermissionDenied):
        plan_day_move(user=field["moussa"], plan=plan, from_day=monday, to_day=None)


def test_the_move_pages_queries_do_not_depend_on_the_plans_length(field, django_assert_num_queries):
    plan, monday = field["plans"]["awa"], field["monday"]
    missed = monday + dt.timedelta(days=7)
    http = signed_in(field["bintou"])
    http.get(move_url(plan, missed))
    ContentType.objects.get_for_model(VisitPlan)  # the admin log's, cached for the process

    # The session, the user, the supervisor's role (team_of), the plan with its client, rep and workflow, the
    # permissions (the user's, their groups').
    with django_assert_num_queries(6):
        http.get(move_url(plan, missed))
    # The session, the user, the role, the plan, the permissions (2); in a savepoint (2), the service: the team, the
    # plan's moves (locked), the move's insert, and the feed (the plan's moves, the plan, who held it, the upsert);
    # the admin log's entry.
    with django_assert_num_queries(16):
        http.post(move_url(plan, missed), {"to_day": (monday + dt.timedelta(days=9)).isoformat()})

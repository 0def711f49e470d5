"""Plan against done (workflows/coverage.py): per rep and day, planned, done, missed, unplanned, coverage and the
kilometres walked between check-ins; and the phone's plan records (workflows/records.py), their days and audience."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from fieldsales.accounts import reps_queryset
from fieldsales.geo import haversine_m
from fieldsales.models import Profile, SyncEntry
from tests.factories import ClientFactory, RepFactory, SupervisorFactory, VisitFactory, WorkflowFactory, signed_in
from workflows.coverage import plan_against_done
from workflows.models import PlanMove, Repeat, VisitPlan
from workflows.planning import PHONE_DAYS_AHEAD, plans_window_move
from workflows.records import PLAN_RANK, plan_seers, serialize_plans

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def day_of_six():
    """A rep with six clients planned today (one of them weekly since last week), four visited, and one visit to a
    client not planned."""
    rep = RepFactory(first_name="Awa", last_name="Koné")
    workflow = WorkflowFactory()
    today = timezone.localdate()
    clients = [ClientFactory(name=f"Boutique {index}", lat=5.30 + index / 100, lng=-4.0) for index in range(7)]
    for index, client in enumerate(clients[:6]):
        starts_on, repeat = (today - dt.timedelta(days=7), Repeat.WEEKLY) if index == 0 else (today, Repeat.ONCE)
        VisitPlan.objects.create(rep=rep, client=client, workflow=workflow, starts_on=starts_on, repeat=repeat)
    for hour, client in zip(
        (8, 9, 10, 11, 12), [clients[0], clients[1], clients[6], clients[2], clients[3]], strict=True
    ):
        VisitFactory(
            rep=rep,
            client=client,
            workflow=workflow,
            checked_in_at=at(today, hour),
            checkin_lat=client.lat,
            checkin_lng=client.lng,
        )
    return {"rep": rep, "clients": clients, "today": today, "workflow": workflow}


def test_four_of_six_planned_clients_visited_and_one_unplanned_is_a_coverage_of_67_percent(day_of_six):
    today = day_of_six["today"]

    [day] = plan_against_done(reps=reps_queryset(), first=today, last=today)

    assert (day.rep_name, day.day, len(day.planned)) == ("Awa Koné", today, 6)
    assert (day.done, day.missed, len(day.unplanned), day.coverage) == (4, 2, 1, 67)
    assert [stop["client_name"] for stop in day.planned if not stop["done"]] == ["Boutique 4", "Boutique 5"]
    assert day.unplanned == [{"client_id": str(day_of_six["clients"][6].pk), "client_name": "Boutique 6"}]
    # Walked: from check-in to check-in in time order (0 → 1 → 6 → 2 → 3), 1.1 km a step of 0.01°, 5 back from 6.
    points = [(client.lat, client.lng) for client in (day_of_six["clients"][i] for i in (0, 1, 6, 2, 3))]
    walked = sum(haversine_m(*a, *b) for a, b in itertools.pairwise(points))
    assert day.as_json()["walked_m"] == round(walked)
    assert day.as_json()["start"] == list(points[0])


def test_a_day_moved_counts_where_it_was_moved_to_and_a_dropped_day_not_at_all(day_of_six):
    today, rep = day_of_six["today"], day_of_six["rep"]
    plans = VisitPlan.objects.filter(rep=rep, repeat=Repeat.ONCE).order_by("client__name")
    PlanMove.objects.create(plan=plans[3], from_day=today, to_day=today + dt.timedelta(days=1))  # Boutique 4
    PlanMove.objects.create(plan=plans[4], from_day=today, to_day=None)  # Boutique 5

    first, second = plan_against_done(reps=reps_queryset(), first=today, last=today + dt.timedelta(days=1))

    assert (first.day, first.done, first.missed, first.coverage) == (today, 4, 0, 100)
    assert (second.day, [stop["client_name"] for stop in second.planned], second.coverage) == (
        today + dt.timedelta(days=1),
        ["Boutique 4"],
        0,
    )


def test_plan_against_done_takes_five_queries_whatever_the_number_of_reps_and_days(
    day_of_six, django_assert_num_queries
):
    other = RepFactory()
    VisitPlan.objects.create(
        rep=other,
        client=day_of_six["clients"][0],
        workflow=day_of_six["workflow"],
        starts_on=day_of_six["today"],
        repeat=Repeat.WEEKLY,
    )
    today = day_of_six["today"]
    # 1. the reps, 2. the plans' moves, 3. the plans, 4. the visits, 5. their clients.
    with django_assert_num_queries(5):
        days = plan_against_done(reps=reps_queryset(), first=today - dt.timedelta(days=14), last=today)
    assert [(day.rep_id, day.day) for day in days if day.rep_id == other.pk] == [(other.pk, today)]


def test_the_board_json_gives_each_rep_plan_against_done_of_the_day_to_their_supervisor_only(day_of_six):
    boss = SupervisorFactory()
    Profile.objects.create(user=day_of_six["rep"], supervisor=boss)

    plan = signed_in(boss).get("/board/visits/").json()["plan"]
    others = signed_in(SupervisorFactory()).get("/board/visits/").json()["plan"]

    assert [(row["rep_name"], row["done"], row["missed"], len(row["unplanned"]), row["coverage"]) for row in plan] == [
        ("Awa Koné", 4, 2, 1, 67)
    ]
    assert others == []


# The plans on the phone ----------------------------------------------------------------------------------------------


def test_a_phone_holds_the_days_of_its_window_and_a_plan_is_its_rep_s_only(day_of_six):
    today, rep = day_of_six["today"], day_of_six["rep"]
    weekly = VisitPlan.objects.get(rep=rep, repeat=Repeat.WEEKLY)
    PlanMove.objects.create(plan=weekly, from_day=today + dt.timedelta(days=7), to_day=today + dt.timedelta(days=8))

    record = serialize_plans(rep, [str(weekly.pk)])[str(weekly.pk)]

    expected = [today - dt.timedelta(days=7), today, today + dt.timedelta(days=8)]
    expected += [today + dt.timedelta(days=7 * week) for week in range(2, PHONE_DAYS_AHEAD // 7 + 1)]
    assert record["data"]["days"] == [day.isoformat() for day in expected]
    assert record["data"]["client"] == str(day_of_six["clients"][0].pk)
    assert plan_seers([str(weekly.pk)]) == {str(weekly.pk): {rep.pk}}


def test_a_plan_past_the_phone_s_window_leaves_the_phone_when_the_window_moves(day_of_six):
    rep, today = day_of_six["rep"], day_of_six["today"]
    old = VisitPlan.objects.create(
        rep=rep, client=day_of_six["clients"][5], workflow=day_of_six["workflow"], starts_on=today, repeat=Repeat.ONCE
    )
    assert SyncEntry.objects.get(rep=rep, kind=PLAN_RANK, entity_id=str(old.pk)).deleted is False
    VisitPlan.objects.filter(pk=old.pk).update(starts_on=today - dt.timedelta(days=9))  # as if nine days went by

    assert plans_window_move() >= 6

    assert SyncEntry.objects.get(rep=rep, kind=PLAN_RANK, entity_id=str(old.pk)).deleted is True
    assert SyncEntry.objects.filter(rep=rep, kind=PLAN_RANK, deleted=False).count() == 6


def test_the_dashboard_sums_plan_against_done_over_the_period_per_rep(day_of_six):
    boss = SupervisorFactory()
    Profile.objects.create(user=day_of_six["rep"], supervisor=boss)

    response = signed_in(boss).get("/dashboard/?preset=week")

    [awa] = response.context["board"].reps
    assert (awa.planned, awa.done, awa.missed, awa.unplanned, awa.coverage) == (6, 4, 2, 1, 67)
    html = response.content.decode()
    assert "Plan against done" in html and ">67%</td>" in html
    # The planned route's kilometres are worked out on the page from the day's stops, as the phone's route goes.
    assert len(awa.plan_routes) == 1 and len(awa.plan_routes[0]["planned"]) == 6
    assert 'data-routes="[{&quot;start&quot;: [5.3, -4.0]' in html

"""Visit planning (workflows/planning.py): the days a plan falls on, over month ends and leap years; moved visits;
conflicts (a rep away, a client planned twice on a day); planning many clients at once. And the trust of check-ins
(workflows.services.checkin_flags): flagged for the supervisor, never refused."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from clients.models import Client
from fieldsales.models import Profile
from tests.factories import (
    BackOfficeFactory,
    RepFactory,
    SupervisorFactory,
    make_client,
    make_visit_workflow,
    signed_in,
)
from workflows.models import PlanMove, RepAbsence, Repeat, VisitPlan
from workflows.planning import (
    AWAY,
    ENDS_BEFORE,
    NOT_IN_TEAM,
    STEP_DAYS,
    TWICE,
    WORKFLOW_INACTIVE,
    plan_conflicts,
    plan_days,
    plans_between,
    repeat_days,
    visit_plans_create,
)
from workflows.services import INACCURATE, TOO_FAST

D = dt.date


def days(starts_on: dt.date, repeat: str, first: dt.date, last: dt.date, ends_on: dt.date | None = None) -> list:
    return repeat_days(starts_on=starts_on, repeat=repeat, ends_on=ends_on, first=first, last=last)


# The days a plan falls on --------------------------------------------------------------------------------------------


def test_every_second_week_crosses_the_29th_of_february_of_a_leap_year_and_keeps_its_weekday():
    # Tuesday 15 February 2028; 2028 is a leap year.
    assert days(D(2028, 2, 15), Repeat.FORTNIGHTLY, D(2028, 2, 1), D(2028, 3, 31)) == [
        D(2028, 2, 15),
        D(2028, 2, 29),
        D(2028, 3, 14),
        D(2028, 3, 28),
    ]


def test_every_four_weeks_crosses_the_year_end():
    assert days(D(2026, 12, 14), Repeat.FOUR_WEEKLY, D(2026, 12, 1), D(2027, 2, 28)) == [
        D(2026, 12, 14),
        D(2027, 1, 11),
        D(2027, 2, 8),
    ]


def test_a_weekly_plan_seen_from_a_later_window_keeps_its_rhythm_and_stops_on_its_last_day_included():
    assert days(D(2027, 1, 4), Repeat.WEEKLY, D(2027, 2, 1), D(2027, 2, 28), ends_on=D(2027, 2, 15)) == [
        D(2027, 2, 1),
        D(2027, 2, 8),
        D(2027, 2, 15),
    ]


def test_monthly_on_the_31st_falls_on_each_shorter_months_last_day_and_comes_back_to_the_31st():
    assert days(D(2027, 1, 31), Repeat.MONTHLY, D(2027, 1, 1), D(2027, 5, 31)) == [
        D(2027, 1, 31),
        D(2027, 2, 28),
        D(2027, 3, 31),
        D(2027, 4, 30),
        D(2027, 5, 31),
    ]


def test_monthly_on_the_29th_is_the_29th_of_february_in_a_leap_year_and_the_28th_otherwise():
    assert days(D(2027, 1, 29), Repeat.MONTHLY, D(2027, 2, 1), D(2027, 2, 28)) == [D(2027, 2, 28)]
    assert days(D(2027, 1, 29), Repeat.MONTHLY, D(2028, 2, 1), D(2028, 3, 31)) == [D(2028, 2, 29), D(2028, 3, 29)]


def test_a_one_off_visit_falls_on_its_day_only_and_nothing_falls_before_a_plan_starts():
    assert days(D(2027, 3, 10), Repeat.ONCE, D(2027, 3, 1), D(2027, 3, 31)) == [D(2027, 3, 10)]
    assert days(D(2027, 3, 10), Repeat.ONCE, D(2027, 3, 11), D(2027, 3, 31)) == []
    assert days(D(2027, 3, 10), Repeat.WEEKLY, D(2027, 1, 1), D(2027, 3, 9)) == []


windows = st.dates(min_value=D(2024, 1, 1), max_value=D(2032, 12, 31))


@given(
    start=windows,
    first=windows,
    length=st.integers(0, 400),
    cut=st.integers(0, 400),
    repeat=st.sampled_from(list(Repeat)),
)
def test_the_days_of_a_window_are_those_of_its_two_halves_each_on_the_rule(start, first, length, cut, repeat):
    last = first + dt.timedelta(days=length)
    middle = first + dt.timedelta(days=min(cut, length))
    whole = days(start, repeat, first, last)
    halves = days(start, repeat, first, middle) + days(start, repeat, middle + dt.timedelta(days=1), last)
    assert whole == halves
    assert all(first <= day <= last and day >= start for day in whole)
    if repeat in STEP_DAYS:
        assert all((day - start).days % STEP_DAYS[repeat] == 0 for day in whole)
    if repeat == Repeat.MONTHLY:
        assert all(day.day == start.day or (day + dt.timedelta(days=1)).month != day.month for day in whole)
        assert len({(day.year, day.month) for day in whole}) == len(whole)


# Plans in the database ----------------------------------------------------------------------------------------------


@pytest.fixture
def field(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from tests.factories import make_pos_list

    client_list = make_pos_list()
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    shops = [make_client(client_list, f"Boutique {n}", reps=(awa,)) for n in range(3)]
    return {
        "list": client_list,
        "awa": awa,
        "koffi": koffi,
        "shops": shops,
        "workflow": make_visit_workflow()["workflow"],
    }


def plan(
    field: dict[str, Any], client: Client, starts_on: dt.date, repeat: str = Repeat.WEEKLY, rep: Any = None
) -> VisitPlan:
    return VisitPlan.objects.create(
        rep=rep or field["awa"], client=client, workflow=field["workflow"], starts_on=starts_on, repeat=repeat
    )


def test_a_moved_visit_leaves_its_day_for_the_one_it_was_moved_to_and_a_dropped_one_leaves_none(field):
    weekly = plan(field, field["shops"][0], D(2027, 3, 1))
    PlanMove.objects.create(plan=weekly, from_day=D(2027, 3, 8), to_day=D(2027, 3, 10))
    PlanMove.objects.create(plan=weekly, from_day=D(2027, 3, 15), to_day=None)

    assert plan_days(weekly, D(2027, 3, 1), D(2027, 3, 31), weekly.moves.all()) == [
        D(2027, 3, 1),
        D(2027, 3, 10),
        D(2027, 3, 22),
        D(2027, 3, 29),
    ]
    # Found by the day it was moved to, even in a window its own days miss.
    [(found, found_days)] = plans_between(D(2027, 3, 9), D(2027, 3, 11))
    assert (found, found_days) == (weekly, [D(2027, 3, 10)])


def test_conflicts_name_a_rep_planned_while_away_and_a_client_planned_twice_on_one_day(field):
    first, second, third = field["shops"]
    plan(field, first, D(2027, 3, 1))
    plan(field, second, D(2027, 3, 2), Repeat.ONCE)
    koffis = plan(field, second, D(2027, 3, 2), Repeat.ONCE, rep=field["koffi"])
    plan(field, third, D(2027, 3, 3), Repeat.ONCE, rep=field["koffi"])
    RepAbsence.objects.create(rep=field["awa"], starts_on=D(2027, 3, 8), ends_on=D(2027, 3, 12), reason="Congé")

    conflicts = plan_conflicts(D(2027, 3, 1), D(2027, 3, 14))

    assert [(c.kind, c.day, sorted(p.rep.username for p in c.plans), c.rep, c.count) for c in conflicts] == [
        (TWICE, D(2027, 3, 2), ["awa", "koffi"], None, 0),
        (AWAY, D(2027, 3, 8), [], field["awa"], 1),
    ]
    assert koffis in conflicts[0].plans
    assert conflicts[1].label == "The rep is away that day."
    assert plan_conflicts(D(2027, 3, 1), D(2027, 3, 14), rep=field["koffi"])[0].kind == TWICE


# Planning many clients at once -------------------------------------------------------------------------------------


def test_planning_a_selection_plans_the_reps_own_clients_and_says_how_many_it_left_out(field):
    clerk = BackOfficeFactory(username="clerk")
    first, second, third = field["shops"]
    koffis_shop = make_client(field["list"], "Chez Koffi", reps=(field["koffi"],))
    Client.objects.filter(pk=third.pk).update(archived_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))

    planned = visit_plans_create(
        user=clerk,
        clients=Client.objects.all(),
        rep=field["awa"],
        workflow=field["workflow"],
        starts_on=D(2027, 3, 2),
        repeat=Repeat.WEEKLY,
        ends_on=D(2027, 6, 30),
    )

    assert (planned.created, planned.left_out) == (2, 2)
    assert koffis_shop.pk not in set(VisitPlan.objects.values_list("client_id", flat=True))
    assert sorted(VisitPlan.objects.values_list("client__name", "repeat", "ends_on", "created_by__username")) == [
        (first.name, Repeat.WEEKLY, D(2027, 6, 30), "clerk"),
        (second.name, Repeat.WEEKLY, D(2027, 6, 30), "clerk"),
    ]


def test_planning_refuses_another_supervisors_rep_an_inactive_workflow_and_an_end_before_the_start(field):
    supervisor = SupervisorFactory(username="sup")
    Profile.objects.update_or_create(user=field["koffi"], defaults={"supervisor": supervisor})
    workflow = field["workflow"]
    common = {"clients": Client.objects.all(), "starts_on": D(2027, 3, 2), "repeat": Repeat.WEEKLY}

    with pytest.raises(ValidationError) as not_in_team:
        visit_plans_create(user=supervisor, rep=field["awa"], workflow=workflow, **common)
    with pytest.raises(ValidationError) as ends_before:
        visit_plans_create(user=supervisor, rep=field["koffi"], workflow=workflow, ends_on=D(2027, 3, 1), **common)
    workflow.active = False
    workflow.save()
    with pytest.raises(ValidationError) as inactive:
        visit_plans_create(user=supervisor, rep=field["koffi"], workflow=workflow, **common)

    assert not_in_team.value.message_dict == {"rep": [str(NOT_IN_TEAM)]}
    assert ends_before.value.message_dict == {"ends_on": [str(ENDS_BEFORE)]}
    assert inactive.value.message_dict == {"workflow": [str(WORKFLOW_INACTIVE)]}
    assert not VisitPlan.objects.exists()


def test_the_plans_list_shows_the_next_weeks_conflicts_a_line_per_rep_away_in_french(field):
    today = timezone.localdate()
    for shop in field["shops"][:2]:
        plan(field, shop, today)
    plan(field, field["shops"][0], today, Repeat.ONCE, rep=field["koffi"])
    RepAbsence.objects.create(
        rep=field["awa"], starts_on=today + dt.timedelta(days=7), ends_on=today + dt.timedelta(days=7)
    )
    http = signed_in(BackOfficeFactory(username="clerk"))

    page = http.get("/admin/workflows/visitplan/", HTTP_ACCEPT_LANGUAGE="fr")

    conflicts = [
        " ".join(item.split()) for item in re.findall(r'<li class="warning">(.*?)</li>', page.content.decode(), re.S)
    ]
    assert len(conflicts) == 2
    assert "awa : absence ce jour-là, 2 visites planifiées." in conflicts[1]
    assert "Le client est planifié plusieurs fois ce jour-là." in conflicts[0]


def test_a_clerk_plans_every_client_of_a_filter_from_the_client_list_and_is_told_who_was_left_out(field):
    from tests.clients.test_bulk import answer, messages_of, start

    clerk = BackOfficeFactory(username="clerk")
    awa = field["awa"]
    koffis = make_client(field["list"], "Boutique de Koffi", reps=(field["koffi"],))
    not_searched = make_client(
        field["list"], "Chez Fanta", {"quartier": "Cocody", "categorie": "Épicerie"}, reps=(awa,)
    )
    http = signed_in(clerk)

    # Every client the search finds, across the list's pages.
    page = start(http, "plan_visits", field["shops"][:1], params={"q": "Boutique"}, across=True)
    assert page.status_code == 200, (page.status_code, page.get("Location"), messages_of(page))
    assert page.context["lines"][0].startswith("Plan visits to the 4 selected clients")
    done = answer(
        http, page, rep=awa.pk, workflow=field["workflow"].pk, starts_on="2027-03-02", repeat=Repeat.WEEKLY, ends_on=""
    )

    assert done.status_code == 302
    assert messages_of(done) == [
        "3 visit plans made for awa. 1 client left out: archived, not assigned to the rep, or on a list the "
        "workflow is not for."
    ]
    planned = set(VisitPlan.objects.values_list("client_id", flat=True))
    assert planned == {shop.pk for shop in field["shops"]}
    assert koffis.pk not in planned and not_searched.pk not in planned


def test_a_supervisor_plans_only_their_own_reps_from_the_client_list(field):
    from tests.clients.test_bulk import start

    supervisor = SupervisorFactory(username="sup", is_staff=True)
    Profile.objects.update_or_create(user=field["koffi"], defaults={"supervisor": supervisor})
    koffis = make_client(field["list"], "Boutique de Koffi", reps=(field["koffi"],))
    page = start(signed_in(supervisor), "plan_visits", [koffis])

    assert [rep.username for rep in page.context["form"].fields["rep"].queryset] == ["koffi"]


# Check-in trust ------------------------------------------------------------------------------------------------------


def check_in(field: dict[str, Any], client: Client, at: dt.datetime, north_km: float = 0, accuracy_m: float = 8) -> Any:
    from fieldsales.geo import Position
    from tests.factories import ABIDJAN
    from workflows.services import visit_check_in

    lat = ABIDJAN[0] + north_km / 111.195
    Client.objects.filter(pk=client.pk).update(lat=lat, lng=ABIDJAN[1])
    client.refresh_from_db()
    return visit_check_in(
        rep=field["awa"],
        visit_id=uuid.uuid4(),
        client=client,
        workflow=field["workflow"],
        position=Position(lat, ABIDJAN[1], accuracy_m),
        at=at,
    )


NINE = dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_check_in_further_from_the_one_before_than_120_km_h_allows_is_flagged_not_refused(field):
    first, second, third = field["shops"]
    check_in(field, first, NINE)
    # 30 km in 10 minutes: 180 km/h.
    flagged = check_in(field, second, NINE + dt.timedelta(minutes=10), north_km=30)
    # 30 km further in an hour: 30 km/h.
    plausible = check_in(field, third, NINE + dt.timedelta(minutes=70), north_km=60)

    assert flagged.checkin_flags == [{"code": TOO_FAST, "km": 30.0, "minutes": 10, "kmh": 180}]
    assert plausible.checkin_flags == []


def test_a_check_in_is_judged_against_the_one_before_it_in_time_whenever_it_reached_the_server(field):
    first, second, _third = field["shops"]
    check_in(field, first, NINE + dt.timedelta(hours=3), north_km=30)
    # Synced later, made earlier: the check-in before it in time is none.
    earlier = check_in(field, second, NINE)

    assert earlier.checkin_flags == []


def test_a_gps_accuracy_wider_than_the_geofence_radius_is_flagged_and_shown_to_the_back_office_in_french(field):
    # The workflow's geo activity asks for 100 m (make_visit_workflow).
    vague = check_in(field, field["shops"][0], NINE, accuracy_m=90)
    vaguer = check_in(field, field["shops"][1], NINE + dt.timedelta(hours=1), accuracy_m=150)
    http = signed_in(BackOfficeFactory(username="clerk"))

    page = http.get("/admin/workflows/visit/?doubtful=yes", HTTP_ACCEPT_LANGUAGE="fr")

    assert vague.checkin_flags == []
    assert vaguer.checkin_flags == [{"code": INACCURATE, "accuracy_m": 150, "radius_m": 100}]
    assert [visit.pk for visit in page.context["cl"].result_list] == [vaguer.pk]
    assert "Précision GPS de 150 m, plus large que le rayon de 100 m" in page.content.decode()

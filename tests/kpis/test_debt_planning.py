"""Collection visits (kpis/planning.py and the client list's action in kpis/admin.py): from any selection of the client
list, a visit is planned to each client whose debt has been overdue for more than N days (at least the minimum), by
the rep chosen or by each client's own reps; the others are left out, and counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import Assignment, Client
from fieldsales.models import Profile
from kpis.models import LedgerEntry
from kpis.planning import clients_overdue, collection_visits_plan
from tests.clients.test_bulk import answer, messages_of, start
from tests.factories import (
    BackOfficeFactory,
    LedgerEntryFactory,
    RepFactory,
    SupervisorFactory,
    make_client,
    make_pos_list,
    make_visit_workflow,
    signed_in,
)
from workflows.models import Repeat, VisitPlan
from workflows.planning import NOT_IN_TEAM

MONDAY = "2027-03-01"


def owe(client: Client, *, days_late: int, amount: str = "10000.00") -> None:
    """An invoice of `client` fallen due `days_late` days ago."""
    today = timezone.localdate()
    LedgerEntryFactory(
        client=client,
        date=today - dt.timedelta(days=days_late + 30),
        due_date=today - dt.timedelta(days=days_late),
        amount=Decimal(amount),
    )


@pytest.fixture
def field(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Awa's clients: 45 days late, 10 days late, fully paid, without a ledger; Koffi's, 45 days late (Koffi is the
    supervisor's); one 45 days late without a rep."""
    client_list = make_pos_list()
    awa, koffi = RepFactory(username="awa"), RepFactory(username="koffi")
    supervisor = SupervisorFactory(username="sup", is_staff=True)
    Profile.objects.update_or_create(user=koffi, defaults={"supervisor": supervisor})
    shops = {
        "late45": make_client(client_list, "Boutique 45 jours", reps=(awa,)),
        "late10": make_client(client_list, "Boutique 10 jours", reps=(awa,)),
        "paid": make_client(client_list, "Boutique payée", reps=(awa,)),
        "none": make_client(client_list, "Boutique sans compte", reps=(awa,)),
        "koffis": make_client(client_list, "Boutique de Koffi", reps=(koffi,)),
        "orphan": make_client(client_list, "Boutique sans commercial"),
    }
    owe(shops["late45"], days_late=45, amount="25000.00")
    owe(shops["late10"], days_late=10)
    owe(shops["paid"], days_late=45)
    LedgerEntryFactory(client=shops["paid"], kind=LedgerEntry.Kind.PAYMENT, amount=Decimal("10000.00"))
    owe(shops["koffis"], days_late=45, amount="5000.00")
    owe(shops["orphan"], days_late=45)
    return {
        "awa": awa,
        "koffi": koffi,
        "supervisor": supervisor,
        "shops": shops,
        "workflow": make_visit_workflow()["workflow"],
    }


def planned(field: dict[str, Any]) -> set[tuple[str, str]]:
    names = {shop.pk: name for name, shop in field["shops"].items()}
    return {(names[client_id], rep) for client_id, rep in VisitPlan.objects.values_list("client_id", "rep__username")}


def form(field: dict[str, Any], **fields: Any) -> dict[str, Any]:
    common = {"days": 30, "minimum": "", "workflow": field["workflow"].pk, "starts_on": MONDAY, "repeat": Repeat.ONCE}
    return {**common, "ends_on": "", "rep": "", **fields}


# The rule -------------------------------------------------------------------------------------------------------------


def test_only_debt_overdue_for_more_than_n_days_and_at_least_the_minimum_counts(field):
    shops = field["shops"]
    # 45 days late, and 20,000 of it only 35 days late.
    owe(shops["late10"], days_late=35, amount="20000.00")

    over_30 = clients_overdue(clients=Client.objects.all(), days=30)
    over_40 = clients_overdue(clients=Client.objects.all(), days=40)
    over_30_min = clients_overdue(clients=Client.objects.all(), days=30, minimum=Decimal("20000"))
    over_5 = clients_overdue(clients=Client.objects.all(), days=5)

    def names(ids: list[str]) -> set[str]:
        return {name for name, shop in shops.items() if str(shop.pk) in ids}

    assert names(over_30) == {"late45", "late10", "koffis", "orphan"}
    assert names(over_40) == {"late45", "koffis", "orphan"}
    assert names(over_30_min) == {"late45", "late10"}
    assert names(over_5) == {"late45", "late10", "koffis", "orphan"}


# The action, end to end --------------------------------------------------------------------------------------------


def test_a_clerk_plans_collection_visits_to_every_client_45_days_late_by_their_own_reps(field):
    http = signed_in(BackOfficeFactory(username="clerk"))

    page = start(http, "plan_collection_visits", [field["shops"]["late45"]], across=True)
    assert page.status_code == 200, messages_of(page)
    assert page.context["title"] == "Plan collection visits"
    assert page.context["lines"][0].startswith("Plan a collection visit to those of the 6 selected clients")
    assert page.context["form"]["days"].value() == 30
    assert page.context["form"]["repeat"].value() == Repeat.ONCE
    done = answer(http, page, **form(field))

    assert done.status_code == 302
    assert planned(field) == {("late45", "awa"), ("koffis", "koffi")}
    assert messages_of(done) == [
        "2 collection visit plans made for 2 reps. 4 clients left out: no debt overdue for long enough, archived, or "
        "no rep of theirs you may plan for (or on a list the workflow is not for)."
    ]
    plan = VisitPlan.objects.get(client=field["shops"]["late45"])
    assert (plan.starts_on, plan.repeat, plan.ends_on, plan.workflow) == (
        dt.date(2027, 3, 1),
        Repeat.ONCE,
        None,
        field["workflow"],
    )


def test_a_clerk_plans_the_clients_of_a_search_for_one_rep_with_a_minimum_weekly_until_a_day(field):
    http = signed_in(BackOfficeFactory(username="clerk"))
    Assignment.objects.create(client=field["shops"]["koffis"], rep=field["awa"])

    page = start(http, "plan_collection_visits", [field["shops"]["late45"]], params={"q": "Boutique"}, across=True)
    done = answer(
        http, page, **form(field, rep=field["awa"].pk, minimum="6000", repeat=Repeat.WEEKLY, ends_on="2027-03-29")
    )

    # Koffi's shop is Awa's too now, but owes less than the minimum; the one without a rep is not Awa's.
    assert planned(field) == {("late45", "awa")}
    assert messages_of(done) == [
        "1 collection visit plan made for 1 rep. 5 clients left out: no debt overdue for long enough, archived, or "
        "no rep of theirs you may plan for (or on a list the workflow is not for)."
    ]
    assert VisitPlan.objects.get().ends_on == dt.date(2027, 3, 29)


def test_a_supervisor_plans_their_own_team_only_and_counts_the_others_left_out(field):
    http = signed_in(field["supervisor"])
    shared = field["shops"]["late45"]
    Assignment.objects.create(client=shared, rep=field["koffi"])

    page = start(http, "plan_collection_visits", [field["shops"]["koffis"]], across=True)
    assert [rep.username for rep in page.context["form"].fields["rep"].queryset] == ["koffi"]
    # The supervisor's list: the clients of their team, Koffi's and the one Awa shares with him.
    assert page.context["lines"][0].startswith("Plan a collection visit to those of the 2 selected clients")
    done = answer(http, page, **form(field))

    assert planned(field) == {("koffis", "koffi"), ("late45", "koffi")}
    assert messages_of(done)[0].startswith("2 collection visit plans made for 1 rep.")

    # Given every client, the service still plans the team's only: Awa's clients are left out, and counted.
    VisitPlan.objects.all().delete()
    result = collection_visits_plan(
        user=field["supervisor"],
        clients=Client.objects.all(),
        days=30,
        workflow=field["workflow"],
        starts_on=dt.date(2027, 3, 1),
        repeat=Repeat.ONCE,
    )
    assert (result.created, result.reps, result.clients, result.left_out) == (2, 1, 2, 4)
    with pytest.raises(ValidationError) as refused:
        collection_visits_plan(
            user=field["supervisor"],
            clients=Client.objects.all(),
            days=30,
            workflow=field["workflow"],
            starts_on=dt.date(2027, 3, 1),
            repeat=Repeat.ONCE,
            rep=field["awa"],
        )
    assert refused.value.message_dict == {"rep": [str(NOT_IN_TEAM)]}


def test_clients_10_days_late_or_fully_paid_are_left_out_and_nothing_planned_is_a_warning(field):
    http = signed_in(BackOfficeFactory(username="clerk"))
    shops = field["shops"]

    page = start(http, "plan_collection_visits", [shops["late10"], shops["paid"], shops["none"]])
    done = answer(http, page, **form(field))

    assert not VisitPlan.objects.exists()
    assert messages_of(done) == [
        "0 collection visit plans made for 0 reps. 3 clients left out: no debt overdue for long enough, archived, or "
        "no rep of theirs you may plan for (or on a list the workflow is not for)."
    ]


def test_the_form_refuses_an_end_before_the_first_visit_and_keeps_the_selection(field):
    http = signed_in(BackOfficeFactory(username="clerk"))

    page = start(http, "plan_collection_visits", [field["shops"]["late45"]])
    again = answer(http, page, **form(field, repeat=Repeat.WEEKLY, ends_on="2027-02-01"))

    assert again.status_code == 200
    assert again.context["form"].errors == {"ends_on": ["The last day cannot come before the first visit."]}
    assert again.context["selected"] == [str(field["shops"]["late45"].pk)]
    assert not VisitPlan.objects.exists()


# Queries --------------------------------------------------------------------------------------------------------------


def test_planning_collection_visits_costs_the_same_queries_for_3_or_30_clients_late(
    field, django_assert_max_num_queries
):
    shops = field["shops"]
    more = [
        make_client(shops["late45"].client_list, f"Boutique en retard {n}", reps=(field["awa"],)) for n in range(27)
    ]
    for shop in more:
        owe(shop, days_late=60)

    clerk = BackOfficeFactory(username="clerk")

    def plan(clients: Any) -> int:
        VisitPlan.objects.all().delete()
        user = type(clerk).objects.get(pk=clerk.pk)  # afresh: a user keeps what their role is once read
        with django_assert_max_num_queries(60) as context:
            collection_visits_plan(
                user=user,
                clients=clients,
                days=30,
                workflow=field["workflow"],
                starts_on=dt.date(2027, 3, 1),
                repeat=Repeat.ONCE,
                rep=field["awa"],
            )
        return len(context.captured_queries)

    # The selection's count; every client's balance; the debits of those who owe; then `visit_plans_create`'s, once for
    # the one rep (the user's role, the clients eligible, the workflow's lists, their count, one insert, the phones'
    # feed); and the count of the clients planned. None of them per client.
    few = plan(Client.objects.filter(pk__in=[shops["late45"].pk, shops["late10"].pk, shops["paid"].pk]))
    many = plan(Client.objects.all())

    assert VisitPlan.objects.count() == 28
    assert few == many

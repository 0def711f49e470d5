"""The rep's planned day on the phone, offline all day: six planned clients in route order from where the rep stands,
four visited and one visit not planned; back online, the supervisor's board shows the plan against done."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from fieldsales.models import Profile
from kpis.debts import debts_refresh
from kpis.models import LedgerEntry
from tests.e2e.conftest import assigned_client, go_offline, offset, sign_in, wait_controlled, wait_synced
from tests.factories import ActivityFactory, SupervisorFactory, WorkflowFactory, signed_in
from workflows.models import ActivityKind, Repeat, Visit, VisitPlan
from workflows.services import workflow_changed

# Six planned clients, this many metres north of where the rep starts, in the order the office planned them; the
# route from the start is by distance: 200, 600, 800, 1,400, 2,000, 3,000.
PLANNED = {
    "Boutique Deux-Mille": 2000,
    "Boutique Deux-Cents": 200,
    "Boutique Huit-Cents": 800,
    "Boutique Trois-Mille": 3000,
    "Boutique Six-Cents": 600,
    "Boutique Mille-Quatre": 1400,
}
ROUTE = sorted(PLANNED, key=PLANNED.get)


@pytest.fixture
def planned_day(pos_list_editable, rep, clerk_user) -> dict[str, Any]:
    workflow = WorkflowFactory(name_en="Round", name_fr="Tournée")
    ActivityFactory(workflow=workflow, kind=ActivityKind.NOTE, name_en="Visit note", name_fr="Note de visite")
    workflow_changed(workflow=workflow)
    today = timezone.localdate()
    clients = {
        name: assigned_client(clerk_user, pos_list_editable, rep, name, north_m=north)
        for name, north in PLANNED.items()
    }
    for index, client in enumerate(clients.values()):
        # One of them on a weekly round begun last week, the others once today.
        repeat, starts_on = (Repeat.WEEKLY, today - dt.timedelta(days=7)) if index == 0 else (Repeat.ONCE, today)
        VisitPlan.objects.create(rep=rep, client=client, workflow=workflow, starts_on=starts_on, repeat=repeat)
    # One of them owes an invoice that fell due 45 days ago.
    owing = clients["Boutique Six-Cents"]
    LedgerEntry.objects.create(
        client=owing,
        date=today - dt.timedelta(days=75),
        due_date=today - dt.timedelta(days=45),
        kind=LedgerEntry.Kind.INVOICE,
        reference="F-2026-118",
        amount="120000.00",
    )
    debts_refresh(client_ids=[owing.pk])
    clients["Kiosque Hors Plan"] = assigned_client(clerk_user, pos_list_editable, rep, "Kiosque Hors Plan", north_m=900)
    supervisor = SupervisorFactory(username="bintou", first_name="Bintou", last_name="Traoré")
    Profile.objects.create(user=rep, supervisor=supervisor)
    return {"clients": clients, "supervisor": supervisor}


def planned_names(page: Any) -> list[str]:
    return page.get_by_role("list", name="Planned clients, in route order").locator("li > div > a").all_inner_texts()


def visit(phone: Any, page: Any, name: str, north_m: float) -> None:
    """Walks to the client, checks in from Today (or the client list), and finishes the visit."""
    lat, lng = offset(north_m)
    phone.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 10})
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("button", name="Finish visit").click()
    page.get_by_role("button", name="Finish anyway").click()
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_an_offline_day_of_six_planned_clients_four_visited_and_one_unplanned_shows_67_percent_on_the_board(
    phone, browser, live_server, planned_day
):
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)
    page.goto("/#/today")

    expect(page.get_by_role("heading", name="Planned visits", exact=True)).to_be_visible()
    assert planned_names(page) == ROUTE
    expect(page.locator(".stops li.due")).to_have_count(6)
    # The debt overdue is flagged on the client's stop, with the amount and the days.
    expect(page.locator(".stops li", has_text="Boutique Six-Cents").locator(".debt")).to_have_text(
        "⚠ 120,000.00 FCFA overdue for 45 days"
    )

    for name in ROUTE[:4]:
        # The nearest due client comes first: the route is worked out again from where the rep now stands.
        assert planned_names(page)[0] == name
        page.locator(".stops li", has_text=name).get_by_role("link", name="Check in").click()
        visit(phone, page, name, PLANNED[name])
        expect(page.locator(".stops li.done", has_text=name)).to_contain_text("Visited")

    expect(page.get_by_text("Planned visits made: 4 of 6")).to_be_visible()
    assert planned_names(page) == ROUTE[4:] + ROUTE[:4]  # due ones first, in route order, then those done
    page.goto(f"/#/visit/start/{planned_day['clients']['Kiosque Hors Plan'].pk}")
    visit(phone, page, "Kiosque Hors Plan", 900)
    expect(page.get_by_role("list", name="Visits today").locator("li", has_text="Kiosque Hors Plan")).to_contain_text(
        "Unplanned"
    )
    expect(page.get_by_role("list", name="Visits today").locator(".unplanned")).to_have_count(1)
    assert not Visit.objects.exists()

    phone.set_offline(False)
    page.reload()
    wait_synced(page)
    assert Visit.objects.count() == 5

    desk = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url, locale="en-GB")
    session = signed_in(planned_day["supervisor"]).cookies[settings.SESSION_COOKIE_NAME].value
    desk.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    board = desk.new_page()
    board.goto("/board/")
    row = board.locator("#plan-rows tr", has_text="Awa Koné")
    expect(row.locator("td")).to_have_text(
        [
            "6",
            "4",
            "2",
            "1",
            "67 %",
            re.compile(r"\d+\.\d"),
            re.compile(r"\d+\.\d"),
        ]
    )
    row.get_by_text("2 missed planned visits").click()
    expect(row.get_by_role("list", name="Missed planned visits")).to_contain_text(ROUTE[4])
    expect(row.get_by_role("list", name="Missed planned visits")).to_contain_text(ROUTE[5])
    desk.close()
    assert page.errors == []

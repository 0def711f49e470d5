"""What a rep trips over on a real phone (issue 17, points 2 to 5 and 9): Pending means the client's own record
waits, a new client is found where it went, Finish visit asks and can be undone, a refused position says what to do,
and counts and amounts read as a rep reads them."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from clients.models import Client
from tests.e2e import test_visits
from tests.e2e.conftest import (
    PHONE,
    TIMEOUT_MS,
    assigned_client,
    go_offline,
    offset,
    sign_in,
    wait_controlled,
    wait_synced,
)
from tests.e2e.test_offline_client_create import fill_new_client
from workflows.models import Visit

# The visit tests' workflow (a form and an order, both within 100 m, then a note), as a fixture of these tests too.
sales_visit = test_visits.sales_visit
start_visit = test_visits.start_visit


def check_in_and_do(page: Any, activity: str, fill: dict[str, str]) -> None:
    """Checks in at the client whose Check in screen is open, then records one activity."""
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("link", name=activity).click()
    for label, value in fill.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Visit")).to_be_visible()


def tab(page: Any, name: str) -> Any:
    return page.get_by_role("tab", name=re.compile(name))


def test_an_offline_day_keeps_the_visited_client_in_synced_with_what_waits_named(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Maquis Chez Tanti", north_m=10)
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Voisine", north_m=40)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)

    start_visit(page, "Maquis Chez Tanti")
    check_in_and_do(page, "Visit note", {"Note": "Le gérant veut une promotion."})
    page.get_by_role("link", name="Clients").click()

    expect(tab(page, "Synced")).to_have_text(re.compile("Synced 2"))
    expect(tab(page, "Pending")).to_have_text(re.compile("Pending 0"))
    visited = page.locator("ul.clients li", has_text="Maquis Chez Tanti")
    expect(visited.get_by_role("img", name="Synced")).to_have_text("✓✓")
    expect(visited.locator(".waiting")).to_have_text(["Visit waiting", "Note waiting"])
    expect(page.locator("ul.clients li", has_text="Boutique Voisine").locator(".waiting")).to_have_count(0)

    page.get_by_role("link", name="Today").click()
    today = page.get_by_role("list", name="Visits today")
    expect(today).to_contain_text("Maquis Chez Tanti")
    expect(today).to_contain_text("Waiting to be sent")
    expect(page.locator(".totals")).to_contain_text("1 visit today")

    phone.set_offline(False)
    wait_synced(page)
    expect(today).not_to_contain_text("Waiting to be sent")
    page.get_by_role("link", name="Clients").click()
    expect(page.locator("ul.clients li", has_text="Maquis Chez Tanti").locator(".waiting")).to_have_count(0)
    assert Visit.objects.filter(client__name="Maquis Chez Tanti").count() == 1
    assert page.errors == []


def test_the_selection_bar_lets_go_of_a_client_that_left_the_tab(phone, pos_list_editable, rep, clerk_user):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Kouamé", north_m=10)
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Voisine", north_m=40)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)

    selection = page.locator(".selection")
    page.locator("ul.clients li", has_text="Boutique Kouamé").locator(".client-main").click()
    expect(selection).to_contain_text("1 selected")
    expect(selection.get_by_role("link", name="Start visit")).to_be_visible()

    # Its own edit now waits: the client moves to Pending, and the Synced tab's selection bar no longer acts on it.
    page.get_by_role("button", name="Actions for Boutique Kouamé").click()
    page.get_by_role("button", name="Show details").click()
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("District").fill("Yopougon")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("link", name="Clients").click()
    expect(tab(page, "Pending")).to_have_text(re.compile("Pending 1"))
    expect(page.locator("ul.clients li", has_text="Boutique Kouamé")).to_have_count(0)
    expect(selection).to_be_hidden()
    expect(page.get_by_role("link", name="Start visit")).to_be_hidden()

    tab(page, "Pending").click()
    expect(page.locator("ul.clients li", has_text="Boutique Kouamé").get_by_role("img", name="Pending")).to_be_visible()
    expect(selection).to_be_hidden()
    assert page.errors == []


def test_after_new_client_submit_the_rep_is_on_pending_with_the_client_and_told_what_happens(
    phone, pos_list_editable, rep, clerk_user
):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Alpha")
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)

    fill_new_client(page, "Épicerie Nouvelle")
    expect(tab(page, "Pending")).to_have_attribute("aria-selected", "true")
    expect(
        page.locator("ul.clients li", has_text="Épicerie Nouvelle").get_by_role("img", name="Pending")
    ).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved on this phone")).to_have_text(
        "Saved on this phone: it will be sent to the server at the next sync."
    )
    # Back from elsewhere, the same tab.
    page.get_by_role("link", name="Today").click()
    page.go_back()
    expect(tab(page, "Pending")).to_have_attribute("aria-selected", "true")
    # The client's page leads back to the tab the client is on.
    page.locator("ul.clients li", has_text="Épicerie Nouvelle").get_by_role(
        "button", name="Actions for Épicerie Nouvelle"
    ).click()
    page.get_by_role("button", name="Show details").click()
    expect(page.get_by_role("heading", name="Épicerie Nouvelle")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(tab(page, "Pending")).to_have_attribute("aria-selected", "true")

    phone.set_offline(False)
    wait_synced(page)
    expect(page.get_by_text("Nothing waits to be sent: every client is on the server.")).to_be_visible()
    assert Client.objects.filter(name="Épicerie Nouvelle").count() == 1
    assert page.errors == []


def finish_from_banner(page: Any) -> Any:
    page.locator(".visit-banner").get_by_role("button", name="Finish visit").click()
    return page.get_by_role("dialog", name="Finish the visit?")


def test_finish_visit_with_activities_left_asks_naming_what_is_done_and_can_be_undone(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Maquis Chez Tanti", north_m=10)
    # The page's clock runs as the real one, and can be moved on to the end of Undo's time instead of waiting for it.
    phone.clock.install()
    page = sign_in(phone)
    start_visit(page, "Maquis Chez Tanti")
    check_in_and_do(page, "Shelf check", {"Shelf share": "40"})
    wait_synced(page)
    page.get_by_role("link", name="Clients").click()
    banner = page.locator(".visit-banner")

    dialog = finish_from_banner(page)
    expect(dialog).to_contain_text("1 of 3 activities done. Finish anyway?")
    expect(dialog.get_by_role("button", name="Continue the visit")).to_be_focused()
    dialog.get_by_role("button", name="Continue the visit").click()
    expect(dialog).to_have_count(0)
    expect(banner).to_contain_text("Visit in progress at Maquis Chez Tanti")
    assert page.evaluate("window.fieldsales.state.outbox.length") == 0

    finish_from_banner(page).get_by_role("button", name="Finish anyway").click()
    expect(banner).to_be_hidden()
    undo = page.get_by_role("status").get_by_role("button", name="Undo")
    undo.click()
    expect(page.get_by_role("status").filter(has_text="The visit is open again.")).to_be_visible()
    expect(banner).to_contain_text("Visit in progress at Maquis Chez Tanti")
    wait_synced(page)
    assert Visit.objects.get().ended_at is None

    # Left alone, the end leaves the phone once Undo is gone.
    finish_from_banner(page).get_by_role("button", name="Finish anyway").click()
    expect(undo).to_be_visible()
    assert Visit.objects.get().ended_at is None
    page.clock.fast_forward(60_000)  # a minute on: Undo is offered for seconds
    expect(undo).to_be_hidden()
    wait_synced(page)
    assert Visit.objects.get().ended_at is not None
    assert page.errors == []


def test_undo_after_the_end_was_sent_says_so_and_the_visit_stays_finished(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Maquis Chez Tanti", north_m=10)
    page = sign_in(phone)
    start_visit(page, "Maquis Chez Tanti")
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("button", name="Finish visit").click()
    dialog = page.get_by_role("dialog", name="Finish the visit?")
    expect(dialog).to_contain_text("0 of 3 activities done. Finish anyway?")
    dialog.get_by_role("button", name="Finish anyway").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    # Another sync (the rep pulled to refresh, the network came back) sends the end before Undo.
    page.evaluate("import('/static/js/lib/sync.js').then((sync) => sync.syncNow())")
    wait_synced(page)
    page.get_by_role("status").get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status").filter(has_text="already sent")).to_have_text(
        "The end of the visit was already sent: it cannot be undone."
    )
    expect(page.get_by_role("region", name="Visit in progress")).to_have_count(0)
    assert Visit.objects.get().ended_at is not None
    assert page.errors == []


def test_with_location_refused_or_off_check_in_says_what_to_do_and_retry_works_once_it_is_on(
    browser, live_server, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Plateau", north_m=20)
    lat, lng = offset(0)
    # A phone whose rep refused location to the app: no geolocation permission.
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="en-GB",
        geolocation={"latitude": lat, "longitude": lng, "accuracy": 10},
        service_workers="allow",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = sign_in(context)
    start_visit(page, "Boutique Plateau")
    check_in = page.get_by_role("button", name="Check in")
    help_text = page.get_by_role("alert")
    expect(help_text).to_have_text(
        re.compile(r"^Location is off for this app: allow it in your phone's settings, then tap Retry\.")
    )
    expect(check_in).to_be_disabled()
    page.get_by_role("button", name="Retry").click()
    expect(help_text).to_contain_text("Location is off for this app")

    # Allowed in the phone's settings: Retry reads the position, and the check-in is allowed.
    context.grant_permissions(["geolocation"])
    page.get_by_role("button", name="Retry").click()
    distance = page.get_by_role("status").filter(has_text="Distance")
    expect(distance).to_contain_text("Distance: 20 m")
    expect(help_text).to_have_count(0)
    expect(check_in).to_be_enabled()

    # Then the phone's location goes off: no position can be found, and the rep is told to turn it on.
    devtools = context.new_cdp_session(page)
    devtools.send("Emulation.setGeolocationOverride", {})
    expect(help_text).to_have_text(
        re.compile(r"^Your phone cannot find its position: turn location on in your phone's settings, then tap Retry\.")
    )
    expect(check_in).to_be_disabled()
    # Back on, the position comes by itself (the watch goes on) and the rep checks in.
    context.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 10})
    expect(distance).to_contain_text("Distance: 20 m")
    expect(check_in).to_be_enabled()
    check_in.click()
    expect(page.get_by_role("heading", name="Visit")).to_be_visible()
    wait_synced(page)
    assert Visit.objects.count() == 1
    assert page.errors == []


def test_counts_agree_with_their_number_and_amounts_carry_the_currency_in_french(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Maquis Chez Tanti", north_m=10)
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Voisine", north_m=40)
    page = sign_in(phone)
    start_visit(page, "Maquis Chez Tanti")
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("link", name="Order taking").click()
    page.get_by_label("Quantity of Café 250 g").fill("2")
    expect(page.locator(".order-total")).to_have_text(re.compile(r"Order total: 3,000\.00\sFCFA"))
    page.get_by_role("button", name="Submit").click()
    # Back on the visit, the order done: it is in the outbox now, and sent before the app reloads.
    expect(page.locator(".activities li.done")).to_have_count(1)
    wait_synced(page)

    # The rep chooses French (Settings keeps the choice so): the app starts again in it.
    page.evaluate("localStorage.setItem('fieldsales.language', 'fr')")
    page.reload()
    page.get_by_role("link", name="Aujourd'hui").click()
    expect(page.locator(".totals")).to_have_text(re.compile(r"^1 visite aujourd'hui · commandes 3\s000,00\sFCFA$"))
    page.get_by_role("link", name="Clients").click()
    selection = page.locator(".selection span").first
    page.locator("ul.clients li", has_text="Maquis Chez Tanti").locator(".client-main").click()
    expect(selection).to_have_text("1 sélectionné")
    page.locator("ul.clients li", has_text="Boutique Voisine").locator(".client-main").click()
    expect(selection).to_have_text("2 sélectionnés")
    assert page.errors == []

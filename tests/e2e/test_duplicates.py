"""The duplicate-outlet warning: offline, New client flags a client of the rep's lists with a similar name nearby or
the same phone; Open it shows that client; Create anyway sends the pair, which the back office then lists."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from clients.models import Client, PossibleDuplicate
from tests.browser import wait_for
from tests.e2e.axe import AXE_CONTEXT, serious_violations
from tests.e2e.conftest import (
    TIMEOUT_MS,
    assigned_client,
    go_offline,
    offset,
    open_phone,
    sign_in,
    wait_controlled,
    wait_synced,
)
from tests.factories import make_client


def offline_new_client(context: Any) -> Any:
    """The rep's phone, signed in, synced, then offline on a blank New client form."""
    page = sign_in(context)
    wait_for(page, "window.fieldsales.state.rules?.duplicates?.radius_m > 0")
    wait_controlled(page)
    go_offline(context, page)
    page.get_by_role("link", name="New client").click()
    expect(page.get_by_role("heading", name="New client")).to_be_visible()
    return page


def test_a_similar_name_nearby_is_flagged_offline_and_open_it_shows_that_client(
    phone, pos_list_editable, rep, clerk_user
):
    near = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Chez Awa", north_m=60)
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Chez Awa", north_m=400)
    assigned_client(clerk_user, pos_list_editable, rep, "Pharmacie du Port", north_m=10)
    page = offline_new_client(phone)
    warning = page.get_by_role("status").filter(has_text="may already be on your lists")

    page.get_by_label("Name").fill("boutique chez awá")

    expect(warning).to_be_visible()
    # The one 60 m away: the same name 400 m away is another outlet, and the client next door has another name.
    expect(warning.get_by_role("listitem")).to_have_count(1)
    expect(warning.get_by_role("listitem")).to_contain_text("Boutique Chez Awa")
    expect(warning).to_contain_text("Similar name, 60 m away")
    expect(page.get_by_role("button", name="Create anyway")).to_be_visible()

    page.get_by_label("Name").fill("Quincaillerie Moderne")
    expect(warning).to_be_hidden()
    expect(page.get_by_role("button", name="Submit")).to_be_visible()

    page.get_by_label("Name").fill("Boutique chez Awa.")
    warning.get_by_role("link", name="Open it").click()
    expect(page).to_have_url(f"{page.url.split('#')[0]}#/client/{near.pk}/info")
    expect(page.get_by_role("heading", name="Boutique Chez Awa")).to_be_visible()
    assert page.errors == []


def test_the_same_phone_is_flagged_whatever_the_name_and_the_distance(phone, pos_list_editable, rep, clerk_user):
    lat, lng = offset(3000)
    make_client(
        pos_list_editable, "Kiosque Bleu", user=clerk_user, reps=(rep,), lat=lat, lng=lng, phone="+2250701020304"
    )
    page = offline_new_client(phone)
    warning = page.get_by_role("status").filter(has_text="may already be on your lists")

    page.get_by_label("Name").fill("Cabine Téléphonique")
    page.get_by_label("Phone").fill("07 01 02 03 04")

    expect(warning).to_contain_text("Kiosque Bleu")
    expect(warning).to_contain_text("Same phone number")
    page.get_by_label("Phone").fill("07 01 02 03 05")
    expect(warning).to_be_hidden()
    assert page.errors == []


def test_create_anyway_sends_the_pair_and_the_back_office_lists_it(
    phone, browser, live_server, pos_list_editable, rep, clerk_user
):
    existing = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Chez Awa", north_m=60)
    page = offline_new_client(phone)
    page.get_by_label("Name").fill("boutique chez awá")
    page.get_by_label("District").fill("Treichville")
    page.get_by_label("Category").select_option("Épicerie")
    create = page.get_by_role("button", name="Create anyway")
    expect(create).to_be_enabled()

    create.click()
    wait_for(page, "window.fieldsales.state.outbox.length === 1")
    assert page.evaluate("window.fieldsales.state.outbox[0].data.similar_to") == [str(existing.pk)]
    assert not PossibleDuplicate.objects.exists()
    phone.set_offline(False)
    wait_synced(page)

    new = Client.objects.get(name="boutique chez awá")
    pair = PossibleDuplicate.objects.get()
    assert (pair.new_client, pair.existing_client, pair.rep) == (new, existing, rep)
    admin = clerk_page(browser, live_server)
    admin.goto("/admin/clients/possibleduplicate/")
    row = admin.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("boutique chez awá")
    expect(row).to_contain_text("Boutique Chez Awa")
    expect(row).to_contain_text("60 m")
    row.get_by_role("link", name="Boutique Chez Awa", exact=True).click()
    expect(admin.get_by_role("textbox", name="Name")).to_have_value("Boutique Chez Awa")


def clerk_page(browser: Any, live_server: Any) -> Any:
    """The back office, signed in as the clerk."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("fieldsales")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def test_the_warning_has_no_serious_accessibility_violation_in_french(
    browser, live_server, pos_list_editable, rep, clerk_user
):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Chez Awa", north_m=60)
    context = open_phone(browser, live_server.url, **AXE_CONTEXT, locale="fr-FR")
    page = sign_in(context, rep.username)
    page.get_by_role("link", name="Nouveau client").click()
    page.locator("#field-name").fill("boutique chez awá")
    expect(page.locator("#duplicates li")).to_have_count(1)
    expect(page.locator("#duplicates a")).to_have_attribute("aria-label", re.compile("Boutique Chez Awa"))

    assert serious_violations(page, "new client, duplicate warning") == []

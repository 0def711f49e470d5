"""The rep's screens on a phone, as issue 17 found them: no stray "null" on a client's page, nothing floating over the
last row, Info and KPIs laid out for a narrow screen, Settings in words when the network or the session is gone, one
entry per page in the ⋮ menu, and Settings saying whether signing out is safe.

With SCREENSHOTS_DIR set, the French tests also save each screen they check there (screens-*.png)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from clients.models import AttributeDefinition, Client
from kpis.models import KpiDefinition, KpiFolder, LedgerEntry
from kpis.services import kpi_cards_refresh, kpi_folder_changed
from tests.browser import wait_for
from tests.e2e.conftest import assigned_client, go_offline, open_phone, sign_in, wait_controlled
from tests.e2e.test_offline_client_create import fill_new_client
from tests.e2e.test_visits import sales_visit, start_visit  # noqa: F401 (sales_visit is a fixture)

# The phone of the screenshots.
FRENCH_PHONE = {"width": 393, "height": 851}
LONG_LABEL_EN = "Average monthly turnover declared by the manager (FCFA)"
LONG_LABEL_FR = "Chiffre d'affaires mensuel moyen déclaré par le gérant (FCFA)"
LONG_EMAIL = "direction.commerciale.superette-du-plateau@distribution-abidjan-exemple.ci"
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"screens-{name}.png"))


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def scroll_to_end(page: Any) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    wait_for(page, "Math.ceil(window.scrollY + window.innerHeight) >= document.documentElement.scrollHeight")


def assert_last_row_uncovered(page: Any, *floating: Any) -> None:
    """The last row's ⋮ and sync ticks, scrolled to the end, are under none of `floating`."""
    last = page.locator("ul.clients > li").last
    parts = [last.locator("button.more"), last.locator(".status")]
    # Each box read in one step in the page (a locator's evaluate waits for its element): the list is drawn again at
    # each change of the phone's store, and an element read between two drawings has no box.
    box = "node => node.getBoundingClientRect().toJSON()"
    for part in parts:
        for thing in floating:
            expect(thing).to_be_visible()
            assert not overlap(part.evaluate(box), thing.evaluate(box)), f"{thing} covers the last row"


def open_details(page: Any, name: str) -> None:
    page.get_by_role("button", name=f"Actions for {name}").click()
    page.get_by_role("button", name="Show details").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def long_labelled_client(clerk: Any, client_list: Any, rep: Any) -> Client:
    """A client whose turnover attribute has a long label and a big amount, with a long email and a phone."""
    AttributeDefinition.objects.filter(client_list=client_list, key="ca_mensuel").update(
        label_en=LONG_LABEL_EN, label_fr=LONG_LABEL_FR
    )
    client = assigned_client(
        clerk,
        client_list,
        rep,
        "Supérette du Plateau",
        north_m=20,
        ca_mensuel="13395000",
        surface_m2=1250,
        gerant_email=LONG_EMAIL,
    )
    Client.objects.filter(pk=client.pk).update(phone="+2250701020304")
    return client


@pytest.fixture
def account_kpis(transactional_db: None) -> None:
    """An Account folder: the balance and the overdue amount (money), and the days of the oldest overdue item."""
    folder = KpiFolder.objects.create(name_en="Account", name_fr="Compte")
    money, days = KpiDefinition.Display.MONEY, KpiDefinition.Display.DAYS
    for order, (key, metric, display, label_en, label_fr) in enumerate(
        [
            ("balance", "debt_balance", money, "Balance of the client's account", "Solde du compte du client"),
            ("overdue", "debt_overdue", money, "Overdue", "Échu"),
            ("overdue_days", "debt_overdue_days", days, "Oldest overdue invoice", "Plus ancienne facture échue"),
        ]
    ):
        KpiDefinition.objects.create(
            key=key, metric=metric, display=display, folder=folder, order=order, label_en=label_en, label_fr=label_fr
        )
    kpi_folder_changed(folder=folder)


def with_debt(client: Client) -> None:
    old = dt.date.today() - dt.timedelta(days=40)
    LedgerEntry.objects.create(
        client=client, date=old, kind="invoice", reference="F-1", amount=Decimal("13395000"), due_date=old
    )
    kpi_cards_refresh(client_ids=[client.pk])


@pytest.fixture
def french_phone(browser: Any, live_server: Any, rep: Any) -> Iterator[Any]:
    """The issue's phone: 393×851, in French, the rep's language French too. No service worker: these tests go
    offline without reloading, and Playwright routes only what no service worker answers. A test asks for its list
    before this phone: a rep made before the list's access is granted is not sent the list."""
    from fieldsales.accounts import rep_language_set

    rep_language_set(user=rep, language="fr")
    context = open_phone(browser, live_server.url, viewport=FRENCH_PHONE, locale="fr-FR", service_workers="block")
    yield context
    context.close()


def test_no_null_text_on_a_client_page_or_any_of_its_tabs(phone, pos_list_editable, rep, clerk_user):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Awa", north_m=20)
    page = sign_in(phone)
    open_details(page, "Boutique Awa")
    view = page.locator("#view")
    for tab, shown in [
        ("Info", "Created by"),
        ("History", "No visits yet."),
        ("Notes", "No notes yet."),
        ("KPIs", "No KPIs yet"),
    ]:
        page.get_by_role("link", name=tab, exact=True).click()
        expect(page.get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
        expect(view).to_contain_text(shown)
        assert not re.search(r"\bnull\b", view.inner_text()), f"{tab}: {view.inner_text()!r}"
    assert page.errors == []


def test_the_menu_has_one_entry_for_the_details_page(phone, pos_list_editable, rep, clerk_user):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Awa", north_m=20)
    page = sign_in(phone)
    page.get_by_role("button", name="Actions for Boutique Awa").click()
    menu = page.get_by_role("dialog", name="Boutique Awa")
    expect(menu.get_by_role("button", name="Show details")).to_have_count(1)
    expect(menu.get_by_role("button", name="Info", exact=True)).to_have_count(0)
    expect(menu.get_by_role("button", name="History")).to_have_count(1)
    menu.get_by_role("button", name="Show details").click()
    expect(page.get_by_role("link", name="Info", exact=True)).to_have_attribute("aria-current", "page")


def test_the_last_row_can_be_scrolled_out_from_under_new_client(phone, pos_list_editable, rep, clerk_user):
    for n in range(1, 13):
        assigned_client(clerk_user, pos_list_editable, rep, f"Boutique {n:02}", north_m=20 * n)
    page = sign_in(phone)
    expect(page.locator("ul.clients > li")).to_have_count(12)
    scroll_to_end(page)
    assert_last_row_uncovered(
        page, page.get_by_role("link", name="New client"), page.get_by_role("navigation", name="Sections")
    )


def test_while_checked_in_the_badge_and_the_banner_leave_rows_and_text_room(
    phone,
    pos_list_editable,
    rep,
    clerk_user,
    sales_visit,  # noqa: F811 (the fixture imported above)
):
    for n in range(1, 13):
        assigned_client(clerk_user, pos_list_editable, rep, f"Boutique {n:02}", north_m=20 * n)
    page = sign_in(phone)
    start_visit(page, "Boutique 01")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("heading", name="Visit")).to_be_visible()
    page.get_by_role("link", name="Clients").click()
    badge = page.get_by_role("link", name="Checked in at Boutique 01")
    banner = page.locator(".visit-banner")
    expect(banner).to_contain_text("Boutique 01")
    # The banner's text spans most of the screen's width, not a narrow column beside its buttons.
    # (Measured in one go: the banner is drawn again at each change of the phone's store.)
    width = banner.evaluate("n => n.querySelector(':scope > :not(button):not(.button)').getBoundingClientRect().width")
    assert width > 0.6 * page.viewport_size["width"]
    scroll_to_end(page)
    assert_last_row_uncovered(page, badge, page.get_by_role("link", name="New client"))


def test_info_puts_long_labels_above_their_values_formats_amounts_and_dials_the_phone(
    phone, pos_list_editable, rep, clerk_user
):
    client = long_labelled_client(clerk_user, pos_list_editable, rep)
    page = sign_in(phone)
    page.goto(f"/#/client/{client.pk}/info")
    info = page.locator("dl.attributes")
    turnover = info.locator("div", has_text=LONG_LABEL_EN)
    expect(turnover.locator("dd")).to_have_text("13,395,000")
    expect(info.locator("div", has_text="Area (m²)").locator("dd")).to_have_text("1,250")
    label, value = turnover.locator("dt").bounding_box(), turnover.locator("dd").bounding_box()
    assert label["y"] + label["height"] <= value["y"], "the value sits below its label"
    assert value["width"] > 0.8 * label["width"], "the value has the row's width, not a narrow column"
    wait_for(page, NO_OVERFLOW)
    email = info.locator("dd", has_text=LONG_EMAIL)
    assert email.bounding_box()["x"] + email.bounding_box()["width"] <= page.viewport_size["width"]
    expect(info.get_by_role("link", name="07 01 02 03 04")).to_have_attribute("href", "tel:+2250701020304")


def test_kpi_values_line_up_on_the_right_with_their_currency(phone, pos_list_editable, rep, clerk_user, account_kpis):
    client = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Endettée", north_m=20)
    with_debt(client)
    page = sign_in(phone)
    page.goto(f"/#/client/{client.pk}/kpis")
    panel = page.get_by_role("tabpanel", name="Account")
    expect(panel.locator("dd").first).to_have_text(re.compile(r"^13,395,000\.00\sFCFA$"))
    rows = panel.locator(".kpi")
    expect(rows).to_have_count(3)
    assert rows.first.evaluate("node => getComputedStyle(node).display") == "flex"
    rights = {round(box["x"] + box["width"]) for box in (dd.bounding_box() for dd in panel.locator("dd").all())}
    panel_box = panel.bounding_box()
    assert rights == {round(panel_box["x"] + panel_box["width"])}, "every value ends at the panel's right edge"
    for row in rows.all():
        label, value = row.locator("dt").bounding_box(), row.locator("dd").bounding_box()
        assert abs(label["y"] - value["y"]) < 12, "each value is on its label's line"
    wait_for(page, NO_OVERFLOW)


def test_settings_says_in_words_that_the_network_is_gone(phone, pos_list_editable, rep):
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Sync now").click()
    section = page.get_by_role("region", name="Sync", exact=True)
    expect(section).to_contain_text("No network: your changes are kept on this phone")
    expect(section).not_to_contain_text("Failed to fetch")
    expect(section).not_to_contain_text("TypeError")


def test_settings_says_in_words_that_the_network_did_not_answer(browser, live_server, pos_list_editable, rep):
    context = open_phone(browser, live_server.url, service_workers="block")
    page = sign_in(context, rep.username)
    # Online as far as the phone knows, but nothing comes back: a weak network's usual failure.
    context.route("**/api/sync/**", lambda route: route.abort("connectionfailed"))
    page.goto("/#/settings")
    page.get_by_role("button", name="Sync now").click()
    section = page.get_by_role("region", name="Sync", exact=True)
    expect(section).to_contain_text("The network did not answer; the phone tries again by itself.")
    expect(section).not_to_contain_text("Failed to fetch")
    context.close()


def test_settings_offers_to_sign_in_again_when_the_session_has_ended(phone, pos_list_editable, rep):
    page = sign_in(phone)
    page.get_by_role("link", name="Settings").click()
    Session.objects.all().delete()
    page.get_by_role("button", name="Sync now").click()
    section = page.get_by_role("region", name="Sync", exact=True)
    expect(section).to_contain_text("Your session has ended")
    expect(section.get_by_role("link", name="Sign in again")).to_have_attribute("href", re.compile(r"/login/"))
    expect(section).not_to_contain_text("TypeError")


def test_with_everything_on_the_server_settings_says_so_and_sign_out_asks_nothing(phone, pos_list_editable, rep):
    page = sign_in(phone)
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("#sign-out-state")).to_have_text(
        "Everything is saved on the server — you can sign out or change phone."
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/**")


def test_work_still_on_the_phone_is_named_and_signing_out_asks_then_keeps_it_for_the_next_sign_in(
    browser, live_server, pos_list_editable, rep, clerk_user
):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Awa", north_m=20)
    context = open_phone(browser, live_server.url, service_workers="block")
    # The server takes no change: what the rep does stays on the phone.
    context.route("**/api/sync/push", lambda route: route.fulfill(status=503, body="busy"))
    page = sign_in(context, rep.username)
    fill_new_client(page, "Boutique Nouvelle")
    page.goto("/#/settings")
    state = page.locator("#sign-out-state")
    expect(state).to_contain_text("Still on this phone, not yet on the server: 1 new client.")
    expect(state).to_contain_text("Clients concerned: Boutique Nouvelle.")
    expect(page.get_by_role("region", name="Sync", exact=True)).to_contain_text(
        "The server could not take the changes just now; the phone tries again by itself."
    )

    page.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog", name="Sign out with work still on this phone?")
    expect(dialog).to_contain_text("they stay on this phone and are sent when you sign in here again")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile("#/settings$"))
    expect(page.locator("#pending-count")).to_have_text("1")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("dialog").get_by_role("button", name="Sign out anyway").click()
    page.wait_for_url("**/login/**")
    assert not Client.objects.filter(name="Boutique Nouvelle").exists()

    # The same rep signs in again on this phone, the server takes changes again: the new client reaches it.
    context.unroute("**/api/sync/push")
    sign_in(context, rep.username)
    assert Client.objects.filter(name="Boutique Nouvelle").count() == 1
    context.close()


# The same screens in French on the phone: nothing wider than the screen, and what each test above checks
# holds in the longer French words too.


def test_in_french_the_list_its_floating_buttons_and_the_visit_banner_fit_the_phone(
    pos_list_editable,
    french_phone,
    rep,
    clerk_user,
    sales_visit,  # noqa: F811 (the fixture imported above)
    live_server,
):
    for n in range(1, 13):
        assigned_client(clerk_user, pos_list_editable, rep, f"Boutique {n:02}", north_m=20 * n)
    page = sign_in(french_phone, rep.username)
    new_client = page.get_by_role("link", name="Nouveau client")
    scroll_to_end(page)
    assert_last_row_uncovered(page, new_client)
    wait_for(page, NO_OVERFLOW)
    shoot(page, "list-end")

    page.get_by_role("button", name="Actions pour Boutique 01").click()
    menu = page.get_by_role("dialog", name="Boutique 01")
    expect(menu.get_by_role("button", name="Afficher les détails")).to_have_count(1)
    expect(menu.get_by_role("button", name="Info", exact=True)).to_have_count(0)
    shoot(page, "menu")
    menu.get_by_role("button", name="Commencer la visite").click()
    page.get_by_role("button", name="S'enregistrer").click()
    expect(page.get_by_role("heading", name="Visite", exact=True)).to_be_visible()
    page.get_by_role("link", name="Clients").click()
    expect(page.locator(".visit-banner")).to_contain_text("Boutique 01")
    width = page.locator(".visit-banner").evaluate(
        "n => n.querySelector(':scope > :not(button):not(.button)').getBoundingClientRect().width"
    )
    assert width > 0.6 * page.viewport_size["width"]
    wait_for(page, NO_OVERFLOW)
    shoot(page, "visit-banner")
    scroll_to_end(page)
    assert_last_row_uncovered(page, page.get_by_role("link", name="Enregistré chez Boutique 01"), new_client)
    shoot(page, "list-end-checked-in")


def test_in_french_info_and_kpis_fit_the_phone_with_french_numbers(
    pos_list_editable, french_phone, rep, clerk_user, account_kpis, live_server
):
    client = long_labelled_client(clerk_user, pos_list_editable, rep)
    with_debt(client)
    page = sign_in(french_phone, rep.username)
    page.goto(f"/#/client/{client.pk}/info")
    info = page.locator("dl.attributes")
    # French groups digits with a narrow no-break space.
    expect(info.locator("div", has_text=LONG_LABEL_FR).locator("dd")).to_have_text(re.compile(r"^13\s395\s000$"))
    expect(info.get_by_role("link", name="07 01 02 03 04")).to_have_attribute("href", "tel:+2250701020304")
    wait_for(page, NO_OVERFLOW)
    assert not re.search(r"\bnull\b", page.locator("#view").inner_text())
    shoot(page, "info")
    page.get_by_role("link", name="KPIs", exact=True).click()
    panel = page.get_by_role("tabpanel", name="Compte")
    expect(panel.locator("dd").first).to_have_text(re.compile(r"^13\s395\s000,00\sFCFA$"))
    wait_for(page, NO_OVERFLOW)
    assert not re.search(r"\bnull\b", page.locator("#view").inner_text())
    shoot(page, "kpis")


def test_in_french_settings_says_what_is_safe_and_what_waits(pos_list_editable, french_phone, rep, live_server):
    page = sign_in(french_phone, rep.username)
    page.get_by_role("link", name="Paramètres").click()
    expect(page.locator("#sign-out-state")).to_contain_text("Tout est sauvegardé sur le serveur")
    wait_for(page, NO_OVERFLOW)
    shoot(page, "settings-safe")

    french_phone.set_offline(True)
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="Nouveau client").click()
    page.get_by_label("Nom").fill("Quincaillerie Nouvelle")
    page.get_by_label("Quartier").fill("Treichville")
    page.get_by_label("Catégorie").select_option("Épicerie")
    page.get_by_role("button", name="Soumettre").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    expect(page.locator(".toast")).to_have_count(0)  # the word after Submit, gone after a few seconds
    page.get_by_role("link", name="Paramètres").click()
    state = page.locator("#sign-out-state")
    expect(state).to_contain_text("1 nouveau client")
    expect(state).to_contain_text("Quincaillerie Nouvelle")
    expect(page.get_by_role("region", name="Synchronisation", exact=True)).to_contain_text("Pas de réseau")
    wait_for(page, NO_OVERFLOW)
    shoot(page, "settings-waiting")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("dialog")).to_contain_text("1 nouveau client")
    shoot(page, "sign-out-confirm")


def test_in_french_settings_says_the_session_has_ended_and_offers_to_sign_in_again(
    pos_list_editable, french_phone, rep, live_server
):
    page = sign_in(french_phone, rep.username)
    page.get_by_role("link", name="Paramètres").click()
    Session.objects.all().delete()
    page.get_by_role("button", name="Synchroniser maintenant").click()
    section = page.get_by_role("region", name="Synchronisation", exact=True)
    expect(section).to_contain_text("Votre session a expiré")
    expect(section.get_by_role("link", name="Se reconnecter")).to_be_visible()
    expect(section).not_to_contain_text("TypeError")
    wait_for(page, NO_OVERFLOW)
    shoot(page, "settings-session-ended")

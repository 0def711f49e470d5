"""The rep's app passes axe-core (no serious or critical violation) and the keyboard (every control reached by Tab,
and named) on each screen: the list and its sheets, the client's details (each section), New client, a visit (check
in, the visit, each activity) and Settings, in French and in English.

Each screen is checked as a rep sees it, with data in it (a visit, a note, KPIs, a statement to send, an error on the
form); every failure of a group of screens is listed at once, rule, impact, element and help, so that a run says all
that is left to fix.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Client
from fieldsales.geo import Position
from kpis.models import KpiDefinition, KpiFolder, LedgerEntry
from kpis.services import kpi_cards_refresh, kpi_folder_changed
from tests.browser import wait_for
from tests.e2e.axe import AXE_CONTEXT, audit
from tests.e2e.conftest import assigned_client, go_offline, offset, open_phone, wait_controlled, wait_synced
from tests.factories import make_visit_workflow
from workflows.models import Activity, Repeat, VisitPlan
from workflows.services import note_create, product_changed, visit_check_in, visit_end, workflow_changed

LANGUAGES = [pytest.param(("fr-FR", "fr"), id="fr"), pytest.param(("en-GB", "en"), id="en")]
NAV = ".nav a"


@pytest.fixture(params=LANGUAGES)
def speaking_phone(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[tuple[Any, str]]:
    """A phone in French or English (the app speaks the phone's language to a rep who chose none), at Abidjan."""
    locale, language = request.param
    context = open_phone(browser, live_server.url, **AXE_CONTEXT, locale=locale)
    yield context, language
    context.close()


@pytest.fixture
def shops(pos_list_editable: Any, rep: Any, clerk_user: Any) -> dict[str, Any]:
    """Two clients of the rep, one with every attribute, a phone, statements, yesterday's visit with a note, and KPIs;
    a sales visit (a form, an order, a note) and its products."""
    made = make_visit_workflow((("Café 250 g", "1500"), ("Sucre 1 kg", "800")), with_note=True)
    workflow_changed(workflow=made["workflow"])
    for product in made["products"]:
        product_changed(product=product)
    full = assigned_client(
        clerk_user,
        pos_list_editable,
        rep,
        "Boutique Adjoua",
        north_m=10,
        surface_m2=40,
        ca_mensuel="13395000",
        ouverture="2024-03-01",
        frigo=True,
        services=["Mobile money", "Crédit"],
        gerant_email="adjoua@example.com",
    )
    Client.objects.filter(pk=full.pk).update(statement_enabled=True, phone="+2250701020304")
    far = assigned_client(clerk_user, pos_list_editable, rep, "Épicerie du Marché", north_m=400)
    yesterday = timezone.now() - dt.timedelta(days=1)
    lat, lng = offset(10)
    visit = visit_check_in(
        rep=rep,
        visit_id=uuid.uuid4(),
        client=full,
        workflow=made["workflow"],
        position=Position(lat, lng, 8),
        at=yesterday,
    )
    note_create(
        author=rep, note_id=uuid.uuid4(), client=full, visit=visit, text="Le gérant veut une promotion.", at=yesterday
    )
    visit_end(rep=rep, visit=visit, at=yesterday + dt.timedelta(minutes=20))
    for position, (name_en, name_fr, key, metric) in enumerate(
        [("Sales", "Ventes", "last_order", "previous_order_value"), ("Activity", "Activité", "visits", "visits_count")]
    ):
        folder = KpiFolder.objects.create(name_en=name_en, name_fr=name_fr)
        KpiDefinition.objects.create(
            key=key, metric=metric, folder=folder, order=position, label_en=name_en, label_fr=name_fr, params={}
        )
        kpi_folder_changed(folder=folder)
    # Today's plan: both planned today, the far one weekly since last week (missed then) and owing an invoice overdue.
    today = timezone.localdate()
    VisitPlan.objects.create(rep=rep, client=full, workflow=made["workflow"], starts_on=today)
    last_week = today - dt.timedelta(days=7)
    VisitPlan.objects.create(rep=rep, client=far, workflow=made["workflow"], starts_on=last_week, repeat=Repeat.WEEKLY)
    LedgerEntry.objects.create(
        client=far, date=last_week, due_date=last_week, kind=LedgerEntry.Kind.INVOICE, reference="F-1", amount="9000"
    )
    kpi_cards_refresh(client_ids=[full.pk, far.pk])
    return {"full": full, "far": far, **made}


def signed_in(context: Any, language: str) -> Any:
    """Signs in through the sign-in page by its fields (its words are the phone's language), waits for the first sync
    and checks that the app speaks `language`."""
    page = context.new_page()
    page.goto("/")
    page.locator("input[name=username]").fill("awa")
    page.locator("input[name=password]").fill("fieldsales")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url("**/")
    wait_synced(page)
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def shown(page: Any, route: str, ready: str) -> None:
    """Goes to `route` of the app and waits for `ready` (a CSS selector) on it."""
    page.evaluate("(route) => { location.hash = route; }", route)
    expect(page.locator(ready).first).to_be_visible()


def check(page: Any, screen: str, main_actions: str = "") -> list[str]:
    """`audit` of the screen once the app is idle: the end of a sync redraws it."""
    wait_synced(page)
    return audit(page, screen, main_actions)


def close_sheet(page: Any) -> None:
    page.keyboard.press("Escape")
    expect(page.locator("dialog[open]")).to_have_count(0)


def list_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    problems = check(page, "list", f"{NAV}, ul.clients .client-main, ul.clients .more, .fab, .toolbar button")
    page.locator("header.bar .icon-button").click()
    expect(page.locator("input.search")).to_be_visible()
    problems += check(page, "list, search open", "input.search")
    page.locator("ul.clients .client-main").first.click()
    expect(page.locator(".selection .start-visit")).to_be_visible()
    problems += check(page, "list, a client selected", ".selection .start-visit, .selection button")
    page.locator(".selection button").click()
    page.locator("ul.clients .more").first.click()
    problems += check(page, "⋮ menu", "dialog .menu-item")
    close_sheet(page)
    page.locator(".toolbar button").first.click()
    problems += check(page, "filter sheet", "dialog button[type=submit], dialog select")
    close_sheet(page)
    return problems


def card_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    card = f"#/client/{shops['full'].pk}"
    shown(page, f"{card}/info", "dl.attributes")
    problems = check(page, "client: info", "nav.tabs a, .toolbar .button, .fab")
    shown(page, f"{card}/history", "ol.history li")
    problems += check(page, "client: history", "nav.tabs a, .section button")
    shown(page, f"{card}/notes", "ul.notes li")
    problems += check(page, "client: notes", "nav.tabs a")
    shown(page, f"{card}/kpis", "[role=tabpanel]")
    problems += check(page, "client: KPIs", "[role=tab]")
    page.locator(".toolbar button.secondary").click()
    problems += check(page, "send account statement", "dialog input, dialog button[type=submit]")
    close_sheet(page)
    return problems


def form_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    shown(page, "#/new", "form.client-form")
    expect(page.locator("output.gps")).not_to_have_text("")
    problems = check(page, "new client", "form input, form select, form .actions a")
    page.locator("#field-gerant_email").fill("pas-un-email")
    page.locator("#field-name").fill("Kiosque Accessible")
    page.locator("#field-surface_m2").fill("beaucoup")
    expect(page.locator("[data-error-for=gerant_email]")).not_to_have_text("")
    problems += check(page, "new client, with errors", "form input, form select")
    return problems


def visit_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    shown(page, f"#/visit/start/{shops['far'].pk}", ".checkin")
    problems = check(page, "check-in, too far", NAV)
    shown(page, f"#/visit/start/{shops['full'].pk}", ".checkin button.primary:enabled")
    problems += check(page, "check-in", ".checkin button.primary")
    page.locator(".checkin button.primary").click()
    expect(page.locator("ol.activities")).to_be_visible()
    problems += check(page, "visit", "ol.activities a, .actions button")
    page.locator("ol.activities a").nth(0).click()
    problems += check(page, "activity: form", "form input, form .actions a")
    page.locator("form input").first.fill("40")
    page.locator("form button[type=submit]").click()
    # Back on the visit once the form is kept (asynchronously): only then is the next activity's link the one to tap.
    expect(page.locator("ol.activities li.done")).to_have_count(1)
    page.locator("ol.activities a").nth(1).click()
    page.locator("ul.products input").first.fill("2")
    expect(page.locator("ul.products output").first).not_to_have_text("")
    problems += check(page, "activity: order", "input.search, ul.products input, form button[type=submit]")
    page.locator("form button[type=submit]").click()
    expect(page.locator("ol.activities li.done")).to_have_count(2)
    page.locator("ol.activities a").nth(2).click()
    problems += check(page, "activity: note", "textarea, form .actions a")
    page.locator("form .actions a").click()
    expect(page.locator("ol.activities li.done")).to_have_count(2)
    problems += check(page, "visit, two activities done", "ol.activities a, .actions button")
    shown(page, "#/today", ".in-progress")
    expect(page.locator(".stops li.due .debt")).to_be_visible()
    problems += check(page, "today, visit in progress", ".in-progress a, .in-progress button, .stops a")
    shown(page, "#/clients", ".visit-banner:not([hidden])")
    problems += check(page, "list, visit in progress", ".visit-banner a, .visit-banner button, .visit-badge a")
    return problems


def settings_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    shown(page, "#/settings", "main button")
    return check(page, "settings", "main button, main select")


def offline_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    """Offline: the banner, a new client on the Pending tab, a visit and the changes waiting in Settings; back online,
    a check-in the server refused, as a sync alert in Settings and on the client."""
    wait_controlled(page)
    go_offline(page.context, page)
    problems = audit(page, "list, offline", NAV)
    shown(page, "#/new", "form.client-form")
    page.locator("#field-name").fill("Kiosque Hors Ligne")
    page.locator("#field-quartier").fill("Treichville")
    page.locator("#field-categorie").select_option("Boutique")
    page.locator("form button[type=submit]").click()
    shown(page, "#/clients", "[data-tab=pending]")
    page.locator("[data-tab=pending]").click()
    expect(page.locator("ul.clients .status.pending").first).to_be_visible()
    problems += audit(page, "list, Pending tab, offline", "ul.clients .client-main")
    lat, lng = offset(-40)  # 50 m from the client, within the check-in radius (100 m)
    page.context.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 10})
    shown(page, f"#/visit/start/{shops['full'].pk}", ".checkin button.primary:enabled")
    page.locator(".checkin button.primary").click()
    expect(page.locator("ol.activities")).to_be_visible()
    shown(page, "#/today", ".in-progress")
    problems += audit(page, "today, offline", ".in-progress a")
    shown(page, "#/settings", "main button")
    problems += audit(page, "settings, changes waiting", "main button")
    # Meanwhile the back office narrows the check-in radius: the server refuses the visit, which comes back as an alert.
    Activity.objects.filter(workflow=shops["workflow"]).update(radius_m=20)
    page.context.set_offline(False)
    wait_for(page, "window.fieldsales.state.alerts.size > 0 && !window.fieldsales.state.sync.running")
    expect(page.locator(".alert-item").first).to_be_visible()
    problems += audit(page, "settings, a sync alert", ".alert-item button")
    shown(page, f"#/client/{shops['full'].pk}/info", ".banner.warn")
    problems += audit(page, "client with a sync alert", ".banner.warn a")
    return problems


def sign_in_screens(page: Any, shops: dict[str, Any]) -> list[str]:
    """The sign-in page as a signed-out phone opens the app, then with a wrong password."""
    page.goto("/")
    expect(page.locator("input[name=username]")).to_be_visible()
    problems = audit(page, "sign-in", "input[name=username], input[name=password], [type=submit]")
    page.locator("input[name=username]").fill("awa")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("input[name=password]")).to_have_value("")
    return problems + audit(page, "sign-in, wrong password", "input[name=username], [type=submit]")


WALKS = {
    "sign-in": sign_in_screens,
    "list": list_screens,
    "card": card_screens,
    "form": form_screens,
    "visit": visit_screens,
    "settings": settings_screens,
    "offline": offline_screens,
}


# The walks one signed-in phone takes in turn (one sign-in, one first sync and one set of data for each group): the
# visit's comes last, as it leaves a visit in progress; offline has its own phone, as it changes the server's rules.
GROUPS = {"screens": ("sign-in", "list", "card", "form", "settings", "visit"), "offline": ("offline",)}


@pytest.mark.parametrize("group", GROUPS)
def test_every_screen_passes_axe_and_the_keyboard_in_both_languages(
    speaking_phone: tuple[Any, str], shops: dict[str, Any], group: str
) -> None:
    context, language = speaking_phone
    errors: list[str] = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    problems: list[str] = []
    page = None
    for walk in GROUPS[group]:
        if walk == "sign-in":
            problems += sign_in_screens(context.new_page(), shops)
            continue
        page = page or signed_in(context, language)
        problems += WALKS[walk](page, shops)
    assert not problems, f"{len(problems)} accessibility failures ({language}):\n" + "\n".join(problems)
    assert errors == []


@pytest.mark.parametrize("speaking_phone", [pytest.param(("en-GB", "en"), id="en")], indirect=True)
def test_the_audit_fails_on_a_serious_violation_and_an_unreachable_or_unnamed_control(
    speaking_phone: tuple[Any, str], shops: dict[str, Any]
) -> None:
    """The checks can fail: a button without a name, a grey-on-white text and a link out of the Tab order added to
    the list are each reported."""
    context, language = speaking_phone
    page = signed_in(context, language)
    page.evaluate(
        """() => {
            const main = document.getElementById("view");
            main.insertAdjacentHTML("beforeend",
                '<button class="broken-button"></button><p class="pale">Texte pâle</p>'
                + '<a class="hidden-link" href="#/today" tabindex="-1">Aujourd’hui</a>');
            Object.assign(main.querySelector(".pale").style, { color: "#ccc", background: "#fff" });
        }"""
    )
    problems = "\n".join(audit(page, "broken"))
    assert "button-name [critical]" in problems and ".broken-button" in problems
    assert "color-contrast [serious]" in problems and ".pale" in problems
    assert "not reached by Tab (tabindex -1) — <a> “Aujourd’hui”" in problems
    assert "no accessible name — <button> “”" in problems

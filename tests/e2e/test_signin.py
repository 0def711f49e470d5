"""The sign-in page, FieldSales' own: on a phone in the rep's language, clear about wrong passwords and lockouts, still
there offline to say what to do, and where the back office lands too. With it, what an offline reload asks the network
for (the manifest) and what a page naming no icon asks for (/favicon.ico)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import go_offline, open_phone, sign_in, wait_controlled, wait_synced

PHONE_393 = {"width": 393, "height": 851}
WRONG = "not-the-password"


@pytest.fixture
def french_phone(browser: Any, live_server: Any) -> Iterator[Any]:
    """A 393×851 phone whose browser speaks French, as most reps' do. Its position is granted, as on a rep's phone: a
    first sync without one waits for it (1.5 s) before asking for the nearest clients."""
    context = open_phone(browser, live_server.url, viewport=PHONE_393, locale="fr-FR")
    yield context
    context.close()


def sign_in_fr(page: Any, password: str = "fieldsales") -> None:
    page.get_by_label("Nom d’utilisateur").fill("awa")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def failed_requests(context: Any) -> list[str]:
    """Every request of the context that fails, and every resource the console reports it could not load."""
    failed: list[str] = []
    context.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
    context.on(
        "console",
        lambda message: (
            failed.append(f"{message.location.get('url')} {message.text}")
            if message.type == "error" and "Failed to load resource" in message.text
            else None
        ),
    )
    return failed


def test_the_sign_in_page_is_fieldsales_own_in_french_on_a_phone(french_phone, rep):
    page = french_phone.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page).to_have_title("Connexion · FieldSales")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".brand")).to_have_text("FieldSales")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_text("Vos clients, visites et commandes, avec ou sans réseau.")).to_be_visible()
    expect(page.get_by_text("Django")).to_have_count(0)
    expect(page.get_by_role("status")).to_be_hidden()  # online: no offline hint
    # Made for the phone: nothing wider than its screen, touch-sized fields.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_393["width"]
    assert page.get_by_label("Mot de passe").bounding_box()["height"] >= 44

    sign_in_fr(page, WRONG)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nom d’utilisateur ou mot de passe incorrect.")
    # The lockout rule, told before it applies, from django-axes' own settings.
    expect(alert).to_contain_text("Après 5 mots de passe erronés d’affilée")
    expect(alert).to_contain_text("15 minutes")
    expect(page.get_by_label("Nom d’utilisateur")).to_have_value("awa")

    sign_in_fr(page)
    page.wait_for_url(re.compile(r"/$"))
    wait_synced(page)


def test_the_lockout_page_is_the_sign_in_pages_own_and_leads_back_to_it(french_phone, rep):
    page = french_phone.new_page()
    page.goto("/accounts/login/?next=/")
    for _attempt in range(5):
        sign_in_fr(page, WRONG)
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Trop de tentatives de connexion échouées")).to_be_visible()
    expect(page.locator(".brand")).to_have_text("FieldSales")
    expect(page.get_by_role("alert")).to_contain_text("bloquée pendant 15 minutes")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_393["width"]

    page.get_by_role("link", name="Retour à la connexion").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()


def test_offline_the_sign_in_page_still_opens_and_says_what_to_do(french_phone, rep):
    page = french_phone.new_page()
    page.goto("/")
    sign_in_fr(page)
    page.wait_for_url(re.compile(r"/$"))
    wait_synced(page)
    wait_controlled(page)
    failed = failed_requests(french_phone)

    # Signed out (or the session ended) with no network: the service worker's copy, not the browser's error page.
    french_phone.set_offline(True)
    page.goto("/accounts/login/?next=/")
    hint = page.get_by_role("status")
    expect(hint).to_have_text(
        "Vous êtes hors ligne : il faut un réseau pour se connecter."
        " Une fois connecté, l’application fonctionne sans réseau."
    )
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_label("Nom d’utilisateur")).to_be_disabled()
    expect(page.get_by_role("button", name="Se connecter")).to_be_disabled()
    expect(page.get_by_text("awa")).to_have_count(0)  # the copy names no one
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")  # its style, offline
    assert [entry for entry in failed if "/accounts/login/" in entry or "manifest" in entry] == []

    # The network is back: the page fetches itself afresh, with a form that signs in.
    french_phone.set_offline(False)
    expect(page.get_by_label("Nom d’utilisateur")).to_be_enabled()
    expect(hint).to_be_hidden()


def test_a_sign_in_page_that_loses_the_network_says_so_instead_of_failing(french_phone, rep):
    page = french_phone.new_page()
    page.goto("/accounts/login/?next=/")
    hint = page.get_by_role("status")
    expect(hint).to_be_hidden()

    french_phone.set_offline(True)
    expect(hint).to_be_visible()
    sign_in_fr(page)
    # The form was kept from a request that would fail: the page, the hint and what was typed are still there.
    expect(hint).to_be_focused()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_label("Nom d’utilisateur")).to_have_value("awa")

    french_phone.set_offline(False)
    expect(hint).to_be_hidden()
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/$"))


def test_the_back_office_signs_in_and_out_on_the_same_page(phone, live_server, clerk_user):
    page = phone.new_page()
    # The admin's login is this page, with the admin's form and header.
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("FieldSales back office")).to_be_visible()
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("fieldsales")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # Logging out of the admin lands on the sign-in page, FieldSales'.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page).to_have_title("Sign in · FieldSales")
    expect(page.locator(".brand")).to_have_text("FieldSales")

    # Signing in where the app sends everyone, the clerk reaches the back office, not a rep's app.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if request.is_navigation_request() else None)
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("fieldsales")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert f"{live_server.url}/" not in asked  # straight there, not through the app


def test_an_offline_reload_asks_the_network_for_no_manifest(phone, pos_list_editable, rep):
    page = sign_in(phone)
    wait_controlled(page)
    failed = failed_requests(phone)
    cdp = phone.new_cdp_session(page)

    with phone.expect_event("requestfinished", lambda request: request.url.endswith("/manifest.webmanifest")) as asked:
        go_offline(phone, page)
        # Chromium reads the manifest on load, and again when something asks (installing, DevTools): asked here.
        manifest = cdp.send("Page.getAppManifest")
    assert asked.value.response().from_service_worker
    assert manifest["errors"] == [] and '"FieldSales"' in manifest["data"]
    assert [entry for entry in failed if "manifest" in entry] == []


def test_favicon_ico_is_the_apps_icon(phone, live_server):
    response = phone.request.get("/favicon.ico", max_redirects=0)
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    assert response.body()[:8] == b"\x89PNG\r\n\x1a\n"

"""The app as a phone installs and keeps it: installable by Chromium's criteria, French offline, and no sign-out
without a network."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import wait_for
from tests.e2e.conftest import assigned_client, go_offline, row_names, sign_in, wait_controlled
from tests.e2e.test_offline_client_create import fill_new_client


def test_the_app_is_installable_by_chromiums_criteria(phone, pos_list_editable, rep):
    page = sign_in(phone)
    wait_controlled(page)
    cdp = phone.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito profiles, where Chromium installs nothing: that one is the profile's.
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []


def test_the_app_speaks_french_offline_from_the_catalogue(phone, pos_list_editable, rep, clerk_user):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Awa", north_m=30)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Paramètres")).to_be_visible()
    expect(page.get_by_role("heading", name="Alertes de synchronisation")).to_be_visible()
    page.get_by_role("link", name="Clients").click()
    expect(page.get_by_role("tab", name=re.compile("Synchronisé"))).to_contain_text("1")
    expect(page.get_by_role("link", name="Nouveau client")).to_be_visible()
    page.get_by_role("button", name="Actions pour Boutique Awa").click()
    expect(page.get_by_role("button", name="Afficher les détails")).to_be_visible()
    expect(page.get_by_role("link", name="Y aller")).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/dir/\?api=1&destination=")
    )


def test_signing_out_offline_with_a_change_waiting_asks_then_says_it_needs_a_network(phone, pos_list_editable, rep):
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)
    fill_new_client(page, "Boutique En Attente")
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("#pending-count")).to_have_text("1")
    page.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog", name="Sign out with work still on this phone?")
    expect(dialog).to_contain_text("1 new client")
    dialog.get_by_role("button", name="Sign out anyway").click()
    expect(page.get_by_role("status").filter(has_text="Signing out needs a network")).to_be_visible()
    expect(page.locator("#pending-count")).to_have_text("1")
    assert page.url.endswith("#/settings")


# Notes when the clients list first holds rows, and whether the app's module had started by then.
WATCH_FIRST_ROWS = """(() => {
  new MutationObserver((_, observer) => {
    if (document.querySelectorAll("ul.clients li").length) {
      window.firstRowsBeforeApp = !performance.getEntriesByName("fieldsales-boot").length;
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
})();"""


def test_a_cold_start_paints_the_rows_last_seen_before_the_app_runs_and_sign_out_forgets_them(
    phone, pos_list_editable, rep, clerk_user
):
    for n in range(1, 4):
        assigned_client(clerk_user, pos_list_editable, rep, f"Boutique {n}", north_m=30 * n)
    page = sign_in(phone)
    wait_controlled(page)
    expect(page.locator("ul.clients li")).to_have_count(3)
    wait_for(page, "localStorage.getItem('fieldsales.firstScreen') !== null")
    phone.add_init_script(WATCH_FIRST_ROWS)
    go_offline(phone, page)
    assert page.evaluate("window.firstRowsBeforeApp") is True
    assert row_names(page) == ["Boutique 1", "Boutique 2", "Boutique 3"]
    # The app then draws the live list over the copy, with working buttons.
    page.get_by_role("button", name="Actions for Boutique 2").click()
    expect(page.get_by_role("button", name="Show details")).to_be_visible()

    phone.set_offline(False)
    page.keyboard.press("Escape")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")
    assert page.evaluate("localStorage.getItem('fieldsales.firstScreen')") is None


def test_without_a_choice_on_this_phone_the_app_speaks_the_reps_language_and_sends_no_card_again(
    phone, pos_list_editable, rep, clerk_user
):
    """The rep chose French on another phone; this browser is set to English."""
    from fieldsales.accounts import rep_language_set

    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Awa", north_m=30)
    rep_language_set(user=rep, language="fr")
    patches: list[str] = []
    phone.on("request", lambda request: patches.append(request.url) if request.method == "PATCH" else None)
    page = sign_in(phone)
    expect(page.get_by_role("link", name="Paramètres")).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile("Synchronisé"))).to_contain_text("1")
    assert patches == []
    rep.profile.refresh_from_db()
    assert rep.profile.language == "fr"

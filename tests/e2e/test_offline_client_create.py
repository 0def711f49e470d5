"""A rep works offline: the list starts from the phone, a new client waits under Pending, then syncs once."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from clients.models import Client
from tests.browser import wait_for
from tests.e2e.conftest import assigned_client, go_offline, row_names, sign_in, wait_controlled, wait_synced


def fill_new_client(page: Any, name: str) -> None:
    page.get_by_role("link", name="New client").click()
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_disabled()
    page.get_by_label("Name").fill(name)
    expect(submit).to_be_disabled()
    page.get_by_label("District").fill("Treichville")
    page.get_by_label("Category").select_option("Épicerie")
    expect(submit).to_be_enabled()
    submit.click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()


def test_a_client_created_offline_is_pending_then_synced_once(phone, pos_list_editable, rep, clerk_user):
    for index, name in enumerate(["Boutique Alpha", "Boutique Beta", "Boutique Gamma"]):
        assigned_client(clerk_user, pos_list_editable, rep, name, north_m=100 * (index + 1))
    page = sign_in(phone)
    expect(page.get_by_role("tab", name=re.compile("Synced"))).to_contain_text("3")
    wait_controlled(page)

    go_offline(phone, page)
    expect(page.locator("ul.clients li")).to_have_count(3)
    assert row_names(page) == ["Boutique Alpha", "Boutique Beta", "Boutique Gamma"]
    fill_new_client(page, "Épicerie Nouvelle")
    page.get_by_role("tab", name=re.compile("Pending")).click()
    pending = page.locator("ul.clients li", has_text="Épicerie Nouvelle")
    expect(pending.get_by_role("img", name="Pending")).to_have_text("✓")
    assert not Client.objects.filter(name="Épicerie Nouvelle").exists()

    phone.set_offline(False)
    page.get_by_role("tab", name=re.compile("Synced")).click()
    synced = page.locator("ul.clients li", has_text="Épicerie Nouvelle")
    expect(synced.get_by_role("img", name="Synced")).to_have_text("✓✓")
    expect(page.get_by_role("tab", name=re.compile("Pending"))).to_contain_text("0")
    wait_synced(page)
    created = Client.objects.get(name="Épicerie Nouvelle")
    assert (created.attributes["quartier"], created.attributes["categorie"]) == ("Treichville", "Épicerie")
    assert created.lat is not None and created.accuracy_m is not None
    assert page.errors == []


def test_a_lost_push_answer_is_retried_and_the_server_keeps_one_client(phone, pos_list_editable, rep, clerk_user):
    page = sign_in(phone)
    dropped: list[str] = []

    def drop_first_answer(route: Any) -> None:
        if dropped:
            route.continue_()
            return
        # The request reaches the server, which applies it; the phone never hears back.
        response = route.fetch()
        dropped.append(response.text())
        route.abort("connectionreset")

    page.route("**/api/sync/push", drop_first_answer)
    fill_new_client(page, "Kiosque Résilient")
    page.get_by_role("tab", name=re.compile("Synced")).click()
    synced = page.locator("ul.clients li", has_text="Kiosque Résilient")
    expect(synced.get_by_role("img", name="Synced")).to_be_visible()
    wait_synced(page)
    assert len(dropped) == 1 and '"applied"' in dropped[0]
    assert Client.objects.filter(name="Kiosque Résilient").count() == 1


def test_two_tabs_holding_the_same_queued_client_send_it_once(phone, pos_list_editable, rep, clerk_user):
    """Two tabs of the app read the same outbox; back online, one sends the client and the other, syncing after it
    (one tab at a time), finds it sent."""
    first = sign_in(phone)
    wait_controlled(first)
    go_offline(phone, first)
    fill_new_client(first, "Boutique Deux Onglets")
    second = phone.new_page()
    second.goto("/")
    wait_for(second, "window.fieldsales && window.fieldsales.state.outbox.length === 1")
    sent: list[str] = []
    # Requests that reached the server: one the browser started while the network was still coming back fails at once,
    # is no send, and is retried.
    for page in (first, second):
        page.on(
            "requestfinished",
            lambda request: sent.append(request.post_data or "") if request.url.endswith("/api/sync/push") else None,
        )

    phone.set_offline(False)
    wait_synced(first)
    wait_synced(second)
    assert Client.objects.filter(name="Boutique Deux Onglets").count() == 1
    assert sum("Boutique Deux Onglets" in body for body in sent) == 1, sent

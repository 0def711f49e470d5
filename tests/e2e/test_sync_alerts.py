"""The back office takes a right away while the rep's edit waits offline: the edit becomes a sync alert with its
reason, the rep's other work still reaches the server, and nothing is dropped until the rep says so."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from clients.models import Client, ListAccess
from clients.services import client_list_access_changed
from tests.e2e.conftest import assigned_client, go_offline, sign_in, wait_controlled, wait_synced
from tests.e2e.test_offline_client_create import fill_new_client


def test_an_edit_refused_after_the_list_became_read_only_is_a_sync_alert_and_nothing_else_is_lost(
    phone, pos_list_editable, rep, clerk_user
):
    client = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Kouamé", north_m=50)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)

    page.get_by_role("button", name="Actions for Boutique Kouamé").click()
    page.get_by_role("button", name="Show details").click()
    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("District").fill("Yopougon")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Boutique Kouamé")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    fill_new_client(page, "Épicerie Hors Ligne")
    expect(page.get_by_role("tab", name=re.compile("Pending"))).to_contain_text("2")

    # The back office makes the list read-only for reps (the admin's list-access inline calls this service).
    ListAccess.objects.filter(client_list=pos_list_editable).update(can_create=True, can_edit=False)
    client_list_access_changed(client_list=pos_list_editable)

    phone.set_offline(False)
    page.get_by_role("link", name=re.compile("Settings")).click()
    alert = page.locator(".alert-item")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Client edit · Boutique Kouamé")
    expect(alert).to_contain_text("Your access does not allow this change any more.")
    expect(alert).to_contain_text("read-only")  # the server's own reason, in the rep's language
    wait_synced(page)
    client.refresh_from_db()
    assert client.attributes["quartier"] == "Cocody"
    assert Client.objects.filter(name="Épicerie Hors Ligne").count() == 1

    # No activity may start on a client with an open alert: its card says so until the alert is dealt with.
    alert.get_by_role("link", name="Open").click()
    expect(page.get_by_role("alert")).to_contain_text("no activity can start")
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    page.get_by_role("link", name=re.compile("Settings")).click()
    page.reload()
    expect(page.locator(".alert-item")).to_have_count(1)
    # The reloaded app syncs and draws the screen again: the rep's tap comes once it is settled, as a rep's would.
    wait_synced(page)
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_text("No sync alerts.")).to_be_visible()
    assert page.errors == []

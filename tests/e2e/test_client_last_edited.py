"""A client's page on the phone says who changed it last and when, from its history as the pull carries it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from clients.models import Client
from clients.recording import ChangeChannel, recorded_as
from clients.services import client_update
from tests.e2e.conftest import assigned_client, sign_in
from tests.e2e.test_client_card import open_details


def test_the_client_page_names_who_changed_it_last_and_when(phone: Any, pos_list_editable, rep, clerk_user):
    clerk_user.first_name, clerk_user.last_name = "Nadia", "Kouamé"
    clerk_user.save()
    unchanged = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Neuve", north_m=10)
    shop = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Revue", north_m=20)
    with recorded_as(ChangeChannel.ADMIN, user=clerk_user):
        client_update(user=clerk_user, client=Client.objects.get(pk=shop.pk), data={"attributes": {"surface_m2": 40}})
    page = sign_in(phone)

    open_details(page, "Boutique Revue")
    # "Last edited by Nadia Kouamé, 4 Dec, 14:05": the day and 24-hour time, no year for this year's change.
    expect(page.locator(".meta .last-edited")).to_have_text(
        re.compile(r"^Last edited by Nadia Kouamé, \w{3} \d{1,2}, \d{2}:\d{2}$")
    )

    page.go_back()
    open_details(page, unchanged.name)
    expect(page.locator(".meta")).to_contain_text("Created by")
    expect(page.locator(".meta .last-edited")).to_have_count(0)  # never changed since it was made

"""The client card's rights and the writes that need the network most: Delete with the archive right only, Edit
details with full access only, a photo resized on the phone and uploaded before its op, 503s retried."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from clients.models import Client, ListAccess
from fieldsales.models import Blob
from tests.browser import wait_for
from tests.e2e.conftest import assigned_client, sign_in, wait_synced


def open_details(page: Any, name: str) -> None:
    page.get_by_role("button", name=f"Actions for {name}").click()
    page.get_by_role("button", name="Show details").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_delete_archives_the_client_only_with_the_archive_right(phone, pos_list_editable, rep, clerk_user):
    kept = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Gardée", north_m=20)
    page = sign_in(phone)
    open_details(page, "Boutique Gardée")
    expect(page.get_by_role("link", name="Edit details")).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)

    ListAccess.objects.filter(client_list=pos_list_editable).update(can_archive=True)
    from clients.services import client_list_access_changed

    client_list_access_changed(client_list=pos_list_editable)
    page.get_by_role("link", name=re.compile("Settings")).click()
    page.get_by_role("button", name="Sync now").click()
    wait_synced(page)
    page.get_by_role("link", name="Clients").click()
    open_details(page, "Boutique Gardée")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    expect(page.get_by_text("Boutique Gardée")).to_have_count(0)
    wait_synced(page)
    kept.refresh_from_db()
    assert kept.archived_at is not None


def test_edit_details_is_absent_without_full_access(phone, pos_list_editable, rep, clerk_user):
    ListAccess.objects.filter(client_list=pos_list_editable).update(can_edit=False)
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Lecture", north_m=20, surface_m2=40)
    page = sign_in(phone)
    open_details(page, "Boutique Lecture")
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    info = page.locator("dl.attributes")
    expect(info).to_contain_text("Area (m²)")
    expect(info).to_contain_text("40")
    expect(info).not_to_contain_text("Opened on")  # attributes without a value are not listed
    expect(page.locator(".meta")).to_contain_text("Created by")


def big_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3200, 2400), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_photo_is_resized_on_the_phone_and_uploaded_before_its_client(phone, pos_list_editable, rep):
    page = sign_in(phone)
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name").fill("Boutique Photo")
    page.get_by_label("District").fill("Marcory")
    page.get_by_label("Category").select_option("Boutique")
    page.get_by_label("Photo").set_input_files({"name": "shop.png", "mimeType": "image/png", "buffer": big_photo()})
    wait_for(page, "document.querySelector('#field-photo').files.length === 1")
    page.get_by_role("button", name="Submit").click()
    # The rep lands on Pending with the new client; once sent, it is under Synced.
    page.get_by_role("tab", name=re.compile("Synced")).click()
    synced = page.locator("ul.clients li", has_text="Boutique Photo")
    expect(synced.get_by_role("img", name="Synced")).to_be_visible()
    wait_synced(page)
    client = Client.objects.get(name="Boutique Photo")
    assert client.photo_id is not None
    blob = Blob.objects.get(pk=client.photo_id)
    assert max(blob.width, blob.height) <= 1600


def test_server_errors_are_retried_until_the_write_is_stored_once(phone, pos_list_editable, rep):
    page = sign_in(phone)
    answers: list[int] = []

    def fail_twice(route: Any) -> None:
        if len(answers) < 2:
            answers.append(503)
            route.fulfill(status=503, body="unavailable")
        else:
            answers.append(200)
            route.continue_()

    page.route("**/api/sync/push", fail_twice)
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name").fill("Boutique Patiente")
    page.get_by_label("District").fill("Koumassi")
    page.get_by_label("Category").select_option("Boutique")
    page.get_by_role("button", name="Submit").click()
    # The rep lands on Pending with the new client; once sent, it is under Synced.
    page.get_by_role("tab", name=re.compile("Synced")).click()
    synced = page.locator("ul.clients li", has_text="Boutique Patiente")
    expect(synced.get_by_role("img", name="Synced")).to_be_visible()
    assert answers[:3] == [503, 503, 200]
    assert Client.objects.filter(name="Boutique Patiente").count() == 1

"""What sync costs a rep who pays for data: the data it used today and this month, and photos that wait for Wi-Fi or
a charger when the rep chooses it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from clients.models import Client
from tests.browser import wait_for
from tests.e2e.conftest import assigned_client, go_offline, sign_in, wait_controlled, wait_synced
from tests.e2e.test_client_card import big_photo
from workflows.models import Note

# Desktop Chromium does not tell the connection's type nor the battery's state, as Android's does: the phone's are
# played by the test, through the same objects the app reads (navigator.connection, navigator.getBattery).
ON_MOBILE_DATA = """(() => {
  const connection = new EventTarget();
  connection.type = "cellular";
  connection.effectiveType = "3g";
  Object.defineProperty(Navigator.prototype, "connection", { get: () => connection, configurable: true });
  const battery = new EventTarget();
  battery.charging = false;
  battery.level = 0.4;
  Navigator.prototype.getBattery = () => Promise.resolve(battery);
  window.testPhone = { connection, battery };
})();"""


def new_client(page: Any, name: str, photo: bool = False) -> None:
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("District").fill("Marcory")
    page.get_by_label("Category").select_option("Boutique")
    if photo:
        page.get_by_label("Photo").set_input_files({"name": "shop.png", "mimeType": "image/png", "buffer": big_photo()})
        wait_for(page, "document.querySelector('#field-photo').files.length === 1")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()


def kilobytes(text: str) -> float:
    match = re.search(r"([\d.,]+)\s*(kB|MB)", text)
    assert match, text
    value = float(match.group(1).replace(",", ""))
    return value * 1000 if match.group(2) == "MB" else value


def test_settings_show_the_data_sync_used_today_and_this_month(phone, pos_list_editable, rep):
    page = sign_in(phone)
    page.get_by_role("link", name="Settings").click()
    today = kilobytes(page.locator("#data-day").inner_text())
    month = kilobytes(page.locator("#data-month").inner_text())
    # Signing in pulled the list and its schema: some kilobytes, counted in both.
    assert 0 < today <= month
    page.get_by_role("link", name="Clients").click()
    new_client(page, "Boutique Comptée")
    wait_synced(page)
    page.get_by_role("link", name="Settings").click()
    wait_for(page, f"parseFloat(document.querySelector('#data-day').textContent) > {today}")


def test_photos_wait_for_wifi_when_the_rep_chooses_it_and_other_work_goes(phone, pos_list_editable, rep):
    phone.add_init_script(ON_MOBILE_DATA)
    page = sign_in(phone)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Send photos only on Wi-Fi or while charging").check()

    page.get_by_role("link", name="Clients").click()
    new_client(page, "Boutique Photo Patiente", photo=True)
    new_client(page, "Boutique Sans Photo")
    wait_for(page, "window.fieldsales.state.outbox.length === 1 && !window.fieldsales.state.sync.running")
    # The client without a photo went; the one with a photo waits on the phone, Pending, with its photo.
    assert Client.objects.filter(name="Boutique Sans Photo").count() == 1
    assert not Client.objects.filter(name="Boutique Photo Patiente").exists()
    page.get_by_role("tab", name=re.compile("Pending")).click()
    expect(page.locator("ul.clients li", has_text="Boutique Photo Patiente")).to_be_visible()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("status").filter(has_text="photo waits")).to_have_text(
        "1 photo waits for Wi-Fi or a charger."
    )

    # On Wi-Fi, it goes by itself.
    page.evaluate("testPhone.connection.type = 'wifi'; testPhone.connection.dispatchEvent(new Event('change'))")
    wait_synced(page)
    client = Client.objects.get(name="Boutique Photo Patiente")
    assert client.photo_id is not None
    expect(page.get_by_role("status").filter(has_text="photo waits")).to_have_count(0)


def test_fifty_changes_made_offline_go_in_one_request(phone, pos_list_editable, rep, clerk_user):
    client = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Bavarde")
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)
    # Fifty notes written offline, through the app's own outbox (the notes screen would take fifty taps each).
    page.evaluate(
        """async (client) => {
          const outbox = await import("/static/js/lib/outbox.js");
          for (let n = 1; n <= 50; n += 1) await outbox.addNote({ client, text: `Note ${n}` });
        }""",
        str(client.pk),
    )
    pushes: list[str] = []
    page.on("requestfinished", lambda request: pushes.append(request.url) if "/api/sync/push" in request.url else None)
    phone.set_offline(False)
    wait_synced(page)
    assert Note.objects.filter(client=client).count() == 50
    assert len(pushes) == 1

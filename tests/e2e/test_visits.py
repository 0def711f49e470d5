"""A rep's visit on the phone: the geofence on Check in, required client fields asked for first, a whole visit
offline that reaches the server exactly once and moves the client's KPIs, the KPI tabs, and an account statement
queued offline then delivered once."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from clients.models import AttributeDefinition, Client, ListAccess
from fieldsales.jobs import run_ready
from kpis.delivery import deliveries_process
from kpis.models import KpiCard, KpiDefinition, KpiFolder, StatementDelivery
from kpis.services import kpi_folder_changed
from tests.e2e.conftest import assigned_client, go_offline, offset, sign_in, wait_controlled, wait_synced
from tests.factories import make_visit_workflow
from workflows.models import ActivitySubmission, Note, OrderLine, Visit
from workflows.services import product_changed, workflow_changed


@pytest.fixture
def sales_visit(transactional_db: None) -> dict[str, Any]:
    """A workflow whose form and order need a geo check-in within 100 m, then a note; three products."""
    made = make_visit_workflow((("Café 250 g", "1500"), ("Sucre 1 kg", "800"), ("Lait 1 L", "650")), with_note=True)
    # Made past the services: send them to the reps' feeds as the admin would.
    workflow_changed(workflow=made["workflow"])
    for product in made["products"]:
        product_changed(product=product)
    return made


@pytest.fixture
def kpis(transactional_db: None) -> None:
    """Three folders, created out of alphabetical order."""
    for position, (folder_en, folder_fr, key, metric) in enumerate(
        [
            ("Sales", "Ventes", "last_order", "previous_order_value"),
            ("Account", "Compte", "balance", "debt_balance"),
            ("Activity", "Activité", "visits", "visits_count"),
        ]
    ):
        folder = KpiFolder.objects.create(name_en=folder_en, name_fr=folder_fr)
        KpiDefinition.objects.create(
            key=key, metric=metric, folder=folder, order=position, label_en=key, label_fr=key, params={}
        )
        # As the admin does after a save: the folder reaches every rep's phone.
        kpi_folder_changed(folder=folder)


def start_visit(page: Any, client_name: str) -> None:
    page.locator("ul.clients li", has_text=client_name).get_by_role("button", name=re.compile("Actions for")).click()
    page.get_by_role("button", name="Start visit").click()
    expect(page.get_by_role("heading", name="Check in")).to_be_visible()


def test_check_in_stays_disabled_300_m_away_showing_the_distance_and_is_allowed_20_m_away(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Plateau", north_m=300)
    page = sign_in(phone)
    start_visit(page, "Boutique Plateau")

    check_in = page.get_by_role("button", name="Check in")
    expect(page.get_by_role("status").filter(has_text="Distance")).to_contain_text("Distance: 300 m")
    expect(page.get_by_role("status").filter(has_text="Distance")).to_contain_text("check-in radius: 100 m")
    expect(check_in).to_be_disabled()

    lat, lng = offset(280)  # 20 m from the client
    phone.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 10})
    expect(page.get_by_role("status").filter(has_text="Distance")).to_contain_text("Distance: 20 m")
    expect(check_in).to_be_enabled()
    check_in.click()
    expect(page.get_by_role("heading", name="Visit")).to_be_visible()
    wait_synced(page)
    visit = Visit.objects.get()
    assert visit.distance_m is not None and 15 < visit.distance_m < 25
    assert page.errors == []


def test_required_fields_are_asked_for_first_on_a_read_only_list_then_the_visit_starts(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    client = assigned_client(clerk_user, pos_list_editable, rep, "Épicerie Sans Surface")
    AttributeDefinition.objects.filter(client_list=pos_list_editable, key="surface_m2").update(required=True)
    ListAccess.objects.filter(client_list=pos_list_editable).update(can_edit=False)
    page = sign_in(phone)
    start_visit(page, "Épicerie Sans Surface")

    expect(page.get_by_text("Fill in the client's required fields before the visit.")).to_be_visible()
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)
    page.get_by_label("Area (m²)").fill("35")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("heading", name="Visit")).to_be_visible()
    wait_synced(page)

    client.refresh_from_db()
    assert client.attributes["surface_m2"] == 35
    assert Visit.objects.filter(client=client).count() == 1
    assert page.errors == []


def test_a_whole_visit_offline_reaches_the_server_once_and_moves_the_kpi_card(
    phone, pos_list_editable, rep, clerk_user, sales_visit, kpis
):
    client = assigned_client(clerk_user, pos_list_editable, rep, "Maquis Chez Tanti", north_m=10)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)

    start_visit(page, "Maquis Chez Tanti")
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("link", name="Shelf check").click()
    page.get_by_label("Shelf share").fill("40")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("link", name="Order taking").click()
    for product, quantity in [("Café 250 g", "2"), ("Sucre 1 kg", "3"), ("Lait 1 L", "4")]:
        page.get_by_label(f"Quantity of {product}").fill(quantity)
    # 2 × 1,500 + 3 × 800 + 4 × 650
    expect(page.get_by_text(re.compile("Order total: 8,000.00"))).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("link", name="Visit note").click()
    page.get_by_label("Note", exact=True).fill("Le gérant veut une promotion sur le café.")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".activities li.done")).to_have_count(3)
    page.get_by_role("button", name="Finish visit").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.get_by_role("list", name="Visits today")).to_contain_text("Maquis Chez Tanti")
    assert not Visit.objects.exists()

    phone.set_offline(False)
    wait_synced(page)
    # The job the push enqueued, run here as the server's worker would (a worker thread beside the tests' in-memory
    # SQLite meets its shared-cache locks): the card follows the push. The live server speaks no websocket to tell the
    # app, so the rep syncs by hand rather than waiting for the app's reconnecting socket.
    assert run_ready() == 1
    page.get_by_role("link", name=re.compile("Settings")).click()
    page.get_by_role("button", name="Sync now").click()
    wait_synced(page)
    page.get_by_role("link", name="Clients").click()

    visit = Visit.objects.get()
    assert visit.client_id == client.pk and visit.ended_at is not None
    assert ActivitySubmission.objects.filter(visit=visit).count() == 3
    assert ActivitySubmission.objects.get(activity=sales_visit["form"]).values == {"part_rayon": 40}
    lines = sorted(OrderLine.objects.values_list("product__name", "quantity", "value"))
    assert lines == [
        ("Café 250 g", Decimal("2"), Decimal("3000.00")),
        ("Lait 1 L", Decimal("4"), Decimal("2600.00")),
        ("Sucre 1 kg", Decimal("3"), Decimal("2400.00")),
    ]
    assert list(Note.objects.values_list("text", "visit_id")) == [
        ("Le gérant veut une promotion sur le café.", visit.pk)
    ]
    card = {kpi["key"]: kpi for folder in KpiCard.objects.get(client=client).folders for kpi in folder["kpis"]}
    assert Decimal(card["last_order"]["value"]) == Decimal("8000.00")
    assert card["visits"]["value"] == 1

    # The phone shows the card the server computed.
    page.locator("ul.clients li", has_text="Maquis Chez Tanti").get_by_role(
        "button", name=re.compile("Actions for")
    ).click()
    page.get_by_role("button", name="KPIs").click()
    page.get_by_role("tab", name="Sales").click()
    expect(page.get_by_role("tabpanel")).to_contain_text("8,000.00")
    assert page.errors == []


def test_kpi_tabs_are_alphabetical_and_statements_show_only_where_enabled(
    phone, pos_list_editable, rep, clerk_user, kpis
):
    from kpis.services import kpi_cards_refresh

    plain = assigned_client(clerk_user, pos_list_editable, rep, "Boutique Sans Relevé")
    kpi_cards_refresh(client_ids=[plain.pk])
    page = sign_in(phone)
    page.goto(f"/#/client/{plain.pk}/kpis")
    expect(page.get_by_role("tablist", name="KPI folders").get_by_role("tab")).to_have_text(
        ["Account", "Activity", "Sales"]
    )
    expect(page.get_by_role("button", name="Send account statement")).to_have_count(0)
    page.goto("/#/clients")
    page.locator("ul.clients li", has_text="Boutique Sans Relevé").get_by_role(
        "button", name=re.compile("Actions for")
    ).click()
    expect(page.get_by_role("button", name="Send account statement")).to_have_count(0)
    assert page.errors == []


def test_a_statement_queued_offline_is_delivered_once_back_online(
    phone, pos_list_editable, rep, clerk_user, settings, tmp_path
):
    settings.STATEMENT_OUTBOX_DIR = str(tmp_path)
    client = assigned_client(clerk_user, pos_list_editable, rep, "Superette Relevé")
    Client.objects.filter(pk=client.pk).update(statement_enabled=True)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)

    page.locator("ul.clients li", has_text="Superette Relevé").get_by_role(
        "button", name=re.compile("Actions for")
    ).click()
    page.get_by_role("button", name="Send account statement").click()
    page.get_by_label("WhatsApp").check()
    page.get_by_label("Recipient").fill("+225 07 08 09 10 11")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="when you are back online")).to_be_visible()
    assert not StatementDelivery.objects.exists()

    phone.set_offline(False)
    wait_synced(page)
    delivery = StatementDelivery.objects.get()
    assert (delivery.client_id, delivery.channel, delivery.recipient) == (client.pk, "whatsapp", "+2250708091011")
    assert run_ready() == 1  # the job the request enqueued, run as the server's worker would
    assert run_ready() == 0
    deliveries_process()  # the schedule's pass sends nothing more
    delivery.refresh_from_db()
    assert delivery.status == StatementDelivery.Status.SENT
    pdfs = list(Path(tmp_path).rglob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    assert page.errors == []


def test_a_check_in_the_server_refuses_comes_back_as_a_sync_alert_naming_the_visit(
    phone, pos_list_editable, rep, clerk_user, sales_visit
):
    assigned_client(clerk_user, pos_list_editable, rep, "Boutique Lointaine", north_m=60)
    page = sign_in(phone)
    wait_controlled(page)
    go_offline(phone, page)
    start_visit(page, "Boutique Lointaine")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("heading", name="Visit")).to_be_visible()
    # Meanwhile the back office tightens the radius: the server checks again and refuses.
    sales_visit["form"].__class__.objects.filter(workflow=sales_visit["workflow"]).update(radius_m=20)

    phone.set_offline(False)
    wait_synced(page)
    page.get_by_role("link", name=re.compile("Settings")).click()
    alert = page.locator(".alert-item").first
    expect(alert.get_by_role("heading")).to_contain_text("Check-in · visit at Boutique Lointaine")
    expect(alert).to_contain_text("You were too far from the client.")
    assert not Visit.objects.exists()
    assert page.errors == []

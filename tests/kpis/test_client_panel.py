"""The client's page in the admin shows its KPI card as its reps see it, folder by folder, and a preview of its
account statement, both in the page's language, for one query more whatever the size of the card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.panels import CLIENT_PANELS
from kpis.models import KpiCard, KpiDefinition, KpiFolder
from kpis.panels import client_kpi_panel
from kpis.services import kpi_cards_refresh
from tests.factories import LedgerEntryFactory, make_client
from tests.texts import text_of

pytestmark = pytest.mark.django_db


def page_of(client: Any) -> str:
    return f"/admin/clients/client/{client.pk}/change/"


@pytest.fixture
def kpis(db):  # type: ignore[no-untyped-def]
    debt = KpiFolder.objects.create(name_en="Debt", name_fr="Dette")
    visits = KpiFolder.objects.create(name_en="Visits", name_fr="Visites")
    for order, (key, metric, folder, display, labels) in enumerate(
        [
            ("balance", "debt_balance", debt, "money", ("Balance due", "Solde dû")),
            ("overdue", "debt_overdue", debt, "money", ("Overdue", "Montant échu")),
            ("visits", "visits_count", visits, "number", ("Visits (30 days)", "Visites (30 jours)")),
        ]
    ):
        KpiDefinition.objects.create(
            key=key, metric=metric, folder=folder, display=display, order=order, label_en=labels[0], label_fr=labels[1]
        )


@pytest.fixture
def shop(pos_list, kpis):  # type: ignore[no-untyped-def]
    shop = make_client(pos_list, "Épicerie du Marché", statement_enabled=True)
    today = timezone.localdate()
    LedgerEntryFactory(
        client=shop, amount=Decimal("1234.50"), date=today - dt.timedelta(days=40), due_date=today - dt.timedelta(10)
    )
    kpi_cards_refresh(client_ids=[shop.pk])
    return shop


def shown(client: Any, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The card as the rep's phone shows it in `language`: folder by folder, each KPI's label and text."""
    card = KpiCard.objects.get(client=client)
    return [
        (folder[f"name_{language}"], [(kpi[f"label_{language}"], kpi[f"text_{language}"]) for kpi in folder["kpis"]])
        for folder in card.folders
    ]


def test_the_clients_page_shows_its_card_as_the_rep_sees_it_in_french(clerk_fr, shop):
    page = clerk_fr.get(page_of(shop)).content.decode()
    assert "Dette" in page and "Visites" in page
    for folder, values in shown(shop, "fr"):
        assert f"<caption>{folder}</caption>" in page
        for label, text in values:
            assert f'<tr><th scope="row">{label}</th><td>{text}</td></tr>' in page
    assert "1\u202f234,50" in page or "1\xa0234,50" in page  # the French grouping, as on the phone


def test_the_clients_page_shows_its_card_in_english_for_an_english_reader(clerk_client, shop):
    page = clerk_client.get(page_of(shop)).content.decode()
    for _folder, values in shown(shop, "en"):
        for label, text in values:
            assert f'<tr><th scope="row">{label}</th><td>{text}</td></tr>' in page
    assert "Montant échu" not in page


def test_the_statement_preview_is_a_pdf_in_the_pages_language(clerk_fr, shop):
    page = clerk_fr.get(page_of(shop)).content.decode()
    url = f"/api/clients/{shop.pk}/statement.pdf"
    assert f'href="{url}"' in page
    response = clerk_fr.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "Relevé de compte" in text and "Épicerie du Marché" in text


def test_a_client_without_statements_says_so_and_offers_no_preview(clerk_client, pos_list, kpis):
    shop = make_client(pos_list, "Boutique Koffi", statement_enabled=False)
    page = clerk_client.get(page_of(shop)).content.decode()
    assert "statement.pdf" not in page
    assert "Account statements are not enabled for this client." in page
    assert "No KPI card yet" in page


def test_the_add_page_has_no_panel(clerk_client, pos_list):
    page = clerk_client.get(f"/admin/clients/client/add/?client_list={pos_list.pk}").content.decode()
    assert "kpi-client-panel" not in page


def test_kpis_registered_its_panel_with_clients():
    assert [panel.context for panel in CLIENT_PANELS] == [client_kpi_panel]


def test_the_panel_reads_the_stored_card_in_one_query(shop, rf, django_assert_num_queries):
    # The client's card: 1. The statement's link needs no query (the client's own field).
    with django_assert_num_queries(1):
        context = client_kpi_panel(rf.get("/"), shop)
    assert [folder["name"] for folder in context["folders"]] == ["Debt", "Visits"]


def test_the_pages_queries_do_not_grow_with_the_card(clerk_client, shop, pos_list, django_assert_num_queries):
    with CaptureQueriesContext(connection) as small:
        assert clerk_client.get(page_of(shop)).status_code == 200
    assert sum("kpis_kpicard" in query["sql"] for query in small.captured_queries) == 1
    folder = KpiFolder.objects.create(name_en="More", name_fr="Plus")
    for index in range(12):
        KpiDefinition.objects.create(
            key=f"more{index}", metric="debt_balance", folder=folder, label_en=f"M{index}", label_fr=f"P{index}"
        )
    kpi_cards_refresh(client_ids=[shop.pk])
    assert len(KpiCard.objects.get(client=shop).folders) == 3
    with django_assert_num_queries(len(small.captured_queries)):
        assert clerk_client.get(page_of(shop)).status_code == 200

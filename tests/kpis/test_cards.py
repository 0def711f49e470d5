"""KPI cards: folders in alphabetical order, values in both languages, and a cost that does not grow with history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldsales.jobs import run_ready
from fieldsales.models import Job
from kpis.models import KpiCard, KpiDefinition, KpiFolder
from kpis.services import active_definitions, kpi_card_folders, kpi_cards_refresh
from kpis.tasks import refresh_all_cards
from tests.factories import ClientFactory, LedgerEntryFactory, RepFactory
from tests.kpis.test_metrics import TODAY, days_before, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions(settings):  # type: ignore[no-untyped-def]
    settings.CURRENCY = "€"
    sales = KpiFolder.objects.create(name_en="Sales", name_fr="Ventes")
    account = KpiFolder.objects.create(name_en="Account", name_fr="Compte")
    activity = KpiFolder.objects.create(name_en="Activity", name_fr="Activité")
    rows = [
        ("last_value", "previous_order_value", sales, "money", {}),
        ("last_qty", "previous_order_quantity", sales, "number", {}),
        ("avg", "average_order_value", sales, "money", {"days": 90}),
        ("balance", "debt_balance", account, "money", {}),
        ("overdue", "debt_overdue", account, "money", {}),
        ("overdue_days", "debt_overdue_days", account, "days", {}),
        ("debt", "debt_status", account, "text", {}),
        ("since", "days_since_last_visit", activity, "days", {}),
        ("status", "activity_status", activity, "text", {}),
        ("visits", "visits_count", activity, "number", {"days": 30}),
        ("target", "target_achievement", activity, "percent", {}),
    ]
    for order_, (key, metric, folder, display, params) in enumerate(rows):
        KpiDefinition.objects.create(
            key=key,
            metric=metric,
            folder=folder,
            display=display,
            params=params,
            order=order_,
            label_en=key.title(),
            label_fr=f"{key} (fr)",
        )


def test_folders_come_in_alphabetical_order_with_values_in_both_languages(definitions):
    client = ClientFactory()
    order(client, days_before(3), [("2", "1250.5")])
    LedgerEntryFactory(client=client, date=days_before(40), due_date=days_before(10), amount=Decimal("1234.5"))
    folders = kpi_card_folders(client=client, definitions=active_definitions(), today=TODAY)
    assert [folder["name_en"] for folder in folders] == ["Account", "Activity", "Sales"]
    sales = {kpi["key"]: kpi for kpi in folders[2]["kpis"]}
    assert sales["last_value"]["value"] == "2501.00"
    assert sales["last_value"]["text_en"] == "2,501.00 €"
    assert sales["last_value"]["text_fr"] == "2\xa0501,00 €"
    account = {kpi["key"]: kpi for kpi in folders[0]["kpis"]}
    assert (account["overdue_days"]["text_en"], account["overdue_days"]["text_fr"]) == ("10 days", "10 jours")
    assert (account["debt"]["text_en"], account["debt"]["text_fr"]) == ("Overdue", "En retard")
    activity = {kpi["key"]: kpi for kpi in folders[1]["kpis"]}
    assert activity["target"]["text_en"] == "—"


def test_a_card_costs_the_same_queries_for_a_short_and_a_long_history(definitions):
    short, long = ClientFactory(), ClientFactory()
    order(short, days_before(5), [("1", "100")])
    LedgerEntryFactory(client=short, date=days_before(5), due_date=days_before(-25), amount=Decimal("100"))
    # Twenty orders and invoices over sixty days, by one rep: visits inside and outside the 30-day window, invoices
    # due and overdue, for every query to read many rows.
    rep = RepFactory()
    for day in range(1, 61, 3):
        order(long, days_before(day), [("1", "100"), ("2", "50"), ("3", "10")], rep=rep)
        LedgerEntryFactory(client=long, date=days_before(day), due_date=days_before(day - 30), amount=Decimal("10"))
    definitions_ = active_definitions()
    counts = []
    for client in (short, long):
        with CaptureQueriesContext(connection) as queries:
            kpi_card_folders(client=client, definitions=definitions_, today=TODAY)
        counts.append(len(queries))
    # last order, its lines, visit dates, ledger totals, unpaid invoices, average, visits count, target: 8 queries.
    assert counts == [8, 8]


def test_a_refresh_stores_the_card_and_bumps_its_version_only_when_it_changed(definitions):
    client = ClientFactory()
    assert kpi_cards_refresh(client_ids=[client.pk], today=TODAY) == [str(client.pk)]
    card = KpiCard.objects.get(client=client)
    assert (card.version, card.computed_on) == (1, TODAY)
    assert kpi_cards_refresh(client_ids=[client.pk], today=TODAY) == []
    order(client, days_before(1), [("1", "100")])
    assert kpi_cards_refresh(client_ids=[client.pk], today=TODAY) == [str(client.pk)]
    card.refresh_from_db()
    assert card.version == 2
    assert kpi_cards_refresh(client_ids=[client.pk], today=TODAY + dt.timedelta(days=1)) == [str(client.pk)]


def test_a_change_to_the_definitions_in_the_admin_recomputes_every_card_in_one_job(definitions, manager_client):
    shop = ClientFactory()
    folder = KpiFolder.objects.get(name_en="Account")
    form = {"name_en": "Account", "name_fr": "Compte", "definitions-TOTAL_FORMS": "0", "definitions-INITIAL_FORMS": "0"}
    for _ in range(3):  # three saves in a row: one recompute waits, not three
        response = manager_client.post(f"/admin/kpis/kpifolder/{folder.pk}/change/", form, follow=True)
        assert "KPI card is being recomputed" in response.content.decode()
    waiting = Job.objects.filter(task_path=refresh_all_cards.module_path, status="READY")
    assert waiting.count() == 1
    assert not KpiCard.objects.filter(client=shop).exists()

    assert run_ready() == 1

    card = KpiCard.objects.get(client=shop)
    assert [folder["name_en"] for folder in card.folders] == ["Account", "Activity", "Sales"]

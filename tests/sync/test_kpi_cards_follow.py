"""KPI cards follow what changes their values: a pushed visit and its orders (once per push), a ledger import, a
ledger entry or a target saved in the admin, a change to the definitions; and they reach the rep's device."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from fieldsales.jobs import run_ready
from fieldsales.models import Job
from kpis.models import KpiCard, KpiDefinition, KpiFolder, LedgerEntry, Target
from kpis.tasks import refresh_cards
from tests.factories import make_client
from tests.sync.conftest import op
from tests.sync.test_push import checkin_data
from tests.wizard import tally, wizard_check, wizard_confirm, wizard_import, wizard_job

LEDGER = "/admin/kpis/ledgerentry/import-file/"


@pytest.fixture
def definitions(db):  # type: ignore[no-untyped-def]
    sales = KpiFolder.objects.create(name_en="Sales", name_fr="Ventes")
    account = KpiFolder.objects.create(name_en="Account", name_fr="Compte")
    for order_, (key, metric, folder) in enumerate(
        [
            ("last_value", "previous_order_value", sales),
            ("visits", "visits_count", sales),
            ("balance", "debt_balance", account),
            ("target", "target_achievement", sales),
        ]
    ):
        KpiDefinition.objects.create(
            key=key, metric=metric, folder=folder, order=order_, label_en=key, label_fr=key, params={}
        )


def values(client: Any) -> dict[str, Any]:
    card = KpiCard.objects.get(client=client)
    return {kpi["key"]: kpi["value"] for folder in card.folders for kpi in folder["kpis"]}


def order_op(visit_id: str, activity: Any, product: Any, quantity: int, **envelope: Any) -> dict[str, Any]:
    return op(
        "activity.submit",
        data={
            "visit": visit_id,
            "activity": activity.pk,
            "values": {},
            "lines": [{"product": product.pk, "quantity": quantity}],
        },
        **envelope,
    )


def test_a_pushed_visit_with_two_orders_recomputes_the_card_once_and_the_device_receives_it(
    definitions, device1, rep1, pos_list_editable, visit_workflow
):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    device1.sync()
    checkin = op("visit.checkin", data=checkin_data(client, visit_workflow["workflow"]))
    product = visit_workflow["products"][0]  # 1,500.00 each
    first = order_op(checkin["entity_id"], visit_workflow["order"], product, 2)
    second = order_op(checkin["entity_id"], visit_workflow["order"], product, 3, made_at="2026-11-22T09:20:00+00:00")

    results = device1.push(checkin, first, second)

    assert [result["status"] for result in results] == ["applied"] * 3
    # The push did not wait for the card: one job, enqueued with it, computes it once for the whole push.
    assert not KpiCard.objects.filter(client=client).exists()
    jobs = Job.objects.filter(task_path=refresh_cards.module_path)
    assert [job.args_kwargs["kwargs"] for job in jobs] == [{"client_ids": [str(client.pk)]}]
    assert run_ready() == 1
    card = KpiCard.objects.get(client=client)
    assert card.version == 1
    assert values(client)["visits"] == 1
    assert Decimal(values(client)["last_value"]) == Decimal("4500.00")  # the later order
    pulled = [change for change in device1.sync() if change["type"] == "kpi_card"]
    assert [change["id"] for change in pulled] == [str(client.pk)]


def ledger_file(*rows: str) -> bytes:
    return "\r\n".join(["client;date;kind;reference;amount;due_date", *rows, ""]).encode("cp1252")


def test_a_ledger_import_updates_the_balances_on_the_cards_but_its_check_does_not(
    definitions, clerk_client, rep1, pos_list_editable
):
    shop = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    content = ledger_file(
        f"{shop.pk};01/10/2026;invoice;F1;150 000;31/10/2026", f"{shop.pk};15/10/2026;payment;R1;100 000;"
    )

    job = wizard_check(clerk_client, LEDGER, wizard_job(clerk_client, LEDGER, content, "ledger.csv"))
    assert not KpiCard.objects.filter(client=shop).exists()

    wizard_confirm(clerk_client, LEDGER, job)

    assert tally(job) == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert Decimal(values(shop)["balance"]) == Decimal("50000.00")


def test_a_ledger_file_with_a_bad_row_changes_no_card(definitions, clerk_client, rep1, pos_list_editable):
    shop = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    call_command("refresh_kpi_cards", stdout=None)
    before = KpiCard.objects.get(client=shop).version
    content = ledger_file(f"{shop.pk};01/10/2026;invoice;F1;150000;", f"{shop.pk};01/10/2026;invoice;F2;-5;")

    job = wizard_import(clerk_client, LEDGER, content, "ledger.csv")

    assert [number for number, _error in job.errors] == [3]
    assert not LedgerEntry.objects.exists()
    assert KpiCard.objects.get(client=shop).version == before
    assert Decimal(values(shop)["balance"]) == Decimal("0")


def test_a_ledger_entry_added_or_deleted_in_the_admin_moves_the_balance(
    definitions, clerk_client, rep1, pos_list_editable
):
    shop = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    response = clerk_client.post(
        "/admin/kpis/ledgerentry/add/",
        {"client": shop.pk, "date": "2026-10-01", "kind": "invoice", "reference": "F9", "amount": "2500"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Decimal(values(shop)["balance"]) == Decimal("2500.00")

    entry = LedgerEntry.objects.get()
    response = clerk_client.post(f"/admin/kpis/ledgerentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Decimal(values(shop)["balance"]) == Decimal("0")


def test_a_reps_target_saved_in_the_admin_reaches_the_cards_of_the_reps_clients(
    definitions, clerk_client, rep1, pos_list_editable
):
    shops = [make_client(pos_list_editable, user=rep1, reps=(rep1,), name=f"Boutique {i}") for i in range(3)]
    elsewhere = make_client(pos_list_editable, user=rep1, name="Boutique sans commercial")
    response = clerk_client.post(
        "/admin/kpis/target/add/",
        {"rep": rep1.pk, "period_start": "2020-01-01", "period_end": "2099-12-31", "value": "100000"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Target.objects.count() == 1
    assert [values(shop)["target"] for shop in shops] == ["0.0"] * 3
    assert not KpiCard.objects.filter(client=elsewhere).exists()

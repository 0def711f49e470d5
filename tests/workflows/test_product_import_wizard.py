"""The product catalogue with the wizard, from a file as French Excel saves it: products found by their SKU,
prices with decimal commas and grouped thousands, yes/no in French."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from clients.schema import NOT_BOOLEAN, REQUIRED
from fieldsales.imports import runner
from fieldsales.models import SyncEntry
from tests.factories import ProductFactory
from tests.wizard import excel_workbook, french_excel_csv, tally, wizard_check, wizard_import, wizard_job
from workflows.models import Product
from workflows.resources import NOT_A_PRICE, SKU_TWICE

PRODUCTS = "/admin/workflows/product/import-file/"
HEADERS = ["Code article", "Désignation", "Prix unitaire", "Actif"]
ROWS = [
    ["EAU-150", "Eau minérale 1,5 L", "450", "oui"],
    ["RIZ-25", "Riz parfumé 25 kg", "17 500,50", "oui"],
    ["HUILE-5", "Huile 5 L", "1.234,5", "non"],
]


def catalogue() -> dict[str, tuple[Any, ...]]:
    return {p.sku: (p.name, p.unit_price, p.active, p.version) for p in Product.objects.all()}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_french_catalogue_is_imported_and_the_same_file_again_changes_nothing(clerk_fr, fmt):
    if fmt == "csv":
        content, name = french_excel_csv(HEADERS, ROWS), "articles.csv"
    else:
        content, name = excel_workbook(HEADERS, [[*row[:2], row[2], row[3]] for row in ROWS]), "articles.xlsx"
    job = wizard_job(clerk_fr, PRODUCTS, content, name)
    assert {job.headers[int(p)]: key for p, key in job.mapping.items()} == {
        "Code article": "sku",
        "Désignation": "name",
        "Prix unitaire": "unit_price",
        "Actif": "active",
    }
    job = wizard_check(clerk_fr, PRODUCTS, job)
    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}, job.errors
    assert not Product.objects.exists(), "the check writes nothing"

    wizard_import(clerk_fr, PRODUCTS, content, name)

    assert catalogue() == {
        "EAU-150": ("Eau minérale 1,5 L", Decimal("450"), True, 1),
        "RIZ-25": ("Riz parfumé 25 kg", Decimal("17500.50"), True, 1),
        "HUILE-5": ("Huile 5 L", Decimal("1234.50"), False, 1),
    }
    before = catalogue()
    feed = list(SyncEntry.objects.order_by("pk").values())

    again = wizard_import(clerk_fr, PRODUCTS, content, name)

    assert tally(again) == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    assert catalogue() == before
    assert list(SyncEntry.objects.order_by("pk").values()) == feed, "nothing sent again to the reps"


@pytest.mark.django_db
def test_a_known_sku_whatever_its_capitals_updates_its_product_and_bumps_its_version(clerk_fr):
    ProductFactory(sku="EAU-150", name="Eau 1,5 L", unit_price=Decimal("400"))
    rows = [["eau-150", "Eau minérale 1,5 L", "", ""]]

    job = wizard_import(clerk_fr, PRODUCTS, french_excel_csv(HEADERS, rows), "articles.csv")

    assert tally(job) == {"new": 0, "update": 1, "unchanged": 0, "error": 0}
    # An empty cell leaves the price and the state as they were.
    assert catalogue() == {"EAU-150": ("Eau minérale 1,5 L", Decimal("400"), True, 2)}


@pytest.mark.django_db
def test_bad_rows_are_told_in_french_and_come_back_in_the_error_file(clerk_fr):
    rows = [
        ROWS[0],
        ["SUCRE-1", "", "-5", "peut-être"],
        ["", "Sans code", "100", ""],
        ["riz-25", "Riz", "100", ""],
        ["RIZ-25", "Riz 25 kg", "200", ""],
    ]

    job = wizard_import(clerk_fr, PRODUCTS, french_excel_csv(HEADERS, rows), "articles.csv", mode="good")

    assert tally(job) == {"new": 1, "update": 0, "unchanged": 0, "error": 4}
    errors = dict(job.errors)
    with translation.override("fr"):
        assert errors[3] == f"Nom: {REQUIRED} Prix unitaire: {NOT_A_PRICE} Actif: {NOT_BOOLEAN}"
        assert errors[4] == f"SKU: {REQUIRED}"
        assert str(SKU_TWICE) % {"value": "riz-25", "rows": "5, 6"} in errors[5]
    assert list(catalogue()) == ["EAU-150"]

    response = clerk_fr.get(f"{PRODUCTS}{job.pk}/errors.csv")
    back = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    with translation.override("fr"):
        assert back[0] == [*HEADERS, str(runner.ERROR_COLUMN)]
    assert [row[:-1] for row in back[1:]] == rows[1:]

"""The account statement PDF: the client, every transaction of the period, the right balances, the embedded font."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal

import pytest
from PIL import Image

from kpis.models import LedgerEntry
from kpis.statements import StatementError, statement_build, statement_pdf
from tests.factories import ClientFactory, LedgerEntryFactory
from tests.texts import text_of

pytestmark = pytest.mark.django_db
END = dt.date(2026, 11, 23)


@pytest.fixture
def client_with_ledger(settings):  # type: ignore[no-untyped-def]
    settings.CURRENCY = "€"
    client = ClientFactory(name="Épicerie Françoise à Cocody", statement_enabled=True)
    LedgerEntryFactory(client=client, date=dt.date(2026, 6, 1), reference="F-OLD", amount=Decimal("5000"))
    LedgerEntryFactory(
        client=client,
        date=dt.date(2026, 6, 20),
        kind=LedgerEntry.Kind.PAYMENT,
        reference="P-OLD",
        amount=Decimal("2000"),
    )
    LedgerEntryFactory(
        client=client,
        date=dt.date(2026, 9, 1),
        reference="F-0001",
        amount=Decimal("12500.50"),
        due_date=dt.date(2026, 10, 1),
    )
    LedgerEntryFactory(
        client=client,
        date=dt.date(2026, 10, 5),
        kind=LedgerEntry.Kind.PAYMENT,
        reference="P-0001",
        amount=Decimal("10000"),
    )
    LedgerEntryFactory(
        client=client,
        date=dt.date(2026, 11, 2),
        kind=LedgerEntry.Kind.CREDIT_NOTE,
        reference="A-0001",
        amount=Decimal("500.50"),
    )
    LedgerEntryFactory(
        client=client,
        date=dt.date(2026, 11, 20),
        reference="F-0002",
        amount=Decimal("7000"),
        due_date=dt.date(2026, 12, 20),
    )
    return client


def test_the_statement_holds_the_client_every_transaction_of_the_period_and_the_closing_balance(client_with_ledger):
    pdf = statement_pdf(client=client_with_ledger, language="en", end=END)
    text = text_of(pdf)
    assert "Épicerie Françoise à Cocody" in text
    for reference in ["F-0001", "P-0001", "A-0001", "F-0002"]:
        assert reference in text
    assert "F-OLD" not in text and "P-OLD" not in text  # before the 90 days: in the opening balance
    # Opening 5000 − 2000 = 3000; + 12500.50 − 10000 − 500.50 + 7000 = 12000.
    assert "3,000.00" in text
    assert "Closing balance" in text and "12,000.00 €" in text
    statement = statement_build(client=client_with_ledger, end=END)
    assert (statement.opening, statement.closing) == (Decimal("3000"), Decimal("12000.00"))
    assert [line.balance for line in statement.lines] == [
        Decimal("15500.50"),
        Decimal("5500.50"),
        Decimal("5000.00"),
        Decimal("12000.00"),
    ]
    # Credits (12500.50) settle F-OLD (5000) then 7500.50 of F-0001, due on 1 October: 5000 of it is overdue.
    assert statement.overdue == Decimal("5000.00")


def test_the_statement_speaks_french(client_with_ledger):
    text = text_of(statement_pdf(client=client_with_ledger, language="fr", end=END))
    assert "Relevé de compte" in text and "Solde de clôture" in text
    assert "12 000,00 €" in text.replace("\xa0", " ")


def test_a_client_without_statements_gets_none(db):
    with pytest.raises(StatementError, match="not enabled"):
        statement_pdf(client=ClientFactory(statement_enabled=False), language="en")


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed; CI installs it"
)
def test_page_one_renders_with_the_embedded_font_for_accents_and_the_euro_sign(client_with_ledger, tmp_path):
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(statement_pdf(client=client_with_ledger, language="fr", end=END))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    embedded = [line.split() for line in fonts.splitlines()[2:] if "TrueType" in line]
    assert embedded and all(columns[-5] == "yes" for columns in embedded), fonts  # "emb" column
    assert any("BitstreamVeraSans" in columns[0] for columns in embedded)
    # The characters are drawn with that font: the text layer maps them back to é, à, ç and €.
    text = text_of(pdf.read_bytes())
    for character in "éàç€":
        assert character in text
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = Image.open(tmp_path / "page-1.png").convert("L")
    assert image.size[0] > 400 and image.getextrema()[0] < 80  # a page with dark text on it, not a blank

"""Account statements: a client's ledger over a period as a PDF (xhtml2pdf), with its KPIs, in French or English.

The PDF embeds Bitstream Vera (the Unicode TrueType font that ReportLab ships, DejaVu's parent), so that accents and
€ render whatever fonts the server has. Transactions go into tables of `CHUNK` rows: one table per chunk keeps
xhtml2pdf's layout work, and so the rendering time, linear in the number of rows.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import reportlab
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from xhtml2pdf import pisa

from kpis.metrics import Facts, debt
from kpis.models import KpiCard, LedgerEntry, signed_amount

DEFAULT_DAYS = 90
CHUNK = 40
FONT_DIR = Path(reportlab.__file__).parent / "fonts"
FONTS = {"regular": FONT_DIR / "Vera.ttf", "bold": FONT_DIR / "VeraBd.ttf"}

NOT_ENABLED = _("Account statements are not enabled for this client.")
RENDER_FAILED = _("The statement could not be produced; try again later.")


class StatementError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Line:
    date: dt.date
    kind: Any
    reference: str
    due_date: dt.date | None
    debit: Decimal | None
    credit: Decimal | None
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    client: Any
    start: dt.date
    end: dt.date
    opening: Decimal
    lines: list[Line]
    closing: Decimal
    overdue: Decimal
    folders: list[dict[str, Any]]

    @property
    def chunks(self) -> list[list[Line]]:
        return [self.lines[index : index + CHUNK] for index in range(0, len(self.lines), CHUNK)]


def statement_build(*, client: Any, start: dt.date | None = None, end: dt.date | None = None) -> Statement:
    """The statement's figures. Three queries: the balance before the period, the period's entries, the card."""
    if not client.statement_enabled:
        raise StatementError(NOT_ENABLED)
    end = end or timezone.localdate()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    entries = LedgerEntry.objects.filter(client=client)
    opening = entries.filter(date__lt=start).balance()
    balance = opening
    lines = []
    for kind, reference, date, due_date, amount, signed in (
        entries.filter(date__gte=start, date__lte=end)
        .annotate(signed=signed_amount())
        .order_by("date", "id")
        .values_list("kind", "reference", "date", "due_date", "amount", "signed")
    ):
        balance += signed
        # Amounts are positive, so the sign tells the column: a debit raises the balance, a credit lowers it.
        lines.append(
            Line(
                date=date,
                kind=LedgerEntry.Kind(kind).label,
                reference=reference,
                due_date=due_date,
                debit=amount if signed > 0 else None,
                credit=amount if signed < 0 else None,
                balance=balance,
            )
        )
    card = KpiCard.objects.filter(client=client).values_list("folders", flat=True).first() or []
    overdue = debt(Facts(client=client, today=end)).overdue
    return Statement(client, start, end, opening, lines, balance, overdue, card)


def _font_path(uri: str, rel: str | None = None) -> str:
    """xhtml2pdf's link callback: only the packaged fonts are ever read from disk."""
    for name, path in FONTS.items():
        if uri == f"font:{name}":
            return str(path)
    return uri


def statement_pdf(*, client: Any, language: str, start: dt.date | None = None, end: dt.date | None = None) -> bytes:
    statement = statement_build(client=client, start=start, end=end)
    with translation.override(language):
        html = render_to_string(
            "kpis/statement.html",
            {
                "statement": statement,
                "language": language,
                "company": {"name": settings.COMPANY_NAME, "address": settings.COMPANY_ADDRESS},
                "currency": settings.CURRENCY,
                "generated_at": timezone.localtime(),
            },
        )
    output = io.BytesIO()
    result = pisa.CreatePDF(html, dest=output, encoding="utf-8", link_callback=_font_path)
    if result.err:
        raise StatementError(RENDER_FAILED)
    return output.getvalue()

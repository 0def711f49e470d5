"""The client ledger of the demo: each order's invoice, now and then a credit note on it, and its payment when the
client's payment habit says it has been paid by today. Amounts are stored positive; the entry's kind gives the sign
(kpis owns that rule)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from kpis.models import LedgerEntry

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PaymentHabit:
    """How a client pays, drawn once for its whole history."""

    payer: str  # "good" pays in 3 to 25 days; "late" in 35 to 75, sometimes half; "bad" in 20 to 60, then stops
    unpaid_after: int  # a bad payer has paid nothing for this many days


def draw_payment_habit(rng: random.Random) -> PaymentHabit:
    payer = rng.choices(("good", "late", "bad"), weights=(70, 20, 10))[0]
    return PaymentHabit(payer=payer, unpaid_after=rng.randint(45, 100))


def build_ledger_entries(
    rng: random.Random,
    *,
    client_id: uuid.UUID,
    reference: str,
    day: dt.date,
    offset: int,
    total: Decimal,
    habit: PaymentHabit,
) -> list[LedgerEntry]:
    """The entries of the order of `total` taken `offset` days ago, on `day`. Every draw is made whether or not its
    entry exists, so that the entries of later orders do not depend on the day the command runs."""
    entries = [
        LedgerEntry(
            client_id=client_id,
            date=day,
            kind=LedgerEntry.Kind.INVOICE,
            reference=f"FA-{reference}",
            amount=total,
            due_date=day + dt.timedelta(days=30),
        )
    ]
    due = total  # what the payment settles: the invoice less its credit note
    credit_draw, credit_delay, credit_percent = rng.random(), rng.randint(2, 10), rng.choice((5, 10, 15))
    if credit_draw < 0.06 and credit_delay <= offset:
        credit = money(total * credit_percent / 100)
        due -= credit
        entries.append(
            LedgerEntry(
                client_id=client_id,
                date=day + dt.timedelta(days=credit_delay),
                kind=LedgerEntry.Kind.CREDIT_NOTE,
                reference=f"AV-{reference}",
                amount=credit,
            )
        )
    delay = {"good": rng.randint(3, 25), "late": rng.randint(35, 75), "bad": rng.randint(20, 60)}[habit.payer]
    partial = rng.random() < 0.3
    if delay <= offset and not (habit.payer == "bad" and offset < habit.unpaid_after):
        entries.append(
            LedgerEntry(
                client_id=client_id,
                date=day + dt.timedelta(days=delay),
                kind=LedgerEntry.Kind.PAYMENT,
                reference=f"RG-{reference}",
                amount=money(due / 2) if habit.payer == "late" and partial else due,
            )
        )
    return entries


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)

"""The KPI folders and definitions, and the reps' monthly targets."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from fieldsales.demo.data import KPIS, TARGET_MONTHS, TARGET_STEP
from fieldsales.demo.identity import ensure
from fieldsales.demo.rows import Demo, SalesByRepMonth
from kpis.models import KpiDefinition, KpiFolder, Target


def seed_kpi_definitions() -> None:
    """The KPI folders and their definitions, numbered in the order the cards show them. `ensure` runs the model's
    validation: a metric the registry does not know, or a parameter it does not declare, stops the seed."""
    for position, ((folder_en, folder_fr), definitions) in enumerate(KPIS, start=1):
        folder = ensure(KpiFolder, {"name_en": folder_en}, {"name_fr": folder_fr})[0]
        for order, (key, metric, params, label_en, label_fr, display) in enumerate(definitions, start=1):
            defaults = {
                "metric": metric,
                "params": params,
                "label_en": label_en,
                "label_fr": label_fr,
                "folder": folder,
                "display": display,
                "order": position * 10 + order,
            }
            ensure(KpiDefinition, {"key": key}, defaults)


def seed_targets(demo: Demo, sales: SalesByRepMonth) -> None:
    """A monthly target per rep, the same each month: 10 % above the rep's average month, in round figures."""
    for rep_id in demo.rep_ids.values():
        average = sum((value for (rep, *_month), value in sales.items() if rep == rep_id), Decimal(0))
        average /= TARGET_MONTHS
        steps = (average * Decimal("1.1") / TARGET_STEP).to_integral_value(ROUND_CEILING)
        value = max(steps, Decimal(1)) * TARGET_STEP
        for months_back in range(TARGET_MONTHS):
            start = month_start(demo.today, months_back)
            ensure(
                Target,
                {"rep_id": rep_id, "client": None, "period_start": start, "period_end": month_end(start)},
                {"value": value},
            )


def month_start(day: dt.date, months_back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months_back
    return dt.date(month // 12, month % 12 + 1, 1)


def month_end(start: dt.date) -> dt.date:
    return month_start(start, -1) - dt.timedelta(days=1)

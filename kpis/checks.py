"""`manage.py check --database default` (and `migrate`) over the KPI definitions stored: one naming a metric the
registry does not know, or parameters its metric does not declare, never reaches the reps' cards as meant."""

from __future__ import annotations

from typing import Any

from django.core.checks import Warning
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from kpis.metrics import metric_params_clean
from kpis.models import KpiDefinition


def kpi_definitions_known(app_configs: Any, databases: Any = None, **kwargs: Any) -> list[Warning]:
    # A warning, not an error: `migrate` runs database checks first, and an error would stop the migration that
    # mends these rows (kpis 0008).
    if not databases:
        return []
    problems = []
    try:
        definitions = list(KpiDefinition.objects.values_list("key", "metric", "params", "active"))
    except DatabaseError:  # not migrated yet: nothing stored to check
        return []
    for key, metric, params, active in definitions:
        try:
            metric_params_clean(metric=metric, params=params)
        except ValidationError as error:
            messages = "; ".join(message for messages in error.message_dict.values() for message in messages)
            problems.append(
                Warning(
                    f"KPI definition “{key}”{'' if active else ' (inactive)'}: {messages}",
                    hint="Choose its metric and parameters in the admin's KPI folder, or run migrate.",
                    obj=KpiDefinition,
                    id="kpis.W001",
                )
            )
    return problems

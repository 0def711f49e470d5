# Every stored KPI definition names a metric the registry knows, with the parameters it declares.
#
# The demo seeded its two "Overdue" KPIs with the metric "overdue_amount", which the registry never knew: reps never
# saw them, and the admin showed (then saved) them as "Previous order value". They meant the overdue debt, which is
# "debt_overdue" ("days": overdue by more than that many days, 0 for all that is overdue): they are moved to it.
# Any other unknown metric has no known meaning: its definition is deactivated, said on the output, and the admin
# asks for a metric the next time its folder is saved. Parameters a metric does not declare (the demo's
# target_achievement {"period": "month"}: a target carries its own period) are dropped, as are values out of type or
# bounds (the metric's default applies), which is what the cards computed with until now.

import sys

from django.db import migrations

# The registry (kpis/metrics.py METRICS) as of this migration: each metric's parameters and their bounds.
KNOWN = {
    "previous_order_value": {},
    "previous_order_quantity": {},
    "days_since_last_visit": {},
    "activity_status": {"new_days": (0, 3650), "active_days": (1, 3650)},
    "debt_balance": {},
    "debt_overdue": {"days": (0, 3650)},
    "debt_overdue_days": {},
    "debt_status": {},
    "average_order_value": {"days": (1, 3650)},
    "visits_count": {"days": (1, 3650)},
    "target_achievement": {},
}
RENAMED = {"overdue_amount": "debt_overdue"}


def _integer(value, low, high):
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def known_params(metric, params):
    """The parameters the metric declares, valid; the rest dropped (the metric's default applies)."""
    declared = KNOWN[metric]
    params = params if isinstance(params, dict) else {}
    kept = {}
    for name, value in params.items():
        if name in declared:
            number = _integer(value, *declared[name])
            if number is not None:
                kept[name] = number
    return kept


def mend(apps, schema_editor):
    KpiDefinition = apps.get_model("kpis", "KpiDefinition")
    for definition in KpiDefinition.objects.order_by("pk"):
        metric = RENAMED.get(definition.metric, definition.metric)
        if metric not in KNOWN:
            if definition.active:
                definition.active = False
                definition.save(update_fields=["active"])
                sys.stdout.write(
                    f"\n  KPI definition “{definition.key}” names the unknown metric “{metric}”: deactivated; "
                    "choose its metric in the admin's KPI folder."
                )
            continue
        params = known_params(metric, definition.params)
        if (metric, params) != (definition.metric, definition.params):
            definition.metric, definition.params = metric, params
            definition.save(update_fields=["metric", "params"])


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0007_import_export_permissions"),
    ]

    operations = [migrations.RunPython(mend, migrations.RunPython.noop)]

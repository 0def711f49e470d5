"""The workflows app's jobs (fieldsales/jobs.py): run by a worker."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fieldsales.jobs import job
from workflows.planning import plans_window_move


@job(label=_("Planned visits on the phones"), attempts=3)
def move_plans_window() -> int:
    """The nightly move of the plans' days the phones hold (workflows.planning.PHONE_DAYS_BACK and _AHEAD)."""
    with transaction.atomic():
        return plans_window_move()

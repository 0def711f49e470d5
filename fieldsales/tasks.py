"""The jobs of imports and sync (fieldsales/jobs.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from fieldsales.imports.runner import import_job_run, import_jobs_run_pending
from fieldsales.jobs import job
from fieldsales.sync.push import prune_ops


@job(label=_("Import file"))
def run_import(*, job_id: Any) -> bool:
    return import_job_run(job_id=job_id)


@job(label=_("Imports stopped on the way"))
def run_lost_imports() -> int:
    return import_jobs_run_pending()


@job(label=_("Old op results forgotten"), attempts=3)
def prune_sync_ops() -> int:
    return prune_ops()

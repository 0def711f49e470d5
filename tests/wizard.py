"""The import wizard (fieldsales.imports) as a clerk goes through it: send a file, keep the proposed column
matching, check, confirm; the background job run here, in the test's thread."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from fieldsales.imports import runner
from fieldsales.models import ImportJob


def wizard_send(http: Any, url: str, content: bytes, name: str, **fields: Any) -> Any:
    """The upload page posted: a redirect to the job, or the page again with the form's errors."""
    return http.post(url, {"import_file": SimpleUploadedFile(name, content), **fields})


def wizard_job(http: Any, url: str, content: bytes, name: str, **fields: Any) -> ImportJob:
    response = wizard_send(http, url, content, name, **fields)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def wizard_check(http: Any, url: str, job: ImportJob, *, mode: str = "all") -> ImportJob:
    mapping = {f"column_{position}": key for position, key in job.mapping.items()}
    response = http.post(f"{url}{job.pk}/", {**mapping, "mode": mode})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert runner.import_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.stage, job.status) == ("check", "done"), job.problem
    return job


def wizard_confirm(http: Any, url: str, job: ImportJob, *, mode: str = "all") -> ImportJob:
    response = http.post(f"{url}{job.pk}/", {"action": "import", "mode": mode})
    assert response.status_code == 302
    assert runner.import_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.stage, job.status) == ("import", "done"), job.problem
    return job


def wizard_import(http: Any, url: str, content: bytes, name: str, *, mode: str = "all", **fields: Any) -> ImportJob:
    """The whole journey with the matching the wizard proposes."""
    job = wizard_job(http, url, content, name, **fields)
    return wizard_confirm(http, url, wizard_check(http, url, job, mode=mode), mode=mode)


def tally(job: ImportJob) -> dict[str, int]:
    return {action: job.counts.get(action, 0) for action in ("new", "update", "unchanged", "error")}

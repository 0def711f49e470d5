"""Running an import job: the check (nothing written), then the import, a batch at a time, off the request path.

A job is claimed by one process at a time (an UPDATE that only one can win). "Import the good rows" commits each
batch with the job's progress, so that a job whose process died resumes after its last committed batch; "all or
nothing" checks every row, then writes them all in one transaction, so that a lost job starts again from the top.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator
from typing import Any

import openpyxl
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fieldsales.imports.base import ACTIONS, ERROR, Importer, Outcome, Row
from fieldsales.imports.reading import FileProblem, read_table
from fieldsales.models import ImportJob
from fieldsales.spreadsheets import excel_separator, inert, unquoted

logger = logging.getLogger(__name__)

BATCH = 1000
# A running job whose process has not written for this long is taken as lost, and run again.
STALE = dt.timedelta(minutes=5)

UNEXPECTED = _(
    "An unexpected problem stopped this import. Rows already imported stay imported; import the error file or the "
    "same file again to finish (rows already imported are then left as they are)."
)
ERROR_COLUMN = _("Error")


def import_job_start(*, job: ImportJob, stage: str, mode: str | None = None) -> ImportJob:
    """Queue the job's check or import: a job of the queue, enqueued in the caller's transaction."""
    from fieldsales.tasks import run_import

    job.stage = stage
    if mode is not None:
        job.mode = mode
    job.status = ImportJob.Status.QUEUED
    job.rows_done = 0
    job.counts = {}
    job.errors = []
    job.problem = ""
    job.started_at = job.heartbeat_at = job.finished_at = None
    job.save()
    run_import.enqueue(job_id=str(job.pk))
    return job


def import_jobs_pending() -> list[Any]:
    """Ids of the jobs waiting, or running in a process that has stopped."""
    lost = timezone.now() - STALE
    return list(
        ImportJob.objects.filter(
            Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING, heartbeat_at__lt=lost)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def import_jobs_run_pending() -> int:
    """Run every pending job here and now (the command, and the tests). Returns how many ran."""
    ran = 0
    for job_id in import_jobs_pending():
        ran += import_job_run(job_id=job_id)
    return ran


def _claim(job_id: Any) -> ImportJob | None:
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING, heartbeat_at__lt=now - STALE)
    if not ImportJob.objects.filter(claimable, pk=job_id).update(status=ImportJob.Status.RUNNING, heartbeat_at=now):
        return None
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    return job


def import_job_run(*, job_id: Any) -> bool:
    """Run the job if no other process is running it. Whatever happens, the clerk reads what, in their language."""
    job = _claim(job_id)
    if job is None:
        return False
    with translation.override(job.language):
        try:
            _run(job)
        except FileProblem as problem:
            _fail(job, str(problem))
        except Exception:
            logger.exception("import %s", job.pk)
            _fail(job, str(UNEXPECTED))
    return True


def _fail(job: ImportJob, problem: str) -> None:
    job.problem = problem
    job.status = ImportJob.Status.FAILED
    job.finished_at = timezone.now()
    job.save(update_fields=["problem", "status", "finished_at"])


def job_rows(job: ImportJob) -> list[Row]:
    table = read_table(content=bytes(job.content))
    positions = [(int(position), key) for position, key in job.mapping.items() if key]
    # The quote an export puts before a formula-like text (fieldsales.spreadsheets.inert) comes off, so that an
    # export or an error file imported back is what was stored.
    return [
        Row(number, {key: unquoted(cells[position]) for position, key in positions if position < len(cells)})
        for number, cells in table.rows
    ]


def _batches(rows: list[Row], start: int = 0) -> Iterator[tuple[int, list[Row]]]:
    for offset in range(start, len(rows), BATCH):
        yield offset, rows[offset : offset + BATCH]


def _checked(importer: Importer, batch: list[Row], file_errors: dict[int, list[str]]) -> list[Outcome]:
    outcomes = importer.check(batch)
    for row, outcome in zip(batch, outcomes, strict=True):
        if row.number in file_errors:
            messages = [*file_errors[row.number], *(outcome.messages if outcome.action == ERROR else [])]
            outcome.action, outcome.messages, outcome.payload = ERROR, messages, None
    return outcomes


def _tally(job: ImportJob, batch: list[Row], outcomes: list[Outcome]) -> None:
    counts = {action: int(job.counts.get(action, 0)) for action in ACTIONS}
    for row, outcome in zip(batch, outcomes, strict=True):
        counts[outcome.action] += 1
        if outcome.action == ERROR:
            job.errors.append([row.number, " ".join(outcome.messages)])
    job.counts = counts


def _progress(job: ImportJob, rows_done: int) -> None:
    job.rows_done = rows_done
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["rows_done", "heartbeat_at", "counts", "errors", "total_rows"])


def _run(job: ImportJob) -> None:
    importer = Importer.for_job(job)
    rows = job_rows(job)
    job.total_rows = len(rows)
    resuming = job.stage == ImportJob.Stage.IMPORT and job.mode == ImportJob.Mode.GOOD_ROWS and job.rows_done > 0
    if not resuming:
        job.rows_done, job.counts, job.errors = 0, {}, []
    file_errors = importer.prepare(rows)
    if job.stage == ImportJob.Stage.CHECK:
        for offset, batch in _batches(rows):
            _tally(job, batch, _checked(importer, batch, file_errors))
            _progress(job, offset + len(batch))
    elif job.mode == ImportJob.Mode.GOOD_ROWS:
        for offset, batch in _batches(rows, job.rows_done):
            with transaction.atomic():
                outcomes = _checked(importer, batch, file_errors)
                importer.write([outcome for outcome in outcomes if outcome.action != ERROR])
                importer.finish()
                _tally(job, batch, outcomes)
                _progress(job, offset + len(batch))
    else:
        checked: list[Outcome] = []
        for offset, batch in _batches(rows):
            outcomes = _checked(importer, batch, file_errors)
            _tally(job, batch, outcomes)
            checked.extend(outcomes)
            _progress(job, offset + len(batch))
        if not job.errors:
            with transaction.atomic():
                for start in range(0, len(checked), BATCH):
                    importer.write(checked[start : start + BATCH])
                importer.finish()
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "rows_done", "counts", "errors", "total_rows"])


def written(job: ImportJob) -> bool:
    """Whether the job's rows went into the database (an import that was not refused as a whole)."""
    return (
        job.stage == ImportJob.Stage.IMPORT
        and job.status == ImportJob.Status.DONE
        and (job.mode == ImportJob.Mode.GOOD_ROWS or not job.errors)
    )


# The error file ------------------------------------------------------------------------------------------------


def error_rows(job: ImportJob) -> tuple[list[str], list[list[Any]]]:
    """The file's header row and the rows that were not imported, as they were, each with its error at the end."""
    table = read_table(content=bytes(job.content))
    errors = dict(job.errors)
    headers = [*table.headers, str(ERROR_COLUMN)]
    return headers, [[*cells, errors[number]] for number, cells in table.rows if number in errors]


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def spreadsheet(rows: list[list[Any]], *, file_format: str, language: str) -> bytes:
    """Rows as a file the clerk's spreadsheet opens as it is: XLSX, or CSV in UTF-8 with a BOM and the separator of
    the clerk's Excel (`;` in French). Cells that a spreadsheet would run are made inert."""
    if file_format == "xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for cells in rows:
            sheet.append([inert(cell, typed_cells=True) for cell in cells])
        output = io.BytesIO()
        book.save(output)
        return output.getvalue()
    with translation.override(language):
        separator = excel_separator()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=separator, lineterminator="\r\n")
    writer.writerows([[inert(cell) for cell in cells] for cells in rows])
    return text.getvalue().encode("utf-8-sig")


def error_file(*, job: ImportJob, file_format: str) -> bytes:
    """The rows that were not imported, as they were, with their error: to correct and import again."""
    with translation.override(job.language):
        headers, rows = error_rows(job)
    return spreadsheet([headers, *rows], file_format=file_format, language=job.language)

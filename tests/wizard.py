"""The import wizard (fieldsales.imports) as a clerk goes through it: send a file, keep the proposed column
matching, check, confirm; the background job run here, in the test's thread. And the files, as spreadsheets save
them."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
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


def french_excel_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """ "CSV (separator: semicolon)" from French Excel on Windows: Windows-1252, `;`, CRLF, and the blank rows a
    formatted sheet leaves at the end."""
    lines = [";".join(headers), *(";".join(row) for row in rows), ";" * (len(headers) - 1), ";" * (len(headers) - 1)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def english_excel_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """ "CSV UTF-8 (comma delimited)" from Excel: a BOM, `,`, cells with commas quoted."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([headers, *rows])
    return text.getvalue().encode("utf-8-sig")


def unicode_text(headers: list[str], rows: list[list[str]]) -> bytes:
    """Excel's "Unicode Text": UTF-16 with a BOM, tab-separated."""
    lines = ["\t".join(headers), *("\t".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-16")


def excel_workbook(headers: list[str], rows: list[list[Any]], *, blank_rows: int = 3) -> bytes:
    """An .xlsx with typed cells (numbers, a date) and formatted blank rows below the data."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for offset in range(blank_rows):
        sheet.cell(row=len(rows) + 2 + offset, column=1).number_format = "0.00"
        sheet.cell(row=len(rows) + 2 + offset, column=2).value = None
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()

"""The wizard's pages in the admin, for any ModelAdmin that names an `Importer`: send a file, match its columns,
watch the check, confirm, watch the import, download the rows that were not imported.

Every page reads the job from the database, so the clerk may leave one and come back, from another worker too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fieldsales.imports.base import ACTIONS, Importer, mapping_by_header
from fieldsales.imports.columns import IGNORED, fold, match_headers
from fieldsales.imports.reading import FileProblem, Table, read_table
from fieldsales.imports.runner import CONTENT_TYPES, error_file, import_job_start, spreadsheet, written
from fieldsales.models import ImportJob

SAMPLE_ROWS = 3
ERRORS_SHOWN = 50

FILE_HELP = _("An Excel file (.xlsx) or a CSV file, as your spreadsheet saves it; the first row names the columns.")
TWICE = _("Each column can be matched to one column of the file only: “%(column)s” is chosen twice.")
CHECK_QUEUED = _("The file is being checked. You can leave this page and come back.")
IMPORT_QUEUED = _("The import has started. You can leave this page and come back.")


def _user_id(request: HttpRequest) -> Any:
    return getattr(request.user, "pk", None)


class UploadForm(forms.Form):
    import_file = forms.FileField(label=_("File"), help_text=FILE_HELP)

    def __init__(self, *args: Any, importer_class: type[Importer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(importer_class.scope_fields())
        self.table: Table | None = None

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        content = upload.read()
        try:
            self.table = read_table(content=content, limit=SAMPLE_ROWS)
        except FileProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        self.content = content
        return upload


class ModeForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("If some rows have errors"),
        choices=ImportJob.Mode.choices,
        widget=forms.RadioSelect,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
    )


class MappingForm(ModeForm):
    def __init__(self, *args: Any, job: ImportJob, importer: Importer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = importer.columns()
        choices = [(IGNORED, _("— do not import —")), *((column.key, column.label) for column in self.columns)]
        for position, header in enumerate(job.headers):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=header or "—", choices=choices, required=False, initial=job.mapping.get(str(position), IGNORED)
            )
        self.fields["mode"].initial = job.mode
        self.headers = job.headers

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen: dict[str, str] = {}
        labels = {column.key: column.label for column in self.columns}
        for position in range(len(self.headers)):
            key = cleaned.get(f"column_{position}") or IGNORED
            if key == IGNORED:
                continue
            if key in chosen:
                self.add_error(f"column_{position}", TWICE % {"column": labels[key]})
            chosen[key] = str(position)
        self.mapping = {position: key for key, position in chosen.items()}
        return cleaned


class ImportWizardMixin:
    """For a ModelAdmin: the import wizard at `import-file/`, with a button on the changelist."""

    importer_class: type[Importer]

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"  # type: ignore[attr-defined]
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("import-file/", wrap(self.import_wizard_view), name=f"{prefix}_import_wizard"),
            path(
                "import-file/template.<str:file_format>",
                wrap(self.import_template_view),
                name=f"{prefix}_import_template",
            ),
            path("import-file/<uuid:job_id>/", wrap(self.import_job_view), name=f"{prefix}_import_job"),
            path(
                "import-file/<uuid:job_id>/status.json",
                wrap(self.import_status_view),
                name=f"{prefix}_import_status",
            ),
            path(
                "import-file/<uuid:job_id>/errors.<str:file_format>",
                wrap(self.import_errors_view),
                name=f"{prefix}_import_errors",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = dict(extra_context or {})
        if self.has_import_wizard_permission(request):
            context["import_wizard_url"] = self._url("import_wizard")
        response = super().changelist_view(request, context)  # type: ignore[misc]
        # Only the list itself: an action's confirmation page comes back from here too.
        data = getattr(response, "context_data", None) or {}
        if "cl" in data and "import_wizard_url" in context:
            base = getattr(self, "change_list_template", None) or "admin/change_list.html"
            response.context_data["import_wizard_base"] = base
            response.template_name = "admin/imports/change_list.html"
        return response

    def has_import_wizard_permission(self, request: HttpRequest) -> bool:
        """The model's own import permission ("clients.import_client"): a role may add and change records by hand
        without being trusted with a file of thousands."""
        opts = self.opts  # type: ignore[attr-defined]
        codename = get_permission_codename(settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE, opts)
        return bool(request.user.has_perm(f"{opts.app_label}.{codename}"))

    # Helpers ---------------------------------------------------------------------------------------------------

    def _url(self, name: str, **kwargs: Any) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",  # type: ignore[attr-defined]
            kwargs=kwargs,
        )

    def _allowed(self, request: HttpRequest) -> None:
        if not self.has_import_wizard_permission(request):
            raise PermissionDenied

    def _job(self, request: HttpRequest, job_id: Any) -> ImportJob:
        self._allowed(request)
        job = get_object_or_404(ImportJob, pk=job_id, kind=self.importer_class.kind)
        if job.user_id != request.user.pk and not request.user.is_superuser:  # type: ignore[union-attr]
            raise Http404
        return job

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "changelist_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"  # type: ignore[attr-defined]
            ),
            "wizard_url": self._url("import_wizard"),
            **extra,
        }

    # Views -----------------------------------------------------------------------------------------------------

    def import_wizard_view(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        form = UploadForm(request.POST or None, request.FILES or None, importer_class=self.importer_class)
        if request.method == "POST" and form.is_valid() and form.table is not None:
            job = ImportJob(
                kind=self.importer_class.kind,
                scope=self.importer_class.scope_of(form.cleaned_data),
                user_id=_user_id(request),
                language=(get_language() or "en")[:8],
                file_name=form.cleaned_data["import_file"].name[:255],
                content=form.content,
                headers=form.table.headers,
                total_rows=form.table.total,
            )
            importer = self.importer_class(job=job)
            mapping = match_headers(job.headers, importer.columns(), importer.saved_mapping())
            job.mapping = {str(position): key for position, key in mapping.items()}
            job.save()
            return HttpResponseRedirect(self._url("import_job", job_id=job.pk))
        recent = ImportJob.objects.filter(kind=self.importer_class.kind, user_id=_user_id(request)).defer("content")[
            :10
        ]
        templates = self._template_links(request)
        context = self._context(
            request,
            title=_("Import a file: %(what)s") % {"what": self.opts.verbose_name_plural},  # type: ignore[attr-defined]
            form=form,
            recent=recent,
            templates=templates,
        )
        return TemplateResponse(request, "admin/imports/upload.html", context)

    def _template_links(self, request: HttpRequest) -> list[tuple[str, str, str]]:
        """(label, XLSX link, CSV link) of the templates: one per choice of the scope (a client list's columns are
        its schema), or one."""
        xlsx, csv = self._url("import_template", file_format="xlsx"), self._url("import_template", file_format="csv")
        scope_fields = self.importer_class.scope_fields()
        if not scope_fields:
            return [(str(self.opts.verbose_name_plural), xlsx, csv)]  # type: ignore[attr-defined]
        name, field = next(iter(scope_fields.items()))
        return [
            (str(label), f"{xlsx}?{name}={value}", f"{csv}?{name}={value}")
            for value, label in getattr(field, "choices", [])
            if str(value)
        ]

    def import_template_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        self._allowed(request)
        form = forms.Form(request.GET)
        form.fields.update(self.importer_class.scope_fields())
        if file_format not in ("xlsx", "csv") or not form.is_valid():
            raise Http404
        job = ImportJob(
            kind=self.importer_class.kind,
            scope=self.importer_class.scope_of(form.cleaned_data),
            language=(get_language() or "en")[:8],
        )
        headers = self.importer_class(job=job).template_headers()
        content = spreadsheet([headers], file_format=file_format, language=job.language)
        response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
        name = f"{self.opts.model_name}-template.{file_format}"  # type: ignore[attr-defined]
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def import_job_view(self, request: HttpRequest, job_id: Any) -> HttpResponse:
        job = self._job(request, job_id)
        importer = Importer.for_job(job)
        if job.status == ImportJob.Status.MAPPING:
            return self._mapping_step(request, job, importer)
        if request.method == "POST" and job.finished:
            action = request.POST.get("action")
            if action == "remap":
                job.status = ImportJob.Status.MAPPING
                job.save(update_fields=["status"])
                return HttpResponseRedirect(request.path)
            if action == "import" and job.stage == ImportJob.Stage.CHECK and job.status == ImportJob.Status.DONE:
                form = ModeForm(request.POST)
                if form.is_valid():
                    import_job_start(job=job, stage=ImportJob.Stage.IMPORT, mode=form.cleaned_data["mode"])
                    messages.info(request, IMPORT_QUEUED)
                    return HttpResponseRedirect(request.path)
        counts = {action: int(job.counts.get(action, 0)) for action in ACTIONS}
        was_written = written(job)
        context = self._context(
            request,
            title=importer.title(),
            job=job,
            counts=counts,
            errors_shown=job.errors[:ERRORS_SHOWN],
            more_errors=max(0, len(job.errors) - ERRORS_SHOWN),
            mode_form=ModeForm(initial={"mode": job.mode}),
            written=was_written,
            # An import that ended without writing: all or nothing, with rows in error.
            refused=job.stage == ImportJob.Stage.IMPORT and job.status == ImportJob.Status.DONE and not was_written,
            errors_csv=self._url("import_errors", job_id=job.pk, file_format="csv"),
            errors_xlsx=self._url("import_errors", job_id=job.pk, file_format="xlsx"),
            status_url=self._url("import_status", job_id=job.pk),
        )
        return TemplateResponse(request, "admin/imports/job.html", context)

    def _mapping_step(self, request: HttpRequest, job: ImportJob, importer: Importer) -> HttpResponse:
        form = MappingForm(request.POST or None, job=job, importer=importer)
        if request.method == "POST" and form.is_valid():
            job.mapping = form.mapping
            job.mode = form.cleaned_data["mode"]
            importer.save_mapping(mapping_by_header(job.headers, job.mapping))
            import_job_start(job=job, stage=ImportJob.Stage.CHECK)
            messages.info(request, CHECK_QUEUED)
            return HttpResponseRedirect(request.path)
        try:
            table = read_table(content=bytes(job.content), limit=SAMPLE_ROWS)
            samples = [[cells[position] for _number, cells in table.rows] for position in range(len(job.headers))]
        except FileProblem:
            samples = [[] for _header in job.headers]
        matched = set(job.mapping.values())
        rows = [
            (form[f"column_{position}"], samples[position] if position < len(samples) else [])
            for position in range(len(job.headers))
        ]
        unmatched = [column for column in form.columns if column.key not in matched and column.required]
        context = self._context(
            request,
            title=importer.title(),
            job=job,
            form=form,
            rows=rows,
            notes=importer.notes(),
            unmatched=unmatched,
        )
        return TemplateResponse(request, "admin/imports/mapping.html", context)

    def import_status_view(self, request: HttpRequest, job_id: Any) -> JsonResponse:
        job = self._job(request, job_id)
        return JsonResponse(
            {
                "status": job.status,
                "stage": job.stage,
                "rows_done": job.rows_done,
                "total_rows": job.total_rows,
                "percent": job.percent,
                "counts": job.counts,
                "errors": len(job.errors),
            }
        )

    def import_errors_view(self, request: HttpRequest, job_id: Any, file_format: str) -> HttpResponse:
        job = self._job(request, job_id)
        if file_format not in ("csv", "xlsx") or not job.finished:
            raise Http404
        content = error_file(job=job, file_format=file_format)
        response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
        stem = job.file_name.rsplit(".", 1)[0] or "import"
        name = f"{fold(stem).replace(' ', '-') or 'import'}-errors.{file_format}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

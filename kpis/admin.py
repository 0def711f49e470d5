from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin

from clients import bulk
from clients.models import Client
from clients.selectors import client_assigned_to
from fieldsales.accounts import team_of
from fieldsales.imports.admin import ImportWizardMixin
from fieldsales.spreadsheets import SpreadsheetExportMixin
from fieldsales.sync.feed import publish
from kpis.delivery import deliveries_enqueue
from kpis.forms import CollectionPlanForm, KpiDefinitionForm
from kpis.models import KpiDefinition, KpiFolder, LedgerEntry, StatementDelivery, Target
from kpis.planning import CollectionPlanned, collection_visits_plan
from kpis.resources import LedgerEntryResource, LedgerImporter, TargetImporter
from kpis.services import (
    kpi_cards_refresh,
    kpi_cards_refresh_all_soon,
    kpi_cards_refresh_for_targets,
    kpi_folder_changed,
)


class RefreshCardsMixin:
    """Saving or deleting here changes KPI values: the cards concerned follow, in the same transaction."""

    def refresh(self, objs: Any) -> None:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        self.refresh([obj])

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        self.refresh([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        objs = list(queryset)
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        self.refresh(objs)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ImportWizardMixin, RefreshCardsMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [LedgerEntryResource]
    importer_class = LedgerImporter
    list_display = ["client", "date", "kind", "reference", "amount", "due_date"]
    list_filter = ["kind", "date"]
    list_select_related = ["client"]
    search_fields = ["reference", "client__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["client"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        queryset = super().get_queryset(request)
        team = team_of(user=request.user)
        return queryset if team is None else queryset.filter(client_assigned_to(reps=team, client_field="client"))

    def refresh(self, objs: Any) -> None:
        # An edit may move an entry to another client: the old one's card is recomputed by the daily refresh.
        kpi_cards_refresh(client_ids={entry.client_id for entry in objs})


class KpiDefinitionInline(admin.StackedInline):
    """The metric from the registry and its parameters as its own typed inputs (kpis/forms.py). Stacked, a few
    fields a line: a table of them all was wider than a laptop's screen, the parameters out of sight."""

    model = KpiDefinition
    form = KpiDefinitionForm
    extra = 0
    fields = [("label_en", "label_fr"), ("metric", "params"), ("display", "order"), ("key", "active")]


@admin.register(KpiFolder)
class KpiFolderAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_fr"]
    inlines = [KpiDefinitionInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        kpi_folder_changed(folder=form.instance)
        kpi_cards_refresh_all_soon()
        self.message_user(request, _("Every client's KPI card is being recomputed; the reps' phones follow."))

    def delete_model(self, request: HttpRequest, obj: KpiFolder) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        publish("kpi_folder", [pk])
        kpi_cards_refresh_all_soon()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[KpiFolder]) -> None:
        pks = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        publish("kpi_folder", pks)
        kpi_cards_refresh_all_soon()


@admin.register(Target)
class TargetAdmin(ImportWizardMixin, RefreshCardsMixin, admin.ModelAdmin):
    importer_class = TargetImporter
    list_display = ["client", "rep", "period_start", "period_end", "value"]
    list_select_related = ["client", "rep"]
    autocomplete_fields = ["client", "rep"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Target]:
        queryset = super().get_queryset(request)
        team = team_of(user=request.user)
        if team is None:
            return queryset
        return queryset.filter(Q(rep__in=team.values("pk")) | client_assigned_to(reps=team, client_field="client"))

    def refresh(self, objs: Any) -> None:
        kpi_cards_refresh_for_targets(targets=objs)


@admin.register(StatementDelivery)
class StatementDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was asked, by whom, through which channel, and what the provider answered."""

    list_display = ["created_at", "client", "channel", "recipient", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["client"]
    search_fields = ["client__name", "recipient"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in StatementDelivery._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StatementDelivery | None = None) -> bool:
        # The log is what answers "was the statement sent?": no one but a superuser takes a line out of it.
        return request.user.is_superuser

    @admin.action(description=_("Send the selected statements again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[StatementDelivery]) -> None:
        ids = list(queryset.exclude(status=StatementDelivery.Status.SENT).values_list("pk", flat=True))
        count = StatementDelivery.objects.filter(pk__in=ids).update(
            status=StatementDelivery.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        deliveries_enqueue(ids)
        self.message_user(
            request, ngettext("%(count)d statement queued.", "%(count)d statements queued.", count) % {"count": count}
        )


def _collection_done(planned: CollectionPlanned) -> str:
    done = ngettext(
        "%(count)d collection visit plan made", "%(count)d collection visit plans made", planned.created
    ) % {"count": planned.created}
    done += " " + ngettext("for %(count)d rep.", "for %(count)d reps.", planned.reps) % {"count": planned.reps}
    if planned.left_out:
        done += " " + ngettext(
            "%(count)d client left out: no debt overdue for long enough, archived, or no rep of theirs you may plan "
            "for (or on a list the workflow is not for).",
            "%(count)d clients left out: no debt overdue for long enough, archived, or no rep of theirs you may plan "
            "for (or on a list the workflow is not for).",
            planned.left_out,
        ) % {"count": planned.left_out}
    return done


def plan_collection_visits(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    """The client list's action: plan visits to the clients of the selection (any filter, across pages) whose debt
    has been overdue for too long, on a page of its own; the others are left out, and counted."""
    count, archived = bulk.selection(queryset)
    if not count:
        return bulk.nothing_to_change(modeladmin, request)
    form = CollectionPlanForm(bulk.posted(request), user=request.user)
    if form.is_valid():
        try:
            planned = collection_visits_plan(user=request.user, clients=queryset, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            level = messages.SUCCESS if planned.created else messages.WARNING
            modeladmin.message_user(request, _collection_done(planned), level)
            return None
    summary = ngettext(
        "Plan a collection visit to those of the %(count)d selected client whose debt is overdue for more than the "
        "days below: by the rep chosen, or else by each client's own reps. Conflicts show on the visit plans' list.",
        "Plan a collection visit to those of the %(count)d selected clients whose debt is overdue for more than the "
        "days below: by the rep chosen, or else by each client's own reps. Conflicts show on the visit plans' list.",
        count,
    )
    lines = [summary % {"count": count}, *bulk.archived_line(archived)]
    title = _("Plan collection visits")
    return bulk.confirmation_page(modeladmin, request, "plan_collection_visits", title=title, lines=lines, form=form)


plan_collection_visits.short_description = _(  # type: ignore[attr-defined]
    "Plan collection visits to clients with overdue debt"
)
bulk.client_action_register(plan_collection_visits, permission="workflows.add_visitplan")

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin

from kpis.delivery import deliveries_kick
from kpis.metrics import metric_choices
from kpis.models import KpiDefinition, KpiFolder, LedgerEntry, StatementDelivery, Target
from kpis.resources import LedgerEntryResource


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ImportExportModelAdmin):
    resource_classes = [LedgerEntryResource]
    list_display = ["client", "date", "kind", "reference", "amount", "due_date"]
    list_filter = ["kind", "date"]
    list_select_related = ["client"]
    search_fields = ["reference", "client__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["client"]


class KpiDefinitionInline(admin.TabularInline):
    model = KpiDefinition
    extra = 0

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The metric is one the registry knows: a typo would be a KPI that never shows.
        if db_field.name == "metric":
            return forms.ChoiceField(choices=metric_choices(), label=db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    fields = ["order", "key", "label_en", "label_fr", "metric", "params", "display", "active"]


@admin.register(KpiFolder)
class KpiFolderAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_fr"]
    inlines = [KpiDefinitionInline]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["client", "rep", "period_start", "period_end", "value"]
    list_select_related = ["client", "rep"]
    autocomplete_fields = ["client", "rep"]


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

    @admin.action(description=_("Send the selected statements again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[StatementDelivery]) -> None:
        count = queryset.exclude(status=StatementDelivery.Status.SENT).update(
            status=StatementDelivery.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        deliveries_kick()
        self.message_user(
            request, ngettext("%(count)d statement queued.", "%(count)d statements queued.", count) % {"count": count}
        )

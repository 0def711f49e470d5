from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from kpis.models import KpiDefinition, KpiFolder, LedgerEntry, Target
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

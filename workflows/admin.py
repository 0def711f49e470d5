from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ExportMixin

from fieldsales.accounts import team_of
from fieldsales.imports.admin import ImportWizardMixin
from fieldsales.spreadsheets import SpreadsheetExportMixin
from fieldsales.sync.feed import publish
from workflows.models import Activity, ActivitySubmission, Note, OrderLine, Product, Visit, Workflow
from workflows.resources import OrderLineResource, ProductImporter, VisitResource
from workflows.services import product_changed, workflow_changed


class ActivityInline(admin.StackedInline):
    model = Activity
    extra = 0
    fields = [("order", "name_en", "name_fr", "kind"), ("requires_visit", "requires_geo_checkin", "radius_m"), "fields"]


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_fr", "active", "order", "version"]
    list_filter = ["active"]
    filter_horizontal = ["client_lists"]
    readonly_fields = ["version"]
    inlines = [ActivityInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        workflow_changed(workflow=form.instance)

    def delete_model(self, request: HttpRequest, obj: Workflow) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        publish("workflow", [pk])


class ReadOnlyAdminMixin:
    """Records made by reps in the field: the back office reads them, it does not rewrite them. A supervisor reads
    those of their own reps only (fieldsales.accounts.team_of); `rep_field` leads from the record to its rep."""

    rep_field = "rep"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        team = team_of(user=request.user)
        return queryset if team is None else queryset.filter(**{f"{self.rep_field}__in": team.values("pk")})

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SubmissionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ActivitySubmission
    rep_field = "visit__rep"
    extra = 0
    fields = ["activity", "values", "order_total", "submitted_at"]
    readonly_fields = ["activity", "values", "order_total", "submitted_at"]
    can_delete = False


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [VisitResource]
    list_display = ["client", "rep", "workflow", "checked_in_at", "ended_at", "distance_m"]
    list_filter = ["workflow", "rep", "checked_in_at"]
    list_select_related = ["client", "rep", "workflow"]
    search_fields = ["client__name", "rep__username"]
    date_hierarchy = "checked_in_at"
    inlines = [SubmissionInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [OrderLineResource]
    rep_field = "submission__visit__rep"
    list_display = ["submission", "product", "quantity", "unit_price", "value"]
    list_select_related = ["submission__visit__client", "submission__activity", "product"]
    search_fields = ["product__name", "product__sku", "submission__visit__client__name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(ImportWizardMixin, admin.ModelAdmin):
    importer_class = ProductImporter
    list_display = ["sku", "name", "unit_price", "active"]
    list_filter = ["active"]
    search_fields = ["sku", "name"]
    readonly_fields = ["version"]

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        product_changed(product=obj)

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        publish("product", [pk])


@admin.register(Note)
class NoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    rep_field = "author"
    list_display = ["client", "author", "created_at", "text"]
    list_select_related = ["client", "author"]
    search_fields = ["client__name", "text"]
    list_filter = [("created_at", admin.DateFieldListFilter)]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

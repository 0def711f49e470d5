import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy
from import_export.admin import ExportMixin

from clients import bulk
from clients.models import Client
from fieldsales.accounts import reps_to_pick, team_of
from fieldsales.imports.admin import ImportWizardMixin
from fieldsales.spreadsheets import SpreadsheetExportMixin
from fieldsales.storage import stored_file_response
from fieldsales.sync.feed import publish
from workflows.admin_filters import ClientFilter, DateFilter, RepFilter, VisitFilter, person_name
from workflows.display import (
    answers,
    answers_summary,
    checkin_flag_texts,
    distance_text,
    line_rows,
    moment_text,
    money_text,
    specs_of,
)
from workflows.forms import ActivityForm, PlanForm
from workflows.models import (
    Activity,
    ActivityKind,
    ActivitySubmission,
    Note,
    Order,
    OrderLine,
    OrderStatus,
    PlanMove,
    Product,
    RepAbsence,
    SubmissionPhoto,
    Visit,
    VisitPlan,
    Workflow,
)
from workflows.planning import AWAY, Conflict, plan_conflicts, plan_day_move, visit_plans_create
from workflows.resources import (
    OrderLineResource,
    OrderResource,
    ProductImporter,
    VisitPlanImporter,
    VisitResource,
)
from workflows.selectors import order_lines, orders_totals, submissions_detailed
from workflows.services import (
    ORDER_TRANSITIONS,
    order_next_statuses,
    order_transition,
    orders_transition,
    photo_thumbnail,
    product_changed,
    workflow_changed,
)


class ActivityInline(admin.StackedInline):
    model = Activity
    form = ActivityForm  # the fields as rows of a form builder, not JSON
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


class TeamAdminMixin:
    """A supervisor reads the records of their own reps only (fieldsales.accounts.team_of); `rep_field` leads from
    the record to its rep."""

    rep_field = "rep"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        team = team_of(user=request.user)
        return queryset if team is None else queryset.filter(**{f"{self.rep_field}__in": team.values("pk")})


class ClientAndRepColumnsMixin:
    """The columns of a record that has its own client and rep (a visit, an order): the client's page, the rep."""

    @admin.display(description=_("client"), ordering="client__name")
    def client_link(self, record: Visit | Order) -> str:
        return _client_link(record.client)

    @admin.display(description=_("rep"), ordering="rep__username")
    def rep_name(self, record: Visit | Order) -> str:
        return person_name(record.rep)


class ReadOnlyAdminMixin(TeamAdminMixin):
    """Records made by reps in the field: the back office reads them, it does not rewrite them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


STYLE = {"all": ["css/admin/workflows.css"]}


def _link(url_name: str, pk: Any, text: Any) -> str:
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[pk]), text)


def _client_link(client: Any) -> str:
    return _link("admin:clients_client_change", client.pk, client.name)


def _status_badge(order: Order) -> str:
    return format_html('<span class="order-status order-status-{}">{}</span>', order.status, order.get_status_display())


class DoubtfulCheckInFilter(admin.SimpleListFilter):
    """The visits whose check-in position is doubtful (too far from the one before, or too vague): to verify."""

    title = _("check-in to verify")
    parameter_name = "doubtful"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(checkin_flags=[])
        if self.value() == "no":
            return queryset.filter(checkin_flags=[])
        return queryset


@admin.register(Visit)
class VisitAdmin(ClientAndRepColumnsMixin, ReadOnlyAdminMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [VisitResource]
    list_display = ["checked_in_at", "client_and_doubts", "rep_name", "workflow", "ended_at", "distance"]
    list_filter = [
        RepFilter.for_path("rep"),
        ClientFilter.for_path("client"),
        "workflow",
        ("checked_in_at", admin.DateFieldListFilter),
        DoubtfulCheckInFilter,
    ]
    list_select_related = ["client", "rep", "workflow"]
    search_fields = ["client__name", "rep__username"]
    date_hierarchy = "checked_in_at"
    # The visit in a few lines, then what was recorded during it at full width (the page's template).
    fieldsets = [
        (None, {"fields": [("client_link", "rep_name"), ("workflow",), ("checked_in_at", "ended_at")]}),
        (_("Check-in"), {"fields": [("distance", "accuracy", "position")]}),
    ]
    readonly_fields = ["client_link", "rep_name", "distance", "accuracy", "position"]
    change_form_template = "admin/workflows/visit/change_form.html"

    class Media:
        css = STYLE

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return super().get_queryset(request).select_related("client", "rep", "workflow")

    @admin.display(description=_("distance to the client"), ordering="distance_m")
    def distance(self, visit: Visit) -> str:
        return distance_text(visit.distance_m)

    @admin.display(description=_("client"), ordering="client__name")
    def client_and_doubts(self, visit: Visit) -> str:
        """The client, and under it why the check-in is to verify, if it is (where the eye already is)."""
        doubts = format_html_join(
            "",
            '<br><span class="checkin-flag">⚠ {}: {}</span>',
            ((_("check-in to verify"), text) for text in checkin_flag_texts(visit.checkin_flags)),
        )
        return format_html("{}{}", visit.client, doubts)

    @admin.display(description=_("GPS accuracy"))
    def accuracy(self, visit: Visit) -> str:
        return distance_text(visit.checkin_accuracy_m)

    @admin.display(description=_("position"))
    def position(self, visit: Visit) -> str:
        if visit.checkin_lat is None or visit.checkin_lng is None:
            return ""
        return f"{visit.checkin_lat:.5f}, {visit.checkin_lng:.5f}"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        """What the rep recorded during the visit, activity by activity (answers, photos, order), and its notes."""
        if obj is not None:
            submissions = submissions_detailed(submissions=obj.submissions.all())
            context.update(
                submissions=[_submission_shown(submission) for submission in submissions],
                notes=list(obj.notes.select_related("author").order_by("created_at")),
                photos_url=reverse("admin:workflows_submissionphoto_changelist") + f"?visit={obj.pk}",
                has_photos=any(submission.photos.all() for submission in submissions),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


def _submission_shown(submission: ActivitySubmission) -> dict[str, Any]:
    """A submission as the visit's and its own page show it: its answers and photos, and its order if it is one."""
    photos = {photo.key: photo for photo in submission.photos.all()}
    order = getattr(submission, "order", None) if submission.activity.kind == ActivityKind.ORDER else None
    return {
        "submission": submission,
        "answers": answers(specs_of(submission.activity), submission.values, photos),
        "order": order,
        "lines": line_rows(list(submission.lines.all())) if order is not None else [],
        "total": money_text(order.total) if order is not None else "",
    }


class OrderTotalsMixin:
    """The changelist says how many orders its filters keep, and their total."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {"title": _("Orders"), **(extra_context or {})}
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            totals = orders_totals(orders=context["cl"].queryset)
            totals["amount_text"] = money_text(totals["amount"])
            totals["cancelled_amount_text"] = money_text(totals["cancelled_amount"])
            context["totals"] = totals
        return response


# The buttons of an order's page and its actions: what each status is reached by.
MOVE_LABELS: dict[str, Any] = {
    OrderStatus.CONFIRMED: _("Confirm"),
    OrderStatus.DELIVERED: _("Mark as delivered"),
    OrderStatus.CANCELLED: _("Cancel the order"),
}
MOVED: dict[str, Any] = {
    OrderStatus.CONFIRMED: ngettext_lazy("%(count)d order confirmed.", "%(count)d orders confirmed.", "count"),
    OrderStatus.DELIVERED: ngettext_lazy(
        "%(count)d order marked as delivered.", "%(count)d orders marked as delivered.", "count"
    ),
    OrderStatus.CANCELLED: ngettext_lazy("%(count)d order cancelled.", "%(count)d orders cancelled.", "count"),
}
LEFT_AS_THEY_WERE = ngettext_lazy(
    "%(count)d order was left as it was: its status does not allow it.",
    "%(count)d orders were left as they were: their status does not allow it.",
    "count",
)


@admin.register(Order)
class OrderAdmin(
    ClientAndRepColumnsMixin, OrderTotalsMixin, TeamAdminMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin
):
    """Orders as documents. An order changes only through its status, by the buttons of its page and the actions
    of the list (workflows.services.orders_transition); its header and lines are what the rep recorded."""

    resource_classes = [OrderResource]
    # The totals above the list: django-import-export's list (its Export button) extends this one.
    change_list_template = "admin/workflows/order/change_list.html"
    list_display = ["number", "date", "client", "rep_name", "status_badge", "total_text"]
    list_display_links = ["number"]
    list_filter = [
        "status",
        ("ordered_at", admin.DateFieldListFilter),
        RepFilter.for_path("rep"),
        ClientFilter.for_path("client"),
    ]
    list_select_related = ["client", "rep"]
    search_fields = ["client__name", "rep__username"]
    date_hierarchy = "ordered_at"
    actions = ["confirm", "deliver", "cancel"]
    list_per_page = 50
    # The totals above the list count what the filters keep; the unfiltered count would be one query more.
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["status_badge", "client_link", "rep_name", "date", "visit_link"]}),
    ]
    readonly_fields = ["status_badge", "client_link", "rep_name", "date", "visit_link"]

    class Media:
        css = STYLE

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return (
            super()
            .get_queryset(request)
            .select_related("client", "rep", "submission", "confirmed_by", "delivered_by", "cancelled_by")
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Order], search_term: str) -> Any:
        """An order is also found by its number."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lstrip("#")
        if term.isdigit() and int(term) < 2**63:
            found |= queryset.filter(pk=int(term))
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        # Cancelled, never deleted: it goes with its visit when its client is purged.
        return False

    @admin.display(description=_("no."), ordering="id")
    def number(self, order: Order) -> str:
        return str(order.pk)

    @admin.display(description=_("date"), ordering="ordered_at")
    def date(self, order: Order) -> str:
        return moment_text(order.ordered_at)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, order: Order) -> str:
        return _status_badge(order)

    @admin.display(description=_("total"), ordering="total")
    def total_text(self, order: Order) -> str:
        return money_text(order.total)

    @admin.display(description=_("visit"))
    def visit_link(self, order: Order) -> str:
        return _link("admin:workflows_visit_change", order.submission.visit_id, _("See the visit"))

    @staticmethod
    def steps(order: Order) -> list[tuple[str, str, str]]:
        """Where the order has been: each status reached, when and by whom."""
        done: list[tuple[Any, Any, Any]] = [(OrderStatus.SUBMITTED.label, order.ordered_at, order.rep)]
        for status in (OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.CANCELLED):
            at = getattr(order, f"{status}_at")
            if at is not None:
                done.append((status.label, at, getattr(order, f"{status}_by")))
        return [(str(label), moment_text(at), person_name(by) if by else "—") for label, at, by in done]

    # Its status, moved on ------------------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        move = self.admin_site.admin_view(self.move_view)
        return [path("<path:object_id>/status/", move, name="workflows_order_status"), *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            # Nothing on the page is edited: only its buttons post, to the status page.
            return redirect(reverse("admin:workflows_order_change", args=[object_id]))
        hidden = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**hidden, **(extra_context or {})})

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        """The page of one order: its header, then its lines as a table with their total, the steps it went through,
        and the buttons that move it on (for those who may)."""
        if obj is not None:
            context.update(
                title=str(obj),
                subtitle=None,
                lines=line_rows(list(order_lines(order=obj))),
                total=money_text(obj.total),
                steps=self.steps(obj),
            )
            if self.has_change_permission(request, obj):
                context["order_moves"] = [(status, MOVE_LABELS[status]) for status in order_next_statuses(order=obj)]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The buttons of an order's page post here, with the status they move it to."""
        order = self.get_object(request, unquote(object_id))
        if order is not None and not self.has_change_permission(request, order):
            raise PermissionDenied
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        page = reverse("admin:workflows_order_change", args=[order.pk])
        if request.method != "POST":
            return redirect(page)
        status = request.POST.get("status", "")
        try:
            order = order_transition(user=request.user, order=order, status=status)  # type: ignore[arg-type]
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.log_change(request, order, [{"changed": {"fields": ["status"]}}])
            self.message_user(request, MOVED[order.status] % {"count": 1}, messages.SUCCESS)
        return redirect(page)

    def _move(self, request: HttpRequest, queryset: QuerySet[Order], status: str) -> None:
        selected = queryset.count()
        moved = orders_transition(user=request.user, orders=queryset, status=status)  # type: ignore[arg-type]
        for order in moved:
            self.log_change(request, order, [{"changed": {"fields": ["status"]}}])
        self.message_user(request, MOVED[status] % {"count": len(moved)}, messages.SUCCESS)
        if len(moved) < selected:
            self.message_user(request, LEFT_AS_THEY_WERE % {"count": selected - len(moved)}, messages.WARNING)

    @admin.action(description=_("Confirm selected orders"), permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move(request, queryset, OrderStatus.CONFIRMED)

    @admin.action(description=_("Mark selected orders as delivered"), permissions=["change"])
    def deliver(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._move(request, queryset, OrderStatus.DELIVERED)

    @admin.action(description=_("Cancel selected orders…"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        """Asks first, as a delete does: a cancelled order stays cancelled."""
        if request.POST.get("post") == "yes":
            self._move(request, queryset, OrderStatus.CANCELLED)
            return None
        sources = [source for source, targets in ORDER_TRANSITIONS.items() if OrderStatus.CANCELLED in targets]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel these orders?"),
            "opts": self.opts,
            "queryset": queryset,
            "cancellable": queryset.filter(status__in=sources).count(),
            "totals": orders_totals(orders=queryset.filter(status__in=sources)),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "media": self.media,
        }
        context["totals"]["amount_text"] = money_text(context["totals"]["amount"])
        return TemplateResponse(request, "admin/workflows/order/cancel_confirmation.html", context)


@admin.register(ActivitySubmission)
class ActivitySubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Everything reps recorded, activity by activity: a submission's page shows its answers with their labels."""

    rep_field = "visit__rep"
    list_display = ["submitted_at", "activity", "client", "rep_name", "summary", "order_link"]
    list_filter = [
        "activity__kind",
        "activity",
        RepFilter.for_path("visit__rep"),
        ClientFilter.for_path("client"),
        VisitFilter.for_path("visit"),
        ("submitted_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["activity", "client", "visit__rep", "order"]
    search_fields = ["client__name", "visit__rep__username"]
    date_hierarchy = "submitted_at"
    ordering = ["-submitted_at", "-id"]
    list_per_page = 50
    fields = ["submitted_at", "activity", "client_link", "rep_name", "visit_link", "shown"]
    readonly_fields = ["client_link", "rep_name", "visit_link", "shown"]

    class Media:
        css = STYLE

    @admin.display(description=_("rep"), ordering="visit__rep__username")
    def rep_name(self, submission: ActivitySubmission) -> str:
        return person_name(submission.visit.rep)

    @admin.display(description=_("answers"))
    def summary(self, submission: ActivitySubmission) -> str:
        return answers_summary(specs_of(submission.activity), submission.values)

    @admin.display(description=pgettext_lazy("sales", "order"))
    def order_link(self, submission: ActivitySubmission) -> str:
        order = getattr(submission, "order", None)
        if order is None:
            return ""
        return _link("admin:workflows_order_change", order.pk, money_text(order.total))

    @admin.display(description=_("client"))
    def client_link(self, submission: ActivitySubmission) -> str:
        return _client_link(submission.client)

    @admin.display(description=_("visit"))
    def visit_link(self, submission: ActivitySubmission) -> str:
        return _link("admin:workflows_visit_change", submission.visit_id, _("See the visit"))

    @admin.display(description=_("answers"))
    def shown(self, submission: ActivitySubmission) -> str:
        [submission] = submissions_detailed(submissions=ActivitySubmission.objects.filter(pk=submission.pk))
        return render_to_string("admin/workflows/submission.html", _submission_shown(submission))


@admin.register(SubmissionPhoto)
class SubmissionPhotoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The photo gallery: the photos of activities' photo fields, newest first, as a grid of thumbnails, each
    opening the photo. Photos are shown through this admin's own pages (`image_view`), with its rights: a supervisor's
    those of their reps (the photos' API lets staff read every photo, with the photos' view permission)."""

    rep_field = "submission__visit__rep"
    # Its template shows each photo as a tile, not these cells; they are still computed, so they read no more rows.
    list_display = ["taken_at"]
    list_filter = [
        ClientFilter.for_path("submission__client"),
        RepFilter.for_path("submission__visit__rep"),
        VisitFilter.for_path("submission__visit"),
        ("submission__submitted_at", DateFilter),
    ]
    list_select_related = ["submission__client", "submission__visit__rep", "submission__activity"]
    date_hierarchy = "submission__submitted_at"
    list_per_page = 48
    # A page's count is what the pages need; the unfiltered count is one more query for a number nobody reads here.
    show_full_result_count = False
    actions = None
    fields = readonly_fields = ("picture", "client_link", "rep_name", "field", "taken_at", "visit_link")

    class Media:
        css = STYLE

    def get_urls(self) -> list[Any]:
        image = self.admin_site.admin_view(self.image_view)
        thumbnail = self.admin_site.admin_view(self.thumbnail_view)
        return [
            path("<path:object_id>/image/", image, name="workflows_submissionphoto_image"),
            path("<path:object_id>/thumbnail/", thumbnail, name="workflows_submissionphoto_thumbnail"),
            *super().get_urls(),
        ]

    def image_view(self, request: HttpRequest, object_id: str, thumbnail: bool = False) -> HttpResponseBase:
        photo = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, photo):
            raise PermissionDenied
        if photo is None:
            raise Http404
        try:
            name = photo_thumbnail(blob=photo.blob) if thumbnail else photo.blob.file.name
            # A client's shop, as its rep photographed it: kept by no cache, a shared office computer's included.
            return stored_file_response(name, "image/jpeg")
        except (OSError, ValueError):
            raise Http404 from None

    def thumbnail_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        return self.image_view(request, object_id, thumbnail=True)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {"title": _("Photo gallery"), **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is None:
            return response
        for photo in cl.result_list:
            # Each photo's client, rep and visit as filters of the gallery, the others kept.
            photo.client_filter = cl.get_query_string({"client": str(photo.submission.client_id)})
            photo.rep_filter = cl.get_query_string({"rep": str(photo.submission.visit.rep_id)})
            photo.visit_filter = cl.get_query_string({"visit": str(photo.submission.visit_id)})
        return response

    @admin.display(description=_("photo"))
    def picture(self, photo: SubmissionPhoto) -> str:
        return render_to_string("admin/workflows/submissionphoto/picture.html", {"photo": photo, "large": True})

    @admin.display(description=_("client"))
    def client_link(self, photo: SubmissionPhoto) -> str:
        return _client_link(photo.submission.client)

    @admin.display(description=_("rep"))
    def rep_name(self, photo: SubmissionPhoto) -> str:
        return person_name(photo.submission.visit.rep)

    @admin.display(description=_("field"))
    def field(self, photo: SubmissionPhoto) -> str:
        return f"{photo.submission.activity} — {photo.label}"

    @admin.display(description=_("taken at"))
    def taken_at(self, photo: SubmissionPhoto) -> str:
        return moment_text(photo.submission.submitted_at)

    @admin.display(description=_("visit"))
    def visit_link(self, photo: SubmissionPhoto) -> str:
        return _link("admin:workflows_visit_change", photo.submission.visit_id, _("See the visit"))


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdminMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [OrderLineResource]
    rep_field = "submission__visit__rep"
    list_display = ["submission", "product", "quantity", "unit_price", "value"]
    list_select_related = ["submission__visit__client", "submission__activity", "product"]
    search_fields = ["product__name", "product__sku", "submission__visit__client__name"]
    ordering = ["-submission__submitted_at", "-id"]


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


# Visit planning ------------------------------------------------------------------------------------------------------

# The plans' conflicts shown above their list: those of the next four weeks, the first few of them.
CONFLICT_WEEKS = 4
CONFLICTS_SHOWN = 8


class TeamRepFieldMixin(TeamAdminMixin):
    """A supervisor picks among their own reps only; the others among every active rep."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "rep":
            kwargs["queryset"] = reps_to_pick(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class PlanMoveInline(admin.TabularInline):
    model = PlanMove
    extra = 0
    fields = ["from_day", "to_day", "moved_by", "moved_at"]
    readonly_fields = ["moved_by", "moved_at"]


@admin.register(VisitPlan)
class VisitPlanAdmin(ImportWizardMixin, ClientAndRepColumnsMixin, TeamRepFieldMixin, admin.ModelAdmin):
    importer_class = VisitPlanImporter
    # Named, for the import wizard's button to keep the conflicts above the list.
    change_list_template = "admin/workflows/visitplan/change_list.html"
    list_display = ["client_link", "rep_name", "workflow", "starts_on", "repeat", "ends_on"]
    list_filter = ["repeat", RepFilter, "workflow"]
    search_fields = ["client__name", "rep__username", "rep__first_name", "rep__last_name"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["client"]
    fields = ["rep", "client", "workflow", "starts_on", "repeat", "ends_on", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [PlanMoveInline]
    list_select_related = ["client", "rep", "workflow"]

    def save_model(self, request: HttpRequest, obj: VisitPlan, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for move in formset.save(commit=False):
            move.moved_by = request.user
            move.save()
        for gone in formset.deleted_objects:
            gone.delete()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The list, and above it the conflicts of the next weeks among the plans the user may read."""
        first = timezone.localdate()
        last = first + dt.timedelta(weeks=CONFLICT_WEEKS)
        team = team_of(user=request.user)
        conflicts = _conflict_lines(plan_conflicts(first, last, **({} if team is None else {"rep__in": team})))
        context = {
            "conflicts": conflicts[:CONFLICTS_SHOWN],
            "conflicts_more": max(0, len(conflicts) - CONFLICTS_SHOWN),
            "conflict_weeks": CONFLICT_WEEKS,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def has_import_wizard_permission(self, request: HttpRequest) -> bool:
        """Whoever plans visits may plan them from a file: the client list's bulk action already plans thousands at
        once on the same right, and each row is held to the same rules (a supervisor plans their own reps only)."""
        return bool(request.user.has_perm("workflows.add_visitplan"))

    # One planned day moved (a missed visit planned again) ----------------------------------------------------------

    def get_urls(self) -> list[Any]:
        move = self.admin_site.admin_view(self.move_view)
        return [path("<path:object_id>/move/", move, name="workflows_visitplan_move"), *super().get_urls()]

    def move_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """`?day=` (the planned day) moved to another day, or dropped; then back to `?next=` (the board, the
        dashboard) or to the plan's page."""
        try:
            # The user's plans only (a supervisor's team), with what the page shows.
            plan = self.get_queryset(request).select_related("client", "rep", "workflow").get(pk=unquote(object_id))
        except (VisitPlan.DoesNotExist, ValidationError):
            raise Http404 from None
        if not (self.has_change_permission(request, plan) or request.user.has_perm("workflows.add_planmove")):
            raise PermissionDenied
        try:
            day = dt.date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            raise Http404 from None
        form = PlanDayMoveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            to_day = form.cleaned_data["to_day"]
            try:
                plan_day_move(user=request.user, plan=plan, from_day=day, to_day=to_day)  # type: ignore[arg-type]
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                done = PLAN_DAY_DROPPED if to_day is None else PLAN_DAY_MOVED
                text = done % {"client": plan.client, "day": date_format(day), "to_day": to_day and date_format(to_day)}
                self.log_change(request, plan, text)
                self.message_user(request, text, messages.SUCCESS)
                return redirect(self._after_move(request, plan))
        context = {
            **self.admin_site.each_context(request),
            "title": MOVE_TITLE,
            "opts": self.opts,
            "plan": plan,
            "summary": [
                (capfirst(VisitPlan._meta.get_field("client").verbose_name), plan.client),
                (capfirst(VisitPlan._meta.get_field("rep").verbose_name), person_name(plan.rep)),
                (capfirst(VisitPlan._meta.get_field("workflow").verbose_name), plan.workflow),
                (capfirst(PlanMove._meta.get_field("from_day").verbose_name), date_format(day, "l j F Y")),
            ],
            "form": form,
            "media": self.media + form.media,
            "plan_url": reverse("admin:workflows_visitplan_change", args=[plan.pk]),
            "back_url": self._after_move(request, plan),
        }
        return TemplateResponse(request, "admin/workflows/visitplan/move.html", context)

    def _after_move(self, request: HttpRequest, plan: VisitPlan) -> str:
        after = request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            after, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return after if after and safe else reverse("admin:workflows_visitplan_change", args=[plan.pk])


MOVE_TITLE = _("Move a planned visit")
PLAN_DAY_MOVED = _("The visit to %(client)s of %(day)s is moved to %(to_day)s.")
PLAN_DAY_DROPPED = _("The visit to %(client)s of %(day)s is dropped.")
CHOOSE_DAY = _("Choose the new day, or drop the visit.")


class PlanDayMoveForm(forms.Form):
    """Where a planned visit goes: another day, or nowhere."""

    to_day = forms.DateField(label=_("New day"), widget=AdminDateWidget, required=False)
    drop = forms.BooleanField(
        label=_("Drop this visit"),
        required=False,
        help_text=_("It is not made up: the plan goes on from its next day."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("drop"):
            cleaned["to_day"] = None
        elif not cleaned.get("to_day") and "to_day" not in self.errors:
            self.add_error("to_day", CHOOSE_DAY)
        return cleaned


def _conflict_lines(conflicts: list[Conflict]) -> list[dict[str, Any]]:
    """One line per rep away on a day (with how many of their plans fall on it, and a link to the rep's plans), and
    one per client planned twice on a day (with a link to each plan)."""
    lines: list[dict[str, Any]] = []
    for conflict in conflicts:
        if conflict.kind == AWAY:
            text = ngettext(
                "%(rep)s is away that day: %(count)d planned visit.",
                "%(rep)s is away that day: %(count)d planned visits.",
                conflict.count,
            ) % {"rep": person_name(conflict.rep), "count": conflict.count}
            url = reverse("admin:workflows_visitplan_changelist") + f"?rep={conflict.rep.pk}"
            lines.append({"day": conflict.day, "text": text, "links": [(url, _("their plans"))]})
            continue
        links = [
            (reverse("admin:workflows_visitplan_change", args=[plan.pk]), f"{plan.client} ({person_name(plan.rep)})")
            for plan in conflict.plans
        ]
        lines.append({"day": conflict.day, "text": conflict.label, "links": links})
    return lines


@admin.register(RepAbsence)
class RepAbsenceAdmin(TeamRepFieldMixin, admin.ModelAdmin):
    list_display = ["rep", "starts_on", "ends_on", "reason"]
    list_filter = [RepFilter]
    date_hierarchy = "starts_on"


def plan_visits(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    """The client list's action: plan a rep's visits to the selected clients (all of a filter's, a district on
    Tuesdays, say), on a page of its own; the clients the rep is not assigned to are left out, and counted."""
    count, archived = bulk.selection(queryset)
    if not count:
        return bulk.nothing_to_change(modeladmin, request)
    form = PlanForm(bulk.posted(request), user=request.user)
    if form.is_valid():
        try:
            planned = visit_plans_create(user=request.user, clients=queryset, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = ngettext(
                "%(count)d visit plan made for %(rep)s.", "%(count)d visit plans made for %(rep)s.", planned.created
            ) % {"count": planned.created, "rep": person_name(form.cleaned_data["rep"])}
            if planned.left_out:
                done += " " + ngettext(
                    "%(count)d client left out: archived, not assigned to the rep, or on a list the workflow is not "
                    "for.",
                    "%(count)d clients left out: archived, not assigned to the rep, or on a list the workflow is not "
                    "for.",
                    planned.left_out,
                ) % {"count": planned.left_out}
            modeladmin.message_user(request, done, messages.SUCCESS if planned.created else messages.WARNING)
            return None
    summary = ngettext(
        "Plan visits to the %(count)d selected client: only those assigned to the rep are planned. Conflicts show on "
        "the visit plans' list.",
        "Plan visits to the %(count)d selected clients: only those assigned to the rep are planned. Conflicts show on "
        "the visit plans' list.",
        count,
    )
    lines = [summary % {"count": count}, *bulk.archived_line(archived)]
    return bulk.confirmation_page(modeladmin, request, "plan_visits", title=_("Plan visits"), lines=lines, form=form)


plan_visits.short_description = _("Plan visits to selected clients")  # type: ignore[attr-defined]
bulk.client_action_register(plan_visits, permission="workflows.add_visitplan")

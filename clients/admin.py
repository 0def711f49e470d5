from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AdminDateWidget, FilteredSelectMultiple
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin

from clients.admin_impact import SchemaImpactAdminMixin, SchemaImpactFormSet
from clients.bulk import ACTIONS as BULK_ACTIONS
from clients.bulk import REGISTERED as REGISTERED_ACTIONS
from clients.history import AdminChannel, ClientHistoryAdmin
from clients.list_filters import ClientListFilter, attribute_filters
from clients.models import AttributeDefinition, Client, ClientList, ListAccess, PossibleDuplicate
from clients.phones import phone_canonical, phone_display, phone_parse, region_choices
from clients.resources import ClientImporter, ClientResource
from clients.schema import AttributeSpec, AttributeType, SchemaValidationError, display_value, is_empty, normalize_text
from clients.schema import validate_attributes as validate_schema
from clients.selectors import clients_of_team
from clients.services import (
    CORE_FIELDS,
    client_create,
    client_list_access_changed,
    client_list_schema_changed,
    client_restore,
    client_update,
    clients_purge,
    possible_duplicates_archive_new,
    possible_duplicates_dismiss,
    purge_blocker,
)
from fieldsales.accounts import reps_queryset, reps_to_pick, team_of
from fieldsales.geo import haversine_m
from fieldsales.imports.admin import ImportWizardMixin
from fieldsales.spreadsheets import SpreadsheetExportMixin

ATTRIBUTE_PREFIX = "attr_"


class OptionsField(forms.CharField):
    """A JSON list of options edited as one option per line."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 24})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(option) for option in value)
        return super().prepare_value(value)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class AttributeDefinitionForm(forms.ModelForm):
    options = OptionsField(label=_("options"), required=False, help_text=_("One option per line."))

    class Meta:
        model = AttributeDefinition
        fields = ["order", "key", "label_en", "label_fr", "type", "required", "important", "unique", "options"]


class AttributeDefinitionInline(admin.TabularInline):
    model = AttributeDefinition
    form = AttributeDefinitionForm
    formset = SchemaImpactFormSet  # a change that touches clients waits for the clerk to confirm it
    extra = 0


class ListAccessInline(admin.TabularInline):
    model = ListAccess
    extra = 0


@admin.register(ClientList)
class ClientListAdmin(SchemaImpactAdminMixin, admin.ModelAdmin):
    list_display = ["name", "country", "version", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["version"]
    inlines = [AttributeDefinitionInline, ListAccessInline]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "country":
            # Countries by name, in the clerk's language: the callable is read when the form is shown.
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=region_choices,
                help_text=db_field.help_text,
                initial=db_field.default,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changed = {formset.model for formset in formsets if formset.has_changed()}
        if AttributeDefinition in changed or (form.has_changed() and change):
            client_list_schema_changed(client_list=form.instance)
        if ListAccess in changed:
            client_list_access_changed(client_list=form.instance)


def stored_date(value: Any) -> Any:
    """A date attribute's stored value (ISO text, 2011-09-30) as a date, which the admin writes as its reader does
    (30 septembre 2011; 30/09/2011 in a French form). A value that is no ISO date (stored before its attribute became
    a date) as it is."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def attribute_form_field(spec: AttributeSpec) -> forms.Field:
    """The admin form field for one schema attribute; the schema itself judges the value."""
    common: dict[str, Any] = {"label": spec.label, "required": spec.required}
    if spec.type == AttributeType.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if spec.type == AttributeType.INTEGER:
        return forms.IntegerField(**common)
    if spec.type == AttributeType.DECIMAL:
        return forms.DecimalField(**common)
    if spec.type == AttributeType.DATE:
        return forms.DateField(widget=AdminDateWidget, **common)
    if spec.type == AttributeType.BOOLEAN:
        return forms.TypedChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], coerce=lambda v: v == "true", **common
        )
    if spec.type == AttributeType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((o, o) for o in spec.options)], **common)
    if spec.type == AttributeType.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(o, o) for o in spec.options], widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(**common)


MISSING_REQUIRED_HELP = _(
    "Required, but this client was recorded before it was: it may stay empty here, and reps are asked to fill it "
    "before their next check-in."
)


class ClientAdminForm(forms.ModelForm):
    """Core fields, one field per schema attribute of the client's list, and the reps."""

    client_list_obj: ClientList
    assigned_reps = forms.ModelMultipleChoiceField(
        label=_("reps"),
        queryset=reps_queryset(),
        required=False,
        widget=FilteredSelectMultiple(_("reps"), is_stacked=False),
    )

    class Meta:
        model = Client
        fields = ["name", "lat", "lng", "accuracy_m", "phone", "statement_enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_reps"].queryset = reps_queryset()  # type: ignore[attr-defined]  # fresh each form
        # A new client already has its UUID: `_state.adding` is what tells an add from a change.
        self.adding = self.instance._state.adding
        if self.adding:
            self.instance.client_list = self.client_list_obj  # shown read-only above the form
        else:
            self.initial["assigned_reps"] = list(self.instance.assignments.values_list("rep_id", flat=True))
            # Phones as the clerk reads them; the same number sent back is no change (clients/services.py).
            self.initial["phone"] = phone_display(self.instance.phone, region=self.client_list_obj.country)
            for spec in self.client_list_obj.specs():
                value = self.instance.attributes.get(spec.key)
                if spec.type == AttributeType.BOOLEAN and value is not None:
                    value = "true" if value else "false"
                if spec.type == AttributeType.PHONE:
                    value = display_value(spec, value) or None
                if spec.type == AttributeType.DATE:
                    value = stored_date(value)
                self.initial[ATTRIBUTE_PREFIX + spec.key] = value
                if spec.required and is_empty(self.instance.attributes.get(spec.key)):
                    # Made required after this client was recorded: the client stays editable without it, as on
                    # the phone (validate_attributes' `stored`); reps are asked for it before their next check-in.
                    self.fields[ATTRIBUTE_PREFIX + spec.key].required = False
                    self.fields[ATTRIBUTE_PREFIX + spec.key].help_text = MISSING_REQUIRED_HELP

    def clean_phone(self) -> str:
        """The phone rule of the service (clients/phones.py), so that a number it refuses is shown on the field. A
        number shown as stored because the rule cannot read it (typed before the rule) is left as it is."""
        phone = (self.cleaned_data.get("phone") or "").strip()
        if not phone or (not self.adding and phone == self.instance.phone):
            return phone
        return phone_parse(phone, region=self.client_list_obj.country)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        specs = self.client_list_obj.specs()
        given = {
            spec.key: cleaned[ATTRIBUTE_PREFIX + spec.key] for spec in specs if ATTRIBUTE_PREFIX + spec.key in cleaned
        }
        failed = {spec.key for spec in specs if ATTRIBUTE_PREFIX + spec.key in self.errors}
        # Every attribute goes to the service, an emptied one as None, so that emptying a field clears it.
        self.attributes = {spec.key: given.get(spec.key) for spec in specs if spec.key not in failed}
        # A phone shown as stored because the phone rule cannot read it (typed before the rule) is left to the
        # service, which keeps it as it is: it must not stop the clerk from editing the rest.
        kept = {
            spec.key
            for spec in specs
            if spec.type == AttributeType.PHONE
            and not self.adding
            and self.attributes.get(spec.key)
            and self.attributes.get(spec.key) == self.instance.attributes.get(spec.key)
        }
        try:
            judged = {key: value for key, value in self.attributes.items() if key not in kept}
            stored = None if self.adding else self.instance.attributes
            validate_schema(specs, judged, partial=not self.adding or bool(failed), stored=stored)
        except SchemaValidationError as error:
            for key, messages_ in error.error_dict.items():
                self.add_error(ATTRIBUTE_PREFIX + key, messages_)
        return cleaned


def client_form_for(client_list: ClientList) -> type[ClientAdminForm]:
    declared: dict[str, Any] = {ATTRIBUTE_PREFIX + spec.key: attribute_form_field(spec) for spec in client_list.specs()}
    declared["client_list_obj"] = client_list
    return type("ClientAdminForm", (ClientAdminForm,), declared)


class RepFilter(admin.SimpleListFilter):
    title = _("rep")
    parameter_name = "rep"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        reps = reps_to_pick(user=request.user)
        return [(str(rep.pk), rep.get_username()) for rep in reps] + [("none", str(_("Not assigned")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> QuerySet[Client]:
        if self.value() == "none":
            return queryset.filter(assignments__isnull=True)
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(assignments__rep_id=int(value))
        return queryset


class ArchivedFilter(admin.SimpleListFilter):
    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("Active")), ("yes", _("Archived"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> QuerySet[Client]:
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


def _attribute_column(spec: AttributeSpec) -> Callable[[Client], str]:
    def column(client: Client) -> str:
        value = client.attributes.get(spec.key)
        if spec.type == AttributeType.DATE and isinstance(day := stored_date(value), dt.date):
            return date_format(day)
        return display_value(spec, value)

    column.short_description = spec.label  # type: ignore[attr-defined]
    column.__name__ = ATTRIBUTE_PREFIX + spec.key
    return column


@admin.register(Client)
# Exports only from django-import-export: files come in through the wizard (fieldsales.imports), which reads what
# spreadsheets save and imports in the background.
class ClientAdmin(ClientHistoryAdmin, ImportWizardMixin, SpreadsheetExportMixin, ExportMixin, admin.ModelAdmin):
    resource_classes = [ClientResource]
    importer_class = ClientImporter
    list_display = ["name", "client_list", "rep_names", "phone_shown", "statement_enabled", "is_active", "updated_at"]
    list_filter = [("client_list", ClientListFilter), RepFilter, ArchivedFilter, "statement_enabled"]
    list_select_related = ["client_list"]
    search_fields = ["name"]
    search_help_text = _("Name, important attributes or phone; accents and case do not matter.")
    readonly_fields = [
        "client_list",
        "version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "archived_at",
        "archived_by",
    ]

    @property
    def actions(self) -> list[Any]:  # type: ignore[override]
        """The client list's actions, and those the apps above clients registered (clients.bulk.REGISTERED)."""
        return [*BULK_ACTIONS, *(action for action, _permission in REGISTERED_ACTIONS.values()), "restore"]

    list_per_page = 50
    form = ClientAdminForm

    # Changelist ---------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        queryset = clients_of_team(super().get_queryset(request), user=request.user)
        return queryset.prefetch_related(
            Prefetch("reps", queryset=reps_queryset().model.objects.only("id", "username"))
        )

    def _filtered_list(self, request: HttpRequest) -> ClientList | None:
        """The one list the changelist shows, if any; looked up once per request (columns and sorting ask)."""
        if not hasattr(request, "_clients_shown_list"):
            request._clients_shown_list = self._find_shown_list(request)  # type: ignore[attr-defined]
        return request._clients_shown_list  # type: ignore[attr-defined]

    def _find_shown_list(self, request: HttpRequest) -> ClientList | None:
        list_id = request.GET.get("client_list__id__exact")
        lists = ClientList.objects.prefetch_related("attributes")
        if list_id and list_id.isdigit():
            return lists.filter(pk=list_id).first()
        only = list(lists[:2])
        return only[0] if len(only) == 1 else None

    def get_list_display(self, request: HttpRequest) -> Any:
        client_list = self._filtered_list(request)
        columns = [_attribute_column(spec) for spec in client_list.specs()] if client_list else []
        return [*self.list_display[:2], *columns, *self.list_display[2:]]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [*super().get_list_filter(request), *attribute_filters(self._filtered_list(request))]

    @admin.display(description=_("phone"), ordering="phone")
    def phone_shown(self, client: Client) -> str:
        return phone_display(client.phone, region=client.client_list.country)

    @admin.display(description=_("reps"))
    def rep_names(self, client: Client) -> str:
        return ", ".join(rep.get_username() for rep in client.reps.all())

    @admin.display(description=_("active"), boolean=True, ordering="archived_at")
    def is_active(self, client: Client) -> bool:
        return client.archived_at is None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Client], search_term: str
    ) -> tuple[QuerySet[Client], bool]:
        term = normalize_text(search_term)
        if not term:
            return queryset, False
        condition = Q(search_text__contains=term)
        # Phones are stored in E.164: their digits are what a typed fragment ("07 07") is looked for in, and a whole
        # number typed as the clerk reads it ("07 01 02 03 04") is found by its E.164.
        digits = re.sub(r"\D", "", search_term)
        if digits:
            condition |= Q(phone__contains=digits)
            shown = self._filtered_list(request)
            e164 = phone_canonical(search_term.strip(), region=shown.country if shown else None)
            if e164 != search_term.strip():
                condition |= Q(phone=e164)
        return queryset.filter(condition), False

    # Change form ----------------------------------------------------------------------

    def _list_for(self, request: HttpRequest, obj: Client | None) -> ClientList | None:
        if obj is not None:
            return ClientList.objects.prefetch_related("attributes").get(pk=obj.client_list_id)
        list_id = request.GET.get("client_list", "")
        if list_id.isdigit():
            return ClientList.objects.prefetch_related("attributes").filter(pk=list_id).first()
        return None

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if self._list_for(request, None) is None:
            lists = list(ClientList.objects.all())
            if len(lists) == 1:
                return HttpResponseRedirect(f"{request.path}?client_list={lists[0].pk}")
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "lists": lists,
                "title": _("Choose the client's list"),
            }
            return TemplateResponse(request, "admin/clients/client/choose_list.html", context)
        return super().add_view(request, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Client | None = None, change: bool = False, **kwargs: Any) -> Any:
        client_list = self._list_for(request, obj)
        if client_list is not None:
            kwargs["form"] = client_form_for(client_list)
        return super().get_form(request, obj, change=change, **kwargs)

    def _read_only(self, request: HttpRequest, obj: Client | None) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Client | None = None) -> Any:
        client_list = self._list_for(request, obj)
        specs = client_list.specs() if client_list else []
        # A read-only page shows values, not the form's fields: the attributes and the reps are fields of the form
        # only (the client keeps its attributes in one JSON), which Django's read-only page would show as empty.
        read_only = self._read_only(request, obj)
        attributes = [_attribute_column(spec) if read_only else ATTRIBUTE_PREFIX + spec.key for spec in specs]
        phone = "phone_shown" if read_only else "phone"
        fieldsets: list[tuple[Any, dict[str, Any]]] = [
            (None, {"fields": ["client_list", "name", phone, ("lat", "lng", "accuracy_m"), "statement_enabled"]}),
            (_("Attributes"), {"fields": attributes}),
            (_("Reps"), {"fields": ["rep_names" if read_only else "assigned_reps"]}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    _("History"),
                    {
                        "fields": [
                            "version",
                            ("created_at", "created_by"),
                            ("updated_at", "updated_by"),
                            ("archived_at", "archived_by"),
                        ]
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Client | None = None) -> Any:
        if self._read_only(request, obj):
            return flatten_fieldsets(self.get_fieldsets(request, obj))
        return self.readonly_fields if obj is not None else ["client_list"]

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in CORE_FIELDS if field in form.cleaned_data}
        data["attributes"] = form.attributes
        reps = form.cleaned_data["assigned_reps"]
        if change:
            stored = Client.objects.select_related("client_list").get(pk=obj.pk)
            saved = client_update(user=request.user, client=stored, data=data, reps=reps)  # type: ignore[arg-type]
        else:
            saved = client_create(
                user=request.user,  # type: ignore[arg-type]
                client_list=form.client_list_obj,
                data=data,
                client_id=obj.id,
                reps=reps,
            )
        for model_field in Client._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(saved, model_field.attname))
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Reps are assigned by `save_model`, in the same service call as the fields (one version bump)."""

    # Archive, restore, purge ------------------------------------------------------------

    @admin.action(description=_("Restore selected archived clients"), permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        count = 0
        for client in queryset.filter(archived_at__isnull=False):
            client_restore(user=request.user, client=client)  # type: ignore[arg-type]
            count += 1
        self.message_user(request, ngettext("%d client restored.", "%d clients restored.", count) % count)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        for name, (_action, permission) in REGISTERED_ACTIONS.items():
            if name in actions and not request.user.has_perm(permission):
                del actions[name]
        if "delete_selected" in actions:
            # Django's confirmation page posts back to "delete_selected": keep the name, purge instead.
            actions["delete_selected"] = (  # type: ignore[assignment]
                purge_archived,
                "delete_selected",
                _("Purge selected archived clients (permanent)"),
            )
        return actions

    def has_change_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        # An archived client is read-only until restored (the service refuses to edit it).
        if obj is not None and obj.is_archived:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        """Deleting a client is purging it (with its visits and notes): its own permission, not `delete_client`."""
        if obj is not None and not obj.is_archived:
            return False
        return request.user.has_perm("clients.purge_client")

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Purging a client takes its visits, submissions and notes with it.

        Those are read-only in the admin, so Django would ask for a delete permission on
        each of them; the permission to purge clients is the one that counts.
        """
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def delete_model(self, request: HttpRequest, obj: Client) -> None:
        clients_purge(user=request.user, clients=Client.objects.filter(pk=obj.pk))  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        clients_purge(user=request.user, clients=queryset)  # type: ignore[arg-type]


def purge_archived(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    """Django's delete confirmation (it lists the visits, submissions and notes that go too), archived clients only."""
    blocker = purge_blocker(clients=queryset)
    if blocker is not None:
        modeladmin.message_user(request, " ".join(blocker.messages), messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)


def _client_cell(client: Client) -> str:
    """One client of a pair: its name, linking to its page ("archived" after it when it is), then its list and its
    phone as the list's country reads it."""
    url = reverse("admin:clients_client_change", args=[client.pk])
    archived = format_html(" <em>({})</em>", _("archived")) if client.is_archived else ""
    phone = phone_display(client.phone, region=client.client_list.country) or "—"
    return format_html(
        '<a href="{}">{}</a>{}<br><small>{} · {}</small>', url, client.name, archived, client.client_list.name, phone
    )


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(AdminChannel, admin.ModelAdmin):
    """The clients reps created although the app warned they looked like one already there: the back office checks
    each pair and says they are two outlets, or archives the new one. Merging the two (their visits, orders, notes)
    is not done here."""

    # The status first, linking to the pair's own page: the clients' names link to the clients.
    list_display = ["status", "new_client_cell", "existing_client_cell", "distance", "same_phone", "rep", "created_at"]
    list_display_links = ["status"]
    list_filter = ["status", "created_at"]
    list_select_related = ["new_client__client_list", "existing_client__client_list", "rep"]
    search_fields = ["new_client__name", "existing_client__name"]
    # A pair's page only shows it: it changes through the actions (the services) alone.
    fields = readonly_fields = (
        "new_client_cell",
        "existing_client_cell",
        "distance",
        "same_phone",
        "rep",
        "created_at",
        "status",
        "reviewed_at",
        "reviewed_by",
    )
    actions = ["not_duplicate", "archive_new"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[PossibleDuplicate]:
        queryset = super().get_queryset(request).select_related(*self.list_select_related)
        if team_of(user=request.user) is None:
            return queryset
        # A supervisor reviews the pairs of their reps' clients only.
        return queryset.filter(new_client__in=clients_of_team(Client.objects.all(), user=request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PossibleDuplicate | None = None) -> bool:
        # A pair is reviewed, not deleted: it goes with its clients when one is purged.
        return False

    @admin.display(description=_("new client"), ordering="new_client__name")
    def new_client_cell(self, pair: PossibleDuplicate) -> str:
        return _client_cell(pair.new_client)

    @admin.display(description=_("existing client"), ordering="existing_client__name")
    def existing_client_cell(self, pair: PossibleDuplicate) -> str:
        return _client_cell(pair.existing_client)

    @admin.display(description=_("distance"))
    def distance(self, pair: PossibleDuplicate) -> str:
        new, existing = pair.new_client, pair.existing_client
        if None in (new.lat, new.lng, existing.lat, existing.lng):
            return "—"
        return f"{round(haversine_m(new.lat, new.lng, existing.lat, existing.lng))} m"  # type: ignore[arg-type]

    @admin.display(description=_("same phone"), boolean=True)
    def same_phone(self, pair: PossibleDuplicate) -> bool:
        return bool(pair.new_client.phone) and pair.new_client.phone == pair.existing_client.phone

    @admin.action(description=_("Not a duplicate: they are two outlets"), permissions=["change"])
    def not_duplicate(self, request: HttpRequest, queryset: QuerySet[PossibleDuplicate]) -> None:
        count = possible_duplicates_dismiss(user=request.user, duplicates=queryset)  # type: ignore[arg-type]
        self.message_user(
            request, ngettext("%d pair marked as two outlets.", "%d pairs marked as two outlets.", count) % count
        )

    @admin.action(description=_("Archive the new client of each pair"), permissions=["archive"])
    def archive_new(self, request: HttpRequest, queryset: QuerySet[PossibleDuplicate]) -> None:
        count = possible_duplicates_archive_new(user=request.user, duplicates=queryset)  # type: ignore[arg-type]
        self.message_user(request, ngettext("%d new client archived.", "%d new clients archived.", count) % count)

    def has_archive_permission(self, request: HttpRequest) -> bool:
        """Reviewing pairs, and archiving a client, which is changing it: the clients' own permission, as their
        Archive action asks."""
        return self.has_change_permission(request) and request.user.has_perm("clients.change_client")

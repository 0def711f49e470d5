"""The back office's bulk actions on clients: each asks on a page of its own (Django admin's intermediate pages) what
it needs and says how many clients it changes, then writes through one bulk service (clients/services.py), so that
the sync feed and the reps' open apps follow.

The confirmation posts back to the list's own address (its filters in the query string) with the selection as the
list sent it, `select_across` included: "all 1,000 clients" is sent as that flag, never as 1,000 ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AdminDateWidget, FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import Client, ClientList
from clients.schema import AttributeSpec, AttributeType
from clients.services import (
    bulk_attribute,
    clients_archive,
    clients_attribute_set,
    clients_reps_add,
    clients_reps_remove,
    clients_statement_set,
)
from fieldsales.accounts import reps_queryset, reps_to_pick

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TEMPLATE = "admin/clients/client/bulk_confirm.html"
NOTHING_TO_CHANGE = _("None of the selected clients would change: they are all archived or already as asked.")
ONE_LIST = _("Select clients of one list to set an attribute: each list has its own.")
CLEAR_HELP = _("Leave it empty to clear the attribute (a required one cannot be cleared).")


class RepsForm(forms.Form):
    required_css_class = "required"
    reps = forms.ModelMultipleChoiceField(
        label=capfirst(_("reps")), queryset=reps_queryset(), widget=FilteredSelectMultiple(_("reps"), is_stacked=False)
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A supervisor picks among their team only; the service refuses anyone else.
        self.fields["reps"].queryset = reps_to_pick(user=user)  # type: ignore[attr-defined]


class AttributeForm(forms.Form):
    required_css_class = "required"
    attribute = forms.ChoiceField(label=capfirst(_("attribute")))

    def __init__(self, *args: Any, specs: list[AttributeSpec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = [(spec.key, spec.label) for spec in specs]  # type: ignore[attr-defined]


def value_field(spec: AttributeSpec) -> forms.Field:
    """The field a value of `spec` is typed in. Choices are offered as such; any other value is sent as typed, for the
    schema (clients/schema.py) to judge with the messages it gives everywhere else."""
    common: dict[str, Any] = {"label": spec.label, "required": False, "help_text": CLEAR_HELP}
    if spec.type == AttributeType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((o, o) for o in spec.options)], **common)
    if spec.type == AttributeType.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common)
    if spec.type == AttributeType.MULTIPLE_CHOICE:
        options = [(o, o) for o in spec.options]
        return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple, **common)
    if spec.type == AttributeType.DATE:
        return forms.CharField(widget=AdminDateWidget, **common)
    if spec.type == AttributeType.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=False, **common)
    return forms.CharField(strip=False, **common)


class ValueForm(forms.Form):
    attribute = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, spec: AttributeSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"] = value_field(spec)


# The page ------------------------------------------------------------------------------------------------------------


def _posted(request: HttpRequest) -> QueryDict | None:
    """The page's own answer, once the clerk confirmed; None when the list has just sent the selection."""
    return request.POST if "post" in request.POST else None


def _selection(queryset: QuerySet[Client], changes: Q | None = None) -> tuple[int, int]:
    """How many selected clients the action changes (not archived, and matching `changes`), and how many archived ones
    it leaves. One query, whatever the selection."""
    active = Q(archived_at__isnull=True) & (changes or Q())
    counts = queryset.order_by().aggregate(
        changes=Count("pk", filter=active, distinct=True),
        archived=Count("pk", filter=Q(archived_at__isnull=False), distinct=True),
    )
    return counts["changes"], counts["archived"]


def _page(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    action: str,
    *,
    title: Any,
    lines: list[str],
    form: forms.Form,
    confirms: bool = True,
) -> TemplateResponse:
    """The action's page: what it will do (`lines`), its form, and the selection to post back with. A page that
    `confirms` posts the clerk's answer (`post`); the others ask something first (the attribute, before its value)."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": title,
        "lines": lines,
        "form": form,
        "media": modeladmin.media + form.media,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "confirms": confirms,
    }
    return TemplateResponse(request, TEMPLATE, context)


def _archived_line(archived: int) -> list[str]:
    if not archived:
        return []
    text = ngettext(
        "%(count)d archived client of the selection is left as it is.",
        "%(count)d archived clients of the selection are left as they are.",
        archived,
    )
    return [text % {"count": archived}]


def _nothing(modeladmin: ModelAdmin, request: HttpRequest) -> None:
    modeladmin.message_user(request, str(NOTHING_TO_CHANGE), messages.WARNING)


# The actions ---------------------------------------------------------------------------------------------------------


def _reps_action(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client], *, add: bool) -> Any:
    count, archived = _selection(queryset)
    if not count:
        return _nothing(modeladmin, request)
    form = RepsForm(_posted(request), user=request.user)
    if form.is_valid():
        reps = list(form.cleaned_data["reps"])
        service = clients_reps_add if add else clients_reps_remove
        changed = service(user=request.user, clients=queryset, reps=reps)  # type: ignore[arg-type]
        names = ", ".join(rep.get_username() for rep in reps)
        if add:
            done = ngettext(
                "%(count)d client assigned to %(reps)s.", "%(count)d clients assigned to %(reps)s.", changed
            )
        else:
            done = ngettext(
                "%(reps)s removed from %(count)d client.", "%(reps)s removed from %(count)d clients.", changed
            )
        modeladmin.message_user(request, done % {"count": changed, "reps": names}, messages.SUCCESS)
        return None
    if add:
        summary = ngettext(
            "Choose the reps to add to the %(count)d selected client. It keeps its other reps; the reps get it in "
            "their app at their next sync.",
            "Choose the reps to add to the %(count)d selected clients. They keep their other reps; the reps get them "
            "in their app at their next sync.",
            count,
        )
    else:
        summary = ngettext(
            "Choose the reps to remove from the %(count)d selected client. It leaves their app at their next sync.",
            "Choose the reps to remove from the %(count)d selected clients. They leave their app at their next sync.",
            count,
        )
    title = _("Add reps to clients") if add else _("Remove reps from clients")
    action = "reps_add" if add else "reps_remove"
    lines = [summary % {"count": count}, *_archived_line(archived)]
    return _page(modeladmin, request, action, title=title, lines=lines, form=form)


@admin.action(description=_("Add reps to selected clients"), permissions=["change"])
def reps_add(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    return _reps_action(modeladmin, request, queryset, add=True)


@admin.action(description=_("Remove reps from selected clients"), permissions=["change"])
def reps_remove(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    return _reps_action(modeladmin, request, queryset, add=False)


def _statement_action(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client], *, on: bool) -> Any:
    count, archived = _selection(queryset, Q(statement_enabled=not on))
    if not count:
        return _nothing(modeladmin, request)
    form = forms.Form(_posted(request))
    if form.is_valid():
        changed = clients_statement_set(user=request.user, clients=queryset, enabled=on)  # type: ignore[arg-type]
        if on:
            done = ngettext(
                "Account statement enabled for %(count)d client.",
                "Account statement enabled for %(count)d clients.",
                changed,
            )
        else:
            done = ngettext(
                "Account statement disabled for %(count)d client.",
                "Account statement disabled for %(count)d clients.",
                changed,
            )
        modeladmin.message_user(request, done % {"count": changed}, messages.SUCCESS)
        return None
    if on:
        summary = ngettext(
            "The account statement will be enabled for %(count)d client: its reps can send it from their app.",
            "The account statement will be enabled for %(count)d clients: their reps can send it from their app.",
            count,
        )
    else:
        summary = ngettext(
            "The account statement will be disabled for %(count)d client.",
            "The account statement will be disabled for %(count)d clients.",
            count,
        )
    title = _("Enable the account statement") if on else _("Disable the account statement")
    action = "statement_enable" if on else "statement_disable"
    lines = [summary % {"count": count}, *_archived_line(archived)]
    return _page(modeladmin, request, action, title=title, lines=lines, form=form)


@admin.action(description=_("Enable the account statement of selected clients"), permissions=["change"])
def statement_enable(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    return _statement_action(modeladmin, request, queryset, on=True)


@admin.action(description=_("Disable the account statement of selected clients"), permissions=["change"])
def statement_disable(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    return _statement_action(modeladmin, request, queryset, on=False)


def _settable(client_list: ClientList) -> list[AttributeSpec]:
    settable = []
    for spec in client_list.specs():
        try:
            settable.append(bulk_attribute(client_list=client_list, key=spec.key))
        except ValidationError:
            continue
    return settable


@admin.action(description=_("Set an attribute of selected clients"), permissions=["change"])
def attribute_set(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    """First the attribute, on a page of its own, then its value: its field depends on the attribute's type."""
    list_ids = list(queryset.order_by().values_list("client_list", flat=True).distinct()[:2])
    if len(list_ids) != 1:
        modeladmin.message_user(request, str(ONE_LIST), messages.WARNING)
        return None
    client_list = ClientList.objects.prefetch_related("attributes").get(pk=list_ids[0])
    specs = _settable(client_list)
    chooser = AttributeForm(request.POST if "attribute" in request.POST else None, specs=specs)
    count, archived = _selection(queryset)
    if not count:
        return _nothing(modeladmin, request)
    title = _("Set an attribute")
    if not chooser.is_valid():
        summary = ngettext(
            "Choose the attribute to set on the %(count)d selected client of the list “%(list)s”.",
            "Choose the attribute to set on the %(count)d selected clients of the list “%(list)s”.",
            count,
        )
        lines = [summary % {"count": count, "list": client_list.name}, *_archived_line(archived)]
        return _page(modeladmin, request, "attribute_set", title=title, lines=lines, form=chooser, confirms=False)
    spec = next(spec for spec in specs if spec.key == chooser.cleaned_data["attribute"])
    form = ValueForm(_posted(request), spec=spec, initial={"attribute": spec.key})
    if form.is_valid():
        try:
            changed = clients_attribute_set(
                user=request.user,  # type: ignore[arg-type]
                client_list=client_list,
                clients=queryset,
                key=spec.key,
                value=form.cleaned_data["value"],
            )
        except ValidationError as error:
            form.add_error("value", error.error_dict.get(spec.key, error.messages))
        else:
            done = ngettext(
                "“%(attribute)s” set on %(count)d client.", "“%(attribute)s” set on %(count)d clients.", changed
            )
            modeladmin.message_user(request, done % {"attribute": spec.label, "count": changed}, messages.SUCCESS)
            return None
    summary = ngettext(
        "“%(attribute)s” will be set to this value on %(count)d client.",
        "“%(attribute)s” will be set to this value on %(count)d clients.",
        count,
    )
    lines = [summary % {"attribute": spec.label, "count": count}, *_archived_line(archived)]
    return _page(modeladmin, request, "attribute_set", title=title, lines=lines, form=form)


@admin.action(description=_("Archive selected clients"), permissions=["change"])
def archive(modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> Any:
    count, archived = _selection(queryset)
    if not count:
        return _nothing(modeladmin, request)
    form = forms.Form(_posted(request))
    if form.is_valid():
        changed = clients_archive(user=request.user, clients=queryset)  # type: ignore[arg-type]
        modeladmin.message_user(request, ngettext("%d client archived.", "%d clients archived.", changed) % changed)
        return None
    summary = ngettext(
        "%(count)d client will be archived: it leaves its reps' app at their next sync. You can restore it later.",
        "%(count)d clients will be archived: they leave their reps' app at their next sync. You can restore them "
        "later.",
        count,
    )
    lines = [summary % {"count": count}, *_archived_line(archived)]
    return _page(modeladmin, request, "archive", title=_("Archive clients"), lines=lines, form=form)


ACTIONS: tuple[Callable[..., Any], ...] = (
    reps_add,
    reps_remove,
    statement_enable,
    statement_disable,
    attribute_set,
    archive,
)


# Actions of the apps above clients ------------------------------------------------------------------------------------

# Imports run one way (clients ← workflows ← kpis): an app adds its bulk action to the client list from its
# `AppConfig.ready()` (workflows: planning visits), with the permission a user needs to be offered it. It builds its
# page with `confirmation_page`, `selection`, `posted`, `archived_line` and `nothing_to_change`, as these actions do.
REGISTERED: dict[str, tuple[Callable[..., Any], str]] = {}


def client_action_register(action: Callable[..., Any], *, permission: str) -> None:
    REGISTERED[action.__name__] = (action, permission)


confirmation_page = _page
selection = _selection
posted = _posted
archived_line = _archived_line
nothing_to_change = _nothing

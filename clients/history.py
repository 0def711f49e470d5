"""A client's history as the back office reads it: the client's History page in the admin (`ClientHistoryAdmin`),
from the rows clients/recording.py writes (django-simple-history's `HistoricalClient`, the client as it was after
each change): when, who, the channel and device, and each field and attribute before and after, by the schema's
labels. `AdminChannel` makes the admin's own changes recorded as the back office's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from clients.models import Client, ClientList
from clients.phones import phone_display
from clients.recording import REPS_ADDED, REPS_REMOVED, ChangeChannel, recorded_as
from clients.schema import AttributeSpec, display_value, is_empty

# A client's own fields as its history shows them, in the change form's order; the attributes follow, key by key.
OWN_FIELDS = ("name", "phone", "lat", "lng", "accuracy_m", "statement_enabled", "photo_id", "archived_at")
# Their labels, by the column a history row has them under ("photo_id": the photo's).
LABELS = {model_field.attname: model_field.verbose_name for model_field in Client._meta.concrete_fields}

CREATED = _("Created")
PURGED = _("Purged")
HISTORY_BEGINS = _("History begins here: the client as it was then.")
NO_FIELD_CHANGED = _("No field changed.")
REPS_ADDED_LABEL = _("Reps added")
REPS_REMOVED_LABEL = _("Reps removed")
A_PHOTO = _("a photo")
NEW_PHOTO = _("a new photo")
CHANNELS = dict(ChangeChannel.choices)


# What the admin shows ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One line of a change: `label: before → after`, or `label: after` with no before (a creation, reps added)."""

    label: str
    before: str | None
    after: str


@dataclass
class ChangeEntry:
    """One change of a client as the History page lists it."""

    when: Any
    who: str
    channel: str
    device: str
    reason: str
    note: str = ""
    changes: list[FieldChange] = field(default_factory=list)


def _shown(value: Any) -> str:
    return "—" if is_empty(value) else str(value)


class ChangeReader:
    """Turns history rows of one list's clients into `ChangeEntry`s: the list's schema (labels, formats) and the
    names of the reps the rows added or removed, each read once."""

    def __init__(self, client_list: ClientList, rows: Sequence[Any]) -> None:
        self.region = client_list.country
        self.specs: dict[str, AttributeSpec] = {spec.key: spec for spec in client_list.specs()}
        rep_ids = {pk for row in rows for pk in _reps_of(row, REPS_ADDED) + _reps_of(row, REPS_REMOVED)}
        users = get_user_model().objects.filter(pk__in=rep_ids) if rep_ids else []
        self.names = {user.pk: user.get_full_name() or user.get_username() for user in users}

    def entry(self, row: Any, previous: Any | None) -> ChangeEntry:
        user = row.history_user
        entry = ChangeEntry(
            when=row.history_date,
            who=(user.get_full_name() or user.get_username()) if user is not None else "—",
            channel=str(CHANNELS.get(row.history_channel, row.history_channel)) or "—",
            device=str(row.history_device or ""),
            reason=row.history_change_reason or "",
        )
        if row.history_type == "-":
            entry.note = str(PURGED)
        elif row.history_type == "+":
            entry.note = str(CREATED)
            entry.changes = self._fields(None, row)
        elif previous is None:
            entry.note = str(HISTORY_BEGINS)
        else:
            entry.changes = self._fields(previous, row)
        entry.changes += self._reps(row)
        if row.history_type == "~" and previous is not None and not entry.changes:
            entry.note = str(NO_FIELD_CHANGED)
        return entry

    def _fields(self, before: Any | None, after: Any) -> list[FieldChange]:
        """The fields and attributes that differ from `before`; with no `before` (a creation), those with a value."""
        creating = before is None
        changes = []
        for name in OWN_FIELDS:
            old, new = (None if creating else getattr(before, name)), getattr(after, name)
            # A new client says what it has: not that it is unarchived, nor that it has no account statement.
            if _differs(old, new) and not (creating and (name == "archived_at" or new is False)):
                changes.append(self._own(name, old, new, creating=creating))
        old_attributes = {} if before is None else (before.attributes or {})
        new_attributes = after.attributes or {}
        keys = [*self.specs, *sorted((set(old_attributes) | set(new_attributes)) - set(self.specs))]
        for key in keys:
            old, new = old_attributes.get(key), new_attributes.get(key)
            if _differs(old, new):
                changes.append(self._attribute(key, old, new, creating=creating))
        return changes

    def _own(self, name: str, old: Any, new: Any, *, creating: bool) -> FieldChange:
        label = capfirst(str(_("archived") if name == "archived_at" else LABELS[name]))
        if name == "photo_id":
            return FieldChange(
                label, None if creating else str(A_PHOTO) if old else "—", str(NEW_PHOTO) if new else "—"
            )
        return FieldChange(label, None if creating else self._own_text(name, old), self._own_text(name, new))

    def _own_text(self, name: str, value: Any) -> str:
        if name == "archived_at":
            return str(_("Yes") if value is not None else _("No"))
        if name == "statement_enabled":
            return str(_("Yes") if value else _("No"))
        if name == "phone":
            return _shown(phone_display(value, region=self.region))
        return formats.localize(value) if isinstance(value, float) else _shown(value)

    def _attribute(self, key: str, old: Any, new: Any, *, creating: bool) -> FieldChange:
        spec = self.specs.get(key)
        if spec is None:
            # An attribute since removed from the list's schema: its key, its values as stored.
            return FieldChange(key, None if creating else _shown(old), _shown(new))
        before = None if creating else _shown(display_value(spec, old))
        return FieldChange(spec.label, before, _shown(display_value(spec, new)))

    def _reps(self, row: Any) -> list[FieldChange]:
        changes = []
        for key, label in ((REPS_ADDED, REPS_ADDED_LABEL), (REPS_REMOVED, REPS_REMOVED_LABEL)):
            names = [self.names.get(pk, f"#{pk}") for pk in _reps_of(row, key)]
            if names:
                changes.append(FieldChange(str(label), None, ", ".join(sorted(names))))
        return changes


def _differs(old: Any, new: Any) -> bool:
    """Whether a value changed; no value and an empty one (None, "", []) are the same."""
    return old != new and not (is_empty(old) and is_empty(new))


def _reps_of(row: Any, key: str) -> list[int]:
    reps = row.history_reps
    return list(reps.get(key) or ()) if isinstance(reps, Mapping) else []


def change_entries(client_list: ClientList, rows: Sequence[Any], previous: Any | None) -> list[ChangeEntry]:
    """The entries of `rows` (one client's history rows, newest first); `previous`: the row before the oldest of
    them, if any (the client as it was before it). Queries: the reps' names, if any row changed reps."""
    reader = ChangeReader(client_list, rows)
    befores = [*rows[1:], previous]
    return [reader.entry(row, before) for row, before in zip(rows, befores, strict=True)]


# The admin ---------------------------------------------------------------------------------------------------------


class AdminChannel:
    """A ModelAdmin whose views' client changes are recorded as made in the back office by the signed-in user."""

    def _as_admin(self, view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with recorded_as(ChangeChannel.ADMIN, user=request.user):
            return view(request, *args, **kwargs)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._as_admin(super().changeform_view, request, *args, **kwargs)  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._as_admin(super().changelist_view, request, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._as_admin(super().delete_view, request, *args, **kwargs)  # type: ignore[misc]


class ClientHistoryAdmin(AdminChannel, SimpleHistoryAdmin):
    """The client's History page from its simple-history rows: when, who, channel and device, and each field before
    and after (attributes key by key, by their labels). Read-only: simple-history's page of one past version, whose
    form would save it back, is not served."""

    object_history_template: ClassVar[Any] = "admin/clients/client/object_history.html"
    history_list_per_page = 50

    def get_urls(self) -> list[URLPattern]:
        past_version = f"{self.opts.app_label}_{self.opts.model_name}_simple_history"
        return [url for url in super().get_urls() if getattr(url, "name", None) != past_version]

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # A client this user may not see answers as one that does not exist, as Django's own pages do: back to the
        # admin's index with a message, not a 404 that would tell them apart.
        try:
            visible = self.get_queryset(request).filter(pk=object_id).exists()  # type: ignore[attr-defined]
        except (ValidationError, ValueError):
            visible = False
        if not visible:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        return super().history_view(request, object_id, extra_context)  # type: ignore[no-any-return]

    def history_view_title(self, request: HttpRequest, obj: Any) -> str:
        return str(_("History of “%(name)s”") % {"name": obj})

    def get_history_queryset(self, request: HttpRequest, history_manager: Any, pk_name: str, object_id: Any) -> Any:
        # Only of a client this user may see (history_view checked it): simple-history would show the history of any
        # id it has rows of, a purged client's included.
        return history_manager.filter(**{pk_name: object_id}).select_related("history_user")

    def set_history_delta_changes(self, request: HttpRequest, historical_records: Any, **kwargs: Any) -> None:
        rows = list(historical_records.object_list)
        if not rows:
            return
        previous = None
        if historical_records.has_next():
            oldest = rows[-1]
            earlier = type(oldest).objects.filter(
                Q(history_date__lt=oldest.history_date)
                | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id),
                id=oldest.id,
            )
            previous = earlier.order_by("-history_date", "-history_id").first()
        client_list = ClientList.objects.prefetch_related("attributes").get(pk=rows[0].client_list_id)
        for row, entry in zip(rows, change_entries(client_list, rows, previous), strict=True):
            row.entry = entry

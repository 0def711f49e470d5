"""What a change of a list's schema does to the clients already in it, told to the back office before it saves:
how many clients have no value for an attribute made required, how many hold a value of an attribute removed, how
many hold a value that an attribute's new type or options cannot read; and what reps will be asked.

Counted in the database: one query for the list's clients, then one aggregate query per attribute changed, whatever
the number of clients. Archived clients are left out: nobody visits or edits them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import Client, ClientList
from clients.schema import AttributeSpec, AttributeType, clean_value

REQUIRED = "required"
REMOVED = "removed"
RULE = "rule"
EXAMPLES = 3

ASKED = {
    REQUIRED: _(
        "Reps will be asked to fill it before checking in at one of these clients; the check-in is never refused "
        "for it, and the clients can still be saved in the admin without it."
    ),
    REMOVED: _(
        "Reps will no longer see it or be asked for it. The values stay stored, and come back if an attribute is "
        "added again with the same key."
    ),
    RULE: _(
        "These values are shown as they are, as errors to correct: reps will be asked to correct them when they "
        "edit the client, and so will the office when it saves the client in the admin."
    ),
}


@dataclass(frozen=True)
class SchemaChange:
    """One change of an attribute that may touch the clients: `spec` is the attribute as it will be (as it was, when
    removed); `before` the attribute as it was, for a change of its rule."""

    kind: str
    spec: AttributeSpec
    before: AttributeSpec | None = None

    def signature(self) -> str:
        """What the clerk confirmed, to tell whether a later save changes something else."""
        options = "|".join(self.spec.options)
        return f"{self.kind}:{self.spec.key}:{self.spec.type}:{options}"


@dataclass(frozen=True)
class Impact:
    """A change and the clients it touches, among the list's clients."""

    change: SchemaChange
    touched: int
    total: int
    examples: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        params: dict[str, Any] = {"touched": self.touched, "total": self.total, "label": self.change.spec.label}
        kind = self.change.kind
        if kind == REQUIRED:
            text = ngettext(
                "%(touched)d of %(total)d clients has no value for “%(label)s”.",
                "%(touched)d of %(total)d clients have no value for “%(label)s”.",
                self.touched,
            )
        elif kind == REMOVED:
            text = ngettext(
                "%(touched)d of %(total)d clients has a value for “%(label)s”, which will no longer be shown, "
                "exported or asked for.",
                "%(touched)d of %(total)d clients have a value for “%(label)s”, which will no longer be shown, "
                "exported or asked for.",
                self.touched,
            )
        else:
            params["type"] = AttributeType(self.change.spec.type).label
            params["examples"] = ", ".join(f"“{example}”" for example in self.examples)
            text = ngettext(
                "%(touched)d of %(total)d clients has a value for “%(label)s” that its new rule (%(type)s) cannot "
                "read, such as %(examples)s.",
                "%(touched)d of %(total)d clients have a value for “%(label)s” that its new rule (%(type)s) cannot "
                "read, such as %(examples)s.",
                self.touched,
            )
        return text % params

    @property
    def asked(self) -> str:
        return str(ASKED[self.change.kind])


def schema_changes(pairs: Iterable[tuple[AttributeSpec | None, AttributeSpec | None]]) -> list[SchemaChange]:
    """The changes that may touch clients, from each attribute as it was and as it will be (None: added, removed).
    A key changed is the attribute under the old key removed and one under the new key added."""
    changes: list[SchemaChange] = []
    for before, after in pairs:
        if before is not None and (after is None or after.key != before.key):
            changes.append(SchemaChange(REMOVED, before))
            before = None
        if after is None:
            continue
        if after.required and (before is None or not before.required):
            changes.append(SchemaChange(REQUIRED, after))
        if before is not None and (before.type, before.options) != (after.type, after.options):
            changes.append(SchemaChange(RULE, after, before))
    return changes


def _with_value(key: str) -> Q:
    # Values are stored without their empty ones (clients.schema.validate_attributes); null and "" are read as empty
    # all the same, as `is_empty` reads them.
    return Q(attributes__has_key=key) & ~Q(**{f"attributes__{key}": None}) & ~Q(**{f"attributes__{key}": ""})


def schema_impact(*, client_list: ClientList, changes: Sequence[SchemaChange]) -> list[Impact]:
    """The changes that touch at least one of the list's clients, each with its count."""
    if not changes:
        return []
    clients = Client.objects.filter(client_list=client_list, archived_at__isnull=True).order_by()
    total = clients.count()
    impacts = []
    for change in changes:
        impact = _impact(clients, change, total)
        if impact.touched:
            impacts.append(impact)
    return impacts


def _impact(clients: QuerySet[Client], change: SchemaChange, total: int) -> Impact:
    key = change.spec.key
    if change.kind == RULE:
        return _unreadable(clients, change, total)
    filled = clients.aggregate(filled=Count("pk", filter=_with_value(key)))["filled"]
    return Impact(change, total - filled if change.kind == REQUIRED else filled, total)


def _unreadable(clients: QuerySet[Client], change: SchemaChange, total: int) -> Impact:
    """The clients whose value the attribute's new rule refuses: the distinct values with their counts, in one
    query, each judged by the schema."""
    values = (
        clients.filter(_with_value(change.spec.key))
        .values(value=KeyTransform(change.spec.key, "attributes"))
        .annotate(clients=Count("pk"))
        .order_by("-clients", "value")
    )
    touched, examples = 0, list[str]()
    for row in values:
        try:
            clean_value(change.spec, row["value"])
        except ValidationError:
            touched += row["clients"]
            if len(examples) < EXAMPLES:
                examples.append(str(row["value"])[:40])
    return Impact(change, touched, total, tuple(examples))

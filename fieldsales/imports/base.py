"""What an app provides for its rows to be imported with the wizard: an `Importer`.

An importer checks rows without writing (`check`), then writes the rows it checked (`write`), a batch at a time: the
queries it makes depend on the number of batches, never on the number of rows. The rules themselves stay in the
app's services; an importer only reads cells into what the services take.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from fieldsales.imports.columns import Column, fold
from fieldsales.imports.reading import parse_number

if TYPE_CHECKING:
    from django import forms

    from fieldsales.models import ImportJob

T = TypeVar("T")

NEW, UPDATE, UNCHANGED, ERROR = "new", "update", "unchanged", "error"
ACTIONS = (NEW, UPDATE, UNCHANGED, ERROR)

DUPLICATE_IN_FILE = _("“%(value)s” is on several rows of the file (rows %(rows)s); import it once.")
UNKNOWN_USER = _("No user has the user name or the name “%(name)s”.")
AMBIGUOUS_USER = _("Several users are named “%(name)s”; give the user name instead.")


@dataclass
class Row:
    """A row of the file: its number in the spreadsheet and its cells by column key (mapped columns only)."""

    number: int
    cells: dict[str, Any]

    def has(self, key: str) -> bool:
        return key in self.cells

    def text(self, key: str) -> str:
        value = self.cells.get(key)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()


@dataclass
class Outcome:
    action: str
    messages: list[str] = field(default_factory=list)
    payload: Any = None


def error(*messages: Any) -> Outcome:
    return Outcome(ERROR, [str(message) for message in messages])


class Importer:
    """One kind of row the wizard imports. Subclasses name a `kind` and are found by it."""

    kind: ClassVar[str] = ""
    model: ClassVar[type[models.Model]]
    registry: ClassVar[dict[str, type[Importer]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Importer.registry[cls.kind] = cls

    def __init__(self, *, job: ImportJob) -> None:
        self.job = job
        self.language = job.language
        self.user = job.user

    @classmethod
    def for_job(cls, job: ImportJob) -> Importer:
        if job.kind not in cls.registry:
            # Importers live in their app's resources module, named by the kind's first part ("clients.client").
            import_module(f"{job.kind.split('.')[0]}.resources")
        return cls.registry[job.kind](job=job)

    # The wizard's pages ------------------------------------------------------------------------------------------

    @classmethod
    def scope_fields(cls) -> dict[str, forms.Field]:
        """Fields the upload form asks for besides the file (a client list)."""
        return {}

    @classmethod
    def scope_of(cls, cleaned_data: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def notes(self) -> list[str]:
        """What the clerk should know before checking the file (how rows are matched)."""
        return []

    def saved_mapping(self) -> dict[str, str]:
        """Folded header → column key, as the clerk matched them last time: by default, the last import of this
        kind and scope."""
        from fieldsales.models import ImportJob

        last = (
            ImportJob.objects.filter(kind=self.kind, scope=self.job.scope)
            .exclude(pk=self.job.pk)
            .exclude(status=ImportJob.Status.MAPPING)
            .only("headers", "mapping")
            .first()
        )
        return mapping_by_header(last.headers, last.mapping) if last else {}

    def save_mapping(self, mapping: dict[str, str]) -> None:
        """Keep the clerk's matching for next time (the job itself keeps it by default)."""

    def template_headers(self) -> list[str]:
        return [column.label for column in self.columns()]

    # The work ----------------------------------------------------------------------------------------------------

    def prepare(self, rows: list[Row]) -> dict[int, list[str]]:
        """Look at the whole file once before its batches (existing records, duplicates); return the errors found
        so, by row number."""
        return {}

    def check(self, rows: list[Row]) -> list[Outcome]:
        raise NotImplementedError

    def write(self, outcomes: list[Outcome]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """After the last write, in its transaction (KPI cards of the clients touched)."""

    # Helpers for subclasses ----------------------------------------------------------------------------------------

    def number(self, value: Any) -> Any:
        """A cell read as a number in the clerk's language; the cell as it is when it is not one, for the rule that
        judges it to say so."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_number(value, language=self.language)
        except ValueError:
            return value


# Values one `IN (…)` lookup takes: the queries grow with the file by steps of this many rows.
LOOKUP_CHUNK = 2000


def chunks(items: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def mapping_by_header(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """A job's mapping by folded header instead of position; headers left unmatched map to ""."""
    by_header: dict[str, str] = {}
    for position, header in enumerate(headers):
        if fold(header):
            by_header[fold(header)] = mapping.get(str(position), "")
    return by_header


def duplicates(values: Iterable[tuple[int, str, str]], message: Any = DUPLICATE_IN_FILE) -> dict[int, list[str]]:
    """The rows whose value another row has too, each told which rows share it. `values`: (row number, the value as
    compared, "" for none, the value as the file shows it)."""
    rows_by_value: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    for number, key, text in values:
        if key:
            rows_by_value.setdefault(key, []).append(number)
            shown.setdefault(key, text)
    found: dict[int, list[str]] = {}
    for key, numbers in rows_by_value.items():
        if len(numbers) > 1:
            text = str(message) % {"value": shown[key], "rows": ", ".join(str(n) for n in numbers)}
            for number in numbers:
                found.setdefault(number, []).append(text)
    return found


def messages_of(error: ValidationError, labels: Mapping[str, str]) -> list[str]:
    """A ValidationError as the clerk reads it: each message after the label of the column it is about."""
    if not hasattr(error, "error_dict"):
        return [str(message) for message in error.messages]
    texts = []
    for key, errors in error.error_dict.items():
        label = labels.get(key, key)
        for item in errors:
            for message in item.messages if isinstance(item, ValidationError) else [item]:
                texts.append(f"{label}: {message}" if key != "__all__" else str(message))
    return texts


class UserFinder:
    """Users by user name or by full name ("Awa Koné"), case and accents aside; one query for the whole file."""

    def __init__(self, names: Iterable[str]) -> None:
        from django.contrib.auth import get_user_model

        wanted = {fold(name) for name in names if fold(name)}
        self.by_name: dict[str, list[Any]] = {}
        if not wanted:
            return
        user_model = get_user_model()
        for user in user_model.objects.filter(is_active=True).only("id", "username", "first_name", "last_name"):
            for name in {fold(user.get_username()), fold(user.get_full_name())}:
                if name in wanted:
                    self.by_name.setdefault(name, []).append(user)

    def find(self, name: str) -> tuple[Any, str | None]:
        """The user, or None and why not."""
        found = self.by_name.get(fold(name), [])
        exact = [user for user in found if fold(user.get_username()) == fold(name)]
        if len(exact) == 1:
            return exact[0], None
        if len(found) == 1:
            return found[0], None
        if not found:
            return None, str(UNKNOWN_USER) % {"name": name}
        return None, str(AMBIGUOUS_USER) % {"name": name}

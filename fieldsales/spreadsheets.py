"""Imports and exports of the back office as spreadsheets will read them (django-import-export).

A text that starts with `=`, `+`, `-` or `@` is a formula to Excel and LibreOffice: a client named
`=HYPERLINK("http://…","Click")` by a rep's phone or an imported file would run in the clerk's spreadsheet when
an export is opened (CSV injection). Such texts are data here, stored as typed (a phone "+225 07…" starts the same
way), and made inert where they leave for a spreadsheet: exported with a leading apostrophe, which spreadsheets
take as "this is text", and which an import takes off again, so that an export imported back changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _
from import_export import widgets
from import_export.formats import base_formats

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number alone ("-4.01", "+225") is a number to a spreadsheet, not a formula: left as it is.
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
# Characters an XLSX file cannot hold at all (openpyxl refuses the whole export for one of them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def inert(value: Any, *, typed_cells: bool = False) -> Any:
    """`value` as an export writes it: a text a spreadsheet would run as a formula, quoted. In a file whose cells
    have types (XLSX, ODS) a text cell is text whatever it starts with, except `=`, which makes it a formula."""
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", value)
    starts = "=" if typed_cells else FORMULA_STARTS
    if value.startswith(starts) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unquoted(value: Any) -> Any:
    """A cell as an import reads it: the quote `inert` put before a formula-like text taken off."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SpreadsheetSafeResource:
    """For a `Resource`: every exported cell `inert` (imports go through the wizard, which takes `unquoted` cells)."""

    def export_resource(self, instance: Any, selected_fields: Any = None, **kwargs: Any) -> list[Any]:
        row = super().export_resource(instance, selected_fields, **kwargs)  # type: ignore[misc]
        # The admin says `force_native_type` for the formats whose cells have types; a CSV for Excel takes the
        # values typed too (to write numbers as the clerk's Excel reads them) but its cells are text.
        typed_cells = kwargs.get("typed_cells", bool(kwargs.get("force_native_type")))
        return [inert(value, typed_cells=typed_cells) for value in row]

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)  # type: ignore[misc]
        if not kwargs.get("force_native_type"):
            return value
        # A decimal widget writes text whatever the format asks: in a typed file an amount must be a number.
        if isinstance(field.widget, widgets.DecimalWidget):
            return Decimal(value) if isinstance(value, str) and value else value
        # A column declared without a widget (a date reached through a relation) is text too.
        dehydrate = field.get_dehydrate_method(self.get_field_name(field))  # type: ignore[attr-defined]
        if (
            type(field.widget) is widgets.Widget
            and field.attribute
            and not callable(dehydrate)
            and not hasattr(self, dehydrate)
        ):
            raw = field.get_value(instance)
            if isinstance(raw, dt.datetime):
                # Spreadsheets have no time zones: the moment as the clerk's clock read it.
                return timezone.localtime(raw).replace(tzinfo=None) if timezone.is_aware(raw) else raw
            if isinstance(raw, dt.date | int | float | Decimal) and not isinstance(raw, bool):
                return raw
        return value


class ExcelCSV(base_formats.CSV):
    """CSV as the clerk's Excel opens it with a double-click, in the clerk's language.

    Excel reads a CSV in the Windows code page unless it starts with a byte order mark (accents turn to "Ã©"), splits
    columns on the list separator of the Windows language (";" where the decimal mark is a comma, as in French),
    and reads "5.36" as a date in French. So: UTF-8 with a BOM, ";" and decimal commas where the language writes
    them, dates in ISO (which Excel reads as dates in every language), numbers without grouping. Cells come typed from
    the resource (`force_native_type`) and are written here; texts that would run as formulas come quoted already.
    """

    def get_title(self) -> str:
        return str(_("CSV for Excel (%(separator)s, with BOM)") % {"separator": excel_separator()})

    def export_data(self, dataset: Any, **kwargs: Any) -> str:
        decimal_mark = get_format("DECIMAL_SEPARATOR")
        stream = io.StringIO()
        stream.write("\N{BYTE ORDER MARK}")
        writer = csv.writer(stream, delimiter=excel_separator(), lineterminator="\r\n")
        writer.writerow(dataset.headers or [])
        for row in dataset:
            writer.writerow([_excel_text(value, decimal_mark) for value in row])
        return stream.getvalue()

    def can_import(self) -> bool:
        return False


def excel_separator() -> str:
    """Excel's list separator is ";" in the languages whose decimal mark is a comma."""
    return ";" if get_format("DECIMAL_SEPARATOR") == "," else ","


def _excel_text(value: Any, decimal_mark: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        # Never "1e-05": plain digits, with the language's decimal mark.
        plain = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
        return plain.replace(".", decimal_mark)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class SpreadsheetExportMixin:
    """For an admin with exports: a CSV for Excel besides the plain CSV (kept for other programs, and for imports
    of exports), and XLSX whose numbers and dates are numbers and dates."""

    @property
    def export_formats(self) -> list[type[base_formats.Format]]:
        formats = list(super().export_formats)  # type: ignore[misc]
        at = formats.index(base_formats.CSV) + 1 if base_formats.CSV in formats else 0
        return [*formats[:at], ExcelCSV, *formats[at:]]

    def get_export_data(self, file_format: Any, request: Any, queryset: Any, **kwargs: Any) -> Any:
        if not isinstance(file_format, ExcelCSV):
            return super().get_export_data(file_format, request, queryset, **kwargs)  # type: ignore[misc]
        if not self.has_export_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        data = self.get_data_for_export(  # type: ignore[attr-defined]
            request, queryset, force_native_type=True, typed_cells=False, **kwargs
        )
        return file_format.export_data(data)

"""Imports and exports of the back office as spreadsheets will read them (django-import-export).

A text that starts with `=`, `+`, `-` or `@` is a formula to Excel and LibreOffice: a client named
`=HYPERLINK("http://…","Click")` by a rep's phone or an imported file would run in the clerk's spreadsheet when
an export is opened (CSV injection). Such texts are data here, stored as typed (a phone "+225 07…" starts the same
way), and made inert where they leave for a spreadsheet: exported with a leading apostrophe, which spreadsheets
take as "this is text", and which an import takes off again, so that an export imported back changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number alone ("-4.01", "+225") is a number to a spreadsheet, not a formula: left as it is.
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
# Characters an XLSX file cannot hold at all (openpyxl refuses the whole export for one of them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

NOT_UTF8 = _(
    "This file is not UTF-8 text (its accented letters were saved in another encoding). In your spreadsheet, "
    "save it as “CSV UTF-8” and import it again."
)
UNREADABLE = _(
    "This file cannot be read as %(format)s. Choose the format the file is in, or save it again from your "
    "spreadsheet as %(format)s."
)


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
    """For a `Resource`: every exported cell `inert`, every imported cell `unquoted`."""

    def export_resource(self, instance: Any, selected_fields: Any = None, **kwargs: Any) -> list[Any]:
        row = super().export_resource(instance, selected_fields, **kwargs)  # type: ignore[misc]
        # The admin says `force_native_type` for the formats whose cells have types.
        typed_cells = bool(kwargs.get("force_native_type"))
        return [inert(value, typed_cells=typed_cells) for value in row]

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)  # type: ignore[misc]
        for key, value in row.items():
            row[key] = unquoted(value)


class ImportFileErrorsMixin:
    """For an `ImportExportModelAdmin`: a file that cannot be read is explained to the clerk in their language,
    rather than by the name of the Python exception that stopped the reading."""

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        if isinstance(e, UnicodeError):
            form.add_error("import_file", NOT_UTF8)
            return
        formats = self.get_import_formats()  # type: ignore[attr-defined]
        title = formats[int(form.cleaned_data["format"])]().get_title().upper()
        form.add_error("import_file", UNREADABLE % {"format": title})

"""A spreadsheet file as rows of cells, whatever saved it: CSV in UTF-8 (with or without a BOM), UTF-16 or
Windows-1252, separated by `;`, `,` or tabs, or an XLSX workbook. Blank rows are dropped; every row keeps the
number the clerk sees in the spreadsheet, so that an error names the right line."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

MAX_BYTES = 30 * 1024 * 1024
DELIMITERS = (";", ",", "\t")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)

EMPTY_FILE = _("This file is empty.")
TOO_BIG = _("This file is larger than 30 MB. Split it into several files.")
OLD_EXCEL = _(
    "This is an old Excel file (.xls). In Excel, save it as “Excel Workbook (.xlsx)” or as CSV, then import it."
)
BROKEN_XLSX = _("This Excel file cannot be opened; it may be damaged. Open it in Excel, save it again, and import it.")
NOT_A_SPREADSHEET = _("This file is not a spreadsheet. Import an Excel file (.xlsx) or a CSV file.")
NO_HEADERS = _("The first row of the file must hold the column names.")
MIXED_ENCODINGS = _(
    "This file mixes two encodings of accented letters (rows pasted from files saved differently). In your "
    "spreadsheet, save it as “CSV UTF-8” and import it again."
)
HUGE_CELL = _(
    "A cell of this file holds more than %(count)s characters: it is not a table of records. Check the file, or "
    "save it again from your spreadsheet."
)
# Python's csv module refuses longer cells; none of the records imported holds as much.
MAX_CELL = 131_072
# A letter with an accent as UTF-8 writes it, two to four bytes: in a Windows-1252 text, a rarity ("Ã©").
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


class FileProblem(Exception):
    """A file that cannot be read, with what to do about it in the clerk's language."""

    def __init__(self, message: Any, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


@dataclass
class Table:
    headers: list[str]
    # (number of the row in the spreadsheet, its cells padded to the headers)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    total: int = 0


def read_table(*, content: bytes, limit: int | None = None) -> Table:
    """The file's header row and its non-blank rows (at most `limit` of them; `total` counts them all, or estimates
    it for a workbook read with a limit)."""
    if not content.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise FileProblem(EMPTY_FILE)
    if len(content) > MAX_BYTES:
        raise FileProblem(TOO_BIG)
    if content.startswith(OLE_MAGIC):
        raise FileProblem(OLD_EXCEL)
    if content.startswith(XLSX_MAGIC):
        return _read_xlsx(content, limit)
    text, encoding = decode(content)
    return _read_csv(text, encoding, limit)


def decode(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            return _decoded(content, encoding), encoding
    # UTF-16 without a BOM: every other byte of Latin text is a zero.
    head = content[:4000]
    if len(head) >= 4 and head.count(0) * 3 > len(head):
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        return _decoded(content, encoding), encoding
    if b"\x00" in head:
        raise FileProblem(NOT_A_SPREADSHEET)
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if len(UTF8_SEQUENCE.findall(content)) > 1:
        # Both encodings at once: whichever one it is read in, some rows would come out garbled.
        raise FileProblem(MIXED_ENCODINGS)
    # Not UTF-8: what Excel writes on Windows in Western Europe and Africa ("CSV (separator: semicolon)").
    # Latin-1 takes the five bytes Windows-1252 leaves undefined, so that no file is refused for one of them.
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return content.decode("latin-1"), "latin-1"


def _decoded(content: bytes, encoding: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError:
        raise FileProblem(NOT_A_SPREADSHEET) from None


def sniff_delimiter(lines: list[str]) -> str:
    """The separator that splits the header row into the most columns and the following rows into as many.
    Python's `csv.Sniffer` guesses from character frequencies and takes a decimal comma for a separator."""
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue  # a cell too long to be one: the reading says so
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        agreeing = sum(1 for row in rows[1:] if len(row) == width)
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _read_csv(text: str, encoding: str, limit: int | None) -> Table:
    text = text.lstrip("\ufeff")
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        raise FileProblem(EMPTY_FILE)
    delimiter = sniff_delimiter(lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    table = Table(headers=[], encoding=encoding, delimiter=delimiter)
    try:
        for cells in reader:
            if _blank(cells):
                continue
            if headers is None:
                headers = [cell.strip() for cell in cells]
                continue
            table.total += 1
            if limit is None or len(table.rows) < limit:
                table.rows.append((reader.line_num, _fit(cells, len(headers))))
    except csv.Error as problem:
        if "field limit" in str(problem):
            raise FileProblem(HUGE_CELL, count=MAX_CELL) from None
        raise FileProblem(NOT_A_SPREADSHEET) from None
    if headers is None:
        raise FileProblem(EMPTY_FILE)
    return _trimmed(table, headers)


def _fit(cells: list[Any], width: int) -> list[Any]:
    return cells[:width] + [""] * (width - len(cells)) if len(cells) != width else cells


def _trimmed(table: Table, headers: list[str]) -> Table:
    """Without the empty columns a spreadsheet leaves on the right (formatted but never filled)."""
    width = len(headers)
    while width and not headers[width - 1] and all(_blank(cells[width - 1 : width]) for _n, cells in table.rows):
        width -= 1
    table.headers = headers[:width]
    if width != len(headers):
        table.rows = [(number, cells[:width]) for number, cells in table.rows]
    if not any(table.headers):
        raise FileProblem(NO_HEADERS)
    return table


def _read_xlsx(content: bytes, limit: int | None) -> Table:
    import openpyxl

    try:
        # data_only: a formula cell is read as the value the spreadsheet computed, never as the formula.
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # a bad zip, or openpyxl's own errors for a zip that is not a workbook
        raise FileProblem(BROKEN_XLSX) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise FileProblem(EMPTY_FILE)
        table = Table(headers=[], encoding="xlsx")
        headers: list[str] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(values)
            if _blank(cells):
                continue
            if headers is None:
                headers = ["" if cell is None else str(cell).strip() for cell in cells]
                continue
            table.total += 1
            if limit is not None and len(table.rows) >= limit:
                # The rest is only counted: a workbook says how many rows it has, blank ones included.
                table.total = max(table.total, (sheet.max_row or number) - 1)
                break
            table.rows.append((number, _fit(["" if cell is None else cell for cell in cells], len(headers))))
    finally:
        book.close()
    if headers is None:
        raise FileProblem(EMPTY_FILE)
    return _trimmed(table, headers)


# Numbers as people type them ---------------------------------------------------------------------------------

GROUPING_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
DOT_GROUPS = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}")


def parse_number(value: Any, *, language: str) -> Decimal:
    """A number as the clerk's spreadsheet shows it: "1 234,5" or "1.234,5" in French, "1,234.5" in English.

    Where both a dot and a comma appear, the last one is the decimal mark, in any language. A lone comma is a
    decimal comma, except in English when it groups thousands ("1,234"). A lone dot is a decimal point (data
    exports write "5.35" whatever the language), except in French when it groups thousands more than once
    ("1.234.567"). Raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = GROUPING_SPACES.sub("", str(value).strip())
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif "," in text:
        english = not language.startswith("fr")
        text = text.replace(",", "") if english and COMMA_GROUPS.fullmatch(text) else text.replace(",", ".")
    elif text.count(".") > 1 and DOT_GROUPS.fullmatch(text):
        text = text.replace(".", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def plain(number: Decimal) -> str:
    """A number as the schema stores it: "1234.5", never "1.2345E+3"."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text

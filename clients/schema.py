"""The list-schema rules: attribute types, required, choices. One place, used by all.

The admin forms, the import resources, the REST API and the sync handlers all
validate attribute values here, and activity forms (workflows) reuse the same
rules for their own fields. Values are stored in a canonical JSON form:

| type            | stored as                               |
|-----------------|-----------------------------------------|
| text, long_text | str (stripped)                          |
| integer         | int                                     |
| decimal         | str, plain notation ("12.5")            |
| date            | str, ISO 8601 ("2026-11-22")            |
| boolean         | bool                                    |
| choice          | str, one of the options                 |
| multiple_choice | list[str], options in schema order      |
| phone           | str, E.164 ("+2250701020304")           |
| email           | str, domain lower-cased                 |
| photo           | str, the UUID of an uploaded photo      |
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.phones import phone_display, phone_parse, phone_rules


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    PHOTO = "photo", _("Photo")


CHOICE_TYPES = frozenset({AttributeType.CHOICE, AttributeType.MULTIPLE_CHOICE})
# The types whose values a field may bound with a minimum and a maximum (activity fields).
BOUNDED_TYPES = frozenset({AttributeType.INTEGER, AttributeType.DECIMAL})
TEXT_MAX = 255
LONG_TEXT_MAX = 5000
INTEGER_LIMIT = 2**53  # what a phone's JavaScript number holds exactly
DECIMAL_MAX_DIGITS = 15
MULTIPLE_CHOICE_SEPARATOR = ";"
# The app validates with these same patterns (published by `attribute_rules`), so each is written in the part of
# regular-expression syntax that Python's `re` and JavaScript's `RegExp` (with its `u` flag) read alike, and is
# matched whole (`re.fullmatch`; `^(?:…)$` in JavaScript).
# A date as a person types it: "%Y-%m-%d", "%d/%m/%Y", and the ISO moments an export writes, read as
# `datetime.strptime` reads those formats (one or two digits for the day and month; "T" of either case) but in ASCII
# digits only. The groups are the year, month and day, in the order the second item says.
_YEAR = "([0-9]{4})"
_MONTH = "(1[0-2]|0[1-9]|[1-9])"
_DAY = "(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])"
_TIME = "(?:2[0-3]|[01][0-9]|[0-9]):(?:[0-5][0-9]|[0-9]):(?:[0-5][0-9]|[0-9])"
# What strptime's `\s+` matches in Python: the characters `str.isspace()` calls whitespace (JavaScript's `\s` differs).
_SPACES = r"[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
DATE_FORMATS = (
    (f"{_YEAR}-{_MONTH}-{_DAY}", "ymd"),
    (f"{_DAY}/{_MONTH}/{_YEAR}", "dmy"),
    (f"{_YEAR}-{_MONTH}-{_DAY}[Tt]{_TIME}", "ymd"),
    (f"{_YEAR}-{_MONTH}-{_DAY}{_SPACES}{_TIME}", "ymd"),
)
# An email address as Django's EmailValidator reads it (a dot-atom or quoted local part; a domain of Unicode letters,
# digits and hyphens with a top-level label), without its IP-address and "localhost" forms, which no client has.
_ATOM = r"[-!#$%&'*+/=?^_`{|}~0-9A-Za-z]+"
_QUOTED = r'"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"'
_LETTER = r"a-zA-Z\u00a1-\uffff"
_HOST = f"[{_LETTER}0-9](?:[{_LETTER}0-9-]{{0,61}}[{_LETTER}0-9])?"
_LABELS = rf"(?:\.(?!-)[{_LETTER}0-9-]{{1,63}}(?<!-))*"
_TOP = rf"\.(?!-)(?:[{_LETTER}-]{{2,63}}|[xX][nN]--[a-zA-Z0-9]{{1,59}})(?<!-)\.?"
EMAIL_PATTERN = rf"(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})@{_HOST}{_LABELS}{_TOP}"
EMAIL_MAX_LENGTH = 320  # RFC 3696, as Django's validator
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
# A client's own fields: an attribute may not take one of these keys, so that errors and
# import columns can name attributes and fields alike by their bare key.
RESERVED_KEYS = frozenset(
    {
        "id",
        "list",
        "client_list",
        "name",
        "lat",
        "lng",
        "accuracy_m",
        "phone",
        "photo",
        "attributes",
        "statement_enabled",
        "reps",
        "version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "archived_at",
        "archived_by",
        "search_text",
    }
)

REQUIRED = _("This field is required.")
UNKNOWN = _("This attribute is not in the list's schema.")
TOO_LONG = _("Enter at most %(max)d characters.")
NOT_TEXT = _("Enter text.")
NOT_INTEGER = _("Enter a whole number.")
INTEGER_RANGE = _("Enter a number between %(min)d and %(max)d.")
BELOW_MINIMUM = _("Enter a number of at least %(min)s.")
ABOVE_MAXIMUM = _("Enter a number of at most %(max)s.")
NOT_DECIMAL = _("Enter a number.")
DECIMAL_DIGITS = _("Enter a number with at most %(max)d digits.")
NOT_DATE = _("Enter a date as YYYY-MM-DD or DD/MM/YYYY.")
NOT_BOOLEAN = _("Enter yes or no.")
NOT_OPTION = _("“%(value)s” is not one of the choices: %(options)s.")
NOT_EMAIL = _("Enter a valid email address.")
NOT_PHOTO = _("Enter the identifier of an uploaded photo.")
BAD_KEY = _("Use lower-case letters, digits and underscores, starting with a letter.")
RESERVED_KEY = _("This key is a client field; choose another one.")
OPTIONS_NEEDED = _("A choice attribute needs at least one option.")
DUPLICATE_OPTION = _("Each option may appear only once.")
DUPLICATE_KEY = _("Each field key may appear only once.")

_TRUE = frozenset({"true", "1", "yes", "y", "oui", "o", "vrai", "x"})
_FALSE = frozenset({"false", "0", "no", "n", "non", "faux"})


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a schema, detached from the database."""

    key: str
    type: str
    label_en: str = ""
    label_fr: str = ""
    required: bool = False
    important: bool = False
    options: tuple[str, ...] = field(default_factory=tuple)
    # The country a phone typed without its country code is read in: the list's (empty: the project's default).
    region: str = ""
    # The bounds of a whole number or a decimal (an activity field's), inclusive; None: only the type's own limits.
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def label(self) -> str:
        return localized(self.label_en, self.label_fr) or self.key


def localized(text_en: str, text_fr: str) -> str:
    """A back-office text in the active language, falling back to the other one."""
    if (get_language() or "en").startswith("fr"):
        return text_fr or text_en
    return text_en or text_fr


class SchemaValidationError(ValidationError):
    """Per-attribute errors: `error_dict` maps each attribute key to its messages."""

    def __init__(self, errors: Mapping[str, list[Any]]) -> None:
        super().__init__(dict(errors))


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set):
        return len(value) == 0
    return False


def clean_value(spec: AttributeSpec, value: Any) -> Any:
    """Return `value` in its canonical form for `spec`, or raise ValidationError.

    An empty value comes back as None; whether that is allowed is the caller's
    concern (`validate_attributes` checks `required`).
    """
    if is_empty(value):
        return None
    cleaner = _CLEANERS[AttributeType(spec.type)]
    return cleaner(spec, value)


def _clean_text(spec: AttributeSpec, value: Any, limit: int = TEXT_MAX) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError(NOT_TEXT, code="invalid")
    text = str(value).strip()
    if len(text) > limit:
        raise ValidationError(TOO_LONG, code="max_length", params={"max": limit})
    return text


def _clean_long_text(spec: AttributeSpec, value: Any) -> str:
    return _clean_text(spec, value, LONG_TEXT_MAX)


def _out_of_range() -> ValidationError:
    return ValidationError(INTEGER_RANGE, code="range", params={"min": -INTEGER_LIMIT, "max": INTEGER_LIMIT})


def _clean_integer(spec: AttributeSpec, value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError(NOT_INTEGER, code="invalid")
    if isinstance(value, int):
        number = value
    else:
        try:
            decimal = Decimal(str(value).strip().replace(" ", "").replace("\u202f", ""))
        except InvalidOperation:
            raise ValidationError(NOT_INTEGER, code="invalid") from None
        if not decimal.is_finite() or decimal != decimal.to_integral_value():
            raise ValidationError(NOT_INTEGER, code="invalid")
        if abs(decimal) > INTEGER_LIMIT:
            raise _out_of_range()
        number = int(decimal)
    if abs(number) > INTEGER_LIMIT:
        raise _out_of_range()
    _check_bounds(spec, Decimal(number))
    return number


def _check_bounds(spec: AttributeSpec, number: Decimal) -> None:
    if spec.minimum is not None and number < spec.minimum:
        raise ValidationError(BELOW_MINIMUM, code="min_value", params={"min": plain_number(spec.minimum)})
    if spec.maximum is not None and number > spec.maximum:
        raise ValidationError(ABOVE_MAXIMUM, code="max_value", params={"max": plain_number(spec.maximum)})


def plain_number(number: Decimal) -> str:
    """A number in plain notation without trailing zeros ("12.5", "1000"), as a decimal value is stored."""
    plain = format(number, "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return "0" if plain in {"-0", ""} else plain


def _clean_decimal(spec: AttributeSpec, value: Any) -> str:
    if isinstance(value, bool):
        raise ValidationError(NOT_DECIMAL, code="invalid")
    text = str(value).strip().replace(" ", "").replace("\u202f", "")
    if isinstance(value, str) and text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # French decimal comma
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(NOT_DECIMAL, code="invalid") from None
    if not number.is_finite():
        raise ValidationError(NOT_DECIMAL, code="invalid")
    digits = number.as_tuple().digits
    if len(digits) > DECIMAL_MAX_DIGITS or abs(number.adjusted()) > DECIMAL_MAX_DIGITS:
        raise ValidationError(DECIMAL_DIGITS, code="max_digits", params={"max": DECIMAL_MAX_DIGITS})
    _check_bounds(spec, number)
    return plain_number(number)


def _clean_date(spec: AttributeSpec, value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValidationError(NOT_DATE, code="invalid")
    text = value.strip()
    for pattern, order in DATE_FORMATS:
        match = re.fullmatch(pattern, text)
        if match is None:
            continue
        parts = dict(zip(order, (int(group) for group in match.groups()), strict=True))
        try:
            return dt.date(parts["y"], parts["m"], parts["d"]).isoformat()
        except ValueError:
            continue  # 2026-02-30: no such day
    raise ValidationError(NOT_DATE, code="invalid")


def _clean_boolean(spec: AttributeSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValidationError(NOT_BOOLEAN, code="invalid")


def _match_option(spec: AttributeSpec, value: Any) -> str:
    text = (
        str(value).strip() if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool) else None
    )
    if text is not None:
        if text in spec.options:
            return text
        folded = normalize_text(text)
        for option in spec.options:
            if normalize_text(option) == folded:
                return option
    shown = text if text is not None else str(value)
    raise ValidationError(
        NOT_OPTION, code="invalid_choice", params={"value": shown[:80], "options": ", ".join(spec.options)}
    )


def _clean_choice(spec: AttributeSpec, value: Any) -> str:
    return _match_option(spec, value)


def _clean_multiple_choice(spec: AttributeSpec, value: Any) -> list[str] | None:
    items: Iterable[Any]
    if isinstance(value, str):
        items = value.split(MULTIPLE_CHOICE_SEPARATOR)
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValidationError(
            NOT_OPTION, code="invalid_choice", params={"value": str(value)[:80], "options": ", ".join(spec.options)}
        )
    chosen = {_match_option(spec, item) for item in items if not is_empty(item)}
    return [option for option in spec.options if option in chosen] or None


def _clean_phone(spec: AttributeSpec, value: Any) -> str:
    return phone_parse(value, region=spec.region or None)


def _clean_email(spec: AttributeSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(NOT_EMAIL, code="invalid")
    text = value.strip()
    if len(text) > EMAIL_MAX_LENGTH or not re.fullmatch(EMAIL_PATTERN, text):
        raise ValidationError(NOT_EMAIL, code="invalid")
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_photo(spec: AttributeSpec, value: Any) -> str:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise ValidationError(NOT_PHOTO, code="invalid") from None


_CLEANERS = {
    AttributeType.TEXT: _clean_text,
    AttributeType.LONG_TEXT: _clean_long_text,
    AttributeType.INTEGER: _clean_integer,
    AttributeType.DECIMAL: _clean_decimal,
    AttributeType.DATE: _clean_date,
    AttributeType.BOOLEAN: _clean_boolean,
    AttributeType.CHOICE: _clean_choice,
    AttributeType.MULTIPLE_CHOICE: _clean_multiple_choice,
    AttributeType.PHONE: _clean_phone,
    AttributeType.EMAIL: _clean_email,
    AttributeType.PHOTO: _clean_photo,
}


def validate_attributes(
    specs: Iterable[AttributeSpec],
    values: Mapping[str, Any],
    *,
    partial: bool = False,
    stored: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check `values` against `specs` and return them in canonical form, empty ones dropped.

    With `partial`, only the keys present in `values` are checked (an update); an
    empty value for a required attribute is still an error, unless `stored` (the
    client's values before the update) has none either: leaving empty what was empty
    is no change, so a client made before an attribute became required stays editable
    without it (reps are asked for it at their next visit). Raises
    SchemaValidationError with every problem at once, keyed by attribute key.
    """
    by_key = {spec.key: spec for spec in specs}
    errors: dict[str, list[Any]] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in values.items():
        spec = by_key.get(key)
        if spec is None:
            errors[key] = [ValidationError(UNKNOWN, code="unknown")]
            continue
        try:
            value = clean_value(spec, raw)
        except ValidationError as error:
            errors[key] = error.error_list
            continue
        if value is None:
            if spec.required and not (stored is not None and is_empty(stored.get(key))):
                errors[key] = [ValidationError(REQUIRED, code="required")]
            continue
        cleaned[key] = value
    if not partial:
        for spec in by_key.values():
            if spec.required and spec.key not in values and spec.key not in errors:
                errors[spec.key] = [ValidationError(REQUIRED, code="required")]
    if errors:
        raise SchemaValidationError(errors)
    return cleaned


def attribute_rules(spec: AttributeSpec) -> dict[str, Any]:
    """The figures and patterns `clean_value` checks a value of `spec` with, as the app reads them (the pull sends
    them with each attribute of a list and each field of an activity): the app validates from these and restates
    none. A choice's rule is its `options`, sent already; a boolean or a photo has none the app needs."""
    kind = AttributeType(spec.type)
    if kind in (AttributeType.TEXT, AttributeType.LONG_TEXT):
        return {"max_length": TEXT_MAX if kind == AttributeType.TEXT else LONG_TEXT_MAX}
    if kind == AttributeType.INTEGER:
        return {"min": -INTEGER_LIMIT, "max": INTEGER_LIMIT, **_bound_rules(spec, int)}
    if kind == AttributeType.DECIMAL:
        # At most this many significant digits, and a magnitude within 10 to the power of as many.
        return {"max_digits": DECIMAL_MAX_DIGITS, **_bound_rules(spec, plain_number)}
    if kind == AttributeType.DATE:
        return {"formats": [[pattern, order] for pattern, order in DATE_FORMATS]}
    if kind == AttributeType.EMAIL:
        return {"pattern": EMAIL_PATTERN, "max_length": EMAIL_MAX_LENGTH}
    if kind == AttributeType.PHONE:
        return {"phone": phone_rules(spec.region or None)}
    return {}


def _bound_rules(spec: AttributeSpec, shown: Any) -> dict[str, Any]:
    """A field's own bounds, as its values are stored (a whole number, a decimal's plain text)."""
    bounds = {"min_value": spec.minimum, "max_value": spec.maximum}
    return {name: shown(bound) for name, bound in bounds.items() if bound is not None}


def missing_required(specs: Iterable[AttributeSpec], values: Mapping[str, Any]) -> list[str]:
    """Keys of required attributes that have no value (a client made before a field became required)."""
    return [spec.key for spec in specs if spec.required and is_empty(values.get(spec.key))]


def validate_options(attribute_type: str, options: Iterable[str]) -> None:
    """The rule for a schema attribute's own options, used by the admin form."""
    options = list(options)
    if attribute_type in CHOICE_TYPES and not options:
        raise ValidationError(OPTIONS_NEEDED, code="options_needed")
    if len({normalize_text(option) for option in options}) != len(options):
        raise ValidationError(DUPLICATE_OPTION, code="duplicate_option")


def normalize_text(text: str) -> str:
    """Fold case and accents so "epicerie" finds "Épicerie"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def search_text(specs: Iterable[AttributeSpec], name: str, values: Mapping[str, Any]) -> str:
    """The folded text a client is searched by: its name and its important attributes."""
    parts = [name]
    for spec in specs:
        if spec.important:
            value = values.get(spec.key)
            if isinstance(value, list):
                parts.extend(str(item) for item in value)
            elif value is not None:
                parts.append(str(value))
    return normalize_text(" ".join(parts))


def display_value(spec: AttributeSpec, value: Any) -> str:
    """A value as a person reads it (export cells, admin columns)."""
    if is_empty(value):
        return ""
    if spec.type == AttributeType.BOOLEAN:
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return f"{MULTIPLE_CHOICE_SEPARATOR} ".join(str(item) for item in value)
    if spec.type == AttributeType.PHONE:
        return phone_display(value, region=spec.region or None)
    return str(value)


def spreadsheet_value(spec: AttributeSpec, value: Any) -> Any:
    """A value as a typed spreadsheet cell (XLSX) holds it: whole numbers and decimals as numbers, dates as dates, the
    rest as a person reads it (`display_value`). An import reads each back as the same value."""
    if is_empty(value):
        return ""
    try:
        if spec.type == AttributeType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
            return value
        if spec.type == AttributeType.DECIMAL:
            return Decimal(str(value))
        if spec.type == AttributeType.DATE:
            return dt.date.fromisoformat(str(value))
    except (InvalidOperation, ValueError):
        pass  # a value stored before its attribute changed type: as it reads
    return display_value(spec, value)


BAD_FIELDS = _("Describe the fields as a list of objects with at least a key and a type.")
UNKNOWN_TYPE = _("Choose one of the types.")
BOUNDS_FOR_NUMBERS = _("Only a whole number or a decimal has a minimum and a maximum.")
BOUNDS_ORDER = _("The minimum is above the maximum.")


def field_spec(item: Mapping[str, Any]) -> AttributeSpec:
    """One field of an activity's form (kept as JSON) read with the list schema's rules: its type, key, options and
    bounds. Raises a ValidationError keyed by the part of the field at fault (`type`, `key`, `options`, `min`,
    `max`), every problem at once."""
    errors: dict[str, list[Any]] = {}
    kind = item.get("type")
    if kind not in AttributeType.values:
        errors["type"] = [ValidationError(UNKNOWN_TYPE, code="invalid")]
    key = str(item.get("key") or "")
    if not KEY_RE.match(key):
        errors["key"] = [ValidationError(BAD_KEY, code="invalid")]
    given_options = item.get("options") or []
    options = tuple(str(option) for option in given_options) if isinstance(given_options, list | tuple) else ()
    if not isinstance(given_options, list | tuple):
        errors["options"] = [ValidationError(BAD_FIELDS, code="invalid")]
    elif "type" not in errors:
        try:
            validate_options(str(kind), options)
        except ValidationError as error:
            errors["options"] = error.error_list
    minimum, maximum = _field_bounds(str(kind), item, errors) if "type" not in errors else (None, None)
    if errors:
        raise ValidationError(errors)
    return AttributeSpec(
        key=key,
        type=str(kind),
        label_en=str(item.get("label_en", "")),
        label_fr=str(item.get("label_fr", "")),
        required=bool(item.get("required", False)),
        options=options,
        minimum=minimum,
        maximum=maximum,
    )


def _field_bounds(
    kind: str, item: Mapping[str, Any], errors: dict[str, list[Any]]
) -> tuple[Decimal | None, Decimal | None]:
    """A field's `min` and `max`, read as values of its own type (a whole number's bounds are whole numbers)."""
    given = {part: item.get(part) for part in ("min", "max") if not is_empty(item.get(part))}
    if given and kind not in BOUNDED_TYPES:
        for part in given:
            errors[part] = [ValidationError(BOUNDS_FOR_NUMBERS, code="no_bounds")]
        return None, None
    read: dict[str, Decimal] = {}
    unbounded = AttributeSpec(key="x", type=kind)
    for part, raw in given.items():
        try:
            read[part] = Decimal(str(clean_value(unbounded, raw)))
        except ValidationError as error:
            errors[part] = error.error_list
    if "min" in read and "max" in read and read["min"] > read["max"]:
        errors["max"] = [ValidationError(BOUNDS_ORDER, code="bounds_order")]
    return read.get("min"), read.get("max")


def specs_from_json(data: Any) -> list[AttributeSpec]:
    """Read a schema kept as JSON (an activity's form fields) with the same rules as a list's schema."""
    if not isinstance(data, list):
        raise ValidationError(BAD_FIELDS, code="invalid")
    specs: list[AttributeSpec] = []
    for item in data:
        if not isinstance(item, dict):
            raise ValidationError(BAD_FIELDS, code="invalid")
        try:
            specs.append(field_spec(item))
        except ValidationError as error:
            raise ValidationError([message for messages in error.error_dict.values() for message in messages]) from None
    if len({spec.key for spec in specs}) != len(specs):
        raise ValidationError(DUPLICATE_KEY, code="duplicate_key")
    return specs

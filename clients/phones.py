"""The phone rule: a client's phone, its phone attributes and the recipients of its statements are all read here.

Numbers are parsed with Google's libphonenumber (`phonenumbers`) and stored in E.164 (`+2250701020304`), the one
form that a provider, a `tel:` link and a comparison all take as is. A number typed without its country code is read
in the country of the client's list (`ClientList.country`, by default `settings.PHONE_REGION`), as its reps and
clerks write it. People read numbers in the national format of that country; a number of another country shows its
country code.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneMetadata, PhoneNumberDesc, PhoneNumberFormat

NOT_PHONE = _("Enter a phone number, such as %(example)s (%(country)s), or one starting with + and its country code.")
UNKNOWN_COUNTRY = _("Choose a country that has phone numbers (ISO 3166 code, such as CI or FR).")


def phone_region(region: str | None = None) -> str:
    """The country a number without its country code belongs to: `region`, or the project's default."""
    return (region or settings.PHONE_REGION).upper()


def validate_region(value: str) -> None:
    """A list's country must be one libphonenumber knows, or no number typed without + could be read."""
    if str(value).upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(UNKNOWN_COUNTRY, code="invalid_region")


def country_name(region: str) -> str:
    """The country's name in the active language (libphonenumber carries the names)."""
    # Imported when a name is first asked for: its data take most of a second to load, which every process (each
    # test worker, each management command) would otherwise pay at start.
    from phonenumbers import geocoder

    example = phonenumbers.example_number(region)
    language = (get_language() or "en").split("-")[0]
    return (geocoder.country_name_for_number(example, language) if example else "") or region


def region_choices() -> list[tuple[str, str]]:
    """Every country libphonenumber knows, by name in the active language, for a list's country."""
    named = [(region, f"{country_name(region)} ({region})") for region in phonenumbers.SUPPORTED_REGIONS]
    return sorted(named, key=lambda choice: choice[1].casefold())


def _example(region: str) -> str:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    number = number or phonenumbers.example_number(region)
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL) if number else "+…"


def not_a_phone(region: str | None) -> ValidationError:
    """The refusal, with an example of the list's country: a clerk learns the expected form from it."""
    region = phone_region(region)
    return ValidationError(
        NOT_PHONE, code="invalid", params={"country": country_name(region), "example": _example(region)}
    )


def _parsed(value: Any, region: str | None) -> phonenumbers.PhoneNumber | None:
    # An integer is what a spreadsheet makes of a number typed without its leading 0 or +: read as digits.
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        number = phonenumbers.parse(str(value).strip(), phone_region(region))
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_parse(value: Any, *, region: str | None) -> str:
    """`value` in E.164, read in `region` when it has no country code; a ValidationError when it is no valid number."""
    number = _parsed(value, region)
    if number is None:
        raise not_a_phone(region)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_canonical(value: Any, *, region: str | None) -> Any:
    """`value` as `phone_parse` stores it, or unchanged when it is no valid number: to tell a change from the same
    number written another way, before (and whatever) the rule says of it."""
    number = _parsed(value, region)
    return value if number is None else phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_display(value: Any, *, region: str | None) -> str:
    """A stored number as a person in the list's country reads and dials it: national format for that country's
    numbers, after the country's international call prefix for others ("00 33 6 12 34 56 78" from Côte d'Ivoire).

    The admin, the exports and the statement log show this one form. It seldom starts with + (only for a country
    without one international prefix), so a CSV cell holding it is neither a number nor a formula to a
    spreadsheet, and the rule reads it back as the same number. A stored text that is no valid number (kept from
    before the rule) is shown as it is."""
    if not value:
        return ""
    number = _parsed(value, region)
    if number is None:
        return str(value)
    region = phone_region(region)
    if phonenumbers.region_code_for_number(number) == region:
        # Said outright: from within North America libphonenumber would dial even a local number with its "1".
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    dialled = phonenumbers.format_out_of_country_calling_number(number, region)
    # Where the country's call prefix is ambiguous, what is dialled would not read back as this number: then
    # the international format, which always does (a CSV export quotes it, clients/resources.py).
    if phone_canonical(dialled, region=region) != phonenumbers.format_number(number, PhoneNumberFormat.E164):
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    return dialled


# The kinds of number libphonenumber knows besides the general description: a number is valid when it matches the
# general description and one of these (phonenumberutil._number_type_helper).
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _metadata(region: str) -> PhoneMetadata:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise ValueError(f"libphonenumber has no data for {region!r}")  # a list's country is validated: a bug
    return metadata


def _desc(desc: PhoneNumberDesc | None) -> list[Any] | None:
    """[pattern, possible lengths] of a description that has a pattern (an empty list of lengths: any)."""
    if desc is None or not desc.national_number_pattern:
        return None
    return [desc.national_number_pattern, list(desc.possible_length or ())]


def _parsing(metadata: PhoneMetadata) -> dict[str, Any]:
    """What parsing a number of this region reads from its metadata: its national prefix (and the rewrite some
    regions make of it) and its general description (with the lengths only dialled locally)."""
    transform = metadata.national_prefix_transform_rule
    return {
        "national_prefix": metadata.national_prefix_for_parsing or None,
        # Python's "\\1" written as JavaScript's "$1", the only form the metadata uses.
        "national_prefix_transform": re.sub(r"\\(\d)", r"$\1", transform) if transform else None,
        "general": _desc(metadata.general_desc),
        "local_lengths": list(getattr(metadata.general_desc, "possible_length_local_only", None) or ()),
    }


def _validity(region: str) -> dict[str, Any]:
    metadata = _metadata(region)
    types = [_desc(getattr(metadata, name)) for name in _NUMBER_TYPES]
    return {
        "region": region,
        "leading_digits": metadata.leading_digits,
        "general": _desc(metadata.general_desc),
        "types": [desc for desc in types if desc is not None],
    }


@functools.lru_cache(maxsize=64)
def _phone_rules(region: str) -> dict[str, Any]:
    metadata = _metadata(region)
    country_code = int(metadata.country_code or 0)
    main = phonenumbers.region_code_for_country_code(country_code)
    rules: dict[str, Any] = {
        "region": region,
        "country_code": country_code,
        "international_prefix": metadata.international_prefix,
        **_parsing(metadata),
        # Every region sharing the country code, in libphonenumber's order: the first whose leading digits (or
        # numbers) a number matches is the one it is checked against.
        "regions": [_validity(other) for other in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]],
        "example": _example(region),
    }
    if main != region:
        # A number written with its country code is read by the code's main region (+1: the US), whose national
        # prefix and lengths may differ from this region's.
        rules["main"] = _parsing(_metadata(main))
    return rules


def phone_rules(region: str | None) -> dict[str, Any]:
    """What the app needs to tell, as `phone_parse` does, whether a number of the list's country is valid, and its
    E.164 form: libphonenumber's data for that country, published in the pull (clients/records.py).

    The app reads a number written with another country's code as the server's to decide: it holds no data of
    that country, so it accepts the number as typed and the server stores it in E.164 or refuses the op (a sync
    alert with NOT_PHONE's message). The app refuses what it cannot read as digits, spaces, `-.()/` and a leading
    `+` (a letter, "Tel:"), which libphonenumber may read: the rep is asked for the digits, never let through."""
    return _phone_rules(phone_region(region))

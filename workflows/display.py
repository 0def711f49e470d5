"""How the back office shows what reps recorded: an activity's answers as "label: value" in the reader's language,
distances, amounts and moments in the reader's locale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from clients.schema import AttributeSpec, AttributeType, display_value, is_empty
from workflows.models import Activity, OrderLine, SubmissionPhoto
from workflows.services import INACCURATE, MONEY_PLACES, TOO_FAST

PHOTO_MISSING = _("Photo not received")


def distance_text(meters: float | None) -> str:
    """A distance as a person reads it: "22 m" to the metre below a kilometre, "1.2 km" (French "1,2 km") above."""
    if meters is None:
        return ""
    if round(meters) < 1000:
        return f"{round(meters)} m"
    kilometres = Decimal(str(meters / 1000)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{number_format(kilometres, decimal_pos=1, use_l10n=True, force_grouping=True)} km"


def checkin_flag_texts(flags: list[dict[str, Any]]) -> list[str]:
    """What a supervisor reads of a check-in's flags (workflows.services.checkin_flags), in their language."""
    texts = []
    for flag in flags:
        if flag.get("code") == TOO_FAST:
            texts.append(
                str(_("%(km)s km from the check-in before in %(minutes)s min (%(kmh)s km/h)"))
                % {"km": number_format(flag["km"]), "minutes": flag["minutes"], "kmh": flag["kmh"]}
            )
        elif flag.get("code") == INACCURATE:
            texts.append(
                str(_("GPS accuracy %(accuracy)s m, wider than the %(radius)s m radius"))
                % {"accuracy": flag["accuracy_m"], "radius": flag["radius_m"]}
            )
    return texts


def money_text(amount: Decimal | None) -> str:
    """An amount to the cent, grouped, with the currency: "12 500,00 FCFA" in French."""
    if amount is None:
        return ""
    return f"{number_format(amount, decimal_pos=MONEY_PLACES, use_l10n=True, force_grouping=True)} {settings.CURRENCY}"


def quantity_text(quantity: Decimal) -> str:
    """A quantity as it was typed, without the trailing zeros of its three places: "12", "0,5" in French."""
    plain = quantity.to_integral() if quantity == quantity.to_integral() else quantity.normalize()
    return number_format(plain, use_l10n=True, force_grouping=True)


def line_rows(lines: list[OrderLine]) -> list[dict[str, str]]:
    """An order's lines as its table shows them: product, SKU, quantity, unit price and value."""
    return [
        {
            "product": line.product.name,
            "sku": line.product.sku,
            "quantity": quantity_text(line.quantity),
            "unit_price": number_format(line.unit_price, decimal_pos=MONEY_PLACES, use_l10n=True, force_grouping=True),
            "value": number_format(line.value, decimal_pos=MONEY_PLACES, use_l10n=True, force_grouping=True),
        }
        for line in lines
    ]


def moment_text(moment: dt.datetime | None) -> str:
    """A moment in the site's time zone, in the reader's short format."""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""


@dataclass(frozen=True)
class Answer:
    label: str
    text: str
    photo: SubmissionPhoto | None = None
    long: bool = False


def value_text(spec: AttributeSpec, value: Any) -> str:
    """One stored value (clients.schema's canonical form) in the reader's locale: numbers grouped, dates in their
    short format, yes or no, choices as they read."""
    try:
        if spec.type == AttributeType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
            return number_format(value, use_l10n=True, force_grouping=True)
        if spec.type == AttributeType.DECIMAL:
            return number_format(Decimal(str(value)), use_l10n=True, force_grouping=True)
        if spec.type == AttributeType.DATE:
            return date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except (InvalidOperation, ValueError):
        pass  # stored before its field changed type: as it reads
    if spec.type == AttributeType.MULTIPLE_CHOICE and isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return display_value(spec, value)


def specs_of(activity: Activity) -> list[AttributeSpec]:
    """The activity's fields; none if they cannot be read (its answers then show under their keys)."""
    try:
        return activity.specs()
    except ValidationError:
        return []


def answers(
    specs: list[AttributeSpec], values: Mapping[str, Any], photos: Mapping[str, SubmissionPhoto] | None = None
) -> list[Answer]:
    """A submission's values in the order of its activity's fields, each with its label in the reader's language; a
    photo field with its photo (by field key in `photos`; None: not looked up). Values of fields since removed from
    the form come last, under their key."""
    shown = []
    for spec in specs:
        value = values.get(spec.key)
        if is_empty(value):
            continue
        if spec.type == AttributeType.PHOTO:
            photo = photos.get(spec.key) if photos is not None else None
            missing = photos is not None and photo is None
            shown.append(Answer(spec.label, str(PHOTO_MISSING) if missing else "", photo))
        else:
            shown.append(Answer(spec.label, value_text(spec, value), long=spec.type == AttributeType.LONG_TEXT))
    known = {spec.key for spec in specs}
    for key, value in values.items():
        if key not in known and not is_empty(value):
            shown.append(Answer(key, display_value(AttributeSpec(key=key, type=AttributeType.TEXT), value)))
    return shown


def answers_summary(specs: list[AttributeSpec], values: Mapping[str, Any], limit: int = 3) -> str:
    """The first answers on one line ("Shelf share: 35; Out of stock: No; …"), for a list's column."""
    items = answers(specs, values)
    parts = [f"{item.label}: {item.text or _('photo')}" for item in items[:limit]]
    return "; ".join(parts) + ("; …" if len(items) > limit else "")

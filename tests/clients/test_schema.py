"""The list-schema rules (clients/schema.py): every type, required, choices, partial updates."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from clients.schema import (
    AttributeSpec,
    AttributeType,
    SchemaValidationError,
    clean_value,
    missing_required,
    normalize_text,
    search_text,
    specs_from_json,
    validate_attributes,
)

T = AttributeType
CATEGORIES = ("Épicerie", "Boutique", "Supermarché")
SERVICES = ("Mobile money", "Livraison", "Crédit")

SPECS = [
    AttributeSpec("quartier", T.TEXT, "District", "Quartier", required=True, important=True),
    AttributeSpec("categorie", T.CHOICE, "Category", "Catégorie", required=True, important=True, options=CATEGORIES),
    AttributeSpec("remarques", T.LONG_TEXT, "Remarks", "Remarques"),
    AttributeSpec("surface_m2", T.INTEGER, "Area", "Surface"),
    AttributeSpec("ca_mensuel", T.DECIMAL, "Turnover", "CA"),
    AttributeSpec("ouverture", T.DATE, "Opened", "Ouverture"),
    AttributeSpec("frigo", T.BOOLEAN, "Fridge", "Frigo"),
    AttributeSpec("services", T.MULTIPLE_CHOICE, "Services", "Services", options=SERVICES),
    AttributeSpec("tel2", T.PHONE, "Phone 2", "Téléphone 2"),
    AttributeSpec("email", T.EMAIL, "Email", "Email"),
    AttributeSpec("facade", T.PHOTO, "Front", "Façade"),
]
BY_KEY = {spec.key: spec for spec in SPECS}
VALID = {"quartier": "Cocody", "categorie": "Boutique"}


def errors_of(values, *, partial=False, specs=SPECS):
    with pytest.raises(SchemaValidationError) as caught:
        validate_attributes(specs, values, partial=partial)
    return {key: [str(message) for message in messages] for key, messages in caught.value.message_dict.items()}


@pytest.mark.parametrize(
    ("key", "raw", "canonical"),
    [
        ("quartier", "  Cocody  ", "Cocody"),
        ("quartier", 42, "42"),
        ("remarques", "Ouvert\nle dimanche", "Ouvert\nle dimanche"),
        ("surface_m2", 35, 35),
        ("surface_m2", "35", 35),
        ("surface_m2", "1 200", 1200),
        ("surface_m2", 35.0, 35),
        ("ca_mensuel", "12,5", "12.5"),
        ("ca_mensuel", "1200.50", "1200.5"),
        ("ca_mensuel", Decimal("3.000"), "3"),
        ("ca_mensuel", 7, "7"),
        ("ouverture", "2024-01-15", "2024-01-15"),
        ("ouverture", "15/01/2024", "2024-01-15"),
        ("ouverture", dt.date(2024, 1, 15), "2024-01-15"),
        ("ouverture", dt.datetime(2024, 1, 15, 9, 30), "2024-01-15"),
        ("frigo", True, True),
        ("frigo", "oui", True),
        ("frigo", "Non", False),
        ("frigo", "yes", True),
        ("frigo", 0, False),
        ("categorie", "Épicerie", "Épicerie"),
        ("categorie", "epicerie", "Épicerie"),
        ("categorie", " SUPERMARCHE ", "Supermarché"),
        ("services", ["Crédit", "Mobile money"], ["Mobile money", "Crédit"]),
        ("services", "livraison; credit", ["Livraison", "Crédit"]),
        ("tel2", "+225 07 12 34 56 78", "+2250712345678"),
        ("tel2", "0707070707", "+2250707070707"),  # without its country code: a number of the list's country
        ("tel2", " 00 33 6 12 34 56 78 ", "+33612345678"),  # dialled from Côte d'Ivoire
        ("tel2", 2250707070707, "+2250707070707"),  # a spreadsheet's number for "+225 07 07 07 07 07"
        ("email", "Awa@Example.CI", "Awa@example.ci"),
        ("facade", "8F0E2D8A-4B1C-4D4E-9E3A-1B2C3D4E5F60", "8f0e2d8a-4b1c-4d4e-9e3a-1b2c3d4e5f60"),
    ],
)
def test_each_type_is_stored_in_its_canonical_form(key, raw, canonical):
    assert validate_attributes(SPECS, {**VALID, key: raw})[key] == canonical


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("quartier", "x" * 256, "Enter at most 255 characters."),
        ("quartier", ["a"], "Enter text."),
        ("remarques", "x" * 5001, "Enter at most 5000 characters."),
        ("surface_m2", "12.5", "Enter a whole number."),
        ("surface_m2", "douze", "Enter a whole number."),
        ("surface_m2", True, "Enter a whole number."),
        ("surface_m2", 2**60, "Enter a number between -9007199254740992 and 9007199254740992."),
        ("ca_mensuel", "1.2.3", "Enter a number."),
        ("ca_mensuel", "NaN", "Enter a number."),
        ("ca_mensuel", "1" * 16, "Enter a number with at most 15 digits."),
        ("ouverture", "2024-02-30", "Enter a date as YYYY-MM-DD or DD/MM/YYYY."),
        ("ouverture", "demain", "Enter a date as YYYY-MM-DD or DD/MM/YYYY."),
        ("frigo", "peut-être", "Enter yes or no."),
        ("categorie", "Pharmacie", "“Pharmacie” is not one of the choices: Épicerie, Boutique, Supermarché."),
        ("services", "Livraison; Gaz", "“Gaz” is not one of the choices: Mobile money, Livraison, Crédit."),
        (
            "tel2",
            "12ab",
            "Enter a phone number, such as 01 23 45 6789 (Côte d'Ivoire), or one starting with + and its country code.",
        ),
        ("email", "awa@", "Enter a valid email address."),
        ("facade", "not-a-uuid", "Enter the identifier of an uploaded photo."),
    ],
)
def test_invalid_values_get_a_clear_message_on_their_field(key, raw, message):
    assert errors_of({**VALID, key: raw}) == {key: [message]}


def test_required_attributes_must_be_present_on_create():
    assert errors_of({"surface_m2": 12}) == {
        "quartier": ["This field is required."],
        "categorie": ["This field is required."],
    }


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_an_empty_required_value_is_refused_even_in_a_partial_update(empty):
    assert errors_of({"quartier": empty}, partial=True) == {"quartier": ["This field is required."]}


def test_a_partial_update_checks_only_the_keys_it_carries():
    assert validate_attributes(SPECS, {"surface_m2": "40"}, partial=True) == {"surface_m2": 40}


def test_empty_optional_values_are_dropped():
    assert validate_attributes(SPECS, {**VALID, "remarques": " ", "services": [], "frigo": None}) == VALID


def test_unknown_attributes_are_refused():
    assert errors_of({**VALID, "couleur": "bleu"}) == {"couleur": ["This attribute is not in the list's schema."]}


def test_all_problems_are_reported_at_once():
    assert set(errors_of({"categorie": "Pharmacie", "surface_m2": "x"})) == {"quartier", "categorie", "surface_m2"}


def test_messages_follow_the_active_language():
    with translation.override("fr"):
        errors = errors_of({"quartier": "Cocody"})
    assert errors == {"categorie": ["Ce champ est obligatoire."]}


def test_labels_follow_the_active_language():
    spec = BY_KEY["categorie"]
    with translation.override("fr"):
        assert spec.label == "Catégorie"
    with translation.override("en"):
        assert spec.label == "Category"
    assert AttributeSpec("x", T.TEXT, label_fr="Seulement").label == "Seulement"


def test_missing_required_names_required_attributes_without_a_value():
    assert missing_required(SPECS, {"quartier": "Cocody", "categorie": ""}) == ["categorie"]


def test_search_text_folds_accents_and_case_over_name_and_important_attributes():
    text = search_text(SPECS, "Chez AWA", {"quartier": "Adjamé", "categorie": "Épicerie", "remarques": "secret"})
    assert "epicerie" in text and "adjame" in text and "chez awa" in text
    assert "secret" not in text
    assert normalize_text("  ÉPICERIE   Ça ") == "epicerie ca"


def test_activity_fields_use_the_same_rules():
    specs = specs_from_json([{"key": "part_rayon", "type": "integer", "required": True, "label_fr": "Part"}])
    assert validate_attributes(specs, {"part_rayon": "30"}) == {"part_rayon": 30}
    for bad in (
        {"fields": []},
        [{"key": "Bad Key", "type": "text"}],
        [{"key": "x", "type": "nope"}],
        [{"key": "c", "type": "choice"}],
    ):
        with pytest.raises(ValidationError):
            specs_from_json(bad)


# Properties --------------------------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(key=st.sampled_from(sorted(BY_KEY)), value=JSONISH)
def test_any_input_is_either_cleaned_or_refused_with_a_validation_error(key, value):
    try:
        cleaned = clean_value(BY_KEY[key], value)
    except ValidationError:
        return
    # What is accepted is stable: cleaning the canonical form again gives it back.
    assert clean_value(BY_KEY[key], cleaned) == cleaned


@given(number=st.integers(min_value=-(2**53), max_value=2**53))
def test_integers_round_trip_through_text(number):
    assert clean_value(BY_KEY["surface_m2"], str(number)) == number


@given(number=st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**10), max_value=10**10))
def test_decimals_keep_their_value(number):
    assert Decimal(clean_value(BY_KEY["ca_mensuel"], number)) == number


@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_dates_in_either_notation_give_the_same_day(day):
    assert clean_value(BY_KEY["ouverture"], day.strftime("%d/%m/%Y")) == day.isoformat()
    assert clean_value(BY_KEY["ouverture"], day.isoformat()) == day.isoformat()


@given(chosen=st.sets(st.sampled_from(SERVICES)))
def test_multiple_choice_keeps_schema_order_whatever_the_input_order(chosen):
    result = clean_value(BY_KEY["services"], sorted(chosen, reverse=True))
    assert result == ([option for option in SERVICES if option in chosen] or None)


@given(option=st.sampled_from(CATEGORIES), upper=st.booleans())
def test_choices_match_whatever_the_case_and_accents(option, upper):
    typed = normalize_text(option)
    assert clean_value(BY_KEY["categorie"], typed.upper() if upper else typed) == option


@given(uid=st.uuids())
def test_photo_ids_are_normalised_uuids(uid):
    assert clean_value(BY_KEY["facade"], str(uid).upper()) == str(uuid.UUID(str(uid)))

"""The form builder of an activity's fields in the workflow admin: rows in, the JSON the app reads out, and every
problem named by its row and part, in the clerk's language; never "Enter a valid JSON."."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from clients.schema import AttributeType, SchemaValidationError, clean_value, field_spec, validate_attributes
from tests.admin_forms import form_data
from tests.factories import ActivityFactory, WorkflowFactory
from tests.texts import french
from workflows.forms import FieldRow, FieldRowsField
from workflows.models import Activity, ActivityKind
from workflows.records import serialize_workflows

FIELDS = [
    {
        "key": "part_rayon",
        "type": "integer",
        "label_en": "Shelf share (%)",
        "label_fr": "Part de rayon (%)",
        "required": True,
        "min": 0,
        "max": 100,
    },
    {
        "key": "emplacement",
        "type": "choice",
        "label_en": "Placement",
        "label_fr": "Emplacement",
        "required": False,
        "options": ["Tête de gondole", "Rayon principal"],
    },
    {"key": "prix", "type": "decimal", "label_en": "Price", "label_fr": "Prix", "required": False, "min": "0.5"},
    {"key": "commentaire", "type": "long_text", "label_en": "Comment", "label_fr": "Commentaire", "required": False},
]


@pytest.fixture
def shelf_check(db) -> Activity:  # type: ignore[no-untyped-def]
    workflow = WorkflowFactory(name_en="Sales visit", name_fr="Visite commerciale")
    return ActivityFactory(workflow=workflow, kind=ActivityKind.FORM, name_en="Shelf check", fields=FIELDS)


def change_url(activity: Activity) -> str:
    return f"/admin/workflows/workflow/{activity.workflow_id}/change/"


def page(http: Any, activity: Activity) -> dict[str, Any]:
    response = http.get(change_url(activity))
    assert response.status_code == 200
    return form_data(response.content)


def row(number: int, part: str) -> str:
    """The input of a row of the first activity (rows numbered from 0, as the page names them)."""
    return f"activities-0-fields-{number}-{part}"


def save(http: Any, activity: Activity, data: dict[str, Any]) -> Any:
    response = http.post(change_url(activity), data)
    activity.refresh_from_db()
    return response


def errors_of(response: Any) -> list[str]:
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    return [str(message) for message in form.errors.get("fields", [])]


# Round trip ----------------------------------------------------------------------------------------------------------


def test_each_field_is_a_row_and_the_page_saved_again_keeps_every_field_as_it_was(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    assert [data[row(i, "key")] for i in range(4)] == ["part_rayon", "emplacement", "prix", "commentaire"]
    assert (data[row(0, "min")], data[row(0, "max")], data[row(1, "options")]) == (
        "0",
        "100",
        "Tête de gondole\nRayon principal",
    )
    assert "activities-0-fields" not in data  # no JSON anywhere on the page

    data[row(3, "label_en")] = "Remarks"
    response = save(manager_client, shelf_check, data)

    assert response.status_code == 302
    assert shelf_check.fields == [*FIELDS[:3], {**FIELDS[3], "label_en": "Remarks"}]


def test_rows_are_kept_in_the_order_their_numbers_give(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    data[row(0, "order")], data[row(3, "order")] = "4", "1"  # what Move up and Move down write

    assert save(manager_client, shelf_check, data).status_code == 302

    assert [item["key"] for item in shelf_check.fields] == ["commentaire", "emplacement", "prix", "part_rayon"]


def test_a_row_added_gets_a_key_from_its_label_and_a_row_ticked_remove_is_dropped(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    data[row(2, "delete")] = "on"
    data.update(
        {
            row(7, "order"): "5",
            row(7, "label_fr"): "Nombre de faces",
            row(7, "label_en"): "Facings",
            row(7, "type"): "integer",
            row(7, "required"): "on",
            row(7, "min"): "1",
        }
    )
    data.update({row(8, "order"): "6", row(8, "label_fr"): "", row(8, "type"): "text"})  # added, left empty

    assert save(manager_client, shelf_check, data).status_code == 302

    assert [item["key"] for item in shelf_check.fields] == [
        "part_rayon",
        "emplacement",
        "commentaire",
        "nombre_de_faces",
    ]
    assert shelf_check.fields[-1] == {
        "key": "nombre_de_faces",
        "type": "integer",
        "label_en": "Facings",
        "label_fr": "Nombre de faces",
        "required": True,
        "min": 1,
    }


def test_a_new_activity_is_built_from_rows_alone(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    data.update(
        {
            "activities-TOTAL_FORMS": "2",
            "activities-1-order": "2",
            "activities-1-name_en": "Stock",
            "activities-1-name_fr": "Stock",
            "activities-1-kind": "form",
            "activities-1-radius_m": "100",
            "activities-1-fields-present": "1",
            "activities-1-fields-0-order": "1",
            "activities-1-fields-0-label_fr": "Rupture",
            "activities-1-fields-0-label_en": "Out of stock",
            "activities-1-fields-0-type": "boolean",
        }
    )

    assert save(manager_client, shelf_check, data).status_code == 302

    stock = Activity.objects.get(name_en="Stock")
    assert stock.fields == [
        {"key": "rupture", "type": "boolean", "label_en": "Out of stock", "label_fr": "Rupture", "required": False}
    ]


# Refused rows --------------------------------------------------------------------------------------------------------


def test_bad_rows_are_refused_each_problem_naming_its_row_and_part(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    data[row(0, "min")] = "50"
    data[row(0, "max")] = "10"
    data[row(1, "options")] = ""
    data[row(2, "min")] = "douze"
    data[row(3, "key")] = "part_rayon"
    data[row(3, "label_fr")] = ""

    response = save(manager_client, shelf_check, data)

    assert response.status_code == 200
    assert errors_of(response) == [
        "Field 1 “Shelf share (%)”, maximum: The minimum is above the maximum.",
        "Field 2 “Placement”, options: A choice attribute needs at least one option.",
        "Field 3 “Price”, minimum: Enter a number.",
        "Field 4 “Comment”, label (French): This field is required.",
        "Field 4 “Comment”, key: Each field key may appear only once.",
    ]
    assert b"Enter a valid JSON." not in response.content
    assert shelf_check.fields == FIELDS  # nothing saved
    # The rows come back as typed, each problem beside its input.
    again = form_data(response.content)
    assert (again[row(0, "min")], again[row(2, "min")], again[row(3, "key")]) == ("50", "douze", "part_rayon")
    assert b'id="activities-0-fields-2-min-errors"><li>Enter a number.</li>' in response.content


def test_options_and_bounds_are_refused_where_the_type_has_none(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    data[row(3, "options")] = "Oui\nNon"
    data[row(3, "max")] = "5"
    data[row(0, "type")] = "nope"

    response = save(manager_client, shelf_check, data)

    assert errors_of(response) == [
        "Field 1 “Shelf share (%)”, type: Choose one of the types.",
        "Field 4 “Comment”, options: Only a choice or multiple choice field has options: empty them or change "
        "the type.",
        "Field 4 “Comment”, maximum: Only a whole number or a decimal has a minimum and a maximum.",
    ]


def test_problems_are_named_in_french_for_a_clerk_reading_french(manager_client, shelf_check):
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    data = page(manager_client, shelf_check)
    data[row(1, "options")] = ""

    response = save(manager_client, shelf_check, data)

    problem = french("A choice attribute needs at least one option.")
    assert errors_of(response) == [f"Champ 2 « Emplacement », options : {problem}"]
    assert problem != "A choice attribute needs at least one option."


# The rules reach the submission and the phone -------------------------------------------------------------------------


def test_bounds_set_in_the_builder_are_enforced_on_submission_and_published_to_the_phone(manager_client, shelf_check):
    data = page(manager_client, shelf_check)
    data[row(2, "min")], data[row(2, "max")] = "0,5", "99.90"
    assert save(manager_client, shelf_check, data).status_code == 302

    specs = shelf_check.specs()
    assert validate_attributes(specs, {"part_rayon": "100", "prix": "99.9"}) == {"part_rayon": 100, "prix": "99.9"}
    with pytest.raises(SchemaValidationError) as refused:
        validate_attributes(specs, {"part_rayon": "101", "prix": "0.4"})
    assert {key: [e.message % e.params for e in errors] for key, errors in refused.value.error_dict.items()} == {
        "part_rayon": ["Enter a number of at most 100."],
        "prix": ["Enter a number of at least 0.5."],
    }
    record = serialize_workflows(None, [str(shelf_check.workflow_id)])  # type: ignore[arg-type]
    fields = record[str(shelf_check.workflow_id)]["data"]["activities"][0]["fields"]
    assert fields[0]["rules"] == {"min": -(2**53), "max": 2**53, "min_value": 0, "max_value": 100}
    assert fields[2]["rules"] == {"max_digits": 15, "min_value": "0.5", "max_value": "99.9"}


# The field itself -----------------------------------------------------------------------------------------------------


def test_the_field_sees_no_change_in_rows_that_say_what_was_kept():
    rows = [FieldRow.of_item(item, position) for position, item in enumerate(FIELDS, start=1)]
    field = FieldRowsField()

    assert field.clean(rows) == FIELDS
    assert not field.has_changed(FIELDS, rows)
    rows[0].order, rows[3].order = "4", "1"
    assert field.has_changed(FIELDS, rows)


def test_keys_made_from_labels_never_clash():
    rows = [
        FieldRow(label_fr="Prix", type="decimal"),
        FieldRow(label_fr="Prix", type="decimal"),
        FieldRow(key="prix_2"),
    ]
    with pytest.raises(ValidationError):
        FieldRowsField().clean(rows)  # the third has no label
    assert [row.key for row in rows] == ["prix", "prix_3", "prix_2"]


# Any input ------------------------------------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=True).map(str) | st.text(max_size=8)
ITEMS = st.fixed_dictionaries(
    {"key": st.sampled_from(["part", "Bad Key", "", "x" * 51]) | st.text(max_size=6)},
    optional={
        "type": st.sampled_from([*AttributeType.values, "nope"]),
        "options": st.lists(st.text(max_size=4), max_size=3) | SCALARS,
        "min": SCALARS,
        "max": SCALARS,
        "required": SCALARS,
    },
)


@given(item=ITEMS, value=SCALARS)
def test_any_field_is_read_or_refused_part_by_part_and_its_values_judged_by_its_bounds(item, value):
    try:
        spec = field_spec(item)
    except ValidationError as error:
        assert set(error.message_dict) <= {"type", "key", "options", "min", "max"}
        return
    if spec.minimum is not None and spec.maximum is not None:
        assert spec.minimum <= spec.maximum
    try:
        cleaned = clean_value(spec, value)
    except ValidationError:
        return
    if cleaned is not None and spec.type in (AttributeType.INTEGER, AttributeType.DECIMAL):
        number = Decimal(str(cleaned))
        assert spec.minimum is None or number >= spec.minimum
        assert spec.maximum is None or number <= spec.maximum

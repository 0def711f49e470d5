"""An activity field's bounds, one rule in two languages: the server's `validate_attributes` over the activity's
fields and the app's validation over the fields as the pull sends them (tests/js/parity.mjs) agree on every value of
the table: valid or not, the same error code, the same value stored."""

from __future__ import annotations

from typing import Any

import pytest

from clients.schema import SchemaValidationError, validate_attributes
from tests.factories import ActivityFactory
from tests.sync.test_rule_parity import in_the_app
from workflows.models import ActivityKind
from workflows.records import serialize_workflows

FIELDS = [
    {"key": "part", "type": "integer", "label_en": "Share", "label_fr": "Part", "min": 0, "max": 100},
    {"key": "prix", "type": "decimal", "label_en": "Price", "label_fr": "Prix", "min": "0.5", "max": "99.9"},
    {"key": "stock", "type": "integer", "label_en": "Stock", "label_fr": "Stock", "min": -10},
    {"key": "marge", "type": "decimal", "label_en": "Margin", "label_fr": "Marge", "max": "-0.25"},
]
VALUES: dict[str, list[Any]] = {
    "part": ["0", "100", "101", "-1", "-0", "1e2", "100.0", "50.5", 2**60, " 7 "],
    "prix": ["0.5", "0,5", "0.4999", "99.9", "99.90", "99.91", "1e1", "-1", "0.50000000001"],
    "stock": ["-10", "-11", str(2**53), "-1e1"],
    "marge": ["-0.25", "-0.2", "-1", "0", "-2.5E-1"],
}


def on_the_server(specs: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    try:
        cleaned = validate_attributes([specs[key]], {key: value})
    except SchemaValidationError as error:
        return {"valid": False, "code": error.error_dict[key][0].code}
    return {"valid": True, "value": cleaned.get(key)}


@pytest.mark.django_db
def test_the_app_and_the_server_agree_on_every_bounded_value():
    activity = ActivityFactory(kind=ActivityKind.FORM, fields=FIELDS)
    record = serialize_workflows(None, [str(activity.workflow_id)])[str(activity.workflow_id)]  # type: ignore[arg-type]
    published = {field["key"]: field for field in record["data"]["activities"][0]["fields"]}
    specs = {spec.key: spec for spec in activity.specs()}
    cases = [
        {"id": index, "kind": "attribute", "key": key, "attribute": published[key], "value": value}
        for index, (key, value) in enumerate((key, value) for key, values in VALUES.items() for value in values)
    ]

    server = [on_the_server(specs, case["key"], case["value"]) for case in cases]
    app = in_the_app({}, {}, cases)

    found = [
        f"{case['key']} {case['value']!r}: server {ours}, app {theirs}"
        for case, ours, theirs in zip(cases, server, app, strict=True)
        if any(
            ours.get(part) != theirs.get(part)
            for part in (["valid", "code", "value"] if ours["valid"] else ["valid", "code"])
        )
    ]
    assert found == [], "\n".join(found)
    codes = {result.get("code") for result in server}
    assert {"min_value", "max_value", "range"} <= codes  # the table holds each way out, and values kept
    assert any(result["valid"] for result in server)

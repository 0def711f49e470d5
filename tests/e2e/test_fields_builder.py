"""The activity form builder in the workflow admin, with its script: a field added from the keyboard, moved to the
top with Move up, saved in that order."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.factories import ActivityFactory, ManagerFactory, WorkflowFactory, signed_in
from workflows.models import Activity, ActivityKind

FIELDS = [
    {"key": "part_rayon", "type": "integer", "label_en": "Shelf share", "label_fr": "Part de rayon", "required": True},
    {"key": "commentaire", "type": "long_text", "label_en": "Comment", "label_fr": "Commentaire", "required": False},
]


def manager_page(browser: Any, live_server: Any) -> Any:
    """The back office signed in as a manager, who edits workflows (the session made on the server, as in
    tests/e2e/conftest.py's `sign_in`)."""
    manager = ManagerFactory(username="manager")
    session = signed_in(manager).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def test_a_field_added_and_moved_to_the_top_is_saved_first(browser, live_server):
    activity = ActivityFactory(workflow=WorkflowFactory(), kind=ActivityKind.FORM, name_en="Shelf check", fields=FIELDS)
    page = manager_page(browser, live_server)
    page.goto(f"/admin/workflows/workflow/{activity.workflow_id}/change/")
    builder = page.locator("[data-fields-builder='activities-0-fields']")
    rows = builder.locator("table > tbody")  # a <tbody> per field
    expect(rows).to_have_count(2)

    builder.get_by_role("button", name="Add a field").click()
    expect(rows).to_have_count(3)
    new = rows.nth(2)
    expect(new.get_by_label("Label (French)")).to_be_focused()
    page.keyboard.type("Nombre de faces")
    new.get_by_label("Label (English)").fill("Facings")
    new.get_by_label("Type").select_option("integer")
    new.get_by_label("Minimum").fill("1")
    move_up = new.get_by_role("button", name="Move up")
    move_up.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the focus stays on the button that moved

    expect(rows.first.get_by_label("Label (French)")).to_have_value("Nombre de faces")
    expect(rows.first.get_by_role("button", name="Move up")).to_be_focused()
    expect(builder.get_by_role("status")).to_have_text("Field moved to position 1 of 3.")
    assert [rows.nth(i).get_by_label("Order").input_value() for i in range(3)] == ["1", "2", "3"]
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    fields = Activity.objects.get(pk=activity.pk).fields
    assert [field["key"] for field in fields] == ["nombre_de_faces", "part_rayon", "commentaire"]
    assert fields[0] == {
        "key": "nombre_de_faces",
        "type": "integer",
        "label_en": "Facings",
        "label_fr": "Nombre de faces",
        "required": False,
        "min": 1,
    }
    assert page.errors == []

"""The client list on the phone: nearest first, 25 at a time, accent-insensitive search, a filter and its Clear."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assigned_client, row_names, sign_in

CLIENTS = 60


def seed(clerk, pos_list_editable, rep):  # type: ignore[no-untyped-def]
    """Client n stands n × 40 m north of the rep; every fifth is a grocery ("Épicerie") in Plateau."""
    for n in range(CLIENTS, 0, -1):
        grocery = n % 5 == 0
        assigned_client(
            clerk,
            pos_list_editable,
            rep,
            f"{'Épicerie' if grocery else 'Boutique'} {n:02d}",
            north_m=40 * n,
            categorie="Épicerie" if grocery else "Boutique",
            quartier="Plateau" if grocery else "Cocody",
        )


def test_nearest_first_25_then_more_on_scroll(phone, pos_list_editable, rep, clerk_user):
    seed(clerk_user, pos_list_editable, rep)
    page = sign_in(phone)
    items = page.locator("ul.clients li")
    expect(items).to_have_count(25)
    names = row_names(page)
    assert names[:3] == ["Boutique 01", "Boutique 02", "Boutique 03"]
    assert names[4] == "Épicerie 05"
    expect(items.first.locator(".client-distance")).to_have_text("40 m")
    page.locator(".load-more").scroll_into_view_if_needed()
    expect(items).to_have_count(50)
    page.locator(".load-more").scroll_into_view_if_needed()
    expect(items).to_have_count(CLIENTS)
    assert page.get_by_role("tab", name=re.compile("Synced")).inner_text().endswith(str(CLIENTS))


def test_alphabetical_without_a_position(browser, live_server, pos_list_editable, rep, clerk_user):
    for name in ["Maquis Zed", "Alimentation Bé", "Épicerie Ama"]:
        assigned_client(clerk_user, pos_list_editable, rep, name)
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = sign_in(context)
    expect(page.locator("ul.clients li")).to_have_count(3)
    assert row_names(page) == ["Alimentation Bé", "Épicerie Ama", "Maquis Zed"]
    expect(page.locator(".client-distance")).to_have_count(0)
    context.close()


def test_search_ignores_accents_and_case_over_important_attributes(phone, pos_list_editable, rep, clerk_user):
    seed(clerk_user, pos_list_editable, rep)
    page = sign_in(phone)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("searchbox", name="Search").fill("EPICERIE")
    expect(page.locator("ul.clients li")).to_have_count(CLIENTS // 5)
    assert all(name.startswith("Épicerie") for name in row_names(page))
    # "plateau" is an important attribute's value (the district), not part of any name.
    page.get_by_role("searchbox", name="Search").fill("plateau 15")
    expect(page.locator("ul.clients li")).to_have_count(1)
    assert row_names(page) == ["Épicerie 15"]


def test_a_filter_is_shown_at_the_top_and_clear_removes_it(phone, pos_list_editable, rep, clerk_user):
    seed(clerk_user, pos_list_editable, rep)
    page = sign_in(phone)
    page.get_by_role("button", name="Filter", exact=True).click()
    sheet = page.get_by_role("dialog", name="Filter")
    sheet.get_by_label("Category").select_option("Épicerie")
    sheet.get_by_role("button", name="Apply").click()
    expect(page.locator(".applied")).to_contain_text("Category: Épicerie")
    expect(page.locator("ul.clients li")).to_have_count(CLIENTS // 5)
    assert all(name.startswith("Épicerie") for name in row_names(page))

    page.locator(".applied").get_by_role("button", name="Clear").click()
    expect(page.locator(".applied")).to_be_hidden()
    expect(page.locator("ul.clients li")).to_have_count(25)

    page.get_by_role("button", name="Filter", exact=True).click()
    sheet.get_by_label("Category").select_option("Boutique")
    sheet.get_by_role("button", name="Clear").click()
    expect(page.locator(".applied")).to_be_hidden()


def test_tapping_clients_selects_them(phone, pos_list_editable, rep, clerk_user):
    for n in range(3):
        assigned_client(clerk_user, pos_list_editable, rep, f"Boutique {n}", north_m=10 * (n + 1))
    page = sign_in(phone)
    first, second = page.locator("ul.clients li").nth(0), page.locator("ul.clients li").nth(1)
    first.locator(".client-main").click()
    second.locator(".client-main").click()
    expect(first).to_have_class(re.compile("selected"))
    expect(second.locator(".client-main")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".selection")).to_contain_text("2 selected")
    first.locator(".client-main").click()
    expect(first).not_to_have_class(re.compile("selected"))

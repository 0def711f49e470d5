"""The Chromium the browser tests and the benchmark start is the one Playwright means to drive: our --disable-features
replaces Playwright's own (Chromium keeps the last one given), so it must repeat every feature Playwright disables,
whichever Playwright is installed."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from tests.browser import CHROMIUM_ARGS, OMNIBOX_POPUP_PAGES, chromium_path
from tests.e2e.conftest import CHROMIUM


def features(switches: list[str]) -> set[str]:
    return {name for switch in switches for name in switch.split("=", 1)[1].strip('"').split(",") if name}


def test_every_feature_playwright_disables_stays_disabled(browser: Any) -> None:
    """`browser` starts Playwright, whose driver starts this second Chromium too."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI installs it")
    # The full browser's page, which the headless shell lacks: the command line Playwright started it with, and the
    # features Chromium read from it.
    full = CHROMIUM.playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    try:
        page = full.new_page()
        page.goto("chrome://version/?show-variations-cmd")
        command_line = shlex.split(page.locator("#command_line").inner_text())
        applied = shlex.split(page.locator("#variations-cmd").inner_text())
    finally:
        full.close()
    # Playwright's --disable-features, then ours: what either names, Chromium must have disabled.
    given = features([switch for switch in command_line if switch.startswith("--disable-features=")])
    disabled = features([switch for switch in applied if switch.startswith("--disable-features=")])
    assert given - disabled == set()
    assert set(OMNIBOX_POPUP_PAGES) <= disabled

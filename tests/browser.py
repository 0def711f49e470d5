"""Chromium as the browser tests and the PWA benchmark start it: Debian's build, driven by Playwright."""

from __future__ import annotations

import shutil

# As the probe runs it here: no background traffic to hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")

"""Chromium as the browser tests and the PWA benchmark start it: Debian's build, driven by Playwright."""

from __future__ import annotations

import shutil
from typing import Any

# What Playwright 1.65 disables itself (chromiumSwitches.ts). Chromium keeps only the last --disable-features it is
# given, so ours must repeat them; tests/e2e/test_browser.py fails when Playwright's list has one this one lacks.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
# Headless Chromium still builds a browser window for each context, and each window's address bar loads its
# suggestion popup, a web page of ~400 modules (chrome://omnibox-popup), in a renderer of its own: a quarter of a
# second of CPU per context, and every browser test opens one at least (a sign-in took 1.9 s, 1.4 s without). Without
# these features the popup is drawn natively, and only when shown, which it never is here.
OMNIBOX_POPUP_PAGES = ("WebUIOmniboxFullPopup", "WebUIOmniboxPopup", "WebUIOmniboxAimPopup")

# As the probe runs it here: no background traffic to hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--disable-features={','.join([*PLAYWRIGHT_DISABLED_FEATURES, *OMNIBOX_POPUP_PAGES])}",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def headless_chromium_path() -> str | None:
    """The browser tests' Chromium: Debian's headless shell when it is installed (apt-get install
    chromium-headless-shell), else `chromium_path()`.

    The shell is the same Chromium (Blink, V8, its network and service workers) without the browser around the page:
    no window, tabs or address bar to build for each context. Playwright runs it for headless Chromium by default. A
    sign-in takes 0.85 s in it against 1.4 s in the full browser, which the PWA benchmark keeps (`chromium_path`).
    """
    return shutil.which("chromium-headless-shell") or chromium_path()


def wait_for(page: Any, expression: str, timeout_ms: int = 20_000) -> None:
    """Waits until a JavaScript expression is true in the page, checking it at each animation frame.

    Playwright's `wait_for_function` compiles its predicate with eval inside the page, which the site's
    Content-Security-Policy refuses (no 'unsafe-eval'); a function given to `evaluate` is compiled by DevTools instead.
    """
    page.evaluate(
        f"""(timeoutMs) => new Promise((resolve, reject) => {{
            const deadline = performance.now() + timeoutMs;
            const source = {expression!r};
            const check = () => {{
                let done = false;
                try {{ done = Boolean({expression}); }} catch (error) {{ done = false; }}
                if (done) resolve(true);
                else if (performance.now() > deadline) reject(new Error(`not true in ${{timeoutMs}} ms: ${{source}}`));
                else requestAnimationFrame(check);
            }};
            check();
        }})""",
        timeout_ms,
    )

"""Chromium as the browser tests and the PWA benchmark start it: Debian's build, driven by Playwright."""

from __future__ import annotations

import shutil
from typing import Any

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

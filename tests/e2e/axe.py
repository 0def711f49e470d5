"""Accessibility checks of a page of the rep's app: axe-core's rules, and every control reached by Tab and named.

axe-core is the npm package that `make install` puts in node_modules/ (package-lock.json), never a copy in the
repository. Its script is injected with Playwright's `add_script_tag`, which writes it inline: the site's
Content-Security-Policy (`script-src 'self'`, no inline scripts) refuses that, so the contexts these checks run in are
opened with `bypass_csp=True` (`AXE_CONTEXT`). The other browser tests keep the policy, and report what it refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What axe checks: WCAG 2.0 and 2.1, levels A and AA, and Deque's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# What fails a test. Moderate and minor findings are advice (a heading level skipped, a landmark missing).
BLOCKING = ("serious", "critical")
# The phone of the issue (393×851) with the policy off for the injected script (see above).
AXE_CONTEXT = {"viewport": {"width": 393, "height": 851}, "bypass_csp": True}

# The controls a rep can reach; `hidden`, disabled and inert ones are left out by `CANDIDATES_JS`.
INTERACTIVE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], [contenteditable=true]"
PROBE = "data-a11y-probe"


def inject_axe(page: Any) -> None:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: `make install` installs it (npm ci, package-lock.json)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (open dialogs included), each with its nodes' CSS targets."""
    inject_axe(page)
    return page.evaluate(
        """async (tags) => {
            const options = { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] };
            const results = await axe.run(document, options);
            return results.violations.map((rule) => ({
                id: rule.id,
                impact: rule.impact,
                help: rule.help,
                nodes: rule.nodes.map((node) => ({
                    target: node.target.join(" "), impact: node.impact, summary: node.failureSummary,
                })),
            }));
        }""",
        TAGS,
    )


def describe(screen: str, violation: dict[str, Any]) -> list[str]:
    """One line a node: the screen, the rule, its impact, the element and what to fix."""
    return [
        f"{screen}: {violation['id']} [{node['impact'] or violation['impact']}] {violation['help']} — {node['target']}"
        f" ({' '.join((node['summary'] or '').split())})"
        for node in violation["nodes"]
        if (node["impact"] or violation["impact"]) in BLOCKING
    ]


def serious_violations(page: Any, screen: str) -> list[str]:
    return [line for violation in axe_violations(page) for line in describe(screen, violation)]


# Marks each control the rep can reach on the page, numbered in document order: those of the open modal dialog only,
# when there is one (the rest of the page is inert). A group of radio buttons is one stop of the Tab order (the
# arrows move within it): its members share a key. Each one's accessible name is axe-core's computation of it (the
# W3C's accessible name algorithm), done in the page at the same moment as the marking.
CANDIDATES_JS = """([selector, probe, main]) => {
    for (const node of document.querySelectorAll(`[${probe}]`)) node.removeAttribute(probe);
    const scope = document.querySelector("dialog[open]:modal") || document;
    const shown = (node) => node.checkVisibility({ visibilityProperty: true }) && !node.closest("[inert]");
    const nodes = [...scope.querySelectorAll(selector)].filter((node) => shown(node) && !node.disabled);
    axe.setup(document);
    try {
        return nodes.map((node, index) => {
            node.setAttribute(probe, String(index));
            return {
                index: String(index),
                key: node.type === "radio" && node.name ? `radio:${node.name}` : String(index),
                tag: node.tagName.toLowerCase(),
                tabIndex: node.tabIndex,
                name: axe.commons.text.accessibleText(node).trim(),
                text: (node.textContent || node.name || "").trim().slice(0, 40),
                main: Boolean(main) && node.matches(main),
            };
        });
    } finally {
        axe.teardown();
    }
}"""

MARKED_JS = "(probe) => document.querySelectorAll(`[${probe}]`).length"
UNMARK_JS = "(probe) => document.querySelectorAll(`[${probe}]`).forEach((node) => node.removeAttribute(probe))"
# From the top of the page, notes which marked control has the focus as each key is released (Tab moves it when the
# key goes down), in the page itself: read once after the presses rather than after each, a round trip each.
RECORD_JS = """(probe) => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
    const focused = [];
    const recording = new AbortController();
    const note = () => focused.push(document.activeElement?.getAttribute(probe) ?? null);
    window.addEventListener("keyup", note, { capture: true, signal: recording.signal });
    window.a11yTabWalk = { focused, recording };
}"""
RECORDED_JS = "() => window.a11yTabWalk.focused"
STOP_JS = "() => { window.a11yTabWalk?.recording.abort(); delete window.a11yTabWalk; }"


def tab_order(page: Any, keys: dict[str, str]) -> set[str]:
    """The marked controls (their indexes) that focus moves to, pressing Tab from the top of the page.

    At most twice as many presses as controls and four more (two rounds, whatever lies between the page's last control
    and its first), but it stops once every key of `keys` (index: key, see `CANDIDATES_JS`) is reached: a page whose
    controls are all reachable is done in one round of them; only a page with a gap takes every press."""
    stops = len(keys) * 2 + 4
    page.evaluate(RECORD_JS, PROBE)
    reached: set[str] = set()
    try:
        pressed = 0
        for batch in (len(keys) + 2, stops):
            for _ in range(batch - pressed):
                page.keyboard.press("Tab")
            pressed = batch
            reached = {index for index in page.evaluate(RECORDED_JS) if index is not None}
            if {keys[index] for index in reached if index in keys} == set(keys.values()):
                break
    finally:
        page.evaluate(STOP_JS)
    return reached


def walk(page: Any, main_actions: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The controls of the page and the keys of those Tab reaches. A screen that redraws itself during the walk
    (its marks gone) is walked again, once."""
    for _ in range(2):
        candidates = page.evaluate(CANDIDATES_JS, [INTERACTIVE, PROBE, main_actions])
        reached = tab_order(page, {candidate["index"]: candidate["key"] for candidate in candidates})
        if page.evaluate(MARKED_JS, PROBE) == len(candidates):
            break
    page.evaluate(UNMARK_JS, PROBE)
    return candidates, {candidate["key"] for candidate in candidates if candidate["index"] in reached}


def keyboard_gaps(page: Any, screen: str, main_actions: str = "") -> list[str]:
    """Controls that Tab does not reach or that have no accessible name; `main_actions` (a CSS selector of controls
    the screen is for) when none is shown."""
    inject_axe(page)
    candidates, reached = walk(page, main_actions)
    problems = []
    for candidate in candidates:
        what = f"<{candidate['tag']}> “{candidate['text']}”"
        if candidate["key"] not in reached:
            main = " (a main action)" if candidate["main"] else ""
            problems.append(f"{screen}: not reached by Tab (tabindex {candidate['tabIndex']}){main} — {what}")
        if not candidate["name"]:
            problems.append(f"{screen}: no accessible name — {what}")
    if main_actions and not any(candidate["main"] for candidate in candidates):
        problems.append(f"{screen}: none of its main actions is shown ({main_actions})")
    return problems


def audit(page: Any, screen: str, main_actions: str = "") -> list[str]:
    """Everything that fails the screen: axe-core's serious and critical violations, then the keyboard's gaps."""
    return serious_violations(page, screen) + keyboard_gaps(page, screen, main_actions)

"""Helpers shared by the browser tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page


def open_dialog(page: Page, action: Callable[[], object]) -> Locator:
    """Do ``action`` (a click, a key) and wait until the htmx-loaded dialog is fully shown, as a person
    waits for it to appear before typing (Bootstrap ignores a hide() asked during its show animation).

    The page must have loaded first: before htmx has set up the button, a click or Enter submits its
    no-JavaScript fallback form (the full-page version of the dialog).
    """
    page.wait_for_load_state("load")
    page.evaluate(
        """() => { window.__dialogShown = false;
        document.getElementById("dialog").addEventListener(
            "shown.bs.modal", () => { window.__dialogShown = true; }, { once: true }); }"""
    )
    action()
    page.wait_for_function("() => window.__dialogShown === true")
    return page.get_by_role("dialog")


# WCAG 2.1 levels A and AA, the target of the accessibility tours (axe-core's rule tags).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page as it stands, one line per failing element
    (rule, what to fix, where), so that a failure says what to fix without opening a report."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    lines: list[str] = []
    for violation in results.response.get("violations", []):
        for node in violation.get("nodes", []):
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"{page.url} {violation['id']}: {node.get('target')} {summary[:200]}")
    return lines


def page_overflow(page: Page) -> str | None:
    """None when the page fits the window's width (no horizontal scrolling of the page itself); else
    how wide it is and the elements that stick out beyond the window."""
    return page.evaluate(
        """() => {
        const width = window.innerWidth, full = document.documentElement.scrollWidth;
        if (full <= width) { return null; }
        const wide = [];
        for (const el of document.body.querySelectorAll("*")) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && r.width > 0) {
                const cls = typeof el.className === "string" ? el.className.trim() : "";
                wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                          (cls ? "." + cls.split(/\\s+/).join(".") : ""));
            }
            if (wide.length >= 6) { break; }
        }
        return location.pathname + ": " + full + " px wide in " + width + " px: " + wide.join(", ");
    }"""
    )

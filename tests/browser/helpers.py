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

"""The browser tests' own safety net: a browser that stops answering is killed, and the next test gets a
new one. Without it, one hung chromium held a whole CI run until CI gave up (tests/browser/conftest.py)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.watchdog import BROWSER_CLOSED_ERRORS, Watchdog, descendants


def _chromium_pids() -> list[int]:
    """Running chromium processes below this one (a killed process stays a zombie until its parent
    collects it: it is gone for our purpose)."""
    return [pid for pid in descendants(os.getpid()) if _comm(pid).startswith("chrom") and not _zombie(pid)]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _gone(pids: list[int], within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while set(pids) & set(_chromium_pids()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_call_that_never_returns_is_cut_by_killing_chromium_and_a_new_browser_follows(
    _chromium: Any, page: Page, tmp_path: Path
) -> None:
    page.set_content("<p>Bonjour</p>")
    before = _chromium_pids()
    assert before, "chromium runs below this process"

    with (
        Watchdog("a call that never returns", limit_s=2, log=tmp_path / "none.log") as watchdog,
        pytest.raises(PlaywrightError) as excinfo,
    ):
        page.evaluate("() => new Promise(() => {})")  # no timeout: waits forever unless cut

    assert watchdog.fired
    assert "a call that never returns" in watchdog.report
    error = f"{excinfo.type.__name__}: {excinfo.value}"
    assert any(re.search(pattern, error) for pattern in BROWSER_CLOSED_ERRORS), error  # so it is rerun
    assert _gone(before), "the hung chromium is gone"

    fresh = _chromium.live().new_page()
    fresh.set_content("<p>Encore là</p>")
    assert fresh.text_content("p") == "Encore là"
    fresh.close()


def test_a_block_that_ends_in_time_leaves_chromium_alone(page: Page, tmp_path: Path) -> None:
    with Watchdog("quick", limit_s=30, log=tmp_path / "none.log") as watchdog:
        page.set_content("<p>Vite</p>")
    assert not watchdog.fired
    browser = page.context.browser
    assert browser is not None and browser.is_connected()
    assert page.text_content("p") == "Vite"

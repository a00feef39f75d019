"""Browser tests: Python Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Never ``playwright install``: the browser is the system's ``chromium``. Without it the tests are skipped
with a reason, except under CI (``CI`` set), where a missing browser is a failure.

A hung browser must not hang the suite. Some Playwright calls (opening and closing pages and contexts)
have no timeout of their own, and chromium (Debian's 156, when Playwright expected 159; Playwright is now
pinned to the release that ships 156, docs/decisions/0008) has been seen to stop answering one of them
for good, most often when a test closed a second tab of its context: the suite then waited until CI gave
up. Tests therefore keep to one tab per context.
So every browser test runs under a watchdog (tests/browser/watchdog.py): past ``BROWSER_TEST_LIMIT_S``
it records where the test stood and kills chromium, which turns the hang into a « browser has been
closed » error; the test then runs once more in a new browser (pytest-rerunfailures, only for that error,
or for any error the test raises after the watchdog fired). A test that fails on an assertion with its
browser alive is never rerun.

Every context a test opens records Content-Security-Policy violations (the ``securitypolicyviolation`` event
and chromium's « Refused to … » console messages) into ``csp_violations``; any violation fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.watchdog import BROWSER_CLOSED_ERRORS, BrowserHung, Watchdog
from tests.smtp import smtp_server  # noqa: F401 - the real SMTP server fixture, for the browser tests

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright

# Playwright's sync API keeps an event loop running in this thread for as long as the (session-wide)
# browser lives, so also during the tests that run after these. The ORM calls made between browser
# steps are still plain synchronous code: Django's async-safety check must not refuse them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# Bind the live server where chromium looks for it first (no IPv6 ::1 detour for "localhost").
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

TIMEOUT_MS = 10_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(os.environ.get("LOGIS_TEST_ARTIFACTS", "test-artifacts"))
# The longest browser test takes about 25 s alone and 60 s with three suites sharing two cores.
BROWSER_TEST_LIMIT_S = float(os.environ.get("LOGIS_BROWSER_TEST_LIMIT_S", "150"))
# Playwright's own log of every call (and chromium's messages), read back when the watchdog fires.
# One file per pytest-xdist worker (``make test`` runs the suite on every core), so that two workers'
# chromiums never interleave their lines in one log.
PLAYWRIGHT_LOG = ARTIFACTS / f"playwright-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"

# What people read on allauth's sign-in form, in either language (the project may reword them).
EMAIL_LABEL = re.compile(r"courriel|e-mail|email", re.IGNORECASE)
PASSWORD_LABEL = re.compile(r"^\s*(mot de passe|password)\b", re.IGNORECASE)
SIGN_IN_BUTTON = re.compile(r"^\s*(connexion|se connecter|sign in|log in)\s*$", re.IGNORECASE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test, marked or not, run again once if chromium died."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=BROWSER_CLOSED_ERRORS))


HUNG_KEY = pytest.StashKey[list[str]]()
WATCHDOG_KEY = pytest.StashKey[Watchdog]()


def _watched(config: pytest.Config, name: str, limit_s: float) -> Watchdog:
    capture = config.pluginmanager.getplugin("capturemanager")
    return Watchdog(name, limit_s=limit_s, log=PLAYWRIGHT_LOG, capture=capture)


@pytest.fixture(autouse=True)
def _watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    """Set up first and torn down last, so that it also covers opening and closing the page."""
    with _watched(request.config, request.node.nodeid, BROWSER_TEST_LIMIT_S) as watchdog:
        request.node.stash[WATCHDOG_KEY] = watchdog
        yield
    if watchdog.fired:
        request.config.stash.setdefault(HUNG_KEY, []).append(watchdog.report)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Once the watchdog has killed a test's chromium, whatever the test raises next is the hang's doing
    (e.g. an expectation reading a page that is gone): report it as BrowserHung, which is rerun."""
    try:
        return (yield)
    except Exception as exc:
        watchdog = item.stash.get(WATCHDOG_KEY, None)
        if watchdog is not None and watchdog.fired:
            raise BrowserHung(watchdog.report) from exc
        raise


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say it in the run's summary when the watchdog had to kill the browser."""
    reports = config.stash.get(HUNG_KEY, [])
    if reports:
        terminalreporter.write_sep("=", "browser watchdog")
        for report in reports:
            terminalreporter.write_line(report)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so the page fixture can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run, not be skipped)", pytrace=False)
    pytest.skip(reason)


class _Chromium:
    """The session's chromium, launched again when the watchdog had to kill it."""

    def __init__(self, playwright: Playwright, executable: str) -> None:
        self._playwright = playwright
        self._executable = executable
        self._browser: Browser | None = None

    def live(self) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            self._browser = self._playwright.chromium.launch(
                executable_path=self._executable, headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            self._browser.close()


@pytest.fixture(scope="session")
def _chromium(pytestconfig: pytest.Config) -> Iterator[_Chromium]:
    executable = shutil.which("chromium")
    if executable is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a locked dev dependency
        _unavailable("Python Playwright is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The Playwright driver (a child process) reads these when it starts; nothing else should see them.
    saved = {name: os.environ.get(name) for name in ("DEBUG", "DEBUG_FILE")}
    os.environ.update(DEBUG="pw:api,pw:browser", DEBUG_FILE=str(PLAYWRIGHT_LOG.resolve()))
    try:
        playwright = sync_playwright().start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    chromium = _Chromium(playwright, executable)
    yield chromium
    with _watched(pytestconfig, "closing chromium", 60):
        chromium.close()
        playwright.stop()


# Every page of every context reports what the Content-Security-Policy refused: the event, and chromium's own
# « Refused to … » console message (which also covers what happens before the listener exists).
CSP_MARKER = "CSP violation:"
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text = `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || event.documentURI}:${event.lineNumber} (${event.sample || ""})`;
  window.__cspViolations.push(text);
  console.warn("CSP violation: " + text);
});
"""


def csp_violation(message: str) -> bool:
    return message.startswith(CSP_MARKER) or message.startswith("Refused to")


def record_csp_violations(ctx: BrowserContext, violations: list[str]) -> None:
    """Every page of ``ctx`` reports what the Content-Security-Policy refused into ``violations``."""
    ctx.add_init_script(CSP_RECORDER)

    def record(message: ConsoleMessage) -> None:
        if csp_violation(message.text):
            violations.append(f"{message.page.url if message.page else ''}: {message.text}")

    ctx.on("console", record)


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy refused in the test's pages (every context records into it)."""
    return []


@pytest.fixture
def browser(
    _chromium: _Chromium, csp_violations: list[str], request: pytest.FixtureRequest
) -> Iterator[Browser]:
    """The session's chromium; every context a test opens (the ``context`` fixture's or its own, e.g. a phone)
    records Content-Security-Policy violations, and any violation fails the test."""
    live = _chromium.live()
    new_context = live.new_context

    def recording_new_context(*args: Any, **kwargs: Any) -> BrowserContext:
        ctx = new_context(*args, **kwargs)
        record_csp_violations(ctx, csp_violations)
        return ctx

    live.new_context = recording_new_context  # type: ignore[method-assign]
    try:
        yield live
    finally:
        del live.new_context
    report = getattr(request.node, "rep_call", None)
    if csp_violations and not (report is not None and report.failed):
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations), pytrace=False)


@pytest.fixture
def browser_locale() -> str:
    """The browser's Accept-Language; override in a module or test to change it."""
    return "fr-CA"


@pytest.fixture
def context(browser: Browser, live_server: Any, browser_locale: str) -> Iterator[BrowserContext]:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    ctx = browser.new_context(
        base_url=live_server.url,
        locale=browser_locale,
        timezone_id="America/Toronto",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120]


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh tab; a failing test leaves a screenshot, and an uncaught JavaScript error fails it."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"FAILED-{_slug(request.node.nodeid)}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"\nScreenshot of the failure: {path}")
        except Exception as exc:  # the page may be gone; the failure itself matters more
            print(f"\nNo screenshot of the failure: {exc}")
    page.close()
    if errors and not (report is not None and report.failed):
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """``screenshot(page, "factures-vide.png")`` saves a full-page capture under the artifacts folder."""

    def take(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the real allauth form, as a person does: labels, then the button."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label(EMAIL_LABEL).first.fill(email)
    page.get_by_label(PASSWORD_LABEL).first.fill(password)
    page.get_by_role("button", name=SIGN_IN_BUTTON).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def login() -> Callable[[Page, str, str], None]:
    return sign_in

"""The suite's guard against a test that never ends (tests/watchdog.py): it stops the run, loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_a_block_past_its_deadline_stops_the_process_with_every_threads_stack() -> None:
    result = _run(
        """
        import time
        from tests.watchdog import Deadline, stop_the_run

        def waiting_for_ever():
            time.sleep(30)

        with Deadline(0.5, lambda: stop_the_run("TEST STUCK: waiting_for_ever")):
            waiting_for_ever()
        print("never printed")
        """
    )
    assert result.returncode == 3
    assert "TEST STUCK: waiting_for_ever" in result.stderr
    assert "in waiting_for_ever" in result.stderr  # the stuck thread's stack says where it stood
    assert "never printed" not in result.stdout


def test_a_block_that_ends_in_time_runs_on() -> None:
    result = _run(
        """
        from tests.watchdog import Deadline, stop_the_run

        with Deadline(5, lambda: stop_the_run("stuck")):
            pass
        print("done")
        """
    )
    assert (result.returncode, result.stdout.strip(), "stuck" in result.stderr) == (0, "done", False)


RERUN_CASES = """
import time

import pytest

from tests.browser.watchdog import BROWSER_CLOSED_ERRORS

ATTEMPTS = []


@pytest.mark.flaky(reruns=1, only_rerun=BROWSER_CLOSED_ERRORS)
def test_hung_then_read_an_empty_page():
    ATTEMPTS.append("hung")
    if ATTEMPTS.count("hung") == 1:
        time.sleep(2)  # past the 1 s limit: the watchdog kills chromium here
        raise AssertionError("Locator expected to have text 'Payée'")


@pytest.mark.flaky(reruns=1, only_rerun=BROWSER_CLOSED_ERRORS)
def test_a_real_failure():
    ATTEMPTS.append("real")
    raise AssertionError("Locator expected to have text 'Payée'")
"""


def test_a_test_whose_browser_was_killed_is_rerun_whatever_it_raised_and_a_real_failure_is_not(
    tmp_path: Path,
) -> None:
    """After a hang the next expectation reads a closed page and fails like a real assertion: CI once
    failed on exactly that, without the rerun the hang deserved."""
    (tmp_path / "conftest.py").write_text(
        "from tests.browser.conftest import _watchdog, pytest_runtest_call  # noqa: F401 (under test)\n"
    )
    (tmp_path / "test_cases.py").write_text(RERUN_CASES)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOGIS_BROWSER_TEST_LIMIT_S": "1",
        "LOGIS_TEST_ARTIFACTS": str(tmp_path / "artifacts"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "test_cases.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert "1 failed, 1 passed, 1 rerun" in summary, result.stdout[-3000:]
    assert "PASSED test_cases.py::test_hung_then_read_an_empty_page" in result.stdout
    assert "FAILED test_cases.py::test_a_real_failure" in result.stdout
    assert "BROWSER HUNG: test_cases.py::test_hung_then_read_an_empty_page" in result.stdout + result.stderr

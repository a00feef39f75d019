"""The suite's guard against a test that never ends (tests/watchdog.py): it stops the run, loudly."""

from __future__ import annotations

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

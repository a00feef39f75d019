"""A watchdog for browser tests: a test still running past its limit has its chromium killed.

Killing the browser makes the Playwright call that waits for it fail at once with a « browser has been
closed » error (``BROWSER_CLOSED_ERRORS``), so a hung browser costs one test its first attempt instead of
costing the whole run. If even that does not free the test, the watchdog stops the run with every
thread's stack printed (tests/watchdog.py): a clear failure in minutes rather than a silent CI timeout.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.watchdog import Deadline, stop_the_run


class BrowserHung(Exception):
    """Raised in place of whatever a test raised after the watchdog killed its chromium: the browser is
    to blame, not the assertion that happened to run next (a closed page reads as an empty one)."""


# What a test raises when its browser died under it (the test is then run once more): Playwright's
# errors when a call loses its browser, and BrowserHung for any other error once the watchdog fired.
BROWSER_CLOSED_ERRORS = [
    r"BrowserHung",
    r"TargetClosedError",
    r"Target page, context or browser has been closed",
    r"Browser has been closed",
    r"Browser closed",
]
GRACE_S = 60.0


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (Linux /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def kill_chromium(root: int | None = None) -> list[int]:
    """Kill the chromium processes started below ``root`` (this process by default); their pids."""
    killed = []
    for pid in descendants(root if root is not None else os.getpid()):
        if _name(pid).startswith("chrom"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
            killed.append(pid)
    return killed


def tail(path: Path, lines: int = 15) -> str:
    """The end of Playwright's log, without chromium's complaints about the D-Bus it does not need."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no Playwright log)"
    return "\n".join([line for line in text.splitlines() if "dbus" not in line][-lines:])


class Watchdog:
    """``with Watchdog(name, limit_s=…, log=…):`` kills chromium if the block outlives ``limit_s``."""

    def __init__(self, name: str, *, limit_s: float, log: Path, capture: Any = None) -> None:
        self.name = name
        self.limit_s = limit_s
        self.log = log
        self.capture = capture  # pytest's capture manager, to reach the terminal before giving up
        self.fired = False
        self.report = ""
        self._deadlines = [Deadline(limit_s, self._kill)]

    def __enter__(self) -> Watchdog:
        self._deadlines[0].__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for deadline in self._deadlines:
            deadline.__exit__(kind, exc, tb)

    def _kill(self) -> None:
        self.fired = True
        last_calls = tail(self.log)
        pids = kill_chromium()
        self.report = (
            f"BROWSER HUNG: {self.name} was still running after {self.limit_s:.0f} s; chromium was killed "
            f"(pids {pids}) and the test is run once more. Last Playwright log lines:\n{last_calls}"
        )
        print(self.report, file=sys.stderr, flush=True)
        message = f"{self.report}\nStill stuck {GRACE_S:.0f} s after chromium was killed: stopping the run."
        grace = Deadline(GRACE_S, lambda: stop_the_run(message, self.capture))
        self._deadlines.append(grace)
        grace.__enter__()

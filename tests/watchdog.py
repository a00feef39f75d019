"""A guard against tests that never end: past its limit it prints every thread's stack and stops the run.

A hung test otherwise holds the whole run until CI gives up, and all CI then shows is a timeout. Stopping
with the stacks printed makes the hang a clear failure, in minutes, that says where it stood.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any


def stop_the_run(message: str, capture: Any = None) -> None:
    """Print ``message`` and every thread's stack where a person sees them, then end the process."""
    if capture is not None:  # pytest's capture manager: reach the terminal, not the test's captured output
        with contextlib.suppress(Exception):  # the run is ending anyway: say as much as can be said
            capture.suspend_global_capture(in_=True)
    print(f"\n{message}\nEvery thread's stack:", file=sys.stderr, flush=True)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    print(f"\n{message} (stacks above)", file=sys.stderr, flush=True)  # the last lines are what CI shows
    os._exit(3)


class Deadline:
    """``with Deadline(limit_s, action):`` calls ``action`` (in another thread) if the block outlives it."""

    def __init__(self, limit_s: float, action: Callable[[], None]) -> None:
        self._timer = threading.Timer(limit_s, action)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()

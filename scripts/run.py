"""`make run`: the web server and the background worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

PYTHON = sys.executable


def main() -> int:
    port = os.environ.get("PORT", "8000")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DEBUG", "1")
    # « Créer un compte » on the sign-in page: open sign-up for trying Logis locally.
    env.setdefault("LOGIS_SIGNUP", "1")
    # Links in emails and the demo Checkout's return address follow the port actually served.
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    # Safety net: re-queue emails left without a pending task (e.g. a worker killed mid-send).
    subprocess.run([PYTHON, "manage.py", "send_queued_emails"], env=env, check=False)
    procs = [
        subprocess.Popen([PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env=env),
        subprocess.Popen([PYTHON, "manage.py", "run_worker", "--interval", "1", "--no-reload"], env=env),
        # Periodic jobs: recurring dues, reminders, late fees (logis/core/scheduler.py).
        subprocess.Popen([PYTHON, "manage.py", "run_scheduler", "--interval", "60"], env=env),
    ]
    print(
        f"\nLogis: http://127.0.0.1:{port}/\n"
        "Demo logins (password demo1234):\n"
        "  admin@example.com         administrator of Les Jardins du Parc and Tour Horizon\n"
        "  gestionnaire@example.com  manager of Les Jardins du Parc and Tour Horizon\n"
        "  ca@example.com            board member of Les Jardins du Parc\n"
        "  resident@example.com      primary resident of unit 101 (resident portal)\n"
        "  resident2@example.com     primary resident of unit 102 (resident portal)\n"
        "Ctrl-C stops the server, the worker and the scheduler.\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())

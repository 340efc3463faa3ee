"""No secret in any process's argv while hats runs a command.

The scan of every file and all captured output for every secret the suite saw
runs when the session finishes (tests/conftest.py, pytest_sessionfinish), so it
covers whatever ran, in any order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time


def test_no_secret_is_in_any_process_argv(hats, world):
    hats.add_key()
    exported = json.loads(hats.run("export", "auditor", "--format", "json", "--mfa-token", world.code()).stdout)
    world.secrets.update({exported["SecretAccessKey"], exported["SessionToken"]})
    for mode in ("--no-server", "--server"):
        child = subprocess.Popen([sys.executable, "-m", "tui", "exec", "auditor", mode, "--", "sleep", "3"],
                                 env=hats.env, start_new_session=True)
        time.sleep(1.5)
        argv = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        child.wait(timeout=10)
        assert "sleep 3" in argv
        assert [secret[:4] for secret in world.secrets if secret in argv] == []

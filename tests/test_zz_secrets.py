"""Runs last (pytest takes files in name order): no secret escaped the keyring.

Every access key secret and session token the suite saw (world.secrets) is
looked for in every file under the session's temp tree, which holds each
test's HOME and TMPDIR, in the output captured from every test, and in the
argv of every process while hats runs a command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.conftest import CAPTURED


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


def test_no_secret_reached_any_file_or_any_tests_output(world, tmp_path_factory):
    assert len(world.secrets) > 3
    found = []
    for path in tmp_path_factory.getbasetemp().rglob("*"):  # every test HOME and TMPDIR is here
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {secret[:4]}..." for secret in world.secrets if secret.encode() in data]
    output = "\n".join(CAPTURED)
    found += [f"captured output: {secret[:4]}..." for secret in world.secrets if secret in output]
    assert found == []

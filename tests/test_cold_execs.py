"""Concurrency: 20 cold `hats exec` at once, for roles behind one MFA device, make one
GetSessionToken and ask for one code."""

from __future__ import annotations

import json
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

ROLES = ["auditor", "dev-admin", "dev-hop", "prod-hop", "prod-admin"]


def only_waiting_lines(stderr: str) -> bool:
    """A run that waited longer than a moment for another's renewal or mfa_process says so, and nothing else."""
    waiting = r"hats: waiting for (sessions of '[\w-]+' being renewed in|the mfa_process of) hats exec [\w-]+ \(pid \d+\)"
    return all(re.fullmatch(waiting, line) for line in stderr.splitlines())


def test_twenty_cold_execs_behind_one_mfa_device_make_one_get_session_token(any_hats, world):
    any_hats.add_key()
    world.sts.reset_calls()
    code = world.code()
    targets = ROLES * 4
    barrier = threading.Barrier(len(targets))

    def run(role):
        barrier.wait()
        return any_hats.run("exec", role, "--mfa-token", code, "--", "true", timeout=120)

    with ThreadPoolExecutor(len(targets)) as pool:
        results = list(pool.map(run, targets))
    failures = [(role, done.returncode, done.stderr[-500:]) for role, done in zip(targets, results)
                if done.returncode != 0 or not only_waiting_lines(done.stderr)]
    assert failures == []
    assert world.sts.count("GetSessionToken") == 1
    assert world.sts.count("AssumeRole") == len(ROLES)  # every role once; the shared hops reused

    listed = any_hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["profile"]: row for row in json.loads(listed.stdout)}
    for name in ROLES:
        assert [s["kind"] for s in rows[name]["sessions"]] == ["role"], name
    assert [s["kind"] for s in rows["jan-work"]["sessions"]] == ["session"]
    assert sum(len(row["sessions"]) for row in rows.values()) == len(ROLES) + 1
    # The cache behind the index is whole: every role runs again from it, without STS.
    world.sts.reset_calls()
    for name in ROLES:
        again = any_hats.run("exec", name, "--", "true")
        assert (again.returncode, again.stderr) == (0, ""), name
    assert world.sts.calls == []


def test_twenty_cold_execs_ask_for_one_code(any_hats, world):
    """No --mfa-token: the code comes from mfa_process, which counts how often it is asked."""
    any_hats.add_key()
    asked = any_hats.home / "asked"
    script = any_hats.home / "code.py"
    script.write_text(f"import pyotp\nopen({str(asked)!r}, 'a').write('asked\\n')\n"
                      f"print(pyotp.TOTP({world.totp_secret!r}).now())\n")
    config = any_hats.home / ".aws/config"
    config.write_text(config.read_text().replace(
        "[profile jan-work]\n", f"[profile jan-work]\nmfa_process = {sys.executable} {script}\n", 1))
    world.sts.reset_calls()
    targets = ROLES * 4
    barrier = threading.Barrier(len(targets))

    def run(role):
        barrier.wait()
        return any_hats.run("exec", role, "--", "true", timeout=120)

    with ThreadPoolExecutor(len(targets)) as pool:
        results = list(pool.map(run, targets))
    failures = [(role, done.returncode, done.stderr[-500:]) for role, done in zip(targets, results)
                if done.returncode != 0 or not only_waiting_lines(done.stderr)]
    assert failures == []
    assert asked.read_text().count("asked") == 1
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == len(ROLES)

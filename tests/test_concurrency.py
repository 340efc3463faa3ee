"""A person at an MFA prompt freezes no other hats.

One run sits at its terminal prompt (a real pty, pexpect) while others start
for roles behind the same MFA device, on the real Secret Service and the local
STS. What a user sees: runs with their own code go ahead at once; runs that
need a code say at once whom they wait for, and use the session the person's
code made; when that person gives up, the next run asks for itself.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pexpect

PROMPT = "Enter MFA code for"


def start(hats, *args: str) -> subprocess.Popen:
    """A run with no terminal: it cannot ask, so it may only wait or use its own code."""
    return subprocess.Popen([sys.executable, "-m", "tui", *args], env=hats.env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def first_stderr_line(process: subprocess.Popen, within: float) -> str:
    """The first line the run writes to stderr, read as it comes (not after it ends)."""
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    assert selector.select(within), f"nothing on stderr within {within} s"
    return process.stderr.readline()


def at_prompt(hats, profile: str) -> pexpect.spawn:
    person = hats.spawn("exec", profile, "--", "true")
    person.expect(PROMPT)
    return person


def test_a_run_with_its_own_code_does_not_wait_for_a_person(hats, world):
    hats.add_key()
    person = at_prompt(hats, "auditor")
    began = time.monotonic()
    done = hats.run("exec", "dev-admin", "--mfa-token", world.code(), "--", "true", timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    assert time.monotonic() - began < 10  # was: 300 s behind the person's lock, then a traceback
    person.close(force=True)


def test_a_run_that_needs_a_code_says_whom_it_waits_for_and_uses_their_session(hats, world):
    hats.add_key()
    person = at_prompt(hats, "auditor")
    waiter = start(hats, "export", "--format", "json", "dev-admin")
    line = first_stderr_line(waiter, within=10)
    assert re.fullmatch(rf"hats: waiting for the MFA code being typed in hats exec auditor "
                        rf"\(pid {person.pid}\); Ctrl-C to stop\n", line), line
    assert waiter.poll() is None  # still waiting, not failed
    person.sendline(world.code())
    person.expect(pexpect.EOF)
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    assert '"AccessKeyId"' in out and err == ""
    assert world.sts.count("GetSessionToken") == 1  # the waiter used the person's MFA session


def test_when_the_person_gives_up_the_waiting_run_asks_for_itself(hats, world):
    hats.add_key()
    person = at_prompt(hats, "auditor")
    second = hats.spawn("exec", "dev-admin", "--", "true")
    second.expect("waiting for the MFA code being typed in hats exec auditor")
    person.sendintr()  # Ctrl-C at the first prompt
    person.expect(pexpect.EOF)
    second.expect(PROMPT, timeout=10)
    second.sendline(world.code())
    second.expect(pexpect.EOF)
    second.close()
    assert second.exitstatus == 0
    assert world.sts.count("GetSessionToken") == 1


def test_a_killed_asker_leaves_no_lock_behind(hats, world):
    hats.add_key()
    person = at_prompt(hats, "auditor")
    person.kill(9)
    person.close(force=True)
    again = hats.spawn("exec", "auditor", "--", "true")
    index = again.expect([PROMPT, "waiting for"], timeout=10)
    assert index == 0, "waited for a run that is gone"
    again.close(force=True)


def test_a_refused_code_is_asked_again_and_other_runs_keep_waiting(hats, world):
    hats.add_key()
    person = at_prompt(hats, "auditor")
    waiter = start(hats, "export", "--format", "json", "dev-admin")
    assert "waiting for the MFA code" in first_stderr_line(waiter, within=10)
    person.sendline(world.wrong_code())
    person.expect("refused the MFA code")
    person.expect(PROMPT)
    assert waiter.poll() is None  # did not take over between the two tries
    person.sendline(world.code())
    person.expect(pexpect.EOF)
    assert waiter.wait(timeout=30) == 0

"""Working in a role: `hats exec` subshells, the credential server, signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pexpect
import pytest

from tests.conftest import DEV, PROD

WHOAMI = "aws sts get-caller-identity --output json"
BASHRC = "alias hello='echo hello-from-rc'\nPS1='mine$ '\n"


@pytest.fixture
def shell_hats(hats, world):
    hats.add_key()
    (hats.home / ".bashrc").write_text(BASHRC)
    assert hats.run("exec", "dev-hop", "--mfa-token", world.code(), "--", "true").returncode == 0
    hats.env["SHELL"] = "/bin/bash"
    return hats


def test_a_subshell_keeps_the_users_rc_and_gets_a_coloured_badge_and_served_credentials(shell_hats):
    child = shell_hats.spawn("exec", "auditor")
    child.expect("mine\\$ ")
    assert "auditor" in child.before and "\x1b[38;5;" in child.before
    child.sendline("hello")
    child.expect("hello-from-rc")
    child.sendline(f'echo "key=${{AWS_ACCESS_KEY_ID:-none}}"; {WHOAMI}')
    child.expect("key=none")
    child.expect(f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work")
    child.sendline("exit 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3


def test_a_production_shell_warns_and_nesting_shows_depth(shell_hats):
    child = shell_hats.spawn("exec", "prod-admin")
    child.expect(f"PRODUCTION account {PROD}")
    child.expect("mine\\$ ")
    assert "\x1b[38;5;196m" in child.before  # production red
    child.sendline(f"{sys.executable} -m tui exec dev-hop -- env | grep HATS_DEPTH")
    child.expect("HATS_DEPTH=1")
    child.sendline(f"{sys.executable} -m tui exec dev-hop")
    child.expect("\\[2:")
    child.sendline("echo depth=$HATS_DEPTH; exit")
    child.expect("depth=2")
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_server_mode_for_a_command_hands_out_no_static_keys(shell_hats):
    done = shell_hats.run("exec", "auditor", "--server", "--", "sh", "-c",
                          f'echo "key=${{AWS_ACCESS_KEY_ID:-none}}"; {WHOAMI}')
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("key=none\n")
    assert json.loads(done.stdout.split("\n", 1)[1])["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"


def test_a_child_killed_by_sigterm_gives_128_plus_the_signal(shell_hats):
    done = shell_hats.run("exec", "auditor", "--server", "--", "sh", "-c", "kill -TERM $$")
    assert done.returncode == 128 + signal.SIGTERM
    assert shell_hats.run("exec", "auditor", "--", "sh", "-c", "exit 3").returncode == 3


TRAPPER = ("import signal, sys, time\n"
           "def caught(number, frame):\n"
           "    print('caught', signal.Signals(number).name, flush=True); sys.exit(5)\n"
           "signal.signal(signal.SIGINT, caught); signal.signal(signal.SIGTERM, caught)\n"
           "print('ready', flush=True); time.sleep(30)\n")


def test_sigterm_to_hats_reaches_the_child(shell_hats):
    script = shell_hats.home / "trapper.py"
    script.write_text(TRAPPER)
    hats = subprocess.Popen([sys.executable, "-m", "tui", "exec", "auditor", "--server", "--",
                             sys.executable, str(script)], env=shell_hats.env, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert hats.stdout.readline() == "ready\n"
    hats.send_signal(signal.SIGTERM)
    assert hats.stdout.readline() == "caught SIGTERM\n"
    assert hats.wait(timeout=10) == 5


def test_ctrl_c_reaches_the_child_not_hats(shell_hats):
    script = shell_hats.home / "trapper.py"
    script.write_text(TRAPPER)
    child = shell_hats.spawn("exec", "auditor", "--server", "--", sys.executable, str(script))
    child.expect("ready")
    time.sleep(0.2)
    child.sendintr()
    child.expect("caught SIGINT")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 5
    assert "Traceback" not in child.before

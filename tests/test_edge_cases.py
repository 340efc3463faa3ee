"""Edge cases of the `hats` command, end to end: pipes, closed streams, huge argv, odd names, a skewed clock.

Each runs the real `hats` (a subprocess in its own HOME), against the local STS
and a real keyring. tests/test_bad_input.py's corpus holds the one-line refusals
of bad settings, names and commands; here are the cases that need a pipe, a pty
or a measured system limit.
"""

from __future__ import annotations

import errno
import io
import json
import subprocess
import sys

import pexpect
import pytest

from tests.conftest import DEV, make_hats

PASSPHRASE = "correct horse battery staple"
TITLE_ATTACK = "\x1b]0;pwned\x07"


def hats_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui", *args]


def cached(hats, world, role: str = "auditor") -> None:
    hats.add_key()
    done = hats.run("exec", role, "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 0, done.stderr


# -- stdout: a reader that goes away, a stream that is closed -----------------
def test_list_into_a_pipe_closed_early_is_quiet_and_exits_141(hats, world):
    """`hats list --json | head -c 10`: like coreutils, no traceback, the shell's 128 + SIGPIPE."""
    hats.add_key()
    roles = "".join(f"\n[profile r{i:04d}]\nsource_profile = jan-work\nrole_arn = arn:aws:iam::{DEV}:role/r{i}\n"
                    for i in range(1500))  # far more than a pipe holds
    with open(hats.home / ".aws/config", "a") as config:
        config.write(roles)
    listing = subprocess.Popen(hats_argv("list", "--json"), env=hats.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert listing.stdout.read(10) == b'[\n  {\n    '
    listing.stdout.close()  # as head does once it has its 10 bytes
    stderr = listing.stderr.read().decode()
    assert (listing.wait(timeout=30), stderr) == (141, "")


def test_export_with_stdout_closed_is_one_line_and_fails(hats, world):
    cached(hats, world)
    done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *hats_argv("export", "auditor", "--format", "json")],
                          env=hats.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 1
    assert done.stderr == "hats: standard output is closed (>&-): nowhere to print to\n"


def test_export_to_a_full_disk_is_one_line_and_fails(hats, world):
    cached(hats, world)
    with open("/dev/full", "w") as full:
        done = subprocess.run(hats_argv("export", "auditor"), env=hats.env, stdout=full, stderr=subprocess.PIPE,
                              text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert (done.returncode, done.stderr) == (1, "hats: cannot write to standard output: No space left on device\n")


# -- the app needs a terminal ---------------------------------------------------
def test_the_app_on_a_pipe_exits_at_once_without_importing_textual(hats):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui"], env=hats.env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=10)
    lines = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    assert (done.returncode, done.stdout) == (2, "")
    assert lines == [("hats: the app needs a terminal on stdin and stdout; in scripts use "
                      "`hats list`, `hats exec` or `hats export`")]
    assert "textual" not in done.stderr


def test_the_app_with_stdout_a_pipe_exits_at_once(hats):
    """stdin a terminal, stdout a pipe (`hats | less` by mistake): no escape codes into the pipe."""
    child = pexpect.spawn("sh", ["-c", 'exec "$@" | od -c', "sh", *hats_argv()], env=hats.env, encoding="utf-8",
                          timeout=10)
    child.expect(pexpect.EOF)
    child.close()
    assert "the app needs a terminal on stdin and stdout" in child.before
    assert "033" not in child.before  # od -c shows an ESC as 033: none reached the pipe


# -- what the command is given --------------------------------------------------
def _starts(env: dict[str, str], argv: list[str]) -> bool:
    try:
        subprocess.run(argv, env=env, check=True)
        return True
    except OSError as exc:
        assert exc.errno == errno.E2BIG
        return False


def test_an_argv_that_fits_alone_but_not_with_the_credentials_is_one_line_126(hats, world):
    """Measured, not assumed: the longest `true ...` that starts with hats' environment, less a little."""
    cached(hats, world)
    chunk = "a" * 100_000  # under the kernel's 128 KiB for one argument
    count = 1
    while _starts(hats.env, ["true", *[chunk] * (count + 1)]):
        count += 1
    low, high = 0, len(chunk)  # the last argument's length: `low` starts, `high` does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _starts(hats.env, ["true", *[chunk] * count, "x" * middle]) else (low, middle)
    # hats' own argv is ~110 bytes longer than the probe's; the credentials add more than 200 to the child's env
    command = ["true", *[chunk] * count, "x" * (low - 200)]
    done = hats.run("exec", "auditor", "--", *command)
    assert (done.returncode, done.stdout) == (126, "")
    assert done.stderr == ("hats: cannot run true: its arguments and environment, with the credentials added, "
                           "are more than the system takes (E2BIG)\n")


def test_a_child_never_receives_the_file_passphrase(tmp_path, world):
    hats = make_hats(tmp_path, world, {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE})
    cached(hats, world)
    for served in ("--no-server", "--server"):
        done = hats.run("exec", "auditor", served, "--", "env")
        assert done.returncode == 0, done.stderr
        names = {line.split("=", 1)[0] for line in done.stdout.splitlines()}
        assert "HATS_PROFILE" in names and "HATS_FILE_PASSPHRASE" not in names
        assert PASSPHRASE not in done.stdout


# -- names from the config and the keyring -------------------------------------
def test_list_shows_keys_whose_profile_is_not_in_the_config(any_hats):
    any_hats.add_key()
    done = any_hats.run("add", "old-contractor", "--env",
                        env={"AWS_ACCESS_KEY_ID": any_hats.world.key_id,
                             "AWS_SECRET_ACCESS_KEY": any_hats.world.secret})
    assert done.returncode == 0, done.stderr
    rows = {row["profile"]: row for row in json.loads(any_hats.run("list", "--json").stdout)}
    assert rows["old-contractor"] == {
        "profile": "old-contractor", "kind": "orphan", "chain": [], "account": None, "alias": None, "mfa": None,
        "region": None, "key": "keyring", "source": None, "sessions": [],
        "problem": "key in keyring, no profile in the config"}
    text = any_hats.run("list").stdout
    line = next(line for line in text.splitlines() if line.startswith("old-contractor"))
    assert line.split()[:2] == ["old-contractor", "orphan"]
    assert "! key in keyring, no profile in the config" in line


EVIL_CONFIG = f"""
[profile dev\u202eadmin]
source_profile = jan-work
role_arn = arn:aws:iam::{DEV}:role/dev-admin
hats_account_alias = acme{TITLE_ATTACK}dev
"""
EVIL_REGION = "region = eu\x1b[2J-west-1\n"


def test_list_shows_config_text_escaped_and_no_escape_sequence_into_a_pipe(hats):
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(EVIL_CONFIG + EVIL_REGION)
    done = hats.run("list")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout and "\x07" not in done.stdout
    line = next(line for line in done.stdout.splitlines() if line.startswith("dev\\u202eadmin"))
    assert line.split()[:5] == ["dev\\u202eadmin", "role", "jan-work", ">", "dev\\u202eadmin"]
    assert f"{DEV} (acme\\x1b]0;pwned\\x07dev)" in line and "eu\\x1b[2J-west-1" in line
    rows = {row["profile"]: row for row in json.loads(hats.run("list", "--json").stdout)}
    assert rows["dev\u202eadmin"]["alias"] == f"acme{TITLE_ATTACK}dev"  # JSON keeps the value, \u-escaped
    assert "\x1b" not in hats.run("list", "--json").stdout


def test_the_subshell_badge_of_an_evil_alias_reaches_the_terminal_escaped(hats, world):
    """The whole path: config -> hats exec -> bash's prompt on a pty."""
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(EVIL_CONFIG)
    (hats.home / ".bashrc").write_text("PS1='custom-bash $ '\n")
    child = pexpect.spawn(sys.executable, hats_argv("exec", "dev\u202eadmin", "--mfa-token", world.code(),
                                                    "--shell", "/bin/bash")[1:],
                          env=hats.env, encoding="utf-8", timeout=30)
    child.logfile_read = received = io.StringIO()
    child.expect_exact("[dev\\u202eadmin acme\\x1b]0;pwned\\x07dev ")
    child.expect_exact("custom-bash $ ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert "pwned\x07" not in received.getvalue() and "\u202e" not in received.getvalue()


# -- the clock ------------------------------------------------------------------
@pytest.mark.parametrize("offset, words", [(2 * 3600, "2 h 0 min behind"), (-(10 * 60 + 10), "10 min ahead of")])
def test_a_clock_off_by_more_than_five_minutes_is_said_once(offset, words, hats, world):
    hats.add_key()
    world.sts.skew_date(offset)
    try:
        done = hats.run("exec", "prod-admin", "--mfa-token", world.code(), "--", "true")  # 4 STS calls
    finally:
        world.sts.skew_date(0)
    assert done.returncode == 0, done.stderr
    assert world.sts.count("GetSessionToken") + world.sts.count("AssumeRole") == 4
    assert done.stderr == (f"hats: warning: this computer's clock is {words} STS's (the Date of its answer): "
                           "sessions may look expired while fresh, or fresh while expired; set the clock (NTP)\n")


def test_a_clock_within_five_minutes_is_not_mentioned(hats, world):
    hats.add_key()
    world.sts.skew_date(4 * 60)
    try:
        done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    finally:
        world.sts.skew_date(0)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_refused_call_is_checked_too(hats, world):
    """A skewed clock shows first as refusals; the warning comes with the refusal's line."""
    hats.add_key()
    world.sts.skew_date(3600)
    try:
        done = hats.run("exec", "auditor", "--mfa-token", world.wrong_code(), "--", "true")
    finally:
        world.sts.skew_date(0)
    lines = done.stderr.splitlines()
    assert done.returncode == 4 and len(lines) == 2
    assert lines[0].startswith("hats: warning: this computer's clock is 1 h 0 min behind STS's")
    assert lines[1].startswith("hats: AWS refused the MFA code")


def test_a_region_botocore_refuses_is_named_as_a_region(hats, world):
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(EVIL_CONFIG + EVIL_REGION)
    done = hats.run("exec", "dev\u202eadmin", "--mfa-token", world.code(), "--", "true")
    assert (done.returncode, done.stderr) == (
        2, "hats: profile 'dev\\u202eadmin': region 'eu\\x1b[2J-west-1' is not an AWS region name\n")


def test_settings_are_checked_before_a_code_is_asked_for(hats, world):
    """A bad value stops the run before the prompt: no code typed for a run that cannot go on."""
    hats.add_key()
    child = pexpect.spawn(sys.executable, hats_argv("exec", "auditor", "--", "true")[1:],
                          env={**hats.env, "HATS_REFRESH_MARGIN": "99999"}, encoding="utf-8", timeout=20)
    index = child.expect(["Enter MFA code", "HATS_REFRESH_MARGIN=99999 is above the maximum of 3000 s"])
    child.expect(pexpect.EOF)
    child.close()
    assert (index, child.exitstatus) == (1, 2)
    assert world.sts.calls == []

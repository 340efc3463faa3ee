"""The role-scoped shell and the account colours.

Real bash, zsh, fish and dash on a pty, each with a HOME of its own whose
startup files define an alias and a custom prompt, as a user's would.
"""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pexpect
import pytest

from tui.child.colors import ACCOUNT_COLORS, account_color, account_label
from tui.credentials import Credentials, utcnow
from tui.child.environment import child_environment
from tui.profiles import Profile
from tui.child.prompt import prepared_shell, prompt_env, shell_kind, shell_launch
from tui.settings import SettingError
from tui.store.items import CachedSession

DEV = Profile(name="dev-admin", role_arn="arn:aws:iam::222222222222:role/dev-admin")
PROD = Profile(name="prod-admin", role_arn="arn:aws:iam::333333333333:role/prod-admin")
SHELLS = ["bash", "zsh", "fish"]
ALL_SHELLS = [*SHELLS, "dash"]
ESC = "\x1b"

RC_FILES = {
    ".bashrc": "alias hello='echo hello-from-rc'\nPS1='custom-bash rc=$? \\$ '\n",
    ".zshrc": "alias hello='echo hello-from-rc'\nPROMPT='custom-zsh rc=%? %# '\n",
    ".config/fish/config.fish": (
        "alias hello 'echo hello-from-rc'\n"
        "function fish_prompt\n    echo -n \"custom-fish rc=$status> \"\nend\n"),
    ".shrc": "alias hello='echo hello-from-rc'\nPS1='custom-dash $ '\n",
}
SET_EXPIRED = {"fish": "set -gx HATS_EXPIRES_EPOCH 1"}


def badge(text: str, color: str = r"38;5;\d+") -> str:
    """The badge as the terminal receives it, as a regex."""
    return re.escape(f"{ESC}[") + color + "m" + re.escape(f"[{text}]{ESC}[0m ")


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    for name, text in RC_FILES.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
    return home


def base_env(home: Path, profile: Profile = DEV, minutes_left: float = 42.5, **extra: str) -> dict[str, str]:
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL") if name in os.environ}
    account = profile.account_id
    color = account_color(profile, account, account_label(profile, account), prod_pattern="prod")
    return {
        **keep, "HOME": str(home), "TERM": "xterm-256color", "ENV": str(home / ".shrc"),
        "HATS_PROFILE": profile.name, "HATS_ACCOUNT": account,
        "HATS_EXPIRES": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + minutes_left * 60)),
        **prompt_env(profile, account_label(profile, account), color), **extra,
    }


@contextmanager
def running(shell: str, env: dict[str, str]):
    with prepared_shell(shell, env) as (argv, child_env):
        child = pexpect.spawn(argv[0], argv[1:], env=child_env, encoding="utf-8", timeout=10,
                              dimensions=(24, 200))
        try:
            yield child
        finally:
            child.close(force=True)


# The prompt ----------------------------------------------------------------

@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_the_badge_goes_in_front_of_the_users_own_prompt(shell, home):
    with running(shell, base_env(home)) as child:
        child.expect(badge("dev-admin 222222222222 42m") + f"custom-{shell}")


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_aliases_from_the_users_startup_files_still_work(shell, home):
    with running(shell, base_env(home)) as child:
        child.expect(f"custom-{shell}")
        child.sendline("hello")
        child.expect("hello-from-rc")


@pytest.mark.parametrize("shell", SHELLS)
def test_time_left_is_worked_out_at_every_prompt(shell, home):
    with running(shell, base_env(home, minutes_left=65.5)) as child:
        child.expect(badge("dev-admin 222222222222 1h05m"))
        child.sendline(SET_EXPIRED.get(shell, "export HATS_EXPIRES_EPOCH=1"))
        child.expect(badge("dev-admin 222222222222 expired") + f"custom-{shell}")


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_a_session_already_past_its_expiry_says_expired(shell, home):
    with running(shell, base_env(home, minutes_left=-5)) as child:
        child.expect(badge("dev-admin 222222222222 expired"))


@pytest.mark.parametrize("shell", SHELLS)
def test_the_users_prompt_still_sees_the_last_exit_status(shell, home):
    with running(shell, base_env(home)) as child:
        child.expect("rc=0")
        child.sendline("false")
        child.expect(badge("dev-admin 222222222222 42m") + f"custom-{shell} rc=1")


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_a_production_account_warns_and_is_red(shell, home):
    with running(shell, base_env(home, PROD)) as child:
        child.expect_exact("hats: PRODUCTION account 333333333333 (prod-admin) — take care")
        child.expect(badge("prod-admin 333333333333 42m", color="38;5;196"))


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_a_nested_shell_shows_its_depth(shell, home):
    with running(shell, base_env(home, HATS_DEPTH="1")) as child:
        child.expect(badge("2:dev-admin 222222222222 42m"))
        child.sendline("echo depth=$HATS_DEPTH")
        child.expect("depth=2")


def test_a_first_level_shell_shows_no_depth(home):
    with running("bash", base_env(home)) as child:
        child.expect(badge("dev-admin 222222222222 42m"))
        child.sendline("echo depth=$HATS_DEPTH")
        child.expect("depth=1")


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("python") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


@pytest.mark.parametrize("shell, rc, line", [
    ("bash", ".bashrc", ". {venv}/bin/activate\n"),
    ("zsh", ".zshrc", ". {venv}/bin/activate\n"),
    ("fish", ".config/fish/config.fish", "source {venv}/bin/activate.fish\n"),
])
def test_a_virtualenv_activated_by_the_users_startup_keeps_its_prompt(shell, rc, line, home, venv):
    with open(home / rc, "a") as handle:
        handle.write(line.format(venv=venv))
    with running(shell, base_env(home)) as child:
        # fish's activate.fish colours "(venv)" itself
        child.expect(badge("dev-admin 222222222222 42m") + r"(\x1b\[[0-9;]*m|\x1b\(B)*\(venv\) .*custom-" + shell)
        child.sendline("echo python=$VIRTUAL_ENV")
        child.expect(f"python={venv}")


@pytest.mark.parametrize("shell, theme", [
    ("bash", "PROMPT_COMMAND='PS1=\"theme-$((++n)) \\$ \"'\n"),
    ("zsh", "n=0\ntheme() { PROMPT=\"theme-$((++n)) %# \" }\nprecmd_functions+=(theme)\n"),
])
def test_a_theme_that_rebuilds_the_prompt_every_time_keeps_the_badge(shell, theme, home):
    with open(home / f".{shell}rc", "a") as handle:
        handle.write(theme)
    with running(shell, base_env(home)) as child:
        child.expect(badge("dev-admin 222222222222 42m") + "theme-1")
        child.sendline("true")
        child.expect(badge("dev-admin 222222222222 42m") + "theme-2")


@pytest.mark.parametrize("shell, rc", [
    ("bash", ""), ("zsh", ""), ("zsh", "setopt prompt_subst\n"), ("fish", ""), ("dash", ""),
])
def test_a_profile_name_is_shown_as_it_is_never_expanded(shell, rc, home):
    (home / ".zshrc").write_text(RC_FILES[".zshrc"] + rc)
    name = 'odd$(echo pw""ned)%n`echo pw""ned`'
    with running(shell, base_env(home, HATS_PROFILE=name)) as child:
        child.expect(badge(f"{name} 222222222222 42m") + f"custom-{shell}")
        child.sendline("echo done")
        child.expect("done")
        assert "pwned" not in child.before


TITLE_ATTACK = "\x1b]0;pwned\x07"  # OSC 0: sets the terminal's title; BEL ends it


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_an_alias_or_name_with_escape_codes_never_reaches_the_terminal_raw(shell, home):
    """The names come from the config: the child's environment carries them escaped, for every shell."""
    profile = Profile(name="dev\u202eadmin", role_arn=DEV.role_arn, account_alias=f"acme{TITLE_ATTACK}dev")
    session = CachedSession("role", profile.name, Credentials("ASIAEXAMPLEEXAMPLE", "s" * 40, "t" * 40,
                                                              utcnow() + timedelta(minutes=42, seconds=30)))
    env = child_environment(base_env(home), [profile], session)
    label = account_label(profile, profile.account_id)
    env.update(prompt_env(profile, label, account_color(profile, profile.account_id, label, prod_pattern="prod")))
    with running(shell, env) as child:
        child.logfile_read = received = io.StringIO()  # everything the terminal is sent
        child.expect(badge(r"dev\u202eadmin acme\x1b]0;pwned\x07dev 42m") + f"custom-{shell}")
        child.sendline("printf '%s\\n' \"vault=$AWS_VAULT\"")
        child.expect(r"vault=dev\\u202eadmin")
    assert "pwned\x07" not in received.getvalue() and "\u202e" not in received.getvalue()


# zsh's ZDOTDIR ---------------------------------------------------------------

def test_zsh_leaves_zdotdir_unset_when_the_user_had_none(home):
    with running("zsh", base_env(home)) as child:
        child.expect("custom-zsh")
        child.sendline('echo "zdotdir=${ZDOTDIR-unset}"')
        child.expect("zdotdir=unset")


def test_zsh_reads_the_users_files_from_the_zdotdir_they_export(home):
    zdotdir = home / ".config/zsh"
    zdotdir.mkdir(parents=True)
    (zdotdir / ".zshenv").write_text("export FROM_ZSHENV=yes\n")
    (zdotdir / ".zshrc").write_text("alias hi='echo hi-from-zdotdir'\nPROMPT='zdot-zsh%# '\n")
    with running("zsh", base_env(home, ZDOTDIR=str(zdotdir))) as child:
        child.expect(badge("dev-admin 222222222222 42m") + "zdot-zsh")
        child.sendline('hi; echo "zdotdir=$ZDOTDIR env=$FROM_ZSHENV"')
        child.expect("hi-from-zdotdir")
        child.expect(f"zdotdir={zdotdir} env=yes")


def test_zsh_follows_a_zdotdir_set_in_the_users_zshenv(home):
    zdotdir = home / "dots"
    zdotdir.mkdir()
    (home / ".zshenv").write_text('ZDOTDIR="$HOME/dots"\n')
    (zdotdir / ".zshrc").write_text("PROMPT='dots-zsh%# '\n")
    with running("zsh", base_env(home)) as child:
        child.expect(badge("dev-admin 222222222222 42m") + "dots-zsh")
        child.sendline('echo "zdotdir=$ZDOTDIR"')
        child.expect(f"zdotdir={zdotdir}")


# The generated files ----------------------------------------------------------

@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_the_generated_files_hold_no_secrets_and_are_removed(shell, home):
    env = base_env(home, AWS_SECRET_ACCESS_KEY="s3cr3t-key", AWS_SESSION_TOKEN="t0ken-value")
    with prepared_shell(shell, env) as (argv, child_env):
        workdir = _workdir(argv, child_env)
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        texts = [p.read_text() for p in workdir.rglob("*") if p.is_file()]
        assert texts and not any("s3cr3t" in t or "t0ken" in t for t in texts)
    assert not workdir.exists()


def _workdir(argv: list[str], env: dict[str, str]) -> Path:
    for candidate in [*argv, env.get("ENV", ""), env.get("ZDOTDIR", "")]:
        match = re.search(r"(/\S*?/hats-shell-[^/]+)", candidate)
        if match:
            return Path(match.group(1))
    raise AssertionError(f"no generated directory in {argv} / ENV / ZDOTDIR")


def test_the_depth_and_expiry_come_from_the_environment_given(tmp_path):
    env = {"HATS_DEPTH": "2", "HATS_EXPIRES": "2030-01-01T00:00:00Z", "HATS_EXPIRES_EPOCH": "5"}
    _, child = shell_launch("/bin/bash", env, tmp_path)
    assert child["HATS_DEPTH"] == "3"
    assert child["HATS_EXPIRES_EPOCH"] == "1893456000"
    assert env["HATS_DEPTH"] == "2"  # the caller's dict is left alone
    (tmp_path / "again").mkdir()
    _, child = shell_launch("/bin/bash", {"HATS_EXPIRES_EPOCH": "5"}, tmp_path / "again")
    assert child["HATS_DEPTH"] == "1" and "HATS_EXPIRES_EPOCH" not in child


@pytest.mark.parametrize("path, kind", [
    ("/bin/bash", "bash"), ("/usr/local/bin/zsh", "zsh"), ("fish", "fish"), ("-zsh", "zsh"),
    ("/opt/homebrew/bin/bash-5.2", "bash"), ("/bin/dash", "sh"), ("/bin/sh", "sh"), ("/bin/tcsh", "sh"),
    ("/usr/bin/fishy", "sh"),
])
def test_shell_kind(path, kind):
    assert shell_kind(path) == kind


def test_prompt_env_replaces_what_an_outer_shell_left():
    color = account_color(DEV, "222222222222", None, prod_pattern="prod")
    env = prompt_env(DEV, None, color)
    assert env == {"HATS_COLOR": color.ansi, "HATS_ACCOUNT_LABEL": "", "HATS_PRODUCTION": "0",
                   "AWS_VAULT": "dev-admin"}


# Colours ----------------------------------------------------------------------

IDS = [f"{n:012d}" for n in range(100000000000, 100000000000 + 200 * 7919, 7919)]


def test_an_accounts_colour_is_the_same_in_every_process():
    code = ("from tui.child.colors import account_color\nfrom tui.profiles import Profile\n"
            f"print(' '.join(account_color(Profile('p'), i, None, '').ansi for i in {IDS!r}))")
    root = str(Path(__file__).resolve().parents[1])
    here = [account_color(Profile("p"), i, None, "").ansi for i in IDS]
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONPATH": root, "PYTHONHASHSEED": seed})
        assert done.stdout.split() == here


def test_account_colours_spread_and_are_never_red():
    colors = [account_color(Profile("p"), i, None, "") for i in IDS]
    assert len({c.name for c in colors}) == len(ACCOUNT_COLORS)
    assert all(c.name != "red" and c.ansi != "38;5;196" and not c.is_production for c in colors)


def test_hats_color_wins_by_name_or_hex():
    named = account_color(Profile("p", color="purple"), "222222222222", None, "")
    assert (named.name, named.ansi, named.hex) == ("purple", "38;5;141", "#af87ff")
    custom = account_color(Profile("p", color="#D7875F"), "222222222222", None, "")
    assert (custom.name, custom.ansi, custom.hex, custom.sgr) == ("#d7875f", "38;5;173", "#d7875f", "\x1b[38;5;173m")


def test_an_unknown_hats_color_falls_back_to_the_accounts_colour():
    assert (account_color(Profile("p", color="chartreuse-ish"), "222222222222", None, "")
            == account_color(Profile("p"), "222222222222", None, ""))


@pytest.mark.parametrize("pattern, names, production", [
    (None, ("prod-admin", None), True),              # the default, on the profile name
    (None, ("admin", "Production-Main"), True),      # on the label, any case
    (None, ("dev-admin", "dev"), False),
    ("^(live|prd)-", ("prd-admin", None), True),
    ("333333333333", ("admin", None), True),         # an account id works too
    ("", ("prod-admin", "prod"), False),             # empty: never production
])
def test_production_by_pattern(pattern, names, production, monkeypatch):
    monkeypatch.delenv("HATS_PROD_PATTERN", raising=False)
    profile, label = Profile(names[0], role_arn="arn:aws:iam::333333333333:role/x"), names[1]
    color = account_color(profile, profile.account_id, label, pattern)
    assert color.is_production is production
    assert (color.name == "red") is production


def test_the_prod_pattern_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HATS_PROD_PATTERN", "^live")
    assert account_color(Profile("live-admin"), None, None).is_production
    assert not account_color(Profile("prod-admin"), None, None).is_production


@pytest.mark.parametrize("pattern", ["prod(", "[live", "*prod"])
def test_a_broken_prod_pattern_is_refused_never_ignored(pattern, monkeypatch):
    monkeypatch.setenv("HATS_PROD_PATTERN", pattern)
    with pytest.raises(SettingError, match=r"^HATS_PROD_PATTERN='.+' is not a valid regular expression"):
        account_color(Profile("prod-admin"), None, None)


def test_an_explicit_hats_color_beats_red_but_production_still_warns():
    color = account_color(Profile("prod-admin", color="blue"), None, None, "prod")
    assert (color.name, color.is_production) == ("blue", True)

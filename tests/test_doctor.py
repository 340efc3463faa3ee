"""`hats doctor` on real parts: the local STS, gnome-keyring, the encrypted file, a local Identity Center.

Every run has AWS_ENDPOINT_URL (and, for Identity Center, its own endpoints) pointing at 127.0.0.1:
with none, doctor would call AWS.
"""

from __future__ import annotations

import dataclasses
import socket

import pytest

from tests.conftest import JAN, WORLD, Hats, make_hats
from tests.test_sso import sso_config
from tui.sandbox.identity_center import LocalIdentityCenter
from tui.sandbox.world import config_text

PASSPHRASE_ENV = {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": "correct horse battery staple"}


def healthy_config(world) -> str:
    """The tests' world without the profiles it breaks on purpose (a chained role over an hour, a cycle)."""
    return config_text(dataclasses.replace(WORLD, extra_config=""), {JAN: world.serial})


def healthy(hats: Hats) -> Hats:
    (hats.home / ".aws/config").write_text(healthy_config(hats.world))
    hats.add_key()
    return hats


def doctor(hats: Hats, **env: str):
    done = hats.run("doctor", env=env)
    output = done.stdout + done.stderr
    assert hats.world.secret not in output and "Traceback" not in output
    return done


def problems(done) -> list[str]:
    return [line for line in done.stdout.splitlines() if line.startswith("problem ")]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def file_hats(tmp_path, world) -> Hats:
    return make_hats(tmp_path, world, dict(PASSPHRASE_ENV))


def test_a_healthy_setup_on_gnome_keyring_exits_0_with_a_line_each_check(hats, world):
    done = doctor(healthy(hats))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert ("ok      keyring: Secret Service (gnome-keyring), unlocked: 1 key, 0 cached sessions "
            "(from HATS_BACKEND)") in lines
    assert f"ok      config file: {hats.home}/.aws/config" in lines
    assert "ok      config: 7 profiles, all usable" in lines
    assert any(line.startswith(f"ok      sts: {world.sts.url} answers (HTTP ") for line in lines)
    assert any(line.startswith("ok      clock: within ") for line in lines)
    assert any(line.startswith("ok      shell bash: ") for line in lines)
    assert lines[0] == "ok      settings: HATS_* variables (no config.toml)"
    assert done.stderr == ""


def test_a_healthy_encrypted_file_says_where_it_lives(file_hats):
    done = doctor(healthy(file_hats))
    assert done.returncode == 0, done.stdout
    where = file_hats.home / ".local/share/hats/vault.json"
    assert (f"ok      keyring: encrypted file {where}, unlocked: 1 key, 0 cached sessions (from HATS_BACKEND)"
            in done.stdout.splitlines())


def test_the_broken_profiles_of_the_config_are_one_problem_line_each(hats):
    hats.add_key()  # the world's own config: prod-long asks a chained role for 2 h; loop-a and loop-b loop
    done = doctor(hats)
    assert done.returncode == 1
    found = problems(done)
    assert len(found) == 3, done.stdout
    assert found[0].startswith("problem config: profile 'loop-a': source_profile cycle: ")
    assert found[1].startswith("problem config: profile 'loop-b': source_profile cycle: ")
    assert found[2] == ("problem config: profile 'prod-long' asks for 7200 s, but it is assumed from 'dev-hop's "
                        "session and AWS caps chained roles at 3600 s")


def test_an_unreadable_config_file_is_a_problem_line(hats):
    healthy(hats)
    (hats.home / ".aws/config").write_text("[profile x\nregion = eu-west-1\n")
    done = doctor(hats)
    assert done.returncode == 1
    found = problems(done)
    assert len(found) == 1 and found[0].startswith(f"problem config: {hats.home}/.aws/config"), done.stdout


def test_an_sts_that_does_not_answer_is_one_problem_line(hats):
    healthy(hats)
    url = f"http://127.0.0.1:{closed_port()}"
    done = doctor(hats, AWS_ENDPOINT_URL=url)
    assert done.returncode == 1
    assert problems(done) == [f"problem sts: cannot get an answer from {url}: Could not connect to the endpoint URL: "
                              f"\"{url}/\""]
    assert "note    clock: not checked: no STS answered with a Date" in done.stdout.splitlines()


def test_a_profile_with_an_sts_endpoint_of_its_own_is_checked_there(hats, world):
    url = f"http://127.0.0.1:{closed_port()}"
    (hats.home / ".aws/config").write_text(f"""\
[default]
endpoint_url = {world.sts.url}

[profile elsewhere]
endpoint_url = {url}
""")
    del hats.env["AWS_ENDPOINT_URL"]  # each profile names its own: nothing goes beyond 127.0.0.1
    done = doctor(hats)
    assert done.returncode == 1
    answered = [line for line in done.stdout.splitlines() if line.startswith("ok      sts: ")]
    assert len(answered) == 1 and answered[0].startswith(f"ok      sts: {world.sts.url} answers")
    assert problems(done) == [f"problem sts: profile 'elsewhere': cannot get an answer from {url}: Could not "
                              f"connect to the endpoint URL: \"{url}/\""]


def test_a_clock_far_from_stss_is_a_problem(hats, world):
    healthy(hats)
    world.sts.skew_date(-7 * 60)  # STS's Date 7 minutes behind ours: our clock is ahead
    try:
        done = doctor(hats)
    finally:
        world.sts.skew_date(0)
    assert done.returncode == 1
    assert problems(done) == ["problem clock: this computer's clock is 7 min ahead of STS's (the Date of its answer): "
                              "AWS refuses signatures more than 5 minutes off; set the clock (NTP)"]


def test_a_locked_encrypted_file_is_a_problem_and_no_passphrase_is_asked_for(file_hats):
    healthy(file_hats)
    assert file_hats.run("lock").returncode == 0  # the kept key goes: only the passphrase opens the file now
    done = doctor(file_hats, HATS_FILE_PASSPHRASE="")
    assert done.returncode == 1
    where = file_hats.home / ".local/share/hats/vault.json"
    assert problems(done) == [f"problem keyring: encrypted file {where} is locked: HATS_FILE_PASSPHRASE is not set "
                              "and no unlocked key is kept; any hats command run in a terminal asks for the passphrase"]
    assert "Passphrase" not in done.stdout + done.stderr
    import pexpect

    del file_hats.env["HATS_FILE_PASSPHRASE"]
    on_a_terminal = file_hats.spawn("doctor")  # where a prompt could be shown, none is
    assert on_a_terminal.expect(["Passphrase", pexpect.EOF]) == 1
    assert "problem keyring: encrypted file" in on_a_terminal.before


def test_a_wrong_passphrase_is_a_problem(file_hats):
    healthy(file_hats)
    assert file_hats.run("lock").returncode == 0
    done = doctor(file_hats, HATS_FILE_PASSPHRASE="not it")
    assert done.returncode == 1
    assert problems(done) == [f"problem keyring: wrong passphrase for the encrypted keyring "
                              f"{file_hats.home}/.local/share/hats/vault.json"]


def test_a_locked_gnome_keyring_is_a_problem_and_stays_locked(hats, secret_service):
    healthy(hats)
    secret_service.lock()
    done = doctor(hats)
    assert done.returncode == 1
    assert problems(done) == ["problem keyring: Secret Service (gnome-keyring) is locked: unlock it (your desktop's "
                              "keyring app, or log in again); doctor does not ask for its password"]
    assert secret_service.is_locked()


def test_the_encrypted_file_is_named_when_it_exists_but_another_backend_is_in_use(hats, world):
    healthy(hats)
    keys = {"AWS_ACCESS_KEY_ID": world.key_id, "AWS_SECRET_ACCESS_KEY": world.secret}
    assert hats.run("--backend", "file", "add", "jan-work", "--env", env={**PASSPHRASE_ENV, **keys}).returncode == 0
    done = doctor(hats)
    assert done.returncode == 0, done.stdout
    where = hats.home / ".local/share/hats/vault.json"
    assert (f"note    keyring file: {where} exists, unused: the secret-service backend is in use"
            in done.stdout.splitlines())


def test_a_session_bus_that_is_not_there_is_a_problem_and_backend_says_why_it_is_used(hats, tmp_path):
    healthy(hats)
    gone = f"unix:path={tmp_path}/no-bus"
    done = doctor(hats, DBUS_SESSION_BUS_ADDRESS=gone)
    assert done.returncode == 1
    found = problems(done)
    assert len(found) == 1 and found[0].startswith(
        f"problem keyring: Secret Service (from HATS_BACKEND): no answer on the session bus {gone}: "), done.stdout
    flagged = hats.run("--backend", "file", "doctor", env={"HATS_FILE_PASSPHRASE": "any"})
    assert flagged.returncode == 0, flagged.stdout
    keyring = flagged.stdout.splitlines()[1]  # after the settings' line
    assert "not made yet: `hats add` makes it" in keyring and keyring.endswith("(from --backend)")


@pytest.fixture(scope="module")
def idc(world):
    with LocalIdentityCenter(world.sts) as center:
        yield center


def test_an_sso_session_whose_endpoints_answer_and_the_sso_profiles_that_cannot_be_used(hats, idc):
    healthy(hats)
    (hats.home / ".aws/config").write_text(sso_config(idc))  # test_sso's: three of its profiles are broken
    done = doctor(hats, AWS_ENDPOINT_URL_SSO_OIDC=idc.url, AWS_ENDPOINT_URL_SSO=idc.url)
    assert done.returncode == 1
    assert (f"ok      sso-session 'corp': sign-in (sso-oidc) {idc.url} and portal (sso) {idc.url} answer"
            in done.stdout.splitlines())  # once: legacy-prod's start URL and region are corp's
    assert problems(done) == [
        "problem config: profile 'chained-long' asks for 7200 s, but it is assumed from an IAM Identity Center role "
        "of 'dev' and AWS caps chained roles at 3600 s",
        "problem config: profile 'ghost-session' names sso_session 'nowhere', which is not in the config",
        "problem config: profile 'no-role' signs in through IAM Identity Center but has no sso_role_name"]


def test_an_sso_sign_in_endpoint_that_does_not_answer(hats, idc):
    healthy(hats)
    (hats.home / ".aws/config").write_text(sso_config(idc))
    url = f"http://127.0.0.1:{closed_port()}"
    done = doctor(hats, AWS_ENDPOINT_URL_SSO_OIDC=url, AWS_ENDPOINT_URL_SSO=idc.url)
    assert done.returncode == 1
    assert (f"problem sso-session 'corp': sign-in (sso-oidc): cannot get an answer from {url}: Could not connect to "
            f"the endpoint URL: \"{url}/token\"") in problems(done)


def test_a_shell_not_on_path_is_a_note_not_a_problem(hats, tmp_path):
    healthy(hats)
    only_bash = tmp_path / "bin"
    only_bash.mkdir()
    (only_bash / "bash").symlink_to("/usr/bin/bash")
    done = doctor(hats, PATH=str(only_bash))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert "note    shell zsh: not on PATH" in lines and "note    shell fish: not on PATH" in lines
    assert "ok      shell bash: " + str(only_bash / "bash") + ": the live prompt works (hats' startup file hats.bash " \
           "read without error)" in lines


@pytest.mark.parametrize(("env", "config", "line"), [
    ({"HATS_SESSION_DURATION": "soon"}, None,
     "problem settings: HATS_SESSION_DURATION='soon' is not a whole number of seconds from 900 to 129600"),
    ({}, "refresh_margin = 'x'\n",
     "problem settings: ~/.config/hats/config.toml line 1: refresh_margin = 'x' is not a whole number of seconds "
     "from 0 to 3000"),
])
def test_a_bad_setting_is_a_problem_line_not_the_end_of_the_doctor(hats, env, config, line):
    healthy(hats)
    if config:
        path = hats.home / ".config/hats/config.toml"
        path.parent.mkdir(parents=True)
        path.write_text(config)
        env = {**env, "XDG_CONFIG_HOME": str(hats.home / ".config")}
    done = doctor(hats, **env)
    assert done.returncode == 1
    assert problems(done) == [line]
    assert any(line.startswith("ok      shell bash: ") for line in done.stdout.splitlines())
    assert done.stderr == ""


def test_a_backend_from_config_toml_is_named_as_the_reason(hats):
    healthy(hats)
    path = hats.home / ".config/hats/config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("backend = 'secret-service'\n")
    hats.env.pop("HATS_BACKEND")
    done = doctor(hats, XDG_CONFIG_HOME=str(hats.home / ".config"))
    assert done.returncode == 0, done.stdout
    keyring = next(line for line in done.stdout.splitlines() if line.startswith("ok      keyring: "))
    assert keyring.endswith("(from ~/.config/hats/config.toml line 1: backend)")

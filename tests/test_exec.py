"""`hats exec` end to end: the real aws CLI, a local STS, a real keyring."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import DEV, PROD

WHOAMI = ("aws", "sts", "get-caller-identity", "--output", "json")


def caller_arn(done) -> str:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["Arn"]


def test_add_then_exec_a_role_with_mfa_runs_the_aws_cli_as_that_role(any_hats, world):
    any_hats.add_key()
    done = any_hats.run("exec", "auditor", "--mfa-token", world.code(), "--", *WHOAMI)
    assert caller_arn(done) == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
    again = any_hats.run("exec", "auditor", "--", *WHOAMI)  # cached: no code, no STS
    assert caller_arn(again) == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == 1


def test_a_chain_of_three_roles_across_two_accounts(hats, world):
    hats.add_key()
    done = hats.run("exec", "prod-admin", "--mfa-token", world.code(), "--", *WHOAMI)
    assert caller_arn(done) == f"arn:aws:sts::{PROD}:assumed-role/prod-admin/jan-prod"
    hops = [call["role_arn"] for call in world.sts.calls if call["action"] == "AssumeRole"]
    assert hops == [f"arn:aws:iam::{DEV}:role/dev-hop", f"arn:aws:iam::{PROD}:role/prod-hop",
                    f"arn:aws:iam::{PROD}:role/prod-admin"]
    # A sibling chain reuses the cached hops it shares.
    world.sts.reset_calls()
    assert hats.run("exec", "prod-hop", "--", "true").returncode == 0
    assert world.sts.count("AssumeRole") == 0


def test_two_roles_behind_one_mfa_code_ask_once(hats, world):
    import pexpect

    hats.add_key()
    first = hats.spawn("exec", "auditor", "--", *WHOAMI)
    first.expect(f"Enter MFA code for {world.serial}: ")
    first.sendline(world.code())
    first.expect("assumed-role/auditor/jan-work")
    first.expect(pexpect.EOF)
    second = hats.spawn("exec", "dev-admin", "--", *WHOAMI)
    index = second.expect(["Enter MFA code", "assumed-role/dev-admin/jan-work"])
    assert index == 1, "asked for a second MFA code"
    second.expect(pexpect.EOF)
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == 2


def test_a_wrong_code_is_refused_plainly_and_nothing_is_cached(hats, world):
    hats.add_key()
    done = hats.run("exec", "auditor", "--mfa-token", world.wrong_code(), "--", "true")
    assert done.returncode == 4
    assert done.stderr == (f"hats: AWS refused the MFA code for {world.serial}: "
                           "MultiFactorAuthentication failed with invalid MFA one time pass code.\n")
    listing = json.loads(hats.run("list", "--json").stdout)
    assert all(row["sessions"] == [] for row in listing)


def test_a_wrong_code_typed_at_the_prompt_can_be_typed_again(hats, world):
    import pexpect

    hats.add_key()
    child = hats.spawn("exec", "auditor", "--", *WHOAMI)
    child.expect("Enter MFA code for ")
    child.sendline("12345")  # the wrong shape: refused before STS sees it
    child.expect("an MFA code is 6 digits")
    child.expect("Enter MFA code for ")
    child.sendline(world.wrong_code())
    child.expect("AWS refused the MFA code")
    child.expect("Enter MFA code for ")
    child.sendline(world.code())
    child.expect("assumed-role/auditor/jan-work")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert world.sts.count("GetSessionToken") == 1


def test_a_role_over_an_hour_is_assumed_from_the_long_term_key(hats, world):
    hats.add_key()
    done = hats.run("exec", "long", "--mfa-token", world.code(), "--", "sh", "-c",
                    'echo "$AWS_CREDENTIAL_EXPIRATION"')
    assert done.returncode == 0, done.stderr
    (call,) = [c for c in world.sts.calls if c["action"] == "AssumeRole"]
    assert call["access_key_id"] == world.key_id and int(call["duration"]) == 7200 and call["serial"] == world.serial
    assert world.sts.count("GetSessionToken") == 0
    from tui.credentials import parse_iso, utcnow

    assert 7000 < (parse_iso(done.stdout.strip()) - utcnow()).total_seconds() <= 7200


def test_a_chained_role_over_an_hour_is_refused_before_calling_aws(hats, world):
    hats.add_key()
    done = hats.run("exec", "prod-long", "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 2
    assert "profile 'prod-long' asks for 7200 s" in done.stderr and "3600 s" in done.stderr
    assert all(call.get("duration") != "7200" for call in world.sts.calls)


def test_a_source_profile_cycle_is_one_line(hats):
    done = hats.run("exec", "loop-a", "--", "true")
    assert (done.returncode, done.stderr) == (2, "hats: source_profile cycle: loop-a -> loop-b -> loop-a\n")


def test_a_session_inside_its_refresh_margin_is_renewed_without_a_new_code(hats, world):
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(f"\n[profile short]\nsource_profile = jan-work\nrole_arn = arn:aws:iam::{DEV}:role/auditor\n"
                     "duration_seconds = 900\n")
    assert hats.run("exec", "short", "--mfa-token", world.code(), "--", "true").returncode == 0
    # The role session has at most 15 minutes left: a 16-minute margin makes it stale,
    # while the four-hour MFA session still covers the renewal (no code given).
    renewed = hats.run("exec", "short", "--", *WHOAMI, env={"HATS_REFRESH_MARGIN": "960"})
    assert caller_arn(renewed).endswith(":assumed-role/auditor/jan-work")
    assert world.sts.count("AssumeRole") == 2 and world.sts.count("GetSessionToken") == 1


def test_renew_renews_the_role_alone_without_a_new_code(hats, world):
    hats.add_key()
    assert hats.run("exec", "prod-admin", "--mfa-token", world.code(), "--", "true").returncode == 0
    world.sts.reset_calls()
    done = hats.run("exec", "prod-admin", "--renew", "--", *WHOAMI)
    assert caller_arn(done).endswith(":assumed-role/prod-admin/jan-prod")
    assert world.sts.count("AssumeRole") == 1 and world.sts.count("GetSessionToken") == 0


def test_the_exit_code_of_the_command_is_hats_exit_code(hats, world):
    hats.add_key()
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "sh", "-c", "exit 7")
    assert done.returncode == 7
    assert hats.run("exec", "auditor", "--", "no-such-command-xyz").returncode == 127


def test_the_child_sees_only_the_roles_credentials(hats, world):
    hats.add_key()
    inherited = {"AWS_SECURITY_TOKEN": "stale", "AWS_PROFILE": "jan-work", "AWS_DEFAULT_PROFILE": "x",
                 "AWS_ACCESS_KEY_ID": "AKIASTALESTALESTALE0"}
    done = hats.run("exec", "dev-admin", "--mfa-token", world.code(), "--", "env", env=inherited)
    env = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert "AWS_SECURITY_TOKEN" not in env and "AWS_PROFILE" not in env and "AWS_DEFAULT_PROFILE" not in env
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-central-1"
    assert (env["HATS_PROFILE"], env["HATS_ACCOUNT"]) == ("dev-admin", DEV)
    assert env["HATS_ROLE_ARN"] == f"arn:aws:iam::{DEV}:role/dev-admin"
    world.secrets.update({env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]})


def test_hats_inside_a_hats_session_resolves_from_the_keyring(hats, world):
    hats.add_key()
    code = world.code()
    inner = f"{' '.join(hats_command())} exec prod-admin --mfa-token {code} -- {' '.join(WHOAMI)}"
    done = hats.run("exec", "auditor", "--mfa-token", code, "--", "sh", "-c", inner)
    assert caller_arn(done) == f"arn:aws:sts::{PROD}:assumed-role/prod-admin/jan-prod"


def hats_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "tui"]


def test_export_json_is_a_credential_process_every_sdk_can_use(hats, world):
    hats.add_key()
    exported = hats.run("export", "auditor", "--format", "json", "--mfa-token", world.code())
    data = json.loads(exported.stdout)
    assert data["Version"] == 1 and data["AccessKeyId"].startswith("ASIA") and data["Expiration"].endswith("Z")
    world.secrets.update({data["SecretAccessKey"], data["SessionToken"]})
    with open(hats.home / ".aws/config", "a") as config:
        config.write(f"\n[profile via-hats]\ncredential_process = {' '.join(hats_command())} export --format json auditor\nregion = eu-west-1\n")
    import subprocess

    done = subprocess.run([*WHOAMI, "--profile", "via-hats"], env=hats.env, capture_output=True, text=True)
    assert caller_arn(done) == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"


def test_export_env_prints_shell_exports(hats, world):
    hats.add_key()
    done = hats.run("export", "dev-admin", "--mfa-token", world.code())
    assert done.returncode == 0, done.stderr
    names = [line.split("=", 1)[0] for line in done.stdout.splitlines()]
    assert {"export AWS_ACCESS_KEY_ID", "export AWS_SESSION_TOKEN", "export AWS_REGION"} <= set(names)


def test_list_shows_chains_keys_and_sessions(hats, world):
    hats.add_key()
    hats.run("exec", "prod-admin", "--mfa-token", world.code(), "--", "true")
    table = hats.run("list").stdout
    assert "jan-work > dev-hop > prod-hop > prod-admin" in table
    assert "! source_profile cycle: loop-a -> loop-b -> loop-a" in table
    rows = {row["profile"]: row for row in json.loads(hats.run("list", "--json").stdout)}
    assert rows["jan-work"]["key"] == "keyring" and rows["prod-admin"]["account"] == PROD
    assert [s["kind"] for s in rows["prod-admin"]["sessions"]] == ["role"]
    assert 3000 < rows["prod-admin"]["sessions"][0]["seconds_left"] <= 3600
    assert [s["kind"] for s in rows["jan-work"]["sessions"]] == ["session"]


def test_clear_and_remove(hats, world):
    hats.add_key()
    hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert hats.run("clear", "auditor").stderr == "Cleared 1 session.\n"
    assert hats.run("exec", "auditor", "--", "true").returncode == 0  # MFA session still cached
    assert hats.run("clear").stderr == "Cleared 2 sessions.\n"
    hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    hats.add_key()  # replacing the key drops every session made with the old one
    rows = json.loads(hats.run("list", "--json").stdout)
    assert all(row["sessions"] == [] for row in rows)
    assert hats.run("remove", "jan-work").returncode == 0
    missing = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert (missing.returncode, missing.stderr) == (
        3, "hats: no key stored for profile 'jan-work': run `hats add jan-work`\n")


def test_a_locked_keyring_is_a_clear_error(hats, world, secret_service):
    hats.add_key()
    secret_service.lock()
    try:
        done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    finally:
        secret_service.unlock()
    assert done.returncode == 3
    assert done.stderr.startswith("hats: the secret-service keyring is locked") and done.stderr.count("\n") == 1


def test_sts_unreachable_is_a_clear_error(hats, world):
    hats.add_key()
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true",
                    env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert done.returncode == 5 and done.stderr.count("\n") == 1
    assert "cannot get an answer from http://127.0.0.1:9" in done.stderr


def test_no_terminal_and_no_token_is_a_clear_error(hats, world):
    hats.add_key()
    done = hats.run("exec", "auditor", "--", "true")
    assert done.returncode != 0 and "cannot prompt without a terminal" in done.stderr
    assert world.sts.count("GetSessionToken") == 0


def test_mfa_process_supplies_the_code(hats, world):
    hats.add_key()
    script = hats.home / "code.py"
    script.write_text(f"import pyotp\nprint(pyotp.TOTP({world.totp_secret!r}).now())\n")
    import sys

    with open(hats.home / ".aws/config", "a") as config:
        config.write(f"\n[profile yubi]\nsource_profile = jan-work\nrole_arn = arn:aws:iam::{DEV}:role/auditor\n"
                     f"mfa_serial = {world.serial}\nmfa_process = {sys.executable} {script}\n")
    assert caller_arn(hats.run("exec", "yubi", "--", *WHOAMI)).endswith("assumed-role/auditor/jan-work")


def test_concurrent_execs_on_a_cold_cache_share_one_mfa_session(hats, world):
    hats.add_key()
    code = world.code()
    roles = ["auditor", "dev-admin", "dev-hop", "auditor", "dev-admin", "dev-hop"]
    with ThreadPoolExecutor(len(roles)) as pool:
        results = list(pool.map(lambda role: hats.run("exec", role, "--mfa-token", code, "--", *WHOAMI), roles))
    assert all(done.returncode == 0 for done in results), [done.stderr for done in results]
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == 3


def test_cached_exec_imports_neither_boto3_textual_nor_a_keyring_library(hats, world):
    hats.add_key()
    hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", "exec", "auditor", "--", "true"],
                          env=hats.env, capture_output=True, text=True, start_new_session=True)
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "tui.child.environment" in imported
    # nor keyring, secretstorage or cryptography: one item read with three D-Bus calls costs a
    # quarter of what those imports do; nor dataclasses (with inspect, a sixth of the whole run)
    heavy = ("boto3", "botocore", "textual", "keyring", "secretstorage", "cryptography", "dataclasses", "inspect")
    assert not {name for name in imported if name.split(".")[0] in heavy}


def test_a_served_fifteen_minute_session_is_not_renewed_as_soon_as_it_is_made(hats, world):
    """The credential server's renewal margin (15 min) is capped below the shortest session, so a
    900 s role behind a 900 s MFA session is served as made, not renewed (with no code to ask)."""
    hats.add_key()
    config = hats.home / ".aws/config"
    config.write_text(config.read_text() + f"\n[profile short]\nsource_profile = jan-work\n"
                      f"role_arn = arn:aws:iam::{DEV}:role/auditor\nduration_seconds = 900\n")
    done = hats.run("exec", "short", "--server", "--mfa-token", world.code(), "--", *WHOAMI,
                    env={"HATS_SESSION_DURATION": "900"})
    assert caller_arn(done) == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == 1

"""The keyring backends and STS endpoints a user chooses, honoured as promised."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from tests.conftest import DEV, make_hats

WHOAMI = ("aws", "sts", "get-caller-identity", "--output", "json")
FILE_BACKEND = {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": "correct horse battery staple"}


def test_encrypted_file_is_private_and_refuses_a_wrong_passphrase(tmp_path, world):
    hats = make_hats(tmp_path, world, FILE_BACKEND)
    hats.add_key()
    vault = hats.home / ".local/share/hats/vault.json"
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.parent.stat().st_mode) == 0o700
    assert world.secret.encode() not in vault.read_bytes()
    before = vault.read_bytes()
    assert hats.run("lock").returncode == 0  # else the key kept unlocked since `add` opens it
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true",
                    env={"HATS_FILE_PASSPHRASE": "wrong"})
    assert (done.returncode, done.stderr) == (3, f"hats: wrong passphrase for the encrypted keyring {vault}\n")
    assert vault.read_bytes() == before


def test_a_damaged_encrypted_file_is_named_and_left_alone(tmp_path, world):
    hats = make_hats(tmp_path, world, FILE_BACKEND)
    vault = hats.home / ".local/share/hats/vault.json"
    vault.parent.mkdir(parents=True)
    vault.write_text("{not json")
    done = hats.run("add", "jan-work", "--env",
                    env={"AWS_ACCESS_KEY_ID": world.key_id, "AWS_SECRET_ACCESS_KEY": world.secret})
    assert (done.returncode, done.stderr) == (3, f"hats: {vault} is not a hats encrypted keyring\n")
    assert vault.read_text() == "{not json"


def test_an_unknown_backend_is_named(hats):
    done = hats.run("--backend", "plaintext", "list")
    assert (done.returncode, done.stderr) == (
        2, "hats: --backend 'plaintext' is not a keyring backend: choose one of secret-service, macos, windows, file\n")


def test_sts_endpoint_from_aws_endpoint_url_sts(hats, world):
    hats.add_key()
    env = {"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_STS": world.sts.url}
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "env", env=env)
    assert done.returncode == 0, done.stderr
    assert world.sts.count("AssumeRole") == 1


def test_sts_endpoint_from_the_profiles_services_section(hats, world):
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(f"\n[profile local-auditor]\nsource_profile = jan-work\n"
                     f"role_arn = arn:aws:iam::{DEV}:role/auditor\nservices = local\n\n"
                     f"[services local]\nsts =\n  endpoint_url = {world.sts.url}\n")
    done = hats.run("exec", "local-auditor", "--mfa-token", world.code(), "--", "true",
                    env={"AWS_ENDPOINT_URL": ""})
    assert done.returncode == 0, done.stderr
    assert world.sts.count("AssumeRole") == 1 and world.sts.count("GetSessionToken") == 1


def test_add_reads_the_secret_without_echo(hats, world):
    import pexpect

    import io

    child = hats.spawn("add", "jan-work")
    child.logfile_read = screen = io.StringIO()
    child.expect("Enter Access Key ID: ")
    child.sendline(world.key_id)
    child.expect("Enter Secret Access Key: ")
    child.sendline(world.secret)
    child.expect(f"Stored the key {world.key_id} for 'jan-work'")
    child.expect(pexpect.EOF)
    assert world.key_id in screen.getvalue() and world.secret not in screen.getvalue()
    rows = {row["profile"]: row for row in json.loads(hats.run("list", "--json").stdout)}
    assert rows["jan-work"]["key"] == "keyring"


def test_a_role_cannot_be_given_a_key(hats, world):
    done = hats.run("add", "auditor", "--env",
                    env={"AWS_ACCESS_KEY_ID": world.key_id, "AWS_SECRET_ACCESS_KEY": world.secret})
    assert done.returncode == 1 and "is a role" in done.stderr


def test_exec_without_a_command_starts_the_users_shell(hats, world):
    import pexpect

    hats.add_key()
    hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    child = hats.spawn("exec", "auditor")
    child.sendline('echo "in $HATS_PROFILE"; exit 3')
    child.expect("in auditor")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3


def test_a_key_only_in_the_credentials_file_is_used_with_a_hint(hats, world):
    (hats.home / ".aws/credentials").write_text(
        f"[jan-work]\naws_access_key_id = {world.key_id}\naws_secret_access_key = {world.secret}\n")
    try:
        done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", *WHOAMI)
    finally:  # the secret scan at the end must find no plaintext key but the ones hats wrote
        os.remove(hats.home / ".aws/credentials")
    assert done.returncode == 0, done.stderr
    assert "move it into the keyring with `hats add jan-work`" in done.stderr


NO_PASSPHRASE = {"HATS_FILE_PASSPHRASE": ""}  # and no terminal: a run that needs it fails


def asked_for_the_passphrase(hats, done) -> bool:
    vault = hats.home / ".local/share/hats/vault.json"
    return (done.returncode, done.stderr) == (
        1, f"hats: cannot prompt without a terminal: Passphrase for the encrypted keyring {vault}\n")


def test_the_encrypted_file_stays_unlocked_between_runs_until_hats_lock(tmp_path, world):
    hats = make_hats(tmp_path, world, FILE_BACKEND)
    hats.add_key()
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", *WHOAMI, env=NO_PASSPHRASE)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"].endswith(":assumed-role/auditor/jan-work")
    locked = hats.run("lock", env=NO_PASSPHRASE)
    assert (locked.returncode, locked.stderr) == (
        0, f"Locked {hats.home}/.local/share/hats/vault.json: the next run asks for its passphrase.\n")
    done = hats.run("exec", "auditor", "--", "true", env=NO_PASSPHRASE)
    assert asked_for_the_passphrase(hats, done), done.stderr
    assert hats.run("exec", "auditor", "--", "true").returncode == 0  # the passphrase unlocks it again


def test_with_no_unlocked_time_every_run_needs_the_passphrase(tmp_path, world):
    hats = make_hats(tmp_path, world, {**FILE_BACKEND, "HATS_FILE_UNLOCKED_SECONDS": "0"})
    hats.add_key()
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true", env=NO_PASSPHRASE)
    assert asked_for_the_passphrase(hats, done), done.stderr
    assert hats.run("lock").stderr == "Nothing was kept unlocked.\n"


def test_another_login_session_cannot_use_the_unlocked_key(tmp_path, world):
    hats = make_hats(tmp_path, world, FILE_BACKEND)
    hats.add_key()
    assert hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true").returncode == 0
    elsewhere = ("import os, sys; from tui.store import kernel_keyring; kernel_keyring.join_new_session(); "
                 "os.execv(sys.executable, [sys.executable, '-m', 'tui', *sys.argv[1:]])")
    done = subprocess.run([sys.executable, "-c", elsewhere, "exec", "auditor", "--", "true"],
                          env={**hats.env, **NO_PASSPHRASE}, capture_output=True, text=True,
                          start_new_session=True, stdin=subprocess.DEVNULL)
    assert asked_for_the_passphrase(hats, done), done.stderr


def test_a_key_kept_for_a_replaced_file_is_not_used(tmp_path, world):
    hats = make_hats(tmp_path, world, FILE_BACKEND)
    hats.add_key()
    vault = hats.home / ".local/share/hats/vault.json"
    vault.unlink()  # another file in its place, under another passphrase
    other = {"HATS_FILE_PASSPHRASE": "another passphrase"}
    done = hats.run("add", "jan-work", "--env", env={**other, "AWS_ACCESS_KEY_ID": world.key_id,
                                                     "AWS_SECRET_ACCESS_KEY": world.secret})
    assert done.returncode == 0, done.stderr
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true", env=NO_PASSPHRASE)
    assert done.returncode == 0, done.stderr  # the new file's key, kept when it was made
    assert hats.run("exec", "auditor", "--", "true", env={"HATS_FILE_PASSPHRASE": "wrong"}).returncode == 0

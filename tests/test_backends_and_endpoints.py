"""The keyring backends and STS endpoints a user chooses, honoured as promised."""

from __future__ import annotations

import json
import os
import stat

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
        3, "hats: unknown keyring backend 'plaintext': choose one of secret-service, macos, windows, file\n")


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

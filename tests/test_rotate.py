"""`hats rotate`: a base profile's key replaced in IAM and the keyring, against the local STS and IAM.

Each test rotates a user of its own, so the session's jan-work keeps the key the other tests use.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from tests.conftest import DEV, IDENTITY, Hats, hats_env

WHOAMI = ("aws", "sts", "get-caller-identity", "--output", "json")


@dataclass
class Rotator:
    """An IAM user of one test's own: its profile, its role profile, its key and MFA device."""

    hats: Hats
    name: str
    key_id: str
    secret: str
    serial: str | None

    @property
    def role(self) -> str:
        return f"{self.name}-auditor"

    def code(self) -> str:
        assert self.serial
        return self.hats.world.sts.totp(self.serial)

    def keys_in_iam(self) -> list[str]:
        return self.hats.world.sts.access_keys(IDENTITY, self.name)

    def rotate(self, *extra: str):
        return self.hats.run("rotate", self.name, *extra)


def make_rotator(tmp_path, world, backend_env, mfa: bool = True, serial_in_config: bool = True) -> Rotator:
    world.sts.reset_calls()
    name = f"rot-{uuid.uuid4().hex[:8]}"
    key_id, secret = world.sts.create_user(IDENTITY, name)
    world.secrets.add(secret)
    serial = None
    if mfa:
        serial = world.sts.create_mfa_device(IDENTITY, name, name)[0]
        world.sts.require_mfa_for_iam(IDENTITY, name)
    device = f"mfa_serial = {serial}\n" if serial and serial_in_config else ""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / "tmp").mkdir()
    (home / ".aws/config").write_text(
        f"[profile {name}]\nregion = eu-west-1\n{device}\n"
        f"[profile {name}-auditor]\nsource_profile = {name}\nrole_arn = arn:aws:iam::{DEV}:role/auditor\n"
        f"{device}")
    hats = Hats(home, hats_env(home, world, backend_env), world)
    added = hats.run("add", name, "--env", env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret})
    assert added.returncode == 0, added.stderr
    return Rotator(hats, name, key_id, secret, serial)


@pytest.fixture
def rotator(tmp_path, world, secret_service_env) -> Rotator:
    return make_rotator(tmp_path, world, secret_service_env)


@pytest.fixture
def slow_iam(world):
    """New keys refused by STS for a moment after CreateAccessKey, as AWS's IAM propagates."""
    world.sts.key_delay = 1.5
    yield
    world.sts.key_delay = 0.0


def refused_by_sts(world, key_id: str, secret: str) -> str | None:
    """The error code STS answers GetCallerIdentity with for this key, or None if it works."""
    import boto3
    from botocore.exceptions import ClientError

    sts = boto3.client("sts", endpoint_url=world.sts.url, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    try:
        sts.get_caller_identity()
    except ClientError as refused:
        return refused.response["Error"]["Code"]
    return None


def sessions_of(rotator: Rotator) -> dict[str, list]:
    done = rotator.hats.run("list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["profile"]: row["sessions"] for row in json.loads(done.stdout)}


def test_rotation_makes_a_new_key_deletes_the_old_and_drops_its_sessions(rotator, world, slow_iam):
    primed = rotator.hats.run("exec", rotator.role, "--mfa-token", rotator.code(), "--", *WHOAMI)
    assert primed.returncode == 0, primed.stderr
    assert sessions_of(rotator)[rotator.role] and sessions_of(rotator)[rotator.name]

    done = rotator.rotate("--mfa-token", rotator.code())

    assert done.returncode == 0, done.stderr
    [new_key] = rotator.keys_in_iam()  # one access key, and not the old one
    assert new_key != rotator.key_id
    assert done.stderr == (f"Rotated the key of '{rotator.name}' (IAM user {rotator.name}): the new key {new_key} "
                           f"is stored and works; the old key {rotator.key_id} is deleted and its sessions are "
                           "dropped.\n")
    assert refused_by_sts(world, rotator.key_id, rotator.secret) == "InvalidClientTokenId"
    assert sessions_of(rotator) == {rotator.name: [], rotator.role: []}
    # The stored key is the new one: the real aws CLI, through a new MFA session, lists it.
    listed = rotator.hats.run("exec", rotator.name, "--mfa-token", rotator.code(), "--",
                              "aws", "iam", "list-access-keys", "--user-name", rotator.name, "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert [key["AccessKeyId"] for key in json.loads(listed.stdout)["AccessKeyMetadata"]] == [new_key]
    role = rotator.hats.run("exec", rotator.role, "--mfa-token", rotator.code(), "--", *WHOAMI)
    assert json.loads(role.stdout)["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/auditor/{rotator.name}"
    world.secrets.update(world.sts.created_secrets)
    for secret in (rotator.secret, *world.sts.created_secrets):
        assert secret not in done.stdout + done.stderr + listed.stderr + role.stderr


def test_a_user_without_an_mfa_device_rotates_with_the_key_itself(tmp_path, world, backend_env):
    rotator = make_rotator(tmp_path, world, backend_env, mfa=False)
    done = rotator.rotate()
    assert done.returncode == 0, done.stderr
    [new_key] = rotator.keys_in_iam()
    assert new_key != rotator.key_id and new_key in done.stderr
    assert refused_by_sts(world, rotator.key_id, rotator.secret) == "InvalidClientTokenId"
    whoami = rotator.hats.run("exec", rotator.name, "--", *WHOAMI)
    assert json.loads(whoami.stdout)["Arn"] == f"arn:aws:iam::{IDENTITY}:user/{rotator.name}"
    world.secrets.update(world.sts.created_secrets)


def test_a_user_at_iams_limit_of_two_keys_keeps_its_working_key(rotator, world):
    second, secret = world.sts.create_access_key(IDENTITY, rotator.name)
    world.secrets.add(secret)

    done = rotator.rotate("--mfa-token", rotator.code())

    assert done.returncode == 5
    assert done.stderr == (f"hats: CreateAccessKey for IAM user '{rotator.name}' refused: LimitExceeded: Cannot "
                           "exceed quota for AccessKeysPerUser: 2; the key "
                           f"{rotator.key_id} is still stored and unchanged\n")
    assert sorted(rotator.keys_in_iam()) == sorted([rotator.key_id, second])
    whoami = rotator.hats.run("exec", rotator.name, "--mfa-token", rotator.code(), "--", *WHOAMI)
    assert json.loads(whoami.stdout)["Arn"] == f"arn:aws:iam::{IDENTITY}:user/{rotator.name}"


def test_iam_refusing_a_key_without_mfa_changes_nothing(tmp_path, world, secret_service_env):
    """The user's policy demands MFA for IAM, but its profile names no device: no MFA session to call with."""
    rotator = make_rotator(tmp_path, world, secret_service_env, serial_in_config=False)
    done = rotator.rotate()
    assert done.returncode == 5
    assert done.stderr == (f"hats: CreateAccessKey for IAM user '{rotator.name}' refused: AccessDenied: User: "
                           f"arn:aws:iam::{IDENTITY}:user/{rotator.name} is not authorized to perform: "
                           f"iam:CreateAccessKey with an explicit deny; the key {rotator.key_id} is still stored "
                           "and unchanged\n")
    assert rotator.keys_in_iam() == [rotator.key_id]


def test_only_a_base_profile_with_a_keyring_key_can_be_rotated(rotator):
    hats = rotator.hats
    with (hats.home / ".aws/config").open("a") as config:
        config.write("\n[profile from-file]\nregion = eu-west-1\n\n[profile by-process]\ncredential_process = true\n")
    (hats.home / ".aws/credentials").write_text(
        "[from-file]\naws_access_key_id = AKIAFILEKEY000000000\naws_secret_access_key = not-a-real-secret-value\n")
    answers = {
        rotator.role: f"hats: profile '{rotator.role}' is a role (role_arn): rotate the key of its base profile "
                      f"'{rotator.name}'\n",
        "by-process": "hats: profile 'by-process' gets its credentials from credential_process, not from a "
                      "long-term key: there is no key to rotate\n",
        "from-file": f"hats: the key of profile 'from-file' is in {hats.home / '.aws/credentials'}, not in hats' "
                     "keyring: `hats add from-file` stores it there, then it can be rotated\n",
        "nobody": "hats: no key stored for profile 'nobody': run `hats add nobody`\n",
    }
    for profile, line in answers.items():
        done = hats.run("rotate", profile)
        assert (done.returncode != 0, done.stderr) == (True, line)
    assert rotator.keys_in_iam() == [rotator.key_id]


def test_a_new_key_that_never_works_puts_the_old_one_back(rotator, world, monkeypatch):
    """IAM's change never reaches STS within the bound: the old key is stored again, the new one deleted."""
    from tui.engine import Engine
    from tui.mfa import FixedToken
    from tui.profiles import load
    from tui.rotate import RotationError, rotate
    from tui.store.backends import open_vault

    for name, value in rotator.hats.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(world.sts, "key_delay", 3600.0)
    engine = Engine(load(), open_vault(None), FixedToken(rotator.code()))

    with pytest.raises(RotationError) as failed:
        rotate(engine, rotator.name, verify_seconds=0.5, sleep=lambda _: None)

    [new_key] = [call["access_key_id"] for call in world.sts.calls
                 if call["action"] == "GetCallerIdentity" and call["error_code"] == "InvalidClientTokenId"]
    assert str(failed.value) == (f"the new key {new_key} did not work within 0.5 s (GetCallerIdentity for profile "
                                 f"'{rotator.name}' refused: InvalidClientTokenId: The security token included in "
                                 f"the request is invalid.); the old key {rotator.key_id} is stored again and "
                                 "still works; the new key was deleted from IAM")
    assert engine.vault.require_key(rotator.name).access_key_id == rotator.key_id
    assert rotator.keys_in_iam() == [rotator.key_id]
    assert refused_by_sts(world, rotator.key_id, rotator.secret) is None
    world.secrets.update(world.sts.created_secrets)


async def test_the_app_rotates_a_base_users_key_after_asking(rotator, monkeypatch):
    from tests.test_tui import SIZE, highlight, make_app, settle, status_text, type_code
    from tui.screens.mfa import MfaScreen
    from tui.screens.prompts import ConfirmScreen

    for name, value in rotator.hats.env.items():
        monkeypatch.setenv(name, value)
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, rotator.role)  # a role: its base user's key is the one rotated
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert rotator.keys_in_iam() == [rotator.key_id]  # no: nothing done
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(100):
            if isinstance(app.screen, MfaScreen):
                break
            await pilot.pause(0.05)
        await type_code(pilot, rotator.code())
        await settle(pilot, app)
        new_keys = rotator.keys_in_iam()
        assert len(new_keys) == 1 and new_keys != [rotator.key_id]
        assert status_text(app) == (f"Rotated the key of {rotator.name}: {new_keys[0]} is stored and works, "
                                    f"{rotator.key_id} is deleted.")
        assert rotator.secret not in app.export_screenshot()

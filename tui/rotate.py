"""`hats rotate PROFILE`: a base profile's access key replaced by a new one, as aws-vault rotates.

With the current key (through the profile's MFA session when it names a device, since IAM
policies commonly deny IAM calls without MFA): CreateAccessKey for the IAM user, the new key
stored in the keyring at once (IAM never shows its secret again), GetCallerIdentity with it
until IAM's change has reached STS, DeleteAccessKey of the old one, and every session made
from the old key dropped. A failure at any step leaves a working key in the keyring and says
which key exists where. No secret is ever printed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .chains import BaseKind, base_kind
from .credentials import Credentials
from .display import printable
from .errors import HatsError, NoKeyError, StsError, VaultError

if TYPE_CHECKING:
    from .engine import Engine

VERIFY_SECONDS = 60.0  # IAM's changes usually reach STS within seconds; past this the new key is given up
FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 8.0


class RotationError(HatsError):
    """A rotation stopped part way; its message says which key is stored and which exist in IAM."""

    exit_code = 5


@dataclass(frozen=True)
class Rotated:
    profile: str
    user: str  # the IAM user's name
    old_key_id: str
    new_key_id: str


@dataclass(frozen=True)
class _Rotation:
    """What every step after CreateAccessKey needs to know, to act and to say where each key is."""

    engine: Engine
    profile: str
    user: str
    caller: Credentials  # the MFA session, else the old key: what IAM was called with
    old: Credentials

    def delete_hint(self, key_id: str) -> str:
        return (f"`hats exec {printable(self.profile)} -- aws iam delete-access-key "
                f"--user-name {printable(self.user)} --access-key-id {key_id}`")


def rotate(engine: Engine, profile: str, verify_seconds: float = VERIFY_SECONDS,
           sleep: Callable[[float], None] = time.sleep) -> Rotated:
    """Replace the keyring key of `profile`; prints nothing. Raises a HatsError saying where the keys are."""
    from . import iam, sts

    old = rotatable_key(engine, profile)
    caller = _caller(engine, profile, old)
    user = user_name(profile, sts.get_caller_identity(caller, profile))
    try:
        new = iam.create_access_key(caller, profile, user)
    except HatsError as failed:
        raise RotationError(f"{failed}; the key {old.access_key_id} is still stored and unchanged") from None
    rotation = _Rotation(engine, profile, user, caller, old)
    _store(rotation, new)
    _verify(rotation, new, verify_seconds, sleep)
    # A session can call IAM where the new key, without MFA, may not; a plain old key deletes itself worse.
    deleter = caller if caller.session_token else new
    try:
        iam.delete_access_key(deleter, profile, user, old.access_key_id)
    except HatsError as failed:
        raise RotationError(f"the new key {new.access_key_id} is stored and works; the old key "
                            f"{old.access_key_id} still exists in IAM ({failed}): delete it with "
                            f"{rotation.delete_hint(old.access_key_id)}") from None
    engine.vault.clear_sessions([profile])  # set_key dropped them; this drops any made meanwhile
    return Rotated(profile, user, old.access_key_id, new.access_key_id)


def rotatable_key(engine: Engine, profile: str) -> Credentials:
    """The keyring key of a base profile; anything else is one line saying why it cannot be rotated."""
    name = printable(profile)
    found = engine.profiles.profiles.get(profile)
    if found is not None:
        chain = engine.profiles.chain(profile)
        if len(chain) > 1:
            raise HatsError(f"profile '{name}' is a role (role_arn): rotate the key of its base profile "
                            f"'{printable(chain[0].name)}'")
        kind = base_kind(chain)
        if kind is not BaseKind.KEY:
            raise HatsError(f"profile '{name}' gets its credentials from {kind.value}, not from a long-term "
                            "key: there is no key to rotate")
    key = engine.vault.get_key(profile)
    if key is None and found is not None and found.has_file_keys:
        raise HatsError(f"the key of profile '{name}' is in {found.key_file}, not in hats' keyring: "
                        f"`hats add {name}` stores it there, then it can be rotated")
    if key is None:
        raise NoKeyError(f"no key stored for profile '{name}': run `hats add {name}`")
    return key


def user_name(profile: str, arn: str) -> str:
    """The IAM user's name from its ARN (arn:aws:iam::ACCOUNT:user/PATH/NAME)."""
    resource = arn.split(":", 5)[-1]
    if not resource.startswith("user/"):
        raise HatsError(f"the key of profile '{printable(profile)}' belongs to {printable(arn)}, not to an IAM "
                        "user: hats rotates IAM users' keys only")
    return resource.rsplit("/", 1)[-1]


def _caller(engine: Engine, profile: str, key: Credentials) -> Credentials:
    """The profile's MFA session when it names a device (the engine's, reused while fresh), else the key."""
    found = engine.profiles.profiles.get(profile)
    if found is None or not engine.profiles.mfa_serial_for([found]):
        return key
    return engine.credentials(profile).credentials


def _store(rotation: _Rotation, new: Credentials) -> None:
    """The new key into the keyring, dropping the old key's sessions; if the keyring refuses, undone in IAM."""
    try:
        rotation.engine.vault.set_key(rotation.profile, new)
    except VaultError as failed:
        where = _deleted_from_iam(rotation, new.access_key_id)
        raise RotationError(f"the new key {new.access_key_id} could not be stored ({failed}); {where}; the old "
                            f"key {rotation.old.access_key_id} is still stored and works") from None


def _verify(rotation: _Rotation, new: Credentials, seconds: float, sleep: Callable[[float], None]) -> None:
    """GetCallerIdentity with the new key, waiting longer each time, until it works or `seconds` are up.

    If it never does, the old key (which still works) goes back into the keyring.
    """
    from . import sts

    deadline, wait = time.monotonic() + seconds, FIRST_WAIT_SECONDS
    while True:
        try:
            sts.get_caller_identity(new, rotation.profile)
            return
        except StsError as refused:
            if time.monotonic() + wait > deadline:
                raise RotationError(_given_up(rotation, new, seconds, refused)) from None
        sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT_SECONDS)


def _given_up(rotation: _Rotation, new: Credentials, seconds: float, refused: StsError) -> str:
    old_id = rotation.old.access_key_id
    try:
        rotation.engine.vault.set_key(rotation.profile, rotation.old)
    except VaultError as failed:
        return (f"the new key {new.access_key_id} is stored but did not work within {seconds:g} s ({refused}); "
                f"putting the old key {old_id} back failed ({failed}); both exist in IAM")
    return (f"the new key {new.access_key_id} did not work within {seconds:g} s ({refused}); the old key "
            f"{old_id} is stored again and still works; {_deleted_from_iam(rotation, new.access_key_id)}")


def _deleted_from_iam(rotation: _Rotation, key_id: str) -> str:
    """Delete a key this rotation made and gave up on; what became of it, as a clause."""
    from . import iam

    try:
        iam.delete_access_key(rotation.caller, rotation.profile, rotation.user, key_id)
    except HatsError:
        return f"the new key still exists in IAM: delete it with {rotation.delete_hint(key_id)}"
    return "the new key was deleted from IAM"


def add_parser(commands) -> None:
    rotate_parser = commands.add_parser("rotate", help="replace a profile's access key with a new one (IAM), "
                                                       "delete the old one and its sessions")
    rotate_parser.add_argument("profile")
    rotate_parser.add_argument("--mfa-token", metavar="CODE", help="the current MFA code, instead of a prompt")
    rotate_parser.set_defaults(handler=cmd_rotate)


def cmd_rotate(args) -> int:
    import sys

    from .commands import _engine

    done = rotate(_engine(args), args.profile)
    print(f"Rotated the key of '{printable(done.profile)}' (IAM user {printable(done.user)}): the new key "
          f"{done.new_key_id} is stored and works; the old key {done.old_key_id} is deleted and its sessions "
          "are dropped.", file=sys.stderr)
    return 0

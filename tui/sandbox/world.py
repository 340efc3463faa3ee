"""One world builder for the demo, the tests and bench/: an organisation described once, made
in a LocalSTS and written out as the AWS config that uses it.

    spec = Spec(accounts=(Account(IDENTITY), Account(DEV)),
                users=(User("jan-work", IDENTITY, settings={"region": "eu-west-1"}),),
                roles=(Role("auditor", DEV, source="jan-work", require_mfa=True),))
    world = build_world(sts, spec)
    world.config_text(), world.key_id, world.serial, world.code()

Each user and role is also a profile of the same name. A role's trust policy names the account
of the profile it is assumed from, unless `trusts` names another.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .localsts import LocalSTS

TOTP_STEP = 30


@dataclass(frozen=True)
class Account:
    id: str
    alias: str = ""                 # hats_account_alias on every profile in the account, when set
    buckets: tuple[str, ...] = ()   # S3 buckets, so that `aws s3 ls` tells the accounts apart


@dataclass(frozen=True)
class User:
    """An IAM user with long-term keys and, with `mfa`, a virtual MFA device of its name."""
    name: str
    account: str
    mfa: bool = True
    settings: dict[str, str] = field(default_factory=dict)  # more lines of its profile, in order
    comment: str = ""               # comment lines above its profile, each ending in a newline


@dataclass(frozen=True)
class Role:
    name: str
    account: str
    source: str                     # the profile it is assumed from: a user's or another role's
    require_mfa: bool = False       # aws:MultiFactorAuthPresent in the trust policy
    max_session_duration: int = 3600
    trusts: str = ""                # the account the trust policy names; default: the source's
    mfa_serial: bool = False        # the profile names the user's device too (the AWS CLI looks there)
    settings: dict[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True)
class Spec:
    accounts: tuple[Account, ...]
    users: tuple[User, ...]
    roles: tuple[Role, ...] = ()
    header: str = ""                # comment lines at the top of the config
    extra_config: str = ""          # appended as it is: profiles no identity stands behind

    def account(self, account_id: str) -> Account:
        return next((a for a in self.accounts if a.id == account_id), Account(account_id))

    def account_of(self, profile: str) -> str:
        """The account of a user's or role's profile."""
        entries: list[User | Role] = [*self.users, *self.roles]
        for entry in entries:
            if entry.name == profile:
                return entry.account
        raise ValueError(f"the world has no user or role named {profile!r}")

    def user_behind(self, profile: str) -> User:
        """The user whose keys a chain of roles from `profile` starts from."""
        roles = {role.name: role for role in self.roles}
        seen: set[str] = set()
        while profile in roles and profile not in seen:
            seen.add(profile)
            profile = roles[profile].source
        return next(user for user in self.users if user.name == profile)


@dataclass
class World:
    """A Spec made in a LocalSTS: the keys and MFA devices it handed out, by user name."""
    sts: LocalSTS
    spec: Spec = field(repr=False)
    keys: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)     # (key id, secret)
    devices: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # (serial, TOTP seed)
    # The secret access keys handed out: what must stay in a keyring. A caller can add those it sees.
    secrets: set[str] = field(default_factory=set, repr=False)

    # -- the first user's, which is all the demo, the tests and bench/ have -----------------
    @property
    def user(self) -> str:
        return self.spec.users[0].name

    @property
    def key_id(self) -> str:
        return self.keys[self.user][0]

    @property
    def secret(self) -> str:
        return self.keys[self.user][1]

    @property
    def serial(self) -> str:
        return self.devices[self.user][0]

    @property
    def totp_secret(self) -> str:
        return self.devices[self.user][1]

    def code(self, at: float | None = None) -> str:
        """The device's code now (or at `at`), a real TOTP the local STS checks."""
        return self.sts.totp(self.serial, at)

    def wrong_code(self) -> str:
        """Six digits the device shows neither now nor one step either side."""
        now = time.time()
        valid = {self.code(at) for at in (now - TOTP_STEP, now, now + TOTP_STEP)}
        return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in valid)

    def config_text(self) -> str:
        return config_text(self.spec, {user: serial for user, (serial, _) in self.devices.items()})


def config_text(spec: Spec, serials: dict[str, str]) -> str:
    """The AWS config of the spec's profiles; `serials` are the users' MFA devices, by user name."""
    sections = [_user_section(spec, user, serials) for user in spec.users]
    sections += [_role_section(spec, role, serials) for role in spec.roles]
    text = "\n".join(sections)
    if spec.header:
        text = spec.header + "\n" + text
    return text + ("\n" + spec.extra_config if spec.extra_config else "")


def _user_section(spec: Spec, user: User, serials: dict[str, str]) -> str:
    lines = {"mfa_serial": serials[user.name]} if user.name in serials else {}
    return _section(spec, user.name, user.account, user.comment, {**lines, **user.settings})


def _role_section(spec: Spec, role: Role, serials: dict[str, str]) -> str:
    lines = {"source_profile": role.source, "role_arn": f"arn:aws:iam::{role.account}:role/{role.name}"}
    if role.mfa_serial:
        lines["mfa_serial"] = serials[spec.user_behind(role.name).name]
    return _section(spec, role.name, role.account, role.comment, {**lines, **role.settings})


def _section(spec: Spec, name: str, account_id: str, comment: str, lines: dict[str, str]) -> str:
    alias = spec.account(account_id).alias
    if alias:
        lines = {**lines, "hats_account_alias": alias}
    body = "".join(f"{key} = {value}\n" for key, value in lines.items())
    return f"{comment}[profile {name}]\n{body}"


def build_world(sts: LocalSTS, spec: Spec, secrets: set[str] | None = None) -> World:
    """Users (and their devices), then roles, then buckets, in the order the spec lists them.

    `secrets` collects the secret access keys handed out (default: a new set, world.secrets).
    """
    world = World(sts, spec, secrets=set() if secrets is None else secrets)
    for user in spec.users:
        world.keys[user.name] = sts.create_user(user.account, user.name)
        world.secrets.add(world.keys[user.name][1])
        if user.mfa:
            world.devices[user.name] = sts.create_mfa_device(user.account, user.name, user.name)
    for role in spec.roles:
        trusted = role.trusts or spec.account_of(role.source)
        sts.create_role(role.account, role.name, trusted, require_mfa=role.require_mfa,
                        max_session_duration=role.max_session_duration)
    for account in spec.accounts:
        for bucket in account.buckets:
            sts.create_bucket(account.id, bucket)
    return world

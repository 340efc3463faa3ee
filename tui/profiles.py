"""The AWS config and credentials files, read into a graph of profiles.

The files are read the way botocore reads them (RawConfigParser, `[profile x]`
in the config file, `[x]` in the credentials file, indented sub-sections), so a
profile means here what it means to the AWS CLI. Problems with the file as a
whole raise ConfigError; problems with one profile (a cycle, a missing source,
a malformed ARN) are kept on the profile and raised when its chain is asked
for, so one broken profile never hides the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import inifile
from .errors import ConfigError

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
MFA_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):mfa/[\w+=,.@/-]{1,512}$")
HARDWARE_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")
CHAIN_LIMIT_SECONDS = 3600
MIN_DURATION, MAX_DURATION = 900, 43200
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


def config_path() -> Path:
    return Path(os.path.expanduser(os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")))


def credentials_path() -> Path:
    default = "~/.aws/credentials"
    return Path(os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", default)))


@dataclass(frozen=True)
class Profile:
    """One profile, with the settings hats acts on."""

    name: str
    role_arn: str | None = None
    source_profile: str | None = None
    mfa_serial: str | None = None
    external_id: str | None = None
    role_session_name: str | None = None
    duration_seconds: int | None = None
    region: str | None = None
    credential_source: str | None = None
    credential_process: str | None = None
    mfa_process: str | None = None
    color: str | None = None
    account_alias: str | None = None
    has_file_keys: bool = False
    problem: str | None = None
    settings: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_role(self) -> bool:
        return self.role_arn is not None

    @property
    def account_id(self) -> str | None:
        for pattern, value in ((ROLE_ARN, self.role_arn), (MFA_ARN, self.mfa_serial)):
            match = pattern.match(value or "")
            if match:
                return match.group(1)
        return None

    @property
    def role_name(self) -> str | None:
        return self.role_arn.split(":role/", 1)[1] if self.role_arn and ":role/" in self.role_arn else None


class ProfileSet:
    """All profiles, by name, and the chains that lead to them."""

    def __init__(self, profiles: Mapping[str, Profile]):
        self.profiles = profiles

    def __contains__(self, name: str) -> bool:
        return name in self.profiles

    def __iter__(self):
        return iter(self.profiles.values())

    def __len__(self) -> int:
        return len(self.profiles)

    def get(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(f"profile '{name}' is not in {config_path()}") from None

    def chain(self, name: str) -> list[Profile]:
        """The hops from the base user (first) to `name` (last).

        The first element holds the long-term keys; every later one is a role
        assumed with the credentials of the one before it.
        """
        hops: list[Profile] = []
        seen: list[str] = []
        current = self.get(name)
        while True:
            if current.problem:
                raise ConfigError(current.problem)
            if current.name in seen:
                cycle = " -> ".join([*seen[seen.index(current.name):], current.name])
                raise ConfigError(f"source_profile cycle: {cycle}")
            seen.append(current.name)
            hops.append(current)
            if not current.is_role:
                break
            if current.source_profile == current.name:  # botocore: the role's own keys assume it
                hops.append(current)
                break
            if current.credential_source:
                raise ConfigError(
                    f"profile '{current.name}' uses credential_source = {current.credential_source}, "
                    "which hats does not provide; use source_profile")
            if current.source_profile is None:
                raise ConfigError(f"profile '{current.name}' has role_arn but no source_profile")
            if current.source_profile not in self.profiles:
                raise ConfigError(
                    f"profile '{current.name}' has source_profile '{current.source_profile}', "
                    "which is not defined")
            current = self.profiles[current.source_profile]
        hops.reverse()
        _check_chain_limit(hops)
        base = hops[0]
        if base.credential_process:
            raise ConfigError(
                f"profile '{base.name}' gets its keys from credential_process; hats keeps keys in the keyring")
        return hops

    def mfa_serial_for(self, chain: list[Profile]) -> str | None:
        """The MFA device that guards a chain: the nearest one to the target."""
        for hop in reversed(chain):
            if hop.mfa_serial:
                return hop.mfa_serial
        return None

    def roles_from(self, name: str) -> list[Profile]:
        """Profiles whose source_profile is `name` (excluding itself)."""
        return [p for p in self.profiles.values() if p.source_profile == name and p.name != name]


def _check_chain_limit(hops: list[Profile]) -> None:
    """A role assumed with another role's session is capped at an hour by AWS.

    The first role is assumed from the long-term key whenever it asks for
    more than an hour, so only the later hops can break the limit.
    """
    for source, hop in zip(hops[1:], hops[2:]):
        if hop.duration_seconds and hop.duration_seconds > CHAIN_LIMIT_SECONDS:
            raise ConfigError(
                f"profile '{hop.name}' asks for {hop.duration_seconds} s, but it is assumed from "
                f"'{source.name}'s session and AWS caps chained roles at {CHAIN_LIMIT_SECONDS} s")


def load(config_file: Path | None = None, credentials_file: Path | None = None) -> ProfileSet:
    """Read both files; a missing file is an empty one."""
    config_file = config_file or config_path()
    credentials_file = credentials_file or credentials_path()
    sections = _profile_sections(inifile.read(config_file), prefixed=True)
    key_holders = {
        name for name, values in _profile_sections(inifile.read(credentials_file), prefixed=False).items()
        if values.get("aws_access_key_id") and values.get("aws_secret_access_key")
    }
    for name in key_holders:
        sections.setdefault(name, {})
    return ProfileSet(_ProfilesOnDemand(sections, key_holders))


class _ProfilesOnDemand(Mapping):
    """Profiles built when first asked for: a run that needs one chain builds its hops only."""

    def __init__(self, sections: dict[str, dict[str, str]], key_holders: set[str]):
        self.sections, self.key_holders = sections, key_holders
        self.built: dict[str, Profile] = {}

    def __getitem__(self, name: str) -> Profile:
        if name not in self.built:
            values = _with_includes(name, self.sections)  # KeyError for a name not in the files
            self.built[name] = _build(name, values, name in self.key_holders)
        return self.built[name]

    def __contains__(self, name: object) -> bool:
        return name in self.sections

    def __iter__(self):
        return iter(self.sections)

    def __len__(self) -> int:
        return len(self.sections)


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also says yes to '²', which int() refuses."""
    return text.isascii() and text.isdigit()


def _is_mfa_device(serial: str) -> bool:
    if serial.startswith("arn:"):
        return bool(MFA_ARN.match(serial))
    return bool(HARDWARE_SERIAL.match(serial))


def _profile_sections(raw: dict[str, dict[str, str]], prefixed: bool) -> dict[str, dict[str, str]]:
    """Section name -> profile name, as botocore maps them."""
    profiles = {}
    for section, values in raw.items():
        if not prefixed:
            profiles[section] = values
        elif section == "default":
            profiles.setdefault("default", values)
        elif section.startswith("profile ") and section[8:].strip():
            profiles[section[8:].strip()] = values
    return profiles


def _with_includes(name: str, sections: dict[str, dict[str, str]]) -> dict[str, str]:
    """aws-vault's include_profile: settings of another profile, overridden by our own."""
    trail = [name]
    layers = [sections[name]]
    while "include_profile" in layers[-1]:
        target = layers[-1]["include_profile"]
        if target in trail:
            cycle = " -> ".join([*trail[trail.index(target):], target])
            return {**sections[name], "_problem": f"include_profile cycle: {cycle}"}
        if target not in sections:
            return {**sections[name], "_problem": f"profile '{name}' include_profile: missing profile '{target}'"}
        trail.append(target)
        layers.append(sections[target])
    values: dict[str, str] = {}
    for layer in reversed(layers):
        values.update(layer)
    return values


def _build(name: str, values: dict[str, str], has_file_keys: bool) -> Profile:
    problem = values.get("_problem")
    duration = values.get("duration_seconds")
    duration_seconds = None
    if duration is not None:
        if is_number(duration) and MIN_DURATION <= int(duration) <= MAX_DURATION:
            duration_seconds = int(duration)
        else:
            problem = problem or (
                f"profile '{name}': duration_seconds = {duration!r} is not a number of seconds "
                f"from {MIN_DURATION} to {MAX_DURATION}")
    role_arn = values.get("role_arn")
    if role_arn is not None and not ROLE_ARN.match(role_arn):
        problem = problem or f"profile '{name}': role_arn {role_arn!r} is not an IAM role ARN"
    mfa_serial = values.get("mfa_serial")
    if mfa_serial is not None and not _is_mfa_device(mfa_serial):
        problem = problem or f"profile '{name}': mfa_serial {mfa_serial!r} is not an MFA device ARN or serial"
    source = values.get("credential_source")
    if source is not None and source not in CREDENTIAL_SOURCES:
        problem = problem or f"profile '{name}': credential_source {source!r} is not one of {', '.join(CREDENTIAL_SOURCES)}"
    return Profile(
        name=name,
        role_arn=role_arn,
        source_profile=values.get("source_profile"),
        mfa_serial=mfa_serial,
        external_id=values.get("external_id"),
        role_session_name=values.get("role_session_name"),
        duration_seconds=duration_seconds,
        region=values.get("region"),
        credential_source=source,
        credential_process=values.get("credential_process"),
        mfa_process=values.get("mfa_process"),
        color=values.get("hats_color"),
        account_alias=values.get("hats_account_alias"),
        has_file_keys=has_file_keys,
        problem=problem,
        settings=values,
    )

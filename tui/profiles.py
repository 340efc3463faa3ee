"""The AWS config and credentials files, read into a graph of profiles.

The files are read the way botocore reads them (RawConfigParser, `[profile x]`
in the config file with the name split as a shell would, `[x]` in the
credentials file, whose settings override the config file's, indented
sub-sections), so a profile means here what it means to the AWS CLI. Problems with the file as a
whole raise ConfigError; problems with one profile (a cycle, a missing source,
a malformed ARN) are kept on the profile and raised when its chain is asked
for, so one broken profile never hides the others.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from . import inifile
from .errors import ConfigError
from .sso.config import SignIn, SsoRole, is_sso_profile, sso_role, sso_sessions

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
MFA_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):mfa/[\w+=,.@/-]{1,512}$")
HARDWARE_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")
CHAIN_LIMIT_SECONDS = 3600
MIN_DURATION, MAX_DURATION = 900, 43200
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")
KEY_SETTINGS = ("aws_access_key_id", "aws_secret_access_key")  # botocore: either one makes a profile's keys static
TOKEN_SETTINGS = ("aws_security_token", "aws_session_token")  # botocore takes the first it finds
SECRET_SETTINGS = (*KEY_SETTINGS, *TOKEN_SETTINGS)  # never kept in Profile.settings
TEXT_SETTINGS = ("role_arn", "source_profile", "mfa_serial", "external_id", "role_session_name", "duration_seconds",
                 "region", "credential_source", "credential_process", "mfa_process", "include_profile",
                 "web_identity_token_file", "hats_color", "hats_account_alias")  # the settings hats reads as one value
PLAIN_PROFILE_HEADER = re.compile(r"profile ([^\s'\"\\]+)")  # shlex.split would give these two words as they are


def config_path() -> Path:
    return _aws_path("AWS_CONFIG_FILE", "~/.aws/config")


def credentials_path() -> Path:
    return _aws_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")


def _aws_path(variable: str, default: str) -> Path:
    return Path(os.path.expanduser(os.path.expandvars(os.environ.get(variable, default))))  # botocore's order


NO_SETTINGS: Mapping[str, str] = MappingProxyType({})


class Profile(NamedTuple):
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
    web_identity_token_file: str | None = None
    color: str | None = None
    account_alias: str | None = None
    key_file: Path | None = None  # the file that holds the profile's static keys, if any
    problem: str | None = None
    settings: Mapping[str, str] = NO_SETTINGS  # the section's other keys, secrets left out; not compared

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Profile) and self[:-1] == other[:-1]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:-1])

    def __repr__(self) -> str:
        return f"Profile({', '.join(f'{name}={value!r}' for name, value in zip(self._fields[:-1], self))})"

    @property
    def has_file_keys(self) -> bool:
        return self.key_file is not None

    @property
    def is_role(self) -> bool:
        return self.role_arn is not None

    @property
    def is_role_hop(self) -> bool:
        """A role assumed from another profile's credentials (botocore: web identity makes it a base)."""
        return self.role_arn is not None and self.web_identity_token_file is None

    @property
    def account_id(self) -> str | None:
        for pattern, value in ((ROLE_ARN, self.role_arn), (MFA_ARN, self.mfa_serial)):
            match = pattern.match(value or "")
            if match:
                return match.group(1)
        sso_account = self.settings.get("sso_account_id")
        return sso_account if isinstance(sso_account, str) and is_number(sso_account) else None

    @property
    def role_name(self) -> str | None:
        return self.role_arn.split(":role/", 1)[1] if self.role_arn and ":role/" in self.role_arn else None


class ProfileSet:
    """All profiles, by name, and the chains that lead to them."""

    def __init__(self, profiles: Mapping[str, Profile], sign_ins: Mapping[str, SignIn | str] | None = None):
        self.profiles = profiles
        self.sign_ins = sign_ins or {}  # each [sso-session NAME]: a SignIn, or what is wrong with it

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
            own_keys = current.has_file_keys or current.source_profile == current.name
            if not current.is_role_hop or (len(hops) > 1 and own_keys):
                break  # botocore: a source profile's static keys (a self-sourced role's too) end the chain
            if current.credential_source and current.source_profile:
                raise ConfigError(f"profile '{current.name}' has both source_profile and credential_source; "
                                  "botocore takes only one")
            if current.source_profile == current.name or current.credential_source:
                hops.append(current)  # the role's own keys, or its credential_source, assume it
                break
            if current.source_profile is None:
                raise ConfigError(f"profile '{current.name}' has role_arn but no source_profile or credential_source")
            if current.source_profile not in self.profiles:
                raise ConfigError(
                    f"profile '{current.name}' has source_profile {_shown(current.source_profile)}, "
                    "which is not defined")
            current = self.profiles[current.source_profile]
        hops.reverse()
        _check_chain_limit(hops)
        problem = self._base_problem(hops)
        if problem:
            raise ConfigError(problem)
        return hops

    def sso_role(self, profile: Profile) -> SsoRole:
        """The portal role an SSO profile signs in to; ConfigError when its settings do not name one."""
        found = sso_role(profile.name, profile.settings, self.sign_ins)
        if isinstance(found, str):
            raise ConfigError(found)
        return found

    def _base_problem(self, hops: list[Profile]) -> str | None:
        """A base whose credentials botocore takes from a source hats does not provide (its providers' order)."""
        base = hops[0]
        if base.web_identity_token_file:
            return None if base.role_arn else f"profile '{base.name}' has web_identity_token_file but no role_arn"
        if is_sso_profile(base.settings) and not (len(hops) > 1 and base.has_file_keys):
            found = sso_role(base.name, base.settings, self.sign_ins)
            if isinstance(found, str):
                return found
            if len(hops) > 1 and (hops[1].duration_seconds or 0) > CHAIN_LIMIT_SECONDS:
                return (f"profile '{hops[1].name}' asks for {hops[1].duration_seconds} s, but it is assumed from "
                        f"an IAM Identity Center role of '{base.name}' and AWS caps chained roles at "
                        f"{CHAIN_LIMIT_SECONDS} s")
            return None
        if len(hops) > 1 and base.source_profile == base.name and base.credential_process and not base.has_file_keys:
            return (f"profile '{base.name}' is its own source_profile with a credential_process and no keys, "
                    "which botocore refuses as a loop")
        if "login_session" in base.settings:
            return (f"profile '{base.name}' gets its credentials from `aws login` (login_session), "
                    "which hats does not provide")
        return None

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
    sections, by_file, files = _read_both(config_file, credentials_file)
    return ProfileSet(_ProfilesOnDemand(sections, by_file, files), sso_sessions(by_file[2]))


def static_keys(name: str) -> dict[str, str]:
    """A profile's key, secret and token (as aws_session_token), from the one section botocore takes them from."""
    found = _ProfilesOnDemand(*_read_both(None, None)).key_section(name)
    if found is None:
        return {}
    section = found[1]
    keys = {key: section[key] for key in KEY_SETTINGS if key in section}
    token = next((section[key] for key in TOKEN_SETTINGS if key in section), None)  # botocore's order
    return keys if token is None else {**keys, "aws_session_token": token}


def _read_both(config_file: Path | None, credentials_file: Path | None):
    """The profiles of both files merged as botocore's Session.full_config merges them, and each file's own."""
    config_file = config_file or config_path()
    credentials_file = credentials_file or credentials_path()
    raw_config = inifile.read(config_file)
    in_config = _config_profiles(raw_config)
    in_credentials = inifile.read(credentials_file)
    sections = dict(in_config)
    for name, values in in_credentials.items():
        sections[name] = {**sections.get(name, {}), **values}
    return sections, (in_config, in_credentials, raw_config), (config_file, credentials_file)


class _ProfilesOnDemand(Mapping):
    """Profiles built when first asked for: a run that needs one chain builds its hops only."""

    def __init__(self, sections: dict[str, dict], by_file: tuple[dict[str, dict], dict[str, dict], dict[str, dict]],
                 files: tuple[Path, Path]):
        self.sections, self.by_file, self.files = sections, by_file, files
        self.built: dict[str, Profile] = {}

    def __getitem__(self, name: str) -> Profile:
        if name not in self.built:
            values = _with_includes(name, self.sections)  # KeyError for a name not in the files
            found = self.key_section(name)
            key_file = None if found is None else found[0]
            problem = None if found is None else _key_problem(name, found[1], key_file)
            self.built[name] = _build(name, values, key_file, problem)
        return self.built[name]

    def key_section(self, name: str) -> tuple[Path, dict] | None:
        """The file and section a profile's static keys come from, else None if it has none.

        botocore's SharedCredentialProvider, then its ConfigProvider: the first file whose
        section has an access key id gives all of the key, secret and token. A secret
        without an access key id still makes the keys static (the chain ends there) but
        unusable: that file is returned, for the message.
        """
        in_files = ((self.by_file[1].get(name), self.files[1]), (self.by_file[0].get(name), self.files[0]))
        for section, path in in_files:
            if section and "aws_access_key_id" in section:
                return path, section
        for section, path in in_files:
            if section and "aws_secret_access_key" in section:
                return path, section
        return None

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


def _config_profiles(raw: dict[str, dict]) -> dict[str, dict]:
    """Section name -> profile name, as botocore's build_profile_map maps them: the last one wins."""
    profiles = {}
    for section, values in raw.items():
        if section.startswith("profile"):
            name = _profile_name(section)
            if name is not None:
                profiles[name] = values
        elif section == "default":
            profiles[section] = values
    return profiles


def _profile_name(section: str) -> str | None:
    """The second of exactly two shell words, as botocore splits `profile "my name"`."""
    plain = PLAIN_PROFILE_HEADER.fullmatch(section)
    if plain:
        return plain.group(1)
    try:
        words = shlex.split(section)
    except ValueError:  # an unbalanced quote
        return None
    return words[1] if len(words) == 2 else None


def _with_includes(name: str, sections: dict[str, dict]) -> dict:
    """aws-vault's include_profile: settings of another profile, overridden by our own."""
    trail = [name]
    layers = [sections[name]]
    while isinstance(layers[-1].get("include_profile"), str):
        target = layers[-1]["include_profile"]
        if target in trail:
            cycle = " -> ".join([*trail[trail.index(target):], target])
            return {**sections[name], "_problem": f"include_profile cycle: {cycle}"}
        if target not in sections:
            return {**sections[name], "_problem": f"profile '{name}' include_profile: missing profile {_shown(target)}"}
        trail.append(target)
        layers.append(sections[target])
    values: dict[str, str] = {}
    for layer in reversed(layers):
        values.update(layer)
    return values


def _shown(value: str) -> str:
    """A value in quotes; escaped when it holds a line break (a continuation line) or another control character."""
    return f"'{value}'" if value.isprintable() else repr(value)


def _key_problem(name: str, section: dict, key_file: Path | None) -> str | None:
    """Static keys botocore would take but could not use: one of the two missing or empty."""
    unusable = [key for key in KEY_SETTINGS if not (isinstance(section.get(key), str) and section[key])]
    if key_file is None or not unusable:
        return None
    return f"profile '{name}': {key_file} gives it {' and '.join(KEY_SETTINGS)}, but {unusable[0]} is missing or empty"


def _sub_section_problem(name: str, values: dict) -> str | None:
    wrong = next((key for key in TEXT_SETTINGS if isinstance(values.get(key), dict)), None)
    return None if wrong is None else f"profile '{name}': {wrong} is a sub-section, not a value"


def _build(name: str, values: dict, key_file: Path | None, key_problem: str | None) -> Profile:
    problem = values.get("_problem") or key_problem or _sub_section_problem(name, values)
    text = {key: value for key, value in values.items() if isinstance(value, str)}
    duration = text.get("duration_seconds")
    duration_seconds = None
    if duration is not None:
        if is_number(duration) and MIN_DURATION <= int(duration) <= MAX_DURATION:
            duration_seconds = int(duration)
        else:
            problem = problem or (
                f"profile '{name}': duration_seconds = {duration!r} is not a number of seconds "
                f"from {MIN_DURATION} to {MAX_DURATION}")
    role_arn = text.get("role_arn")
    if role_arn is not None and not ROLE_ARN.match(role_arn):
        problem = problem or f"profile '{name}': role_arn {role_arn!r} is not an IAM role ARN"
    mfa_serial = text.get("mfa_serial")
    if mfa_serial is not None and not _is_mfa_device(mfa_serial):
        problem = problem or f"profile '{name}': mfa_serial {mfa_serial!r} is not an MFA device ARN or serial"
    source = text.get("credential_source")
    if source is not None and source not in CREDENTIAL_SOURCES:
        problem = problem or (f"profile '{name}': credential_source {source!r} is not one of "
                              f"{', '.join(CREDENTIAL_SOURCES)}")
    return Profile(
        name=name,
        role_arn=role_arn,
        source_profile=text.get("source_profile"),
        mfa_serial=mfa_serial,
        external_id=text.get("external_id"),
        role_session_name=text.get("role_session_name"),
        duration_seconds=duration_seconds,
        region=text.get("region"),
        credential_source=source,
        credential_process=text.get("credential_process"),
        mfa_process=text.get("mfa_process"),
        web_identity_token_file=text.get("web_identity_token_file"),
        color=text.get("hats_color"),
        account_alias=text.get("hats_account_alias"),
        key_file=key_file,
        problem=problem,
        settings={key: value for key, value in values.items() if key not in SECRET_SETTINGS and key != "_problem"},
    )

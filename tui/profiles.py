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

from . import inifile
from .errors import ConfigError
from .profile import KEY_SETTINGS, TOKEN_SETTINGS, Profile, build, key_problem
from .sso.config import SignIn, SsoRole, is_sso_profile, sso_role, sso_sessions

CHAIN_LIMIT_SECONDS = 3600
PLAIN_PROFILE_HEADER = re.compile(r"profile ([^\s'\"\\]+)")  # shlex.split would give these two words as they are


def config_path() -> Path:
    return _aws_path("AWS_CONFIG_FILE", "~/.aws/config")


def credentials_path() -> Path:
    return _aws_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")


def _aws_path(variable: str, default: str) -> Path:
    return Path(os.path.expanduser(os.path.expandvars(os.environ.get(variable, default))))  # botocore's order


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
            if not base.role_arn:
                return f"profile '{base.name}' has web_identity_token_file but no role_arn"
            return _over_the_chain_limit(hops, f"the web identity role of '{base.name}'")
        if is_sso_profile(base.settings) and not (len(hops) > 1 and base.has_file_keys):
            found = sso_role(base.name, base.settings, self.sign_ins)
            if isinstance(found, str):
                return found
            return _over_the_chain_limit(hops, f"an IAM Identity Center role of '{base.name}'")
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


def _over_the_chain_limit(hops: list[Profile], base_role: str) -> str | None:
    """A base that is itself a role session (web identity, Identity Center): its first hop is chained too."""
    if len(hops) > 1 and (hops[1].duration_seconds or 0) > CHAIN_LIMIT_SECONDS:
        return (f"profile '{hops[1].name}' asks for {hops[1].duration_seconds} s, but it is assumed from "
                f"{base_role} and AWS caps chained roles at {CHAIN_LIMIT_SECONDS} s")
    return None


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
            problem = None if found is None else key_problem(name, found[1], key_file)
            self.built[name] = build(name, values, key_file, problem)
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

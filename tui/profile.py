"""One profile: the settings hats acts on, read from its section of the AWS files and checked.

A setting hats cannot use (a malformed ARN, a duration out of range, an unknown
credential_source) becomes the profile's `problem`, raised when its chain is asked
for, so one broken profile never hides the others (tui/profiles.py reads the files).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
MFA_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):mfa/[\w+=,.@/-]{1,512}$")
HARDWARE_SERIAL = re.compile(r"^[\w+=/:,.@-]{9,256}$")
MIN_DURATION, MAX_DURATION = 900, 43200
CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")
KEY_SETTINGS = ("aws_access_key_id", "aws_secret_access_key")  # botocore: either one makes a profile's keys static
TOKEN_SETTINGS = ("aws_security_token", "aws_session_token")  # botocore takes the first it finds
SECRET_SETTINGS = (*KEY_SETTINGS, *TOKEN_SETTINGS)  # never kept in Profile.settings
TEXT_SETTINGS = ("role_arn", "source_profile", "mfa_serial", "external_id", "role_session_name", "duration_seconds",
                 "region", "credential_source", "credential_process", "mfa_process", "include_profile",
                 "web_identity_token_file", "hats_color", "hats_account_alias")  # the settings hats reads as one value


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


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also says yes to '²', which int() refuses."""
    return text.isascii() and text.isdigit()


def _is_mfa_device(serial: str) -> bool:
    if serial.startswith("arn:"):
        return bool(MFA_ARN.match(serial))
    return bool(HARDWARE_SERIAL.match(serial))


def key_problem(name: str, section: dict, key_file: Path | None) -> str | None:
    """Static keys botocore would take but could not use: one of the two missing or empty."""
    unusable = [key for key in KEY_SETTINGS if not (isinstance(section.get(key), str) and section[key])]
    if key_file is None or not unusable:
        return None
    return f"profile '{name}': {key_file} gives it {' and '.join(KEY_SETTINGS)}, but {unusable[0]} is missing or empty"


def _sub_section_problem(name: str, values: dict) -> str | None:
    wrong = next((key for key in TEXT_SETTINGS if isinstance(values.get(key), dict)), None)
    return None if wrong is None else f"profile '{name}': {wrong} is a sub-section, not a value"


def build(name: str, values: dict, key_file: Path | None, keys_problem: str | None) -> Profile:
    problem = values.get("_problem") or keys_problem or _sub_section_problem(name, values)
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

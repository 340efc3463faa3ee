"""The items hats keeps in a keyring, and what a store of them must do.

Every secret is one item in the store, named by what it is:

    key/PROFILE            the long-term access key of a base profile
    session/mfa/PROFILE    a GetSessionToken session of a base profile
    session/role/PROFILE   an AssumeRole session of a role profile
    sso/KEY                an Identity Center sign-in: client registration, access and refresh token
    index                  names, kinds and expiries (no secrets), for listing
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple, Protocol

from ..credentials import Credentials, SessionKind
from ..errors import VaultError

SERVICE = "hats"  # the service every item is filed under, in keyrings that have one


class SecretStore(Protocol):
    @property
    def where(self) -> str: ...  # for messages: "the secret-service keyring", a file's path

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...
    # Stores that can enumerate their items also have: def names(self) -> list[str]


class DamagedItemError(VaultError):
    """An item that is there but cannot be read back (a failed tag, text that does not parse)."""

    def __init__(self, item: str, where: str):
        super().__init__(f"item '{item}' in {where} is damaged")


class CachedSession(NamedTuple):
    """A session as cached: its credentials plus what it was made for."""

    kind: SessionKind
    profile: str
    credentials: Credentials
    arn: str = ""
    fingerprint: str = ""
    base: str = ""  # the profile whose long-term key this session descends from

    @property
    def item(self) -> str:
        return session_item(self.kind, self.profile)

    def to_json(self) -> str:
        data = json.loads(self.credentials.to_json())
        data.update(kind=self.kind.value, profile=self.profile, arn=self.arn, fingerprint=self.fingerprint,
                    base=self.base)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "CachedSession":
        data = json.loads(text)
        return cls(SessionKind(data["kind"]), data["profile"], Credentials.from_json(text), data.get("arn", ""),
                   data.get("fingerprint", ""), data.get("base", ""))


class SessionEntry(NamedTuple):
    """What the index knows of a cached session: enough to list it, no secrets."""

    kind: SessionKind
    profile: str
    expiration: datetime
    arn: str


class SignInEntry(NamedTuple):
    """What the index knows of an Identity Center sign-in: where, and until when. No token."""

    key: str
    start_url: str
    region: str
    session_name: str
    expiration: datetime  # of the access token
    refreshable: bool = False  # a refresh token makes the next access token without a browser


KIND_VALUES = {kind.value for kind in SessionKind}


def token_item(key: str) -> str:
    return f"sso/{key}"


def session_item(kind: SessionKind, profile: str) -> str:
    return f"session/{kind.value}/{profile}"

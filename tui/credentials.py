"""AWS credentials as hats passes them around: keys, token, expiry."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from enum import Enum


class SessionKind(str, Enum):
    """What made a cached session; the value names its keyring item (session/<kind>/<profile>)."""

    MFA_SESSION = "session"  # GetSessionToken for a base user, with or without a code
    ROLE = "role"  # AssumeRole (or AssumeRoleWithWebIdentity) for one hop of a chain
    PROCESS = "process"  # what a credential_process printed, when it expires

    def __str__(self) -> str:  # "role", not "SessionKind.ROLE", in f-strings on every Python
        return self.value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Credentials:
    """A key pair, with a session token and expiry when temporary.

    repr() never shows the secret or the token, so a stray log line or
    traceback cannot leak them. A plain class, not a tuple: nothing can
    iterate or json.dumps the secret out of it by accident. Not a dataclass:
    importing dataclasses costs a cached `hats exec` about a sixth of its time.
    """

    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expiration")

    def __init__(self, access_key_id: str, secret_access_key: str, session_token: str | None = None,
                 expiration: datetime | None = None):
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.expiration = expiration

    def _values(self) -> tuple:
        return self.access_key_id, self.secret_access_key, self.session_token, self.expiration

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credentials) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, expiration={self.expiration!r})"

    @property
    def is_temporary(self) -> bool:
        return self.session_token is not None

    def seconds_left(self, now: datetime | None = None) -> float:
        if self.expiration is None:
            return float("inf")
        return (self.expiration - (now or utcnow())).total_seconds()

    def to_json(self) -> str:
        return json.dumps({
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": iso(self.expiration) if self.expiration else None,
        })

    @classmethod
    def from_json(cls, text: str) -> "Credentials":
        data = json.loads(text)
        expiration = data.get("Expiration")
        return cls(
            access_key_id=data["AccessKeyId"],
            secret_access_key=data["SecretAccessKey"],
            session_token=data.get("SessionToken"),
            expiration=parse_iso(expiration) if expiration else None,
        )


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def long_term_key(key_id: str, secret: str) -> Credentials:
    """An access key as typed or pasted, checked for the shape AWS gives keys."""
    from .errors import HatsError

    key_id, secret = key_id.strip(), secret.strip()
    if not (16 <= len(key_id) <= 128 and key_id.isalnum() and key_id.isupper()):
        raise HatsError("that is not an access key id (like AKIAIOSFODNN7EXAMPLE)")
    if len(secret) < 16 or any(c.isspace() for c in secret):
        raise HatsError("that is not a secret access key")
    return Credentials(key_id, secret)

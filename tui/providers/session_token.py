"""GetSessionToken: a base user's session, with the MFA code when the chain has a device."""

from __future__ import annotations

from .base import Issued, NewCredentials, Provider, Renewal


class SessionTokenProvider:
    def __init__(self, key: Provider, target: str, serial: str | None, seconds: int):
        self.key = key
        self.target = target  # the profile asked for, named in STS errors
        self.serial = serial
        self.seconds = seconds

    def retrieve(self, renewal: Renewal) -> Issued:
        from .. import sts  # here: a cached session never calls STS

        key = self.key.retrieve(renewal).credentials
        code = renewal.code_for(self.serial) if self.serial else None
        return NewCredentials(sts.get_session_token(key, self.target, self.seconds, code), arn=self.serial or "")

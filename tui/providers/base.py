"""What every provider is, and what one renewal carries to all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

from ..credentials import Credentials

if TYPE_CHECKING:
    from ..sts import MfaCode  # a type only: a cached session never imports sts


class Issued(Protocol):
    """Credentials as a provider hands them up, with the principal they are for."""

    @property
    def credentials(self) -> Credentials: ...

    @property
    def arn(self) -> str: ...


class NewCredentials(NamedTuple):
    """Credentials just made (or read): an Issued that is not yet cached."""

    credentials: Credentials
    arn: str = ""


class CodeNeeded(Exception):
    """The next STS call needs a code this renewal does not have: the caller lets its lock go to ask."""

    def __init__(self, serial: str):
        super().__init__(serial)
        self.serial = serial


class Renewal(NamedTuple):
    """One attempt at making credentials: the MFA code it may spend, if it has one."""

    code: MfaCode | None = None

    def code_for(self, serial: str) -> MfaCode:
        if self.code is None or self.code.serial != serial:
            raise CodeNeeded(serial)
        return self.code


class Provider(Protocol):
    def retrieve(self, renewal: Renewal) -> Issued:
        """Credentials, made now or taken from a cache; raises CodeNeeded for a code it lacks."""

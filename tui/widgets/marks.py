"""How a session's state looks: one mark, one colour, one place."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from ..chains import BaseKind, base_kind

if TYPE_CHECKING:
    from ..profiles import Profile
    from ..store.items import SessionEntry

EXPIRING_SECONDS = 600


class SessionMark(Enum):
    NONE = ("○", "dim")
    ACTIVE = ("●", "green")
    EXPIRING = ("●", "#ffaf00")
    RENEW = ("●", "red")
    EXPIRED = ("✕", "red")

    @property
    def symbol(self) -> str:
        return self.value[0]

    @property
    def style(self) -> str:
        return self.value[1]


def session_mark(entry: SessionEntry, margin_seconds: float, now: datetime) -> SessionMark:
    return expiry_mark(entry.expiration, margin_seconds, now)


def expiry_mark(expiration: datetime, margin_seconds: float, now: datetime) -> SessionMark:
    left = (expiration - now).total_seconds()
    if left <= 0:
        return SessionMark.EXPIRED
    if left <= margin_seconds:
        return SessionMark.RENEW
    if left <= EXPIRING_SECONDS:
        return SessionMark.EXPIRING
    return SessionMark.ACTIVE


def time_left(seconds: float) -> str:
    if seconds <= 0:
        return "expired"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


SOURCE_TAGS = {"Environment": "env keys", "Ec2InstanceMetadata": "EC2 role", "EcsContainer": "container role"}


def base_tag(chain: list[Profile]) -> str | None:
    """How a base that is not a key gets its credentials, as a row names it; None for a key."""
    kind = base_kind(chain)
    if kind is BaseKind.SOURCE:
        return SOURCE_TAGS.get(chain[0].credential_source or "", "credential_source")
    return {BaseKind.PROCESS: "process", BaseKind.WEB_IDENTITY: "web identity", BaseKind.SSO: "sso"}.get(kind)

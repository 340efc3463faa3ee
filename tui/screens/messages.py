"""What the app's workers post back to the UI thread: one typed message per result."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from ..sso.portal import Portal
    from ..store.items import CachedSession, SessionEntry, SignInEntry
    from ..store.vault import Vault


@dataclass
class Warned(Message):
    """A one-line warning (the vault's repairs), posted from any thread."""

    text: str


@dataclass
class VaultOpened(Message):
    vault: Vault


@dataclass
class SessionsLoaded(Message):
    entries: list[SessionEntry]
    sign_ins: list[SignInEntry]


@dataclass
class PortalsFetched(Message):
    """The Identity Center portals fetched again (each sign-in that could be fetched without asking,
    or after a sign-in when one was asked for)."""

    portals: list[Portal]
    asked: bool  # by a person, who is told what came back


@dataclass
class RecentUsed(Message):
    """A profile was used: the ranking of the profiles used (recent.Recent.ranked), for the "recent" rows."""

    used: list[str]


@dataclass
class CredentialsReady(Message):
    """A profile's session, renewed (`spawn` false) or for a child."""

    name: str
    session: CachedSession
    command: str | None
    spawn: bool


@dataclass
class ChildReady(Message):
    """A child's argv and environment, prepared off the UI thread; `resources` (its credential
    server, its shell's rc files) last until the child exits."""

    name: str
    argv: list[str]
    env: dict[str, str]
    resources: ExitStack
    command: str | None


@dataclass
class Said(Message):
    """A line for the status bar, from a worker."""

    text: str
    error: bool = False

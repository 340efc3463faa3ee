"""The sessions pane: every Identity Center sign-in and cached session with a live countdown.

The pane keeps each session's absolute expiry and recomputes the time left
from the app's clock on every tick, so a frozen clock freezes the pane.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

from rich.table import Table
from rich.text import Text

from ..credentials import SessionKind
from ..display import printable
from .live_static import LiveStatic
from .marks import SessionMark, expiry_mark, session_mark, time_left

if TYPE_CHECKING:
    from ..store.items import SessionEntry, SignInEntry

KIND_NAMES = {SessionKind.MFA_SESSION: "MFA session", SessionKind.ROLE: "role",
              SessionKind.PROCESS: "credential_process"}


class SessionsPane(LiveStatic):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.entries: list[SessionEntry] = []
        self.sign_ins: list[SignInEntry] = []
        self.margin_seconds = 300.0

    def set_entries(self, entries: Iterable[SessionEntry], margin_seconds: float, now: datetime,
                    sign_ins: Iterable[SignInEntry] = ()) -> None:
        self.entries, self.sign_ins, self.margin_seconds = list(entries), list(sign_ins), margin_seconds
        self.tick(now)

    def tick(self, now: datetime) -> None:
        title = f"sessions ({len(self.entries)})" + (f" · sign-ins ({len(self.sign_ins)})" if self.sign_ins else "")
        if title != self.border_title:
            self.border_title = title
        if not self.entries and not self.sign_ins:
            empty = Text("No cached sessions. Enter opens a shell and makes one.", style="dim")
            self.draw(empty, [(empty,)])
            return
        rows = [self._sign_in_row(sign_in, now) for sign_in in self.sign_ins]
        for entry in self.entries:
            mark = session_mark(entry, self.margin_seconds, now)
            left = (entry.expiration - now).total_seconds()
            rows.append((Text(mark.symbol, style=mark.style), Text(printable(entry.profile), style="bold"),
                         Text(KIND_NAMES[entry.kind], style="dim"), Text(time_left(left), style=mark.style)))
        table = Table.grid(padding=(0, 2))
        for _ in range(4):
            table.add_column()
        for row in rows:
            table.add_row(*row)
        self.draw(table, rows)

    def _sign_in_row(self, sign_in: SignInEntry, now: datetime) -> tuple[Text, ...]:
        """A sign-in whose access token ran out is still signed in while its refresh token lasts."""
        left = (sign_in.expiration - now).total_seconds()
        mark = expiry_mark(sign_in.expiration, self.margin_seconds, now)
        if left <= self.margin_seconds and sign_in.refreshable:
            mark, when = SessionMark.ACTIVE, "refreshed when used"
        else:
            when = time_left(left)
        return (Text(mark.symbol, style=mark.style), Text(printable(sign_in.session_name or sign_in.start_url),
                                                          style="bold"),
                Text("SSO sign-in", style="dim"), Text(when, style=mark.style))

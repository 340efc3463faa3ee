"""The sessions pane: every cached session with a live countdown.

The pane keeps each session's absolute expiry and recomputes the time left
from the app's clock on every tick, so a frozen clock freezes the pane.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..credentials import SessionKind
from ..display import printable
from .marks import session_mark, time_left

if TYPE_CHECKING:
    from ..store.items import SessionEntry

KIND_NAMES = {SessionKind.MFA_SESSION: "MFA session", SessionKind.ROLE: "role",
              SessionKind.PROCESS: "credential_process"}


class SessionsPane(Static):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.entries: list[SessionEntry] = []
        self.margin_seconds = 300.0

    def set_entries(self, entries: Iterable[SessionEntry], margin_seconds: float, now: datetime) -> None:
        self.entries, self.margin_seconds = list(entries), margin_seconds
        self.tick(now)

    def tick(self, now: datetime) -> None:
        self.border_title = f"sessions ({len(self.entries)})"
        if not self.entries:
            self.update(Text("No cached sessions. Enter opens a shell and makes one.", style="dim"))
            return
        table = Table.grid(padding=(0, 2))
        for _ in range(4):
            table.add_column()
        for entry in self.entries:
            mark = session_mark(entry, self.margin_seconds, now)
            left = (entry.expiration - now).total_seconds()
            table.add_row(Text(mark.symbol, style=mark.style), Text(printable(entry.profile), style="bold"),
                          Text(KIND_NAMES[entry.kind], style="dim"),
                          Text(time_left(left), style=mark.style))
        self.update(table)

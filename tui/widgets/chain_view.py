"""The chain pane: every hop from the long-term key to the highlighted role.

The MFA session's time left is recomputed from the app's clock on each tick,
from the same expiry the sessions pane counts down, so the two agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from rich.table import Table
from rich.text import Text

from ..chains import Hop
from ..display import printable
from .live_static import LiveStatic
from .marks import time_left


class ChainView(LiveStatic):
    """Shows the hops of one chain and which of them takes the MFA code."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.hops: list[Hop] = []
        self.mfa_expiry: datetime | None = None
        self.margin_seconds = 300.0

    def show_hops(self, profile: str, hops: list[Hop], now: datetime,
                  mfa_expiry: datetime | None = None, margin_seconds: float = 300.0) -> None:
        """`mfa_expiry`: when the base user's cached MFA session ends, if there is one."""
        self.border_title = Text(f"chain to {printable(profile)}")
        self.hops, self.mfa_expiry, self.margin_seconds = hops, mfa_expiry, margin_seconds
        self.tick(now)

    def tick(self, now: datetime) -> None:
        if not self.hops:
            return
        left = None if self.mfa_expiry is None else (self.mfa_expiry - now).total_seconds()
        rows: list[tuple[Text, ...]] = []
        for number, hop in enumerate(self.hops):
            if number:
                rows.append((Text(""), Text("│ AssumeRole", style="dim")))
            rows.append((Text(str(number)), Text(printable(hop.profile), style="bold")
                         .append(f"  {printable(hop.principal)}", style="dim")))
            rows.extend((Text(label), value) for label, value in self._details(hop, left if number == 0 else None))
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", justify="right")
        table.add_column()
        for row in rows:
            table.add_row(*row)
        self.draw(table, rows)

    def show_problem(self, profile: str, problem: str) -> None:
        self.hops = []
        self.border_title = Text(f"chain to {printable(profile)}")
        shown = Text(printable(problem), style="red")
        self.draw(shown, [(shown,)])

    def show_nothing(self) -> None:
        self.hops = []
        self.border_title = "chain"
        hint = Text("Highlight a profile to see its chain.", style="dim")
        self.draw(hint, [(hint,)])

    def _details(self, hop: Hop, mfa_session_left: float | None) -> Iterator[tuple[str, Text]]:
        if hop.account:
            yield "account", Text(hop.account)
        if hop.sign_in:
            yield "sign-in", Text(printable(hop.sign_in))
        if hop.role_arn:
            yield "role", Text(printable(hop.role_arn))
        if hop.external_id:
            yield "external id", Text(printable(hop.external_id))
        if hop.session_name:
            yield "session", Text(printable(hop.session_name))
        if hop.duration:
            yield "duration", Text(_duration(hop.duration))
        if hop.needs_code and mfa_session_left is not None and mfa_session_left > self.margin_seconds:
            yield "MFA", Text(f"session {time_left(mfa_session_left)} left: no code needed", style="green")
        elif hop.needs_code:
            yield "MFA", Text(f"code needed here: {printable(hop.mfa_serial or '')}", style="bold #ffaf00")


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"

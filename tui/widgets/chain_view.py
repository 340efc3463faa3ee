"""The chain pane: every hop from the long-term key to the highlighted role."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..chains import Hop
from .marks import time_left


class ChainView(Static):
    """Shows the hops of one chain and which of them takes the MFA code."""

    def show_hops(self, profile: str, hops: list[Hop], mfa_session_left: float | None = None) -> None:
        """`mfa_session_left`: how long the base user's live MFA session still covers a GetSessionToken hop."""
        self.border_title = f"chain to {profile}"
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", justify="right")
        table.add_column()
        for number, hop in enumerate(hops):
            if number:
                table.add_row("", Text("│ AssumeRole", style="dim"))
            table.add_row(str(number), Text(hop.profile, style="bold").append(f"  {hop.principal}", style="dim"))
            for label, value in self._details(hop, mfa_session_left if number == 0 else None):
                table.add_row(label, value)
        self.update(table)

    def show_problem(self, profile: str, problem: str) -> None:
        self.border_title = f"chain to {profile}"
        self.update(Text(problem, style="red"))

    def show_nothing(self) -> None:
        self.border_title = "chain"
        self.update(Text("Highlight a profile to see its chain.", style="dim"))

    @staticmethod
    def _details(hop: Hop, mfa_session_left: float | None):
        if hop.account:
            yield "account", Text(hop.account)
        if hop.role_arn:
            yield "role", Text(hop.role_arn)
        if hop.external_id:
            yield "external id", Text(hop.external_id)
        if hop.session_name:
            yield "session", Text(hop.session_name)
        if hop.duration:
            yield "duration", Text(_duration(hop.duration))
        if hop.needs_code and mfa_session_left:
            yield "MFA", Text(f"session live for {time_left(mfa_session_left)}: no code needed", style="green")
        elif hop.needs_code:
            yield "MFA", Text(f"code needed here: {hop.mfa_serial}", style="bold #ffaf00")


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"

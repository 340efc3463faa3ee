"""The help screen: what each key does, read from the live bindings."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

ABOUT = """hats keeps your long-term AWS keys in the keyring, asks for your MFA code once
per session, and opens a shell or runs a command in any role of your config."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, bindings: list[tuple[str, str]]):
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold #87afd7", justify="right")
        table.add_column()
        for keys, description in self.bindings:
            table.add_row(keys, description)
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static(ABOUT, classes="dim")
            yield Static(table)

    def action_close(self) -> None:
        self.dismiss()

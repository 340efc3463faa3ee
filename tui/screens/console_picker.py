"""`o`: which console page to open in the highlighted role, picked from a list narrowed as you type."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ..console_pages import SERVICES
from ..display import printable

HOME = ""  # what the picker gives for the console's home page


class ConsolePickerScreen(ModalScreen[str | None]):
    """Dismissed with a service name (tui.console_pages.SERVICES), HOME, or None on Esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="console.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="console.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="console.previous"),
    ]

    def __init__(self, profile: str, region: str | None):
        super().__init__()
        self.profile, self.aws_region = profile, region

    def compose(self) -> ComposeResult:
        with Vertical(id="console-dialog", classes="dialog"):
            where = f" in {printable(self.aws_region)}" if self.aws_region else ""
            yield Label(Text.assemble("Open the console as ", (printable(self.profile), "bold"), where))
            yield Input(placeholder="service: s3, ec2, lambda… (Enter: the one highlighted)", id="console-service")
            yield OptionList(*self._options(""), id="console-services")

    @staticmethod
    def _options(typed: str) -> list[Option]:
        typed = typed.strip().lower()
        home = [Option("console home", id="\0home")] if not typed or "home".startswith(typed) else []
        starts = [name for name in SERVICES if name.startswith(typed)]
        within = [name for name in SERVICES if typed in name and name not in starts]
        return home + [Option(name, id=name) for name in starts + within]

    def on_input_changed(self, event: Input.Changed) -> None:
        services = self.query_one(OptionList)
        services.clear_options()
        services.add_options(self._options(event.value))
        services.highlighted = 0 if services.option_count else None

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def action_move(self, step: int) -> None:
        services = self.query_one(OptionList)
        if services.option_count:
            services.highlighted = ((services.highlighted or 0) + step) % services.option_count

    def on_input_submitted(self, event: Input.Submitted) -> None:
        services = self.query_one(OptionList)
        if services.highlighted is not None and services.option_count:
            self._pick(services.get_option_at_index(services.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        self.dismiss(HOME if option_id in (None, "\0home") else option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)

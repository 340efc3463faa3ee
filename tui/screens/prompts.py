"""Small modals: a command line to run, an access key to store."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ..display import printable
from ..widgets.inputs import FieldInput


class CommandScreen(ModalScreen[str | None]):
    """Asks for a command line to run in a role."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="command.cancel")]

    def __init__(self, profile: str):
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        with Vertical(id="command-dialog", classes="dialog"):
            yield Label(Text.assemble("Run in ", (printable(self.profile), "bold")))
            yield Input(placeholder="aws sts get-caller-identity", id="command-line")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Asks yes or no before something that cannot be undone; Enter or y is yes, Esc or n is no."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: Text, detail: str):
        super().__init__()
        self.question, self.detail = question, detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Label(self.question)
            yield Label(Text(self.detail, style="dim"))
            yield Label(Text.assemble(("y", "bold"), " / Enter: yes   ", ("n", "bold"), " / Esc: no"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class AddKeyScreen(ModalScreen[tuple[str, str] | None]):
    """Asks for an access key id and its secret (masked, never echoed).

    Its fields take a password manager's auto-type (key id, Tab, secret, Enter in one burst).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="add-key.cancel")]

    def __init__(self, profile: str, error: str = ""):
        super().__init__()
        self.profile, self.error = profile, error

    def compose(self) -> ComposeResult:
        with Vertical(id="add-key-dialog", classes="dialog"):
            yield Label(Text.assemble("Access key for ", (printable(self.profile), "bold")))
            yield FieldInput(placeholder="Access key id (AKIA...)", id="key-id", enter_moves_on=True)
            yield FieldInput(placeholder="Secret access key", password=True, id="key-secret")
            yield Label(Text(self.error), id="add-key-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#add-key-error").display = bool(self.error)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key_id = self.query_one("#key-id", Input).value.strip()
        secret = self.query_one("#key-secret", Input).value.strip()
        if event.input.id == "key-id" or not secret:
            self.query_one("#key-secret", Input).focus()
            return
        self.dismiss((key_id, secret))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PassphraseScreen(ModalScreen[str | None]):
    """Asks for the passphrase of the encrypted file keyring."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="passphrase.cancel")]

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="passphrase-dialog", classes="dialog"):
            yield Label("Passphrase for the encrypted keyring")
            yield Label(Text(self.path), classes="dim")
            yield Input(password=True, id="passphrase")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

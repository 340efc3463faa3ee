"""The MFA modal, and the MFA source that lets the engine ask through it.

The engine runs in a worker thread and calls the source; the source opens
the modal on the main thread and waits for the code. The modal stays open,
with a spinner, while STS checks the code: a refusal is shown in place and
the user types again; the app closes it when the call is done.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, LoadingIndicator

from ..display import printable
from ..errors import MfaError
from ..widgets.inputs import CodeInput


class MfaScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="mfa.cancel")]

    def __init__(self, serial: str, profile: str, refused: str | None, answer: Future[str | None]):
        super().__init__()
        self.serial, self.profile = serial, profile
        self.refused, self.answer = refused, answer

    def compose(self) -> ComposeResult:
        with Vertical(id="mfa-dialog", classes="dialog"):
            yield Label(Text.assemble("MFA code for ", (printable(self.profile), "bold")), id="mfa-title")
            yield Label(Text(printable(self.serial)), id="mfa-device", classes="dim")
            yield CodeInput(placeholder="6 digits", restrict=r"\d{0,6}", max_length=6, id="mfa-code")
            yield Label(Text(self.refused or ""), id="mfa-error", classes="error")
            yield LoadingIndicator(id="mfa-spinner")
            yield Label("Enter submits · Esc cancels", classes="dim")

    def on_mount(self) -> None:
        self.query_one("#mfa-spinner").display = False
        self.query_one("#mfa-error").display = bool(self.refused)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        code = event.value
        if len(code) != 6:
            self._show_error("An MFA code is 6 digits.")
            return
        self.query_one("#mfa-code", Input).disabled = True
        self.query_one("#mfa-spinner").display = True
        self.query_one("#mfa-error").display = False
        self.answer.set_result(code)

    def ask_again(self, refused: str, answer: Future[str | None]) -> None:
        """AWS refused the code: say so, and take another."""
        self.answer = answer
        code = self.query_one("#mfa-code", Input)
        code.disabled, code.value = False, ""
        self.query_one("#mfa-spinner").display = False
        self._show_error(refused)
        code.focus()

    def _show_error(self, text: str) -> None:
        error = self.query_one("#mfa-error", Label)
        error.update(Text(text))
        error.display = True

    def action_cancel(self) -> None:
        if not self.answer.done():
            self.answer.set_result(None)
        self.dismiss()


class ModalMfa:
    """An MfaSource for the engine, called from a worker thread."""

    def __init__(self, app: App):
        self.app = app

    def __call__(self, serial: str, profile: str, refused: str | None) -> str:
        answer: Future[str | None] = Future()
        self.app.call_from_thread(self._ask, serial, profile, refused, answer)
        while True:
            try:
                code = answer.result(timeout=0.5)
                break
            except FutureTimeout:
                if not self.app.is_running:  # the app quit with the modal open: this worker must not outlive it
                    code = None
                    break
        if code is None:
            raise MfaError("MFA cancelled")
        return code

    def _ask(self, serial: str, profile: str, refused: str | None, answer: Future[str | None]) -> None:
        screen = self.app.screen
        if isinstance(screen, MfaScreen):
            screen.ask_again(refused or "Try again.", answer)
        else:
            self.app.push_screen(MfaScreen(serial, profile, refused, answer))

"""The Identity Center sign-in modal, and the SignInView that lets the engine sign in through it.

The sign-in runs in a worker thread: the view's `show` opens the modal on the
main thread with the URL (and, for the device flow, the code to check in the
browser); the modal waits with a spinner until the browser is done, and Esc
makes the view's `cancelled` true, which ends the wait in the worker. The app
closes the modal when the worker is done, as it closes the MFA modal.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, LoadingIndicator

from ..display import printable
from ..sso.flows import SignInView


class SignInScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="sign-in.cancel")]

    def __init__(self, url: str, user_code: str | None, cancel: threading.Event):
        super().__init__()
        self.url, self.user_code, self.cancel = url, user_code, cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in-dialog", classes="dialog"):
            yield Label(Text("Sign in to IAM Identity Center", style="bold"), id="sign-in-title")
            if self.user_code:
                yield Label(Text.assemble("Check that the browser shows the code ",
                                          (printable(self.user_code), "bold reverse")), id="sign-in-code")
            yield Label(Text("The browser opens this page; if it does not, open it yourself:", style="dim"))
            yield Label(Text(printable(self.url), overflow="fold"), id="sign-in-url")
            yield LoadingIndicator(id="sign-in-spinner")
            yield Label("Waiting for the browser · Esc cancels", classes="dim")

    def action_cancel(self) -> None:
        self.cancel.set()
        self.dismiss()


class ModalSignIn:
    """The engine's `sign_in_view`: each call is one sign-in, shown in its own modal."""

    def __init__(self, app: App):
        self.app = app

    def __call__(self) -> SignInView:
        cancel = threading.Event()

        def show(url: str, user_code: str | None) -> None:
            self.app.call_from_thread(self.app.push_screen, SignInScreen(url, user_code, cancel))

        return SignInView(show, cancelled=lambda: cancel.is_set() or not self.app.is_running)

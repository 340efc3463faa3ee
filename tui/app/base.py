"""What every part of the app shares: its state, the status line, the sessions it shows, asking
from a worker, and the one handler of worker failures."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime
from typing import Callable, TypeVar, cast

from textual import on, work
from textual.app import App
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..credentials import utcnow
from ..engine import Engine, Policy
from ..errors import HatsError
from ..profiles import ProfileSet
from ..screens.main import MainScreen
from ..screens.messages import Said, SessionsLoaded, Warned
from ..screens.mfa import MfaScreen
from ..screens.sign_in import SignInScreen
from ..sso.portal_profiles import PortalProfiles
from ..store.items import SessionEntry, SignInEntry
from ..store.vault import Vault
from ..widgets.chain_view import ChainView
from ..widgets.sessions_pane import SessionsPane

Answer = TypeVar("Answer")


class AppBase(App):
    def __init__(self, backend: str | None = None, clock: Callable[[], datetime] = utcnow):
        super().__init__()
        self.backend = backend
        self.clock = clock
        self.policy = Policy(clock=clock, process_stderr=self.warn_from_anywhere)  # not onto the screen
        self.profiles = PortalProfiles(ProfileSet({}), ())
        self.engine: Engine | None = None
        self.session_entries: list[SessionEntry] = []
        self.sign_in_entries: list[SignInEntry] = []
        self.banner: Callable[[], str] | None = None
        self.vault_problem: str | None = None  # why the keyring did not open, until it does

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self)

    @property
    def main(self) -> MainScreen:
        return cast(MainScreen, self.screen_stack[0])  # the default screen stays at the bottom

    @property
    def vault(self) -> Vault | None:
        return self.engine.vault if self.engine else None

    def open_engine(self) -> Engine:
        """The engine, for a worker started once ready() said the keyring is open."""
        if self.engine is None:
            raise HatsError("The keyring is not open yet.")
        return self.engine

    def ready(self) -> bool:
        if self.engine is None:
            self.status(f"The keyring did not open: {self.vault_problem} Press u to try again."
                        if self.vault_problem else "The keyring is not open yet.", error=True)
        return self.engine is not None

    def highlighted(self) -> str | None:
        name = self.main.tree.highlighted_profile
        if name is None:
            self.status("Highlight a profile first.", error=True)
        return name

    # -- the sessions -----------------------------------------------------------
    @work(thread=True, group="vault", exit_on_error=False)
    def load_sessions(self) -> None:
        vault = self.open_engine().vault
        self.post_message(SessionsLoaded(vault.sessions(), vault.sign_ins()))

    @on(SessionsLoaded)
    def sessions_loaded(self, message: SessionsLoaded) -> None:
        self.session_entries, self.sign_in_entries = message.entries, message.sign_ins
        self.tick(new_entries=True)
        if self.main.trees:
            self.main.show_chain(self.main.tree.highlighted_profile)

    def tick(self, new_entries: bool = False) -> None:
        """Recompute every countdown from the clock; a no-op while the screen is torn down."""
        if not self.screen_stack:  # the app is closing: the last tick can come after its screens went
            return
        panes, trees = self.main.query(SessionsPane), self.main.trees
        if not panes or not trees:
            return
        now, margin = self.clock(), self.policy.refresh_margin.total_seconds()
        if self.banner:
            self.main.set_banner(self.banner())
        if new_entries:
            panes.first().set_entries(self.session_entries, margin, now, self.sign_in_entries)
        else:
            panes.first().tick(now)
            self.main.query_one(ChainView).tick(now)
        for tree in trees:
            tree.refresh_marks(self.session_entries, margin, now)

    # -- asking from a worker ---------------------------------------------------
    def wait_for_screen(self, screen: Screen[Answer]) -> Answer:
        """From a worker thread: show a modal and wait for what it is dismissed with."""
        answer: Future[Answer] = Future()
        self.call_from_thread(self.push_screen, screen, answer.set_result)
        return answer.result()

    def close_modals(self) -> None:
        """The MFA or sign-in modal of a worker that is done."""
        if isinstance(self.screen, (MfaScreen, SignInScreen)):
            self.screen.dismiss()

    # -- telling ----------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are reported, by what the worker was doing."""
        if event.state != WorkerState.ERROR:
            return
        self.close_modals()
        error = event.worker.error
        text = str(error) if isinstance(error, HatsError) else f"unexpected error: {type(error).__name__}: {error}"
        if event.worker.name == "open_vault":
            self.vault_problem = text
            self.status(f"The keyring did not open: {text} Press u to try again.", error=True)
        else:
            self.status(text, error=True)

    @on(Said)
    def said(self, message: Said) -> None:
        self.status(message.text, message.error)

    def status(self, text: str, error: bool = False) -> None:
        self.main.set_status(text, "error" if error else "info")

    def warn_from_anywhere(self, text: str) -> None:
        self.post_message(Warned(text))  # post_message is thread-safe, and never waits

    @on(Warned)
    def show_warning(self, message: Warned) -> None:
        self.main.set_status(f"warning: {message.text}", "warning")

"""The Textual app: wiring between the engine and the screen.

Every call that can block (the keyring, STS, preparing a child and its
credential server) runs in a thread worker; the worker posts what it made as a
typed message (VaultOpened, SessionsLoaded, CredentialsReady, ChildReady,
Said) handled with @on, and failures of all workers land in one handler that
says what failed (a keyring that did not open can be opened again with u).
Children are spawned on the main thread, inside App.suspend(), through
`spawn`, the one seam tests replace (the headless driver cannot suspend).
"""

from __future__ import annotations

import gc
import os
import shlex
from concurrent.futures import Future
from contextlib import ExitStack
from datetime import datetime
from typing import Callable, Iterable, TypeVar, cast

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from .credentials import long_term_key, utcnow
from .engine import Engine, Policy
from .errors import ConfigError, HatsError
from .forest import build_forest
from .profiles import ProfileSet, config_path, load
from .sso.portal_profiles import with_cached_portals
from .store.items import CachedSession, SessionEntry
from .store.vault import Vault
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .screens.messages import ChildReady, CredentialsReady, Said, SessionsLoaded, VaultOpened, Warned
from .screens.mfa import MfaScreen, ModalMfa
from .screens.prompts import AddKeyScreen, CommandScreen, PassphraseScreen
from .widgets.chain_view import ChainView
from .widgets.profile_tree import ProfileTree
from .terminal import wait_for_a_key
from .widgets.sessions_pane import SessionsPane

ENGINE_LABEL = "hats (app)"  # how other runs name this one while it asks for a code

VaultOpener = Callable[[str | None, Callable[[], str]], Vault]  # (backend, passphrase prompt) -> vault
Answer = TypeVar("Answer")


class HatsApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "hats"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Show the keys"),
        Binding("exclamation_mark,x", "command", "Run", id="command", tooltip="Run one command in this role"),
        Binding("r", "renew", "Renew", id="renew", tooltip="Renew this profile's session now"),
        Binding("c", "clear", "Clear", id="clear", tooltip="Drop this profile's cached sessions"),
        Binding("a", "add_key", "Add key", id="add-key", tooltip="Store or replace the access key"),
        Binding("o", "console", "Console", id="console", tooltip="Open the AWS console in this role"),
        Binding("u", "open_vault_again", "Open keyring", id="open-keyring", show=False,
                tooltip="Try again to open the keyring, after it failed to open"),
    ]
    ACTIONS = {
        "shell": ("Open a shell", "A subshell with the highlighted role's credentials"),
        "command": ("Run a command", "One command with the highlighted role's credentials"),
        "renew": ("Renew session", "Get a new session for the highlighted profile now"),
        "clear": ("Clear sessions", "Drop the highlighted profile's cached sessions"),
        "add_key": ("Add or replace key", "Store the access key of the highlighted base profile"),
        "console": ("Open the AWS console", "Sign in to the console as the highlighted profile, in the browser"),
        "filter": ("Filter profiles", "Fuzzy filter over names, accounts, roles and regions"),
    }

    def __init__(self, backend: str | None = None, clock: Callable[[], datetime] = utcnow,
                 vault_opener: VaultOpener | None = None, banner: Callable[[], str] | None = None):
        """`banner`, when given, is shown beside the status line, refreshed each second (the demo's MFA code)."""
        super().__init__()
        self.banner = banner
        self.backend = backend
        self.clock = clock
        self.policy = Policy(clock=clock, process_stderr=self.warn_from_anywhere)  # not onto the screen
        self.profiles = ProfileSet({})
        self.engine: Engine | None = None
        self.session_entries: list[SessionEntry] = []
        self.vault_opener = vault_opener
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

    def on_ready(self) -> None:
        self.status("Opening the keyring…")
        self.load_profiles()
        self.open_vault()
        self.set_interval(1, self.tick)

    # -- loading ----------------------------------------------------------------
    def load_profiles(self) -> None:
        try:
            self.profiles = load()
        except ConfigError as error:
            self.profiles = ProfileSet({})
            self.status(str(error), error=True)
        self.profiles = with_cached_portals(self.profiles)
        forest = build_forest(self.profiles, self.profiles.portals)
        if not self.profiles and not self.main.query("#status.error"):
            path = config_path()
            self.main.show_welcome(_home_relative(str(path)), path.exists())
        # Thousands of profiles live as long as the app: out of the collector's
        # full passes, which otherwise walk them all mid-keystroke (60-90 ms). And
        # fewer passes: a keystroke builds and drops a few thousand objects.
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        self.main.show_forest(forest)

    @work(thread=True, group="vault", exit_on_error=False)
    def open_vault(self) -> None:
        from .store.backends import open_vault

        if self.vault_opener:
            vault = self.vault_opener(self.backend, self.ask_passphrase)
            vault.warn = self.warn_from_anywhere
        else:
            vault = open_vault(self.backend, passphrase=self.ask_passphrase, warn=self.warn_from_anywhere)
        vault.profiles_with_keys()  # the first read: unlocks, or fails here rather than later
        self.post_message(VaultOpened(vault))

    @on(VaultOpened)
    def vault_opened(self, message: VaultOpened) -> None:
        self.vault_problem = None
        self.engine = Engine(self.profiles, message.vault, ModalMfa(self), policy=self.policy, label=ENGINE_LABEL,
                             notify=lambda text: self.call_from_thread(self.status, text))
        if not self.main.query("#status.error, #status.warning"):  # keep a config error or a repair in view
            self.status(f"{len(self.profiles)} profiles. Enter opens a shell in the highlighted one."
                        if self.profiles else "No profiles yet: the steps above get you started.")
        self.load_sessions()

    @work(thread=True, group="vault", exit_on_error=False)
    def load_sessions(self) -> None:
        self.post_message(SessionsLoaded(self.open_engine().vault.sessions()))

    @on(SessionsLoaded)
    def sessions_loaded(self, message: SessionsLoaded) -> None:
        self.session_entries = message.entries
        self.tick(new_entries=True)
        if self.main.trees:
            self.main.show_chain(self.main.tree.highlighted_profile)

    def tick(self, new_entries: bool = False) -> None:
        """Recompute every countdown from the clock; a no-op while the screen is torn down."""
        panes, trees = self.main.query(SessionsPane), self.main.trees
        if not panes or not trees:
            return
        now, margin = self.clock(), self.policy.refresh_margin.total_seconds()
        if self.banner:
            self.main.set_banner(self.banner())
        if new_entries:
            panes.first().set_entries(self.session_entries, margin, now)
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

    def ask_passphrase(self) -> str:
        from .store.backends import file_store_path

        passphrase = os.environ.get("HATS_FILE_PASSPHRASE") or self.wait_for_screen(
            PassphraseScreen(str(file_store_path())))
        if not passphrase:
            raise HatsError("no passphrase given for the encrypted keyring")
        return passphrase

    # -- actions ----------------------------------------------------------------
    def highlighted(self) -> str | None:
        name = self.main.tree.highlighted_profile
        if name is None:
            self.status("Highlight a profile first.", error=True)
        return name

    def ready(self) -> bool:
        if self.engine is None:
            self.status(f"The keyring did not open: {self.vault_problem} Press u to try again."
                        if self.vault_problem else "The keyring is not open yet.", error=True)
        return self.engine is not None

    def action_open_vault_again(self) -> None:
        if self.engine is None:
            self.vault_problem = None
            self.status("Opening the keyring…")
            self.open_vault()

    def action_shell(self) -> None:
        self.open_shell(self.highlighted())

    @on(ProfileTree.Chosen)
    def profile_chosen(self, message: ProfileTree.Chosen) -> None:
        if message.name is None:
            self.status("Highlight a profile first.", error=True)
        self.open_shell(message.name)

    def open_shell(self, name: str | None) -> None:
        if name and self.ready():
            self.resolve(name, renew=False, command=None)

    def action_command(self) -> None:
        name = self.highlighted()
        if name and self.ready():
            def run(line: str | None) -> None:
                if line:
                    self.resolve(name, renew=False, command=line)
            self.push_screen(CommandScreen(name), run)

    def action_renew(self) -> None:
        name = self.highlighted()
        if name and self.ready():
            self.resolve(name, renew=True, command=None, spawn=False)

    def action_clear(self) -> None:
        name = self.highlighted()
        if name and self.ready():
            self.clear_sessions(name)

    def action_add_key(self) -> None:
        name = self.highlighted()
        if not (name and self.ready()):
            return
        try:
            base = self.profiles.chain(name)[0].name
        except ConfigError as error:
            self.status(str(error), error=True)
            return
        self._ask_key(base, "")

    def _ask_key(self, base: str, error: str) -> None:
        def store(answer: tuple[str, str] | None) -> None:
            if answer:
                self.store_key(base, *answer)
        self.push_screen(AddKeyScreen(base, error), store)

    def action_console(self) -> None:
        name = self.highlighted()
        if name and self.ready():
            self.open_console(name)

    @work(thread=True, exclusive=True, group="sts", exit_on_error=False)
    def open_console(self, name: str) -> None:
        import webbrowser

        from .signin import profile_console_url

        url = profile_console_url(self.open_engine(), name)
        self.call_from_thread(self._close_mfa)
        opened = webbrowser.open(url)
        self.post_message(Said(f"Opened the AWS console as {name}." if opened
                                    else "No browser to open: use `hats login --stdout` in a shell.", not opened))

    def action_help(self) -> None:
        rows = []
        for screen in (self.main, self):
            for binding in type(screen).BINDINGS:
                if isinstance(binding, Binding) and binding.show:
                    rows.append((self.get_key_display(binding), binding.description))
        rows.insert(0, ("enter", "Open a shell in the highlighted role"))
        rows.insert(1, ("j k ↑ ↓", "Move"))
        self.push_screen(HelpScreen(rows))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, (title, help_text) in self.ACTIONS.items():
            target = self.main if action == "filter" else self
            yield SystemCommand(title, help_text, getattr(target, f"action_{action}"))

    # -- workers ----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="sts", exit_on_error=False)
    def resolve(self, name: str, renew: bool, command: str | None, spawn: bool = True) -> None:
        session = self.open_engine().credentials(name, renew=renew)
        self.post_message(CredentialsReady(name, session, command, spawn))
        if spawn:
            self.prepare_child(name, session, command)

    def prepare_child(self, name: str, session: CachedSession, command: str | None) -> None:
        """In the worker: the child's environment, its credential server and rc files (keyring reads,
        a server start), so the UI thread only hands the terminal over."""
        from .child.role import role_child, user_shell

        argv = None if command is None else [user_shell(os.environ), "-c", command]
        resources = ExitStack()
        try:
            argv, env = resources.enter_context(role_child(self.open_engine(), name, session, argv,
                                                           serve=command is None))
        except BaseException:
            resources.close()
            raise
        self.post_message(ChildReady(name, argv, env, resources, command))

    @on(CredentialsReady)
    def credentials_ready(self, message: CredentialsReady) -> None:
        self._close_mfa()
        self.load_sessions()
        if not message.spawn:
            left = message.session.credentials.seconds_left(self.clock()) // 60
            self.status(f"Renewed {message.name}: {left:.0f} min left.")

    @on(ChildReady)
    def child_ready(self, message: ChildReady) -> None:
        command = message.command
        try:
            code = self.spawn(message.argv, message.env, hold=command is not None)
        finally:
            self.release(message.resources)
        what = "shell" if command is None else shlex.split(command)[0] if command.strip() else "command"
        self.status(f"{what} in {message.name} exited with {code}.", error=code != 0)

    @work(thread=True, group="child", exit_on_error=False)
    def release(self, resources: ExitStack) -> None:
        """The child's server and rc files go once it has exited; stopping the server waits on its thread."""
        resources.close()

    def spawn(self, argv: list[str], env: dict[str, str], hold: bool = False) -> int:
        """Hand the terminal to a child and take it back when it exits; with `hold`, once a key is
        pressed, so a command's output can be read (a shell's screen is the person's own)."""
        from .child.spawn import run_child

        with self.suspend():
            code = run_child(argv, env)
            if hold:
                wait_for_a_key(f"exited with {code}")
            return code

    @work(thread=True, group="vault", exit_on_error=False)
    def clear_sessions(self, name: str) -> None:
        count = self.open_engine().vault.clear_sessions([name])
        self.post_message(Said(f"Cleared {count} session{'s' if count != 1 else ''} of {name}."))
        self.load_sessions()

    @work(thread=True, group="vault", exit_on_error=False)
    def store_key(self, base: str, key_id: str, secret: str) -> None:
        try:
            key = long_term_key(key_id, secret)
        except HatsError as error:
            self.call_from_thread(self._ask_key, base, str(error))
            return
        self.open_engine().vault.set_key(base, key)
        self.post_message(Said(f"Stored the key {key.access_key_id} for {base}."))
        self.load_sessions()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are reported, by what the worker was doing."""
        if event.state != WorkerState.ERROR:
            return
        self._close_mfa()
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

    def _close_mfa(self) -> None:
        if isinstance(self.screen, MfaScreen):
            self.screen.dismiss()

    def status(self, text: str, error: bool = False) -> None:
        self.main.set_status(text, "error" if error else "info")

    def warn_from_anywhere(self, text: str) -> None:
        self.post_message(Warned(text))  # post_message is thread-safe, and never waits

    @on(Warned)
    def show_warning(self, message: Warned) -> None:
        self.main.set_status(f"warning: {message.text}", "warning")


def _home_relative(path: str) -> str:
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home != "/" and path.startswith(home + os.sep) else path


def run(backend: str | None = None) -> int:
    HatsApp(backend=backend).run()
    return 0


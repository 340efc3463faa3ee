"""The Textual app: loading the config and the keyring, and what each key does.

Every call that can block (the keyring, STS, preparing a child and its
credential server) runs in a thread worker; the worker posts what it made as a
typed message (VaultOpened, SessionsLoaded, CredentialsReady, ChildReady,
Said, PortalsFetched) handled with @on, and failures of all workers land in one
handler (base.py) that says what failed (a keyring that did not open can be
opened again with u).
"""

from __future__ import annotations

import gc
import os
import time
from datetime import datetime
from typing import Callable, Iterable

from rich.text import Text
from textual import on, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .. import recent
from ..credentials import long_term_key, utcnow
from ..display import home_relative, printable
from ..engine import Engine
from ..errors import ConfigError, HatsError
from ..forest import build_forest
from ..profiles import ProfileSet, config_path, load
from ..screens.console_picker import ConsolePickerScreen
from ..screens.help import HelpScreen
from ..screens.messages import Said, VaultOpened
from ..screens.mfa import ModalMfa
from ..screens.prompts import AddKeyScreen, CommandScreen, ConfirmScreen, PassphraseScreen
from ..screens.sign_in import ModalSignIn
from ..sso.portal_profiles import with_cached_portals
from ..store.vault import Vault, default_state_dir
from ..widgets.profile_tree import ProfileTree
from .children import ChildRunner
from .keymap import user_keymap
from .portals import PortalRefresher

ENGINE_LABEL = "hats (app)"  # how other runs name this one while it asks for a code

VaultOpener = Callable[[str | None, Callable[[], str]], Vault]  # (backend, passphrase prompt) -> vault


class HatsApp(ChildRunner, PortalRefresher):
    CSS_PATH = "app.tcss"
    TITLE = "hats"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Show the keys"),
        Binding("exclamation_mark,x", "command", "Run", id="command", tooltip="Run one command in this role"),
        Binding("r", "renew", "Renew", id="renew", tooltip="Renew this profile's session now"),
        Binding("c", "clear", "Clear", id="clear", tooltip="Drop this profile's cached sessions"),
        Binding("a", "add_key", "Add key", id="add-key", tooltip="Store or replace the access key"),
        Binding("R", "rotate_key", "Rotate key", id="rotate-key", show=False,
                tooltip="Replace the base user's access key: a new one in IAM and the keyring, the old one deleted"),
        Binding("o", "console", "Console", id="console",
                tooltip="Open the AWS console in this role, on a service's page"),
        Binding("p", "refresh_portals", "Portals", id="refresh-portals",
                tooltip="Fetch the IAM Identity Center portals' accounts and roles again, signing in where needed"),
        Binding("u", "open_vault_again", "Open keyring", id="open-keyring", show=False,
                tooltip="Try again to open the keyring, after it failed to open"),
    ]
    ACTIONS = {
        "shell": ("Open a shell", "A subshell with the highlighted role's credentials"),
        "command": ("Run a command", "One command with the highlighted role's credentials"),
        "renew": ("Renew session", "Get a new session for the highlighted profile now"),
        "clear": ("Clear sessions", "Drop the highlighted profile's cached sessions"),
        "add_key": ("Add or replace key", "Store the access key of the highlighted base profile"),
        "rotate_key": ("Rotate the access key", "Replace the highlighted base user's key in IAM and the keyring"),
        "console": ("Open the AWS console", "Sign in to the console as the highlighted profile, in the browser"),
        "filter": ("Filter profiles", "Fuzzy filter over names, accounts, roles and regions"),
        "refresh_portals": ("Refresh the SSO portals", "Fetch every IAM Identity Center portal's accounts and roles"),
    }

    def __init__(self, backend: str | None = None, clock: Callable[[], datetime] = utcnow,
                 vault_opener: VaultOpener | None = None, banner: Callable[[], str] | None = None):
        """`banner`, when given, is shown beside the status line, refreshed each second (the demo's MFA code)."""
        super().__init__(backend, clock)
        self.banner = banner
        self.vault_opener = vault_opener

    def on_ready(self) -> None:
        self.status("Opening the keyring…")
        keymap, problem = user_keymap(type(self))
        self.set_keymap(keymap)
        self.load_profiles()
        if problem:
            self.status(problem, error=True)
        self.open_vault()
        self.set_interval(1, self.tick)

    # -- loading ----------------------------------------------------------------
    def load_profiles(self) -> None:
        try:
            config = load()
        except ConfigError as error:
            config = ProfileSet({})
            self.status(str(error), error=True)
        self.profiles = with_cached_portals(config)
        used = recent.load(default_state_dir()).ranked(self.profiles.profiles, time.time())
        forest = build_forest(self.profiles, self.profiles.portals, used)
        if not self.profiles and not self.main.query("#status.error"):
            path = config_path()
            self.main.show_welcome(home_relative(str(path)), path.exists())
        # Thousands of profiles live as long as the app: out of the collector's
        # full passes, which otherwise walk them all mid-keystroke (60-90 ms). And
        # fewer passes: a keystroke builds and drops a few thousand objects.
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        self.main.show_forest(forest)
        self.refresh_bindings()  # `p` shows once there is a portal

    @work(thread=True, group="vault", exit_on_error=False)
    def open_vault(self) -> None:
        from ..store.backends import open_vault

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
                             notify=lambda text: self.call_from_thread(self.status, text),
                             sign_in_view=ModalSignIn(self))
        if not self.main.query("#status.error, #status.warning"):  # keep a config error or a repair in view
            self.status(f"{len(self.profiles)} profiles. Enter opens a shell in the highlighted one."
                        if self.profiles else "No profiles yet: the steps above get you started.")
        self.load_sessions()
        if self.has_portals():
            self.refresh_portals(ask=False)  # what the portals give now, for any sign-in still valid

    def ask_passphrase(self) -> str:
        from ..store.backends import file_store_path

        passphrase = os.environ.get("HATS_FILE_PASSPHRASE") or self.wait_for_screen(
            PassphraseScreen(str(file_store_path())))
        if not passphrase:
            raise HatsError("no passphrase given for the encrypted keyring")
        return passphrase

    # -- actions ----------------------------------------------------------------
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

    def highlighted_base(self) -> str | None:
        """The base profile of the highlighted one's chain, once the keyring is open."""
        name = self.highlighted()
        if not (name and self.ready()):
            return None
        try:
            return self.profiles.chain(name)[0].name
        except ConfigError as error:
            self.status(str(error), error=True)
            return None

    def action_add_key(self) -> None:
        base = self.highlighted_base()
        if base:
            self._ask_key(base, "")

    def action_rotate_key(self) -> None:
        base = self.highlighted_base()
        if not base:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.status(f"Rotating the key of {base}…")
                self.rotate_key(base)
        self.push_screen(ConfirmScreen(Text.assemble("Rotate the access key of ", (printable(base), "bold"), "?"),
                                       "A new key is made in IAM and stored, checked, and the old one deleted; "
                                       "the sessions made from it are dropped."), answered)

    @work(thread=True, exclusive=True, group="sts", exit_on_error=False)
    def rotate_key(self, base: str) -> None:
        from ..rotate import rotate

        done = rotate(self.open_engine(), base)
        self.call_from_thread(self.close_modals)
        self.post_message(Said(f"Rotated the key of {base}: {done.new_key_id} is stored and works, "
                               f"{done.old_key_id} is deleted."))
        self.load_sessions()

    def _ask_key(self, base: str, error: str) -> None:
        def store(answer: tuple[str, str] | None) -> None:
            if answer:
                self.store_key(base, *answer)
        self.push_screen(AddKeyScreen(base, error), store)

    def action_console(self) -> None:
        name = self.highlighted()
        if not (name and self.ready()):
            return
        from ..child.environment import chain_region

        try:
            region = chain_region(self.profiles.chain(name))
        except ConfigError as error:
            self.status(str(error), error=True)
            return

        def open_page(service: str | None) -> None:
            if service is not None:
                self.open_console(name, service or None)
        self.push_screen(ConsolePickerScreen(name, region), open_page)

    def action_help(self) -> None:
        rows = []
        for screen in (self.main, self):
            for binding in type(screen).BINDINGS:
                if isinstance(binding, Binding):  # the footer's and the rest: the help is where those are found
                    what = binding.tooltip or binding.description
                    rows.append((self.get_key_display(binding), f"{what}  ({binding.id})" if binding.id else what))
        rows.insert(0, ("enter", "Open a shell in the highlighted role"))
        rows.insert(1, ("j k ↑ ↓", "Move"))
        self.push_screen(HelpScreen(rows))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action, (title, help_text) in self.ACTIONS.items():
            target = self.main if action == "filter" else self
            yield SystemCommand(title, help_text, getattr(target, f"action_{action}"))

    # -- workers ----------------------------------------------------------------
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

def run(backend: str | None = None) -> int:
    HatsApp(backend=backend).run()
    return 0


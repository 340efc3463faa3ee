"""From a highlighted profile to a child process: credentials in a worker, the child's environment
and credential server prepared there too, and the terminal handed over on the main thread through
`spawn`, the one seam tests replace (the headless driver cannot suspend)."""

from __future__ import annotations

import os
import shlex
import time
from contextlib import ExitStack

from textual import on, work

from .. import recent
from ..screens.messages import ChildReady, CredentialsReady, RecentUsed, Said
from ..store.items import CachedSession
from ..store.vault import default_state_dir
from ..terminal import wait_for_a_key
from ..widgets.profile_tree import ProfileTree
from .base import AppBase


class ChildRunner(AppBase):
    @work(thread=True, exclusive=True, group="sts", exit_on_error=False)
    def resolve(self, name: str, renew: bool, command: str | None, spawn: bool = True) -> None:
        session = self.open_engine().credentials(name, renew=renew)
        self.post_message(CredentialsReady(name, session, command, spawn))
        if spawn:
            self.record_use(name)
            self.prepare_child(name, session, command)

    def record_use(self, name: str) -> None:
        """In a worker: the use kept in the state directory, and the "recent" rows told."""
        history = recent.record_use(default_state_dir(), name)
        self.post_message(RecentUsed(history.ranked(self.profiles.profiles, time.time())))

    @on(RecentUsed)
    def recent_used(self, message: RecentUsed) -> None:
        self.main.query_one("#profiles", ProfileTree).show_recent(message.used)

    def prepare_child(self, name: str, session: CachedSession, command: str | None) -> None:
        """In the worker: the child's environment, its credential server and rc files (keyring reads,
        a server start), so the UI thread only hands the terminal over."""
        from ..child.role import role_child, user_shell

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
        self.close_modals()
        self.load_sessions()
        if not message.spawn:
            credentials = message.session.credentials
            left = "they do not expire" if credentials.expiration is None else \
                f"{credentials.seconds_left(self.clock()) // 60:.0f} min left"
            self.status(f"Renewed {message.name}: {left}.")

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
        from ..child.spawn import run_child

        with self.suspend():
            code = run_child(argv, env)
            if hold:
                wait_for_a_key(f"exited with {code}")
            return code

    @work(thread=True, exclusive=True, group="sts", exit_on_error=False)
    def open_console(self, name: str, service: str | None = None) -> None:
        """In the browser the profile chooses (hats_browser): the system's, a Firefox container, a
        Chromium profile of its own. The system browser is used only when it is a graphical one: a
        text browser would take the terminal from the app."""
        from ..browsers import DEFAULT, BrowserError, browser_for
        from ..signin import profile_console_url
        from ..sso.flows import browser_available

        engine = self.open_engine()
        browser = browser_for(engine.profiles.get(name))
        url = profile_console_url(engine, name, service=service)
        self.record_use(name)
        self.call_from_thread(self.close_modals)
        page = f" on {service}" if service else ""
        try:
            if browser.kind == DEFAULT and not browser_available():
                raise BrowserError("no graphical browser")
            browser.open(url, default_state_dir())
        except BrowserError:
            self.post_message(Said("No browser to open here: use `hats login --stdout` in a shell.", True))
            return
        self.post_message(Said(f"Opened the AWS console as {name}{page} in {browser.description}."))

"""The IAM Identity Center portals in the tree: fetched again in a worker when the keyring opens
(never asking anyone) and on `p` (signing in, in the modal, where a sign-in is needed)."""

from __future__ import annotations

from textual import on, work

from ..forest import build_forest
from ..screens.messages import PortalsFetched
from ..sso.portal_profiles import fresh_portals, with_portals
from ..store.vault import default_state_dir
from ..widgets.profile_tree import ProfileTree
from .base import AppBase


class PortalRefresher(AppBase):
    def has_portals(self) -> bool:
        return bool(self.profiles.targets)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`p` is in the footer only where the config has a sign-in."""
        return self.has_portals() if action == "refresh_portals" else True

    def action_refresh_portals(self) -> None:
        if not self.has_portals():
            self.status("No IAM Identity Center sign-in in the config (an sso-session or sso_start_url).", error=True)
        elif self.ready():
            self.status("Fetching the IAM Identity Center portals…")
            self.refresh_portals(ask=True)

    @work(thread=True, exclusive=True, group="portals", exit_on_error=False)
    def refresh_portals(self, ask: bool) -> None:
        """`ask`: a person asked, so a sign-in is made where one is needed (in the modal) and a failure
        is theirs to see; in the background a portal that fails keeps its copy, with a warning."""
        engine = self.open_engine()
        portals = fresh_portals(engine.keeper, self.profiles.targets, default_state_dir(),
                                engine.sign_in_view if ask else lambda: None,
                                None if ask else lambda target, error: self.warn_from_anywhere(
                                    f"the portal of {target.label} was not refreshed: {error}"))
        self.post_message(PortalsFetched(portals, asked=ask))

    @on(PortalsFetched)
    def portals_fetched(self, message: PortalsFetched) -> None:
        self.close_modals()
        self.load_sessions()  # the sign-in made for the fetch
        if message.asked:
            accounts = sum(len(portal.accounts) for portal in message.portals)
            self.status(f"Fetched {len(message.portals)} portal(s): {accounts} account(s).")
        changed = with_portals(self.profiles, message.portals)
        if changed is not None:
            self.profiles = changed
            if self.engine:
                self.engine.profiles = changed
            used = self.main.query_one("#profiles", ProfileTree).forest.used
            self.main.show_forest(build_forest(changed, changed.portals, used), self.main.tree.highlighted_profile)

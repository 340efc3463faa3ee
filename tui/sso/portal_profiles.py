"""The portal's roles as profiles: the ones the config lacks get a profile of their own, in memory.

Each is named and set as `hats sso populate` would write it, so after a
populate the same name (and the role session cached under it) carries on.
The config's profiles are not copied: the set reads through a ChainMap, so
10,000 of them are not all built for a few portal roles.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, SignInNeeded, SsoError
from ..profiles import Profile, ProfileSet
from .config import SignIn, SsoRole, is_sso_profile
from .keeper import TokenKeeper
from .populate import missing_profiles
from .portal import Portal, cached, fetch, save

if TYPE_CHECKING:
    from .flows import SignInView


class PortalProfiles(ProfileSet):
    """The config's profiles, and a profile for each portal role that has none; `targets`, the
    sign-ins the config names (sign_in_targets), worked out once: the app asks for them at every key."""

    def __init__(self, profiles: ProfileSet, portals: Iterable[Portal], targets: list[SignIn] | None = None):
        self.targets = sign_in_targets(profiles) if targets is None else targets
        self.portal_only: dict[str, Profile] = {}
        super().__init__(ChainMap(self.portal_only, profiles.profiles),  # type: ignore[arg-type]  # only read
                         profiles.sign_ins)
        self.config = profiles
        self.portals = {portal.sign_in.key: portal for portal in portals}
        for portal in self.portals.values():
            if portal.sign_in.name in profiles.sign_ins:  # an sso-session: what populate can write
                names = {account.account_id: account.name for account in portal.accounts}
                for new in missing_profiles(self, portal):
                    alias = names.get(new.account_id) or None  # as the account row names it
                    self.portal_only[new.name] = Profile(new.name, region=portal.sign_in.region,
                                                         account_alias=alias, settings={
                        "sso_session": portal.sign_in.name, "sso_account_id": new.account_id,
                        "sso_role_name": new.role_name, "region": portal.sign_in.region})

    def account_name(self, sign_in: SignIn, account_id: str) -> str:
        """The account's name as the portal gives it; "" when the portal copy does not know it."""
        portal = self.portals.get(sign_in.key)
        found = next((a for a in portal.accounts if a.account_id == account_id), None) if portal else None
        return found.name if found else ""


def sso_roles(profiles: ProfileSet) -> Iterator[tuple[Profile, SsoRole]]:
    """Each SSO profile that can be used, with the role it signs in to; a broken one is left out."""
    for profile in profiles:
        if is_sso_profile(profile.settings):
            try:
                yield profile, profiles.sso_role(profile)
            except ConfigError:
                continue


def sign_in_targets(profiles: ProfileSet) -> list[SignIn]:
    """Every sign-in the config names: its sso-sessions, and the start URLs of legacy-form profiles."""
    targets = {t.key: t for t in profiles.sign_ins.values() if isinstance(t, SignIn)}
    for profile, role in sso_roles(profiles):
        if "sso_session" not in profile.settings:
            targets.setdefault(role.sign_in.key, role.sign_in)
    return list(targets.values())


def cached_portals(state_dir: Path, targets: Iterable[SignIn]) -> list[Portal]:
    """The copies kept from the last fetch: what the app shows at once, before any call."""
    return [portal for portal in (cached(state_dir, target) for target in targets) if portal]


def with_cached_portals(profiles: ProfileSet) -> PortalProfiles:
    """The profiles with the portal roles of the copies kept at the last fetch: no call, no keyring."""
    from ..store.vault import default_state_dir

    targets = sign_in_targets(profiles)
    return PortalProfiles(profiles, cached_portals(default_state_dir(), targets), targets)


def fresh_portal(keeper: TokenKeeper, target: SignIn, state_dir: Path,
                 view: Callable[[], SignInView | None]) -> Portal | None:
    """The sign-in's portal fetched again, and kept. Without a usable or refreshable token, a person
    signs in through `view` when it gives one; None when it does not (never a browser unasked).
    A token the portal refuses is refreshed, or signed in again, once."""
    refused: str | None = None
    for _ in range(2):
        try:
            token = keeper.token(target, refused=refused)
        except SignInNeeded:
            asked = view()
            if asked is None:
                return None
            token = keeper.sign_in(target, asked, refused=refused)
        try:
            portal = fetch(target, token.access_token)
        except SignInNeeded:
            refused = token.access_token
            continue
        save(state_dir, portal)
        return portal
    return None


def fresh_portals(keeper: TokenKeeper, targets: Iterable[SignIn], state_dir: Path,
                  view: Callable[[], SignInView | None],
                  skipped: Callable[[SignIn, SsoError], None] | None = None) -> list[Portal]:
    """Each sign-in's portal again. With `skipped`, a portal that fails is told to it and left out;
    without, its failure ends the fetch."""
    portals = []
    for target in targets:
        try:
            portal = fresh_portal(keeper, target, state_dir, view)
        except SsoError as error:
            if skipped is None:
                raise
            skipped(target, error)
            continue
        if portal:
            portals.append(portal)
    return portals


def with_portals(profiles: PortalProfiles, fetched: Iterable[Portal]) -> PortalProfiles | None:
    """The profiles with these portals in place of the copies they had; None when nothing changed."""
    shown = profiles.portals
    new = {portal.sign_in.key: portal for portal in fetched
           if portal.sign_in.key not in shown or shown[portal.sign_in.key].accounts != portal.accounts}
    return PortalProfiles(profiles.config, {**shown, **new}.values(), profiles.targets) if new else None

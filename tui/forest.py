"""Profiles as a forest: base users at the roots, each role under its source.

A role used as the source of another role carries that role beneath it, so a
chain reads top to bottom. Profiles that fit nowhere (a broken chain, a
credential_process) go to a separate list with the reason. The fuzzy filter
keeps the chain context of every match: the ancestors of a match stay visible,
and names the match the cursor goes to (never an ancestor kept for context).

IAM Identity Center profiles sit under two group rows, their sign-in (an
sso-session, or a legacy start URL) and their account; the portal's copy
names the accounts and orders them. Group rows are not profiles: their keys
start with GROUP, which no profile name can, and the filter never matches one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import compress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ConfigError
from .profiles import Profile, ProfileSet
from .sso.config import is_sso_profile

if TYPE_CHECKING:
    from .sso.config import SignIn
    from .sso.portal import Portal

GROUP = "\0group:"
RECENT_ROWS = 5


@dataclass(frozen=True)
class Group:
    """A row that holds profiles: a sign-in ("session") or one of its accounts ("account")."""

    kind: str
    title: str
    detail: str


@dataclass
class Forest:
    profiles: ProfileSet
    roots: list[str] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # name -> why it fits nowhere
    haystack: dict[str, str] = field(default_factory=dict)  # name -> what the filter searches
    named: dict[str, str] = field(default_factory=dict)  # a name as a query reads it -> the name
    groups: dict[str, Group] = field(default_factory=dict)  # group rows by key
    used: list[str] = field(default_factory=list)  # the profiles used, most used lately first (recent.py)

    @property
    def recent(self) -> list[str]:
        """The "recent" rows at the top of the tree."""
        return self.used[:RECENT_ROWS]

    def kids(self, name: str) -> list[str]:
        return self.children.get(name, [])

    def ancestors(self, name: str) -> list[str]:
        trail = []
        while name in self.parent:
            name = self.parent[name]
            trail.append(name)
        return trail


def build_forest(profiles: ProfileSet, portals: Mapping[str, Portal] | None = None,
                 used: Iterable[str] = ()) -> Forest:
    """`portals`: the portal copies by sign-in key, which name and order the accounts; `used`: the
    profiles used, ranked (recent.Recent.ranked)."""
    forest = Forest(profiles)
    groups = _SignInGroups(forest, portals or {})
    for profile in sorted(profiles, key=lambda p: p.name):
        forest.haystack[profile.name] = search_text(profile)
        forest.named[normal_query(profile.name)] = profile.name
        reason = _misfit(profiles, profile)
        if reason:
            forest.broken[profile.name] = reason
        elif not profile.is_role_hop or profile.source_profile == profile.name or profile.credential_source:
            if not groups.place(profile):
                forest.roots.append(profile.name)
        else:
            forest.parent[profile.name] = profile.source_profile
            forest.children.setdefault(profile.source_profile, []).append(profile.name)
    forest.roots[:0] = groups.roots()
    forest.used = [name for name in used if name in forest.haystack and name not in forest.broken]
    return forest


class _SignInGroups:
    """The session and account rows, made as SSO base profiles are placed under them."""

    def __init__(self, forest: Forest, portals: Mapping[str, Portal]):
        self.forest, self.portals = forest, portals
        self.sessions: dict[str, SignIn] = {}
        self.accounts: dict[str, list[str]] = {}  # session key -> account keys, in the order met
        for target in forest.profiles.sign_ins.values():
            if not isinstance(target, str):
                self._session(target)

    def place(self, profile: Profile) -> bool:
        """Put an SSO base profile under its account; False for any other root."""
        if not is_sso_profile(profile.settings):
            return False
        try:
            role = self.forest.profiles.sso_role(profile)
        except ConfigError:
            return False
        account = self._account(self._session(role.sign_in), role.account_id)
        forest = self.forest
        forest.parent[profile.name] = account
        forest.children.setdefault(account, []).append(profile.name)
        extra = " ".join(filter(None, (forest.groups[account].title.lower(), role.role_name.lower())))
        forest.haystack[profile.name] += f" {extra}"
        return True

    def _session(self, target: SignIn) -> str:
        key = f"{GROUP}{target.key}"
        if target.key not in self.sessions:
            self.sessions[target.key] = target
            self.forest.groups[key] = Group("session", target.label, "" if not target.name else target.start_url)
            portal = self.portals.get(target.key)
            self.accounts[key] = []
            for account in portal.accounts if portal else ():
                self._account(key, account.account_id, account.name)
        return key

    def _account(self, session: str, account_id: str, name: str = "") -> str:
        key = f"{session}/{account_id}"
        if key not in self.forest.groups:
            self.forest.groups[key] = Group("account", name, account_id)
            self.accounts[session].append(key)
        return key

    def roots(self) -> list[str]:
        """The sessions by name, each with its accounts: the portal's first (by name), then the config's."""
        forest = self.forest
        for session, accounts in self.accounts.items():
            forest.children[session] = accounts
            for account in accounts:
                forest.parent[account] = session
        return sorted(self.accounts, key=lambda key: forest.groups[key].title)


def _misfit(profiles: ProfileSet, profile: Profile) -> str | None:
    try:
        profiles.chain(profile.name)
    except ConfigError as error:
        return str(error)
    return None


def search_text(profile: Profile) -> str:
    parts = [profile.name, profile.account_id, profile.account_alias, profile.role_name,
             profile.role_arn, profile.region]  # an SSO profile's account name and role: _SignInGroups.place
    return " ".join(part for part in parts if part).lower()


def normal_query(query: str) -> str:
    return "".join(query.lower().split())


def fuzzy_pattern(query: str) -> re.Pattern[str] | None:
    """fzf-style: the query's characters in order, anything between them, within one field.

    Between two characters the pattern skips anything but a space or the next
    character, so it never backtracks (a lazy `.*?` took seconds on account ids).
    """
    query = normal_query(query)
    if not query:
        return None
    parts = [re.escape(query[0])]
    for char in query[1:]:
        parts.append(f"[^ {re.escape(char)}]*{re.escape(char)}")
    return re.compile("".join(parts))


def matching(forest: Forest, query: str, among: list[str] | None = None) -> list[str] | None:
    """The profiles whose search text matches the query; None for an empty query.

    `among` narrows the scan to an earlier result: a query that extends
    another can only match what that one matched, as its pattern extends
    the other's.
    """
    pattern = fuzzy_pattern(query)
    if pattern is None:
        return None
    names = list(forest.haystack) if among is None else among
    return list(compress(names, map(pattern.search, map(forest.haystack.__getitem__, names))))


def with_ancestors(forest: Forest, names: list[str]) -> set[str]:
    """What a filter shows: the matches and the chain above each, a level at a time."""
    parent = forest.parent
    shown = level = set(names)
    while level:
        level = set(map(parent.__getitem__, parent.keys() & level)) - shown
        shown |= level
    return shown


class Filter:
    """The filter as it is typed: each query scans only what the one it extends matched."""

    def __init__(self, forest: Forest):
        self.forest = forest
        self.query = ""
        self.matches: list[str] | None = None
        self.shown: set[str] | None = None

    def visible(self, query: str) -> set[str] | None:
        """The profiles to show: matches and their ancestors. None: show all."""
        query = normal_query(query)
        narrowing = self.matches is not None and query.startswith(self.query)
        self.matches = matching(self.forest, query, self.matches if narrowing else None)
        self.query = query
        self.shown = None if self.matches is None else with_ancestors(self.forest, self.matches)
        return self.shown

    def best(self) -> str | None:
        """Where the cursor goes: the profile named as typed, else the match used most lately, else
        the first matching row."""
        if not self.matches or self.shown is None:
            return None
        matches = set(self.matches)
        named = self.forest.named.get(self.query)
        if named in matches and named not in self.forest.broken:
            return named
        return next((name for name in self.forest.used if name in matches),
                    None) or first_match(self.forest, matches, self.shown)


def first_match(forest: Forest, matches: set[str], shown: set[str]) -> str | None:
    """The first row, top to bottom, that is a match: roots in order, each one's roles beneath it."""
    for group in (forest.roots, list(forest.broken)):
        stack = [name for name in reversed(group) if name in shown]
        while stack:
            name = stack.pop()
            if name in matches:
                return name
            stack.extend(kid for kid in reversed(forest.kids(name)) if kid in shown)
    return None

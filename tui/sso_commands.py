"""`hats sso login | logout | list | populate`: Identity Center from the command line."""

from __future__ import annotations

import json
import sys

from .display import printable
from .errors import ConfigError, HatsError, SignInNeeded, UsageError
from .profiles import ProfileSet, config_path
from .sso.config import SignIn, is_sso_profile
from .sso.portal_profiles import sign_in_targets, sso_roles


def add_parser(commands) -> None:
    sso = commands.add_parser("sso", help="IAM Identity Center: sign in, sign out, list the portal, add profiles")
    actions = sso.add_subparsers(dest="sso_command", metavar="ACTION", required=True)
    login = actions.add_parser("login", help="sign in (the browser with PKCE, or a device code)")
    login.add_argument("session", nargs="?", metavar="SESSION",
                       help="an sso-session, or a profile of the legacy form (default: the only one)")
    login.add_argument("--device-code", action="store_true", help="sign in with a code on any device")
    login.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    login.set_defaults(handler=cmd_login)
    logout = actions.add_parser("logout", help="sign out at the portal; drop the tokens and their role sessions")
    logout.add_argument("session", nargs="?", metavar="SESSION", help="default: every sign-in")
    logout.set_defaults(handler=cmd_logout)
    listing = actions.add_parser("list", help="every account and role the portal gives you")
    listing.add_argument("session", nargs="?", metavar="SESSION")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(handler=cmd_list)
    populate = actions.add_parser("populate", help="add a profile for each portal role the config lacks")
    populate.add_argument("session", metavar="SESSION", help="the sso-session the profiles sign in through")
    populate.add_argument("--prefix", default="", help="put this before each new profile's name")
    populate.add_argument("--dry-run", action="store_true", help="print what would be added; change nothing")
    populate.set_defaults(handler=cmd_populate)


def cmd_login(args) -> int:
    profiles, keeper = _profiles(), _keeper(args)
    target, profile = _target(profiles, args.session)
    old = keeper.vault.get_token(target.key)
    view = cli_view(open_browser=not args.no_browser, device_code=args.device_code)
    token = keeper.sign_in(target, view, profile, refused=old.access_token if old else None)
    print(f"Signed in to {_name(target)} until {token.expires:%Y-%m-%d %H:%M} UTC"
          f"{'; it is refreshed as needed' if token.refresh_token else ''}.", file=sys.stderr)
    return 0


def cmd_logout(args) -> int:
    profiles, keeper = _profiles(), _keeper(args)
    if args.session:
        targets = [_target(profiles, args.session)[0]]
    else:
        targets = [SignIn(e.start_url, e.region, name=e.session_name) for e in keeper.vault.sign_ins()]
    for target in targets:
        signed_in = keeper.sign_out(target)
        names = _profiles_of(profiles, target)
        dropped = keeper.vault.clear_sessions(names) if names else 0
        state = "Signed out of" if signed_in else "Was not signed in to"
        print(f"{state} {_name(target)}; dropped {dropped} role session{'s' if dropped != 1 else ''}.",
              file=sys.stderr)
    if not targets:
        print("Not signed in anywhere.", file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    from .output import write_out

    portal = _portal(args, args.session)
    if args.json:
        write_out(json.dumps([{"account_id": a.account_id, "account_name": a.name, "email": a.email,
                               "roles": list(a.roles)} for a in portal.accounts], indent=2) + "\n")
        return 0
    rows = [(a.account_id, a.name, a.email, role) for a in portal.accounts for role in a.roles]
    widths = [max([len(h), *(len(printable(r[i])) for r in rows)]) for i, h in enumerate(HEADERS)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(HEADERS, widths)).rstrip()]
    lines += ["  ".join(printable(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    write_out("\n".join(lines) + "\n")
    return 0


HEADERS = ("ACCOUNT", "NAME", "EMAIL", "ROLE")


def cmd_populate(args) -> int:
    from .output import write_out
    from .sso.populate import append_profiles, missing_profiles

    profiles = _profiles()
    found = profiles.sign_ins.get(args.session)
    if not isinstance(found, SignIn):
        raise ConfigError(found or f"there is no [sso-session {printable(args.session)}] in {config_path()}")
    new = missing_profiles(profiles, _portal(args, args.session, profiles), args.prefix)
    if args.dry_run:
        write_out("".join(p.text(found.name, found.region) + "\n" for p in new))
        print(f"Would add {len(new)} profile{'s' if len(new) != 1 else ''} to {config_path()}.", file=sys.stderr)
        return 0
    if new:
        try:
            append_profiles(config_path(), new, found.name, found.region)
        except OSError as exc:
            raise HatsError(f"cannot write {config_path()}: {exc.strerror or exc}; nothing was changed") from None
    print(f"Added {len(new)} profile{'s' if len(new) != 1 else ''} to {config_path()}.", file=sys.stderr)
    return 0


def cli_view(open_browser: bool = True, device_code: bool = False):
    from .sso.flows import SignInView

    def show(url: str, user_code: str | None) -> None:
        if user_code:
            print(f"hats: to sign in, open {url} and check that it shows the code {user_code}", file=sys.stderr)
        else:
            print(f"hats: to sign in, {'the browser opens' if open_browser else 'open'} {url}", file=sys.stderr)

    return SignInView(show, open_browser=open_browser, device_code=device_code)


def _portal(args, name: str | None, profiles: ProfileSet | None = None):
    from .sso.portal import fetch, save
    from .store.vault import default_state_dir

    profiles = profiles or _profiles()
    keeper = _keeper(args)
    target, profile = _target(profiles, name)
    try:
        token = keeper.token(target, profile)
    except SignInNeeded:
        if not _can_sign_in():
            raise
        token = keeper.sign_in(target, cli_view(), profile)
    portal = fetch(target, token.access_token, profile)
    save(default_state_dir(), portal)
    return portal


def _can_sign_in() -> bool:
    from .sso.flows import browser_available

    return sys.stdin is not None and sys.stdin.isatty() or browser_available()


def _target(profiles: ProfileSet, name: str | None) -> tuple[SignIn, str | None]:
    """The sign-in a name means: an sso-session, or the one an SSO profile uses; none: the only one."""
    if name is None:
        targets = sign_in_targets(profiles)  # one a start URL and region
        if len(targets) != 1:
            names = ", ".join(sorted(t.label for t in targets)) or "none in " + str(config_path())
            raise UsageError(f"name the sign-in: `hats sso login SESSION` (sign-ins: {printable(names)})")
        return targets[0], None
    found = profiles.sign_ins.get(name)
    if isinstance(found, SignIn):
        return found, None
    if isinstance(found, str):
        raise ConfigError(found)
    if name in profiles and is_sso_profile(profiles.get(name).settings):
        return profiles.sso_role(profiles.get(name)).sign_in, name
    raise ConfigError(f"'{printable(name)}' is neither an sso-session nor an SSO profile in {config_path()}")


def _profiles_of(profiles: ProfileSet, target: SignIn) -> list[str]:
    """The SSO profiles that sign in through `target`: their sessions, and those chained from them, go."""
    return [profile.name for profile, role in sso_roles(profiles) if role.sign_in.key == target.key]


def _name(target: SignIn) -> str:
    return f"sso-session '{printable(target.name)}'" if target.name else printable(target.start_url)


def _profiles() -> ProfileSet:
    from .profiles import load

    return load()


def _keeper(args):
    from .output import say
    from .store.backends import open_vault
    from .sso.keeper import TokenKeeper

    return TokenKeeper(open_vault(args.backend), label=f"hats sso {args.sso_command}", notify=say)


def cli_sign_in_view():
    """How `hats exec`, `export` and `login` sign in: a person at a terminal, or a browser that can open."""
    return cli_view() if _can_sign_in() else None

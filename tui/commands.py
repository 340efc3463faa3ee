"""The handlers of `hats`' subcommands, one small function each, and the pieces they share."""

from __future__ import annotations

import json
import os
import sys

from .credentials import Credentials, long_term_key, utcnow
from .display import printable
from .errors import HatsError, UsageError
from .output import require_terminal, say, stdout, write_out


def cmd_add(args) -> int:
    _check_new_name(args.profile)
    profiles = _profiles()
    if args.profile in profiles and profiles.get(args.profile).is_role:
        raise HatsError(f"profile '{args.profile}' is a role (role_arn); add the key to its base profile")
    key = _key_from_env() if args.env else _key_from_prompt()
    vault = _vault(args)
    vault.set_key(args.profile, key)
    where = "" if args.profile in profiles else f" (no [profile {args.profile}] in the AWS config yet)"
    print(f"Stored the key {key.access_key_id} for '{args.profile}'{where}.", file=sys.stderr)
    return 0


def cmd_remove(args) -> int:
    if not _vault(args).remove_key(args.profile):
        raise HatsError(f"no key stored for profile '{args.profile}'")
    print(f"Removed the key and sessions of '{printable(args.profile)}'.", file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    import time

    from . import recent
    from .listing import by_recent_use, profile_rows, render_table
    from .store.vault import default_state_dir

    stdout()
    rows = profile_rows(_profiles(), _vault(args), utcnow())
    if args.recent:
        rows = by_recent_use(rows, recent.load(default_state_dir()), time.time())
    write_out(json.dumps(rows, indent=2) + "\n" if args.json else render_table(rows))
    return 0


def cmd_exec(args) -> int:
    from .child.role import role_child
    from .child.spawn import ChildError, exec_child, run_child
    from .recent import use_of
    from .store.vault import default_state_dir

    command = args.command_line or None
    if command and not command[0]:
        raise ChildError("command not found: ''")  # as a shell says; before any code is asked for
    engine = _engine(args)
    session = engine.credentials(args.profile, renew=args.renew)
    serve = args.server if args.server is not None else command is None
    with role_child(engine, args.profile, session, command, serve=serve, shell=args.shell) as (argv, env), \
            use_of(default_state_dir(), args.profile):
        if command and not serve:
            exec_child(argv, env)  # becomes the command: nothing of hats is left to relay
        return run_child(argv, env)


def cmd_export(args) -> int:
    from .child.environment import child_environment, export_lines

    stdout()  # before a code is asked for: credentials printed nowhere are a code spent for nothing
    chain, session = _resolve(args)
    if args.format == "json":
        credentials = json.loads(session.credentials.to_json())
        write_out(json.dumps({"Version": 1, **{k: v for k, v in credentials.items() if v}}) + "\n")
    else:
        env = child_environment({}, chain, session)
        write_out(export_lines(env, tuple(sorted(env))))
    # SDKs run this as their credential_process on every client: skip the
    # interpreter's teardown (~17 ms), there is nothing left to clean up.
    os._exit(0)


def cmd_login(args) -> int:
    from .browsers import browser_for
    from .recent import use_of
    from .signin import profile_console_url
    from .store.vault import default_state_dir

    _check_console_page(args)
    engine = _engine(args)
    browser = None if args.stdout else browser_for(engine.profiles.get(args.profile))
    url = profile_console_url(engine, args.profile, duration=args.duration, destination=args.destination,
                              region=args.region, service=args.service, path=args.path)
    with use_of(default_state_dir(), args.profile):
        if browser is None:
            write_out(url + "\n")
            return 0
        browser.open(url, default_state_dir())
    print(f"Opened the AWS console as '{printable(args.profile)}' in {browser.description}.", file=sys.stderr)
    return 0


def _check_console_page(args) -> None:
    """A mistyped service, region or path fails before any MFA prompt."""
    from .console_pages import check_region, service_page

    if args.path and not args.service:
        raise UsageError("--path is a page under --service's console; use --destination for a whole URL")
    if args.service:
        service_page(args.service)
    if args.region:
        check_region(args.region)


def cmd_demo(args) -> int:
    from .sandbox.demo import print_code, run_demo

    if not (args.code or args.print_env):
        require_terminal("the demo")
    return print_code() if args.code else run_demo(print_env=args.print_env)


def cmd_clear(args) -> int:
    profiles = [args.profile] if args.profile else None
    count = _vault(args).clear_sessions(profiles)
    print(f"Cleared {count} session{'s' if count != 1 else ''}.", file=sys.stderr)
    return 0


def cmd_lock(args) -> int:
    vault = _vault(args)
    done = vault.lock()
    print(f"Locked {vault.store.where}: the next run asks for its passphrase." if done
          else "Nothing was kept unlocked.", file=sys.stderr)
    return 0


# -- the pieces handlers share --------------------------------------------
def _profiles():
    from .profiles import load

    return load()


def _vault(args):
    from .store.backends import open_vault

    return open_vault(args.backend)


def _engine(args):
    from .mfa import source_for
    from .engine import Engine

    mfa = source_for(args.mfa_token, _read_line)
    return Engine(_profiles(), _vault(args), mfa, notify=say, label=f"hats {args.command} {printable(args.profile)}",
                  sign_in_view=_sign_in_view)


def _read_line(prompt: str) -> str:
    from .terminal import read_line  # getpass and termios: only once a code is asked for

    return read_line(prompt)


def _sign_in_view():
    from .sso_commands import cli_sign_in_view  # Identity Center: only once a sign-in is needed

    return cli_sign_in_view()


def _resolve(args):
    engine = _engine(args)
    chain = engine.profiles.chain(args.profile)
    return chain, engine.credentials(args.profile, renew=args.renew)


def _check_new_name(name: str) -> None:
    """A key is stored under a name a person can read back and type: no blanks, nothing invisible."""
    if not name.strip():
        raise UsageError("a profile name cannot be empty or only spaces")
    if printable(name) != name:
        raise UsageError(f"the profile name '{printable(name)}' holds control, format or bidi characters")


def _key_from_env() -> Credentials:
    key_id, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key_id or not secret:
        raise HatsError("--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")
    if os.environ.get("AWS_SESSION_TOKEN"):
        raise HatsError("the environment holds temporary credentials; hats add stores long-term keys")
    return long_term_key(key_id, secret)


def _key_from_prompt() -> Credentials:
    from .terminal import read_line, read_secret

    key_id = read_line("Enter Access Key ID: ")
    secret = read_secret("Enter Secret Access Key: ")
    return long_term_key(key_id, secret)

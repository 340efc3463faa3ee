"""The `hats` command: one small function a subcommand.

Everything here is cheap to import: `hats exec` with a cached session reads
the config, one keyring item and execs, without boto3 or textual.
"""

from __future__ import annotations

import json
import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING

from . import __version__, settings
from .credentials import Credentials, long_term_key, utcnow
from .display import printable
from .errors import HatsError, UsageError

if TYPE_CHECKING:
    import argparse

USAGE_ERROR = 2
READER_GONE = 128 + 13  # 128 + SIGPIPE: what a shell reports for `yes | head`, quietly


class ReaderGone(Exception):
    """Whoever read our output went away (`hats list | head`): stop, quietly."""


def main(argv: list[str] | None = None) -> int:
    if sys.stderr is None:  # started with 2>&-: print(file=None) would write to stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the whole run)
    argv = sys.argv[1:] if argv is None else argv
    ours, command_line = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    args = plain_exec(ours, command_line) or parse_args(ours, command_line)
    try:
        if args.command != "demo":  # the demo replaces every HATS_* variable with its own
            settings.check(args.backend)
        if args.command is None:
            return run_app(args)
        return args.handler(args) or 0
    except HatsError as error:
        say(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except ReaderGone:
        return READER_GONE
    except BrokenPipeError:  # stderr's reader went away (`2>&1 | head`): nobody is left to tell
        _forget_stdout()
        return READER_GONE


def parse_args(ours: list[str], command_line: list[str]):
    """hats' arguments (before --) and the command after --, as argparse reads them."""
    parser = build_parser(command_named(ours))
    args = parser.parse_args(ours)
    if command_line and args.command != "exec":
        parser.error("only `hats exec` takes a command after --")
    args.command_line = getattr(args, "command_line", []) + command_line
    return args


def plain_exec(ours: list[str], command_line: list[str]) -> SimpleNamespace | None:
    """`hats exec PROFILE -- COMMAND...` with no option, what scripts and aliases run most, read without
    argparse (5 ms of a cached exec); anything else is None, for argparse to read."""
    if len(ours) != 2 or ours[0] != "exec" or ours[1].startswith("-") or not command_line:
        return None
    return SimpleNamespace(command="exec", backend=None, profile=ours[1], mfa_token=None, renew=False, server=None,
                           shell=None, command_line=command_line, handler=cmd_exec)


def say(text: str) -> None:
    """One line on stderr; whatever config text it quotes is shown escaped, so it stays one line."""
    print(f"hats: {printable(text)}", file=sys.stderr)


def run_app(args) -> int:
    require_terminal("the app")
    from .app import run  # textual: only once a terminal is sure

    return run(args.backend)


def require_terminal(what: str) -> None:
    """A full-screen app on a pipe writes escape codes into it and spins: refuse at once."""
    if not (_is_terminal(sys.stdin) and _is_terminal(sys.stdout)):
        raise UsageError(f"{what} needs a terminal on stdin and stdout; in scripts use "
                         "`hats list`, `hats exec` or `hats export`")


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


def write_out(text: str) -> None:
    """The command's output on stdout, flushed: a closed or failing stdout is one line, a gone reader quiet."""
    out = _stdout()
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        _forget_stdout()
        raise ReaderGone from None
    except OSError as exc:
        _forget_stdout()
        raise HatsError(f"cannot write to standard output: {exc.strerror or exc}") from None


def _stdout():
    """sys.stdout, when there is one: Python sets it to None when started with >&-."""
    if sys.stdout is None:
        raise HatsError("standard output is closed (>&-): nowhere to print to")
    return sys.stdout


def _forget_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the `command` to be run, with that subcommand alone (a cached exec does
    not pay for building the other seven). Errors and help read the same either way."""
    import argparse  # here: `hats exec P -- CMD` is read without it

    parser = argparse.ArgumentParser(
        prog="hats", description="AWS credentials in your keyring; MFA sessions and role chains.")
    parser.add_argument("--version", action="version", version=f"hats {__version__}")
    parser.add_argument("--backend", help="keyring backend: secret-service, macos, windows or file "
                                          "(default: $HATS_BACKEND, else the OS keyring)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in SUBCOMMANDS.items():
        if command in (None, name):
            add(commands)
    return parser


def command_named(argv: list[str]) -> str | None:
    """The subcommand `argv` asks for, if it names one: its first word that is no option or option value."""
    words = iter(argv)
    for word in words:
        if word in ("-h", "--help"):  # hats' own help lists every subcommand
            return None
        if len(word) > 2 and "--backend".startswith(word):  # argparse takes `--back VALUE` too
            next(words, None)
        elif not word.startswith("-"):
            return word if word in SUBCOMMANDS else None
    return None


def _add_add(commands) -> None:
    add = commands.add_parser("add", help="store a profile's access key in the keyring")
    add.add_argument("profile")
    add.add_argument("--env", action="store_true",
                     help="take the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    add.set_defaults(handler=cmd_add)


def _add_remove(commands) -> None:
    remove = commands.add_parser("remove", help="delete a profile's key and sessions")
    remove.add_argument("profile")
    remove.set_defaults(handler=cmd_remove)


def _add_list(commands) -> None:
    listing = commands.add_parser("list", help="profiles, chains, keys and cached sessions")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(handler=cmd_list)


def _add_exec(commands) -> None:
    import argparse

    execute = commands.add_parser("exec", help="run a command (default: $SHELL) with a profile's credentials")
    execute.add_argument("profile")
    _credential_options(execute)
    execute.add_argument("--server", action=argparse.BooleanOptionalAction, default=None,
                         help="serve self-renewing credentials from a loopback endpoint instead of static keys "
                              "(default: on for a subshell, off for a command)")
    execute.add_argument("--shell", help="the shell to start (default: $SHELL)")
    execute.add_argument("command_line", nargs="*", default=[], metavar="-- COMMAND ...",
                         help="the command and its arguments, after -- (default: $SHELL)")
    execute.set_defaults(handler=cmd_exec)


def _add_export(commands) -> None:
    export = commands.add_parser("export", help="print a profile's credentials (env or credential_process JSON)")
    export.add_argument("profile")
    export.add_argument("--format", choices=("env", "json"), default="env")
    _credential_options(export)
    export.set_defaults(handler=cmd_export)


def _add_login(commands) -> None:
    login = commands.add_parser("login", help="open the AWS console as a profile in the browser")
    login.add_argument("profile")
    login.add_argument("--stdout", action="store_true", help="print the sign-in URL instead of opening it")
    login.add_argument("--duration", type=int, metavar="SECONDS", help="console session length, when AWS allows")
    login.add_argument("--destination", metavar="URL", help="console page to land on")
    _credential_options(login)
    login.set_defaults(handler=cmd_login)


def _add_demo(commands) -> None:
    demo = commands.add_parser("demo", help="try hats offline: a sandbox with a local STS, its own keyring and HOME "
                                            "(needs the demo extra)")
    what = demo.add_mutually_exclusive_group()
    what.add_argument("--print-env", action="store_true",
                      help="print `export` lines for a second terminal; keep the sandbox up until Ctrl-C")
    what.add_argument("--code", action="store_true",
                      help="print the sandbox's current MFA code (in a terminal that joined it)")
    demo.set_defaults(handler=cmd_demo)


def _add_sso(commands) -> None:
    from .sso_commands import add_parser

    add_parser(commands)


def _add_clear(commands) -> None:
    clear = commands.add_parser("clear", help="remove cached sessions (all, or one profile's)")
    clear.add_argument("profile", nargs="?")
    clear.set_defaults(handler=cmd_clear)


def _add_lock(commands) -> None:
    lock = commands.add_parser("lock", help="forget the encrypted file's unlocked key: the next run asks for "
                                            "the passphrase")
    lock.set_defaults(handler=cmd_lock)


def _credential_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mfa-token", metavar="CODE", help="the current MFA code, instead of a prompt")
    parser.add_argument("--renew", action="store_true", help="ignore cached sessions and get new ones")


# -- handlers -------------------------------------------------------------
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
    from .listing import profile_rows, render_table

    _stdout()
    rows = profile_rows(_profiles(), _vault(args), utcnow())
    write_out(json.dumps(rows, indent=2) + "\n" if args.json else render_table(rows))
    return 0


def cmd_exec(args) -> int:
    from .child.role import role_child
    from .child.spawn import ChildError, exec_child, run_child

    command = args.command_line or None
    if command and not command[0]:
        raise ChildError("command not found: ''")  # as a shell says; before any code is asked for
    engine = _engine(args)
    session = engine.credentials(args.profile, renew=args.renew)
    serve = args.server if args.server is not None else command is None
    with role_child(engine, args.profile, session, command, serve=serve, shell=args.shell) as (argv, env):
        if command and not serve:
            exec_child(argv, env)  # becomes the command: nothing of hats is left to relay
        return run_child(argv, env)


def cmd_export(args) -> int:
    from .child.environment import child_environment, export_lines

    _stdout()  # before a code is asked for: credentials printed nowhere are a code spent for nothing
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
    from .signin import profile_console_url

    url = profile_console_url(_engine(args), args.profile, duration=args.duration, destination=args.destination)
    if args.stdout:
        write_out(url + "\n")
        return 0
    import webbrowser

    if not webbrowser.open(url):
        raise HatsError("no browser to open; use --stdout to print the sign-in URL")
    print(f"Opened the AWS console as '{printable(args.profile)}' in your browser.", file=sys.stderr)
    return 0


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


SUBCOMMANDS = {"add": _add_add, "remove": _add_remove, "list": _add_list, "exec": _add_exec, "export": _add_export,
               "login": _add_login, "demo": _add_demo, "sso": _add_sso, "clear": _add_clear, "lock": _add_lock}


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


if __name__ == "__main__":
    sys.exit(main())

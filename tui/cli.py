"""The `hats` command: one small function a subcommand.

Everything here is cheap to import: `hats exec` with a cached session reads
the config, one keyring item and execs, without boto3 or textual.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable

from . import __version__, settings
from .commands import (cmd_add, cmd_clear, cmd_demo, cmd_exec, cmd_export, cmd_list, cmd_lock, cmd_login,
                       cmd_remove)
from .errors import HatsError
from .output import READER_GONE, ReaderGone, forget_stdout, require_terminal, say

if TYPE_CHECKING:
    import argparse



def main(argv: list[str] | None = None) -> int:
    if sys.stderr is None:  # started with 2>&-: print(file=None) would write to stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the whole run)
    argv = sys.argv[1:] if argv is None else argv
    ours, command_line = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    args = plain_exec(ours, command_line) or parse_args(ours, command_line)
    try:
        if args.command not in ("demo", "doctor"):  # the demo sets its own; doctor reports a bad one
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
        forget_stdout()
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


def run_app(args) -> int:
    require_terminal("the app")
    from .app import run  # textual: only once a terminal is sure

    return run(args.backend)


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
    listing.add_argument("--recent", action="store_true", help="the profiles used most, and most lately, first")
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
    page = login.add_mutually_exclusive_group()
    page.add_argument("--destination", metavar="URL", help="console page to land on")
    page.add_argument("--service", metavar="NAME", help="land on this service's console page (s3, ec2, iam, ...)")
    login.add_argument("--region", help="the console's region (default: the profile's)")
    login.add_argument("--path", help="a page under the service, e.g. /buckets/my-logs for s3")
    _credential_options(login)
    login.set_defaults(handler=cmd_login)


def _add_demo(commands) -> None:
    demo = commands.add_parser("demo", help="try hats offline: a sandbox with a local STS and IAM Identity Center, "
                                            "its own keyring and HOME (needs the demo extra)")
    from .sandbox.demo_options import add_demo_options

    add_demo_options(demo).set_defaults(handler=cmd_demo)


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


def _added_by(module: str) -> Callable[[Any], None]:
    """A subcommand whose module has its own `add_parser(commands)`, imported only when it is built."""
    def add(commands) -> None:
        import importlib

        importlib.import_module(module, __package__).add_parser(commands)
    return add


SUBCOMMANDS = {
    "add": _add_add,
    "remove": _add_remove,
    "list": _add_list,
    "exec": _add_exec,
    "export": _add_export,
    "login": _add_login,
    "demo": _add_demo,
    "sso": _added_by(".sso_commands"),
    "rotate": _added_by(".rotate"),
    "completion": _added_by(".completion"),
    "clear": _add_clear,
    "lock": _add_lock,
    "doctor": _added_by(".doctor"),
}


if __name__ == "__main__":
    sys.exit(main())

"""How `hats` reads its arguments: the plain `exec P -- CMD` without argparse, the rest with a parser
that holds only the subcommand being run. Neither may read anything differently from the full parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tui import cli

SUBCOMMANDS = ("add", "remove", "list", "exec", "export", "login", "demo", "sso", "rotate", "completion", "clear",
               "lock", "doctor")


def full_parse(argv: list[str]) -> dict:
    ours, command_line = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    args = cli.build_parser().parse_args(ours)
    args.command_line += command_line
    return vars(args)


@pytest.mark.parametrize("argv", [
    ["exec", "prod-admin", "--", "aws", "sts", "get-caller-identity"],
    ["exec", "exec", "--", "--renew", "--", "x"],  # a profile named like the subcommand; options after -- are the command's
    ["exec", "ünïcode prof", "--", "true"],
])
def test_a_plain_exec_reads_as_the_full_parser_reads_it(argv):
    ours, command_line = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    assert vars(cli.plain_exec(ours, command_line)) == full_parse(argv)
    assert vars(cli.parse_args(ours, command_line)) == full_parse(argv)


@pytest.mark.parametrize("argv", [
    ["--backend", "file", "exec", "p", "--", "true"],
    ["exec", "--renew", "p", "--", "true"],
    ["exec", "p", "--mfa-token", "123456", "--", "true"],
    ["--back", "exec", "exec", "p", "--", "true"],  # argparse's abbreviation: `exec` is --backend's value here
])
def test_exec_with_options_reads_as_the_full_parser_reads_it(argv):
    ours, command_line = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    assert cli.plain_exec(ours, command_line) is None
    assert vars(cli.parse_args(ours, command_line)) == full_parse(argv)


def hats(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)


def test_hats_own_help_lists_every_subcommand_even_with_one_named_after_it():
    for args in (("--help",), ("-h", "exec")):
        done = hats(*args)
        assert done.returncode == 0
        listed = {line.split()[0] for line in done.stdout.split("COMMAND\n", 1)[1].split("options:")[0].splitlines()
                  if line.startswith("    ") and not line.startswith("     ")}
        assert listed == set(SUBCOMMANDS)


def test_an_unknown_subcommand_names_every_known_one():
    done = hats("exce", "prod", "--", "true")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "invalid choice: 'exce' (choose from " + ", ".join(f"'{name}'" for name in SUBCOMMANDS) + ")")


def test_a_cached_exec_imports_no_parser_prompt_state_dir_or_sts_module(hats, world):
    """What only a renewal, a prompt or another command needs stays out of a cached `hats exec P -- CMD`."""
    hats.add_key()
    hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", "exec", "auditor", "--", "true"],
                          env=hats.env, capture_output=True, text=True, start_new_session=True)
    assert done.returncode == 0, done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "tui.store.secret_service" in imported
    assert not imported & {"argparse", "getpass", "platformdirs", "tui.sts", "tui.terminal"}

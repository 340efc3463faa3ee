"""`hats doctor`: why something does not work, one line a check.

The keyring, the AWS config files and every profile hats cannot use, STS and this
computer's clock, each sign-in's Identity Center, the shells' prompt. It asks for
nothing and prints no secret; exit 1 when any line is a problem.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import user_config
from .checks import PROBLEM, Finding, note, ok, problem
from .checks.config import config_findings
from .checks.endpoints import sso_findings, sts_findings
from .checks.keyring import keyring_findings
from .checks.shells import shell_findings
from .errors import HatsError
from .output import write_out


def add_parser(commands) -> None:
    doctor = commands.add_parser(
        "doctor", help="check the keyring, the AWS config, STS and the clock, IAM Identity Center and the shells")
    doctor.set_defaults(handler=cmd_doctor)


def cmd_doctor(args) -> int:
    problems = 0
    for finding in diagnosis(args.backend):
        write_out(finding.line + "\n")  # each as it comes: a slow endpoint check shows where it is
        problems += finding.status == PROBLEM
    return 1 if problems else 0


def diagnosis(backend: str | None) -> Iterator[Finding]:
    """The findings, part after part. A bad setting is one of them (cli.main leaves the check to
    doctor); the parts that then cannot run say so in a line each."""
    setting = settings_finding(backend)
    yield setting
    if setting.status == PROBLEM:
        yield note("checks", "the keyring, the config and the endpoints are checked once the setting is fixed")
        yield from shell_findings()
        return
    yield from keyring_findings(backend)
    findings, profiles = config_findings()
    yield from findings
    yield from sts_findings(profiles)
    yield from sso_findings(profiles)
    yield from shell_findings()


def settings_finding(backend: str | None) -> Finding:
    """The HATS_* variables and config.toml, read as every command reads them."""
    from . import settings

    try:
        settings.check(backend)
    except HatsError as error:
        return problem("settings", str(error))
    where = settings.config_file()
    return ok("settings", f"HATS_* variables and {user_config.shown_path(where)}" if where.exists()
              else "HATS_* variables (no config.toml)")

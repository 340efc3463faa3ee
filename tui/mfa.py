"""Where MFA codes come from: a fixed token, an mfa_process, or a prompt.

The engine asks an MfaSource for a code and never learns which it was, so the
TUI can pass a modal, the CLI a terminal prompt, and a YubiKey user ykman.
"""

from __future__ import annotations

import re
from typing import Callable, Protocol

from .errors import MfaError

CODE = re.compile(r"^[0-9]{6}$")  # ASCII only: \d also matches other scripts' digits
PROCESS_TIMEOUT_SECONDS = 60


class MfaSource(Protocol):
    def __call__(self, serial: str, profile: str, refused: str | None) -> str:
        """A code for the device `serial`, needed by `profile`.

        `refused` is AWS's refusal of the previous code, when there was one.
        """


def check_code(code: str) -> str:
    code = code.strip()
    if not CODE.match(code):
        raise MfaError("an MFA code is 6 digits")
    return code


class FixedToken:
    """--mfa-token: one code, good for one try."""

    def __init__(self, code: str):
        self.code = check_code(code)

    def __call__(self, serial: str, profile: str, refused: str | None) -> str:
        if refused:
            raise MfaError(f"AWS refused the MFA code given with --mfa-token for {serial}")
        return self.code


class ProcessToken:
    """mfa_process: a command that prints the code (ykman, a password manager)."""

    def __init__(self, command: str):
        self.command = command

    def __call__(self, serial: str, profile: str, refused: str | None) -> str:
        import shlex
        import subprocess  # here: a cached run never needs it

        try:
            result = subprocess.run(shlex.split(self.command), capture_output=True, text=True,
                                    timeout=PROCESS_TIMEOUT_SECONDS, check=False)
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise MfaError(f"profile '{profile}': mfa_process failed: {exc}") from None
        if result.returncode != 0:
            raise MfaError(f"profile '{profile}': mfa_process exited with {result.returncode}")
        lines = result.stdout.strip().splitlines()
        if not lines or not CODE.match(lines[-1].strip()):
            raise MfaError(f"profile '{profile}': mfa_process did not print a 6-digit code")
        return lines[-1].strip()


class PromptToken:
    """Ask a person, the way the AWS CLI does; a malformed code is asked again."""

    def __init__(self, ask: Callable[[str], str], attempts: int = 3):
        self.ask = ask
        self.attempts = attempts

    def __call__(self, serial: str, profile: str, refused: str | None) -> str:
        if refused:
            self.notice(refused)
        for _ in range(self.attempts):
            code = self.ask(f"Enter MFA code for {serial}: ").strip()
            if CODE.match(code):
                return code
            self.notice("an MFA code is 6 digits")
        raise MfaError("no valid MFA code given")

    def notice(self, text: str) -> None:
        import sys

        print(f"hats: {text}", file=sys.stderr)


def source_for(token: str | None, ask: Callable[[str], str]) -> MfaSource:
    """--mfa-token, else a prompt. The engine puts a profile's mfa_process before a prompt."""
    return FixedToken(token) if token is not None else PromptToken(ask)

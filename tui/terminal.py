"""Talking to the person at the terminal: prompts that never echo secrets."""

from __future__ import annotations

import getpass
import io
import os

from .errors import HatsError


def read_secret(prompt: str) -> str:
    """Read a line without echo from the controlling terminal.

    getpass falls back to reading stdin with echo when there is no terminal;
    a secret must never be read that way, so no terminal is an error.
    """
    if os.name == "posix":
        try:
            os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
        except OSError:
            raise HatsError(f"cannot prompt without a terminal: {prompt.strip().rstrip(':')}") from None
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        raise HatsError("cancelled") from None


def read_line(prompt: str) -> str:
    """Read a line with echo (an MFA code is not a lasting secret).

    Asks on /dev/tty, so it works when stdout is captured, as it is when an
    SDK runs `hats export --format json` as its credential_process.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        with io.TextIOWrapper(io.FileIO(fd, "w+"), encoding="utf-8", write_through=True) as tty:
            tty.write(prompt)
            tty.flush()
            line = tty.readline()
    except OSError:
        raise HatsError(f"cannot prompt without a terminal: {prompt.strip().rstrip(':')}") from None
    except KeyboardInterrupt:
        raise HatsError("cancelled") from None
    if not line:
        raise HatsError("cancelled")
    return line.strip()


def wait_for_a_key(what: str) -> None:
    """On the bare terminal, between a command and the app's return: "press any key", as lazygit does."""
    import select
    import sys
    import termios
    import tty

    if not sys.stdin.isatty():
        return
    fd = sys.stdin.fileno()
    sys.stdout.write(f"\n\x1b[2m[{what}: press any key to return to hats]\x1b[0m")
    sys.stdout.flush()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        os.read(fd, 1)
        while select.select([fd], [], [], 0.05)[0]:  # the rest of an arrow's or F-key's sequence
            os.read(fd, 64)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)

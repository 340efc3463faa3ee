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

"""credential_process: a command that prints credentials as JSON (Version 1), as the AWS CLI runs it.

The command is split as botocore splits it and run without a shell. On the
command line its stdin and stderr are the person's (it may be asking for a
touch or a password); in the app, whose screen owns the terminal, stdin is
empty and each stderr line goes to `on_stderr` as it comes. Its stdout is
never shown, since it holds the secret.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Callable

from ..credentials import Credentials, iso, utcnow
from ..display import printable
from ..errors import ConfigError, HatsError
from .base import NewCredentials, Renewal

if TYPE_CHECKING:
    import subprocess

TIMEOUT_SECONDS = 60
MAX_OUTPUT_BYTES = 1 << 20  # credentials are a few kB: more is a process that will not stop printing
STDERR_LINE_CHARS = 200  # one status line's worth; the rest of a long line is cut


class CredentialProcessError(HatsError):
    """The credential_process failed, hung, or printed something that is not credentials."""


class ProcessProvider:
    def __init__(self, profile: str, command: str, on_stderr: Callable[[str], None] | None = None):
        self.profile = profile
        self.command = command
        self.on_stderr = on_stderr  # None: stderr is the person's terminal

    def retrieve(self, renewal: Renewal | None = None) -> NewCredentials:
        output = self._run()
        return NewCredentials(self._parse(output))

    def _run(self) -> str:
        try:
            argv = shlex.split(self.command)
        except ValueError as exc:
            raise ConfigError(f"profile '{self._name}': credential_process cannot be split into words: {exc}") from None
        if not argv:
            raise ConfigError(f"profile '{self._name}': credential_process is empty")
        if self.on_stderr is None:
            return self._communicate(argv, None)
        return self._relaying_stderr(argv)

    def _relaying_stderr(self, argv: list[str]) -> str:
        """Run with stderr on a pipe whose lines go to on_stderr; a failure quotes the last one."""
        import threading  # here: only the app relays stderr

        read_end, write_end = os.pipe()
        said: list[str] = []
        relay = threading.Thread(target=self._relay, args=(os.fdopen(read_end, "rb"), said), daemon=True)
        relay.start()
        try:
            try:
                return self._communicate(argv, write_end)
            finally:
                os.close(write_end)
                relay.join(timeout=1)  # a grandchild may keep the pipe open: never wait on it
        except CredentialProcessError as failed:
            if not said:
                raise
            raise CredentialProcessError(f"{failed}; its last line: {said[-1]}") from None

    def _communicate(self, argv: list[str], stderr: int | None) -> str:
        import subprocess  # here: a cached run never starts one

        stdin = None if stderr is None else subprocess.DEVNULL  # the app's keys are not the process's
        try:
            child = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr)
        except OSError as exc:
            raise self._failed(f"cannot be run: {exc.strerror or exc}") from None
        with child:
            try:
                output = _answer(child, time.monotonic() + TIMEOUT_SECONDS)
            except _Stopped as stopped:
                child.kill()
                raise self._failed(str(stopped)) from None
            except BaseException:  # Ctrl-C: as subprocess.run, the process does not outlive hats
                child.kill()
                raise
        if child.returncode < 0:
            raise self._failed(f"was ended by signal {_signal_name(-child.returncode)}")
        if child.returncode != 0:
            raise self._failed(f"exited with status {child.returncode}")
        try:
            return output.decode("utf-8")
        except UnicodeDecodeError:  # botocore fails too; a replaced byte would make a wrong secret
            raise self._failed("printed something that is not UTF-8 text") from None

    def _relay(self, stream: IO[bytes], said: list[str]) -> None:
        """Each non-blank stderr line, escaped and cut to one status line, to on_stderr."""
        assert self.on_stderr is not None
        with stream:
            for raw in stream:
                text = printable(" ".join(raw.decode("utf-8", "replace").split()))
                if text:
                    said.append(text if len(text) <= STDERR_LINE_CHARS else text[:STDERR_LINE_CHARS - 1] + "…")
                    self.on_stderr(f"profile '{self._name}': credential_process says: {said[-1]}")

    def _parse(self, output: str) -> Credentials:
        try:
            data = json.loads(output)
        except ValueError:
            raise self._failed("printed something that is not JSON") from None
        if not isinstance(data, dict):
            raise self._failed("printed JSON that is not an object")
        if data.get("Version") != 1:
            raise self._failed("printed no \"Version\": 1, the only version the AWS CLI reads")
        missing = [key for key in ("AccessKeyId", "SecretAccessKey")
                   if not isinstance(data.get(key), str) or not data[key]]
        if missing:
            raise self._failed(f"printed no {' or '.join(missing)}")
        token = data.get("SessionToken")
        if token is not None and not isinstance(token, str):
            raise self._failed("printed a SessionToken that is not text")
        expires = self._expiration(data.get("Expiration"))
        return Credentials(data["AccessKeyId"], data["SecretAccessKey"], token or None, expires)

    def _expiration(self, value: object) -> datetime | None:
        """The Expiration as botocore reads it (ISO 8601, else dateutil's forms), refused where botocore fails:
        not text, no time zone, or already past (botocore: 'the refreshed credentials are still expired')."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._failed("printed an Expiration that is not a time in text (ISO 8601)")
        expires = _iso_time(value) or _dateutil_time(value)
        if expires is None:
            raise self._failed("printed an Expiration that is not an ISO 8601 time")
        if expires.tzinfo is None:
            raise self._failed("printed an Expiration with no time zone (add Z for UTC)")
        try:
            expires = expires.astimezone(timezone.utc)
        except OverflowError:  # past the year 9999 in UTC
            raise self._failed("printed an Expiration past the year 9999") from None
        if expires <= utcnow():
            raise self._failed(f"printed credentials that expired at {iso(expires)}")
        return expires

    @property
    def _name(self) -> str:
        return printable(self.profile)

    def _failed(self, what: str) -> CredentialProcessError:
        return CredentialProcessError(f"profile '{self._name}': credential_process {what}")


class _Stopped(Exception):
    """Why a process was stopped before it answered."""


def _timed_out() -> _Stopped:
    return _Stopped(f"gave no answer within {TIMEOUT_SECONDS} s and was stopped")


def _answer(child: subprocess.Popen[bytes], deadline: float) -> bytes:
    """What the process printed before it exited, within the deadline and MAX_OUTPUT_BYTES.

    Once it has exited, what is in the pipe is its answer: a background process it left holding
    the pipe open (botocore waits for that one too) is not waited for.
    """
    import selectors
    import subprocess

    assert child.stdout is not None
    chunks, size, fd = [], 0, child.stdout.fileno()
    with selectors.DefaultSelector() as ready:
        ready.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timed_out()
            exited = child.poll() is not None
            if not ready.select(0 if exited else min(left, 0.1)):
                if exited:
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_OUTPUT_BYTES:
                raise _Stopped(f"printed more than {MAX_OUTPUT_BYTES // 1024} kB and was stopped")
            chunks.append(chunk)
    try:
        child.wait(max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:  # it closed its output but did not exit
        raise _timed_out() from None
    return b"".join(chunks)


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _iso_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _dateutil_time(value: str) -> datetime | None:
    """botocore's own parser for the forms ISO 8601 does not take ('Tue, 01 Jan 2030 00:00:00 GMT')."""
    from dateutil.parser import parse  # here: only an unusual Expiration pays for it; botocore depends on it

    try:
        return parse(value)
    except (ValueError, OverflowError):
        return None

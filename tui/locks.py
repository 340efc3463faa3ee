"""File locks between hats processes that say who holds them.

Two locks coordinate concurrent runs (see sessions.py for when each is held):

    renew-PROFILE   held for the STS calls and cache writes of one base user:
                    seconds at most, never while a person is asked anything
    mfa-DEVICE      held by the run whose person is typing that device's code,
                    until the session it makes is cached; other runs wait on it
                    and then reuse that session

A lock file holds its holder's description ("hats exec prod-admin (pid 4242)"),
so a run that waits can say for whom. The kernel drops a lock when its holder
dies, so a killed run never leaves one behind.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Callable

from .display import printable
from .errors import HatsError

POLL_SECONDS = 0.05


class LockTimeout(HatsError):
    """Waited as long as hats waits for another run."""


class RunLock:
    def __init__(self, path: Path, holder: str):
        self.path = path
        self.holder = holder
        self._fd: int | None = None

    @classmethod
    def named(cls, lock_dir: Path, name: str, holder: str) -> "RunLock":
        """A lock for any name (a profile, an MFA serial): the file name is a digest, never the name."""
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        return cls(lock_dir / f"{digest}.lock", holder)

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        import fcntl

        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this run")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            # A read-only or full state directory must not stop a run: it only loses the
            # coordination with other runs. The cache write after it needs the directory
            # too, and its warning says what failed.
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{self.holder} (pid {os.getpid()})".encode())
        except OSError:
            pass  # a full disk: waiters then say "another hats"
        return True

    def acquire(self, timeout: float, waiting_for: str,
                announce: Callable[[str], None] | None = None, quietly: float = 0.0) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockTimeout names what was waited for.

        A wait longer than `quietly` seconds is said once, by `announce(holder)`.
        """
        started = time.monotonic()
        while not self.try_acquire():
            waited = time.monotonic() - started
            if announce and waited >= quietly:
                announce(self.held_by())
                announce = None
            if waited >= timeout:
                raise LockTimeout(f"gave up after {timeout:.0f} s waiting for {waiting_for} in {self.held_by()}")
            time.sleep(POLL_SECONDS)

    def wait_until_free(self, timeout: float, waiting_for: str,
                        announce: Callable[[str], None] | None = None, quietly: float = 0.0) -> None:
        """Wait for the holder to let go, without keeping the lock."""
        self.acquire(timeout, waiting_for, announce, quietly)
        self.release()

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # lock files hold no content once free
        finally:
            os.close(fd)  # closing drops the flock

    def held_by(self) -> str:
        """Who holds the lock, as its holder described itself."""
        try:
            text = self.path.read_text(errors="replace").strip()
        except OSError:
            text = ""
        return printable(text[:200]) or "another hats"

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

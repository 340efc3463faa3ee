"""The Linux kernel keyring, to hold the encrypted file's unlocked key a while.

Deriving the file's key (Argon2id, 64 MiB) takes 120-280 ms, more than the
rest of a cached `hats exec`. Like gpg-agent with a passphrase, hats keeps the
derived key in the kernel for some idle minutes: in the session keyring, with
permissions for its possessor only, gone when the timeout lapses, at logout and
at reboot, and never written to disk. A login with pam_keyinit has a session
keyring of its own; elsewhere (a container, some ssh setups) it is the user's
default session keyring, which every process of the user without one shares:
the reach of an unlocked desktop keyring.
Where keyctl cannot be used (another OS, an unknown CPU, a seccomp profile that
forbids it) every call here is a no-op and the key is derived each time.

The system calls go through ctypes: the bindings on PyPI (keyutils) need
libkeyutils' headers and a compiler to install.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

SYSCALLS = {"x86_64": (248, 250), "aarch64": (217, 219)}  # add_key, keyctl
KEY_SPEC_SESSION_KEYRING = -3
KEYCTL_GET_KEYRING_ID = 0
KEYCTL_JOIN_SESSION_KEYRING = 1
KEYCTL_SETPERM = 5
KEYCTL_SEARCH = 10
KEYCTL_READ = 11
KEYCTL_SET_TIMEOUT = 15
KEYCTL_INVALIDATE = 21
POSSESSOR_ONLY = 0x3F000000  # view, read, write, search, link, setattr; nothing for anyone else
MAX_PAYLOAD = 4096


def _numbers() -> tuple[int, int] | None:
    return SYSCALLS.get(os.uname().machine) if sys.platform == "linux" else None


SyscallArg = int | bytes | ctypes.Array  # a number, a C string, or a buffer the kernel fills


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall(number: int, *args: SyscallArg) -> int:
    as_c = [ctypes.c_char_p(arg) if isinstance(arg, bytes) else
            ctypes.c_long(arg) if isinstance(arg, int) else arg for arg in args]
    return _libc().syscall(ctypes.c_long(number), *as_c)


def _keyctl(operation: int, *args: SyscallArg) -> int:
    numbers = _numbers()
    return -1 if numbers is None else _syscall(numbers[1], operation, *args)


def _find(description: str) -> int:
    return _keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, b"user", description.encode(), 0)


def read(description: str, idle_seconds: int) -> bytes | None:
    """The payload, if the session keyring holds it; its idle timeout starts again."""
    key = _find(description)
    if key < 0:
        return None
    buffer = ctypes.create_string_buffer(MAX_PAYLOAD)
    size = _keyctl(KEYCTL_READ, key, buffer, MAX_PAYLOAD)
    if not 0 <= size <= MAX_PAYLOAD:
        return None
    _keyctl(KEYCTL_SET_TIMEOUT, key, idle_seconds)
    return buffer.raw[:size]


def store(description: str, payload: bytes, idle_seconds: int) -> bool:
    """Keep the payload for idle_seconds; False when the kernel keyring cannot be used."""
    numbers = _numbers()
    if numbers is None:
        return False
    # The keyring's id, not KEY_SPEC_SESSION_KEYRING: a process without a session
    # keyring would get a new one of its own from add_key, gone when it exits.
    ring = _keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
    key = _syscall(numbers[0], b"user", description.encode(), payload, len(payload), ring) if ring > 0 else -1
    if key < 0:
        return False
    _keyctl(KEYCTL_SETPERM, key, POSSESSOR_ONLY)
    _keyctl(KEYCTL_SET_TIMEOUT, key, idle_seconds)
    return True


def forget(description: str) -> bool:
    """Drop the payload at once; whether there was one."""
    key = _find(description)
    return key >= 0 and _keyctl(KEYCTL_INVALIDATE, key) == 0


def join_new_session() -> bool:
    """A new, empty session keyring for this process and its children, as `keyctl session` gives."""
    return _keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0) > 0

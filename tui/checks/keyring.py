"""The keyring hats would open: which backend and why, whether it can be read now, where the encrypted file is.

Nothing here prompts: the Secret Service is asked whether its collection is locked before any read
(a read of a locked item would show the desktop's unlock dialog), and the encrypted file is opened
with HATS_FILE_PASSPHRASE or the key kept unlocked in the kernel keyring, never a typed passphrase.
"""

from __future__ import annotations

import os
import sys

from .. import settings
from ..errors import HatsError, first_line
from ..store.backends import BACKENDS, PLATFORM_BACKENDS, chosen_backend, file_store_path
from ..store.items import SecretStore
from ..store.vault import Vault
from . import Finding, count, note, ok, problem

TOPIC = "keyring"


class _NoPassphrase(Exception):
    """The encrypted file wants a passphrase and there is none to be had without asking."""


def keyring_findings(flag: str | None) -> list[Finding]:
    name, why = _choice(flag)
    findings = [_state(name, why)]
    path = file_store_path()
    if name != "file" and path.exists():
        findings.append(note("keyring file", f"{path} exists, unused: the {name} backend is in use"))
    return findings


def _choice(flag: str | None) -> tuple[str, str]:
    """The backend hats opens, and why that one."""
    name = chosen_backend(flag)
    if flag:
        return name, "from --backend"
    if settings.backend():
        return name, f"from {settings.source('HATS_BACKEND')}"
    if sys.platform in PLATFORM_BACKENDS:
        return name, "this platform's keyring"
    return name, ("the default: a Secret Service answers on the session bus" if name == "secret-service"
                  else "the default: no Secret Service answers on the session bus")


def _state(name: str, why: str) -> Finding:
    try:
        if name == "secret-service":
            return _secret_service(why)
        if name == "file":
            return _encrypted_file(why)
        return _readable(BACKENDS[name](None), f"{name} keyring", why)
    except HatsError as error:
        return problem(TOPIC, str(error))


def _secret_service(why: str) -> Finding:
    from ..store.items import SERVICE
    from ..store.secret_service import SecretServiceStore, default_collection_state

    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        return problem(TOPIC, f"Secret Service ({why}): no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set")
    try:
        program, locked = default_collection_state()
    except Exception as exc:  # D-Bus errors, a bus that is not there or refuses us
        return problem(TOPIC, f"Secret Service ({why}): no answer on the session bus {address}: {first_line(exc)}")
    served = f"Secret Service ({program})" if program else "Secret Service"
    if locked is None:
        return problem(TOPIC, f"{served}: it has no default collection, where hats keeps its items")
    if locked:
        return problem(TOPIC, f"{served} is locked: unlock it (your desktop's keyring app, or log in again); "
                              "doctor does not ask for its password")
    return _readable(SecretServiceStore(SERVICE), f"{served}, unlocked", why)


def _encrypted_file(why: str) -> Finding:
    from ..store.encrypted_file import EncryptedFileStore

    path = file_store_path()
    if not path.exists():
        return ok(TOPIC, f"encrypted file {path}, not made yet: `hats add` makes it ({why})")
    store = EncryptedFileStore(path, _passphrase_without_asking, settings.file_unlocked_seconds())
    try:
        return _readable(store, f"encrypted file {path}, unlocked", why)
    except _NoPassphrase:
        return problem(TOPIC, f"encrypted file {path} is locked: HATS_FILE_PASSPHRASE is not set and no unlocked "
                              "key is kept; any hats command run in a terminal asks for the passphrase")


def _passphrase_without_asking() -> str:
    passphrase = settings.file_passphrase()
    if not passphrase:
        raise _NoPassphrase
    return passphrase


def _readable(store: SecretStore, what: str, why: str) -> Finding:
    """Read hats' index (it holds no secret): the keyring answers, and how much it holds."""
    warnings: list[str] = []
    vault = Vault(store, warn=warnings.append)
    keys, sessions = len(vault.profiles_with_keys()), len(vault.sessions())
    repaired = f"; {warnings[0]}" if warnings else ""
    return ok(TOPIC, f"{what}: {count(keys, 'key')}, {count(sessions, 'cached session')} ({why}){repaired}")


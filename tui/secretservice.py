"""The Secret Service (GNOME Keyring, KWallet, KeePassXC) through secretstorage.

Items are the ones keyring's SecretService backend makes (attributes service
and username, so either can read what the other wrote), but reads go straight
through secretstorage: importing keyring costs more than the D-Bus round trip
itself, and a cached `hats exec` reads one item. Writes, rarer, use keyring.
"""

from __future__ import annotations

import os
from contextlib import closing

from .errors import VaultError

LABEL = "secret-service"


def available() -> bool:
    """Whether a Secret Service answers on the session bus (no prompt, no keyring import)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    import secretstorage

    try:
        with closing(secretstorage.dbus_init()) as connection:
            return secretstorage.check_service_availability(connection)
    except Exception:  # no bus, a bus that refuses us: not available
        return False


class SecretServiceStore:
    """A SecretStore on the Secret Service's default collection."""

    where = f"the {LABEL} keyring"

    def __init__(self, service: str):
        self.service = service
        self._writer = None

    def get(self, name: str) -> str | None:
        import secretstorage
        from secretstorage.exceptions import LockedException

        try:
            with closing(secretstorage.dbus_init()) as connection:
                collection = secretstorage.get_default_collection(connection)
                for item in collection.search_items({"service": self.service, "username": name}):
                    if item.is_locked():
                        item.unlock()  # shows the desktop's unlock prompt, if it has one
                    return item.get_secret().decode("utf-8")
        except LockedException:
            raise VaultError(f"the {LABEL} keyring is locked: unlock it and try again") from None
        except Exception as exc:  # D-Bus and secretstorage errors alike
            raise self.writer._failure("read", exc) from None
        return None

    def set(self, name: str, value: str) -> None:
        self.writer.set(name, value)

    def delete(self, name: str) -> None:
        self.writer.delete(name)

    @property
    def writer(self):
        """keyring's backend, for writes: it makes items other keyring users can read."""
        if self._writer is None:
            from keyring.backends.SecretService import Keyring

            from .vault import KeyringStore

            self._writer = KeyringStore(Keyring(), LABEL)
        return self._writer

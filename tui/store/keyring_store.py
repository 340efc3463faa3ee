"""A SecretStore over a `keyring` library backend: macOS, Windows, and Secret Service writes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, TypeVar

from ..errors import VaultError
from .items import SERVICE

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

Result = TypeVar("Result")


class KeyringStore:
    """A SecretStore over a `keyring` backend, every failure a VaultError."""

    def __init__(self, backend: KeyringBackend, label: str):
        self.backend = backend
        self.label = label

    @property
    def where(self) -> str:
        return f"the {self.label} keyring"

    def get(self, name: str) -> str | None:
        return self._call("read", self.backend.get_password, SERVICE, name)

    def set(self, name: str, value: str) -> None:
        self._call("write", self.backend.set_password, SERVICE, name, value)

    def delete(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call("delete", self.backend.delete_password, SERVICE, name)
        except VaultError as exc:
            if not isinstance(exc.__cause__, PasswordDeleteError):
                raise

    def _call(self, verb: str, method: Callable[..., Result], *args: str) -> Result:
        from keyring.errors import KeyringLocked, PasswordDeleteError

        try:
            return method(*args)
        except KeyringLocked:
            raise VaultError(f"the {self.label} keyring is locked: unlock it and try again") from None
        except PasswordDeleteError as exc:
            raise VaultError(f"nothing to delete in the {self.label} keyring") from exc
        except Exception as exc:  # backends raise D-Bus, OS and their own errors alike
            raise self._failure(verb, exc) from None

    def _failure(self, verb: str, exc: Exception) -> VaultError:
        return VaultError(f"cannot {verb} the {self.label} keyring: {self._reason(exc)}")

    def _reason(self, exc: Exception) -> str:
        unreachable = (isinstance(exc, (OSError, ValueError))
                       or type(exc).__name__ == "SecretServiceNotAvailableException")
        if self.label == "secret-service" and unreachable:
            address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
            return f"no D-Bus session bus at DBUS_SESSION_BUS_ADDRESS={address!r}"
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

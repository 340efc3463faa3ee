"""The keyring backends hats can keep its items in, by name, and opening the Vault on one.

A backend is a function from the passphrase callback (only the encrypted file asks for one)
to a SecretStore; each imports its library when it is opened, so that naming the backends,
as `--backend`'s check does, costs nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .. import settings
from .items import SERVICE, SecretStore
from .vault import Vault, print_warning

Passphrase = Callable[[], str] | None
Backend = Callable[[Passphrase], SecretStore]


def _secret_service(passphrase: Passphrase) -> SecretStore:
    from .secret_service import SecretServiceStore

    return SecretServiceStore(SERVICE)


def _macos(passphrase: Passphrase) -> SecretStore:
    from keyring.backends.macOS import Keyring

    from .keyring_store import KeyringStore

    return KeyringStore(Keyring(), "macos")


def _windows(passphrase: Passphrase) -> SecretStore:
    from keyring.backends.Windows import WinVaultKeyring

    from .keyring_store import KeyringStore

    return KeyringStore(WinVaultKeyring(), "windows")


def _encrypted_file(passphrase: Passphrase) -> SecretStore:
    from .encrypted_file import from_environment

    return from_environment(file_store_path(), passphrase)


BACKENDS: dict[str, Backend] = {
    "secret-service": _secret_service,
    "macos": _macos,
    "windows": _windows,
    "file": _encrypted_file,
}
PLATFORM_BACKENDS = {"darwin": "macos", "win32": "windows"}  # elsewhere: the Secret Service if one answers


def file_store_path() -> Path:
    from platformdirs import user_data_dir

    return Path(settings.file_dir() or user_data_dir("hats")) / "vault.json"


def open_vault(backend: str | None = None, passphrase: Passphrase = None,
               warn: Callable[[str], None] = print_warning) -> Vault:
    """The vault on the named backend, else HATS_BACKEND, else the platform's secure keyring.

    `passphrase` is asked for the encrypted file's passphrase when it is needed; `warn` is
    given the one-line warnings (a repaired index).
    """
    return Vault(BACKENDS[chosen_backend(backend)](passphrase), warn=warn)


def chosen_backend(flag: str | None = None) -> str:
    """The backend's name: --backend, else HATS_BACKEND, else the platform's."""
    return settings.backend(flag) or platform_backend()


def platform_backend() -> str:
    """The platform's secure keyring; elsewhere the Secret Service if one answers, else the encrypted file."""
    if sys.platform in PLATFORM_BACKENDS:
        return PLATFORM_BACKENDS[sys.platform]
    from .secret_service import available

    return "secret-service" if available() else "file"

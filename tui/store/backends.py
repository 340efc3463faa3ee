"""The keyring backends hats can keep its items in, and opening the Vault on one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from .. import settings
from .items import SERVICE, SecretStore
from .keyring_store import KeyringStore
from .vault import Vault, print_warning

BACKENDS = ("secret-service", "macos", "windows", "file")


def file_store_path() -> Path:
    from platformdirs import user_data_dir

    return Path(settings.file_dir() or user_data_dir("hats")) / "vault.json"


def open_vault(backend: str | None = None, passphrase=None, warn: Callable[[str], None] = print_warning) -> Vault:
    """The vault on the named backend, else HATS_BACKEND, else the platform's secure keyring.

    `passphrase` is asked for the encrypted file's passphrase when it is needed; `warn` is
    given the one-line warnings (a repaired index).
    """
    name = settings.backend(backend) or _platform_backend()
    return Vault(_store(name, passphrase), warn=warn)


def _platform_backend() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    return "secret-service" if _secret_service_available() else "file"


def _secret_service_available() -> bool:
    from .secret_service import available

    return available()


def _store(name: str, passphrase) -> SecretStore:
    if name == "file":
        from .encrypted_file import from_environment

        return from_environment(file_store_path(), passphrase)
    if name == "secret-service":
        from .secret_service import SecretServiceStore

        return SecretServiceStore(SERVICE)
    if name == "macos":
        from keyring.backends.macOS import Keyring
    else:
        from keyring.backends.Windows import WinVaultKeyring as Keyring
    return KeyringStore(Keyring(), name)

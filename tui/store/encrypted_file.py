"""An encrypted file of secrets, for machines with no OS keyring.

One JSON file holds every item, each sealed with AES-256-GCM under a key
derived from the passphrase with Argon2id. The key is derived once per
process (keyrings.cryptfile derives it again for every item, ~0.4 s each),
the item name is bound to its ciphertext as associated data so items cannot
be swapped, and writes go to a temporary file that replaces the old one only
when complete, so a failed write leaves the previous file intact.

Once proven, the derived key is kept in the kernel's session keyring for some
idle minutes (see kernel_keyring.py), so a run after the first neither asks for the
passphrase nor pays the derivation.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from .. import settings
from ..errors import VaultError
from .items import DamagedItemError

FORMAT = "hats-encrypted-file-1"
CHECK_ITEM = "\0check"
KDF_PARAMS = {"iterations": 3, "lanes": 4, "memory_cost": 64 * 1024}


def from_environment(path: Path, passphrase: Callable[[], str] | None = None) -> EncryptedFileStore:
    """The store with `passphrase`, else HATS_FILE_PASSPHRASE, else a prompt, kept unlocked
    for HATS_FILE_UNLOCKED_SECONDS."""
    return EncryptedFileStore(path, passphrase or (lambda: _passphrase_for(path)), settings.file_unlocked_seconds())


def _passphrase_for(path: Path) -> str:
    passphrase = settings.file_passphrase()
    if passphrase:
        return passphrase
    from ..terminal import read_secret

    return read_secret(f"Passphrase for the encrypted keyring {path}: ")


class EncryptedFileStore:
    """get/set/delete of named strings in one encrypted file (0600 in a 0700 dir)."""

    def __init__(self, path: Path, passphrase: Callable[[], str], unlocked_seconds: int = 0):
        self.path = Path(path)
        self._passphrase = passphrase
        self._key: bytes | None = None
        self.unlocked_seconds = unlocked_seconds  # how long an idle derived key stays in the kernel

    def get(self, name: str) -> str | None:
        if not self.path.exists():
            return None
        document = self._read()
        sealed = document["items"].get(name)
        return None if sealed is None else self._open(document, name, sealed)

    def names(self) -> list[str]:
        """Every item's name: what a damaged index is rebuilt from."""
        if not self.path.exists():
            return []
        return [name for name in self._read()["items"] if name != CHECK_ITEM]

    def set(self, name: str, value: str) -> None:
        document = self._read()
        document["items"][name] = self._seal(document, name, value)
        self._write(document)

    def delete(self, name: str) -> None:
        document = self._read()
        if document["items"].pop(name, None) is not None:
            self._write(document)

    def _read(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._new_document()
        except OSError as exc:
            raise VaultError(f"cannot read the encrypted keyring {self.path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise VaultError(f"{self.path} is not a hats encrypted keyring") from None
        document = self._checked(text)
        self._unlock(document)
        return document

    def _unlock(self, document: dict) -> None:
        """A key that opens the check item: the kept one, else one derived from the passphrase."""
        if self._key is not None:
            return
        self._key = self._kept_key(document)
        if self._key is not None:
            if self._opens_check_item(document):
                return
            self._key = None
            self.lock()  # kept for a file since replaced
        self._key = self._derived_key(document)
        if not self._opens_check_item(document):
            self._key = None
            raise VaultError(f"wrong passphrase for the encrypted keyring {self.path}")
        self._keep(document)

    def _opens_check_item(self, document: dict) -> bool:
        return self._decrypt(document, CHECK_ITEM, document["items"][CHECK_ITEM]) is not None

    # -- the derived key, kept in the kernel keyring --------------------------
    @property
    def _kept_name(self) -> str:
        return f"hats:unlocked:{os.path.abspath(self.path)}"

    def _kept_key(self, document: dict) -> bytes | None:
        """The key kept for this file, if it was derived with this file's salt."""
        if not self.unlocked_seconds:
            return None
        from . import kernel_keyring

        kept, salt = kernel_keyring.read(self._kept_name, self.unlocked_seconds), _unb64(document["salt"])
        return kept[len(salt):] if kept and kept[:len(salt)] == salt else None

    def _keep(self, document: dict) -> None:
        if self.unlocked_seconds and self._key is not None:
            from . import kernel_keyring

            kernel_keyring.store(self._kept_name, _unb64(document["salt"]) + self._key, self.unlocked_seconds)

    def lock(self) -> bool:
        """Forget the kept key: the next run asks for the passphrase. Whether one was kept."""
        from . import kernel_keyring

        return kernel_keyring.forget(self._kept_name)

    def _checked(self, text: str) -> dict:
        """The document, if it has the shape this module writes."""
        try:
            document = json.loads(text)
            kdf = document["kdf"]
            valid = (document["format"] == FORMAT and isinstance(document["items"], dict)
                     and isinstance(document["items"][CHECK_ITEM], str)
                     and len(_unb64(document["salt"])) >= 16
                     and set(kdf) == set(KDF_PARAMS) and all(type(v) is int and v > 0 for v in kdf.values()))
        except (ValueError, KeyError, TypeError, AttributeError):
            valid = False
        if not valid:
            raise VaultError(f"{self.path} is not a hats encrypted keyring")
        return document

    def _new_document(self) -> dict:
        salt = os.urandom(16)
        document: dict = {"format": FORMAT, "salt": _b64(salt), "kdf": dict(KDF_PARAMS), "items": {}}
        document["items"][CHECK_ITEM] = self._seal(document, CHECK_ITEM, "ok")
        self._keep(document)
        return document

    def _derived_key(self, document: dict) -> bytes:
        if self._key is None:
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

            passphrase = self._passphrase()
            if not passphrase:
                raise VaultError("the encrypted keyring needs a passphrase (set HATS_FILE_PASSPHRASE)")
            kdf = Argon2id(salt=_unb64(document["salt"]), length=32, **document["kdf"])
            self._key = kdf.derive(passphrase.encode("utf-8"))
        return self._key

    def _seal(self, document: dict, name: str, value: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._derived_key(document)).encrypt(nonce, value.encode("utf-8"), name.encode("utf-8"))
        return _b64(nonce + sealed)

    def _open(self, document: dict, name: str, sealed: str) -> str:
        plain = self._decrypt(document, name, sealed)
        if plain is None:
            raise DamagedItemError(name, str(self.path))
        return plain

    def _decrypt(self, document: dict, name: str, sealed: str) -> str | None:
        """The item's text, or None when the key does not open it (or it is not sealed text)."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            raw = _unb64(sealed)
            plain = AESGCM(self._derived_key(document)).decrypt(raw[:12], raw[12:], name.encode("utf-8"))
            return plain.decode("utf-8")
        except (InvalidTag, ValueError, TypeError, AttributeError):
            return None

    @property
    def where(self) -> str:
        return str(self.path)

    def _write(self, document: dict) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _close_to_others(directory)
            handle, temporary = tempfile.mkstemp(prefix=".vault-", dir=directory)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(document, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            raise VaultError(f"cannot write the encrypted keyring {self.path}: {exc.strerror or exc}") from None


def _close_to_others(directory: Path) -> None:
    """No group or other access; the owner's bits stay, so a directory made read-only stays so."""
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        os.chmod(directory, mode & 0o700)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)  # ValueError on anything else

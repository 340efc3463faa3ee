"""The Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus.

Items are the ones keyring's SecretService backend makes (attributes service
and username, so either can read what the other wrote). Writes, rarer, go
through keyring. Reads, one per cached `hats exec`, are three D-Bus calls made
with jeepney: importing keyring, or secretstorage with its Diffie-Hellman
session, costs several times the round trips themselves (33 ms against 9 ms).

The secret comes back over the `plain` algorithm, as aws-vault's and gh's
keyring libraries read it. The bus is a socket that only this user can reach,
and any process that could watch it could as well ask the unlocked keyring for
the item itself, so the negotiated encryption would guard against no one.
A locked item takes the slow road through secretstorage, which can unlock it.
"""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import VaultError
from .items import DamagedItemError

if TYPE_CHECKING:
    from jeepney.io.blocking import DBusConnection

    from .keyring_store import KeyringStore

LABEL = "secret-service"
BUS_NAME = "org.freedesktop.secrets"
STATE_TIMEOUT_SECONDS = 10  # a Secret Service started on demand takes a moment to answer


def available() -> bool:
    """Whether a Secret Service answers on the session bus (no prompt, no keyring import)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    try:
        with open_dbus_connection(bus="SESSION") as bus:
            if bus.send_and_get_reply(message_bus.NameHasOwner(BUS_NAME)).body[0]:
                return True
            return BUS_NAME in bus.send_and_get_reply(message_bus.ListActivatableNames()).body[0]
    except Exception:  # no bus, a bus that refuses us: not available
        return False


def default_collection_state() -> tuple[str, bool | None]:
    """The name of the program serving the Secret Service ("" if unknown) and whether its default
    collection is locked (None: there is none). D-Bus questions only: nothing is unlocked, nothing prompts."""
    from jeepney import DBusAddress, Properties, new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    with open_dbus_connection(bus="SESSION") as bus:
        def ask(message):
            return unwrap_msg(bus.send_and_get_reply(message, timeout=STATE_TIMEOUT_SECONDS))

        (collection,) = ask(new_method_call(_Service(bus).address, "ReadAlias", "s", ("default",)))  # may start it
        (pid,) = ask(message_bus.GetConnectionUnixProcessID(BUS_NAME))
        if collection == "/":
            return _program(pid), None
        address = DBusAddress(collection, bus_name=BUS_NAME, interface="org.freedesktop.Secret.Collection")
        (_, locked), = ask(Properties(address).get("Locked"))
        return _program(pid), bool(locked)


def _program(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:  # no /proc, or not ours to read
        return ""
    return "gnome-keyring" if name.startswith("gnome-keyring") else name  # comm is cut at 15 characters


class _Service:
    """The calls a read makes on org.freedesktop.Secret.Service."""

    def __init__(self, bus: DBusConnection):
        from jeepney import DBusAddress

        self.bus = bus
        self.address = DBusAddress("/org/freedesktop/secrets", bus_name=BUS_NAME,
                                   interface="org.freedesktop.Secret.Service")

    def call(self, method: str, signature: str, *args: object) -> tuple[Any, ...]:
        from jeepney import new_method_call
        from jeepney.wrappers import unwrap_msg

        return unwrap_msg(self.bus.send_and_get_reply(new_method_call(self.address, method, signature, args)))

    def find(self, attributes: dict[str, str]) -> tuple[list[str], list[str]]:
        """Items in the default collection, unlocked and locked: where keyring writes."""
        (collection,) = self.call("ReadAlias", "s", "default")
        unlocked, locked = self.call("SearchItems", "a{ss}", attributes)
        mine = [path for path in unlocked if path.startswith(collection + "/")]
        return mine, [path for path in locked if path.startswith(collection + "/")]

    def attributes(self, item: str) -> dict[str, str]:
        from jeepney import DBusAddress, Properties
        from jeepney.wrappers import unwrap_msg

        address = DBusAddress(item, bus_name=BUS_NAME, interface="org.freedesktop.Secret.Item")
        (_, value), = unwrap_msg(self.bus.send_and_get_reply(Properties(address).get("Attributes")))
        return value

    def secret(self, item: str) -> bytes:
        """The item's value; the session ends with the connection."""
        _, session = self.call("OpenSession", "sv", "plain", ("s", ""))
        (secrets,) = self.call("GetSecrets", "aoo", [item], session)
        return bytes(secrets[item][2])


class SecretServiceStore:
    """A SecretStore on the Secret Service's default collection."""

    where = f"the {LABEL} keyring"

    def __init__(self, service: str):
        self.service = service
        self._writer: KeyringStore | None = None

    def get(self, name: str) -> str | None:
        from jeepney.io.blocking import open_dbus_connection

        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise self.writer._failure("read", ValueError("no session bus"))
        try:
            with open_dbus_connection(bus="SESSION") as bus:
                service = _Service(bus)
                unlocked, locked = service.find({"service": self.service, "username": name})
                secret = service.secret(unlocked[0]) if unlocked else None
        except Exception as exc:  # D-Bus errors, a bus that is not there
            raise self.writer._failure("read", exc) from None
        if secret is not None:
            return _text(secret, name)
        return self._unlock_and_get(name) if locked else None

    def names(self) -> list[str]:
        """The names of every item of this service: what a damaged index is rebuilt from."""
        from jeepney.io.blocking import open_dbus_connection

        try:
            with open_dbus_connection(bus="SESSION") as bus:
                service = _Service(bus)
                unlocked, locked = service.find({"service": self.service})
                attributes = [service.attributes(path) for path in unlocked + locked]
        except Exception as exc:  # D-Bus errors, a bus that is not there
            raise self.writer._failure("read", exc) from None
        return sorted({each["username"] for each in attributes if "username" in each})

    def _unlock_and_get(self, name: str) -> str | None:
        import secretstorage
        from secretstorage.exceptions import LockedException

        try:
            with closing(secretstorage.dbus_init()) as connection:
                collection = secretstorage.get_default_collection(connection)
                secret = None
                for item in collection.search_items({"service": self.service, "username": name}):
                    if item.is_locked():
                        item.unlock()  # shows the desktop's unlock prompt, if it has one
                    secret = item.get_secret()
                    break
        except LockedException:
            raise VaultError(f"the {LABEL} keyring is locked: unlock it and try again") from None
        except Exception as exc:  # D-Bus and secretstorage errors alike
            raise self.writer._failure("read", exc) from None
        return None if secret is None else _text(secret, name)

    def set(self, name: str, value: str) -> None:
        self.writer.set(name, value)

    def delete(self, name: str) -> None:
        self.writer.delete(name)

    @property
    def writer(self) -> KeyringStore:
        """keyring's backend, for writes: it makes items other keyring users can read."""
        if self._writer is None:
            from keyring.backends.SecretService import Keyring

            from .keyring_store import KeyringStore

            self._writer = KeyringStore(Keyring(), LABEL)
        return self._writer


def _text(secret: bytes, name: str) -> str:
    try:
        return secret.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedItemError(name, SecretServiceStore.where) from None

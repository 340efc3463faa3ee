"""A real Secret Service for the tests: gnome-keyring-daemon on the session bus.

The tests run under ``dbus-run-session`` (see ``.ci/run``), so the process has a
private session bus in ``DBUS_SESSION_BUS_ADDRESS``.  ``start_secret_service``
starts ``gnome-keyring-daemon --foreground --unlock --components=secrets`` on
that bus with HOME and the XDG directories inside a temporary directory; fed a
password on stdin, the daemon creates a fresh ``login`` keyring there, unlocks
it and makes it the ``default`` alias, with no prompt and no display.

    svc = start_secret_service(tmp_path)
    env = {**os.environ, **svc.env}      # what child processes need
    svc.lock()                           # the default collection is now locked
    svc.unlock()                         # and unlocked again, without a prompt
    svc.stop()

Anything missing (no session bus, no gnome-keyring-daemon, a daemon that does
not come up) raises ``SecretServiceUnavailable`` with a one-line reason: the
tests fail loudly, they never skip.

Headless locking and unlocking go over D-Bus: ``Lock`` is the standard Secret
Service call; unlocking uses gnome-keyring's own
``org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword``
(the interface seahorse and the PAM module use), since the standard ``Unlock``
needs a GUI prompter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import closing
from pathlib import Path

__all__ = [
    "SecretService",
    "SecretServiceUnavailable",
    "start_secret_service",
]

SECRETS_NAME = "org.freedesktop.secrets"
SECRETS_PATH = "/org/freedesktop/secrets"
DEFAULT_ALIAS = "/org/freedesktop/secrets/aliases/default"
LOGIN_COLLECTION = "/org/freedesktop/secrets/collection/login"
_INTERNAL_IFACE = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"


class SecretServiceUnavailable(RuntimeError):
    """The real Secret Service could not be started or reached."""


def _open_bus(address: str):
    from jeepney.io.blocking import open_dbus_connection

    try:
        return open_dbus_connection(address)
    except Exception as e:  # noqa: BLE001 - any failure is one reason
        raise SecretServiceUnavailable(
            f"cannot connect to the session bus at {address}: {e}"
        ) from e


def _name_has_owner(conn, name: str) -> bool:
    from jeepney.bus_messages import message_bus

    return bool(conn.send_and_get_reply(message_bus.NameHasOwner(name)).body[0])


class SecretService:
    """A running gnome-keyring-daemon serving the Secret Service API."""

    def __init__(self, process: subprocess.Popen, env: dict[str, str],
                 root: Path, password: str, log: Path):
        self.process = process
        #: the variables a child process needs to reach this Secret Service
        self.env = env
        #: HOME/XDG dirs the daemon was given (its keyrings are in data/keyrings)
        self.root = root
        self.password = password
        self.log = log

    @property
    def bus_address(self) -> str:
        return self.env["DBUS_SESSION_BUS_ADDRESS"]

    def _collection(self, conn, path: str = DEFAULT_ALIAS):
        import secretstorage

        return secretstorage.Collection(conn, path)

    def is_locked(self) -> bool:
        with closing(_open_bus(self.bus_address)) as conn:
            return self._collection(conn).is_locked()

    def lock(self) -> None:
        """Lock the default collection (standard Secret Service ``Lock``)."""
        with closing(_open_bus(self.bus_address)) as conn:
            self._collection(conn).lock()
            if not self._collection(conn).is_locked():
                raise SecretServiceUnavailable("gnome-keyring did not lock the collection")

    def unlock(self) -> None:
        """Unlock the default collection with the password, no prompt involved."""
        from jeepney import DBusAddress, new_method_call

        with closing(_open_bus(self.bus_address)) as conn:
            service = DBusAddress(SECRETS_PATH, SECRETS_NAME, "org.freedesktop.Secret.Service")
            reply = conn.send_and_get_reply(
                new_method_call(service, "OpenSession", "sv", ("plain", ("s", "")))
            )
            _, session = reply.body
            collection = self._collection(conn)
            # The internal interface wants the real path, not the alias.
            real_path = conn.send_and_get_reply(
                new_method_call(service, "ReadAlias", "s", ("default",))
            ).body[0]
            internal = DBusAddress(SECRETS_PATH, SECRETS_NAME, _INTERNAL_IFACE)
            secret = (session, b"", self.password.encode(), "text/plain")
            reply = conn.send_and_get_reply(
                new_method_call(internal, "UnlockWithMasterPassword", "o(oayays)",
                                (real_path, secret))
            )
            if reply.header.message_type.name == "error":
                raise SecretServiceUnavailable(
                    f"gnome-keyring refused to unlock {real_path}: {reply.body}"
                )
            if collection.is_locked():
                raise SecretServiceUnavailable(f"{real_path} is still locked after unlock")

    def child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: os.environ) plus what reaches this Secret Service."""
        return {**(os.environ if base is None else base), **self.env}

    def stop(self) -> None:
        """Stop the daemon and wait until the bus has released its name."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        deadline = time.monotonic() + 5
        try:
            with closing(_open_bus(self.bus_address)) as conn:
                while _name_has_owner(conn, SECRETS_NAME) and time.monotonic() < deadline:
                    time.sleep(0.01)
        except SecretServiceUnavailable:
            pass  # the bus itself is gone: nothing left to release

    def __enter__(self) -> "SecretService":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_secret_service(tmpdir: Path, password: str = "hats-test",
                         timeout: float = 10.0) -> SecretService:
    """Start gnome-keyring-daemon on the current session bus, unlocked.

    ``tmpdir`` receives home/, data/, runtime/ and config/ for the daemon; its
    fresh login keyring (password ``password``) is data/keyrings/login.keyring.
    Returns a ``SecretService``; export ``.env`` into child processes.
    """
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        raise SecretServiceUnavailable(
            "DBUS_SESSION_BUS_ADDRESS is not set: run the tests under "
            "`dbus-run-session -- python -m pytest`"
        )
    daemon = shutil.which("gnome-keyring-daemon")
    if daemon is None:
        raise SecretServiceUnavailable(
            "gnome-keyring-daemon not found: apt-get install gnome-keyring (see .ci/run)"
        )

    with closing(_open_bus(address)) as conn:
        if _name_has_owner(conn, SECRETS_NAME):
            raise SecretServiceUnavailable(
                f"{SECRETS_NAME} already has an owner on {address}: "
                "refusing to share a Secret Service with something else"
            )

    root = Path(tmpdir)
    dirs = {name: root / name for name in ("home", "data", "runtime", "config")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o700)
    daemon_env = {
        **os.environ,
        "HOME": str(dirs["home"]),
        "XDG_DATA_HOME": str(dirs["data"]),
        "XDG_RUNTIME_DIR": str(dirs["runtime"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "DBUS_SESSION_BUS_ADDRESS": address,
    }
    # Never let the daemon think it has a display to put a prompt on.
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "GNOME_KEYRING_CONTROL"):
        daemon_env.pop(var, None)
    _isolate_activation_environment(address, daemon_env)
    control = dirs["runtime"] / "keyring"
    log = root / "gnome-keyring.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [daemon, "--foreground", "--unlock", "--components=secrets",
             "--control-directory", str(control)],
            env=daemon_env,
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    assert process.stdin is not None
    process.stdin.write(password.encode())
    process.stdin.close()

    svc = SecretService(
        process,
        {"DBUS_SESSION_BUS_ADDRESS": address, "GNOME_KEYRING_CONTROL": str(control)},
        root,
        password,
        log,
    )
    try:
        _wait_until_ready(svc, timeout)
    except BaseException:
        svc.stop()
        raise
    return svc


def _isolate_activation_environment(address: str, daemon_env: dict[str, str]) -> None:
    """Point services the bus starts on demand at the temp dirs, with no display.

    The session bus can activate gnome-keyring-daemon itself (if ours died) and
    gcr-prompter (when a client asks to unlock).  Both inherit the bus's
    activation environment, which would otherwise be the caller's real HOME
    and, on a desktop, its DISPLAY: a real prompt window would block the test.
    With DISPLAY empty, gcr-prompter exits at once and the unlock is dismissed.
    """
    from jeepney import DBusAddress, new_method_call

    update = {k: daemon_env[k] for k in ("HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR",
                                         "XDG_CONFIG_HOME")}
    update.update(DISPLAY="", WAYLAND_DISPLAY="")
    bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
    with closing(_open_bus(address)) as conn:
        reply = conn.send_and_get_reply(
            new_method_call(bus, "UpdateActivationEnvironment", "a{ss}", (update,))
        )
    if reply.header.message_type.name == "error":
        raise SecretServiceUnavailable(
            f"cannot set the session bus's activation environment: {reply.body}"
        )


def _wait_until_ready(svc: SecretService, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with closing(_open_bus(svc.bus_address)) as conn:
        while not _name_has_owner(conn, SECRETS_NAME):
            if svc.process.poll() is not None:
                raise SecretServiceUnavailable(
                    f"gnome-keyring-daemon exited with {svc.process.returncode}: "
                    + _log_tail(svc.log)
                )
            if time.monotonic() > deadline:
                raise SecretServiceUnavailable(
                    f"gnome-keyring-daemon did not own {SECRETS_NAME} within {timeout}s: "
                    + _log_tail(svc.log)
                )
            time.sleep(0.01)
        import secretstorage

        while True:
            try:
                # Not get_default_collection(): on a missing alias it would try
                # to create a collection, which needs a prompt and hangs.
                collection = secretstorage.Collection(conn, DEFAULT_ALIAS)
                if not collection.is_locked():
                    return
                reason = f"{collection.collection_path} is locked"
            except secretstorage.exceptions.SecretStorageException as e:
                reason = f"no default collection: {e}"
            if time.monotonic() > deadline:
                raise SecretServiceUnavailable(
                    f"gnome-keyring-daemon is up but {reason}: " + _log_tail(svc.log)
                )
            time.sleep(0.01)


def _log_tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(lines[-3:]) or "(empty log)"

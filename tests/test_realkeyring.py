"""The keyring harness is real: gnome-keyring-daemon, reached from other processes."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import closing

import pytest

from tests.realkeyring import SecretServiceUnavailable, start_secret_service

SECRET_SERVICE = "keyring.backends.SecretService.Keyring"

# `secret_service` is the session's one daemon (tests/conftest.py): a bus has
# room for only one Secret Service.


@pytest.fixture
def child_env(secret_service, tmp_path):
    """A child's environment: the Secret Service, and a HOME of its own so that
    no keyringrc.cfg or file backend of the machine's can take part."""
    home = tmp_path / "child-home"
    home.mkdir()
    env = secret_service.child_env()
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
    )
    env.pop("PYTHON_KEYRING_BACKEND", None)
    return env


def run_py(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_a_value_set_in_one_process_is_read_in_another(secret_service, child_env):
    login = secret_service.root / "data" / "keyrings" / "login.keyring"
    size_before = login.stat().st_size

    # keyring's own choice, as `hats` will make it.  Where other backends are
    # installed keyring wraps them in a ChainerBackend; SecretService leads it.
    setter = run_py(
        "import keyring\n"
        "k = keyring.get_keyring()\n"
        "first = getattr(k, 'backends', [k])[0]\n"
        "print(type(first).__module__ + '.' + type(first).__qualname__)\n"
        "keyring.set_password('hats-test', 'alice', 'sekrit-1')\n",
        child_env,
    )
    assert setter.returncode == 0, setter.stderr
    assert setter.stdout.strip() == SECRET_SERVICE

    getter = run_py(
        "import keyring.backends.SecretService as s\n"
        "print(s.Keyring().get_password('hats-test', 'alice'))\n",
        child_env,
    )
    assert getter.returncode == 0, getter.stderr
    assert getter.stdout.strip() == "sekrit-1"

    # It is in gnome-keyring's login collection, written to its file on disk.
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    with closing(open_dbus_connection(secret_service.bus_address)) as conn:
        collection = secretstorage.Collection(conn)
        assert collection.collection_path.endswith("/collection/login") or (
            collection.get_label() == "Login"
        )
        items = list(collection.search_items({"service": "hats-test", "username": "alice"}))
        assert [i.get_secret() for i in items] == [b"sekrit-1"]
    assert login.stat().st_size > size_before


def test_a_locked_collection_is_an_error_not_a_hang(secret_service, child_env):
    setter = run_py(
        "import keyring.backends.SecretService as s\n"
        "s.Keyring().set_password('hats-test', 'bob', 'sekrit-2')\n",
        child_env,
    )
    assert setter.returncode == 0, setter.stderr

    secret_service.lock()
    try:
        assert secret_service.is_locked()
        locked_errors(child_env)
    finally:
        secret_service.unlock()
    assert not secret_service.is_locked()
    again = run_py(
        "import keyring.backends.SecretService as s\n"
        "print(s.Keyring().get_password('hats-test', 'bob'))\n",
        child_env,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "sekrit-2"


def locked_errors(child_env):
    started = time.monotonic()
    getter = run_py(
        "import keyring.backends.SecretService as s\n"
        "from keyring.errors import KeyringLocked\n"
        "try:\n"
        "    s.Keyring().get_password('hats-test', 'bob')\n"
        "except KeyringLocked as e:\n"
        "    print('KeyringLocked:', e)\n"
        "    raise SystemExit(3)\n",
        child_env,
    )
    # keyring asks gnome-keyring to unlock; its prompter finds no display and
    # the prompt is dismissed at once, so keyring raises KeyringLocked.
    assert getter.returncode == 3, getter.stderr
    assert getter.stdout.strip() == "KeyringLocked: Failed to unlock the collection!"
    assert time.monotonic() - started < 30

    # secretstorage itself still finds the item, but will not hand its secret out.
    direct = run_py(
        "import secretstorage\n"
        "from secretstorage.exceptions import LockedException\n"
        "conn = secretstorage.dbus_init()\n"
        "c = secretstorage.get_default_collection(conn)\n"
        "[item] = c.search_items({'service': 'hats-test', 'username': 'bob'})\n"
        "try:\n"
        "    item.get_secret()\n"
        "except LockedException as e:\n"
        "    print('LockedException:', e)\n",
        child_env,
    )
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout.strip() == "LockedException: Item is locked!"


def test_no_session_bus_is_a_loud_error(tmp_path, monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(SecretServiceUnavailable, match="dbus-run-session"):
        start_secret_service(tmp_path)


def test_a_second_daemon_on_the_same_bus_is_refused(secret_service, tmp_path):
    with pytest.raises(SecretServiceUnavailable, match="already has an owner"):
        start_secret_service(tmp_path / "second")

"""The vault repairs what holds no secret, names what it cannot repair, and a cache it
cannot write costs the cache, never the run.

End to end with the real `hats` (tests/conftest.py): both backends, the real Secret
Service and the encrypted file, the local STS. Items are damaged as a disk or a bug
would: one flipped byte of the encrypted file's ciphertext (its GCM tag then fails
for that item alone), one flipped byte of a Secret Service item's text.

A read-only directory is made with `chattr +i` when the tests run as root (root
ignores modes, and nothing here may mount), else with chmod 0500.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import DEV, Hats
from tui.credentials import SessionKind

VAULT = ".local/share/hats/vault.json"
LOCKS = ".local/state/hats/locks"
PASSPHRASE = "correct horse battery staple"
RAN = ("sh", "-c", "echo ran")


# -- damaging items as a disk would ---------------------------------------------
def backend(hats: Hats) -> str:
    return hats.env["HATS_BACKEND"]


def where(hats: Hats) -> str:
    return str(hats.home / VAULT) if backend(hats) == "file" else "the secret-service keyring"


def flip_a_byte(hats: Hats, item: str) -> None:
    """One flipped bit in the item as stored: the ciphertext of the file, the text in the Secret Service."""
    if backend(hats) == "file":
        path = hats.home / VAULT
        document = json.loads(path.read_text())
        sealed = bytearray(base64.b64decode(document["items"][item]))
        sealed[12] ^= 0x01  # past the 12-byte nonce: the ciphertext itself
        document["items"][item] = base64.b64encode(bytes(sealed)).decode()
        path.write_text(json.dumps(document))
        return
    from keyring.backends.SecretService import Keyring

    text = secret_service_items()[item]
    Keyring().set_password("hats", item, chr(ord(text[0]) ^ 0x01) + text[1:])


def secret_service_items() -> dict[str, str]:
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        return {item.get_attributes()["username"]: item.get_secret().decode()
                for item in collection.search_items({"service": "hats"})}


def item_names(hats: Hats) -> set[str]:
    if backend(hats) == "file":
        return set(json.loads((hats.home / VAULT).read_text())["items"]) - {"\0check"}
    return set(secret_service_items())


@contextmanager
def read_only(directory: Path):
    """The directory refuses new files, even to root, until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        mode = directory.stat().st_mode
        directory.chmod(0o500)
        try:
            yield
        finally:
            directory.chmod(mode)


def rows(hats: Hats) -> dict[str, dict]:
    done = hats.run("list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["profile"]: row for row in json.loads(done.stdout)}


def seasoned(hats: Hats) -> None:
    """A key, jan-work's MFA session and auditor's role session."""
    hats.add_key()
    done = hats.run("exec", "auditor", "--mfa-token", hats.world.code(), "--", "true")
    assert done.returncode == 0, done.stderr


# -- a damaged index --------------------------------------------------------------
def test_a_damaged_index_is_rebuilt_with_one_warning_and_nothing_is_lost(any_hats, world):
    seasoned(any_hats)
    flip_a_byte(any_hats, "index")

    done = any_hats.run("list", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"hats: warning: the index of {where(any_hats)} was damaged and is rebuilt "
                           "from its items, nothing is lost\n")
    listed = {row["profile"]: row for row in json.loads(done.stdout)}
    assert listed["jan-work"]["key"] == "keyring"
    assert [s["kind"] for s in listed["jan-work"]["sessions"]] == ["session"]
    assert [s["kind"] for s in listed["auditor"]["sessions"]] == ["role"]

    again = any_hats.run("list")  # written back: said once, not at every run
    assert again.returncode == 0 and again.stderr == ""

    world.sts.reset_calls()
    renewed = any_hats.run("exec", "jan-work", "--renew", "--mfa-token", world.code(), "--", "true")
    assert renewed.returncode == 0, renewed.stderr  # the long-term key works, with no re-add
    assert world.sts.count("GetSessionToken") == 1

    assert any_hats.run("remove", "jan-work").returncode == 0  # the rebuilt index knows what came from the key
    assert item_names(any_hats) == {"index"}
    assert all(row["sessions"] == [] and row["key"] is None for row in rows(any_hats).values())


@pytest.mark.parametrize("command", [("add", "jan-work", "--env"), ("clear",), ("exec", "dev-admin", "--", "true")])
def test_every_command_gets_past_a_damaged_index(command, any_hats, world):
    seasoned(any_hats)
    flip_a_byte(any_hats, "index")
    done = any_hats.run(*command, env={"AWS_ACCESS_KEY_ID": world.key_id, "AWS_SECRET_ACCESS_KEY": world.secret})
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "index" in line] == [
        f"hats: warning: the index of {where(any_hats)} was damaged and is rebuilt from its items, nothing is lost"]
    assert "key/jan-work" in item_names(any_hats)


def test_a_damaged_session_found_while_rebuilding_is_dropped(any_hats):
    seasoned(any_hats)
    flip_a_byte(any_hats, "session/role/auditor")
    flip_a_byte(any_hats, "index")
    listed = rows(any_hats)
    assert listed["auditor"]["sessions"] == [] and [s["kind"] for s in listed["jan-work"]["sessions"]] == ["session"]
    assert item_names(any_hats) == {"index", "key/jan-work", "session/session/jan-work"}


# Other shapes of damage, as a bug or another program would leave them.
SHAPES = {
    "secret-service": {"not-json": lambda items, item: "garbage", "a-json-list": lambda items, item: "[]",
                       "an-empty-object": lambda items, item: "{}"},
    "file": {"swapped": lambda items, item: items["key/jan-work" if item != "key/jan-work" else "index"],
             "not-base64": lambda items, item: "!!!not base64", "too-short": lambda items, item: "AAAA",
             "a-number": lambda items, item: 5},
}
SHAPED = [(store, shape) for store in SHAPES for shape in SHAPES[store]]


def shaped_hats(store: str, request, tmp_path, world) -> Hats:
    from tests.conftest import make_hats

    env = ({"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE} if store == "file"
           else request.getfixturevalue("secret_service_env"))
    hats = make_hats(tmp_path, world, env)
    seasoned(hats)
    return hats


def damage_as(hats: Hats, store: str, shape: str, item: str) -> None:
    if store == "file":
        path = hats.home / VAULT
        document = json.loads(path.read_text())
        document["items"][item] = SHAPES[store][shape](document["items"], item)
        path.write_text(json.dumps(document))
    else:
        from keyring.backends.SecretService import Keyring

        Keyring().set_password("hats", item, SHAPES[store][shape]({}, item))


@pytest.mark.parametrize("store, shape", SHAPED, ids=[f"{store}-{shape}" for store, shape in SHAPED])
def test_an_index_damaged_in_any_shape_is_rebuilt(store, shape, request, tmp_path, world):
    hats = shaped_hats(store, request, tmp_path, world)
    damage_as(hats, store, shape, "index")
    done = hats.run("list", "--json")
    assert done.returncode == 0 and done.stderr.startswith("hats: warning: the index of "), done.stderr
    listed = {row["profile"]: row for row in json.loads(done.stdout)}
    assert listed["jan-work"]["key"] == "keyring" and [s["kind"] for s in listed["auditor"]["sessions"]] == ["role"]


@pytest.mark.parametrize("store, shape", SHAPED, ids=[f"{store}-{shape}" for store, shape in SHAPED])
def test_a_session_damaged_in_any_shape_is_renewed(store, shape, request, tmp_path, world):
    hats = shaped_hats(store, request, tmp_path, world)
    damage_as(hats, store, shape, "session/role/auditor")
    world.sts.reset_calls()
    done = hats.run("exec", "auditor", "--", *RAN)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")
    assert world.sts.count("AssumeRole") == 1


# -- a damaged key or session ---------------------------------------------------------
def test_a_damaged_key_is_named_by_its_profile_and_add_replaces_it(any_hats, world):
    any_hats.add_key()
    flip_a_byte(any_hats, "key/jan-work")
    done = any_hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert (done.returncode, done.stderr) == (3, (
        f"hats: the key of profile 'jan-work' in {where(any_hats)} is damaged: "
        "run `hats add jan-work` to replace it or `hats remove jan-work`\n"))
    assert rows(any_hats)["jan-work"]["key"] == "keyring"

    any_hats.add_key()
    fixed = any_hats.run("exec", "auditor", "--mfa-token", world.code(), "--", *RAN)
    assert (fixed.returncode, fixed.stdout, fixed.stderr) == (0, "ran\n", "")


def test_a_damaged_key_behind_a_damaged_index_is_removed_by_remove(any_hats, world):
    seasoned(any_hats)
    flip_a_byte(any_hats, "key/jan-work")
    flip_a_byte(any_hats, "index")
    done = any_hats.run("remove", "jan-work")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"hats: warning: the index of {where(any_hats)} was damaged")
    assert item_names(any_hats) == {"index"}
    missing = any_hats.run("exec", "auditor", "--renew", "--mfa-token", world.code(), "--", "true")
    assert (missing.returncode, missing.stderr) == (3, "hats: no key stored for profile 'jan-work': run `hats add jan-work`\n")


def test_a_damaged_session_is_no_session_and_is_renewed_without_a_word(any_hats, world):
    seasoned(any_hats)
    flip_a_byte(any_hats, "session/role/auditor")
    world.sts.reset_calls()
    done = any_hats.run("exec", "auditor", "--", "aws", "sts", "get-caller-identity", "--output", "json")
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
    assert world.sts.count("AssumeRole") == 1 and world.sts.count("GetSessionToken") == 0  # the MFA session served
    world.sts.reset_calls()
    assert any_hats.run("exec", "auditor", "--", "true").returncode == 0 and world.sts.calls == []  # cached again


# -- a cache that cannot be written ---------------------------------------------------
def cache_warning(stderr: str, profile: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"hats: warning: the session for '{profile}' is used but not cached: "), stderr
    return lines[0]


@pytest.mark.parametrize("target", ["jan-work", "auditor", "prod-admin"])
def test_a_read_only_vault_directory_still_runs_the_command_with_one_warning(target, tmp_path, world):
    from tests.conftest import make_hats

    hats = make_hats(tmp_path, world, {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE})
    hats.add_key()
    vault = hats.home / VAULT
    before = vault.read_bytes()
    with read_only(vault.parent):
        done = hats.run("exec", target, "--mfa-token", world.code(), "--", *RAN)
        assert (done.returncode, done.stdout) == (0, "ran\n"), done.stderr
        line = cache_warning(done.stderr, "jan-work")  # the first session that failed; one line for all
        assert line.endswith(f"cannot write the encrypted keyring {vault}: Operation not permitted") or \
            line.endswith("Permission denied")
        assert vault.read_bytes() == before
        assert sorted(p.name for p in vault.parent.iterdir()) == ["vault.json"]
    cold = hats.run("exec", target, "--", "true")  # nothing was cached, nothing half-written
    assert cold.stderr == f"hats: cannot prompt without a terminal: Enter MFA code for {world.serial}\n"


def test_a_lock_directory_that_cannot_be_made_still_runs_the_command(hats, world):
    hats.add_key()
    locks = hats.home / LOCKS
    shutil.rmtree(locks)
    locks.write_text("")  # a file where the lock directory should be
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", *RAN)
    assert (done.returncode, done.stdout) == (0, "ran\n"), done.stderr
    assert cache_warning(done.stderr, "jan-work").endswith(f"cannot take the lock {locks}/index.lock: File exists")
    assert set(secret_service_items()) == {"index", "key/jan-work"}


# -- put_session's every failure, in process --------------------------------------------
def file_vault(tmp_path: Path):
    from tui.credentials import Credentials
    from tui.store.encrypted_file import EncryptedFileStore
    from tui.store.vault import Vault

    vault = Vault(EncryptedFileStore(tmp_path / "hats" / "vault.json", lambda: PASSPHRASE),
                  lock_dir=tmp_path / "state" / "locks")
    vault.set_key("jan-work", Credentials("AKIAOLDOLDOLDOLDOLD1", "o" * 40))
    return vault


def a_session():
    from datetime import timedelta

    from tui.credentials import Credentials, SessionKind, utcnow
    from tui.store.items import CachedSession

    credentials = Credentials("ASIANEWNEWNEWNEWNEW1", "n" * 40, "token" * 20, utcnow() + timedelta(hours=1))
    return CachedSession(SessionKind.MFA_SESSION, "jan-work", credentials, base="jan-work")


def assert_fails_whole(vault, message: str) -> None:
    """put_session fails with one line and leaves the file as it was; the run's later sessions
    are not tried (the caller warned once)."""
    import time

    from tui.errors import VaultError

    path = vault.store.path
    before = path.read_bytes()
    with pytest.raises(VaultError) as raised:
        vault.put_session(a_session())
    assert message in str(raised.value) and "\n" not in str(raised.value)
    started = time.monotonic()
    vault.put_session(a_session())
    assert time.monotonic() - started < 0.1
    assert path.read_bytes() == before and vault.get_session(SessionKind.MFA_SESSION, "jan-work") is None
    assert sorted(p.name for p in path.parent.iterdir()) == ["vault.json"]


@pytest.mark.parametrize("fault", ["replace-fails", "fsync-fails", "disk-full-half-way"])
def test_a_disk_that_fails_under_put_session_is_one_line_and_the_file_whole(fault, tmp_path, monkeypatch):
    from tests.hardening import FAULTS

    vault = file_vault(tmp_path)
    module, name, replacement = FAULTS[fault]
    monkeypatch.setattr(module, name, replacement)
    assert_fails_whole(vault, f"cannot write the encrypted keyring {vault.store.path}: No space left on device")


def test_a_read_only_state_directory_under_put_session_is_one_line(tmp_path):
    vault = file_vault(tmp_path)
    for lock in vault.lock_dir.iterdir():
        lock.unlink()
    from tui.store.vault import Vault

    with read_only(vault.lock_dir):
        fresh = Vault(vault.store, lock_dir=vault.lock_dir)
        assert_fails_whole(fresh, f"cannot take the lock {vault.lock_dir / 'index.lock'}: ")
        from tui.locks import RunLock

        renewal = RunLock.named(vault.lock_dir, "renew/jan-work", "hats exec")
        assert renewal.try_acquire()  # it only spares concurrent runs a code: done without
        renewal.release()


def test_a_lock_held_too_long_under_put_session_is_one_line(tmp_path):
    from filelock import FileLock

    vault = file_vault(tmp_path)
    vault.index_lock_seconds = 0.3
    held, release = threading.Event(), threading.Event()

    def other_run():
        with FileLock(str(vault.lock_dir / "index.lock")):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=other_run)
    thread.start()
    held.wait(10)
    try:
        assert_fails_whole(vault, f"another hats run held the lock {vault.lock_dir / 'index.lock'} for 0.3 s")
    finally:
        release.set()
        thread.join()


def test_the_index_lock_taken_inside_itself_does_not_wait_on_itself(tmp_path):
    vault = file_vault(tmp_path)
    vault.index_lock_seconds = 1
    session = a_session()
    with vault.index_lock():
        with vault.index_lock():
            vault.put_session(session)
    cached = vault.get_session(SessionKind.MFA_SESSION, "jan-work")
    assert (cached.credentials.access_key_id, cached.credentials.session_token) == ("ASIANEWNEWNEWNEWNEW1", "token" * 20)

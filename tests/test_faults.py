"""Faults: a write that fails half-way, a keyring locked in the middle of a write, an STS that never
answers, a kill in the middle of a write. What was there before stays whole, and the error is one line."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

import pytest

from tests import broken_sts
from tests.conftest import Hats, config_text, hats_env, wipe_secret_service
from tests.hardening import FAULTS, FILE_BACKEND, PASSPHRASE, RENEW_MFA, VAULT, interrupt, keyring_items

servers = broken_sts.servers  # a fixture of this module: the servers that are not a working STS


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_write_that_fails_half_way_leaves_the_encrypted_file_intact(fault, tmp_path, monkeypatch):
    from tui.credentials import Credentials
    from tui.errors import VaultError
    from tui.store.encrypted_file import EncryptedFileStore
    from tui.store.vault import Vault

    path = tmp_path / "hats" / "vault.json"
    old, new = Credentials("AKIAOLDOLDOLDOLDOLD1", "o" * 40), Credentials("AKIANEWNEWNEWNEWNEW1", "n" * 40)
    vault = Vault(EncryptedFileStore(path, lambda: PASSPHRASE), lock_dir=tmp_path / "locks")
    vault.set_key("jan-work", old)
    before = path.read_bytes()

    module, name, replacement = FAULTS[fault]
    with monkeypatch.context() as patch:
        patch.setattr(module, name, replacement)
        expected = KeyboardInterrupt if replacement is interrupt else VaultError
        with pytest.raises(expected) as raised:
            vault.set_key("jan-work", new)
    if expected is VaultError:
        assert str(raised.value).startswith(f"cannot write the encrypted keyring {path}") and "\n" not in str(raised.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["vault.json"], "a temporary file was left behind"
    reopened = Vault(EncryptedFileStore(path, lambda: PASSPHRASE), lock_dir=tmp_path / "locks")
    assert reopened.get_key("jan-work") == old
    assert reopened.profiles_with_keys() == ["jan-work"]


class LockingBackend:
    """A Secret Service backend whose keyring gets locked just before the n-th write."""

    def __init__(self, real, secret_service, at_write: int):
        self.real, self.secret_service, self.at_write, self.writes = real, secret_service, at_write, 0

    def get_password(self, *args):
        return self.real.get_password(*args)

    def delete_password(self, *args):
        return self.real.delete_password(*args)

    def set_password(self, *args):
        self.writes += 1
        if self.writes == self.at_write:
            self.secret_service.lock()
        return self.real.set_password(*args)


@pytest.mark.parametrize("at_write", [1, 2], ids=["the-item", "the-index"])
def test_a_keyring_locked_half_way_through_a_write_keeps_the_old_entry(at_write, secret_service, tmp_path):
    from keyring.backends.SecretService import Keyring

    from tui.credentials import Credentials
    from tui.errors import VaultError
    from tui.store.keyring_store import KeyringStore
    from tui.store.vault import Vault

    wipe_secret_service()
    old, new = Credentials("AKIAOLDOLDOLDOLDOLD1", "o" * 40), Credentials("AKIANEWNEWNEWNEWNEW1", "n" * 40)
    vault = Vault(KeyringStore(Keyring(), "secret-service"), lock_dir=tmp_path / "locks")
    vault.set_key("jan-work", old)
    before = keyring_items()
    flaky = Vault(KeyringStore(LockingBackend(Keyring(), secret_service, at_write), "secret-service"),
                  lock_dir=tmp_path / "locks")
    try:
        with pytest.raises(VaultError, match="locked"):
            flaky.set_key("ops", new) if at_write == 2 else flaky.set_key("jan-work", new)
    finally:
        secret_service.unlock()
    after = keyring_items()
    assert after["index"] == before["index"] and after["key/jan-work"] == before["key/jan-work"]
    assert vault.get_key("jan-work") == old and vault.profiles_with_keys() == ["jan-work"]
    wipe_secret_service()


def test_an_sts_that_never_answers_is_a_clear_error_within_10_seconds(hats, world, servers):
    hats.add_key()
    silent = servers["silent"]
    for args in (RENEW_MFA, ("exec", "dev-admin", "--", "true")):
        if args[1] == "dev-admin":  # an MFA session in the cache: the silent call is the AssumeRole
            assert hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true").returncode == 0
        args = [arg.replace("<code>", world.code()) for arg in args]
        started = time.monotonic()
        done = hats.run(*args, env={"AWS_ENDPOINT_URL": silent})
        elapsed = time.monotonic() - started
        action = "AssumeRole" if args[1] == "dev-admin" else "GetSessionToken"
        assert elapsed < 10, f"{action}: {elapsed:.1f} s"
        assert done.returncode == 5 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith(f"hats: {action} for profile '{args[1]}': cannot get an answer from {silent}")


def test_a_kill_in_the_middle_of_a_write_leaves_a_vault_that_opens(tmp_path, world):
    """SIGKILL at random moments of `hats add`: the file always opens and holds one whole key."""
    from tui.store.encrypted_file import EncryptedFileStore

    hats = Hats(tmp_path / "home", hats_env(tmp_path / "home", world, FILE_BACKEND), world)
    (hats.home / ".aws").mkdir(parents=True)
    (hats.home / "tmp").mkdir()
    (hats.home / ".aws/config").write_text(config_text(world.serial))
    hats.add_key()
    keys = {world.key_id: world.secret, "AKIAOTHEROTHEROTHER1": "x" * 40}
    vault = hats.home / VAULT
    chance = random.Random(6)
    for round_ in range(8):
        key_id = list(keys)[round_ % 2]
        child = subprocess.Popen([sys.executable, "-m", "tui", "add", "jan-work", "--env"],
                                 env={**hats.env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": keys[key_id]},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(chance.uniform(0.2, 1.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        store = EncryptedFileStore(vault, lambda: PASSPHRASE)
        stored = json.loads(store.get("key/jan-work"))
        assert keys.get(stored["AccessKeyId"]) == stored["SecretAccessKey"], f"round {round_}: a garbled key"
        assert "jan-work" in json.loads(store.get("index"))["keys"]
    listed = hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr

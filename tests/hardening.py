"""What the hardening tests share: homes that already hold a key and cached sessions, the snapshot
of what a run must not change, a bad-input case and how its run is judged, and the faults put into
a write of the encrypted file.

A home holds jan-work's key, jan-work's MFA session and auditor's role session, so a run that loses
or rewrites anything shows. Lock files under the state dir are the one thing a run may create: empty
coordination files, checked to be exactly that.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import DEV, PROD, Hats, config_text, hats_env, wipe_secret_service

PASSPHRASE = "correct horse battery staple"
FILE_BACKEND = {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE}
AUDITOR = f"arn:aws:iam::{DEV}:role/auditor"
UNTRUSTED = f"arn:aws:iam::{DEV}:role/hardening-untrusted"  # trusts the prod account, not identity
LOCKS = ".local/state/hats/locks/"
VAULT = ".local/share/hats/vault.json"
EXEC_AUDITOR = ("exec", "auditor", "--", "true")
RENEW_MFA = ("exec", "jan-work", "--renew", "--mfa-token", "<code>", "--", "true")  # one GetSessionToken


# -- homes that already hold a key and sessions ---------------------------
@dataclass
class Home:
    hats: Hats
    backend: str

    @property
    def root(self) -> Path:
        return self.hats.home

    @property
    def config(self) -> Path:
        return self.root / ".aws/config"

    @property
    def credentials(self) -> Path:
        return self.root / ".aws/credentials"

    @property
    def vault(self) -> Path:
        return self.root / VAULT


def season(home: Home) -> None:
    """A key and two cached sessions: jan-work's MFA session and auditor's role session."""
    world = home.hats.world
    home.config.write_text(config_text(world.serial))
    home.credentials.unlink(missing_ok=True)
    home.hats.add_key()
    done = home.hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 0, done.stderr


def make_home(root: Path, world, backend_env: dict[str, str], backend: str) -> Home:
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    (home / "tmp").mkdir()
    made = Home(Hats(home, hats_env(home, world, backend_env), world), backend)
    season(made)
    return made


@pytest.fixture(scope="module")
def untrusted_role(world):
    try:
        world.sts.create_role(DEV, "hardening-untrusted", PROD)
    except RuntimeError:  # made already, by an earlier module of this session
        pass
    return UNTRUSTED


@pytest.fixture(scope="module")
def ss_home(tmp_path_factory, world, secret_service, untrusted_role):
    wipe_secret_service()
    return make_home(tmp_path_factory.mktemp("hardening-ss"), world,
                     {"HATS_BACKEND": "secret-service", **secret_service.env}, "secret-service")


@pytest.fixture(scope="module")
def file_home(tmp_path_factory, world, untrusted_role):
    return make_home(tmp_path_factory.mktemp("hardening-file"), world, FILE_BACKEND, "file")


SEASONED_ITEMS = {"index", "key/jan-work", "session/session/jan-work", "session/role/auditor"}


def ready(home: Home) -> Home:
    """The seasoned state, put back if another test (or a bug) took it away."""
    home.config.write_text(config_text(home.hats.world.serial))
    home.credentials.unlink(missing_ok=True)
    if home.backend == "secret-service" and set(keyring_items()) != SEASONED_ITEMS:
        wipe_secret_service()
        season(home)
    if home.backend == "file":  # each case a first run: the passphrase is asked, not a kept key used
        assert home.hats.run("lock").returncode == 0
    return home


# -- what must not change -------------------------------------------------
def keyring_items() -> dict[str, str]:
    """Every hats item in the Secret Service, by name (read in-process, not through hats)."""
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        items: dict[str, str] = {}
        for item in collection.search_items({"service": "hats"}):
            name = item.get_attributes().get("username", "?")
            assert name not in items, f"two keyring items named {name}"
            items[name] = item.get_secret().decode()
        return items


def set_keyring_item(name: str, value: str) -> None:
    from keyring.backends.SecretService import Keyring

    Keyring().set_password("hats", name, value)


def disk(root: Path) -> tuple[dict[str, tuple], list[str]]:
    """Files under HOME (size, mtime, digest), and anything odd in the lock directory."""
    files, odd_locks = {}, []
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(root).as_posix()
        info = path.stat()
        if relative.startswith(LOCKS):
            if info.st_size or not relative.endswith(".lock"):
                odd_locks.append(f"{relative} ({info.st_size} bytes)")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        files[relative] = (info.st_size, info.st_mtime_ns, digest)
    return files, odd_locks


def state(home: Home) -> dict:
    files, _ = disk(home.root)
    snapshot = {"files": files}
    if home.backend == "secret-service":
        snapshot["keyring"] = keyring_items()
    return snapshot


def differences(before: dict, after: dict) -> list[str]:
    found = []
    for part in before:
        old, new = before[part], after[part]
        for name in sorted(set(old) | set(new)):
            if name not in new:
                found.append(f"{part}: {name} went away")
            elif name not in old:
                found.append(f"{part}: {name} appeared")
            elif old[name] != new[name]:
                found.append(f"{part}: {name} changed")
    return found


# -- a case of the bad-input corpus, and how its run is judged ------------
@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    message: str  # the stderr line; "re:" + a regex for it. <config>, <vault>, <url>... are filled in
    config: str | bytes | None = None  # replaces ~/.aws/config
    extra: str = ""  # appended to the seasoned config
    credentials: str | bytes | None = None
    env: dict[str, str] = field(default_factory=dict)
    home: str = "ss"  # "ss": the Secret Service home; "file": the encrypted-file home
    server: str | None = None  # AWS_ENDPOINT_URL points at this server of SERVERS
    sts: bool = False  # may the run call the (real, local) STS at all
    locked: bool = False  # the keyring is locked during the run
    damage: tuple[str, str] | None = None  # (item, value) put in the keyring before the run
    vault: Callable[[bytes], bytes] | None = None  # damages the encrypted file before the run
    usage: bool = False  # an argparse error: usage text, then `message` as the last line
    seconds: float | None = None  # the answer must come within this many seconds


def fill(text: str, values: dict[str, str], regex: bool = False) -> str:
    for name, value in values.items():
        text = text.replace(f"<{name}>", re.escape(value) if regex else value)
    return text


def prepare_damage(case: Case, home: Home) -> Callable[[], None]:
    """Damage the keyring or the encrypted file as the case asks; returns what puts it back."""
    if case.damage:
        item, value = case.damage
        good = keyring_items()[item]
        set_keyring_item(item, value)
        return lambda: set_keyring_item(item, good)
    if case.vault:
        good = home.vault.read_bytes()
        home.vault.write_bytes(case.vault(good))
        return lambda: home.vault.write_bytes(good)
    return lambda: None


def judge(case: Case, done: subprocess.CompletedProcess, message: str, regex: bool) -> list[str]:
    problems = []
    lines = done.stderr.splitlines()
    if "Traceback" in done.stderr:
        problems.append("a traceback")
    if done.returncode != case.code:
        problems.append(f"exit {done.returncode}, wanted {case.code}")
    if done.stdout:
        problems.append("output on stdout")
    if case.usage:
        if not done.stderr.startswith("usage: hats"):
            problems.append("no usage text")
        wanted_line = lines[-1] if lines else ""
    else:
        if len(lines) != 1 or not done.stderr.endswith("\n"):
            problems.append(f"stderr is {len(lines)} lines, wanted one")
        if not done.stderr.startswith("hats: "):
            problems.append("stderr does not start with 'hats: '")
        wanted_line = lines[0] if lines else ""
    matched = re.fullmatch(message, wanted_line) if regex else wanted_line == message
    if not matched:
        problems.append(f"message {wanted_line!r}, wanted {'/' + message + '/' if regex else repr(message)}")
    return problems


# -- faults put into a write ----------------------------------------------
def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def half_then_enospc(document, out, *args, **kwargs):
    text = json.dumps(document)
    out.write(text[:len(text) // 2])
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


FAULTS = {
    "replace-fails": (os, "replace", enospc),
    "fsync-fails": (os, "fsync", enospc),
    "disk-full-half-way": (json, "dump", half_then_enospc),
    "interrupted-before-replace": (os, "replace", interrupt),
}

"""Real parts for every test: a local STS, a real Secret Service, a clean HOME.

The world the tests act in, as a real organisation would have it:

    111111111111 identity   user jan-work, virtual MFA device jan-work
    222222222222 dev        auditor, dev-admin (both demand MFA), long (2 h),
                            dev-hop (trusts identity)
    333333333333 prod       prod-hop (trusts dev), prod-admin (trusts prod)
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realkeyring import start_secret_service
from tui.sandbox.localsts import LocalSTS
from tui.sandbox.world import Account, Role, Spec, User, World, build_world
from tui.sandbox.world import config_text as world_config

IDENTITY, DEV, PROD = "111111111111", "222222222222", "333333333333"
CAPTURED: list[str] = []  # every test's captured output, for the secret scan at the end of the session
SECRETS: set[str] = set()  # every secret the tests saw: the world's, and any a test adds to world.secrets


def pytest_runtest_logreport(report):
    CAPTURED.extend(text for _, text in report.sections)
    if report.longrepr:
        CAPTURED.append(str(report.longrepr))


def pytest_sessionfinish(session, exitstatus):
    """No secret escaped the keyring: fail the run if one is in a file under the session's temp
    tree (every test's HOME and TMPDIR) or in the output captured from any test."""
    if not SECRETS:
        return
    found = secrets_found(session.config._tmp_path_factory.getbasetemp(), "\n".join(CAPTURED))
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.ensure_newline()
        reporter.section("secret scan", red=True)
        reporter.write_line(f"{len(found)} secret(s) outside the keyring:", red=True)
        for where in found:
            reporter.write_line(f"  {where}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def secrets_found(root: Path, output: str) -> list[str]:
    """Where a secret is, with its first four characters only."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {secret[:4]}..." for secret in SECRETS if secret.encode() in data]
    return found + [f"captured output: {secret[:4]}..." for secret in SECRETS if secret in output]


JAN = "jan-work"
WORLD = Spec(
    accounts=(Account(IDENTITY), Account(DEV), Account(PROD)),
    users=(User(JAN, IDENTITY, settings={"region": "eu-west-1"}),),
    roles=(
        Role("auditor", DEV, source=JAN, require_mfa=True),
        Role("dev-admin", DEV, source=JAN, require_mfa=True, settings={"region": "eu-central-1"}),
        Role("long", DEV, source=JAN, require_mfa=True, max_session_duration=7200,
             settings={"duration_seconds": "7200"}),
        Role("dev-hop", DEV, source=JAN, require_mfa=True),
        Role("prod-hop", PROD, source="dev-hop", max_session_duration=7200),
        Role("prod-admin", PROD, source="prod-hop", settings={"role_session_name": "jan-prod"}),
    ),
    # On purpose: a chained role asking for more than the hour AWS allows, and a cycle.
    extra_config=f"""\
[profile prod-long]
source_profile = dev-hop
role_arn = arn:aws:iam::{PROD}:role/prod-hop
duration_seconds = 7200

[profile loop-a]
source_profile = loop-b
role_arn = arn:aws:iam::{DEV}:role/auditor

[profile loop-b]
source_profile = loop-a
role_arn = arn:aws:iam::{DEV}:role/auditor
""")


def config_text(serial: str) -> str:
    """The tests' AWS config, naming `serial` as jan-work's MFA device."""
    return world_config(WORLD, {JAN: serial})


@pytest.fixture(scope="session", autouse=True)
def own_session_keyring():
    """The encrypted file backend keeps its unlocked key in the kernel's session keyring: the
    test run gets an empty one of its own, so no key outlives the run or reaches the
    developer's session (every hats the tests start inherits it)."""
    from tui.store import kernel_keyring

    kernel_keyring.join_new_session()


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory):
    service = start_secret_service(tmp_path_factory.mktemp("secret-service"))
    yield service
    service.stop()


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    """The WORLD in a LocalSTS for the whole session; its secret keys go to the final scan."""
    with LocalSTS() as sts:
        yield build_world(sts, WORLD, secrets=SECRETS)


class Hats:
    """`hats` as a user runs it: a subprocess with its own HOME and AWS config."""

    def __init__(self, home: Path, env: dict[str, str], world: World):
        self.home = home
        self.env = env
        self.world = world

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        # A new session has no controlling terminal, so a prompt fails instead of
        # waiting on the developer's terminal.
        return subprocess.run([sys.executable, "-m", "tui", *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout, start_new_session=True,
                              stdin=subprocess.DEVNULL)

    def add_key(self) -> None:
        done = self.run("add", "jan-work", "--env",
                        env={"AWS_ACCESS_KEY_ID": self.world.key_id, "AWS_SECRET_ACCESS_KEY": self.world.secret})
        assert done.returncode == 0, done.stderr

    def spawn(self, *args: str, **kwargs):
        import pexpect

        return pexpect.spawn(sys.executable, ["-m", "tui", *args], env=self.env, encoding="utf-8",
                             timeout=30, **kwargs)


def hats_env(home: Path, world: World, backend_env: dict[str, str]) -> dict[str, str]:
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TERM") if name in os.environ}
    return {
        **keep, **backend_env,
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "AWS_CONFIG_FILE": str(home / ".aws/config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws/credentials"),
        "AWS_ENDPOINT_URL": world.sts.url,
        "SHELL": "/bin/sh",
        "TMPDIR": str(home / "tmp"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }


def wipe_secret_service() -> None:
    import secretstorage

    with secretstorage.dbus_init() as connection:
        for item in secretstorage.get_default_collection(connection).search_items({"service": "hats"}):
            item.delete()


@pytest.fixture(params=["secret-service", "file"])
def backend_env(request, tmp_path):
    if request.param == "file":
        return {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": "correct horse battery staple"}
    return fresh_secret_service(request.getfixturevalue("secret_service"))


@pytest.fixture
def secret_service_env(secret_service):
    return fresh_secret_service(secret_service)


def fresh_secret_service(service) -> dict[str, str]:
    """The Secret Service unlocked (a test that locked it may have failed) and empty of hats items."""
    if service.is_locked():
        service.unlock()
    wipe_secret_service()
    return {"HATS_BACKEND": "secret-service", **service.env}


def make_hats(tmp_path: Path, world: World, backend: dict[str, str]) -> Hats:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / "tmp").mkdir()
    (home / ".aws/config").write_text(config_text(world.serial))
    world.sts.reset_calls()
    return Hats(home, hats_env(home, world, backend), world)


@pytest.fixture
def hats(tmp_path, world, secret_service_env) -> Hats:
    """hats on the real Secret Service."""
    return make_hats(tmp_path, world, secret_service_env)


@pytest.fixture
def any_hats(tmp_path, world, backend_env) -> Hats:
    """hats on each backend in turn: the Secret Service and the encrypted file."""
    return make_hats(tmp_path, world, backend_env)


@pytest.fixture
def app_env(tmp_path, world, secret_service_env, monkeypatch) -> Hats:
    """For the app in this process: the test HOME's variables set in os.environ, the key stored."""
    hats = make_hats(tmp_path, world, secret_service_env)
    hats.add_key()
    for name, value in hats.env.items():
        monkeypatch.setenv(name, value)
    return hats


@pytest.fixture(autouse=True)
def browsers_read_again() -> Iterator[None]:
    """Python's webbrowser reads $BROWSER and looks for browsers once a process, on first use; the
    app's tests run in this process with a $BROWSER each, so each test starts with none found yet
    (else a test after one without $BROWSER would open a text browser found then)."""
    yield
    import webbrowser

    webbrowser._tryorder = None  # type: ignore[attr-defined]  # private: how the module knows it looked

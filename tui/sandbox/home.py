"""The demo's sandbox: the ACME world in a local STS, with a HOME, a keyring and an environment
of its own, all in one temporary directory.

For scripts and tests (one Sandbox per process: moto's state is global):

    with Sandbox() as sandbox:
        sandbox.env, sandbox.sts, sandbox.identity_center, sandbox.serial, sandbox.code(), sandbox.config_path
        subprocess.run([...], env=sandbox.child_env())
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .loopback import LOOPBACK
from .world import TOTP_STEP, Account, Role, Spec, User, World, build_world

if TYPE_CHECKING:
    from ..store.vault import Vault
    from .identity_center import LocalIdentityCenter
    from .localsts import LocalSTS
    from .signin import SigninStandIn

IDENTITY, DEV, PROD, SANDBOX = "111111111111", "222222222222", "333333333333", "444444444444"
USER = "jan-work"
PASSPHRASE = "hats demo sandbox"  # the demo keyring's: it guards a sandbox key only

# IAM Identity Center: the sign-in, and its portal's accounts (id, name, e-mail, permission sets).
# Only acme-dev's AdministratorAccess has a profile in the config; the rest are in the portal only.
SSO_SESSION, SSO_START_URL, SSO_REGION, SSO_USER = "acme", "https://acme.awsapps.com/start", "eu-west-1", "jan"
SSO_PROFILE = "acme-dev.AdministratorAccess"
PORTAL = (
    (DEV, "acme-dev", "aws-dev@acme.example", ("AdministratorAccess", "ReadOnly")),
    (SANDBOX, "acme-sandbox", "aws-sandbox@acme.example", ("PowerUser",)),
)
SSO_CONFIG = f"""\
# IAM Identity Center, served by the sandbox too: `hats sso login acme` signs in (a scripted
# browser approves), `hats sso list acme` shows the portal, acme-sandbox included.
[sso-session {SSO_SESSION}]
sso_start_url = {SSO_START_URL}
sso_region = {SSO_REGION}
sso_registration_scopes = sso:account:access

[profile {SSO_PROFILE}]
sso_session = {SSO_SESSION}
sso_account_id = {DEV}
sso_role_name = AdministratorAccess
region = eu-west-1
hats_account_alias = acme-dev
"""

ACME = Spec(
    header="# The hats demo's AWS config: a sandbox, served by a local STS on 127.0.0.1.\n"
           "# hats_account_alias names the account in the app and in the shell prompt.\n",
    accounts=(
        Account(IDENTITY, "acme-identity", ("acme-identity-cloudtrail",)),
        Account(DEV, "acme-dev", ("acme-dev-artifacts", "acme-dev-terraform-state", "acme-dev-scratch")),
        Account(PROD, "acme-prod", ("acme-prod-backups", "acme-prod-customer-uploads", "acme-prod-terraform-state")),
        Account(SANDBOX, "acme-sandbox", ("acme-sandbox-experiments",)),
    ),
    users=(User(USER, IDENTITY, settings={"region": "eu-west-1"}),),
    roles=(
        Role("security-auditor", DEV, source=USER, require_mfa=True, settings={"region": "eu-west-1"}),
        Role("dev-infra-admin", DEV, source=USER, settings={"region": "eu-central-1"}),
        Role("prod-gateway", PROD, source=USER, require_mfa=True, settings={"region": "us-east-1"},
             comment="# Production: a gateway role first, then the role that does the work.\n"),
        Role("prod-admin", PROD, source="prod-gateway",
             settings={"role_session_name": "jan-prod", "region": "us-east-1"}),
        Role("prod-readonly", PROD, source="prod-gateway", settings={"region": "us-east-1"}),
        Role("dev-deployer", DEV, source=SSO_PROFILE, trusts=DEV, settings={"region": "eu-west-1"},
             comment=f"# Chained from the Identity Center role {SSO_PROFILE} (below): an hour at most.\n"),
    ),
    extra_config=SSO_CONFIG,
)

BASHRC = """\
# The hats demo's HOME: your own ~/.bashrc is not read in the sandbox.
PS1='demo:\\w$ '
"""
ZSHRC = """\
# The hats demo's HOME: your own ~/.zshrc is not read in the sandbox.
PROMPT='demo:%~%# '
"""


class Sandbox:
    """The demo's world: a temporary directory, a local STS, a keyring, the environment.

    Attributes once started: root, home, config_path, credentials_path,
    keyring_dir, world (ACME, built), sts, identity_center (its PORTAL, minting role
    credentials in that STS), serial (the MFA device's ARN), key_id,
    vault (the demo keyring, open), env (what the sandbox sets), removed (the
    caller's AWS_*/HATS_* names it unsets), timings (seconds spent starting).
    `seed` makes moto's ids (role ids, ...) the same on every run, for screenshots.
    """

    def __init__(self, passphrase: str = PASSPHRASE, seed: int | None = None, parent: str | None = None):
        self.passphrase, self.seed, self.parent = passphrase, seed, parent
        self.root: Path | None = None
        self.signin: SigninStandIn | None = None
        self.identity_center: LocalIdentityCenter | None = None
        self._sts: LocalSTS | None = None  # apart from the world: close() stops it when building fails
        self.env: dict[str, str] = {}
        self.removed: tuple[str, ...] = ()
        self.timings: dict[str, float] = {}
        self._world: World | None = None
        self._vault: Vault | None = None
        self._saved_environ: dict[str, str] | None = None

    # -- life ---------------------------------------------------------------
    def start(self) -> Sandbox:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        began = time.perf_counter()
        self.root = root = Path(tempfile.mkdtemp(prefix="hats-demo-", dir=self.parent))
        self.home = root / "home"
        self.config_path = self.home / ".aws" / "config"
        self.credentials_path = self.home / ".aws" / "credentials"
        self.keyring_dir = root / "keyring"
        for folder in (self.home / ".aws", root / "config", root / "data", root / "state", root / "cache",
                       root / "tmp"):
            folder.mkdir(parents=True, mode=0o700)
        from .identity_center import LocalIdentityCenter
        from .localsts import LocalSTS  # moto: the bulk of the start-up time
        from .signin import SigninStandIn

        self.timings["import"] = time.perf_counter() - began
        self._sts = sts = LocalSTS().start()
        if self.seed is not None:
            from moto.moto_api._internal import mock_random

            mock_random.seed(self.seed)
        self._world = build_world(sts, ACME)
        self.signin = SigninStandIn().start()
        self.identity_center = LocalIdentityCenter(sts, start_url=SSO_START_URL, region=SSO_REGION,
                                                   user_name=SSO_USER).start()
        for account_id, name, email, permission_sets in PORTAL:
            self.identity_center.add_account(account_id, name, email)
            for permission_set in permission_sets:
                self.identity_center.add_role(account_id, permission_set)
        self.timings["world"] = time.perf_counter() - began - self.timings["import"]
        self.config_path.write_text(self.world.config_text())
        self.credentials_path.write_text("")
        (self.home / ".bashrc").write_text(BASHRC)
        (self.home / ".zshrc").write_text(ZSHRC)
        self.env = self._environment(root, self.signin.url, self.identity_center.url)
        self.removed = tuple(sorted(name for name in os.environ
                                    if name.startswith(("AWS_", "HATS_")) and name not in self.env))
        self._store_key()
        self.timings["total"] = time.perf_counter() - began

    def _environment(self, root: Path, signin_url: str, sso_url: str) -> dict[str, str]:
        from . import browser

        no_proxy = ",".join(dict.fromkeys(
            [*filter(None, os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",")), *LOOPBACK]))
        return {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_CACHE_HOME": str(root / "cache"),
            "TMPDIR": str(root / "tmp"),
            "AWS_CONFIG_FILE": str(self.config_path),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_path),
            "AWS_ENDPOINT_URL": self.sts.url,
            "AWS_ENDPOINT_URL_SSO_OIDC": sso_url,
            "AWS_ENDPOINT_URL_SSO": sso_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "HATS_BACKEND": "file",
            "HATS_FILE_DIR": str(self.keyring_dir),
            "HATS_FILE_PASSPHRASE": self.passphrase,
            "HATS_FILE_UNLOCKED_SECONDS": "0",  # the passphrase is at hand: leave no key in the kernel
            "HATS_STATE_DIR": str(root / "state" / "hats"),
            "HATS_SIGNIN_URL": signin_url,
            # an SSO sign-in opens the scripted browser, which approves; `hats login` keeps $BROWSER
            "HATS_SSO_BROWSER": shlex.join([sys.executable, browser.__file__]) + " %s",
            "HATS_DEMO_MFA_SECRET": self.world.totp_secret,  # for `hats demo --code` in a second terminal
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    def _store_key(self) -> None:
        """jan-work's key into the demo keyring, as `hats add` would; nowhere else."""
        from ..credentials import long_term_key
        from ..store.encrypted_file import EncryptedFileStore
        from ..store.vault import Vault

        store = EncryptedFileStore(self.keyring_dir / "vault.json", lambda: self.passphrase)
        self._vault = Vault(store, lock_dir=Path(self.env["HATS_STATE_DIR"]) / "locks")
        self._vault.set_key(USER, long_term_key(self.world.key_id, self.world.secret))

    def close(self) -> None:
        """Stop the servers, put os.environ back, remove every file. Safe to call twice."""
        try:
            for server in (self.signin, self.identity_center, self._sts):
                if server is not None:
                    server.stop()
            self.signin = self.identity_center = self._sts = None
        finally:
            self.restore_environ()
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)

    __enter__ = start

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what it holds ------------------------------------------------------
    @property
    def world(self) -> World:
        if self._world is None:
            raise RuntimeError("the sandbox is not started")
        return self._world

    @property
    def sts(self) -> LocalSTS:
        return self.world.sts

    @property
    def serial(self) -> str:
        return self.world.serial

    @property
    def key_id(self) -> str:
        return self.world.key_id

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            raise RuntimeError("the sandbox is not started")
        return self._vault

    def opened_vault(self, backend: str | None, passphrase: Callable[[], str]) -> Vault:
        """The app's vault opener: the demo keyring, open already, whatever is asked."""
        return self.vault

    # -- the environment ----------------------------------------------------
    def child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default os.environ) without the caller's AWS_*/HATS_* variables, plus the sandbox's."""
        base = dict(os.environ if base is None else base)
        kept = {name: value for name, value in base.items() if not name.startswith(("AWS_", "HATS_"))}
        return {**kept, **self.env}

    def apply_environ(self) -> None:
        """Make os.environ the sandbox's (for this process and all its children) until close()."""
        if self._saved_environ is None:
            self._saved_environ = dict(os.environ)
        for name in self.removed:
            os.environ.pop(name, None)
        os.environ.update(self.env)

    def restore_environ(self) -> None:
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None

    def export_lines(self) -> str:
        lines = [f"unset {name}" for name in self.removed]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in self.env.items()]
        return "\n".join(lines) + "\n"

    # -- the MFA device -------------------------------------------------------
    def code(self, at: float | None = None) -> str:
        """The MFA device's current code (a real TOTP the local STS checks)."""
        return self.world.code(at)

    def banner(self) -> str:
        return banner_text(self.code(), seconds_left())

    def secrets(self) -> set[str]:
        """What must never show on a screen or in a file: for checks by scripts and tests."""
        secrets = {*self.world.secrets, self.world.totp_secret}
        if self.identity_center is not None:  # the sign-ins so far: tokens and client secrets
            oidc = self.identity_center.oidc
            secrets.update(oidc.access_tokens, oidc.refresh_tokens, (c.secret for c in oidc.clients.values()))
        return secrets


def seconds_left(now: float | None = None) -> int:
    """How long the current TOTP code stays the current one."""
    now = time.time() if now is None else now
    return TOTP_STEP - int(now) % TOTP_STEP


def banner_text(code: str, left: int) -> str:
    return f"demo MFA code {code} ({left} s left)"

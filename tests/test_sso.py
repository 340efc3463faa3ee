"""IAM Identity Center from the command line, against the sandbox's local Identity Center.

Real parts: the local Identity Center (OIDC for both flows and refresh, the portal) whose role
credentials the local STS accepts, the scripted browser that $BROWSER runs, the real keyring,
and the real `aws` CLI inside `hats exec`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tui.sandbox.identity_center import LocalIdentityCenter

from .conftest import DEV, Hats, make_hats

SSO_DEV, SSO_PROD, PORTAL_ONLY = "222233334444", "555566667777", "888899990000"


@pytest.fixture(scope="module")
def idc(world):
    with LocalIdentityCenter(world.sts) as center:
        add_portal(center)
        world.sts.create_role(DEV, "from-sso", SSO_DEV)
        yield center
        oidc = center.oidc  # every token and client secret the tests made: the final scan looks for them
        world.secrets.update(oidc.access_tokens)
        world.secrets.update(client.secret for client in oidc.clients.values())
        world.secrets.update(getattr(oidc, "refresh_tokens", {}))


def add_portal(center: LocalIdentityCenter) -> None:
    center.add_account(SSO_DEV, "Dev Account", "dev@example.com")
    center.add_role(SSO_DEV, "AdministratorAccess")
    center.add_role(SSO_DEV, "ReadOnly")
    center.add_account(SSO_PROD, "Prod", "prod@example.com")
    center.add_role(SSO_PROD, "ReadOnly")
    center.add_account(PORTAL_ONLY, "Sandbox", "sandbox@example.com")
    center.add_role(PORTAL_ONLY, "PowerUser")


def sso_config(idc) -> str:
    return f"""\
[sso-session corp]
sso_start_url = {idc.start_url}
sso_region = {idc.region}

[profile dev]
sso_session = corp
sso_account_id = {SSO_DEV}
sso_role_name = AdministratorAccess
region = eu-west-1

[profile legacy-prod]
sso_start_url = {idc.start_url}
sso_region = {idc.region}
sso_account_id = {SSO_PROD}
sso_role_name = ReadOnly
region = us-east-1

[profile chained]
source_profile = dev
role_arn = arn:aws:iam::{DEV}:role/from-sso

[profile chained-long]
source_profile = dev
role_arn = arn:aws:iam::{DEV}:role/from-sso
duration_seconds = 7200

[profile ghost-session]
sso_session = nowhere
sso_account_id = {SSO_DEV}
sso_role_name = ReadOnly

[profile no-role]
sso_session = corp
sso_account_id = {SSO_DEV}
"""


@pytest.fixture
def sso(tmp_path, world, secret_service_env, idc) -> Hats:
    hats = make_hats(tmp_path, world, secret_service_env)
    (hats.home / ".aws/config").write_text(sso_config(idc))
    hats.browser_log = hats.home / "browser.log"
    hats.env.update({
        "AWS_ENDPOINT_URL_SSO_OIDC": idc.url, "AWS_ENDPOINT_URL_SSO": idc.url,
        "BROWSER": f"{sys.executable} -m tui.sandbox.browser %s",
        "HATS_SANDBOX_BROWSER_LOG": str(hats.browser_log),
    })
    idc.approval = "ask"
    idc.reset_calls()
    return hats


def visits(hats: Hats, path: str) -> int:
    text = hats.browser_log.read_text() if hats.browser_log.exists() else ""
    return sum(1 for line in text.splitlines() if path in line)


def caller_arn(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["Arn"]


def test_login_with_pkce_then_exec_runs_the_aws_cli_as_the_sso_role(sso, idc):
    done = sso.run("sso", "login", "corp")
    assert done.returncode == 0, done.stderr
    assert "Signed in to sso-session 'corp'" in done.stderr
    assert idc.count("CreateToken", ok=True, grant="authorization_code") == 1
    assert "code_challenge_method=S256" in done.stderr and "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in done.stderr

    arn = caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity"))
    assert arn.startswith(f"arn:aws:sts::{SSO_DEV}:assumed-role/AWSReservedSSO_AdministratorAccess_")
    caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity"))
    assert idc.count("GetRoleCredentials") == 1  # the second run took the cached role session
    assert idc.count("authorize") == 1


def test_device_code_flow_polls_until_the_person_approves(sso, idc):
    done = sso.run("sso", "login", "corp", "--device-code")
    assert done.returncode == 0, done.stderr
    assert "check that it shows the code" in done.stderr
    assert idc.count("CreateToken", ok=True, grant="device_code") == 1
    assert idc.count("authorize") == 0
    assert caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity")).endswith("/jan")


def test_a_denied_sign_in_is_one_line_and_leaves_nothing_behind(sso, idc):
    done = sso.run("sso", "login", "corp", env={"HATS_SANDBOX_BROWSER": "deny"})
    assert done.returncode == 7
    assert done.stderr.count("\n") == 2 and "refused in the browser" in done.stderr  # the URL line, then the error
    assert sso.run("sso", "list", "corp", env={"BROWSER": ""}).returncode == 7


def test_without_a_terminal_or_a_browser_a_run_says_how_to_sign_in(sso):
    done = sso.run("exec", "dev", "--", "true", env={"BROWSER": "", "DISPLAY": ""})
    assert done.returncode == 7
    assert done.stderr.strip().splitlines() == [
        "hats: not signed in to sso-session 'corp': run `hats sso login corp`"]


def test_an_expired_access_token_is_refreshed_without_a_browser(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    idc.expire_access_tokens()
    done = sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity",
                   env={"HATS_SANDBOX_BROWSER": "fail"})
    assert caller_arn(done)
    assert idc.count("CreateToken", ok=True, grant="refresh_token") == 1
    assert idc.count("authorize") == 1  # only the first sign-in


def test_logout_revokes_and_a_later_run_signs_in_again(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity"))
    done = sso.run("sso", "logout", "corp")
    assert done.returncode == 0 and "dropped 1 role session" in done.stderr
    assert idc.count("Logout", ok=True) == 1
    refused = sso.run("exec", "dev", "--", "true", env={"BROWSER": ""})
    assert refused.returncode == 7 and "hats sso login corp" in refused.stderr
    assert caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity"))  # the browser signs in
    assert idc.count("authorize") == 2


def test_a_token_revoked_at_the_portal_is_one_line_for_a_run_that_cannot_sign_in(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    idc.revoke_all()  # an administrator ended every session: the portal answers 401
    done = sso.run("exec", "dev", "--", "true", env={"BROWSER": ""})
    assert done.returncode == 7
    assert len(done.stderr.strip().splitlines()) == 1 and "hats sso login corp" in done.stderr


def test_the_legacy_form_shares_the_sign_in_of_the_same_start_url(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    arn = caller_arn(sso.run("exec", "legacy-prod", "--", "aws", "sts", "get-caller-identity",
                             env={"HATS_SANDBOX_BROWSER": "fail"}))
    assert arn.startswith(f"arn:aws:sts::{SSO_PROD}:assumed-role/AWSReservedSSO_ReadOnly_")
    assert idc.count("authorize") == 1


def test_a_role_chained_from_an_sso_role(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    arn = caller_arn(sso.run("exec", "chained", "--", "aws", "sts", "get-caller-identity"))
    assert arn.startswith(f"arn:aws:sts::{DEV}:assumed-role/from-sso/")
    long = sso.run("exec", "chained-long", "--", "true")
    assert long.returncode == 2 and "caps chained roles at 3600 s" in long.stderr


def test_list_follows_every_page(sso, idc):
    idc.page_size = 1
    done = sso.run("sso", "list", "corp", "--json")
    assert done.returncode == 0, done.stderr
    listed = {(a["account_id"], a["account_name"], role) for a in json.loads(done.stdout) for role in a["roles"]}
    assert listed == {(SSO_DEV, "Dev Account", "AdministratorAccess"), (SSO_DEV, "Dev Account", "ReadOnly"),
                      (SSO_PROD, "Prod", "ReadOnly"), (PORTAL_ONLY, "Sandbox", "PowerUser")}
    table = sso.run("sso", "list").stdout  # the only sign-in, by default
    assert "sandbox@example.com" in table and "PowerUser" in table


def test_populate_appends_only_what_is_missing_and_dry_run_touches_nothing(sso, idc):
    config = sso.home / ".aws/config"
    config.write_text(sso_config(idc) + "\n[profile sandbox.PowerUser]\nregion = us-east-1\n")
    before = config.read_bytes()
    dry = sso.run("sso", "populate", "corp", "--dry-run", "--prefix", "corp-")
    assert dry.returncode == 0, dry.stderr
    assert config.read_bytes() == before
    assert "[profile corp-dev-account.ReadOnly]" in dry.stdout and "AdministratorAccess" not in dry.stdout
    assert "legacy-prod" not in dry.stdout and f"sso_account_id = {SSO_PROD}" not in dry.stdout  # it has a profile

    done = sso.run("sso", "populate", "corp")
    assert done.returncode == 0, done.stderr
    after = config.read_bytes()
    assert after.startswith(before)
    added = after[len(before):].decode()
    assert "[profile dev-account.ReadOnly]" in added
    assert f"[profile sandbox-{PORTAL_ONLY}.PowerUser]" in added  # the plain name is taken
    again = sso.run("sso", "populate", "corp")
    assert "Added 0 profiles" in again.stderr and config.read_bytes() == after
    arn = caller_arn(sso.run("exec", f"sandbox-{PORTAL_ONLY}.PowerUser", "--", "aws", "sts", "get-caller-identity"))
    assert arn.startswith(f"arn:aws:sts::{PORTAL_ONLY}:assumed-role/AWSReservedSSO_PowerUser_")


def test_concurrent_runs_open_the_browser_once(sso, idc):
    assert sso.run("sso", "populate", "corp").returncode == 0
    assert sso.run("sso", "logout").returncode == 0
    idc.reset_calls()
    sso.browser_log.unlink()
    names = ["dev", "legacy-prod", "dev-account.ReadOnly", "sandbox.PowerUser", "chained"]
    runs = [subprocess.Popen([sys.executable, "-m", "tui", "exec", name, "--", "aws", "sts", "get-caller-identity"],
                             env=sso.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL, start_new_session=True) for name in names]
    results = [(run.communicate(timeout=120), run.returncode) for run in runs]
    assert [code for _, code in results] == [0] * 5, [err for (_, err), _ in results]
    assert visits(sso, "/authorize") == 1
    assert idc.count("CreateToken", ok=True) == 1
    assert any("waiting for the sign-in to sso-session 'corp'" in err for (_, err), _ in results)


def test_clear_keeps_the_sign_in(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity"))
    assert sso.run("clear", "dev").returncode == 0
    caller_arn(sso.run("exec", "dev", "--", "aws", "sts", "get-caller-identity", env={"BROWSER": ""}))
    assert idc.count("GetRoleCredentials") == 2 and idc.count("authorize") == 1


@pytest.mark.parametrize(("profile", "message"), [
    ("ghost-session", "profile 'ghost-session' names sso_session 'nowhere', which is not in the config"),
    ("no-role", "profile 'no-role' signs in through IAM Identity Center but has no sso_role_name"),
])
def test_bad_sso_settings_are_one_line(sso, profile, message):
    done = sso.run("exec", profile, "--", "true")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"hats: {message}"]


def test_an_unknown_sso_session_is_one_line(sso):
    done = sso.run("sso", "login", "nowhere")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"hats: 'nowhere' is neither an sso-session nor an SSO profile in {sso.home / '.aws/config'}"]


def test_tokens_live_in_the_keyring_not_in_files(sso, idc):
    assert sso.run("sso", "login", "corp").returncode == 0
    assert not (sso.home / ".aws/sso").exists()
    tokens = list(idc.oidc.access_tokens)
    for path in sso.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(token.encode() in data for token in tokens), path


def test_a_cached_sso_exec_imports_neither_botocore_nor_a_keyring_library(sso):
    assert sso.run("sso", "login", "corp").returncode == 0
    assert sso.run("exec", "dev", "--", "true").returncode == 0
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", "exec", "dev", "--", "true"],
                          env={**sso.env, "BROWSER": ""}, capture_output=True, text=True, start_new_session=True)
    assert done.returncode == 0, done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "tui.child.environment" in imported
    # nor the token code (its dataclasses cost a cached run as much as a cached IAM role's whole import)
    heavy = ("boto3", "botocore", "textual", "keyring", "secretstorage", "webbrowser", "dataclasses")
    assert not {name for name in imported if name.split(".")[0] in heavy}


def test_console_sign_in_with_the_sso_roles_credentials(sso, idc):
    from .test_signin import FederationStub, login_query

    federation = FederationStub()
    try:
        assert sso.run("sso", "login", "corp").returncode == 0
        done = sso.run("login", "dev", "--stdout", env={"HATS_SIGNIN_URL": federation.url})
        assert done.returncode == 0, done.stderr
        query = login_query(done.stdout.strip())[1]
        assert query["Action"] == "login" and query["SigninToken"] in federation.tokens
        assert "region=eu-west-1" in query["Destination"]
        assert idc.count("GetRoleCredentials") == 1
    finally:
        federation.stop()


async def test_the_app_shows_each_sso_profile_with_its_mark_and_its_chained_role_beneath(sso, monkeypatch):
    from tests.test_tui import SIZE, make_app, settle

    for name, value in sso.env.items():
        monkeypatch.setenv(name, value)
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        tree = app.main.tree
        assert {"dev", "legacy-prod"} <= set(tree.nodes)  # under their sign-in and account rows: tests/test_tui_sso.py
        assert [child.data.name for child in tree.nodes["dev"].children] == ["chained"]
        assert "sso" in tree.label_for("dev").plain and "sso" not in tree.label_for("chained").plain
        assert {"ghost-session", "no-role", "chained-long"} <= set(tree.forest.broken)

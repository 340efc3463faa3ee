"""IAM Identity Center in the app, against the local Identity Center, the scripted browser and the real keyring.

The portal copy the app reads at start is made by `hats sso list` (a real sign-in through $BROWSER);
the sign-ins made from the app go through the same scripted browser, or, for the device flow, a
visit the test makes as the person would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from tests.test_sso import PORTAL_ONLY, SSO_DEV, add_portal, sso  # noqa: F401 - the fixture used by name
from tests.test_tui import SIZE, highlight, make_app, plain, settle, status_text, tree_names
from tui.sandbox.identity_center import LocalIdentityCenter
from tui.screens.sign_in import SignInScreen


@pytest.fixture(scope="module")
def idc(world):
    """test_sso's portal, without its chained role (the session's STS has it once test_sso ran)."""
    with LocalIdentityCenter(world.sts) as center:
        add_portal(center)
        yield center
        world.secrets.update(center.oidc.access_tokens)
        world.secrets.update(client.secret for client in center.oidc.clients.values())
        world.secrets.update(getattr(center.oidc, "refresh_tokens", {}))


@pytest.fixture
def signed_in(sso, idc, monkeypatch):  # noqa: F811 - the imported fixture, by name
    idc.approval = "allow"
    done = sso.run("sso", "list", "corp")
    assert done.returncode == 0, done.stderr
    use_env(monkeypatch, sso.env)
    return sso


async def test_the_tree_shows_the_session_its_accounts_and_portal_only_roles(signed_in):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        names = tree_names(app)
        groups = app.main.tree.forest.groups
        session = next(key for key, group in groups.items() if group.kind == "session")
        assert groups[session].title == "corp" and names[0] == session
        accounts = {group.title: group.detail for group in groups.values() if group.kind == "account"}
        assert accounts["Dev Account"] == SSO_DEV and accounts["Sandbox"] == PORTAL_ONLY
        assert "dev" in names and "chained" in names and "sandbox.PowerUser" in names
        assert names.index(f"{session}/{SSO_DEV}") < names.index("dev") < names.index("chained")
        assert "dev-account.ReadOnly" in names  # a portal role the config lacks
        assert "Dev Account" in app.main.tree.label_for("dev-account.ReadOnly").plain  # named as its account row
        assert "dev-account.AdministratorAccess" not in names  # the config's dev is that role


async def test_the_filter_finds_a_portal_only_role_by_account_name(signed_in):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"sandbox")
        await pilot.pause()
        assert app.main.tree.highlighted_profile == "sandbox.PowerUser"


def use_env(monkeypatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


async def enter_on(pilot, app, name: str) -> None:
    await settle(pilot, app)
    await highlight(pilot, app, name)
    await pilot.press("enter")


def caller(recorder) -> dict:
    done = recorder.calls[-1][2]
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def wait_for_sign_in_modal(pilot, app) -> SignInScreen:
    for _ in range(200):
        if isinstance(app.screen, SignInScreen):
            await pilot.pause(0.1)
            return app.screen
        await pilot.pause(0.05)
    raise AssertionError(f"no sign-in modal; status: {status_text(app)}")


def shown(screen) -> str:
    return "\n".join(plain(label) for label in screen.query("Label"))


async def test_enter_on_a_portal_only_role_runs_the_aws_cli_as_that_sso_role(signed_in):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await enter_on(pilot, app, "sandbox.PowerUser")
        await settle(pilot, app)
        chain = plain(app.main.query_one("#chain"))
        assert "SSO role PowerUser" in chain and "sign-in" in chain and "corp" in chain and PORTAL_ONLY in chain
        identity = caller(recorder)
        assert identity["Account"] == PORTAL_ONLY
        assert ":assumed-role/AWSReservedSSO_PowerUser_" in identity["Arn"]
        pane = plain(app.main.query_one("#sessions"))
        assert "corp" in pane and "SSO sign-in" in pane  # the sign-in beside the role session it made
        assert app.main.query_one("#sessions").border_title == "sessions (1) · sign-ins (1)"
        assert "sandbox.PowerUser" in pane


async def test_p_fetches_the_portal_again_and_a_new_account_appears(signed_in, idc):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "new-team.Billing" not in tree_names(app)
        idc.add_account("121212121212", "New Team", "new@example.com")
        idc.add_role("121212121212", "Billing")
        try:
            await highlight(pilot, app, "dev")
            await pilot.press("p")
            await settle(pilot, app)
        finally:
            del idc.portal.accounts["121212121212"]
        assert "new-team.Billing" in tree_names(app)
        assert status_text(app) == "Fetched 1 portal(s): 4 account(s)."
        assert app.main.tree.highlighted_profile == "dev"  # the cursor stays where it was


async def test_signing_in_from_the_app_through_the_browser(sso, idc, monkeypatch):  # noqa: F811
    use_env(monkeypatch, sso.env)
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)  # no sign-in yet: the background refresh asks nobody
        assert idc.count("CreateToken") == 0 and not isinstance(app.screen, SignInScreen)
        await enter_on(pilot, app, "dev")
        await settle(pilot, app, 0.5)
        assert ":assumed-role/AWSReservedSSO_AdministratorAccess_" in caller(recorder)["Arn"]
        assert idc.count("CreateToken", grant="authorization_code") == 1
        assert "SSO sign-in" in plain(app.main.query_one("#sessions"))
        screen = app.export_screenshot()
    leaks = [secret for secret in [*idc.oidc.access_tokens, *(c.secret for c in idc.oidc.clients.values())]
             if secret in screen]
    assert leaks == []


async def test_esc_cancels_a_sign_in_in_one_line(sso, idc, monkeypatch):  # noqa: F811
    use_env(monkeypatch, {**sso.env, "HATS_SANDBOX_BROWSER": "ignore"})
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await enter_on(pilot, app, "dev")
        modal = await wait_for_sign_in_modal(pilot, app)
        text = shown(modal)
        assert "Sign in to IAM Identity Center" in text and idc.url in text and "Esc cancels" in text
        await pilot.press("escape")
        for _ in range(100):  # not settle(): waiting on the failing worker would raise its error here
            if status_text(app) == "the sign-in was cancelled":
                break
            await pilot.pause(0.05)
        assert not isinstance(app.screen, SignInScreen)
        assert status_text(app) == "the sign-in was cancelled"
        assert recorder.calls == [] and idc.count("CreateToken") == 0


async def test_without_a_browser_the_modal_shows_the_device_code(sso, idc, monkeypatch):  # noqa: F811
    use_env(monkeypatch, sso.env)
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await enter_on(pilot, app, "dev")
        modal = await wait_for_sign_in_modal(pilot, app)
        assert modal.user_code and modal.user_code in shown(modal)
        visit = subprocess.run([sys.executable, "-m", "tui.sandbox.browser", "--foreground", modal.url],
                               env=sso.env, capture_output=True, text=True)  # the person, in a browser elsewhere
        assert visit.returncode == 0, visit.stderr
        for _ in range(100):
            if recorder.calls:
                break
            await asyncio.sleep(0.1)
        await settle(pilot, app)
        assert ":assumed-role/AWSReservedSSO_AdministratorAccess_" in caller(recorder)["Arn"]
        assert idc.count("CreateToken", ok=True, grant="device_code") == 1 and idc.count("authorize") == 0

"""IAM Identity Center in the app, against the local Identity Center, the scripted browser and the real keyring.

The portal copy the app reads at start is made by `hats sso list` (a real sign-in through $BROWSER).
"""

from __future__ import annotations

import pytest

from tests.test_sso import PORTAL_ONLY, SSO_DEV, add_portal, sso  # noqa: F401 - the fixture used by name
from tests.test_tui import SIZE, make_app, settle, tree_names
from tui.sandbox.identity_center import LocalIdentityCenter


@pytest.fixture(scope="module")
def idc(world):
    """test_sso's portal, without its chained role (the session's STS has it once test_sso ran)."""
    with LocalIdentityCenter(world.sts) as center:
        add_portal(center)
        yield center
        world.secrets.update(center.oidc.access_tokens)
        world.secrets.update(client.secret for client in center.oidc.clients.values())


@pytest.fixture
def signed_in(sso, idc, monkeypatch):  # noqa: F811 - the imported fixture, by name
    idc.approval = "allow"
    done = sso.run("sso", "list", "corp")
    assert done.returncode == 0, done.stderr
    for name, value in sso.env.items():
        monkeypatch.setenv(name, value)
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
        assert "dev-account.AdministratorAccess" not in names  # the config's dev is that role


async def test_the_filter_finds_a_portal_only_role_by_account_name(signed_in):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"sandbox")
        await pilot.pause()
        assert app.main.tree.highlighted_profile == "sandbox.PowerUser"

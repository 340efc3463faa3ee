"""SVG snapshots of the screens a person sees, with the clock frozen.

syrupy's SVG extension holds them in tests/__snapshots__/; after a deliberate
change to the looks, review and refresh them with `--snapshot-update`.
Sessions are seeded with expiries relative to the frozen clock, so the
countdowns read the same on every run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from syrupy.extensions.image import SVGImageSnapshotExtension

from tests.test_tui import SIZE, highlight, make_app, open_role, settle
from tui.credentials import Credentials, SessionKind
from tui.store.backends import open_vault
from tui.store.items import CachedSession

FROZEN = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def svg(snapshot):
    return snapshot.use_extension(SVGImageSnapshotExtension)


def seed_sessions(world) -> None:
    vault = open_vault()
    fake = Credentials("ASIAFAKEFORSNAPSHOT0", "not-a-secret-snapshot-only", "token", FROZEN)
    for kind, profile, left in (("session", "jan-work", timedelta(hours=3, minutes=12)),
                                ("role", "auditor", timedelta(minutes=42, seconds=5)),
                                ("role", "dev-admin", timedelta(minutes=8, seconds=30)),
                                ("role", "prod-admin", timedelta(minutes=3))):
        credentials = Credentials(fake.access_key_id, fake.secret_access_key, fake.session_token, FROZEN + left)
        vault.put_session(CachedSession(SessionKind(kind), profile, credentials, base="jan-work"))


async def test_main_screen(app_env, world, svg):
    seed_sessions(world)
    app, _ = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "prod-admin")
        app.tick()
        await pilot.pause()
        assert app.export_screenshot() == svg


async def test_mfa_modal(app_env, world, svg):
    app, _ = make_app(clock=lambda: FROZEN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await open_role(pilot, app, "auditor")
        await pilot.press(*"123")
        await pilot.pause()
        shot = app.export_screenshot()
        await pilot.press("escape")
        await settle(pilot, app)
        assert shot == svg

"""The app's workers: nothing that can block runs on the UI thread, and a failure is said by what failed.

Pilot, the local STS and the real Secret Service, as tests/test_tui.py.
"""

from __future__ import annotations

import threading

from tests.conftest import DEV
from tests.test_tui import SIZE, highlight, make_app, settle, status_text, type_code
from tui.errors import VaultError


async def test_a_keyring_that_did_not_open_says_why_and_opens_again_with_u(app_env):
    from tui.store.backends import open_vault

    attempts = []

    def opener(backend, passphrase):
        attempts.append(backend)
        if len(attempts) == 1:
            raise VaultError("the Secret Service is locked and no prompt could be shown")
        return open_vault(backend, passphrase=passphrase)

    app, recorder = make_app()
    app.vault_opener = opener
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        said = "The keyring did not open: the Secret Service is locked and no prompt could be shown"
        assert status_text(app).startswith(said) and "Press u to try again" in status_text(app)
        await highlight(pilot, app, "auditor")
        await pilot.press("enter")  # every later action names the same reason, not "not open yet"
        await pilot.pause()
        assert status_text(app).startswith(said)
        await pilot.press("u")
        await settle(pilot, app)
        assert len(attempts) == 2 and app.engine is not None
        assert "profiles. Enter opens a shell" in status_text(app)


async def test_opening_a_role_reads_the_keyring_and_starts_the_server_off_the_ui_thread(app_env, world):
    """Every keyring item read and the credential server's start are recorded with their thread."""
    from tui.child import credential_server

    app, recorder = make_app()
    threads: list[str] = []
    started = credential_server.CredentialServer.__enter__

    def recording_enter(server):
        threads.append(f"server {threading.current_thread().name}")
        return started(server)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        store = app.vault.store
        read = store.get

        def recording_get(name):
            threads.append(f"read {threading.current_thread().name}")
            return read(name)

        store.get = recording_get
        credential_server.CredentialServer.__enter__ = recording_enter
        try:
            await highlight(pilot, app, "auditor")
            await pilot.press("enter")
            await pilot.pause(0.3)
            await type_code(pilot, world.code())
            await settle(pilot, app, 0.5)
        finally:
            credential_server.CredentialServer.__enter__ = started
        assert recorder.arn == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
        assert any(entry.startswith("server") for entry in threads)
        assert [entry for entry in threads if entry.endswith(threading.main_thread().name)] == []

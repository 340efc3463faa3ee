"""The app's keyboard path under Pilot: launch, pick a role, type the code, work in the role.

Against the local STS and the real Secret Service, as tests/test_tui.py; the
terminal-only parts (a burst through a real pty, the output held after `!`)
are in tests/test_tui_terminal.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from textual import events

from tests.conftest import DEV
from tests.test_tui import (SIZE, app_on_a_movable_clock, highlight, make_app, open_role, plain, settle, status_text,
                            tree_names, type_code)
from tests.test_vault_repair import flip_a_byte, where
from tui.credentials import SessionKind
from tui.screens.mfa import MfaScreen
from tui.widgets.marks import time_left
from tui.widgets.profile_tree import ProfileTree
from tui.widgets.sessions_pane import SessionsPane

MARKS = ("○", "●", "✕")


def add_profiles(app_env, text: str) -> None:
    with open(app_env.home / ".aws/config", "a") as config:
        config.write("\n" + text)


def burst(app, *keys: str) -> None:
    """Keys as a paste or a fast typist sends them: all queued before the app handles the first."""
    for key in keys:
        character = {"slash": "/", "enter": "\r", "minus": "-"}.get(key, key)
        event = events.Key(key, character if len(character) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


def mfa_title(app) -> str | None:
    return plain(app.screen.query_one("#mfa-title")).strip() if isinstance(app.screen, MfaScreen) else None


def screen_rows(tree: ProfileTree) -> list[str]:
    """The tree's rows as drawn on the screen, cut to the pane's width."""
    return [tree.render_line(y).text.rstrip() for y in range(tree.scrollable_content_region.height)]


async def test_filter_puts_the_cursor_on_the_match_so_enter_opens_the_role_typed(app_env, world):
    add_profiles(app_env, f"[profile dev-infra]\nsource_profile = dev-hop\nrole_arn = arn:aws:iam::{DEV}:role/x\n"
                          f"[profile a-long-one]\nsource_profile = jan-work\nrole_arn = arn:aws:iam::{DEV}:role/y\n")
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        # in one burst: / dev-infra Enter Enter
        burst(app, "slash", *"dev", "minus", *"infra", "enter", "enter")
        await pilot.pause(0.5)
        assert tree_names(app) == ["jan-work", "dev-hop", "dev-infra"]  # the chain above is kept
        assert mfa_title(app) == "MFA code for dev-infra"
        await pilot.press("escape", "escape")
        await settle(pilot, app)
        # typed: the exact name wins over a match above it
        await pilot.press("slash", *"long", "enter")
        await pilot.pause()
        assert tree_names(app).index("a-long-one") < tree_names(app).index("long")
        assert app.main.tree.highlighted_profile == "long"
        await pilot.press("escape")
        # no exact name: the first row that matches, never an ancestor kept for context
        await pilot.press("slash", *"prdadm")
        await pilot.pause()
        assert tree_names(app)[0] == "jan-work" and app.main.tree.highlighted_profile == "prod-admin"
        assert "chain to prod-admin" in str(app.main.query_one("#chain").border_title)
        assert recorder.calls == []


async def test_the_first_screen_shows_a_screenful_of_roles_at_any_size(app_env):
    """One user with 2,000 roles: the first frame shows a screenful of its roles, not one closed row."""
    roles = [f"role-{index:04}" for index in range(2000)]
    add_profiles(app_env, "".join(f"[profile {name}]\nsource_profile = jan-work\n"
                                  f"role_arn = arn:aws:iam::{DEV}:role/{name}\n" for name in roles))
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        tree = app.main.tree
        rows = screen_rows(tree)
        assert len(rows) > 25 and all(row.strip() for row in rows), rows  # every line of the pane is a row
        assert "jan-work" in rows[0] and "auditor" in rows[1] and "role-0000" in "".join(rows)
        await settle(pilot, app, 1.0)
        while not tree.complete:
            await pilot.pause(0.1)
        assert len(tree_names(app)) == 10 + 2000 + 1  # then every row, a frame at a time (and the broken group)


async def test_the_mfa_modal_takes_a_pasted_or_typed_code_with_a_space(app_env, world):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await open_role(pilot, app, "auditor")
        field = app.screen.query_one("#mfa-code")
        field.post_message(events.Paste("123 456"))
        await pilot.pause()
        assert field.value == "123456"
        field.value = ""
        await pilot.press(*"12 34")
        assert field.value == "1234"
        field.value = ""
        code = world.code()
        field.post_message(events.Paste(f"{code[:3]} {code[3:]}\n"))
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app, 0.5)
        assert recorder.arn.endswith(":assumed-role/auditor/jan-work")


async def test_the_chain_pane_counts_the_mfa_session_down_with_the_sessions_pane(app_env, world):
    app, moments = app_on_a_movable_clock(app_env, world)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "dev-admin")
        expiry = next(e.expiration for e in app.session_entries if e.kind is SessionKind.MFA_SESSION)
        for left in (timedelta(hours=2, minutes=5, seconds=7), timedelta(hours=2, minutes=4, seconds=6)):
            moments["now"] = expiry - left
            app.tick()
            await pilot.pause()
            shown = time_left(left.total_seconds())
            assert f"session {shown} left: no code needed" in plain(app.main.query_one("#chain"))
            sessions = plain(app.main.query_one(SessionsPane))
            assert next(line for line in sessions.splitlines() if "MFA session" in line).rstrip().endswith(shown)
        moments["now"] = expiry - timedelta(seconds=60)  # inside the refresh margin: a code is needed again
        app.tick()
        await pilot.pause()
        assert "code needed here" in plain(app.main.query_one("#chain"))


async def test_with_no_config_the_first_screen_says_what_to_do(app_env):
    (app_env.home / ".aws/config").unlink()
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = " ".join(plain(app.main.query_one("#welcome")).split())
        assert "there is no ~/.aws/config" in text
        for step in ("hats demo", "[profile me]", "source_profile = me", "hats add PROFILE"):
            assert step in text, step
        assert not app.main.query_one("#left").display
        assert status_text(app).startswith("No profiles yet") and "0 profiles" not in status_text(app)


async def test_at_60_columns_every_row_shows_its_session_mark(app_env):
    app, _ = make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot, app)
        tree = app.main.tree
        usable = [name for name in tree_names(app) if name in app.profiles and name not in app.main.filter.forest.broken]
        rows = [row for row in screen_rows(tree) if any(f" {name}" in row for name in usable)]
        assert len(rows) == len(usable) and all(any(mark in row for mark in MARKS) for row in rows), screen_rows(tree)


async def test_names_and_aliases_with_control_characters_cannot_break_rows(app_env):
    evil = "\x1b]0;pwned\x07\u202eprod"
    add_profiles(app_env, f"[profile evil]\nsource_profile = jan-work\nrole_arn = arn:aws:iam::{DEV}:role/x\n"
                          f"hats_account_alias = {evil}\nrole_session_name = s\u2028s\n")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "evil")
        await pilot.press("c")
        await settle(pilot, app)
        row = next(row for row in screen_rows(app.main.tree) if " evil" in row)
        shown = [row, plain(app.main.query_one("#chain")), status_text(app)]
        for text in shown:
            assert not any(char in text for char in "\x1b\x07\u202e\u2028"), repr(text)
        assert "\\x1b]0;pwned\\x07\\u202eprod" in row
        assert "s\\u2028s" in shown[1]
        assert len([row for row in screen_rows(app.main.tree) if row.strip()]) == app.main.tree.last_line + 1


async def test_another_run_says_it_waits_for_the_code_typed_in_the_app(app_env, world):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await open_role(pilot, app, "auditor")
        assert isinstance(app.screen, MfaScreen)
        waiter = subprocess.Popen([sys.executable, "-m", "tui", "export", "--format", "json", "dev-admin"],
                                  env=app_env.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            line = await _read_line(waiter)
            assert line == (f"hats: waiting for the MFA code being typed in hats (app) (pid {os.getpid()}); "
                            "Ctrl-C to stop\n")
            await type_code(pilot, world.code())
            await settle(pilot, app, 0.5)
            out, _ = waiter.communicate(timeout=30)
            assert waiter.returncode == 0 and '"AccessKeyId"' in out
        finally:
            waiter.kill()
            waiter.wait()
        assert world.sts.count("GetSessionToken") == 1  # the other run used the session made in the app


async def _read_line(process) -> str:
    import asyncio

    return await asyncio.wait_for(asyncio.to_thread(process.stderr.readline), timeout=20)


async def test_a_repaired_vault_says_so_on_the_status_line(app_env):
    flip_a_byte(app_env, "index")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert status_text(app) == (f"warning: the index of {where(app_env)} was damaged and is rebuilt "
                                    "from its items, nothing is lost")
        assert app.main.query("#status.warning")

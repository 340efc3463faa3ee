"""The TUI under Textual's Pilot, against the local STS and the real keyring.

The headless driver cannot suspend the terminal, so `HatsApp.spawn` (the one
seam for that) is replaced here by a function that runs the real aws CLI with
the environment the app built; tests/test_tui_terminal.py covers the real
suspend in tmux.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta

from textual import events
from textual.widgets import Input

from tests.conftest import DEV, PROD
from tui.app import HatsApp
from tui.credentials import utcnow
from tui.screens.main import COLLECT_AFTER_SECONDS
from tui.screens.mfa import MfaScreen
from tui.widgets.sessions_pane import SessionsPane

SIZE = (120, 36)


class Recorder:
    """Stands in for the terminal hand-over: runs `aws sts get-caller-identity` as the child would."""

    def __init__(self):
        self.calls = []
        self.held: list[bool] = []  # per call: whether the app kept the output up until a key

    def __call__(self, argv, env, hold=False):
        done = subprocess.run(["aws", "sts", "get-caller-identity", "--output", "json"], env=env,
                              capture_output=True, text=True)
        self.calls.append((argv, env, done))
        self.held.append(hold)
        return done.returncode

    @property
    def arn(self) -> str:
        return json.loads(self.calls[-1][2].stdout)["Arn"]


def make_app(clock=None) -> tuple[HatsApp, Recorder]:
    app = HatsApp(clock=clock) if clock else HatsApp()
    recorder = Recorder()
    app.spawn = recorder
    return app, recorder


async def settle(pilot, app, seconds: float = 0.2):
    import asyncio

    await pilot.pause(seconds)
    await asyncio.wait_for(app.workers.wait_for_complete(), timeout=20)
    await pilot.pause(0.05)


async def highlight(pilot, app, name: str):
    assert app.main.tree.select_profile(name), f"{name} is not in the tree"
    await pilot.pause()


async def open_role(pilot, app, name: str):
    """Highlight a profile and press Enter, as a person asking for its shell."""
    await highlight(pilot, app, name)
    await pilot.press("enter")
    await pilot.pause(0.3)


def tree_names(app) -> list[str]:
    tree = app.main.tree
    return [tree.get_node_at_line(line).data.name for line in range(tree.last_line + 1)]


def plain(widget) -> str:
    """What a widget shows, as text."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))
    console.print(widget.content)
    return console.export_text()


def status_text(app) -> str:
    return plain(app.main.query_one("#status")).strip()


async def type_code(pilot, code: str):
    for digit in code:
        await pilot.press(digit)
    await pilot.press("enter")


async def test_the_tree_reads_chains_top_to_bottom_and_j_k_move(app_env):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        names = tree_names(app)
        assert names.index("jan-work") < names.index("dev-hop") < names.index("prod-hop") < names.index("prod-admin")
        assert "loop-a" in names and str(app.main.tree.root.children[-1].label) == "cannot be used"
        tree = app.main.tree
        start = tree.cursor_line
        await pilot.press("j", "j")
        assert tree.cursor_line == start + 2
        await pilot.press("k")
        assert tree.cursor_line == start + 1


async def test_filter_is_fuzzy_and_keeps_the_chain_context(app_env):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"prdadm")
        await pilot.pause()
        assert tree_names(app) == ["jan-work", "dev-hop", "prod-hop", "prod-admin"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(tree_names(app)) > 8
        await pilot.press("slash", *PROD[:6])  # account ids are searched too
        await pilot.pause()
        assert {"prod-hop", "prod-admin", "prod-long"} <= set(tree_names(app))
        assert "auditor" not in tree_names(app)


async def test_keys_typed_right_after_slash_all_reach_the_filter(app_env):
    """A paste, or a fast typist: the keys after / are queued before the filter is shown."""
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for key, char in [("slash", "/"), *((char, char) for char in "auditor")]:
            event = events.Key(key, char)  # what Pilot.press sends, minus its wait after each key
            event.set_sender(app)
            app._driver.send_message(event)
        await pilot.pause(0.3)
        assert app.main.query_one("#filter", Input).value == "auditor"
        assert tree_names(app)[:2] == ["jan-work", "auditor"]
        assert app.screen is app.main and recorder.calls == []  # 'a' and 'o' opened nothing


async def test_escape_brings_back_the_whole_tree_where_it_was_left(app_env):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "prod-admin")
        await pilot.press("slash", *"auditor")
        await pilot.pause()
        assert tree_names(app)[:2] == ["jan-work", "auditor"] and "prod-admin" not in tree_names(app)
        await pilot.press("enter")  # from the filter to its matches, the cursor on the match
        await pilot.pause()
        assert app.main.tree.highlighted_profile == "auditor"
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.tree.highlighted_profile == "prod-admin"
        assert "prod-admin" in plain(app.main.query_one("#chain"))
        assert app.main.tree.has_focus


async def test_a_filter_matching_hundreds_lists_every_match(app_env):
    """The matches come a screenful a frame; a key typed meanwhile starts over cleanly."""
    users = [f"user-{index:03}" for index in range(450)]
    with open(app_env.home / ".aws/config", "a") as config:
        config.writelines(f"\n[profile {name}]\nregion = eu-west-1\n" for name in users)
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"user")
        await settle(pilot, app)
        assert tree_names(app) == users
        await pilot.press("backspace", *"r-44")
        await settle(pilot, app)
        in_order = [name for name in users if re.search("u.*s.*e.*r.*-.*4.*4", name)]  # fzf-style
        assert tree_names(app) == in_order and len(in_order) < len(users)


async def test_the_garbage_collector_waits_out_a_typed_filter_and_comes_back(app_env):
    """No cyclic collection lands between two keys of a filter (it cost a key at 10,000 profiles
    10-15 ms); once the keys pause the collector runs again, so nothing piles up, and it is on
    after the app ends."""
    import gc

    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"prd")
        await pilot.pause()
        assert not gc.isenabled()
        await pilot.pause(COLLECT_AFTER_SECONDS + 0.3)
        assert gc.isenabled()
        await pilot.press("a")
        await pilot.pause()
        assert not gc.isenabled()
    assert gc.isenabled()


async def test_the_chain_pane_shows_every_hop_and_where_the_code_goes(app_env, world):
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "prod-admin")
        text = plain(app.main.query_one("#chain"))
        for expected in ("jan-work", "dev-hop", "prod-hop", "prod-admin", f"arn:aws:iam::{PROD}:role/prod-admin",
                         "jan-prod", f"code needed here: {world.serial}", DEV, PROD):
            assert expected in text
        assert text.count("code needed here") == 1


async def test_enter_asks_for_the_code_inline_and_opens_the_role(app_env, world):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await open_role(pilot, app, "auditor")
        assert isinstance(app.screen, MfaScreen)
        assert "auditor" in plain(app.screen.query_one("#mfa-title"))
        assert world.serial in plain(app.screen.query_one("#mfa-device"))
        await pilot.press(*"12ab")  # letters are refused as they are typed
        assert app.screen.query_one("#mfa-code").value == "12"
        await pilot.press("backspace", "backspace")
        await type_code(pilot, world.code())
        await settle(pilot, app, 0.5)
        assert not isinstance(app.screen, MfaScreen)
        assert recorder.arn == f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
        assert "shell in auditor exited with 0" in status_text(app)
        # a second role from the same MFA session: no modal at all
        await highlight(pilot, app, "dev-admin")
        await pilot.press("enter")
        await settle(pilot, app, 0.5)
        assert not isinstance(app.screen, MfaScreen)
        assert recorder.arn == f"arn:aws:sts::{DEV}:assumed-role/dev-admin/jan-work"
        assert world.sts.count("GetSessionToken") == 1
        assert "auditor" in plain(app.main.query_one(SessionsPane))
        assert recorder.held == [False, False]  # a shell hands the terminal straight back


async def test_a_wrong_code_is_shown_in_the_modal_and_can_be_typed_again(app_env, world):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await open_role(pilot, app, "auditor")
        await type_code(pilot, world.wrong_code())
        await pilot.pause(1.0)
        assert isinstance(app.screen, MfaScreen)
        assert "invalid MFA one time pass code" in plain(app.screen.query_one("#mfa-error"))
        assert app.screen.query_one("#mfa-code").value == ""
        await type_code(pilot, world.code())
        await settle(pilot, app, 0.5)
        assert recorder.arn.endswith(":assumed-role/auditor/jan-work")


async def test_escape_cancels_the_modal_cleanly(app_env, world):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await open_role(pilot, app, "auditor")
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, MfaScreen)
        assert status_text(app) == "MFA cancelled"
        assert recorder.calls == [] and world.sts.count("GetSessionToken") == 0
        assert app.vault.sessions() == []


def app_on_a_movable_clock(app_env, world) -> tuple[HatsApp, dict]:
    """The app with auditor's and jan-work's sessions cached, its clock set through `moments["now"]`."""
    done = app_env.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 0, done.stderr
    moments = {"now": utcnow()}
    app, _ = make_app(clock=lambda: moments["now"])
    return app, moments


async def test_the_countdown_turns_amber_then_red_with_a_frozen_clock(app_env, world):
    app, moments = app_on_a_movable_clock(app_env, world)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        pane = app.main.query_one(SessionsPane)
        expiry = next(e.expiration for e in app.session_entries if e.profile == "auditor")

        def style_of_auditor() -> str:
            table = pane.content
            row = [str(cell) for cell in table.columns[1]._cells].index("auditor")
            return str(table.columns[3]._cells[row].style), str(table.columns[3]._cells[row])

        for before, colour, words in ((timedelta(minutes=30), "green", "30m"), (timedelta(minutes=9), "#ffaf00", "9m"),
                                      (timedelta(minutes=2), "red", "2m"), (timedelta(seconds=-1), "red", "expired")):
            moments["now"] = expiry - before
            app.tick()
            await pilot.pause()
            style, text = style_of_auditor()
            assert style == colour and text.startswith(words), (before, style, text)


async def test_a_broken_config_is_shown_in_the_app_not_a_crash(app_env):
    (app_env.home / ".aws/config").write_text("[profile a]\nregion = x\n[profile a]\n")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "section [profile a] appears twice" in status_text(app)
        assert tree_names(app) == []


async def test_run_a_command_in_a_role(app_env, world):
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "long")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*"aws s3 ls", "enter")
        await pilot.pause(0.3)
        await type_code(pilot, world.code())
        await settle(pilot, app, 0.5)
        argv, env, _ = recorder.calls[-1]
        assert argv[1:] == ["-c", "aws s3 ls"] and env["HATS_PROFILE"] == "long"
        assert recorder.held == [True]  # a command's output stays up until a key (a shell's never does)
        assert recorder.arn.endswith(":assumed-role/long/jan-work")


async def test_renew_clear_and_help(app_env, world):
    app_env.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "auditor")
        await pilot.press("r")
        await settle(pilot, app, 0.5)
        assert status_text(app).startswith("Renewed auditor")
        assert world.sts.count("AssumeRole") == 2
        await pilot.press("c")
        await settle(pilot, app)
        assert status_text(app) == "Cleared 1 session of auditor."
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Renew" in plain(app.screen.query_one("#help-dialog Static:last-of-type"))


async def test_renewing_keys_that_never_expire_says_so(app_env):
    secret = "p" * 40
    with (app_env.home / ".aws/config").open("a") as config:
        config.write("\n[profile forever]\ncredential_process = printf "
                     f"'{{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCPROCPROC0001\", \"SecretAccessKey\": \"{secret}\"}}'\n")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "forever")
        await pilot.press("r")
        await settle(pilot, app)
        assert status_text(app) == "Renewed forever: they do not expire."

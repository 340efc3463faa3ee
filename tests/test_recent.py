"""Recent roles first: what `hats exec` and the app record, how `hats list --recent` and the app's
tree rank it, and that a broken history file is only ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_tui import SIZE, highlight, make_app, settle, status_text, tree_names
from tui import recent
from tui.widgets.profile_tree import RECENT

DAY = 86400.0


def history_file(hats) -> Path:
    return hats.home / ".local/state/hats" / recent.FILE_NAME


def listed(hats, *options: str) -> list[str]:
    done = hats.run("list", "--json", *options)
    assert done.returncode == 0, done.stderr
    return [row["profile"] for row in json.loads(done.stdout)]


def test_the_last_used_comes_first_then_the_most_used_lately(tmp_path):
    now = 100 * DAY
    history = recent.Recent()
    for days_ago in (1, 2, 3, 3.5):
        history.record("daily", now - days_ago * DAY)
    history.record("once-last-month", now - 30 * DAY)
    history.record("just-now", now - 60)
    history.record("long-ago", now - 200 * DAY)
    assert history.ranked(["long-ago", "once-last-month", "daily", "just-now", "never"], now) == [
        "just-now", "daily", "once-last-month", "long-ago"]
    recent.save(tmp_path, history)
    assert recent.load(tmp_path).ranked(["daily", "just-now", "once-last-month", "long-ago"], now) == [
        "just-now", "daily", "once-last-month", "long-ago"]


def test_the_file_keeps_names_and_times_only_and_forgets_the_oldest(tmp_path):
    history = recent.Recent()
    for number in range(recent.PROFILES_KEPT + 5):
        history.record(f"role-{number}", 1000.0 + number)
    for _ in range(recent.USES_KEPT + 3):
        history.record("busy", 5000.0)
    recent.save(tmp_path, history)
    data = json.loads(recent.path_in(tmp_path).read_text())
    assert set(data) == {"version", "profiles"} and len(data["profiles"]) == recent.PROFILES_KEPT
    assert "role-0" not in data["profiles"] and "role-504" in data["profiles"]
    assert data["profiles"]["busy"] == {"count": recent.USES_KEPT + 3, "uses": [5000.0] * recent.USES_KEPT}
    assert oct(recent.path_in(tmp_path).stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("text", ["", "{", "[]", '{"profiles": []}', '{"profiles": {"a": {"uses": "x"}}}',
                                  '{"profiles": {"a": {"count": "many", "uses": [1]}}}', "\x00\xff"])
def test_a_corrupt_history_is_an_empty_one_and_the_next_use_replaces_it(tmp_path, text):
    recent.path_in(tmp_path).write_text(text, encoding="utf-8", errors="surrogateescape")
    assert recent.load(tmp_path).ranked(["a"], 0) == []
    recent.record_use(tmp_path, "a", 10.0)
    assert recent.load(tmp_path).ranked(["a", "b"], 10.0) == ["a"]


def test_a_history_that_cannot_be_written_is_skipped(tmp_path):
    blocked = tmp_path / "state"
    blocked.write_text("a file where the directory should be")
    recent.record_use(blocked, "a")  # no error: a comfort, never a failure
    assert recent.load(blocked).ranked(["a"], 0) == []


def test_exec_records_and_list_recent_puts_the_used_first(hats, world):
    hats.add_key()
    everything = listed(hats)
    assert listed(hats, "--recent") == everything  # nothing used yet: the usual order
    for profile in ("dev-admin", "auditor", "dev-admin", "jan-work"):
        done = hats.run("exec", profile, "--mfa-token", world.code(), "--", "true")
        assert done.returncode == 0, done.stderr
    order = listed(hats, "--recent")
    assert order[:3] == ["jan-work", "dev-admin", "auditor"]
    assert sorted(order) == sorted(everything)
    assert set(json.loads(history_file(hats).read_text())["profiles"]) == {"jan-work", "dev-admin", "auditor"}
    table = hats.run("list", "--recent")
    assert table.returncode == 0 and table.stdout.index("jan-work") < table.stdout.index("auditor")


def test_a_corrupt_history_does_not_stop_exec_or_list(hats, world):
    hats.add_key()
    history_file(hats).parent.mkdir(parents=True, exist_ok=True)
    history_file(hats).write_text("{not json")
    done = hats.run("exec", "jan-work", "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 0 and done.stderr == ""
    assert listed(hats, "--recent")[0] == "jan-work"


async def test_the_app_shows_recent_roles_on_top_and_enter_opens_the_last_one(app_env, world):
    for profile in ("auditor", "dev-admin"):
        assert app_env.run("exec", profile, "--mfa-token", world.code(), "--", "true").returncode == 0
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        names = tree_names(app)
        assert names[:3] == [RECENT, "dev-admin", "auditor"]
        assert names.count("dev-admin") == 2  # in the recent rows and in its chain
        assert app.main.tree.highlighted_profile == "dev-admin"  # the cursor starts on the last one used
        await highlight(pilot, app, "auditor")
        await pilot.press("enter")
        await settle(pilot, app)
        assert recorder.calls and "assumed-role/auditor/" in recorder.calls[-1][2].stdout
        assert tree_names(app)[:3] == [RECENT, "auditor", "dev-admin"]  # used in the app: first now
        assert "exited with 0" in status_text(app)


async def test_the_filter_puts_the_cursor_on_the_match_used_most_lately(app_env, world):
    assert app_env.run("exec", "dev-hop", "--mfa-token", world.code(), "--", "true").returncode == 0
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"dev")
        await pilot.pause()
        assert app.main.tree.highlighted_profile == "dev-hop"  # not dev-admin, the first row that matches
        assert RECENT not in tree_names(app)  # the filtered tree has no recent rows


@pytest.mark.parametrize("xdg", [None, "", "relative/state", "/somewhere/state"])
def test_the_state_dir_is_where_platformdirs_puts_it(monkeypatch, tmp_path, xdg):
    from platformdirs import user_state_dir

    from tui.dirs import default_state_dir

    monkeypatch.delenv("HATS_STATE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg)
    assert default_state_dir() == Path(user_state_dir("hats"))


def test_a_command_that_cannot_start_is_no_use(hats, world):
    hats.add_key()
    assert hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true").returncode == 0
    before = history_file(hats).read_bytes()
    done = hats.run("exec", "dev-admin", "--mfa-token", world.code(), "--", "no-such-command-xyz")
    assert done.returncode == 127
    assert history_file(hats).read_bytes() == before and listed(hats, "--recent")[0] == "auditor"

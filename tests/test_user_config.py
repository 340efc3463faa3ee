"""hats' own config.toml: the settings it gives every run, HATS_* variables winning, the app's
[keymap], and a bad file as one line naming the file, the line and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_tui import SIZE, highlight, make_app, settle, status_text
from tui import settings, user_config


def write_config(hats, text: str) -> Path:
    path = hats.home / ".config/hats/config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    hats.env["XDG_CONFIG_HOME"] = str(hats.home / ".config")
    return path


def mfa_session_seconds(world) -> int:
    return next(int(call["duration"]) for call in world.sts.calls if call["action"] == "GetSessionToken")


def test_the_session_duration_in_the_file_is_used_and_the_variable_wins(hats, world):
    hats.add_key()
    write_config(hats, "# hats\nsession_duration = 3600\n")
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 0, done.stderr
    assert mfa_session_seconds(world) == 3600
    hats.run("clear")
    world.sts.reset_calls()
    done = hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true",
                    env={"HATS_SESSION_DURATION": "7200"})
    assert done.returncode == 0, done.stderr
    assert mfa_session_seconds(world) == 7200


@pytest.mark.parametrize(("text", "message"), [
    ("\nsession_duration = 'soon'\n",
     "hats: ~/.config/hats/config.toml line 2: session_duration = 'soon' is not a whole number of seconds "
     "from 900 to 129600\n"),
    ("session_duration = 3600\nrefresh_margin = 4000\n",
     "hats: ~/.config/hats/config.toml line 2: refresh_margin = 4000 is above the maximum of 3000 s: use a whole "
     "number of seconds from 0 to 3000\n"),
    ("[keymap]\nrenew = 5\n",
     "hats: ~/.config/hats/config.toml line 2: keymap.renew: takes the keys as a string, like \"ctrl+r\" or "
     "\"r,f5\"\n"),
    ("backend = 'vault'\n",
     "hats: ~/.config/hats/config.toml line 1: backend = 'vault' is not a keyring backend: choose one of "),
    ("prod_pattern = '(('\n", "hats: ~/.config/hats/config.toml line 1: prod_pattern = '((' is not a valid "),
    ("sesion_duration = 3600\n",
     "hats: ~/.config/hats/config.toml line 1: sesion_duration: no such setting; the settings are "),
    ("session_duration = [1]\n", "hats: ~/.config/hats/config.toml line 1: session_duration: takes one value"),
    ("session_duration = \n", "hats: ~/.config/hats/config.toml: is not valid TOML: "),
])
def test_a_bad_file_is_one_line_naming_the_file_line_and_key(hats, text, message):
    write_config(hats, text)
    hats.env.pop("HATS_BACKEND", None)  # the variable would win over the file's backend
    done = hats.run("list")
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_toml_syntax_error_names_its_line(hats):
    write_config(hats, "session_duration = 3600\n\n[keymap\n")
    done = hats.run("list")
    assert done.returncode == 2 and "line 3" in done.stderr and done.stderr.count("\n") == 1


def test_hats_config_file_points_elsewhere_and_the_backend_comes_from_it(hats, tmp_path):
    elsewhere = tmp_path / "hats.toml"
    elsewhere.write_text("backend = 'file'\n")
    hats.env.pop("HATS_BACKEND", None)
    env = {"HATS_CONFIG_FILE": str(elsewhere), "HATS_FILE_PASSPHRASE": "pw", "HATS_FILE_DIR": str(tmp_path / "file"),
           "AWS_ACCESS_KEY_ID": "AKIAFILEBACKENDTEST1", "AWS_SECRET_ACCESS_KEY": "f" * 40}
    done = hats.run("add", "jan-work", "--env", env=env)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "file").iterdir())  # the encrypted file backend keeps the key there
    listed = hats.run("list", "--json", env=env)
    assert next(row for row in json.loads(listed.stdout) if row["profile"] == "jan-work")["key"] == "keyring"
    without = hats.run("list", "--json")  # no config file: the Secret Service, which has no key for it
    assert next(row for row in json.loads(without.stdout) if row["profile"] == "jan-work")["key"] is None


@pytest.mark.parametrize("xdg", [None, "", "relative", "/elsewhere/config"])
def test_the_file_is_where_platformdirs_puts_the_config(monkeypatch, tmp_path, xdg):
    from platformdirs import user_config_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg)
    assert user_config.default_path() == Path(user_config_dir("hats"), "config.toml")


def test_the_line_of_a_key_is_found_in_its_own_table():
    text = "renew = 1\n[keymap]\n# renew = 'x'\n  \"renew\" = 'ctrl+r'\n[other]\nrenew = 2\n"
    assert user_config.line_of(text, "renew") == 1
    assert user_config.line_of(text, "renew", "keymap") == 4
    assert user_config.line_of(text, "missing", "keymap") is None


async def test_the_keymap_moves_a_binding_in_the_app(app_env, world, monkeypatch):
    path = write_config(app_env, "[keymap]\nrenew = 'ctrl+r'\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path.parent.parent))
    assert settings.keymap() == {"renew": "ctrl+r"}
    assert app_env.run("exec", "auditor", "--mfa-token", world.code(), "--", "true").returncode == 0
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "auditor")
        await pilot.press("r")  # the old key: nothing
        await settle(pilot, app)
        assert not status_text(app).startswith("Renewed")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert status_text(app).startswith("Renewed auditor:")


async def test_an_unknown_binding_id_is_one_line_in_the_app(app_env, monkeypatch):
    path = write_config(app_env, "[keymap]\nrenew = 'ctrl+r'\nrenw = 'f5'\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path.parent.parent))
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = app.main.query_one("#status").content.plain
        assert text.startswith("~/.config/hats/config.toml line 3: keymap.renw: no key binding has that id; "
                               "the ids are ")
        assert "renew" in text and "\n" not in text

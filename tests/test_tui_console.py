"""`o` in the app: a picker of console pages, and the profile's own browser.

The federation endpoint is test_signin's local stub and the browsers test_console's stand-ins
(scripts on PATH that write their argv to a file), since no real browser runs here.
"""

from __future__ import annotations

import sys

from tests.test_console import browser_argv, login  # noqa: F401 - the fixture used by name
from tests.test_signin import login_query
from tests.test_tui import SIZE, highlight, make_app, settle, status_text
from tui.screens.console_picker import ConsolePickerScreen


def use(monkeypatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


async def open_picker(pilot, app) -> None:
    await settle(pilot, app)
    await highlight(pilot, app, "jan-work")
    await pilot.press("o")
    await pilot.pause()
    assert isinstance(app.screen, ConsolePickerScreen)


async def test_o_picks_a_service_and_opens_it_in_the_profiles_browser(login, monkeypatch):  # noqa: F811
    use(monkeypatch, {**login.env, "HATS_BROWSER": "chromium"})
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_picker(pilot, app)
        await pilot.press(*"lamb", "enter")
        await settle(pilot, app)
        argv = browser_argv(login.argv_file)
        assert argv[0].endswith("/bin/chromium")
        signin = login_query(argv[-1])[1]
        assert signin["Destination"] == "https://console.aws.amazon.com/lambda/home?region=eu-west-1"
        assert signin["SigninToken"] in login.federation.tokens
        assert status_text(app) == ("Opened the AWS console as jan-work on lambda in chromium with a browser "
                                    "profile of its own.")
        assert signin["SigninToken"] not in app.export_screenshot()


async def test_the_console_home_through_browser_and_esc_opens_nothing(login, world, monkeypatch):  # noqa: F811
    use(monkeypatch, {**login.env, "BROWSER": f"{sys.executable} -c 'import sys,os;"
                                              f"open(os.environ[\"BROWSER_ARGV\"],\"w\").write(sys.argv[1])' %s"})
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_picker(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not login.argv_file.exists() and world.sts.count("GetFederationToken") == 0
        await open_picker(pilot, app)
        await pilot.press("enter")  # the first row: the console's home
        await settle(pilot, app)
        signin = login_query(browser_argv(login.argv_file)[0])[1]
        assert signin["Destination"].startswith("https://console.aws.amazon.com/")
        assert "lambda" not in signin["Destination"]
        assert status_text(app) == "Opened the AWS console as jan-work in your browser."

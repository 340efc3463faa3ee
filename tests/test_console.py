"""`hats login` lands on a service's console page, and opens it in a browser kept apart per profile.

The federation endpoint is test_signin's local stub; the browsers are stand-ins: scripts on
PATH named firefox / chromium that write their argv to a file, since no real browser runs here.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.test_signin import FederationStub, login_query
from tui import console_pages
from tui.browsers import container_url, firefox_color
from tui.console_pages import SERVICES, UnknownServiceError, console_destination

STAND_IN = """#!/bin/sh
printf '%s\\n' "$0" "$@" > "$BROWSER_ARGV.tmp" && mv "$BROWSER_ARGV.tmp" "$BROWSER_ARGV"
"""


# -- the service table --------------------------------------------------------------------
@pytest.mark.parametrize("service, region, path, url", [
    ("ec2", "eu-west-1", None, "https://console.aws.amazon.com/ec2/home?region=eu-west-1"),
    ("lambda", "us-east-2", "/home#/functions", "https://console.aws.amazon.com/lambda/home?region=us-east-2#/functions"),
    ("s3", "eu-west-1", None, "https://s3.console.aws.amazon.com/s3/buckets?region=eu-west-1"),
    ("s3", "eu-west-1", "/buckets/logs?prefix=x/", "https://s3.console.aws.amazon.com/s3/buckets/logs?prefix=x/&region=eu-west-1"),
    ("iam", "eu-west-1", None, "https://console.aws.amazon.com/iam/home"),
    ("route53", "eu-west-1", None, "https://console.aws.amazon.com/route53/v2/home"),
    ("billing", None, None, "https://console.aws.amazon.com/billing/home"),
    ("cfn", "eu-west-1", None, "https://console.aws.amazon.com/cloudformation/home?region=eu-west-1"),
    ("DynamoDB", "eu-west-1", None, "https://console.aws.amazon.com/dynamodbv2/home?region=eu-west-1"),
    ("ssm", "eu-west-1", "parameters", "https://console.aws.amazon.com/systems-manager/parameters?region=eu-west-1"),
    ("logs", "eu-west-1", None, "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups"),
])
def test_a_service_shortcut_is_its_console_page(service, region, path, url):
    assert console_destination(service, region, path) == url


def test_s3_has_a_host_of_its_own_only_in_the_aws_partition():
    assert (console_destination("s3", "cn-north-1", console_host="console.amazonaws.cn")
            == "https://console.amazonaws.cn/s3/buckets?region=cn-north-1")


def test_the_usual_services_are_all_there():
    wanted = {"s3", "ec2", "iam", "lambda", "cloudwatch", "cloudformation", "dynamodb", "rds", "ecs", "eks",
              "sqs", "sns", "kms", "secretsmanager", "ssm", "vpc", "route53", "cloudtrail", "billing"}
    assert wanted <= set(SERVICES)
    for service in SERVICES:
        assert console_destination(service, "eu-west-1").startswith("https://")


def test_an_unknown_service_names_the_close_ones():
    with pytest.raises(UnknownServiceError) as refused:
        console_destination("lamda", "eu-west-1")
    assert str(refused.value) == "no console service 'lamda': did you mean lambda?"
    with pytest.raises(UnknownServiceError, match="known: .*ec2.*vpc"):
        console_pages.service_page("zzzzzz")


@pytest.mark.parametrize("region", ["eu west 1", "EU-WEST-1", "eu-west-1?x=1"])
def test_a_region_that_is_no_region_name_is_refused(region):
    with pytest.raises(console_pages.UsageError, match="not an AWS region name"):
        console_destination("ec2", region)


def test_a_path_with_spaces_or_quotes_is_refused():
    with pytest.raises(console_pages.UsageError, match="percent-encode"):
        console_destination("s3", "eu-west-1", "/buckets/my logs")


# -- Firefox containers ---------------------------------------------------------------------
def test_the_container_link_is_granteds_and_carries_the_url_whole():
    signin = "https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fx%2F&SigninToken=a+b"
    link = container_url(signin, "prod admin", "red")
    assert link.startswith("ext+granted-containers:name=prod+admin&url=https%3A%2F%2Fsignin.aws.amazon.com")
    assert link.endswith("&color=red&icon=fingerprint")
    fields = parse_qs(link.removeprefix("ext+granted-containers:"))  # how the extension reads it
    assert fields == {"name": ["prod admin"], "url": [signin], "color": ["red"], "icon": ["fingerprint"]}


@pytest.mark.parametrize("hats_color, firefox", [
    ("cyan", "turquoise"), ("gold", "yellow"), ("red", "red"), ("magenta", "pink"), ("#00ff00", "green"),
    ("#ff0000", "red"), ("nonsense", "blue")])
def test_account_colours_become_firefox_container_colours(hats_color, firefox):
    assert firefox_color(hats_color) == firefox


# -- `hats login` end to end ----------------------------------------------------------------
@pytest.fixture
def login(hats, tmp_path):
    """hats with jan-work's key, a federation stub as its sign-in endpoint, stand-in browsers on PATH."""
    hats.add_key()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("firefox", "chromium"):
        script = bin_dir / name
        script.write_text(STAND_IN)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    hats.federation = FederationStub()
    hats.argv_file = tmp_path / "argv"
    hats.env = {**hats.env, "HATS_SIGNIN_URL": hats.federation.url, "PATH": f"{bin_dir}:{hats.env['PATH']}",
                "BROWSER_ARGV": str(hats.argv_file), "HATS_STATE_DIR": str(tmp_path / "state")}
    yield hats
    hats.federation.stop()


def set_in_profile(hats, profile: str, *lines: str) -> None:
    config = hats.home / ".aws/config"
    header = f"[profile {profile}]\n"
    config.write_text(config.read_text().replace(header, header + "".join(f"{line}\n" for line in lines)))


def browser_argv(path: Path) -> list[str]:
    """The stand-in's argv; it runs detached from hats, so it may write a moment after hats exits."""
    deadline = time.monotonic() + 20
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return path.read_text().splitlines()


def test_login_lands_on_the_service_page_in_the_profiles_region(login):
    done = login.run("login", "jan-work", "--service", "lambda", "--stdout")
    assert done.returncode == 0, done.stderr
    assert login_query(done.stdout.strip())[1]["Destination"] == \
        "https://console.aws.amazon.com/lambda/home?region=eu-west-1"


def test_region_and_path_choose_the_page(login):
    done = login.run("login", "jan-work", "--service", "s3", "--region", "us-east-2", "--path", "/buckets/logs",
                     "--stdout")
    assert done.returncode == 0, done.stderr
    assert login_query(done.stdout.strip())[1]["Destination"] == \
        "https://s3.console.aws.amazon.com/s3/buckets/logs?region=us-east-2"


def test_an_unknown_service_fails_in_one_line_before_any_sign_in(login, world):
    done = login.run("login", "jan-work", "--service", "ec", "--stdout")
    assert done.returncode == 2
    assert done.stderr.startswith("hats: no console service 'ec': did you mean ") and "ec2" in done.stderr
    assert done.stderr.count("\n") == 1
    assert world.sts.count("GetFederationToken") == 0


def test_a_bad_region_or_a_path_without_a_service_fails_before_any_sign_in(login, world):
    done = login.run("login", "jan-work", "--service", "ec2", "--region", "Ireland", "--stdout")
    assert (done.returncode, done.stderr) == (2, "hats: 'Ireland' is not an AWS region name (like eu-west-1)\n")
    done = login.run("login", "jan-work", "--path", "/buckets/logs", "--stdout")
    assert done.returncode == 2 and done.stderr.startswith("hats: --path is a page under --service's console")
    assert world.sts.count("GetFederationToken") == 0


def test_service_and_destination_cannot_both_be_given(login):
    done = login.run("login", "jan-work", "--service", "s3", "--destination", "https://example.com/")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_firefox_container_opens_the_sign_in_url_in_the_profiles_container(login):
    set_in_profile(login, "jan-work", "hats_browser = firefox-container", "hats_color = cyan")
    done = login.run("login", "jan-work", "--service", "ec2")
    assert done.returncode == 0, done.stderr
    argv = browser_argv(login.argv_file)
    assert argv[0].endswith("/bin/firefox") and argv[1] == "--new-tab" and len(argv) == 3
    scheme, _, query = argv[2].partition(":")
    assert scheme == "ext+granted-containers"
    assert argv[2].endswith("&color=turquoise&icon=fingerprint")
    fields = {key: value[0] for key, value in parse_qs(query).items()}
    assert fields["name"] == "jan-work"
    endpoint, signin = login_query(fields["url"])
    assert endpoint == login.federation.url and signin["SigninToken"] in login.federation.tokens
    assert signin["Destination"] == "https://console.aws.amazon.com/ec2/home?region=eu-west-1"
    assert done.stdout == "" and signin["SigninToken"] not in done.stderr
    assert done.stderr == "Opened the AWS console as 'jan-work' in a Firefox container of its own (turquoise).\n"


def test_chromium_gets_a_browser_profile_of_its_own(login, tmp_path):
    done = login.run("login", "jan-work", env={"HATS_BROWSER": "chromium"})
    assert done.returncode == 0, done.stderr
    argv = browser_argv(login.argv_file)
    user_data = tmp_path / "state/browsers/jan-work"
    assert argv[0].endswith("/bin/chromium")
    assert argv[1:-1] == [f"--user-data-dir={user_data}", "--no-first-run", "--no-default-browser-check"]
    assert login_query(argv[-1])[1]["SigninToken"] in login.federation.tokens
    assert stat.S_IMODE(os.stat(user_data).st_mode) == 0o700
    assert argv[-1] not in done.stderr and done.stdout == ""


def test_the_profiles_browser_wins_over_hats_browser(login):
    set_in_profile(login, "jan-work", "hats_browser = firefox-container")
    done = login.run("login", "jan-work", env={"HATS_BROWSER": "chromium"})
    assert done.returncode == 0, done.stderr
    assert browser_argv(login.argv_file)[0].endswith("/bin/firefox")


def test_stdout_prints_the_url_and_starts_no_browser(login):
    set_in_profile(login, "jan-work", "hats_browser = firefox-container")
    done = login.run("login", "jan-work", "--stdout")
    assert done.returncode == 0, done.stderr
    assert login_query(done.stdout.strip())[1]["SigninToken"] in login.federation.tokens
    assert not login.argv_file.exists()


def test_a_missing_browser_is_one_line_before_any_sign_in(login, world):
    set_in_profile(login, "jan-work", "hats_browser = brave")
    done = login.run("login", "jan-work")
    assert done.returncode == 1
    assert done.stderr.startswith("hats: no brave found to open the console (looked for brave-browser, brave on PATH)")
    assert done.stderr.count("\n") == 1 and world.sts.count("GetFederationToken") == 0


def test_an_unknown_browser_is_refused_in_one_line(login):
    set_in_profile(login, "jan-work", "hats_browser = netscape")
    done = login.run("login", "jan-work")
    assert done.returncode == 2
    assert done.stderr == ("hats: profile 'jan-work': hats_browser 'netscape' is not one of default, "
                           "firefox-container, chrome, chromium, brave\n")
    done = login.run("login", "jan-work", env={"HATS_BROWSER": "lynx"})
    assert done.returncode == 2 and done.stderr.startswith("hats: HATS_BROWSER='lynx' is not a way hats opens")


def test_a_state_dir_that_cannot_hold_the_browser_profile_is_one_line(login, tmp_path):
    (tmp_path / "not-a-dir").write_text("")
    done = login.run("login", "jan-work", env={"HATS_BROWSER": "chromium", "HATS_STATE_DIR": str(tmp_path / "not-a-dir")})
    assert (done.returncode, done.stderr) == (1, "hats: cannot open the console in chromium: Not a directory\n")
    assert not login.argv_file.exists()

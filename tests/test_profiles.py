"""Reading ~/.aws/config the way the AWS CLI does, and naming what is wrong."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui.errors import ConfigError
from tui.profiles import load

CHAIN = """
[profile jan-work]
mfa_serial = arn:aws:iam::111111111111:mfa/jan-work
region = eu-west-1

[profile auditor]
role_arn = arn:aws:iam::222222222222:role/security-auditor
source_profile = jan-work
external_id = ext-42
duration_seconds = 1800

[profile prod-admin]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = auditor
role_session_name = jan

[default]
region = us-east-1

[sso-session corp]
sso_region = eu-west-1

[services local]
sts =
  endpoint_url = http://127.0.0.1:1
"""


def write(tmp_path, config, credentials=""):
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    return load(tmp_path / "config", tmp_path / "credentials")


def test_chain_reads_from_base_user_to_target(tmp_path):
    profiles = write(tmp_path, CHAIN)
    chain = profiles.chain("prod-admin")
    assert [hop.name for hop in chain] == ["jan-work", "auditor", "prod-admin"]
    assert chain[1].external_id == "ext-42" and chain[1].duration_seconds == 1800
    assert chain[2].account_id == "333333333333" and chain[2].role_name == "admin"
    assert profiles.mfa_serial_for(chain) == "arn:aws:iam::111111111111:mfa/jan-work"
    assert sorted(p.name for p in profiles) == ["auditor", "default", "jan-work", "prod-admin"]


def test_profiles_from_the_credentials_file_are_base_users(tmp_path):
    profiles = write(tmp_path, CHAIN, "[ci-bot]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
    assert profiles.get("ci-bot").has_file_keys and not profiles.get("ci-bot").is_role


def test_cycle_names_every_profile_in_it(tmp_path):
    profiles = write(tmp_path, CHAIN + """
[profile a]
role_arn = arn:aws:iam::222222222222:role/a
source_profile = b
[profile b]
role_arn = arn:aws:iam::222222222222:role/b
source_profile = a
""")
    with pytest.raises(ConfigError, match=r"source_profile cycle: a -> b -> a"):
        profiles.chain("a")
    assert [hop.name for hop in profiles.chain("auditor")] == ["jan-work", "auditor"]


@pytest.mark.parametrize("body, message", [
    ("role_arn = arn:aws:iam::222222222222:role/x\nsource_profile = ghost",
     "profile 'bad' has source_profile 'ghost', which is not defined"),
    ("role_arn = arn:aws:iam::222222222222:role/x", "profile 'bad' has role_arn but no source_profile"),
    ("role_arn = arn:aws:iam::2222:role/x\nsource_profile = jan-work", "is not an IAM role ARN"),
    ("role_arn = arn:aws:iam::222222222222:role/x\nsource_profile = jan-work\nduration_seconds = 1h",
     "duration_seconds = '1h' is not a number of seconds"),
    ("role_arn = arn:aws:iam::222222222222:role/x\nsource_profile = jan-work\nduration_seconds = 99999",
     "from 900 to 43200"),
    ("role_arn = arn:aws:iam::222222222222:role/x\ncredential_source = Environment\nsource_profile = jan-work",
     "has both source_profile and credential_source"),
    ("mfa_serial = not an arn", "is not an MFA device ARN or serial"),
])
def test_a_broken_profile_is_one_line_and_spares_the_others(tmp_path, body, message):
    profiles = write(tmp_path, CHAIN + f"\n[profile bad]\n{body}\n")
    with pytest.raises(ConfigError, match=message) as caught:
        profiles.chain("bad")
    assert "\n" not in str(caught.value)
    assert len(profiles.chain("prod-admin")) == 3


@pytest.mark.parametrize("text, message", [
    ("[profile a]\nregion = x\n[profile a]\nregion = y\n", r"section \[profile a\] appears twice"),
    ("[profile a]\nregion = x\nregion = y\n", "key 'region' appears twice"),
    ("region = x\n[profile a]\n", "line 1 comes before any"),
    ("[profile a\nregion = x\n", "line 1 comes before any|cannot parse"),
    ("[profile a]\n= nothing\n", "cannot parse line 2"),
])
def test_a_malformed_file_is_one_line_naming_the_file(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        write(tmp_path, text)
    assert str(tmp_path / "config") in str(caught.value) and "\n" not in str(caught.value)


def test_non_utf8_config_is_refused_plainly(tmp_path):
    (tmp_path / "config").write_bytes(b"[profile a]\nregion = \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(tmp_path / "config", tmp_path / "none")


def test_include_profile_inherits_and_overrides(tmp_path):
    profiles = write(tmp_path, CHAIN + """
[profile common]
source_profile = jan-work
region = ap-south-1
[profile ops]
include_profile = common
role_arn = arn:aws:iam::222222222222:role/ops
region = us-west-2
""")
    ops = profiles.get("ops")
    assert ops.source_profile == "jan-work" and ops.region == "us-west-2"
    assert [hop.name for hop in profiles.chain("ops")] == ["jan-work", "ops"]


def test_unknown_profile_is_named(tmp_path):
    profiles = write(tmp_path, CHAIN)
    with pytest.raises(ConfigError, match="profile 'nope' is not in"):
        profiles.chain("nope")


def test_role_with_itself_as_source_uses_its_own_keys(tmp_path):
    profiles = write(tmp_path, "[profile self]\nrole_arn = arn:aws:iam::222222222222:role/x\nsource_profile = self\n")
    assert [hop.name for hop in profiles.chain("self")] == ["self", "self"]


# Run as root without any capability: root then has no more rights on a mode 000 file than its owner,
# which is the case of a user who did `chmod 000 ~/.aws`. (`nobody` cannot reach this interpreter under /root.)
UNPRIVILEGED = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]


@pytest.mark.parametrize("command", [["list"], ["exec", "a", "--", "true"]])
@pytest.mark.parametrize("locked", [".aws", ".aws/config", ".aws/credentials"])
def test_an_unreadable_aws_directory_or_file_is_named_in_one_line(tmp_path, command, locked):
    assert shutil.which("setpriv"), "util-linux's setpriv runs hats without root's override rights"
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws/config").write_text("[profile a]\nrole_arn = arn:aws:iam::222222222222:role/a\nsource_profile = u\n")
    (home / ".aws/credentials").write_text("[u]\nregion = eu-west-1\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": "x",
           "XDG_DATA_HOME": str(home / "share"), "XDG_STATE_HOME": str(home / "state"),
           "XDG_CACHE_HOME": str(home / "cache"), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    (home / locked).chmod(0)
    try:
        done = subprocess.run([*UNPRIVILEGED, sys.executable, "-m", "tui", *command], env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        (home / locked).chmod(0o700)
    unreadable = home / ".aws/config" if locked == ".aws" else home / locked
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.splitlines() == [f"hats: {unreadable}: permission denied"]

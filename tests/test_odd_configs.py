"""Configs that are odd but not wrong: a 50 MB config gets a quick answer, and keys and sections
hats does not know are ignored."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from tests import hardening
from tests.conftest import config_text
from tests.hardening import AUDITOR, EXEC_AUDITOR, differences, ready, state

ss_home, untrusted_role = hardening.ss_home, hardening.untrusted_role  # fixtures of this module

# -- a 50 MB config ---------------------------------------------------------
FIFTY_MB = 50 * 1024 * 1024


def fifty_mb(kind: str, serial: str) -> str:
    head = config_text(serial)
    if kind == "one-long-value":
        return head + "\n[profile huge]\nregion = " + "x" * FIFTY_MB + "\n"
    if kind == "comments":
        line = "# " + "c" * 1000 + "\n"
        return head + line * (FIFTY_MB // len(line))
    block = "\n[profile p{:07d}]\nrole_arn = arn:aws:iam::222222222222:role/r{}\nsource_profile = jan-work\n"
    count = FIFTY_MB // len(block.format(0, 0))
    return head + "".join(block.format(i, i) for i in range(count))


@pytest.mark.parametrize("kind", ["one-long-value", "comments", "half-a-million-profiles"])
def test_a_50_mb_config_gets_a_quick_answer(kind, ss_home, world):
    home = ready(ss_home)
    home.config.write_text(fifty_mb(kind, world.serial))
    problems = []
    try:
        before = state(home)
        for args in (("list", "--json"), EXEC_AUDITOR):
            started = time.monotonic()
            try:
                done = home.hats.run(*args, timeout=30)
            except subprocess.TimeoutExpired:
                problems.append(f"{' '.join(args)}: no answer within 30 s")
                continue
            elapsed = time.monotonic() - started
            if elapsed >= 10:
                problems.append(f"{' '.join(args)}: answered in {elapsed:.1f} s, wanted under 10 s")
            if "Traceback" in done.stderr:
                problems.append(f"{' '.join(args)}: a traceback")
            if done.returncode == 0:
                if args[0] == "list":
                    rows = {row["profile"] for row in json.loads(done.stdout)}
                    if "auditor" not in rows:
                        problems.append("list: auditor missing from the listing")
            elif done.returncode != 2 or not re.fullmatch(f"hats: {re.escape(str(home.config))}: .+\n", done.stderr):
                problems.append(f"{' '.join(args)}: exit {done.returncode}, stderr {done.stderr[-300:]!r}")
        problems += differences(before, state(home))
    finally:
        home.config.write_text(config_text(world.serial))
    assert problems == []


# -- odd but harmless input works -------------------------------------------
UNKNOWN_KEYS = f"""
[profile odd]
source_profile = jan-work
role_arn = {AUDITOR}
sso_start_url = https://example.awsapps.com/start
cli_pager =
totally_unknown_key = 42
hats_future_setting = yes
s3 =
  max_concurrent_requests = 20
  signature_version = s3v4

[sso-session corp]
sso_region = eu-west-1

[services local]
sts =
  endpoint_url = http://127.0.0.1:1

[plugins]
cli_legacy_plugin_path = /nowhere

[preview]
cloudfront = true

[something else entirely]
key = value
"""


def test_unknown_keys_and_sections_are_ignored(hats, world):
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(UNKNOWN_KEYS)
    (hats.home / ".aws/credentials").write_text(
        "[other]\naws_access_key_id = AKIAEXAMPLEEXAMPLE1\naws_secret_access_key = secretsecretsecret\n"
        "aws_security_token = old\nmetadata_service_timeout = 5\n")
    done = hats.run("exec", "odd", "--mfa-token", world.code(), "--", "true")
    assert (done.returncode, done.stderr) == (0, "")
    assert world.sts.count("AssumeRole") == 1
    listed = hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["profile"]: row for row in json.loads(listed.stdout)}
    assert rows["odd"]["chain"] == ["jan-work", "odd"] and rows["odd"]["problem"] is None
    assert rows["other"]["key"] == "file"

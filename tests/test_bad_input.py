"""Bad input: whatever a user throws at hats, it answers in one line and changes nothing.

The corpus below is bad input given to the real `hats` command (a subprocess
in its own HOME, as in tests/test_exec.py), each case with the one stderr line
(exact, or a regex when marked "re:") and the exit code it must give. For
every case:

* no traceback, the expected non-zero exit code, nothing on stdout;
* stderr is one line starting with "hats: " (argparse usage errors are the
  exception: exit 2, usage first, the expected error line last);
* nothing changed: not the keyring items, not a file under HOME (size, mtime,
  content), and no STS call was made unless the case is about STS.

The cases run against a HOME that already holds a key and cached sessions
(jan-work's MFA session and auditor's role session: tests/hardening.py), so a
run that loses or rewrites anything shows.
"""

from __future__ import annotations

import json
import time
from typing import Callable

import pytest

from tests import broken_sts, hardening
from tests.conftest import DEV, IDENTITY
from tests.hardening import (AUDITOR, EXEC_AUDITOR, RENEW_MFA, UNTRUSTED, Case, differences, disk, fill, judge,
                              prepare_damage, ready, state)

# The seasoned homes and the servers, as fixtures of this module (module scope: made once for its cases).
ss_home, file_home, untrusted_role = hardening.ss_home, hardening.file_home, hardening.untrusted_role
servers = broken_sts.servers

LONG = f"arn:aws:iam::{DEV}:role/long"


def profile(name: str, **settings: str) -> str:
    return f"\n[profile {name}]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())


def role(name: str, **settings: str) -> str:
    return profile(name, **{"role_arn": AUDITOR, "source_profile": "jan-work", **settings})


def yubi(command: str) -> str:
    """A role over an hour (assumed from the key, the code on that call) whose code comes from a command."""
    return profile("yubi", source_profile="jan-work", role_arn=LONG, duration_seconds="7200",
                   mfa_serial="<serial>", mfa_process=command)


def vault_json(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    def damage(good: bytes) -> bytes:
        document = json.loads(good)
        change(document)
        return json.dumps(document).encode()
    return damage


EXEC_R = ("exec", "r", "--", "true")
NOT_UTF8 = "hats: <config>: not UTF-8 text (byte {})"
KEY_ENV = {"AWS_ACCESS_KEY_ID": "<key_id>", "AWS_SECRET_ACCESS_KEY": "<secret>"}
SIX_DIGITS = "hats: an MFA code is 6 digits"
LOCKED = "hats: the secret-service keyring is locked: unlock it and try again"
NO_BUS = r"re:hats: cannot (read|write) the secret-service keyring: .*(D-Bus|session bus|DBUS_SESSION_BUS_ADDRESS).*"
NOT_A_VAULT = "hats: <vault> is not a hats encrypted keyring"
DAMAGED_KEY_FILE = ("hats: the key of profile 'jan-work' in <vault> is damaged: "
                    "run `hats add jan-work` to replace it or `hats remove jan-work`")
UNREADABLE = r"re:hats: GetSessionToken for profile 'jan-work': STS sent an answer hats cannot read \(.+\)"

CASES = [
    # -- malformed INI, duplicates, encodings: the whole file is refused, naming it
    Case("ini-duplicate-section", ("list",), 2, "hats: <config>: section [profile a] appears twice (line 3)",
         config="[profile a]\nregion = x\n[profile a]\nregion = y\n"),
    Case("ini-duplicate-default-section", EXEC_AUDITOR, 2, "hats: <config>: section [default] appears twice (line 4)",
         config="[default]\nregion = x\n\n[default]\nregion = y\n"),
    Case("ini-duplicate-key", EXEC_AUDITOR, 2, "hats: <config>: key 'region' appears twice in [profile a] (line 3)",
         config="[profile a]\nregion = x\nregion = y\n"),
    Case("ini-setting-before-any-section", ("list",), 2, "hats: <config>: line 1 comes before any [section] header",
         config="region = x\n[profile a]\n"),
    Case("ini-empty-section-name", ("list",), 2, "hats: <config>: line 1 comes before any [section] header",
         config="[]\nregion = x\n"),
    Case("ini-unclosed-first-header", ("list",), 2,
         r"re:hats: <config>: (line 1 comes before any \[section\] header|cannot parse line 1: it is not a \[section\], a key = value or a comment)",
         config="[profile a\nregion = x\n"),
    Case("ini-unclosed-later-header", ("list",), 2, "hats: <config>: cannot parse line 2: it is not a [section], a key = value or a comment",
         config="[profile a]\n[profile b\n"),
    Case("ini-line-without-equals", EXEC_AUDITOR, 2, "hats: <config>: cannot parse line 2: it is not a [section], a key = value or a comment",
         config="[profile a]\nregion\n"),
    Case("ini-key-without-name", EXEC_AUDITOR, 2, "hats: <config>: cannot parse line 2: it is not a [section], a key = value or a comment",
         config="[profile a]\n= nothing\n"),
    Case("credentials-duplicate-section", ("list",), 2,
         "hats: <credentials>: section [jan-work] appears twice (line 4)",
         credentials="[jan-work]\naws_access_key_id = AKIAEXAMPLEEXAMPLE1\n\n[jan-work]\n"),
    Case("credentials-duplicate-key", EXEC_AUDITOR, 2,
         "hats: <credentials>: key 'aws_access_key_id' appears twice in [jan-work] (line 3)",
         credentials="[jan-work]\naws_access_key_id = AKIAEXAMPLEEXAMPLE1\naws_access_key_id = AKIAEXAMPLEEXAMPLE2\n"),
    Case("credentials-key-before-any-section", EXEC_AUDITOR, 2,
         "hats: <credentials>: line 1 comes before any [section] header",
         credentials="aws_access_key_id = AKIAEXAMPLEEXAMPLE1\n"),
    Case("config-latin1-comment", ("list",), 2, NOT_UTF8.format(5), config=b"# caf\xe9\n[profile a]\n"),
    Case("config-invalid-utf8-value", EXEC_AUDITOR, 2, NOT_UTF8.format(21),
         config=b"[profile a]\nregion = \xff\xfe\n"),
    Case("config-utf16", EXEC_AUDITOR, 2, NOT_UTF8.format(0), config="[profile a]\nregion = x\n".encode("utf-16")),
    Case("credentials-latin1-secret", EXEC_AUDITOR, 2, "hats: <credentials>: not UTF-8 text (byte 38)",
         credentials=b"[jan-work]\naws_secret_access_key = caf\xe9\n"),

    # -- one broken profile: its chain is refused, by name, before any STS call
    Case("source-cycle-of-two", ("exec", "loop-a", "--", "true"), 2,
         "hats: source_profile cycle: loop-a -> loop-b -> loop-a"),
    Case("source-cycle-of-three", ("exec", "x1", "--", "true"), 2,
         "hats: source_profile cycle: x1 -> x2 -> x3 -> x1",
         extra=role("x1", source_profile="x2") + role("x2", source_profile="x3") + role("x3", source_profile="x1")),
    Case("source-cycle-behind-a-role", EXEC_R, 2, "hats: source_profile cycle: x1 -> x2 -> x3 -> x1",
         extra=role("r", source_profile="x1") + role("x1", source_profile="x2") + role("x2", source_profile="x3")
         + role("x3", source_profile="x1")),
    Case("include-cycle-of-two", ("exec", "i1", "--", "true"), 2, "hats: include_profile cycle: i1 -> i2 -> i1",
         extra=role("i1", include_profile="i2") + profile("i2", include_profile="i1")),
    Case("include-cycle-of-three", ("exec", "i1", "--", "true"), 2,
         "hats: include_profile cycle: i1 -> i2 -> i3 -> i1",
         extra=role("i1", include_profile="i2") + profile("i2", include_profile="i3")
         + profile("i3", include_profile="i1")),
    Case("include-itself", ("exec", "i1", "--", "true"), 2, "hats: include_profile cycle: i1 -> i1",
         extra=role("i1", include_profile="i1")),
    Case("include-missing-profile", ("exec", "i1", "--", "true"), 2,
         "hats: profile 'i1' include_profile: missing profile 'ghost'", extra=role("i1", include_profile="ghost")),
    Case("source-profile-missing", EXEC_R, 2, "hats: profile 'r' has source_profile 'ghost', which is not defined",
         extra=role("r", source_profile="ghost")),
    Case("role-without-source", EXEC_R, 2, "hats: profile 'r' has role_arn but no source_profile or credential_source",
         extra=profile("r", role_arn=AUDITOR)),
    Case("role-arn-short-account", EXEC_R, 2,
         "hats: profile 'r': role_arn 'arn:aws:iam::2222:role/x' is not an IAM role ARN",
         extra=role("r", role_arn="arn:aws:iam::2222:role/x")),
    Case("role-arn-of-a-user", EXEC_R, 2,
         f"hats: profile 'r': role_arn 'arn:aws:iam::{DEV}:user/x' is not an IAM role ARN",
         extra=role("r", role_arn=f"arn:aws:iam::{DEV}:user/x")),
    Case("role-arn-empty", EXEC_R, 2, "hats: profile 'r': role_arn '' is not an IAM role ARN",
         extra=role("r", role_arn="")),
    Case("role-arn-with-a-space", EXEC_R, 2,
         f"hats: profile 'r': role_arn 'arn:aws:iam::{DEV}:role/a b' is not an IAM role ARN",
         extra=role("r", role_arn=f"arn:aws:iam::{DEV}:role/a b")),
    Case("mfa-arn-short-account", EXEC_R, 2,
         "hats: profile 'r': mfa_serial 'arn:aws:iam::111:mfa/x' is not an MFA device ARN or serial",
         extra=role("r", mfa_serial="arn:aws:iam::111:mfa/x")),
    Case("mfa-arn-is-a-role", EXEC_R, 2,
         f"hats: profile 'r': mfa_serial 'arn:aws:iam::{IDENTITY}:role/x' is not an MFA device ARN or serial",
         extra=role("r", mfa_serial=f"arn:aws:iam::{IDENTITY}:role/x")),
    Case("mfa-serial-words", EXEC_R, 2,
         "hats: profile 'r': mfa_serial 'my yubikey' is not an MFA device ARN or serial",
         extra=role("r", mfa_serial="my yubikey")),
    *[Case(f"duration-{name}", EXEC_R, 2,
           f"hats: profile 'r': duration_seconds = {text!r} is not a number of seconds from 900 to 43200",
           extra=role("r", duration_seconds=text))
      for name, text in [("text", "1h"), ("too-small", "899"), ("too-large", "43201"), ("negative", "-900"),
                         ("fraction", "1800.0"), ("superscript", "\u00b2"), ("empty", "")]],
    Case("credential-source-empty-environment", EXEC_R, 1,
         "hats: profile 'r': credential_source = Environment: the environment (AWS_ACCESS_KEY_ID): "
         "no credentials there (AWS_ACCESS_KEY_ID is not set)",
         extra=profile("r", role_arn=AUDITOR, credential_source="Environment")),
    Case("credential-source-without-role-arn", EXEC_R, 3,
         "hats: no key stored for profile 'r': run `hats add r`; its credential_source is used only with a "
         "role_arn, as botocore uses it",
         extra=profile("r", credential_source="Environment")),
    Case("credential-source-and-source-profile", EXEC_R, 2,
         "hats: profile 'r' has both source_profile and credential_source; botocore takes only one",
         extra=profile("r", role_arn=AUDITOR, credential_source="Environment", source_profile="jan-work")),
    Case("credential-source-unknown", EXEC_R, 2,
         "hats: profile 'r': credential_source 'Nope' is not one of Environment, Ec2InstanceMetadata, EcsContainer",
         extra=profile("r", role_arn=AUDITOR, credential_source="Nope")),
    Case("credential-process-as-the-base", ("exec", "cp", "--", "true"), 1,
         "hats: profile 'cp': credential_process printed something that is not JSON",
         extra=profile("cp", credential_process="echo junk")),
    Case("credential-process-as-a-source", EXEC_R, 1,
         "hats: profile 'cp': credential_process printed something that is not JSON",
         extra=profile("cp", credential_process="echo junk") + role("r", source_profile="cp")),
    Case("unknown-profile", ("exec", "nope", "--", "true"), 2, "hats: profile 'nope' is not in <config>"),
    Case("unknown-profile-export", ("export", "nope"), 2, "hats: profile 'nope' is not in <config>"),
    Case("chained-role-over-an-hour-from-a-web-identity", EXEC_R, 2,
         "hats: profile 'r' asks for 7200 s, but it is assumed from the web identity role of 'wi' and AWS caps "
         "chained roles at 3600 s",
         extra=profile("wi", role_arn=AUDITOR, web_identity_token_file="/nonexistent/token")
         + role("r", source_profile="wi", duration_seconds="7200")),
    Case("chained-role-over-an-hour", ("exec", "prod-long", "--mfa-token", "<code>", "--", "true"), 2,
         r"re:hats: profile 'prod-long' asks for 7200 s, but it is assumed from 'dev-hop''?s session "
         r"and AWS caps chained roles at 3600 s"),

    # -- MFA codes of the wrong shape: refused before STS sees them
    *[Case(f"mfa-token-{name}", ("exec", "dev-admin", "--mfa-token", code, "--", "true"), 4, SIX_DIGITS)
      for name, code in [("five-digits", "12345"), ("letters", "abcdef"), ("seven-digits", "1234567"),
                         ("empty", ""), ("inner-space", "123 456"), ("fullwidth-digits", "１２３４５６"),
                         ("arabic-indic-digits", "١٢٣٤٥٦")]],
    Case("mfa-process-prints-junk", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process did not print a 6-digit code", extra=yubi("echo junk")),
    Case("mfa-process-prints-fullwidth-digits", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process did not print a 6-digit code", extra=yubi("echo １２３４５６")),
    Case("mfa-process-fails", ("exec", "yubi", "--", "true"), 4, "hats: profile 'yubi': mfa_process exited with 3",
         extra=yubi("sh -c 'exit 3'")),
    Case("mfa-process-missing", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process failed: [Errno 2] No such file or directory: 'no-such-command-xyz'",
         extra=yubi("no-such-command-xyz")),
    Case("mfa-process-unbalanced-quote", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process failed: No closing quotation", extra=yubi("echo 'oops")),
    Case("mfa-needed-without-a-terminal", ("exec", "long", "--", "true"), 1,
         "hats: cannot prompt without a terminal: Enter MFA code for <serial>"),

    # -- the keyring: locked, missing, unknown, or holding damaged items
    Case("keyring-locked-list", ("list",), 3, LOCKED, locked=True),
    Case("keyring-locked-exec", EXEC_AUDITOR, 3, LOCKED, locked=True),
    Case("keyring-locked-add", ("add", "jan-work", "--env"), 3, LOCKED, locked=True, env=KEY_ENV),
    Case("keyring-locked-clear", ("clear",), 3, LOCKED, locked=True),
    Case("keyring-no-bus-list", ("list",), 3, NO_BUS, env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=<root>/no-bus"}),
    Case("keyring-no-bus-exec", EXEC_AUDITOR, 3, NO_BUS, env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=<root>/no-bus"}),
    Case("keyring-no-bus-add", ("add", "jan-work", "--env"), 3, NO_BUS,
         env={**KEY_ENV, "DBUS_SESSION_BUS_ADDRESS": "unix:path=<root>/no-bus"}),
    Case("keyring-empty-bus-address", ("list",), 3, NO_BUS, env={"DBUS_SESSION_BUS_ADDRESS": ""}),
    Case("backend-unknown-flag", ("--backend", "plaintext", "list"), 2,
         "hats: --backend 'plaintext' is not a keyring backend: choose one of secret-service, macos, windows, file"),
    Case("backend-unknown-env", EXEC_AUDITOR, 2,
         "hats: HATS_BACKEND='kwallet' is not a keyring backend: choose one of secret-service, macos, windows, file",
         env={"HATS_BACKEND": "kwallet"}),
    # A damaged index is rebuilt and a damaged session renewed: tests/test_vault_repair.py.
    Case("keyring-key-not-json", RENEW_MFA, 3,
         "hats: the key of profile 'jan-work' in the secret-service keyring is damaged: "
         "run `hats add jan-work` to replace it or `hats remove jan-work`", damage=("key/jan-work", "garbage")),

    # -- the encrypted file: wrong or no passphrase, damaged as a whole or item by item
    Case("file-wrong-passphrase-exec", EXEC_AUDITOR, 3, "hats: wrong passphrase for the encrypted keyring <vault>",
         home="file", env={"HATS_FILE_PASSPHRASE": "wrong"}),
    Case("file-wrong-passphrase-list", ("list",), 3, "hats: wrong passphrase for the encrypted keyring <vault>",
         home="file", env={"HATS_FILE_PASSPHRASE": "wrong"}),
    Case("file-no-passphrase-no-terminal", ("list",), 1,
         "hats: cannot prompt without a terminal: Passphrase for the encrypted keyring <vault>",
         home="file", env={"HATS_FILE_PASSPHRASE": ""}),
    *[Case(f"file-{name}", EXEC_AUDITOR, 3, NOT_A_VAULT, home="file", vault=damage) for name, damage in [
        ("not-json", lambda good: b"{not json"),
        ("truncated", lambda good: good[:len(good) // 2]),
        ("empty", lambda good: b""),
        ("binary", lambda good: b"\xff\xfe\x00\x01" + good),
        ("a-json-list", lambda good: b"[]"),
        ("other-format", vault_json(lambda d: d.update(format="keyrings.cryptfile"))),
        ("items-null", vault_json(lambda d: d.update(items=None))),
        ("no-check-item", vault_json(lambda d: d["items"].pop("\0check"))),
        ("no-salt", vault_json(lambda d: d.pop("salt"))),
        ("salt-not-base64", vault_json(lambda d: d.update(salt="!!"))),
        ("kdf-garbage", vault_json(lambda d: d.update(kdf={"iterations": "x"}))),
    ]],
    *[Case(f"file-key-item-{name}", RENEW_MFA, 3, DAMAGED_KEY_FILE, home="file", vault=damage)
      for name, damage in [
        ("swapped", vault_json(lambda d: d["items"].update({"key/jan-work": d["items"]["session/role/auditor"]}))),
        ("not-base64", vault_json(lambda d: d["items"].update({"key/jan-work": "!!!not base64"}))),
        ("too-short", vault_json(lambda d: d["items"].update({"key/jan-work": "AAAA"}))),
        ("a-number", vault_json(lambda d: d["items"].update({"key/jan-work": 5}))),
    ]],

    # -- an STS that refuses, never answers, or answers garbage
    Case("sts-refuses-untrusting-role", ("exec", "untrusted", "--", "true"), 5,
         f"hats: AssumeRole for profile 'untrusted' refused: AccessDenied: User: arn:aws:iam::{IDENTITY}:user/jan-work "
         f"is not authorized to perform: sts:AssumeRole on resource: {UNTRUSTED}",
         extra=role("untrusted", role_arn=UNTRUSTED), sts=True),
    Case("sts-refuses-missing-role", ("exec", "ghost-role", "--", "true"), 5,
         f"hats: AssumeRole for profile 'ghost-role' refused: AccessDenied: User: arn:aws:iam::{IDENTITY}:user/jan-work "
         f"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{DEV}:role/no-such-role",
         extra=role("ghost-role", role_arn=f"arn:aws:iam::{DEV}:role/no-such-role"), sts=True),
    Case("sts-never-answers", RENEW_MFA, 5,
         'hats: GetSessionToken for profile \'jan-work\': cannot get an answer from <url>: '
         'Read timeout on endpoint URL: "<url>/"', server="silent", seconds=10),
    Case("sts-port-closed", RENEW_MFA, 5,
         'hats: GetSessionToken for profile \'jan-work\': cannot get an answer from <url>: '
         'Could not connect to the endpoint URL: "<url>/"', server="closed", seconds=10),
    *[Case(f"sts-answers-{name}", RENEW_MFA, 5, UNREADABLE, server=name)
      for name in ["junk-text", "junk-html", "empty", "binary", "no-result", "empty-result", "no-token", "bad-date"]],
    Case("sts-answers-html-403", RENEW_MFA, 5, "hats: GetSessionToken for profile 'jan-work' refused: 403: Forbidden",
         server="html-403"),
    Case("sts-answers-html-500", RENEW_MFA, 5,
         "hats: GetSessionToken for profile 'jan-work' refused: 500: Internal Server Error", server="html-500"),
    Case("sts-endpoint-not-a-url", RENEW_MFA, 2, "re:hats: (?!.*sent an answer).*endpoint.*'not a url'.*",
         env={"AWS_ENDPOINT_URL": "not a url"}),
    Case("sts-endpoint-broken-ipv6", RENEW_MFA, 2, r"re:hats: (?!.*sent an answer).*endpoint.*'http://\[::1'.*",
         env={"AWS_ENDPOINT_URL": "http://[::1"}),

    # -- HATS_* variables: a bad value is one line naming it, before anything happens
    *[Case(f"setting-{variable.lower()[5:].replace('_', '-')}-{name}", EXEC_AUDITOR, 2,
           f"hats: {variable}='{text}' is not a whole number of seconds from {low} to {high}",
           env={variable: text})
      for variable, low, high in [("HATS_SESSION_DURATION", 900, 129600), ("HATS_REFRESH_MARGIN", 0, 3000),
                                  ("HATS_FILE_UNLOCKED_SECONDS", 0, 604800)]
      for name, text in [("text", "soon"), ("superscript", "\u00b2"), ("negative", "-1"), ("fraction", "1.5")]],
    Case("setting-session-duration-below-awss-minimum", EXEC_AUDITOR, 2,
         "hats: HATS_SESSION_DURATION=100 is below AWS's 900 s minimum for an MFA session (GetSessionToken): "
         "use a whole number of seconds from 900 to 129600", env={"HATS_SESSION_DURATION": "100"}),
    Case("setting-session-duration-above-awss-maximum", RENEW_MFA, 2,
         "hats: HATS_SESSION_DURATION=129601 is above AWS's 129600 s maximum for an MFA session (GetSessionToken): "
         "use a whole number of seconds from 900 to 129600", env={"HATS_SESSION_DURATION": "129601"}),
    Case("setting-refresh-margin-huge", EXEC_AUDITOR, 2,
         "hats: HATS_REFRESH_MARGIN='99999999999999999999999999' is above the maximum of 3000 s: "
         "use a whole number of seconds from 0 to 3000", env={"HATS_REFRESH_MARGIN": "99999999999999999999999999"}),
    Case("setting-refresh-margin-not-below-the-duration", EXEC_AUDITOR, 2,
         "hats: HATS_REFRESH_MARGIN=900 is not less than the session duration of 900 s (HATS_SESSION_DURATION): "
         "every new session would count as used up at once",
         env={"HATS_REFRESH_MARGIN": "900", "HATS_SESSION_DURATION": "900"}),
    Case("setting-file-unlocked-seconds-over-a-week", ("list",), 2,
         "hats: HATS_FILE_UNLOCKED_SECONDS=604801 is above the maximum of 604800 s: "
         "use a whole number of seconds from 0 to 604800", home="file", env={"HATS_FILE_UNLOCKED_SECONDS": "604801"}),
    *[Case(f"setting-prod-pattern-{name}", ("exec", "prod-admin", "--", "true"), 2,
           f"hats: HATS_PROD_PATTERN='{shown}' is not a valid regular expression ({reason}); "
           "production accounts could not be marked", env={"HATS_PROD_PATTERN": text})
      for name, text, shown, reason in [
        ("unbalanced", "prod(", "prod(", "missing ), unterminated subpattern at position 4"),
        ("bad-class", "[prod", "[prod", "unterminated character set at position 0"),
        ("with-an-escape", "\x1b[", "\\x1b[", "unterminated character set at position 1")]],
    Case("setting-sso-browser-without-a-url", EXEC_AUDITOR, 2,
         "hats: HATS_SSO_BROWSER='firefox' has no %s where the sign-in URL goes", env={"HATS_SSO_BROWSER": "firefox"}),
    Case("setting-sso-browser-unbalanced-quote", EXEC_AUDITOR, 2,
         "hats: HATS_SSO_BROWSER='firefox \"%s' is not a command line (No closing quotation)",
         env={"HATS_SSO_BROWSER": 'firefox "%s'}),

    # -- `hats exec`: the command cannot be run
    Case("exec-empty-command", ("exec", "auditor", "--", ""), 127, "hats: command not found: ''"),
    Case("exec-missing-command", ("exec", "auditor", "--", "no-such-command-xyz"), 127,
         "hats: command not found: no-such-command-xyz"),
    Case("exec-not-executable", ("exec", "auditor", "--", "<config>"), 126, "hats: permission denied: <config>"),
    Case("exec-missing-command-served", ("exec", "auditor", "--server", "--", "no-such-command-xyz"), 127,
         "hats: command not found: no-such-command-xyz"),

    # -- the command line itself
    Case("exec-without-a-profile", ("exec",), 2, "hats exec: error: the following arguments are required: profile",
         usage=True),
    Case("export-unknown-format", ("export", "auditor", "--format", "yaml"), 2,
         "hats export: error: argument --format: invalid choice: 'yaml' (choose from 'env', 'json')", usage=True),
    Case("unknown-command", ("bogus",), 2, r"re:hats: error: argument COMMAND: invalid choice: 'bogus' \(choose from .+\)",
         usage=True),
    Case("command-after-dashes-for-list", ("list", "--", "env"), 2,
         "hats: error: only `hats exec` takes a command after --", usage=True),
    Case("mfa-token-without-a-value", ("exec", "auditor", "--mfa-token"), 2,
         "hats exec: error: argument --mfa-token: expected one argument", usage=True),
    Case("login-duration-text", ("login", "auditor", "--duration", "1h"), 2,
         "hats login: error: argument --duration: invalid int value: '1h'", usage=True),
    Case("add-bad-key-id", ("add", "jan-work", "--env"), 1,
         "hats: that is not an access key id (like AKIAIOSFODNN7EXAMPLE)",
         env={"AWS_ACCESS_KEY_ID": "not-a-key", "AWS_SECRET_ACCESS_KEY": "x" * 40}),
    Case("add-secret-with-a-space", ("add", "jan-work", "--env"), 1, "hats: that is not a secret access key",
         env={"AWS_ACCESS_KEY_ID": "<key_id>", "AWS_SECRET_ACCESS_KEY": "two words" + "x" * 30}),
    Case("add-without-a-secret", ("add", "jan-work", "--env"), 1,
         "hats: --env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
         env={"AWS_ACCESS_KEY_ID": "<key_id>", "AWS_SECRET_ACCESS_KEY": ""}),
    Case("add-temporary-credentials", ("add", "jan-work", "--env"), 1,
         "hats: the environment holds temporary credentials; hats add stores long-term keys",
         env={**KEY_ENV, "AWS_SESSION_TOKEN": "token"}),
    Case("add-to-a-role", ("add", "auditor", "--env"), 1,
         "hats: profile 'auditor' is a role (role_arn); add the key to its base profile", env=KEY_ENV),
    Case("remove-unknown-key", ("remove", "nobody"), 1, "hats: no key stored for profile 'nobody'"),
    *[Case(f"add-name-{name}", ("add", text, "--env"), 2, message, env=KEY_ENV) for name, text, message in [
        ("empty", "", "hats: a profile name cannot be empty or only spaces"),
        ("spaces", "  \t ", "hats: a profile name cannot be empty or only spaces"),
        *[(name, text, f"hats: the profile name '{shown}' holds control, format or bidi characters")
          for name, text, shown in [("escape", "jan\x1b]0;pwned\x07", "jan\\x1b]0;pwned\\x07"),
                                    ("newline", "jan\nwork", "jan\\x0awork"),
                                    ("bidi-override", "dorp\u202e", "dorp\\u202e"),
                                    ("zero-width", "jan\u200bwork", "jan\\u200bwork")]]]],
    Case("unknown-profile-escaped", ("exec", "no\x1b[2Jpe", "--", "true"), 2,
         "hats: profile 'no\\x1b[2Jpe' is not in <config>"),
]


def test_the_corpus_is_big_and_named_uniquely():
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_line_and_changes_nothing(case: Case, request, world, servers):
    home = ready(request.getfixturevalue("file_home" if case.home == "file" else "ss_home"))
    values = {"config": str(home.config), "credentials": str(home.credentials), "vault": str(home.vault),
              "serial": world.serial, "root": str(home.root), "key_id": world.key_id, "secret": world.secret,
              "url": servers[case.server] if case.server else ""}
    if case.config is not None:
        home.config.write_bytes(case.config if isinstance(case.config, bytes) else case.config.encode())
    elif case.extra:
        with open(home.config, "a") as config:
            config.write(fill(case.extra, values))
    if case.credentials is not None:
        home.credentials.write_bytes(
            case.credentials if isinstance(case.credentials, bytes) else case.credentials.encode())
    restore = prepare_damage(case, home)
    try:
        before = state(home)
        env = {name: fill(value, values) for name, value in case.env.items()}
        if case.server:
            env["AWS_ENDPOINT_URL"] = values["url"]
        args = [fill(arg, {**values, "code": world.code()}) for arg in case.args]
        secret_service = request.getfixturevalue("secret_service") if case.locked else None
        world.sts.reset_calls()
        if secret_service:
            secret_service.lock()
        try:
            started = time.monotonic()
            done = home.hats.run(*args, env=env, timeout=60)
            elapsed = time.monotonic() - started
        finally:
            if secret_service:
                secret_service.unlock()
        calls = [call["action"] for call in world.sts.calls]
        after = state(home)
        _, odd_locks = disk(home.root)
    finally:
        restore()
    message = fill(case.message[3:], values, regex=True) if case.message.startswith("re:") else fill(case.message, values)
    problems = judge(case, done, message, case.message.startswith("re:"))
    problems += differences(before, after)
    problems += [f"lock directory holds {odd}" for odd in odd_locks]
    if calls and not case.sts:
        problems.append(f"STS was called: {calls}")
    if case.seconds is not None and elapsed >= case.seconds:
        problems.append(f"took {elapsed:.1f} s, more than {case.seconds} s")
    assert problems == [], (f"{case.id}: {'; '.join(problems)}\n--- exit {done.returncode}, stderr ---\n"
                            f"{done.stderr[-3000:]}--- stdout ---\n{done.stdout[:500]}")

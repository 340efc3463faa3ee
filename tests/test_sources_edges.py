"""The credential sources on inputs nobody tried before, held to botocore (the AWS CLI's reader) where it decides.

Real parts only: real scripts as credential_process, the sandbox's IMDSv2 and
container stand-ins, the local STS; botocore's own providers and the `aws` CLI
run beside hats where they are the reference. What is asserted is what a user
sees: the identity the `aws` CLI gets, the credentials `hats export` prints,
the one line and exit code of a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import DEV, IDENTITY, PROD
from tests.test_exec import WHOAMI, caller_arn
from tests.test_sources import (PRINT_OUTPUT, add_profiles, printing, process_script, runs, session_of,
                                source_identities)
from tui.credentials import iso
from tui.sandbox.metadata import ContainerEndpoint, InstanceMetadata

FAKE = {"Version": 1, "AccessKeyId": "AKIAFAKEFAKEFAKE1234", "SecretAccessKey": "not-a-secret-just-a-test"}
BUILD_BOX = f"arn:aws:iam::{IDENTITY}:user/edge-box"
DEPLOYER = f"arn:aws:iam::{DEV}:role/edge-deployer"
ASSUMED_DEPLOYER = f"arn:aws:sts::{DEV}:assumed-role/edge-deployer/"


@pytest.fixture(scope="module")
def sources(world):
    """test_sources' identities, under names of this module's own (the world lasts the whole session)."""
    return source_identities(world, "edge-box", "edge-deployer", "edge-actions")


def one_line_failure(done, starts: str, code: int = 1) -> str:
    """A failure as hats must give it: one line naming the profile, its exit code, no traceback."""
    assert (done.returncode, len(done.stderr.splitlines())) == (code, 1), done.stderr
    assert done.stderr.startswith(f"hats: {starts}"), done.stderr
    return done.stderr.rstrip("\n")


def exported(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def in_an_hour() -> datetime:
    return (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0)


def printing_json(document: dict) -> dict[str, str]:
    return {"PROCESS_OUTPUT": json.dumps(document)}


def botocore_reads(command: str, env: dict[str, str], monkeypatch) -> tuple[str, object]:
    """What botocore's own ProcessProvider makes of a command's output: ('ok', expiry) or ('fails', error)."""
    from botocore.credentials import ProcessProvider

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    provider = ProcessProvider("p", lambda: {"profiles": {"p": {"credential_process": command}}})
    try:
        found = provider.load()
        found.get_frozen_credentials()
    except Exception as exc:  # botocore fails in many ways here: that it fails is the reference
        return "fails", exc
    return "ok", getattr(found, "_expiry_time", None)


# -- credential_process: the command line ------------------------------------------------------
def test_quoted_arguments_and_a_path_with_spaces_are_split_as_botocore_splits_them(hats, sources):
    from botocore.compat import compat_shell_split

    folder = hats.home / "my tools"
    folder.mkdir()
    script = folder / "creds.py"
    script.write_text("import json, os, sys\n"
                      f"open({str(hats.home / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
                      + PRINT_OUTPUT + "\n")
    command = f"{sys.executable} \"{script}\" --name 'a b' x\\ y \"it's\""
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    done = hats.run("exec", "build", "--", *WHOAMI, env=printing(sources["key"]))
    assert caller_arn(done) == BUILD_BOX
    assert json.loads((hats.home / "argv.json").read_text()) == compat_shell_split(command)[2:] == [
        "--name", "a b", "x y", "it's"]


def test_a_program_named_without_a_path_is_found_on_path(hats, sources):
    bin_dir = hats.home / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "creds-helper"
    helper.write_text(f"#!{sys.executable}\nimport os\n{PRINT_OUTPUT}\n")
    helper.chmod(0o755)
    add_profiles(hats, "\n[profile build]\ncredential_process = creds-helper --json\n")
    env = {**printing(sources["key"]), "PATH": f"{bin_dir}:{hats.env['PATH']}"}
    assert caller_arn(hats.run("exec", "build", "--", *WHOAMI, env=env)) == BUILD_BOX


def test_the_process_reads_the_persons_stdin_on_the_command_line(hats, sources):
    """botocore leaves stdin to the process (it may ask for a PIN): so does hats on the command line."""
    body = "if sys.stdin.readline().strip() != '4711':\n    sys.exit(9)\n" + PRINT_OUTPUT
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'pin', body)}\n")
    done = subprocess.run([sys.executable, "-m", "tui", "exec", "build", "--", *WHOAMI], input="4711\n",
                          env={**hats.env, **printing(sources["key"])}, capture_output=True, text=True,
                          timeout=60, start_new_session=True)
    assert caller_arn(done) == BUILD_BOX


def test_a_failing_process_says_its_stderr_then_one_line_with_its_status(hats):
    body = "print('token expired: run `sso login`', file=sys.stderr)\nsys.exit(3)"
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'fails', body)}\n")
    for command in (("exec", "build", "--", "true"), ("export", "build")):
        done = hats.run(*command)
        assert done.returncode == 1
        assert done.stderr == ("token expired: run `sso login`\n"
                               "hats: profile 'build': credential_process exited with status 3\n")


def test_a_process_ended_by_a_signal_says_which(hats):
    body = "import signal\nos.kill(os.getpid(), signal.SIGTERM)"
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'killed', body)}\n")
    assert one_line_failure(hats.run("export", "build"), "profile 'build': ") == (
        "hats: profile 'build': credential_process was ended by signal SIGTERM")


def test_ctrl_c_while_the_process_runs_ends_it_with_hats(hats):
    """As subprocess.run (and the AWS CLI) do: a process that ignores SIGINT does not outlive hats."""
    pid_file = hats.home / "process.pid"
    body = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(30)")
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'stubborn', body)}\n")
    run = subprocess.Popen([sys.executable, "-m", "tui", "export", "build"], env=hats.env, stderr=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=10)
    assert (run.returncode, stderr) == (130, "hats: interrupted\n")
    time.sleep(0.3)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


# -- credential_process: what it prints ----------------------------------------------------------
@pytest.mark.parametrize("version, botocore_takes", [(1, True), (1.0, True), (True, True), (2, False),
                                                    ("1", False), (None, False)])
def test_version_is_taken_as_botocore_takes_it(hats, monkeypatch, version, botocore_takes):
    document = {key: value for key, value in {**FAKE, "Version": version}.items() if value is not None}
    command = process_script(hats, "version", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    env = printing_json(document)
    assert (botocore_reads(command, env, monkeypatch)[0] == "ok") is botocore_takes
    done = hats.run("export", "build", "--format", "json", env=env)
    if botocore_takes:
        assert exported(done)["AccessKeyId"] == FAKE["AccessKeyId"]
    else:
        assert one_line_failure(done, "profile 'build': ").endswith('printed no "Version": 1, the only version '
                                                                  "the AWS CLI reads")


@pytest.mark.parametrize("form", [
    "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.123Z", "%Y-%m-%dT%H:%M:%S.123456789Z", "%Y-%m-%dT%H:%M:%S+00:00",
    "%Y-%m-%d %H:%M:%SZ", "%Y%m%dT%H%M%SZ", "%a, %d %b %Y %H:%M:%S GMT",
])
def test_an_expiration_in_any_form_botocore_reads_is_kept_until_then(hats, monkeypatch, form):
    expires = in_an_hour()
    document = {**FAKE, "SessionToken": "a-session-token", "Expiration": expires.strftime(form)}
    command = process_script(hats, "expiring", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    env = printing_json(document)
    read, botocore_expiry = botocore_reads(command, env, monkeypatch)
    assert read == "ok" and botocore_expiry.replace(microsecond=0) == expires
    for _ in range(2):
        assert exported(hats.run("export", "build", "--format", "json", env=env))["Expiration"] == iso(expires)
    assert runs(hats, "expiring") == 2  # botocore's call above, then hats' first: the second is the cached one


def test_an_offset_expiration_is_the_same_moment_in_utc(hats):
    expires = in_an_hour()
    document = {**FAKE, "SessionToken": "t", "Expiration": expires.astimezone(timezone(timedelta(hours=-7))).isoformat()}
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'offset', PRINT_OUTPUT)}\n")
    assert exported(hats.run("export", "build", "--format", "json", env=printing_json(document)))["Expiration"] == (
        iso(expires))


def test_an_expiring_session_without_a_token_is_kept_and_exported_without_one(hats):
    """botocore makes refreshable credentials of it, token None: hats keeps it until its Expiration."""
    document = {**FAKE, "Expiration": iso(in_an_hour())}
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'notoken', PRINT_OUTPUT)}\n")
    for _ in range(2):
        done = hats.run("export", "build", env=printing_json(document))
        assert done.returncode == 0, done.stderr
        assert f"export AWS_ACCESS_KEY_ID={FAKE['AccessKeyId']}" in done.stdout
        assert "AWS_SESSION_TOKEN" not in done.stdout
    assert runs(hats, "notoken") == 1


def test_credentials_close_to_expiry_are_used_but_not_reused(hats):
    """Inside the refresh margin botocore refreshes on each use; hats runs the process each time."""
    document = {**FAKE, "SessionToken": "t", "Expiration": iso(datetime.now(timezone.utc) + timedelta(minutes=2))}
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'short', PRINT_OUTPUT)}\n")
    for _ in range(2):
        assert exported(hats.run("export", "build", "--format", "json", env=printing_json(document)))
    assert runs(hats, "short") == 2


@pytest.mark.parametrize("expiration, says", [
    (1893456000, "printed an Expiration that is not a time in text (ISO 8601)"),
    ("2020-01-01T00:00:00Z", "printed credentials that expired at 2020-01-01T00:00:00Z"),
    ("2099-01-01T00:00:00", "printed an Expiration with no time zone (add Z for UTC)"),
    ("", "printed an Expiration that is not an ISO 8601 time"),
    ("next tuesday-ish", "printed an Expiration that is not an ISO 8601 time"),
])
def test_an_expiration_botocore_cannot_use_is_one_line(hats, monkeypatch, expiration, says):
    """botocore fails on each (TypeError, 'still expired', naive minus aware time, ParserError); hats says why."""
    document = {**FAKE, "SessionToken": "t", "Expiration": expiration}
    command = process_script(hats, "badexpiry", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    env = printing_json(document)
    assert botocore_reads(command, env, monkeypatch)[0] == "fails"
    for args in (("exec", "build", "--", "true"), ("export", "build", "--format", "json")):
        done = hats.run(*args, env=env)
        assert one_line_failure(done, "profile 'build': ") == f"hats: profile 'build': credential_process {says}"
        assert FAKE["SecretAccessKey"] not in done.stdout + done.stderr
    assert hats.run("export", "build", env=env).stdout == ""  # nothing was cached either


@pytest.mark.parametrize("keys, says", [
    ({"AccessKeyId": ""}, "printed no AccessKeyId"), ({"SecretAccessKey": None}, "printed no SecretAccessKey"),
    ({"SessionToken": 123}, "printed a SessionToken that is not text"),
    ({"SessionToken": {"a": 1}, "Expiration": "2099-01-01T00:00:00Z"}, "printed a SessionToken that is not text"),
    ({"Expiration": "9999-12-31T23:59:59-05:00"}, "printed an Expiration past the year 9999"),
])
def test_a_key_token_or_time_hats_cannot_pass_on_is_refused(hats, keys, says):
    """Each was handed out (an int token then broke `hats exec` with a traceback) or was a traceback itself."""
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'nokey', PRINT_OUTPUT)}\n")
    for args in (("exec", "build", "--", "true"), ("export", "build", "--format", "json")):
        done = hats.run(*args, env=printing_json({**FAKE, **keys}))
        assert one_line_failure(done, "profile 'build': ") == f"hats: profile 'build': credential_process {says}"


def test_output_that_is_not_utf8_is_refused_not_mangled_into_a_wrong_secret(hats, monkeypatch):
    """botocore fails with UnicodeDecodeError; a replaced byte would hand out a secret that is not the one printed."""
    body = "sys.stdout.buffer.write(os.environ['PROCESS_OUTPUT'].encode().replace(b'SECRET', b'S\\xffCRET'))"
    command = process_script(hats, "latin", body)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    env = printing_json({**FAKE, "SecretAccessKey": "a-SECRET-b"})
    assert botocore_reads(command, env, monkeypatch)[0] == "fails"
    done = hats.run("export", "build", "--format", "json", env=env)
    assert one_line_failure(done, "profile 'build': ") == (
        "hats: profile 'build': credential_process printed something that is not UTF-8 text")


@pytest.mark.parametrize("body", ["sys.stdout.write(' ' * 5_000_000)",
                                  "while True:\n    sys.stdout.write('x' * 65536)"])
def test_a_process_that_prints_without_end_is_stopped_at_a_bound(hats, body):
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'flood', body)}\n")
    started = time.monotonic()
    done = hats.run("export", "build", timeout=30)
    assert time.monotonic() - started < 10
    assert one_line_failure(done, "profile 'build': ") == (
        "hats: profile 'build': credential_process printed more than 1024 kB and was stopped")


def test_a_process_that_leaves_a_background_child_holding_its_output_answers_when_it_exits(hats):
    """The answer is what the process printed before it exited: its background child is not waited for."""
    body = ("import subprocess\n"  # it keeps hats' stdout; not the test's stderr, which the test waits on
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(20)'], stderr=subprocess.DEVNULL)\n"
            + PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'daemon', body)}\n")
    started = time.monotonic()
    assert exported(hats.run("export", "build", "--format", "json", env=printing_json(FAKE)))
    assert time.monotonic() - started < 10


def test_a_hung_process_whose_child_keeps_its_output_open_is_still_stopped_at_the_bound(monkeypatch):
    from tui.errors import HatsError
    from tui.providers import process

    monkeypatch.setattr(process, "TIMEOUT_SECONDS", 1)
    provider = process.ProcessProvider("build", "sh -c 'sleep 30 & sleep 30'")
    started = time.monotonic()
    with pytest.raises(HatsError) as stopped:
        provider.retrieve()
    assert time.monotonic() - started < 5
    assert str(stopped.value) == "profile 'build': credential_process gave no answer within 1 s and was stopped"


# -- credential_source = Environment -------------------------------------------------------------
@pytest.mark.parametrize("present, says", [
    (("AWS_ACCESS_KEY_ID",), "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"),
    (("AWS_SECRET_ACCESS_KEY",), "no credentials there (AWS_ACCESS_KEY_ID is not set)"),
])
def test_environment_with_only_part_of_a_key_is_one_line(hats, sources, present, says):
    add_profiles(hats, f"\n[profile ci]\nrole_arn = {DEPLOYER}\ncredential_source = Environment\n")
    key = sources["key"]
    values = {"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key}
    done = hats.run("exec", "ci", "--", "true", env={name: values[name] for name in present})
    assert one_line_failure(done, "profile 'ci': ") == (
        f"hats: profile 'ci': credential_source = Environment: the environment (AWS_ACCESS_KEY_ID): {says}")
    assert key.secret_access_key not in done.stderr


@pytest.mark.parametrize("token_variable", ["AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"])
def test_environment_session_token_from_either_variable_security_token_first(hats, world, sources, token_variable):
    """botocore's EnvProvider reads AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN."""
    add_profiles(hats, f"\n[profile ci]\nrole_arn = {DEPLOYER}\ncredential_source = Environment\n")
    session = session_of(world, sources["key"])
    env = {"AWS_ACCESS_KEY_ID": session.access_key_id, "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
           token_variable: session.session_token or ""}
    if token_variable == "AWS_SECURITY_TOKEN":
        env["AWS_SESSION_TOKEN"] = "not-the-token"  # read second: botocore ignores it
    assert caller_arn(hats.run("exec", "ci", "--", *WHOAMI, env=env)).startswith(ASSUMED_DEPLOYER)


@pytest.mark.parametrize("expiration, says", [
    ("2020-01-01T00:00:00Z", "the credentials there have expired"),
    ("whenever", "Unknown string format: whenever"),
    ("2099-01-01T00:00:00", "an expiry time without a time zone"),
])
def test_environment_expiration_botocore_refuses_is_one_line(hats, sources, expiration, says):
    add_profiles(hats, f"\n[profile ci]\nrole_arn = {DEPLOYER}\ncredential_source = Environment\n")
    key = sources["key"]
    env = {"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key,
           "AWS_CREDENTIAL_EXPIRATION": expiration}
    done = hats.run("exec", "ci", "--", "true", env=env)
    assert one_line_failure(done, "profile 'ci': ").endswith(f"the environment (AWS_ACCESS_KEY_ID): {says}")


# -- credential_source = Ec2InstanceMetadata -----------------------------------------------------
BOX = f"\n[profile box]\nrole_arn = {DEPLOYER}\ncredential_source = Ec2InstanceMetadata\n"


@pytest.mark.parametrize("status", [403, 404, 405, 500, 400])
def test_an_instance_whose_token_endpoint_refuses_is_read_without_a_token(hats, world, sources, status):
    """botocore's rule: a 403, 404 or 405 to the token PUT (or no good answer at all) means IMDSv1, so the
    GETs go without a token; a 400 is a bad request, and no credentials."""
    add_profiles(hats, BOX)
    with InstanceMetadata(session_of(world, sources["key"]), token_status=status) as imds:
        done = hats.run("exec", "box", "--", *WHOAMI, env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url})
    if status == 400:
        assert one_line_failure(done, "profile 'box': ").endswith("no credentials there")
        assert imds.requests == [("PUT", "/latest/api/token")]
    else:
        assert caller_arn(done).startswith(ASSUMED_DEPLOYER)
        assert imds.requests[0] == ("PUT", "/latest/api/token")


def test_imdsv1_disabled_in_the_profile_refuses_that_fallback(hats, world, sources):
    add_profiles(hats, BOX + "ec2_metadata_v1_disabled = true\n")
    with InstanceMetadata(session_of(world, sources["key"]), token_status=403) as imds:
        done = hats.run("exec", "box", "--", "true", env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url})
    one_line_failure(done, "profile 'box': credential_source = Ec2InstanceMetadata: ")
    assert [method for method, _ in imds.requests] == ["PUT"]


def test_metadata_disabled_asks_nothing(hats, world, sources):
    add_profiles(hats, BOX)
    with InstanceMetadata(session_of(world, sources["key"])) as imds:
        done = hats.run("exec", "box", "--", "true", env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
                                                           "AWS_EC2_METADATA_DISABLED": "True"})
    assert one_line_failure(done, "profile 'box': ").endswith("not asked, AWS_EC2_METADATA_DISABLED is true")
    assert imds.requests == []


def test_an_explicit_endpoint_wins_over_the_ipv6_endpoint_mode(hats, world, sources):
    """botocore: AWS_EC2_METADATA_SERVICE_ENDPOINT, when set, is used whatever the endpoint mode."""
    add_profiles(hats, BOX)
    with InstanceMetadata(session_of(world, sources["key"])) as imds:
        done = hats.run("exec", "box", "--", *WHOAMI, env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
                                                           "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"})
    assert caller_arn(done).startswith(ASSUMED_DEPLOYER)


def test_a_bad_endpoint_mode_is_one_line(hats):
    add_profiles(hats, BOX)
    done = hats.run("exec", "box", "--", "true", env={"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv5"})
    assert "Invalid EC2 Instance Metadata endpoint mode: IPv5" in one_line_failure(done, "profile 'box': ")


@pytest.mark.parametrize("timeout, answers", [("1", False), ("4", True)])
def test_a_slow_metadata_service_is_waited_for_as_long_as_botocore_waits(hats, world, sources, timeout, answers):
    """AWS_METADATA_SERVICE_TIMEOUT (1 s by default) and _NUM_ATTEMPTS (1) bound each request, as in botocore."""
    add_profiles(hats, BOX)
    with InstanceMetadata(session_of(world, sources["key"]), delay=1.5) as imds:
        started = time.monotonic()
        done = hats.run("exec", "box", "--", *WHOAMI, env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
                                                           "AWS_METADATA_SERVICE_TIMEOUT": timeout})
        took = time.monotonic() - started
    if answers:
        assert caller_arn(done).startswith(ASSUMED_DEPLOYER)
    else:
        assert one_line_failure(done, "profile 'box': ").endswith("no credentials there")
        assert took < 10


# -- credential_source = EcsContainer ------------------------------------------------------------
TASK = f"\n[profile task]\nrole_arn = {DEPLOYER}\ncredential_source = EcsContainer\n"


def test_the_full_uri_may_name_localhost(hats, world, sources):
    add_profiles(hats, TASK)
    with ContainerEndpoint(session_of(world, sources["key"])) as endpoint:
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.full_uri.replace("127.0.0.1", "localhost"),
               "AWS_CONTAINER_AUTHORIZATION_TOKEN": endpoint.token}
        assert caller_arn(hats.run("exec", "task", "--", *WHOAMI, env=env)).startswith(ASSUMED_DEPLOYER)


@pytest.mark.parametrize("uri", ["http://example.com/creds", "http://169.254.169.254/latest/meta-data/",
                                 "http://10.0.0.1:8080/creds"])
def test_a_full_uri_botocore_refuses_over_http_gets_no_request_and_one_line(hats, uri):
    """botocore sends the token over http only to loopback and the ECS/EKS addresses."""
    add_profiles(hats, TASK)
    done = hats.run("exec", "task", "--", "true", env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri,
                                                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "a-token"})
    assert "Unsupported host" in one_line_failure(done, "profile 'task': credential_source = EcsContainer: ")
    assert "a-token" not in done.stderr


def test_the_token_file_is_read_for_each_call_and_comes_before_the_token_variable(hats, world, sources):
    add_profiles(hats, TASK)
    token_file = hats.home / "eks-pod-identity-token"
    with ContainerEndpoint(session_of(world, sources["key"])) as endpoint:
        token_file.write_text(endpoint.token)
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.full_uri,
               "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
               "AWS_CONTAINER_AUTHORIZATION_TOKEN": "the-variable-is-read-second"}
        assert caller_arn(hats.run("exec", "task", "--", *WHOAMI, env=env)).startswith(ASSUMED_DEPLOYER)
        token_file.write_text("rotated-away")
        refused = hats.run("exec", "task", "--renew", "--", "true", env=env)
        assert "Received non 200 response 403" in one_line_failure(refused, "profile 'task': ")
        token_file.write_text(endpoint.token + "\n")  # botocore does not strip it: a line break is refused
        newline = hats.run("exec", "task", "--renew", "--", "true", env=env)
        assert one_line_failure(newline, "profile 'task': ").endswith(
            "the authorization token holds a line break, which botocore refuses to send "
            "(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is read as it is, a final newline too)")
        token_file.unlink()
        missing = hats.run("exec", "task", "--renew", "--", "true", env=env)
        assert one_line_failure(missing, "profile 'task': ").endswith(f"{token_file}: No such file or directory")


@pytest.mark.parametrize("failure, says", [
    ((500, '{"code": "InternalError", "message": "cannot assume the task role"}'),
     'Received non 200 response 500 from container metadata: {"code": "InternalError"'),
    ((200, '{"code": "Failed", "message": "no role"}'), "its answer has no AccessKeyId"),
    ((200, "<html>proxy login</html>"), "Unable to parse JSON returned from container metadata services"),
    ((503, '{"message": "\x1b[2Jgone"}'), '{"message": "\\x1b[2Jgone"}'),  # escaped: it reaches a terminal
])
def test_an_error_from_the_container_endpoint_is_one_line(hats, world, sources, failure, says):
    add_profiles(hats, TASK)
    with ContainerEndpoint(session_of(world, sources["key"]), failure=failure) as endpoint:
        done = hats.run("exec", "task", "--", "true", env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.full_uri,
                                                            "AWS_CONTAINER_AUTHORIZATION_TOKEN": endpoint.token})
    assert says in one_line_failure(done, "profile 'task': credential_source = EcsContainer: ")
    assert "\x1b" not in done.stderr


def test_no_container_variables_is_one_line_naming_them(hats):
    add_profiles(hats, TASK)
    done = hats.run("exec", "task", "--", "true")
    assert one_line_failure(done, "profile 'task': ").endswith(
        "no credentials there (neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is set)")


# -- web identity ----------------------------------------------------------------------------------
def gha_profile(hats, world, sources, extra: str = "") -> None:
    token_file = hats.home / "token"
    token_file.write_text(world.sts.issue_web_identity_token(sources["web_role"]))
    add_profiles(hats, f"\n[profile gha]\nrole_arn = {sources['web_role']}\nweb_identity_token_file = {token_file}\n"
                       + extra)


@pytest.mark.parametrize("content, says", [(None, "No such file or directory"), ("", "is empty"),
                                           ("  \n", "is empty")])
def test_a_missing_or_empty_token_file_is_one_line_before_any_call(hats, world, sources, content, says):
    gha_profile(hats, world, sources)
    token_file = hats.home / "token"
    if content is None:
        token_file.unlink()
    else:
        token_file.write_text(content)
    done = hats.run("exec", "gha", "--", "true")
    assert one_line_failure(done, "profile 'gha': web_identity_token_file ", code=2).endswith(says)
    assert world.sts.count("AssumeRoleWithWebIdentity") == 0


def test_the_web_identity_variables_are_ignored_for_a_named_profile_as_aws_profile_does(hats, world, sources):
    """botocore reads AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_SESSION_NAME only when no profile
    is named (`--profile` turns them off); `hats exec PROFILE` names one, and agrees with `aws --profile`."""
    gha_profile(hats, world, sources, "role_session_name = from-the-profile\n")
    env = {"AWS_ROLE_ARN": DEPLOYER, "AWS_ROLE_SESSION_NAME": "from-the-environment",
           "AWS_WEB_IDENTITY_TOKEN_FILE": str(hats.home / "nonexistent")}
    expected = f"arn:aws:sts::{DEV}:assumed-role/edge-actions/from-the-profile"
    aws = subprocess.run([*WHOAMI, "--profile", "gha"], env={**hats.env, **env}, capture_output=True, text=True,
                         timeout=60)
    assert caller_arn(aws) == expected
    assert caller_arn(hats.run("exec", "gha", "--", *WHOAMI, env=env)) == expected


# -- one profile, two sources: botocore's order -------------------------------------------------
def static_box(world) -> tuple[str, str, str]:
    """A user whose key sits in a file for the test (so its secret is not given to the final secret scan)."""
    name = f"static-box-{time.monotonic_ns()}"
    return (name, *world.sts.create_user(IDENTITY, name))


def aws_and_hats(hats, profile: str, env: dict[str, str]) -> tuple[str, str]:
    aws = subprocess.run([*WHOAMI, "--profile", profile], env={**hats.env, **env}, capture_output=True, text=True,
                         timeout=60)
    return caller_arn(aws), caller_arn(hats.run("exec", profile, "--", *WHOAMI, env=env))


@pytest.mark.parametrize("keys_in", ["credentials", "config"])
def test_static_keys_and_a_credential_process_in_one_profile_are_picked_as_the_aws_cli_picks(
        hats, world, sources, keys_in):
    """botocore: the credentials file's keys, then credential_process, then the config file's keys."""
    name, key_id, secret = static_box(world)
    command = process_script(hats, "both", PRINT_OUTPUT)
    keys = f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    credentials = hats.home / ".aws/credentials"
    try:
        if keys_in == "credentials":
            credentials.write_text(f"[both]\n{keys}")
            add_profiles(hats, f"\n[profile both]\ncredential_process = {command}\n")
        else:
            add_profiles(hats, f"\n[profile both]\ncredential_process = {command}\n{keys}")
        aws, ours = aws_and_hats(hats, "both", printing(sources["key"]))
    finally:  # the secret scan must find the key nowhere
        credentials.unlink(missing_ok=True)
        config = hats.home / ".aws/config"
        config.write_text(config.read_text().replace(secret, "removed"))
    assert aws == ours == (BUILD_BOX if keys_in == "config" else f"arn:aws:iam::{IDENTITY}:user/{name}")


def test_a_role_with_credential_source_and_credential_process_assumes_from_the_source(hats, sources):
    """botocore's AssumeRole provider comes before the process provider: the role is assumed from the source."""
    command = process_script(hats, "unused", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile ci]\nrole_arn = {DEPLOYER}\ncredential_source = Environment\n"
                       f"credential_process = {command}\n")
    key = sources["key"]
    env = {"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key}
    aws, ours = aws_and_hats(hats, "ci", env)
    assert aws.startswith(ASSUMED_DEPLOYER) and ours.startswith(ASSUMED_DEPLOYER)
    assert runs(hats, "unused") == 0


def test_web_identity_wins_over_credential_source_in_one_profile(hats, world, sources):
    """botocore's AssumeRole provider skips a profile with web_identity_token_file: web identity it is."""
    gha_profile(hats, world, sources, "credential_source = Environment\nrole_session_name = web\n")
    aws, ours = aws_and_hats(hats, "gha", {})
    assert aws == ours == f"arn:aws:sts::{DEV}:assumed-role/edge-actions/web"


def test_hats_list_names_each_source_and_runs_none(hats):
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'listed', PRINT_OUTPUT)}\n"
                       + TASK + f"\n[profile gha]\nrole_arn = {DEPLOYER}\nweb_identity_token_file = /nonexistent\n")
    listed = hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["profile"]: row["source"] for row in json.loads(listed.stdout)}
    assert (rows["build"], rows["task"], rows["gha"]) == ("credential_process", "credential_source", "web_identity")
    assert runs(hats, "listed") == 0



def test_duration_seconds_on_a_web_identity_profile_is_not_asked_for_as_botocore_does_not(hats, world, sources):
    """botocore's web identity fetcher sends RoleSessionName only: asking this one-hour role for two hours
    would be refused (the local STS refuses as AWS does) where `aws --profile` works."""
    gha_profile(hats, world, sources, "duration_seconds = 7200\nrole_session_name = web\n")
    aws, ours = aws_and_hats(hats, "gha", {})
    assert aws == ours == f"arn:aws:sts::{DEV}:assumed-role/edge-actions/web"
    assert [call["duration"] for call in world.sts.calls if call["action"] == "AssumeRoleWithWebIdentity"] == [
        None, None]


def test_a_role_that_is_its_own_source_with_only_a_credential_process_is_refused_as_botocore_refuses(hats):
    """botocore lets a role source itself only for static keys (else InfiniteLoopConfigError)."""
    add_profiles(hats, f"\n[profile selfish]\nrole_arn = {DEPLOYER}\nsource_profile = selfish\n"
                       f"credential_process = {process_script(hats, 'never', PRINT_OUTPUT)}\n")
    aws = subprocess.run([*WHOAMI, "--profile", "selfish"], env=hats.env, capture_output=True, text=True, timeout=60)
    assert aws.returncode != 0 and "Infinite loop" in aws.stderr
    for args in (("exec", "selfish", "--", "true"), ("export", "selfish")):
        assert one_line_failure(hats.run(*args), "profile 'selfish'", code=2) == (
            "hats: profile 'selfish' is its own source_profile with a credential_process and no keys, "
            "which botocore refuses as a loop")
    assert runs(hats, "never") == 0


@pytest.mark.parametrize("endpoint_on", ["target", "source"])
def test_the_metadata_endpoint_setting_is_read_from_the_profile_asked_for_as_botocore_reads_it(
        hats, world, sources, endpoint_on):
    """botocore builds its IMDS fetcher from the session's profile, the one named on the command line,
    not from the credential_source profile deeper in the chain."""
    with InstanceMetadata(session_of(world, sources["key"])) as imds:
        setting = f"ec2_metadata_service_endpoint = {imds.url}\n"
        add_profiles(hats, BOX + (setting if endpoint_on == "source" else "")
                     + f"\n[profile deploy-prod]\nsource_profile = box\nrole_arn = arn:aws:iam::{PROD}:role/prod-hop\n"
                     + (setting if endpoint_on == "target" else ""))
        aws = subprocess.run([*WHOAMI, "--profile", "deploy-prod"], env=hats.env, capture_output=True, text=True,
                             timeout=60)
        ours = hats.run("exec", "deploy-prod", "--", *WHOAMI)
    assert (aws.returncode == 0, ours.returncode == 0) == (endpoint_on == "target",) * 2, (aws.stderr, ours.stderr)
    if endpoint_on == "target":  # the same role; the session names differ on purpose (README: role_session_name)
        assert caller_arn(aws).rsplit("/", 1)[0] == caller_arn(ours).rsplit("/", 1)[0]


def test_a_credential_process_in_the_credentials_file_runs_as_the_aws_cli_runs_it(hats, sources):
    """botocore reads every setting of a credentials-file section, credential_process too."""
    (hats.home / ".aws/credentials").write_text(
        f"[filed]\ncredential_process = {process_script(hats, 'filed', PRINT_OUTPUT)}\nregion = eu-west-1\n")
    aws, ours = aws_and_hats(hats, "filed", printing(sources["key"]))
    assert aws == ours == BUILD_BOX

"""Every credential source botocore knows, as the base of a chain, proven by the real aws CLI.

credential_process runs real scripts; credential_source reads the real
environment, an IMDSv2 stand-in and a container endpoint stand-in on loopback
(tui/sandbox/metadata.py: moto has neither); web identity goes to the local STS.
"""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.conftest import DEV, IDENTITY, PROD
from tests.test_signin import federation, stub  # noqa: F401 - fixtures for the login test
from tui.sandbox.metadata import ContainerEndpoint, InstanceMetadata
from tests.test_exec import WHOAMI, caller_arn
from tui.credentials import Credentials, iso

DEPLOYER = f"arn:aws:iam::{DEV}:role/ci-deployer"  # trusts the identity account, no MFA


@pytest.fixture(scope="module")
def sources(world):
    return source_identities(world, "build-box", "ci-deployer", "github-actions")


def source_identities(world, user: str, deployer: str, web_role: str) -> dict:
    """A second IAM user (the keys a credential_process or an instance holds) and roles for them."""
    key_id, secret = world.sts.create_user(IDENTITY, user)
    world.sts.create_role(DEV, deployer, IDENTITY)
    web_role_arn = world.sts.create_web_identity_role(DEV, web_role)
    world.secrets.add(secret)
    return {"key": Credentials(key_id, secret), "web_role": web_role_arn}


def session_of(world, key: Credentials) -> Credentials:
    """Temporary credentials for `key`, as an instance profile or a process would hand them out."""
    import boto3

    sts = boto3.client("sts", endpoint_url=world.sts.url, region_name="us-east-1",
                       aws_access_key_id=key.access_key_id, aws_secret_access_key=key.secret_access_key)
    raw = sts.get_session_token(DurationSeconds=3600)["Credentials"]
    world.secrets.update({raw["SecretAccessKey"], raw["SessionToken"]})
    return Credentials(raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"], raw["Expiration"])


def add_profiles(hats, text: str) -> None:
    """Append profiles, each with a region (the aws CLI needs one)."""
    import re

    config = hats.home / ".aws/config"
    config.write_text(config.read_text() + re.sub(r"(\[profile [^]]+\]\n)", r"\1region = eu-west-1\n", text))


def process_script(hats, name: str, body: str) -> str:
    """A credential_process command: a Python script that counts its runs in `<name>.runs`.

    What it prints comes from PROCESS_OUTPUT in its environment (see `printing`), so
    no secret is written to a file the final secret scan would find.
    """
    script = hats.home / f"{name}.py"
    runs = hats.home / f"{name}.runs"
    script.write_text(f"import json, os, sys\nopen({str(runs)!r}, 'a').write('run\\n')\n{body}\n")
    return f"{sys.executable} {script}"


def runs(hats, name: str) -> int:
    path = hats.home / f"{name}.runs"
    return path.read_text().count("run") if path.exists() else 0


PRINT_OUTPUT = "print(os.environ['PROCESS_OUTPUT'])"


def printing(credentials: Credentials) -> dict[str, str]:
    """The environment under which a PRINT_OUTPUT script prints these credentials as Version 1 JSON."""
    document = {"Version": 1, "AccessKeyId": credentials.access_key_id,
                "SecretAccessKey": credentials.secret_access_key}
    if credentials.session_token:
        document.update(SessionToken=credentials.session_token, Expiration=iso(credentials.expiration))
    return {"PROCESS_OUTPUT": json.dumps(document)}


# -- credential_process ---------------------------------------------------------------------
def test_a_credential_process_profile_runs_the_aws_cli_with_what_it_prints(hats, world, sources):
    command = process_script(hats, "keys", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    for _ in range(2):
        done = hats.run("exec", "build", "--", *WHOAMI, env=printing(sources["key"]))
        assert caller_arn(done) == f"arn:aws:iam::{IDENTITY}:user/build-box"
    assert runs(hats, "keys") == 2  # long-term keys are not cached as a session: asked each time


def test_temporary_process_credentials_are_kept_in_the_keyring_until_they_expire(hats, world, sources):
    command = process_script(hats, "session", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n")
    output = printing(session_of(world, sources["key"]))
    for _ in range(2):
        done = hats.run("exec", "build", "--", *WHOAMI, env=output)
        assert caller_arn(done) == f"arn:aws:iam::{IDENTITY}:user/build-box"
    assert runs(hats, "session") == 1
    sessions = {row["profile"]: row["sessions"] for row in json.loads(hats.run("list", "--json").stdout)}
    assert [s["kind"] for s in sessions["build"]] == ["process"]


def test_a_role_chained_from_a_credential_process_source(hats, world, sources):
    command = process_script(hats, "keys", PRINT_OUTPUT)
    add_profiles(hats, f"\n[profile build]\ncredential_process = {command}\n"
                       f"\n[profile deploy]\nsource_profile = build\nrole_arn = {DEPLOYER}\n"
                       f"\n[profile deploy-prod]\nsource_profile = deploy\n"
                       f"role_arn = arn:aws:iam::{PROD}:role/prod-hop\n")
    done = hats.run("exec", "deploy-prod", "--", *WHOAMI, env=printing(sources["key"]))
    assert caller_arn(done) == f"arn:aws:sts::{PROD}:assumed-role/prod-hop/build"
    assert [c["role_arn"] for c in world.sts.calls if c["action"] == "AssumeRole"] == [
        DEPLOYER, f"arn:aws:iam::{PROD}:role/prod-hop"]


def test_the_process_stderr_reaches_the_person(hats, world, sources):
    body = "print('touch your security key', file=sys.stderr)\n" + PRINT_OUTPUT
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'asks', body)}\n")
    done = hats.run("exec", "build", "--", "true", env=printing(sources["key"]))
    assert done.returncode == 0 and "touch your security key" in done.stderr


def test_a_process_with_nothing_to_assume_runs_without_botocore_or_the_renewal_lock(hats, sources):
    """No STS call is to be made, so none of what one costs: botocore's import, the lock file."""
    import subprocess

    from tui.locks import RunLock

    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'keys', PRINT_OUTPUT)}\n")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui", "exec", "build", "--", "true"],
                          env={**hats.env, **printing(sources["key"])}, capture_output=True, text=True,
                          start_new_session=True)
    assert done.returncode == 0, done.stderr
    assert runs(hats, "keys") == 1
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "tui.providers.process" in imported
    assert not {name for name in imported if name.split(".")[0] in ("boto3", "botocore")}
    lock = RunLock.named(hats.home / ".local/state/hats/locks", "renew/build", "")
    assert not lock.path.exists()


async def status_says(pilot, app, part: str, within: float) -> None:
    """Wait, while the app runs, until its status line holds `part` (or the time is up)."""
    from tests.test_tui import status_text

    deadline = time.monotonic() + within
    while part not in status_text(app) and time.monotonic() < deadline:
        await pilot.pause(0.05)


async def test_in_the_app_the_process_stderr_is_a_status_line_not_on_the_screen(app_env, sources, monkeypatch,
                                                                               capfd):
    """A process that asks for a touch while it waits: the app says it, escaped, and the terminal gets nothing."""
    from tests.test_tui import SIZE, highlight, make_app, settle, status_text

    body = ("if open(sys.argv[0][:-3] + '.runs').read().count('run') == 1:  # not the shell's server's runs\n"
            "    print('touch your security key\\x1b[2J', file=sys.stderr, flush=True)\n"
            "    import time; time.sleep(2)\n" + PRINT_OUTPUT)
    add_profiles(app_env, f"\n[profile build]\ncredential_process = {process_script(app_env, 'asks', body)}\n")
    for name, value in printing(sources["key"]).items():
        monkeypatch.setenv(name, value)
    app, recorder = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "build")
        await pilot.press("enter")
        await status_says(pilot, app, "touch", within=1.5)
        assert status_text(app) == ("warning: profile 'build': credential_process says: "
                                    "touch your security key\\x1b[2J")
        await settle(pilot, app, 2.5)
        assert recorder.arn == f"arn:aws:iam::{IDENTITY}:user/build-box"
    assert "touch your security key" not in capfd.readouterr().err


def test_a_failing_process_whose_stderr_the_app_takes_names_its_last_line_in_the_error(hats):
    """In the app the failure is the status line that stays, so it carries what the process said."""
    from tui.errors import HatsError
    from tui.providers.process import STDERR_LINE_CHARS, ProcessProvider

    body = "print('no network', file=sys.stderr)\nprint('token expired; run: sso login ' + 'x' * 300, file=sys.stderr)\nsys.exit(4)"
    said: list[str] = []
    provider = ProcessProvider("build", process_script(hats, "fails", body), said.append)
    with pytest.raises(HatsError) as failed:
        provider.retrieve()
    last = "token expired; run: sso login " + "x" * (STDERR_LINE_CHARS - 31) + "…"
    assert str(failed.value) == f"profile 'build': credential_process exited with status 4; its last line: {last}"
    assert said == [f"profile 'build': credential_process says: {line}" for line in ("no network", last)]


@pytest.mark.parametrize("body, says", [
    ("sys.exit(3)", "credential_process exited with status 3"),
    ("print('AccessKeyId=AKIAJUNK SecretAccessKey=hunter2hunter2hunter2')", "credential_process printed something that is not JSON"),
    ("print(json.dumps({'Version': 2, 'AccessKeyId': 'AKIAJUNK', 'SecretAccessKey': 'hunter2hunter2hunter2'}))",
     'credential_process printed no "Version": 1, the only version the AWS CLI reads'),
    ("print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIAJUNK'}))", "credential_process printed no SecretAccessKey"),
    ("print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIAJUNK', 'SecretAccessKey': 'hunter2hunter2hunter2', "
     "'SessionToken': 't', 'Expiration': 'soon'}))", "credential_process printed an Expiration that is not an ISO 8601 time"),
])
def test_a_failing_process_is_one_line_naming_the_profile_and_never_echoes_its_output(hats, body, says):
    add_profiles(hats, f"\n[profile build]\ncredential_process = {process_script(hats, 'bad', body)}\n")
    for command in (("exec", "build", "--", "true"), ("export", "build", "--format", "json")):
        done = hats.run(*command)
        assert done.returncode != 0
        assert done.stderr == f"hats: profile 'build': {says}\n"
        assert "hunter2" not in done.stdout + done.stderr


def test_a_missing_process_command_is_one_line(hats):
    add_profiles(hats, "\n[profile build]\ncredential_process = /nonexistent/creds --json\n")
    done = hats.run("exec", "build", "--", "true")
    assert (done.returncode, done.stderr) == (
        1, "hats: profile 'build': credential_process cannot be run: No such file or directory\n")


def test_a_process_that_hangs_is_stopped_at_the_bound(hats, monkeypatch):
    """In this process, with the 60 s bound shortened to 1 s so the test does not wait a minute."""
    from tui.errors import HatsError
    from tui.providers import process

    monkeypatch.setattr(process, "TIMEOUT_SECONDS", 1)
    provider = process.ProcessProvider("build", f"{sys.executable} -c 'import time; time.sleep(30)'")
    started = time.monotonic()
    with pytest.raises(HatsError) as stopped:
        provider.retrieve()
    assert time.monotonic() - started < 10
    assert str(stopped.value) == "profile 'build': credential_process gave no answer within 1 s and was stopped"


# -- credential_source ----------------------------------------------------------------------
def test_credential_source_environment_assumes_the_role_with_the_callers_keys(hats, world, sources):
    add_profiles(hats, f"\n[profile ci]\nrole_arn = {DEPLOYER}\ncredential_source = Environment\n")
    key = sources["key"]
    done = hats.run("exec", "ci", "--", *WHOAMI,
                    env={"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key})
    assert caller_arn(done).startswith(f"arn:aws:sts::{DEV}:assumed-role/ci-deployer/")


def test_credential_source_ec2_instance_metadata_asks_imdsv2_for_a_token_first(hats, world, sources):
    add_profiles(hats, f"\n[profile box]\nrole_arn = {DEPLOYER}\ncredential_source = Ec2InstanceMetadata\n")
    with InstanceMetadata(session_of(world, sources["key"])) as imds:
        done = hats.run("exec", "box", "--", *WHOAMI, env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url})
        assert caller_arn(done).startswith(f"arn:aws:sts::{DEV}:assumed-role/ci-deployer/")
        assert imds.requests[0] == ("PUT", "/latest/api/token")
        assert ("GET", "/latest/meta-data/iam/security-credentials/ec2-instance-role") in imds.requests


def test_credential_source_ecs_container_uses_the_full_uri_and_its_token(hats, world, sources):
    add_profiles(hats, f"\n[profile task]\nrole_arn = {DEPLOYER}\ncredential_source = EcsContainer\n")
    with ContainerEndpoint(session_of(world, sources["key"])) as endpoint:
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.full_uri,
               "AWS_CONTAINER_AUTHORIZATION_TOKEN": endpoint.token}
        assert caller_arn(hats.run("exec", "task", "--", *WHOAMI, env=env)).startswith(
            f"arn:aws:sts::{DEV}:assumed-role/ci-deployer/")
        refused = hats.run("exec", "task", "--renew", "--", "true",
                           env={**env, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong"})
    assert refused.returncode != 0 and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith("hats: profile 'task': credential_source = EcsContainer: ")


def test_an_unreachable_metadata_service_is_one_line(hats):
    add_profiles(hats, f"\n[profile box]\nrole_arn = {DEPLOYER}\ncredential_source = Ec2InstanceMetadata\n")
    done = hats.run("exec", "box", "--", "true", env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9/"})
    assert done.returncode != 0
    assert done.stderr == ("hats: profile 'box': credential_source = Ec2InstanceMetadata: "
                           "the EC2 instance metadata service: no credentials there\n")


def test_source_profile_and_credential_source_together_are_refused_as_botocore_does(hats):
    add_profiles(hats, f"\n[profile both]\nrole_arn = {DEPLOYER}\nsource_profile = jan-work\n"
                       "credential_source = Environment\n")
    done = hats.run("exec", "both", "--", "true")
    assert done.returncode == 2
    assert done.stderr == ("hats: profile 'both' has both source_profile and credential_source; "
                           "botocore takes only one\n")


# -- web identity ---------------------------------------------------------------------------
def test_web_identity_reads_the_token_file_for_each_call(hats, world, sources):
    token_file = hats.home / "token"
    token_file.write_text(world.sts.issue_web_identity_token(sources["web_role"]))
    add_profiles(hats, f"\n[profile gha]\nrole_arn = {sources['web_role']}\nweb_identity_token_file = {token_file}\n"
                       f"role_session_name = run-42\n"
                       f"\n[profile gha-prod]\nsource_profile = gha\nrole_arn = arn:aws:iam::{PROD}:role/prod-hop\n")
    assert caller_arn(hats.run("exec", "gha", "--", *WHOAMI)) == (
        f"arn:aws:sts::{DEV}:assumed-role/github-actions/run-42")
    assert caller_arn(hats.run("exec", "gha-prod", "--", *WHOAMI)) == (
        f"arn:aws:sts::{PROD}:assumed-role/prod-hop/gha")
    token_file.write_text("eyJrevoked")
    refused = hats.run("exec", "gha", "--renew", "--", "true")
    assert refused.returncode == 5
    assert "InvalidIdentityToken" in refused.stderr and len(refused.stderr.splitlines()) == 1


# -- the app's tree ---------------------------------------------------------------------------
async def test_the_tree_roots_each_source_with_its_own_mark(app_env):
    """Each base that is not a key is a root, tagged by its source, with the roles it sources under it."""
    from tests.test_tui import SIZE, make_app, settle

    add_profiles(app_env, "\n[profile build]\ncredential_process = /bin/true\n"
                          f"\n[profile deploy]\nsource_profile = build\nrole_arn = {DEPLOYER}\n"
                          f"\n[profile box]\nrole_arn = {DEPLOYER}\ncredential_source = Ec2InstanceMetadata\n"
                          f"\n[profile gha]\nrole_arn = {DEPLOYER}\nweb_identity_token_file = /run/token\n")
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        tree = app.main.tree
        roots = {node.data.name: node for node in tree.root.children if node.data}
        assert {"build", "box", "gha", "jan-work"} <= set(roots)
        assert [child.data.name for child in roots["build"].children] == ["deploy"]
        labels = {name: tree.label_for(name).plain for name in ("build", "box", "gha", "jan-work", "deploy")}
        assert "process" in labels["build"] and "EC2 role" in labels["box"] and "web identity" in labels["gha"]
        assert not any(tag in labels["jan-work"] + labels["deploy"] for tag in ("process", "EC2", "web identity"))
        assert not {"build", "deploy", "box", "gha"} & set(tree.forest.broken)


# -- list and login -------------------------------------------------------------------------
def test_hats_list_names_where_each_chain_starts(hats, sources):
    add_profiles(hats, "\n[profile build]\ncredential_process = /bin/true\n"
                       f"\n[profile deploy]\nsource_profile = build\nrole_arn = {DEPLOYER}\n"
                       f"\n[profile box]\nrole_arn = {DEPLOYER}\ncredential_source = Ec2InstanceMetadata\n")
    listed = hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["profile"]: row for row in json.loads(listed.stdout)}
    assert {name: rows[name]["source"] for name in ("build", "deploy", "box", "jan-work", "auditor")} == {
        "build": "credential_process", "deploy": "credential_process", "box": "credential_source",
        "jan-work": "key", "auditor": "key"}
    assert rows["box"]["chain"] == ["box", "box"] and rows["deploy"]["chain"] == ["build", "deploy"]
    table = hats.run("list").stdout
    assert next(line for line in table.splitlines() if line.startswith("build ")).split()[-2] == "credential_process"


def test_hats_login_from_a_web_identity_role_signs_in_with_its_session(request, hats, world, sources):
    from tests.test_signin import login_query

    federation_stub = request.getfixturevalue("stub")  # test_signin's stand-in for AWS's federation endpoint

    token_file = hats.home / "token"
    token_file.write_text(world.sts.issue_web_identity_token(sources["web_role"]))
    add_profiles(hats, f"\n[profile gha]\nrole_arn = {sources['web_role']}\nweb_identity_token_file = {token_file}\n")
    done = hats.run("login", "gha", "--stdout", env={"HATS_SIGNIN_URL": federation_stub.url})
    assert done.returncode == 0, done.stderr
    assert login_query(done.stdout.strip())[1]["SigninToken"] in federation_stub.tokens
    assert world.sts.count("AssumeRoleWithWebIdentity") == 1 and world.sts.count("GetFederationToken") == 0

"""The credential server: the real aws CLI reads it, it renews, it refuses strangers, it goes away."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import DEV, config_text
from tui.credentials import Credentials, utcnow
from tui.child.credential_server import CredentialServer

ROLE_ARN = f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
RENEW_HINT = "run `hats exec --renew auditor -- true` in any shell, then run the command again"


class Clock:
    """The engine's clock, which a test moves forward."""

    def __init__(self):
        self.offset = timedelta()

    def __call__(self):
        return utcnow() + self.offset


class CodeOnce:
    """An MFA source that hands out one code; a second request is a prompt the user would see."""

    def __init__(self, code: str):
        self.code = code
        self.asked = 0

    def __call__(self, serial: str, profile: str, refused: str | None) -> str:
        self.asked += 1
        if self.asked > 1:
            raise AssertionError("asked for a second MFA code")
        return self.code


@pytest.fixture
def engine(tmp_path, world, monkeypatch):
    """An in-process engine over the local STS and an encrypted-file vault, with a movable clock."""
    from tui.store.encrypted_file import EncryptedFileStore
    from tui.profiles import load
    from tui.engine import Engine, Policy
    from tui.store.vault import Vault

    (tmp_path / "config").write_text(config_text(world.serial))
    for name in ("HATS_REFRESH_MARGIN", "HATS_SESSION_DURATION", "AWS_PROFILE", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", world.sts.url)
    vault = Vault(EncryptedFileStore(tmp_path / "vault.json", lambda: "pw"), lock_dir=tmp_path / "locks")
    vault.set_key("jan-work", Credentials(world.key_id, world.secret))
    world.sts.reset_calls()
    clock = Clock()
    made = Engine(load(tmp_path / "config", tmp_path / "credentials"), vault, CodeOnce(world.code()),
                  Policy(clock=clock))
    made.clock = clock
    return made


@pytest.fixture
def server(engine, world, capfd):
    """The server as `hats exec` will run it; afterwards, nothing it printed holds a secret."""
    with CredentialServer(lambda: engine.credentials("auditor").credentials, profile="auditor") as running:
        yield running
    out, err = capfd.readouterr()
    printed = out + err
    assert not [secret for secret in world.secrets | {running.token} if secret in printed]
    assert "HTTP/1." not in printed, "http.server's request log reached the user's terminal"


def get(server: CredentialServer, token: str | None = "right", method: str = "GET") -> tuple[int, dict]:
    headers = {} if token is None else {"Authorization": server.token if token == "right" else token}
    request = urllib.request.Request(server.url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        with refused:
            body = refused.read()
        return refused.code, json.loads(body) if body else {}


def served(world, body: dict) -> dict:
    world.secrets.update({body["SecretAccessKey"], body["Token"]})
    return body


def clean_aws_env(tmp_path: Path, world, server: CredentialServer) -> dict[str, str]:
    """What the child of `hats exec` sees: the server's two variables and no keys or profiles."""
    home = tmp_path / "child-home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws/config").write_text("")
    return {"PATH": os.environ["PATH"], "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / ".aws/config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws/credentials"),
            "AWS_ENDPOINT_URL": world.sts.url, "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true", **server.env()}


def test_the_aws_cli_gets_role_credentials_from_the_server(server, world, tmp_path):
    env = clean_aws_env(tmp_path, world, server)
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    done = subprocess.run(["aws", "sts", "get-caller-identity", "--output", "json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == ROLE_ARN


def test_boto3_in_the_child_process_is_served_too(server, world, tmp_path):
    script = ("import boto3; s = boto3.Session(); c = s.get_credentials();"
              "print(c.method, s.client('sts').get_caller_identity()['Arn'])")
    done = subprocess.run([sys.executable, "-c", script], env=clean_aws_env(tmp_path, world, server),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["container-role", ROLE_ARN]


def test_the_answer_is_the_ecs_container_format(server, world):
    status, body = get(server)
    assert status == 200
    body = served(world, body)
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert body["AccessKeyId"].startswith("ASIA")
    from tui.credentials import parse_iso

    assert body["Expiration"].endswith("Z") and 3000 < (parse_iso(body["Expiration"]) - utcnow()).total_seconds() <= 3600


def test_without_the_token_or_with_a_wrong_one_there_are_no_credentials(server, world):
    status, good = get(server)
    served(world, good)
    for token in (None, "", server.token[:-1], server.token + "x", "Bearer " + server.token):
        status, body = get(server, token)
        assert status == 401, token
        text = json.dumps(body)
        assert good["AccessKeyId"] not in text and good["SecretAccessKey"] not in text and good["Token"] not in text
        assert body["Message"].startswith("hats: ")


def test_only_get_is_answered(server):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, body = get(server, method=method)
        assert status == 405 and "GET only" in body["Message"], method
    assert get(server, method="HEAD")[0] == 405


def test_a_stale_role_is_renewed_from_the_mfa_session_without_a_code(server, engine, world):
    _, first = get(server)
    first = served(world, first)
    assert engine.mfa.asked == 1 and world.sts.count("AssumeRole") == 1
    # The role session has an hour; 56 minutes on, it is inside the 5-minute margin.
    engine.clock.offset = timedelta(minutes=56)
    status, second = get(server)
    assert status == 200
    second = served(world, second)
    assert second["AccessKeyId"] != first["AccessKeyId"]
    assert engine.mfa.asked == 1, "asked the user for an MFA code"
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == 2


def test_when_the_mfa_session_has_ended_the_user_reads_how_to_renew(server, engine, world, tmp_path):
    served(world, get(server)[1])
    # As `hats exec` wires it: the server's engine has no way to ask for a code.
    engine.mfa = None
    engine.clock.offset = timedelta(hours=5)
    status, body = get(server)
    assert status == 503 and body["Code"] == "MfaError"
    assert body["Message"] == ("hats: profile 'auditor' needs an MFA code and there is no way to ask for one; "
                               + RENEW_HINT)
    # What the aws CLI in the child prints, word for word after its own preamble.
    env = clean_aws_env(tmp_path, world, server)
    done = subprocess.run(["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.strip() == (
        "Error when retrieving credentials from container-role: Error retrieving metadata: "
        "Received non 200 response 503 from container metadata: " + json.dumps(body))


def test_a_session_renewed_in_another_shell_is_picked_up(server, engine, world):
    from tui.mfa import FixedToken
    from tui.engine import Engine, Policy

    served(world, get(server)[1])
    engine.mfa = None
    engine.vault.clear_sessions()  # the sessions are gone (as after `hats clear`): a code is needed
    assert get(server)[0] == 503
    # `hats exec --renew auditor -- true` in another shell: same vault, a fresh code.
    other = Engine(engine.profiles, engine.vault, FixedToken(world.code()), Policy())
    renewed = other.credentials("auditor", renew=True)
    status, body = get(server)
    assert status == 200 and body["AccessKeyId"] == renewed.credentials.access_key_id
    served(world, body)


def test_an_unexpected_failure_is_a_generic_500_without_details(world, capfd):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    def broken():
        raise KeyError(secret)

    with CredentialServer(broken, profile="auditor") as running:
        status, body = get(running)
    assert status == 500 and body["Code"] == "InternalError"
    assert secret not in json.dumps(body) and "Traceback" not in json.dumps(body)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_parallel_requests_call_provide_one_at_a_time(world):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    inside, most, guard = 0, 0, threading.Lock()

    def provide():
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        with guard:
            inside -= 1
        return Credentials("ASIAEXAMPLEEXAMPLE00", "secret-secret-secret", "token", utcnow() + timedelta(hours=1))

    with CredentialServer(provide) as running, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: get(running)[0], range(16)))
    assert answers == [200] * 16 and most == 1


def test_after_stop_the_port_refuses_connections(engine):
    running = CredentialServer(lambda: engine.credentials("auditor").credentials).start()
    port = int(running.url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    running.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    running.stop()  # twice is harmless


def test_it_listens_on_loopback_only():
    with pytest.raises(ValueError):
        CredentialServer(lambda: None, host="0.0.0.0")


def test_importing_it_pulls_in_neither_boto3_nor_textual():
    code = ("import sys, tui.child.credential_server\n"
            "print(' '.join(n for n in sys.modules if n.split('.')[0] in ('textual', 'boto3', 'botocore')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == ""

"""Console sign-in: real STS sessions from the local STS, a local federation endpoint that judges them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import DEV
from tui import signin, sts
from tui.credentials import Credentials
from tui.errors import HatsError
from tui.sandbox.loopback import reply
from tui.signin import SigninError, console_url

AUDITOR = f"arn:aws:iam::{DEV}:role/auditor"


class FederationStub:
    """signin.aws.amazon.com/federation as far as hats sees it, on 127.0.0.1.

    It refuses (400, as AWS does) GetSessionToken credentials, and SessionDuration with
    chained-role or GetFederationToken credentials; the tests mark which keys are which.
    `mode` makes it misbehave: "not-json" or "no-token".
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.session_token_keys: set[str] = set()
        self.no_duration_keys: set[str] = set()
        self.tokens: dict[str, str] = {}    # SigninToken -> the sessionId it was issued for
        self.mode = "ok"
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/federation"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, http):
        query = {k: v[0] for k, v in parse_qs(urlsplit(http.path).query, keep_blank_values=True).items()}
        self.requests.append(query)
        try:
            session = json.loads(query.get("Session", ""))
            fields_ok = all(isinstance(session.get(f), str) and session[f]
                            for f in ("sessionId", "sessionKey", "sessionToken"))
        except ValueError:
            session, fields_ok = {}, False
        akid = session.get("sessionId", "") if isinstance(session, dict) else ""
        if (query.get("Action") != "getSigninToken" or not fields_ok or akid in self.session_token_keys
                or ("SessionDuration" in query and akid in self.no_duration_keys)):
            return self.reply(http, 400, b"<html>Invalid Credentials Parameter</html>", "text/html")
        if self.mode == "not-json":
            return self.reply(http, 200, b"<html>Sign in</html>", "text/html")
        if self.mode == "no-token":
            return self.reply(http, 200, b'{"Message": "busy"}', "application/json")
        token = f"token-{len(self.tokens) + 1}"
        self.tokens[token] = akid
        self.reply(http, 200, json.dumps({"SigninToken": token}).encode(), "application/json")

    reply = staticmethod(reply)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def federation():
    stub = FederationStub()
    yield stub
    stub.stop()


@pytest.fixture
def stub(federation, world, tmp_path, monkeypatch):
    """The stub as HATS_SIGNIN_URL; tui.sts pointed at the local STS with no profile files."""
    federation.requests.clear()
    federation.mode = "ok"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL_STS", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", world.sts.url)
    monkeypatch.setenv("HATS_SIGNIN_URL", federation.url)
    world.sts.reset_calls()
    return federation


def user_key(world) -> Credentials:
    return Credentials(world.key_id, world.secret)


def seen(world, credentials: Credentials) -> Credentials:
    world.secrets.update({credentials.secret_access_key, credentials.session_token})
    return credentials


def direct_role(world) -> Credentials:
    """auditor assumed straight from the long-term key, with the MFA code on the call."""
    assumed = sts.assume_role(user_key(world), "auditor", AUDITOR, "tester", None, None,
                              sts.MfaCode(world.serial, world.code()))
    return seen(world, assumed.credentials)


def mfa_session(world) -> Credentials:
    return seen(world, sts.get_session_token(user_key(world), "jan-work", 3600,
                                             sts.MfaCode(world.serial, world.code())))


def chained_role(world) -> Credentials:
    """auditor assumed from an MFA GetSessionToken session: role chaining, as hats usually does it."""
    return seen(world, sts.assume_role(mfa_session(world), "auditor", AUDITOR, "tester", None, None,
                                       None).credentials)


def login_query(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


def assert_secret_free(message: str, *credentials: Credentials) -> None:
    assert "\n" not in message
    for creds in credentials:
        assert creds.secret_access_key not in message
        assert not creds.session_token or creds.session_token not in message


# -- roles ------------------------------------------------------------------------------------
def test_a_role_session_gives_a_login_url_for_its_region(stub, world):
    role = direct_role(world)
    url = console_url(role, partition="aws", region="eu-west-1", session_duration=7200)
    endpoint, query = login_query(url)
    assert endpoint == stub.url
    assert query["Action"] == "login"
    assert query["Issuer"] == "hats"
    assert query["Destination"] == "https://console.aws.amazon.com/console/home?region=eu-west-1"
    assert stub.tokens[query["SigninToken"]] == role.access_key_id
    [request] = stub.requests
    assert request["Action"] == "getSigninToken"
    assert request["SessionDuration"] == "7200"
    assert json.loads(request["Session"]) == {"sessionId": role.access_key_id,
                                              "sessionKey": role.secret_access_key,
                                              "sessionToken": role.session_token}


def test_a_chained_role_leaves_session_duration_out(stub, world):
    role = chained_role(world)
    stub.no_duration_keys.add(role.access_key_id)   # AWS refuses SessionDuration for chained roles
    url = console_url(role, region="eu-central-1", chained=True, session_duration=7200)
    _, query = login_query(url)
    assert stub.tokens[query["SigninToken"]] == role.access_key_id
    assert query["Destination"] == "https://console.aws.amazon.com/console/home?region=eu-central-1"
    [request] = stub.requests
    assert "SessionDuration" not in request


def test_without_a_session_duration_none_is_sent(stub, world):
    url = console_url(direct_role(world))
    _, query = login_query(url)
    assert query["Destination"] == "https://console.aws.amazon.com/"
    assert "SessionDuration" not in stub.requests[0]


def test_the_destination_may_be_a_service_page_or_a_whole_url(stub, world):
    role = direct_role(world)
    _, query = login_query(console_url(role, region="eu-west-1", destination="ec2/home#Instances:"))
    assert query["Destination"] == "https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"
    _, query = login_query(console_url(role, destination="https://example.console.aws.amazon.com/s3/"))
    assert query["Destination"] == "https://example.console.aws.amazon.com/s3/"


def test_get_session_token_credentials_are_refused_in_one_line(stub, world):
    session = mfa_session(world)
    stub.session_token_keys.add(session.access_key_id)
    with pytest.raises(SigninError) as refused:
        console_url(session, region="eu-west-1")
    message = str(refused.value)
    assert message == (f"the AWS sign-in endpoint {stub.url} refused the session (HTTP 400 Bad Request): "
                       "it takes only AssumeRole or GetFederationToken credentials, never GetSessionToken ones")
    assert_secret_free(message, session)
    assert isinstance(refused.value, HatsError)


def test_a_long_term_key_is_never_sent_to_the_endpoint(stub, world):
    with pytest.raises(SigninError, match="only temporary credentials"):
        console_url(user_key(world))
    assert stub.requests == []


def test_a_session_duration_outside_aws_limits_is_refused_before_any_request(stub, world):
    role = direct_role(world)
    with pytest.raises(SigninError, match="900-43200"):
        console_url(role, session_duration=60)
    assert stub.requests == []


# -- IAM users: GetFederationToken --------------------------------------------------------------
def test_a_user_key_gets_a_federation_token_then_a_url(stub, world):
    federated = seen(world, signin.get_federation_token(user_key(world), "jan-work", 3600))
    assert federated.is_temporary and federated.expiration is not None
    [call] = [c for c in world.sts.calls if c["action"] == "GetFederationToken"]
    assert call["ok"] and call["access_key_id"] == world.key_id and call["duration"] == "3600"
    stub.no_duration_keys.add(federated.access_key_id)   # AWS: never SessionDuration with these
    url = console_url(federated, region="eu-west-1", federated=True, session_duration=3600)
    _, query = login_query(url)
    assert stub.tokens[query["SigninToken"]] == federated.access_key_id
    assert "SessionDuration" not in stub.requests[0]


def test_user_console_url_does_both_steps(stub, world):
    url = signin.user_console_url(user_key(world), "jan-work", region="eu-west-1", duration=900)
    _, query = login_query(url)
    assert query["Action"] == "login" and query["SigninToken"] in stub.tokens
    assert world.sts.count("GetFederationToken") == 1
    assert "SessionDuration" not in stub.requests[0]
    assert world.key_id not in stub.requests[0]["Session"]     # the long-term key goes to STS only
    assert world.secret not in stub.requests[0]["Session"]


def test_federation_needs_the_long_term_key(stub, world):
    session = mfa_session(world)
    world.sts.reset_calls()
    with pytest.raises(SigninError) as refused:
        signin.get_federation_token(session, "jan-work")
    assert str(refused.value) == ("GetFederationToken for profile 'jan-work' needs the user's long-term key; "
                                  "STS refuses it with session credentials")
    assert world.sts.calls == []


def test_a_federation_token_refused_by_sts_is_one_line(stub, world):
    stranger = Credentials("AKIA" + "Z" * 16, "not-a-secret-that-sts-knows-0000000000000")
    with pytest.raises(HatsError) as refused:
        signin.get_federation_token(stranger, "jan-work")
    assert str(refused.value).startswith("GetFederationToken for profile 'jan-work' refused: InvalidClientTokenId")
    assert_secret_free(str(refused.value), stranger)


@pytest.mark.parametrize("profile, name", [
    ("jan-work", "jan-work"),
    ("team/prod admin", "team-prod-admin"),
    ("x", "hats-x"),
    ("a-very-long-profile-name-for-the-production-account", "a-very-long-profile-name-for-the"),
    ("zürich", "z-rich"),
])
def test_federation_names_fit_aws_rules(profile, name):
    assert signin.federation_name(profile) == name
    assert 2 <= len(name) <= 32


# -- partitions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("arn, region, partition", [
    (AUDITOR, "cn-north-1", "aws"),       # the ARN says where the credentials live
    ("arn:aws-cn:iam::123456789012:role/ops", None, "aws-cn"),
    ("arn:aws-us-gov:iam::123456789012:role/ops", "us-east-1", "aws-us-gov"),
    ("arn:aws-us-gov:iam::123456789012:mfa/jan", None, "aws-us-gov"),
    (None, "cn-northwest-1", "aws-cn"),
    (None, "us-gov-west-1", "aws-us-gov"),
    (None, "eu-west-1", "aws"),
    (None, None, "aws"),
    (None, "us-iso-east-1", "aws-iso"),
])
def test_partition_from_arn_or_region(arn, region, partition):
    assert signin.partition_of(arn, region) == partition


@pytest.mark.parametrize("partition, endpoint, console", [
    ("aws", "https://signin.aws.amazon.com/federation",
     "https://console.aws.amazon.com/console/home?region=eu-west-1"),
    ("aws-cn", "https://signin.amazonaws.cn/federation",
     "https://console.amazonaws.cn/console/home?region=eu-west-1"),
    ("aws-us-gov", "https://signin.amazonaws-us-gov.com/federation",
     "https://console.amazonaws-us-gov.com/console/home?region=eu-west-1"),
])
def test_each_partition_has_its_endpoints(partition, endpoint, console, monkeypatch):
    monkeypatch.delenv("HATS_SIGNIN_URL", raising=False)
    assert signin.federation_endpoint(partition) == endpoint
    assert signin.console_destination(partition, "eu-west-1") == console


def test_a_china_role_lands_on_the_china_console(stub, world):
    arn = "arn:aws-cn:iam::123456789012:role/ops"
    region = "cn-north-1"
    url = console_url(direct_role(world), partition=signin.partition_of(arn, region), region=region)
    _, query = login_query(url)
    assert query["Destination"] == "https://console.amazonaws.cn/console/home?region=cn-north-1"


def test_a_partition_without_a_console_is_named(stub, world, monkeypatch):
    monkeypatch.delenv("HATS_SIGNIN_URL")
    with pytest.raises(SigninError, match="partition 'aws-iso'"):
        console_url(direct_role(world), partition="aws-iso")
    assert stub.requests == []


def test_hats_signin_url_must_not_send_credentials_in_clear(stub, world, monkeypatch):
    monkeypatch.setenv("HATS_SIGNIN_URL", "http://signin.example.com/federation?x=1")
    with pytest.raises(SigninError) as refused:
        console_url(direct_role(world))
    assert str(refused.value) == ("sign-in endpoint 'http://signin.example.com/federation' must be an "
                                  "https:// URL (http:// only on localhost): it is sent credentials")


# -- the endpoint misbehaving ---------------------------------------------------------------------
def test_an_unreachable_endpoint_is_one_line(stub, world, monkeypatch):
    role = direct_role(world)
    with socket.socket() as closed:  # bound, never listening: refuses, and no one else can take it
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/federation"
        monkeypatch.setenv("HATS_SIGNIN_URL", dead)
        with pytest.raises(SigninError) as failed:
            console_url(role, region="eu-west-1")
    message = str(failed.value)
    assert message.startswith(f"cannot reach the AWS sign-in endpoint {dead}: ")
    assert "refused" in message.lower()
    assert_secret_free(message, role)
    assert role.access_key_id not in message


def test_a_silent_endpoint_times_out(stub, world, monkeypatch):
    role = direct_role(world)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/federation"
        monkeypatch.setattr(signin, "SIGNIN_TIMEOUT_SECONDS", 0.5)
        with pytest.raises(SigninError) as failed:
            console_url(role, endpoint=url)
    assert str(failed.value) == f"cannot reach the AWS sign-in endpoint {url}: timed out"


@pytest.mark.parametrize("mode, complaint", [
    ("not-json", "answered with something that is not JSON"),
    ("no-token", "answered without a SigninToken"),
])
def test_a_strange_answer_is_one_line(stub, world, mode, complaint):
    role = direct_role(world)
    stub.mode = mode
    with pytest.raises(SigninError) as failed:
        console_url(role)
    assert str(failed.value) == f"the AWS sign-in endpoint {stub.url} {complaint}"


# -- house rules -------------------------------------------------------------------------------------
def test_importing_signin_costs_no_boto_textual_or_urllib_request():
    code = ("import sys, tui.signin\n"
            "print(' '.join(sorted(n for n in sys.modules "
            "if n.split('.')[0] in ('textual', 'boto3', 'botocore') or n == 'urllib.request')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []



# -- `hats login` end to end ----------------------------------------------------------

def test_hats_login_prints_a_console_url_for_a_chained_role(stub, hats, world):
    federation = stub
    hats.add_key()
    done = hats.run("login", "prod-admin", "--stdout", "--mfa-token", world.code(),
                    env={"HATS_SIGNIN_URL": federation.url})
    assert done.returncode == 0, done.stderr
    path, query = login_query(done.stdout.strip())
    assert query["Action"] == "login" and query["SigninToken"] in federation.tokens
    assert "SessionDuration" not in federation.requests[-1]


def test_hats_login_for_a_plain_user_goes_through_a_federation_token(stub, hats, world):
    federation = stub
    hats.add_key()
    done = hats.run("login", "jan-work", "--stdout", env={"HATS_SIGNIN_URL": federation.url})
    assert done.returncode == 0, done.stderr
    assert world.sts.count("GetFederationToken") == 1 and world.sts.count("GetSessionToken") == 0
    assert "region=eu-west-1" in login_query(done.stdout.strip())[1]["Destination"]

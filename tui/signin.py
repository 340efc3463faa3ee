"""Console sign-in: temporary credentials in, an AWS console login URL out.

AWS's federation flow (IAM User Guide, "custom identity broker access to the
console"): GET the partition's federation endpoint with Action=getSigninToken
and the credentials as a JSON Session; it answers {"SigninToken": ...}; the
login URL is the same endpoint with Action=login, an Issuer, a Destination
and that token. The URL works for 15 minutes; the console session lasts as
long as the credentials, or SessionDuration when AWS allows one.

What the endpoint takes, and what hats does about it:

* AssumeRole credentials: yes. SessionDuration (900-43200 s) only when the
  role was assumed straight from a long-term key; with a chained role (one
  assumed from a GetSessionToken session or from another role) AWS refuses
  the request, so hats leaves SessionDuration out and the console lasts as
  long as the role session (at most an hour). aws-vault never sends it.
* GetFederationToken credentials: yes, never with SessionDuration (AWS says
  the request fails); their own duration (900-129600 s) is the console's.
* GetSessionToken credentials: never. A plain IAM user therefore signs in
  through sts:GetFederationToken, called with the user's long-term key (STS
  refuses it with session credentials) and an allow-everything inline
  policy: the session may do what the user may do, nothing more, as in
  aws-vault. GetFederationToken takes no MFA code, so the console session
  carries no aws:MultiFactorAuthPresent.

Only the standard library is used, imported late: `hats exec` imports
nothing of this, and `hats login` with a cached role session needs no
botocore. HATS_SIGNIN_URL replaces the federation endpoint (tests, proxies).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode, urlsplit

from . import settings
from .credentials import Credentials
from .errors import HatsError

SIGNIN_TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024
ISSUER = "hats"
ENDPOINT_VARIABLE = "HATS_SIGNIN_URL"

# partition -> (sign-in host, console host). Partitions without a public console
# (aws-iso, aws-iso-b, ...) are left out on purpose: asking for them is an error.
PARTITIONS = {
    "aws": ("signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-cn": ("signin.amazonaws.cn", "console.amazonaws.cn"),
    "aws-us-gov": ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
}
REGION_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"),
                     ("us-iso-", "aws-iso"), ("eusc-", "aws-eusc"))

SESSION_DURATION_RANGE = (900, 43200)        # getSigninToken's SessionDuration
FEDERATION_DURATION_RANGE = (900, 129600)    # sts:GetFederationToken's DurationSeconds, IAM users
DEFAULT_FEDERATION_SECONDS = 3600
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SigninError(HatsError):
    """The console sign-in could not be had: endpoint unreachable, or it said no."""

    exit_code = 6


# -- where to go ------------------------------------------------------------------------
def partition_of(arn: str | None, region: str | None) -> str:
    """The AWS partition of an ARN (a role's, or an MFA device's), else of a region name."""
    if arn and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 1 and parts[1]:
            return parts[1]
    for prefix, partition in REGION_PARTITIONS:
        if (region or "").startswith(prefix):
            return partition
    return "aws"


def _hosts(partition: str) -> tuple[str, str]:
    try:
        return PARTITIONS[partition]
    except KeyError:
        known = ", ".join(PARTITIONS)
        raise SigninError(f"AWS has no console sign-in hats knows of for partition '{partition}' "
                          f"(known: {known}); set {ENDPOINT_VARIABLE} to its federation endpoint") from None


def federation_endpoint(partition: str = "aws", endpoint: str | None = None) -> str:
    """The federation endpoint: `endpoint`, else $HATS_SIGNIN_URL, else the partition's."""
    chosen = endpoint or settings.signin_url()
    if not chosen:
        return f"https://{_hosts(partition)[0]}/federation"
    parts = urlsplit(chosen)
    if parts.scheme == "https" and parts.hostname:
        return chosen
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return chosen
    raise SigninError(f"sign-in endpoint '{_safe_url(chosen)}' must be an https:// URL "
                      f"(http:// only on localhost): it is sent credentials")


def console_destination(partition: str = "aws", region: str | None = None, destination: str | None = None) -> str:
    """The console page to land on.

    `destination` may be a whole https:// URL (used as it is) or a path on the
    partition's console such as "s3/home" or "ec2/home#Instances:".
    """
    if destination and destination.startswith("https://"):
        return destination
    host = _hosts(partition)[1]
    if not destination and not region:
        return f"https://{host}/"
    path, fragment = (destination or "console/home").lstrip("/"), ""
    if "#" in path:
        path, fragment = path.split("#", 1)
        fragment = "#" + fragment
    if region:
        path += ("&" if "?" in path else "?") + urlencode({"region": region})
    return f"https://{host}/{path}{fragment}"


# -- the sign-in URL ----------------------------------------------------------------------
def console_url(credentials: Credentials, *, partition: str = "aws", region: str | None = None,
                chained: bool = False, federated: bool = False, session_duration: int | None = None,
                endpoint: str | None = None, destination: str | None = None, issuer: str = ISSUER) -> str:
    """A console login URL for temporary credentials from AssumeRole or GetFederationToken.

    `chained`: the role was assumed with temporary credentials (a GetSessionToken
    session or another role). `federated`: the credentials come from
    GetFederationToken. In both cases AWS refuses SessionDuration, so
    `session_duration` is left out and the console lasts as long as the
    credentials. Without `session_duration` it is never sent.
    The URL holds a sign-in token: treat it as a secret for its 15 minutes.
    """
    if not credentials.is_temporary:
        raise SigninError("the AWS sign-in endpoint takes only temporary credentials (AssumeRole or "
                          "GetFederationToken); a long-term key must go through GetFederationToken first")
    if session_duration is not None:
        low, high = SESSION_DURATION_RANGE
        if not low <= session_duration <= high:
            raise SigninError(f"console session duration {session_duration} s is outside AWS's "
                              f"{low}-{high} s")
        if chained or federated:
            session_duration = None
    federation = federation_endpoint(partition, endpoint)
    landing = console_destination(partition, region, destination)
    token = _signin_token(credentials, federation, session_duration)
    query = urlencode({"Action": "login", "Issuer": issuer, "Destination": landing, "SigninToken": token})
    return f"{federation}{'&' if '?' in federation else '?'}{query}"


def user_console_url(key: Credentials, profile: str, *, partition: str = "aws", region: str | None = None,
                     duration: int = DEFAULT_FEDERATION_SECONDS, endpoint: str | None = None,
                     destination: str | None = None, issuer: str = ISSUER) -> str:
    """A console login URL for a plain IAM user: GetFederationToken with its long-term key, then sign in."""
    federated = get_federation_token(key, profile, duration)
    return console_url(federated, partition=partition, region=region, federated=True, endpoint=endpoint,
                       destination=destination, issuer=issuer)


def _signin_token(credentials: Credentials, federation: str, session_duration: int | None) -> str:
    import http.client
    import urllib.error
    import urllib.request

    session = json.dumps({"sessionId": credentials.access_key_id, "sessionKey": credentials.secret_access_key,
                          "sessionToken": credentials.session_token}, separators=(",", ":"))
    params = {"Action": "getSigninToken"}
    if session_duration is not None:
        params["SessionDuration"] = str(session_duration)
    params["Session"] = session
    url = f"{federation}{'&' if '?' in federation else '?'}{urlencode(params)}"
    where = _safe_url(federation)
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "hats"})
    try:
        with urllib.request.urlopen(request, timeout=SIGNIN_TIMEOUT_SECONDS) as answer:
            body = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as refused:
        refused.close()
        hint = (": it takes only AssumeRole or GetFederationToken credentials, never GetSessionToken ones"
                if refused.code in (400, 401, 403) else "")
        raise SigninError(f"the AWS sign-in endpoint {where} refused the session "
                          f"(HTTP {refused.code} {_clean(refused.reason, credentials)}){hint}") from None
    except urllib.error.URLError as failed:
        raise SigninError(f"cannot reach the AWS sign-in endpoint {where}: "
                          f"{_clean(failed.reason, credentials)}") from None
    except (OSError, http.client.HTTPException) as failed:  # timeouts and resets while reading
        raise SigninError(f"cannot reach the AWS sign-in endpoint {where}: "
                          f"{_clean(failed, credentials) or type(failed).__name__}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise SigninError(f"the AWS sign-in endpoint {where} sent an answer too long to be a sign-in token")
    try:
        data = json.loads(body)
    except ValueError:
        raise SigninError(f"the AWS sign-in endpoint {where} answered with something that is not JSON") from None
    token = data.get("SigninToken") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise SigninError(f"the AWS sign-in endpoint {where} answered without a SigninToken")
    return token


# -- sts:GetFederationToken -----------------------------------------------------------------
def federation_name(profile: str) -> str:
    """GetFederationToken's Name: 2-32 characters of [\\w+=,.@-], from the profile name."""
    name = re.sub(r"[^\w+=,.@-]", "-", profile, flags=re.ASCII)[:32]
    return name if len(name) >= 2 else f"hats-{name}".rstrip("-")


def get_federation_token(key: Credentials, profile: str, duration: int = DEFAULT_FEDERATION_SECONDS,
                         name: str | None = None) -> Credentials:
    """Federation credentials for an IAM user, made with its long-term key.

    The inline policy allows everything; AWS grants the intersection with the
    user's own policies. STS is reached like every other hats call (tui.sts),
    so AWS_ENDPOINT_URL_STS and the profile's endpoint settings apply.
    """
    if key.is_temporary:
        raise SigninError(f"GetFederationToken for profile '{profile}' needs the user's long-term key; "
                          f"STS refuses it with session credentials")
    low, high = FEDERATION_DURATION_RANGE
    if not low <= duration <= high:
        raise SigninError(f"federated session duration {duration} s is outside AWS's {low}-{high} s")
    from . import sts

    return sts.get_federation_token(key, profile, name or federation_name(profile), ALLOW_ALL, duration)


# -- keeping secrets out of messages ------------------------------------------------------
def _safe_url(url: str) -> str:
    """The URL without user info or query: what an error message may show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else url.split("?", 1)[0]


def _clean(reason: object, credentials: Credentials) -> str:
    if isinstance(reason, OSError) and reason.strerror:  # "Connection refused", not "[Errno 111] ..."
        reason = reason.strerror
    text = " ".join(str(reason).split())[:200]
    for secret in (credentials.secret_access_key, credentials.session_token):
        if secret:
            text = text.replace(secret, "***")
    return text


def profile_console_url(engine, name: str, *, duration: int | None = None, destination: str | None = None,
                        region: str | None = None, service: str | None = None, path: str | None = None) -> str:
    """The console URL for any profile: its role session, or a federation token for a user.

    `region` replaces the profile's; `service` (and `path`) pick a page from
    tui.console_pages in that region, instead of `destination`.
    """
    from .chains import BaseKind, base_kind, is_chained
    from .child.environment import chain_region

    chain = engine.profiles.chain(name)
    target = chain[-1]
    region = region or chain_region(chain)
    user = len(chain) == 1 and base_kind(chain) is BaseKind.KEY
    partition = partition_of(engine.profiles.mfa_serial_for(chain) if user else target.role_arn, region)
    if service:
        destination = _service_page(service, region, path, partition)
    if user:
        return user_console_url(engine.long_term_key(target.name), name, partition=partition, region=region,
                                duration=duration or DEFAULT_FEDERATION_SECONDS, destination=destination)
    session = engine.credentials(name)
    if not session.credentials.is_temporary:  # a credential_process that prints a user's key
        return user_console_url(session.credentials, name, partition=partition, region=region,
                                duration=duration or DEFAULT_FEDERATION_SECONDS, destination=destination)
    return console_url(session.credentials, partition=partition, region=region,
                       chained=is_chained(engine.profiles, chain), session_duration=duration,
                       destination=destination)


def _service_page(service: str, region: str | None, path: str | None, partition: str) -> str:
    from .console_pages import console_destination as service_destination

    return service_destination(service, region, path, console_host=_hosts(partition)[1])

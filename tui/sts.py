"""The two STS calls hats makes, through botocore, with AWS's errors made plain.

botocore is imported here, inside the functions, and nowhere else: a cached
session must not pay its import. The client is built from the target
profile's botocore session so that AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, a
profile's endpoint_url and its services section apply exactly as in the CLI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .credentials import Credentials, utcnow
from .errors import ConfigError, MfaCodeRejected, StsError, first_line

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 3  # two tries of 3 s: a silent STS is reported within 10 s
CLOCK_SKEW = timedelta(minutes=5)  # what AWS itself tolerates in a request's signature time
_clock_warned = False


@dataclass(frozen=True)
class MfaCode:
    serial: str
    code: str


@dataclass(frozen=True)
class AssumedRole:
    credentials: Credentials
    arn: str


def get_session_token(key: Credentials, profile: str, duration: int, mfa: MfaCode | None) -> Credentials:
    params: dict[str, str | int] = {"DurationSeconds": duration}
    if mfa:
        params.update(SerialNumber=mfa.serial, TokenCode=mfa.code)
    return _call(key, profile, "get_session_token", params, mfa, lambda answer: _credentials(answer["Credentials"]))


def assume_role(caller: Credentials, profile: str, role_arn: str, session_name: str,
                duration: int | None, external_id: str | None, mfa: MfaCode | None) -> AssumedRole:
    params: dict[str, str | int] = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if duration:
        params["DurationSeconds"] = duration
    if external_id:
        params["ExternalId"] = external_id
    if mfa:
        params.update(SerialNumber=mfa.serial, TokenCode=mfa.code)
    return _call(caller, profile, "assume_role", params, mfa, lambda answer: AssumedRole(
        _credentials(answer["Credentials"]), answer["AssumedRoleUser"]["Arn"]))


def assume_role_with_web_identity(profile: str, role_arn: str, session_name: str, token: str) -> AssumedRole:
    """An unsigned call: the web identity token is the proof, there are no keys yet."""
    params = {"RoleArn": role_arn, "RoleSessionName": session_name, "WebIdentityToken": token}
    return _call(None, profile, "assume_role_with_web_identity", params, None, lambda answer: AssumedRole(
        _credentials(answer["Credentials"]), answer["AssumedRoleUser"]["Arn"]))


def get_federation_token(key: Credentials, profile: str, name: str, policy: str, duration: int) -> Credentials:
    params = {"Name": name, "Policy": policy, "DurationSeconds": duration}
    return _call(key, profile, "get_federation_token", params, None, lambda answer: _credentials(answer["Credentials"]))


def load_botocore() -> None:
    """Import botocore's client machinery now: a run about to call STS pays for it outside any lock."""
    import botocore.session  # noqa: F401
    from botocore.config import Config  # noqa: F401


def get_caller_identity(caller: Credentials, profile: str) -> str:
    """The ARN of whoever `caller`'s keys belong to."""
    return _call(caller, profile, "get_caller_identity", {}, None, lambda answer: str(answer["Arn"]))


def client_for(caller: Credentials | None, profile: str, service: str = "sts"):
    """A botocore client for `service`, configured from the profile as the AWS CLI configures one."""
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    session = botocore.session.Session()
    if profile in session.available_profiles:
        session.set_config_variable("profile", profile)
    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                    retries={"total_max_attempts": 2, "mode": "standard"})
    region = session.get_config_variable("region") or "us-east-1"
    if caller is None:
        return session.create_client(service, region_name=region,
                                     config=config.merge(Config(signature_version=UNSIGNED)))
    return session.create_client(
        service, region_name=region, config=config,
        aws_access_key_id=caller.access_key_id, aws_secret_access_key=caller.secret_access_key,
        aws_session_token=caller.session_token)


def unsigned_answer(profile: str) -> tuple[str, dict]:
    """The endpoint hats calls for `profile` (one not in the config: the defaults) and the metadata of its
    answer to an unsigned GetCallerIdentity. STS refuses the call, but the refusal is an answer, and its
    Date header is STS's clock. StsError when no answer comes."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = _usable_client(None, profile)
    try:
        answer = client.get_caller_identity()
    except ClientError as exc:
        answer = exc.response
    except BotoCoreError as exc:
        raise StsError(f"cannot get an answer from {client.meta.endpoint_url}: {first_line(exc)}") from None
    return client.meta.endpoint_url, answer.get("ResponseMetadata", {})


def _usable_client(caller: Credentials | None, profile: str):
    """The client, or a ConfigError saying which setting botocore could not use."""
    from botocore.exceptions import BotoCoreError, InvalidRegionError

    try:
        return client_for(caller, profile)
    except InvalidRegionError as exc:
        raise ConfigError(f"profile '{profile}': region '{exc.kwargs.get('region_name')}' is not an AWS region "
                          "name") from None
    except ValueError as exc:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_STS") or os.environ.get("AWS_ENDPOINT_URL")
        where = f"'{endpoint}'" if endpoint else f"configured for profile '{profile}'"
        raise ConfigError(f"the STS endpoint {where} is not a URL hats can use: {exc}") from None
    except BotoCoreError as exc:  # botocore refuses the config file (or AWS_PROFILE names no profile)
        raise ConfigError(first_line(exc)) from None


def _call(caller: Credentials | None, profile: str, operation: str, params: dict, mfa: MfaCode | None, parse):
    """Make one STS call and parse its answer; every way it can fail is one line."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    action = "".join(part.capitalize() for part in operation.split("_"))
    client = _usable_client(caller, profile)
    try:
        answer = getattr(client, operation)(**params)
    except ClientError as exc:
        check_clock(exc.response)
        raise _refusal(action, profile, exc.response, mfa) from None
    except BotoCoreError as exc:
        raise StsError(f"{action} for profile '{profile}': cannot get an answer from "
                       f"{client.meta.endpoint_url}: {first_line(exc)}") from None
    except (ResponseParserError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _unreadable(action, profile, exc) from None
    check_clock(answer)
    try:
        return parse(answer)
    except (ResponseParserError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _unreadable(action, profile, exc) from None


def _unreadable(action: str, profile: str, exc: Exception) -> StsError:
    return StsError(f"{action} for profile '{profile}': STS sent an answer hats cannot read "
                    f"({first_line(exc) or type(exc).__name__})")


def check_clock(response: dict, now: Callable[[], datetime] = utcnow) -> None:
    """Warn, once a run, when this machine's clock and STS's `Date` differ by more than CLOCK_SKEW.

    hats judges a session fresh by the local clock against the expiry STS set:
    a skewed clock makes fresh sessions look expired, or expired ones fresh.
    """
    global _clock_warned
    if _clock_warned:
        return
    try:
        skew = skew_seconds(response["ResponseMetadata"]["HTTPHeaders"]["date"], now)
    except (KeyError, TypeError, IndexError, AttributeError):
        return  # no date: nothing to compare with
    if skew is not None and abs(skew) > CLOCK_SKEW.total_seconds():
        _clock_warned = True
        print(f"hats: warning: this computer's clock is {skew_text(skew)} STS's (the Date of its "
              "answer): sessions may look expired while fresh, or fresh while expired; set the clock (NTP)",
              file=sys.stderr)


def skew_seconds(date: str, now: Callable[[], datetime] = utcnow) -> float | None:
    """How far this computer's clock is ahead of an HTTP `Date` (negative: behind); None if it is not a date."""
    # imported here: a run with a cached session never pays for it
    from email.utils import parsedate_to_datetime

    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    return None if server.tzinfo is None else (now() - server).total_seconds()


def skew_text(skew: float) -> str:
    """'7 min ahead of', '2 h 3 min behind': how a skew of `skew` seconds reads before "STS's"."""
    return f"{_span(abs(skew))} {'ahead of' if skew > 0 else 'behind'}"


def _span(seconds: float) -> str:
    minutes = round(seconds / 60)  # the Date header counts whole seconds
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return (f"{days} d {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min")


def _refusal(action: str, profile: str, response: dict, mfa: MfaCode | None) -> Exception:
    error = response.get("Error", {})
    code, message = error.get("Code"), " ".join(str(error.get("Message", "")).split())
    if mfa and code == "AccessDenied" and "MultiFactorAuthentication" in message:
        return MfaCodeRejected(f"AWS refused the MFA code for {mfa.serial}: {message}")
    if not code or not message:  # not an AWS error document: say what HTTP said
        from http import HTTPStatus

        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        try:
            code, message = str(status), HTTPStatus(status).phrase
        except ValueError:
            code, message = str(status), code or "unknown error"
    return StsError(f"{action} for profile '{profile}' refused: {code}: {message}")


def _credentials(raw: dict) -> Credentials:
    return Credentials(
        access_key_id=raw["AccessKeyId"],
        secret_access_key=raw["SecretAccessKey"],
        session_token=raw["SessionToken"],
        expiration=raw["Expiration"].astimezone(timezone.utc),
    )


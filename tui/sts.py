"""The two STS calls hats makes, through botocore, with AWS's errors made plain.

botocore is imported here, inside the functions, and nowhere else: a cached
session must not pay its import. The client is built from the target
profile's botocore session so that AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, a
profile's endpoint_url and its services section apply exactly as in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

from .credentials import Credentials
from .errors import MfaCodeRejected, StsError

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 3  # two tries of 3 s: a silent STS is reported within 10 s


@dataclass(frozen=True)
class MfaCode:
    serial: str
    code: str


@dataclass(frozen=True)
class AssumedRole:
    credentials: Credentials
    arn: str


def get_session_token(key: Credentials, profile: str, duration: int, mfa: MfaCode | None) -> Credentials:
    params = {"DurationSeconds": duration}
    if mfa:
        params.update(SerialNumber=mfa.serial, TokenCode=mfa.code)
    answer = _call(key, profile, "get_session_token", params, mfa)
    return _credentials(answer["Credentials"])


def assume_role(caller: Credentials, profile: str, role_arn: str, session_name: str,
                duration: int | None, external_id: str | None, mfa: MfaCode | None) -> AssumedRole:
    params = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if duration:
        params["DurationSeconds"] = duration
    if external_id:
        params["ExternalId"] = external_id
    if mfa:
        params.update(SerialNumber=mfa.serial, TokenCode=mfa.code)
    answer = _call(caller, profile, "assume_role", params, mfa)
    return AssumedRole(_credentials(answer["Credentials"]), answer["AssumedRoleUser"]["Arn"])


def _client(caller: Credentials, profile: str):
    import botocore.session
    from botocore.config import Config

    session = botocore.session.Session()
    if profile in session.available_profiles:
        session.set_config_variable("profile", profile)
    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                    retries={"total_max_attempts": 2, "mode": "standard"})
    region = session.get_config_variable("region") or "us-east-1"
    return session.create_client(
        "sts", region_name=region, config=config,
        aws_access_key_id=caller.access_key_id, aws_secret_access_key=caller.secret_access_key,
        aws_session_token=caller.session_token)


def _call(caller: Credentials, profile: str, operation: str, params: dict, mfa: MfaCode | None) -> dict:
    from botocore.exceptions import BotoCoreError, ClientError

    action = "".join(part.capitalize() for part in operation.split("_"))
    client = None
    try:
        client = _client(caller, profile)
        return getattr(client, operation)(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "Error"), " ".join(str(error.get("Message", "")).split())
        if mfa and code == "AccessDenied" and "MultiFactorAuthentication" in message:
            raise MfaCodeRejected(f"AWS refused the MFA code for {mfa.serial}: {message}") from None
        raise StsError(f"{action} for profile '{profile}' refused: {code}: {message}") from None
    except BotoCoreError as exc:
        where = client.meta.endpoint_url if client else "STS"
        raise StsError(f"{action} for profile '{profile}': cannot get an answer from {where}: "
                       f"{_one_line(exc)}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise StsError(f"{action} for profile '{profile}': STS sent an answer hats cannot read ({exc})") from None


def _credentials(raw: dict) -> Credentials:
    return Credentials(
        access_key_id=raw["AccessKeyId"],
        secret_access_key=raw["SecretAccessKey"],
        session_token=raw["SessionToken"],
        expiration=raw["Expiration"].astimezone(timezone.utc),
    )


def _one_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

"""The IAM calls `hats rotate` makes, through botocore, with AWS's errors made plain.

The client comes from sts.client_for, so AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL and a profile's
endpoint_url or services section point it elsewhere exactly as they point the AWS CLI.
"""

from __future__ import annotations

from .credentials import Credentials
from .display import printable
from .errors import HatsError, first_line


class IamError(HatsError):
    """IAM refused a call or could not be reached."""

    exit_code = 5


def create_access_key(caller: Credentials, profile: str, user: str) -> Credentials:
    """A new long-term key for the IAM user."""
    answer = _call(caller, profile, user, "create_access_key", {"UserName": user})
    try:
        return Credentials(answer["AccessKey"]["AccessKeyId"], answer["AccessKey"]["SecretAccessKey"])
    except (KeyError, TypeError):
        raise IamError(f"CreateAccessKey for IAM user '{printable(user)}': IAM sent an answer hats cannot read") \
            from None


def delete_access_key(caller: Credentials, profile: str, user: str, key_id: str) -> None:
    _call(caller, profile, user, "delete_access_key", {"UserName": user, "AccessKeyId": key_id})


def _call(caller: Credentials, profile: str, user: str, operation: str, params: dict) -> dict:
    """One IAM call; every way it can fail is one line naming the action and the user."""
    from botocore.exceptions import BotoCoreError, ClientError

    from .sts import client_for

    action = "".join(part.capitalize() for part in operation.split("_"))
    about = f"{action} for IAM user '{printable(user)}'"
    try:
        client = client_for(caller, profile, "iam")
    except ValueError as exc:
        raise IamError(f"{about}: the IAM endpoint is not a URL hats can use: {exc}") from None
    try:
        return getattr(client, operation)(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        message = " ".join(str(error.get("Message", "")).split()) or "no reason given"
        raise IamError(f"{about} refused: {code}: {message}") from None
    except BotoCoreError as exc:
        raise IamError(f"{about}: cannot get an answer from {client.meta.endpoint_url}: {first_line(exc)}") \
            from None

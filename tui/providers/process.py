"""credential_process: a command that prints credentials as JSON (Version 1), as the AWS CLI runs it.

The command is split as botocore splits it and run without a shell. Its
stdin and stderr are the person's (it may be asking for a touch or a
password); its stdout is never shown, since it holds the secret.
"""

from __future__ import annotations

import json
import shlex

from ..credentials import Credentials, parse_iso
from ..display import printable
from ..errors import ConfigError, HatsError
from .base import NewCredentials, Renewal

TIMEOUT_SECONDS = 60


class CredentialProcessError(HatsError):
    """The credential_process failed, hung, or printed something that is not credentials."""


class ProcessProvider:
    def __init__(self, profile: str, command: str):
        self.profile = profile
        self.command = command

    def retrieve(self, renewal: Renewal | None = None) -> NewCredentials:
        output = self._run()
        return NewCredentials(self._parse(output))

    def _run(self) -> str:
        try:
            argv = shlex.split(self.command)
        except ValueError as exc:
            raise ConfigError(f"profile '{self._name}': credential_process cannot be split into words: {exc}") from None
        if not argv:
            raise ConfigError(f"profile '{self._name}': credential_process is empty")
        import subprocess  # here: a cached run never starts one

        try:
            done = subprocess.run(argv, stdout=subprocess.PIPE, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise self._failed(f"gave no answer within {TIMEOUT_SECONDS} s and was stopped") from None
        except OSError as exc:
            raise self._failed(f"cannot be run: {exc.strerror or exc}") from None
        if done.returncode != 0:
            raise self._failed(f"exited with status {done.returncode}")
        return done.stdout.decode("utf-8", "replace")

    def _parse(self, output: str) -> Credentials:
        try:
            data = json.loads(output)
        except ValueError:
            raise self._failed("printed something that is not JSON") from None
        if not isinstance(data, dict):
            raise self._failed("printed JSON that is not an object")
        if data.get("Version") != 1:
            raise self._failed("printed no \"Version\": 1, the only version the AWS CLI reads")
        missing = [key for key in ("AccessKeyId", "SecretAccessKey") if not isinstance(data.get(key), str)]
        if missing:
            raise self._failed(f"printed no {' or '.join(missing)}")
        expiration = data.get("Expiration")
        try:
            expires = parse_iso(expiration) if expiration else None
        except (TypeError, ValueError):
            raise self._failed("printed an Expiration that is not an ISO 8601 time") from None
        return Credentials(data["AccessKeyId"], data["SecretAccessKey"], data.get("SessionToken") or None, expires)

    @property
    def _name(self) -> str:
        return printable(self.profile)

    def _failed(self, what: str) -> CredentialProcessError:
        return CredentialProcessError(f"profile '{self._name}': credential_process {what}")

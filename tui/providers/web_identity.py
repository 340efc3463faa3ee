"""web_identity_token_file + role_arn: AssumeRoleWithWebIdentity, the token file read fresh each call."""

from __future__ import annotations

import time

from ..display import printable
from ..errors import ConfigError
from ..profiles import Profile
from .base import NewCredentials, Renewal


class WebIdentityProvider:
    def __init__(self, profile: Profile, token_file: str):
        self.profile = profile
        self.token_file = token_file

    def retrieve(self, renewal: Renewal | None = None) -> NewCredentials:
        from .. import sts  # here: a cached session never calls STS

        profile = self.profile
        assert profile.role_arn is not None  # base_kind makes a web identity base only with a role_arn
        session_name = profile.role_session_name or f"hats-{int(time.time())}"  # botocore: botocore-session-<time>
        # botocore sends no DurationSeconds here (duration_seconds is a role hop's setting): STS's default hour
        assumed = sts.assume_role_with_web_identity(profile.name, profile.role_arn, session_name, self._token())
        return NewCredentials(assumed.credentials, assumed.arn)

    def _token(self) -> str:
        try:
            with open(self.token_file, encoding="utf-8") as file:
                token = file.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not text"
            raise ConfigError(f"profile '{printable(self.profile.name)}': web_identity_token_file "
                              f"{printable(self.token_file)}: {reason}") from None
        if not token:
            raise ConfigError(f"profile '{printable(self.profile.name)}': web_identity_token_file "
                              f"{printable(self.token_file)} is empty")
        return token

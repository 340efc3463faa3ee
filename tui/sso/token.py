"""What a sign-in leaves behind: the client registration and the tokens, as kept in the keyring.

One item a sign-in (a start URL and region), named sso/KEY. The index keeps
its expiry and names, never a token.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from ..credentials import iso, parse_iso, utcnow

REFRESH_MARGIN = timedelta(minutes=5)  # a token this close to its end is refreshed before it is used


@dataclass(frozen=True)
class Client:
    """An OIDC client registration: RegisterClient's answer, reused until it expires."""

    client_id: str
    client_secret: str = field(repr=False)
    expires: datetime
    grant: str  # "authorization_code" or "device_code": the flow it was registered for

    def is_valid(self, now: datetime) -> bool:
        return self.expires - now > timedelta(hours=1)


@dataclass(frozen=True)
class Token:
    """The sign-in's access token, with the refresh token and the client that may use it."""

    start_url: str
    region: str
    access_token: str = field(repr=False)
    expires: datetime
    client: Client
    refresh_token: str | None = field(default=None, repr=False)
    session_name: str = ""

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.expires - (now or utcnow()) > REFRESH_MARGIN

    def can_refresh(self, now: datetime | None = None) -> bool:
        return bool(self.refresh_token) and self.client.is_valid(now or utcnow())

    def refreshed(self, access_token: str, expires: datetime, refresh_token: str | None) -> Token:
        return replace(self, access_token=access_token, expires=expires,
                       refresh_token=refresh_token or self.refresh_token)

    def to_json(self) -> str:
        data = asdict(self)
        data["expires"] = iso(self.expires)
        data["client"]["expires"] = iso(self.client.expires)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Token:
        data = json.loads(text)
        client = Client(**{**data["client"], "expires": parse_iso(data["client"]["expires"])})
        return cls(data["start_url"], data["region"], data["access_token"], parse_iso(data["expires"]), client,
                   data.get("refresh_token"), data.get("session_name", ""))

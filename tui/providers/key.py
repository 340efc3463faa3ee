"""A base user's long-term key: the keyring's, else the static keys of its files."""

from __future__ import annotations

from typing import Callable

from ..credentials import Credentials
from ..display import printable
from ..errors import NoKeyError
from ..profiles import Profile
from ..store.vault import Vault
from .base import Issued, NewCredentials, Renewal


class KeyProvider:
    def __init__(self, user: Profile, vault: Vault, notify: Callable[[str], None]):
        self.user = user
        self.vault = vault
        self.notify = notify

    def retrieve(self, renewal: Renewal | None = None) -> Issued:
        key = self.vault.get_key(self.user.name)
        if key:
            return NewCredentials(key)
        key = _file_key(self.user)
        if key:
            name = printable(self.user.name)
            self.notify(f"using the key for '{name}' from {self.user.key_file}; "
                        f"move it into the keyring with `hats add {name}`")
            return NewCredentials(key)
        try:
            return NewCredentials(self.vault.require_key(self.user.name))
        except NoKeyError as exc:
            if self.user.credential_source:  # botocore too reads it only with role_arn, and finds nothing
                raise NoKeyError(f"{exc}; its credential_source is used only with a role_arn, "
                                 "as botocore uses it") from None
            raise


def _file_key(user: Profile) -> Credentials | None:
    """The profile's static keys, from the config or the credentials file, as botocore takes them."""
    if not user.has_file_keys:
        return None
    from ..profiles import static_keys

    keys = static_keys(user.name)
    return Credentials(keys["aws_access_key_id"], keys["aws_secret_access_key"], keys.get("aws_session_token"))

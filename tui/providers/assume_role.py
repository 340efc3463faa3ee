"""AssumeRole: one hop of a chain, from the credentials of the provider below it."""

from __future__ import annotations

from ..profiles import Profile
from .base import Issued, NewCredentials, Provider, Renewal


class AssumeRoleProvider:
    def __init__(self, source: Provider, hop: Profile, target: str, session_name: str,
                 serial: str | None = None):
        self.source = source
        self.hop = hop
        self.target = target  # the profile asked for, named in STS errors
        self.session_name = session_name
        self.serial = serial  # set when this call carries the MFA code (a first role over an hour)

    def retrieve(self, renewal: Renewal) -> Issued:
        from .. import sts  # here: a cached session never calls STS

        caller = self.source.retrieve(renewal).credentials
        code = renewal.code_for(self.serial) if self.serial else None
        hop = self.hop
        assert hop.role_arn is not None  # a hop of a chain is a role
        assumed = sts.assume_role(caller, self.target, hop.role_arn, self.session_name,
                                  hop.duration_seconds, hop.external_id, code)
        return NewCredentials(assumed.credentials, assumed.arn)

"""credential_source: a role's source credentials from the environment, EC2 or a container.

botocore's own providers fetch them (IMDSv2 with its token first, the
container endpoint with its authorization token), so every override botocore
knows applies: AWS_EC2_METADATA_SERVICE_ENDPOINT and ec2_metadata_service_endpoint
(of the profile asked for, as botocore's session reads it), AWS_EC2_METADATA_DISABLED,
AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI and their token.
"""

from __future__ import annotations

import os
from datetime import timezone

from ..credentials import Credentials
from ..display import printable
from ..errors import HatsError, first_line
from .base import NewCredentials, Renewal

SOURCES = {"Environment": "the environment (AWS_ACCESS_KEY_ID)",
           "Ec2InstanceMetadata": "the EC2 instance metadata service",
           "EcsContainer": "the container credentials endpoint"}
NOT_THERE = {"Environment": "no credentials there (AWS_ACCESS_KEY_ID is not set)",
             "EcsContainer": "no credentials there (neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
                             "nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set)"}
LINE_BREAK = ("the authorization token holds a line break, which botocore refuses to send "
              "(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is read as it is, a final newline too)")


class CredentialSourceError(HatsError):
    """The credential_source named in the config gave no credentials."""


class CredentialSourceProvider:
    def __init__(self, profile: str, source: str, target: str | None = None):
        self.profile = profile  # the profile with the credential_source, named in errors
        self.source = source
        self.target = target or profile  # botocore reads the IMDS settings from the profile asked for

    def retrieve(self, renewal: Renewal | None = None) -> NewCredentials:
        from botocore.exceptions import BotoCoreError

        try:
            found = _provider(self.target, self.source).load()
            frozen = found.get_frozen_credentials() if found is not None else None  # refreshes what expired
        except BotoCoreError as exc:
            raise self._failed(first_line(exc)) from None
        except OSError as exc:  # AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
            raise self._failed(f"{exc.filename}: {exc.strerror or 'cannot be read'}") from None
        except KeyError as exc:  # botocore takes the endpoint's answer as it comes
            raise self._failed(f"its answer has no {exc.args[0]}") from None
        except RuntimeError:  # botocore: "the refreshed credentials are still expired"
            raise self._failed("the credentials there have expired") from None
        except TypeError as exc:  # botocore subtracts an expiry with no time zone from an aware now
            raise self._failed("an expiry time without a time zone" if "offset-naive" in str(exc)
                               else first_line(exc)) from None
        except ValueError as exc:  # a FULL_URI host botocore refuses, a token with a line break, a bad expiry
            raise self._failed(LINE_BREAK if "not a legal header value" in str(exc) else first_line(exc)) from None
        if frozen is None:
            raise self._failed(_not_there(self.source))
        expiry = getattr(found, "_expiry_time", None)
        return NewCredentials(Credentials(frozen.access_key, frozen.secret_key, frozen.token or None,
                                          expiry.astimezone(timezone.utc) if expiry else None))

    def _failed(self, why: str) -> CredentialSourceError:
        """One line; `why` may quote an endpoint's answer, so it is escaped like the profile's name."""
        return CredentialSourceError(f"profile '{printable(self.profile)}': credential_source = {self.source}: "
                                     f"{SOURCES.get(self.source, 'unknown source')}: {printable(why)}")


def _not_there(source: str) -> str:
    """Why a source had nothing, where the environment says."""
    if source == "Ec2InstanceMetadata" and os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        return "not asked, AWS_EC2_METADATA_DISABLED is true"  # botocore's own test of it
    return NOT_THERE.get(source, "no credentials there")


def _provider(profile: str, source: str):
    """The botocore provider for a source, configured from the profile as botocore configures it."""
    import botocore.session
    from botocore import credentials as providers
    from botocore.utils import InstanceMetadataFetcher, resolve_imds_endpoint_mode

    if source == "Environment":
        return providers.EnvProvider()
    if source == "EcsContainer":
        return providers.ContainerProvider()
    session = botocore.session.Session(profile=profile)
    config = {"ec2_metadata_service_endpoint": session.get_config_variable("ec2_metadata_service_endpoint"),
              "ec2_metadata_service_endpoint_mode": resolve_imds_endpoint_mode(session),
              "ec2_metadata_v1_disabled": session.get_config_variable("ec2_metadata_v1_disabled")}
    fetcher = InstanceMetadataFetcher(timeout=session.get_config_variable("metadata_service_timeout"),
                                      num_attempts=session.get_config_variable("metadata_service_num_attempts"),
                                      user_agent=session.user_agent(), config=config)
    return providers.InstanceMetadataProvider(iam_role_fetcher=fetcher)

"""IAM Identity Center: the config's sso-sessions, signing in (PKCE or device code), tokens kept in
the keyring and refreshed, and the portal's accounts, roles and role credentials."""

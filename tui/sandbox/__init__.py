"""The sandbox: local stand-ins for AWS (STS, Identity Center, metadata endpoints), the demo and
the world they serve. The only package that imports moto, pyotp or werkzeug."""

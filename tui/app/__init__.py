"""The Textual app: hats_app holds HatsApp (loading and the keys), built on base (the state and the
one worker-failure handler), children (credentials and the child processes) and portals (the IAM
Identity Center portals in the tree)."""

from .hats_app import HatsApp, run

__all__ = ["HatsApp", "run"]

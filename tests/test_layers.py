"""The house rules of DESIGN.md that a reader relies on, checked."""

import subprocess
import sys

DOMAIN = ["tui.cli", "tui.secretservice", "tui.credserver", "tui.signin", "tui.forest", "tui.colors", "tui.prompt", "tui.runner", "tui.demo", "tui.profiles", "tui.vault", "tui.engine", "tui.chains", "tui.providers", "tui.mfa", "tui.environ",
          "tui.shell", "tui.keyctl", "tui.credentials", "tui.filestore", "tui.listing", "tui.sts", "tui.terminal"]


def imported_after(modules):
    code = (f"import sys\nfor m in {modules!r}: __import__(m)\n"
            "print(' '.join(sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'boto3', 'botocore'))))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_domain_modules_import_neither_textual_nor_boto():
    assert imported_after(DOMAIN) == []

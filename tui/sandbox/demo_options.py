"""The options of `hats demo`, for hats' own parser and for `python -m tui.sandbox.demo`.

Apart from demo.py, which imports the sandbox: a command line that only lists or
completes hats' commands does not pay for it.
"""

from __future__ import annotations

import argparse


def add_demo_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--print-env", action="store_true",
                      help="print `export` lines for a second terminal (hats, hats sso and aws work there); "
                           "keep the sandbox up until Ctrl-C")
    what.add_argument("--code", action="store_true",
                      help="print the sandbox's current MFA code (in a terminal that joined the sandbox)")
    return parser

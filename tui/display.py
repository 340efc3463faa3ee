"""Text from the config, made safe to print: no control or bidi characters.

A profile name or alias is the user's own text, but it reaches a terminal:
an ESC can set the window title or move the cursor, a right-to-left override
can make `prod` read as `dorp`, a newline can break a table row. Each such
character is shown escaped, as Python would write it, so it is still visible.
"""

from __future__ import annotations

import os
import unicodedata

# Categories that draw nothing and steer the terminal or the text's direction:
# Cc control, Cf format (bidi overrides, zero-width marks), Zl/Zp line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def printable(text: str) -> str:
    """`text` with every control, format and separator character escaped (`\\x1b`, `\\u202e`)."""
    if text.isprintable():  # the common case, and fast: isprintable() is False for all of the above
        return text
    return "".join(_escaped(char) if unicodedata.category(char) in UNSAFE_CATEGORIES else char
                   for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def home_relative(path: str) -> str:
    """A path as a person reads it: under HOME, from `~`."""
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home != "/" and path.startswith(home + os.sep) else path

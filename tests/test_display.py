"""Config text shown on a terminal: control and bidi characters escaped, the rest untouched."""

from hypothesis import given, strategies as st

from tui.display import printable


def test_escape_sequences_and_bidi_overrides_are_shown_escaped():
    assert printable("acme\x1b]0;owned\x07") == "acme\\x1b]0;owned\\x07"
    assert printable("\u202eprod") == "\\u202eprod"
    assert printable("two\nlines\r") == "two\\x0alines\\x0d"
    assert printable("\x9b31m") == "\\x9b31m"  # C1 CSI: a terminal reads it as ESC [


def test_names_people_write_are_left_alone():
    for name in ("prod-admin", "café", "ünïcode 账户", "team/a b", "emoji 🎩"):
        assert printable(name) == name


@given(st.text())
def test_nothing_that_steers_a_terminal_survives(text):
    shown = printable(text)
    assert all(ord(c) >= 0x20 and not 0x7f <= ord(c) < 0xa0 for c in shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")

"""What a shell's TAB offers after `hats ...`: subcommands, options and values, read off hats' own parser.

The shell passes the words typed after `hats`, the last one being the word under the cursor
(empty at a new word). The parser is walked as argparse would read those words: subcommands
lead into their own parsers, options skip the value they take, and the nth positional word
is the parser's nth positional. A positional named `profile` completes the config's profiles,
one named `session` its sso-sessions; an option or positional with choices completes those.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

NAMES_FOR: dict[str, Callable[[], list[str]]] = {}  # a positional's dest -> where its values come from


def candidates(words: list[str]) -> list[str]:
    """The completions of `words[-1]`, given the words before it; nothing after `--`."""
    from ..cli import build_parser, command_named

    *done, current = words or [""]
    if "--" in done:
        return []
    if not done and not current.startswith("-"):  # `hats ex<TAB>`: the registry the parser is built from,
        from ..cli import SUBCOMMANDS  # without building every subcommand's parser (importing its module)

        return sorted(name for name in SUBCOMMANDS if name.startswith(current))
    parser = build_parser(command_named(done))
    values = _values_at(parser, done, current.startswith("-"))
    return sorted(value for value in values if value.startswith(current))


def _values_at(parser: argparse.ArgumentParser, done: list[str], wants_option: bool) -> list[str]:
    """What may come next after the words `done`, read by the parser (and the subparsers they lead to)."""
    positionals = 0
    words = iter(done)
    for word in words:
        if word.startswith("-") and word != "-":
            option = _option(parser, word)
            if option is not None and _takes_value(option) and "=" not in word and next(words, None) is None:
                return list(option.choices or ())  # the word under the cursor is this option's value
            continue
        action = _positional(parser, positionals)
        if isinstance(action, argparse._SubParsersAction):
            if word not in action.choices:
                return []
            parser, positionals = action.choices[word], 0
        else:
            positionals += 1
    if wants_option:
        return [flag for action in parser._actions if action.help != argparse.SUPPRESS
                for flag in action.option_strings]
    return _positional_values(_positional(parser, positionals))


def _option(parser: argparse.ArgumentParser, word: str) -> argparse.Action | None:
    return parser._option_string_actions.get(word.split("=", 1)[0])


def _takes_value(option: argparse.Action) -> bool:
    return option.nargs != 0


def _positional(parser: argparse.ArgumentParser, index: int) -> argparse.Action | None:
    """The action that reads the index-th positional word; one with nargs * or + reads the rest."""
    actions = [action for action in parser._actions if not action.option_strings]
    for number, action in enumerate(actions):
        if number == index or (number < index and action.nargs in ("*", "+", argparse.REMAINDER)):
            return action
    return None


def _positional_values(action: argparse.Action | None) -> list[str]:
    if action is None:
        return []
    if isinstance(action, argparse._SubParsersAction):
        return list(action.choices)
    if action.dest in NAMES_FOR:
        return NAMES_FOR[action.dest]()
    return [str(choice) for choice in action.choices or ()]


def profile_names() -> list[str]:
    from .names import names

    return names("profiles")


def session_names() -> list[str]:
    from .names import names

    return names("sessions")


NAMES_FOR.update(profile=profile_names, session=session_names)

"""config.toml's [keymap] applied to the app: binding ids to keys, through Textual's set_keymap."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.dom import DOMNode

from .. import settings
from ..screens.console_picker import ConsolePickerScreen
from ..screens.help import HelpScreen
from ..screens.main import MainScreen
from ..screens.mfa import MfaScreen
from ..screens.prompts import AddKeyScreen, CommandScreen, ConfirmScreen, PassphraseScreen
from ..screens.sign_in import SignInScreen
from ..widgets.profile_tree import ProfileTree

BOUND = (MainScreen, ProfileTree, MfaScreen, SignInScreen, CommandScreen, AddKeyScreen, ConfirmScreen,
         PassphraseScreen, HelpScreen, ConsolePickerScreen)  # every class with bindings, beside the app


def binding_ids(classes: Iterable[type[DOMNode]]) -> set[str]:
    return {binding.id for cls in classes for binding in cls.BINDINGS
            if isinstance(binding, Binding) and binding.id}


def user_keymap(app_class: type[DOMNode]) -> tuple[dict[str, str], str | None]:
    """The keymap of the bindings that exist, and a one-line problem for the first id that does not."""
    keymap = settings.keymap()
    known = binding_ids([app_class, *BOUND])
    unknown = [binding for binding in keymap if binding not in known]
    problem = None
    if unknown:
        problem = (f"{settings.keymap_where(unknown[0])}: no key binding has that id; "
                   f"the ids are {', '.join(sorted(known))}")
    return {binding: keys for binding, keys in keymap.items() if binding in known}, problem

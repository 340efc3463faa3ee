"""The main screen: profiles on the left, chain and sessions on the right."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import Callable, Protocol

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, Tree

from ..display import printable
from ..engine import Policy
from ..errors import ConfigError
from ..forest import Filter, Forest
from ..profiles import ProfileSet
from ..store.items import SessionEntry
from ..widgets.chain_view import ChainView
from ..widgets.inputs import FieldInput
from ..widgets.profile_tree import ProfileTree
from ..widgets.sessions_pane import SessionsPane
from ..widgets.welcome import Welcome

COLLECT_AFTER_SECONDS = 0.5  # keys typed closer than this are one burst: no collector pass between them


class ChainFacts(Protocol):
    """What the screen reads to show the highlighted profile's chain; the app has each of them."""

    @property
    def profiles(self) -> ProfileSet: ...
    @property
    def session_entries(self) -> list[SessionEntry]: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


class FilterBox(FieldInput):
    """Enter hands the keys to the tree at once, the filter applied, so a second Enter in the
    same burst (or typed fast) opens the match instead of landing here again."""

    async def _on_key(self, event: events.Key) -> None:
        screen = self.screen
        if event.key == "enter" and screen.focused is self and isinstance(screen, MainScreen):
            self._pass_on(event, None)
            screen.submit_filter()


class MainScreen(Screen):
    """The filter shows its matches in a second tree, so Esc brings back the
    whole tree as it was left, cursor and all, without building it again.
    The cursor of the matches sits on the best match, never on a row kept
    only for context, so / name Enter Enter opens the role typed."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter", tooltip="Filter profiles as you type"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter"),
    ]

    def __init__(self, facts: ChainFacts):
        super().__init__()
        self.facts = facts

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield FilterBox(placeholder="filter: name, account, alias, role, region", id="filter")
                yield ProfileTree(id="profiles")
                yield ProfileTree(id="matches")
            with Vertical(id="right"):
                yield ChainView(id="chain")
                yield SessionsPane(id="sessions")
            yield Welcome(id="welcome")
        with Horizontal(id="status-bar"):
            yield Static("", id="status")
            yield Static("", id="banner")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#matches").display = False
        self.query_one("#welcome").display = False
        self.query_one("#profiles").border_title = "profiles"
        self.query_one("#matches").border_title = "profiles (filtered)"
        self.query_one(ChainView).show_nothing()
        self.filter: Filter | None = None
        self.typing_filter = False  # from / until the filter loses focus
        self.slash_unhandled = False  # a / seen on its way to its binding, which has not opened the filter yet
        self.filter_submitted = False  # the filter was submitted since that /
        self.chain_booked = False  # the chain pane is to follow the cursor after the next refresh
        self.collect_timer: Timer | None = None  # the collector's pass once the filter's keys pause

    def on_unmount(self) -> None:
        gc.enable()

    @property
    def tree(self) -> ProfileTree:  # type: ignore[override]  # DOMNode.tree is a debug view of the DOM, unused here
        """The tree on screen: every profile, or the filter's matches."""
        matches = self.query_one("#matches", ProfileTree)
        return matches if matches.display else self.query_one("#profiles", ProfileTree)

    @property
    def trees(self) -> list[ProfileTree]:
        return list(self.query(ProfileTree))

    def show_forest(self, forest: Forest, cursor_on: str | None = None) -> None:
        self.query_one("#profiles", ProfileTree).show(forest, cursor_on=cursor_on)
        self.filter = Filter(forest)
        self.apply_filter(self.query_one("#filter", Input).value)
        self.tree.focus()

    def show_welcome(self, config_file: str, exists: bool) -> None:
        """No profile at all: say how to start instead of showing empty panes."""
        self.query_one(Welcome).show(config_file, exists)
        for pane, shown in (("#left", False), ("#right", False), ("#welcome", True)):
            self.query_one(pane).display = shown

    # -- the filter -----------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        submitted_already = self.slash_unhandled and self.filter_submitted  # / and Enter came in one burst
        self.slash_unhandled = self.filter_submitted = False
        if not submitted_already:
            self.set_focus(box)  # at once: keys read after this are the filter's

    def on_key(self, event: events.Key) -> None:
        """Keys typed right after / (a paste, a fast typist) are queued to the tree before the
        filter opens: they belong to the filter, not to the tree's one-key bindings, and an
        Enter among them ends the filter as it would in the filter box."""
        box = self.query_one("#filter", Input)
        if event.key == "slash":
            self.typing_filter, self.slash_unhandled, self.filter_submitted = True, True, False
            return  # on to its binding, which opens the filter
        if self.typing_filter and event.is_printable and event.character is not None:
            box.insert_text_at_cursor(event.character)
        elif self.typing_filter and event.key == "enter":  # the filter box takes its own Enter: this came via the tree
            self.submit_filter()
        else:
            return
        event.stop()
        event.prevent_default()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget.id == "filter":
            self.typing_filter = False

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.apply_filter("")
            self.set_focus(self.tree)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":  # the value now: a burst's Enter may have applied it already
            self.apply_filter(event.input.value)

    def apply_filter(self, query: str) -> None:
        if self.filter is None:
            return
        self._collect_after_typing()
        names = self.filter.visible(query)
        matches = self.query_one("#matches", ProfileTree)
        if names is not None and (names != matches.shown_names or matches.forest is not self.filter.forest):
            matches.show(self.filter.forest, names, cursor_on=self.filter.best())
        elif names is not None:  # a longer query often shows the same rows, and may name one of them
            best = self.filter.best()
            if best is not None and best != matches.highlighted_profile:
                matches.move_to(best)
        if matches.display != (names is not None):
            matches.display = names is not None
            self.query_one("#profiles").display = names is None
            self.show_chain(self.tree.highlighted_profile)

    def _collect_after_typing(self) -> None:
        """No cyclic collection while a filter is typed: a pass over the last key's dropped rows (10-15 ms
        at 10,000 profiles) would land in the next key's frame. The young objects are collected once the
        keys pause, and the collector runs as before."""
        gc.disable()
        if self.collect_timer is not None:
            self.collect_timer.stop()
        self.collect_timer = self.set_timer(COLLECT_AFTER_SECONDS, self._collect)

    def _collect(self) -> None:
        self.collect_timer = None
        gc.collect(1)
        gc.enable()

    def submit_filter(self) -> None:
        """Enter: the filter applied as it reads now, the keys to its tree at once."""
        self.apply_filter(self.query_one("#filter", Input).value)
        self.typing_filter, self.filter_submitted = False, True
        self.set_focus(self.tree)

    # -- the chain of the highlighted profile ---------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        """The chain follows the cursor a frame later: a key's new tree is painted first, and a burst
        of moves (a filter typed fast, j held down) shows one chain, the last."""
        if event.control is self.tree and not self.chain_booked:
            self.chain_booked = True
            self.call_after_refresh(self._chain_of_cursor)

    def _chain_of_cursor(self) -> None:
        self.chain_booked = False
        self.show_chain(self.tree.highlighted_profile)

    def show_chain(self, name: str | None) -> None:
        view = self.query_one(ChainView)
        if name is None:
            view.show_nothing()
            return
        facts = self.facts
        try:
            chain = facts.profiles.chain(name)
        except ConfigError as error:
            view.show_problem(name, str(error))
            return
        from ..chains import describe_chain
        from ..credentials import SessionKind

        expiry = next((entry.expiration for entry in facts.session_entries
                       if entry.kind is SessionKind.MFA_SESSION and entry.profile == chain[0].name), None)
        view.show_hops(name, describe_chain(facts.profiles, chain, facts.policy.session_seconds), facts.clock(),
                       expiry, facts.policy.refresh_margin.total_seconds())

    def set_banner(self, text: str) -> None:
        for banner in self.query("#banner").results(Static):
            banner.update(Text(text))

    def set_status(self, text: str, kind: str = "info") -> None:
        """`kind`: info, warning or error; a warning or an error stays until the next message."""
        for status in self.query("#status").results(Static):  # none while the app closes
            status.update(Text(printable(text)))  # never markup: errors quote config text like [profile x]
            status.set_class(kind == "error", "error")
            status.set_class(kind == "warning", "warning")

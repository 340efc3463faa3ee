"""The filter's narrowing: a query that extends the last one scans only its matches."""

from hypothesis import given, settings, strategies as st

from tui.forest import Filter, build_forest, with_ancestors, matching
from tui.profiles import Profile, ProfileSet

NAMES = st.text(alphabet="abc-12 ", min_size=1, max_size=8).map(str.strip).filter(bool)


def forest_of(names: list[str]):
    return build_forest(ProfileSet({name: Profile(name=name) for name in names}))


@settings(max_examples=300, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=30, unique=True),
       queries=st.lists(st.text(alphabet="abc-12 ", max_size=4), min_size=1, max_size=6))
def test_typing_gives_what_a_fresh_scan_gives(names, queries):
    forest = forest_of(names)
    typed = Filter(forest)
    so_far = ""
    for piece in queries:  # each step either extends the query or starts another
        so_far = so_far + piece if len(so_far) < 6 else piece
        fresh = matching(forest, so_far)
        expected = None if fresh is None else with_ancestors(forest, fresh)
        assert typed.visible(so_far) == expected

"""The fast graph helpers agree with their definitions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smosverify.graph import propagate_union, set_bits, strongly_connected_components


@given(st.sets(st.integers(0, 5000)))
def test_set_bits_lists_exactly_the_one_bits(indices):
    x = sum(1 << i for i in indices)
    assert set_bits(x) == sorted(indices)


graphs = st.integers(1, 12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30),
                        st.lists(st.integers(0, 255), min_size=n, max_size=n)))


@settings(max_examples=200)
@given(graphs)
def test_propagation_is_reachability(case):
    n, arcs, bits = case
    succ = [sorted({b for a, b in arcs if a == v}) for v in range(n)]
    reaches = [{v} for v in range(n)]
    changed = True
    while changed:  # naive transitive closure
        changed = False
        for a, b in arcs:
            if not reaches[a] >= reaches[b]:
                reaches[a] |= reaches[b]
                changed = True
    expected = [0] * n
    for v in range(n):
        for w in reaches[v]:
            expected[w] |= bits[v]
    assert propagate_union(n, succ, bits) == expected
    components = strongly_connected_components(n, succ)
    position = {v: i for i, comp in enumerate(components) for v in comp}
    assert sorted(v for comp in components for v in comp) == list(range(n))
    for a, b in arcs:  # topological: arcs never go back to an earlier component
        assert position[a] <= position[b]
        assert (position[a] == position[b]) == (a in reaches[b] and b in reaches[a])

"""The skew heap of the stride scheduler, against a reference heap (a sorted list) on random operations."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pyucore.kern.libs.skew_heap import (
    skew_heap_entry, skew_heap_insert, skew_heap_merge, skew_heap_remove,
)


class Item:
    """A structure with a key, ordered by its embedded heap entry."""

    def __init__(self, key):
        self.key = key
        self.entry = skew_heap_entry(self)


def comp(a, b):
    return (a.owner.key > b.owner.key) - (a.owner.key < b.owner.key)


def nodes(root):
    """Every entry of the heap at root, checking the heap order and the parent links on the way."""
    found, todo = [], [root] if root is not None else []
    while todo:
        node = todo.pop()
        found.append(node)
        for child in (node.left, node.right):
            if child is not None:
                assert child.parent is node
                assert comp(node, child) <= 0
                todo.append(child)
    return found


# An operation: ("insert", key), ("pop", 0) takes the root, ("remove", i) removes the i-th live item.
operations = st.lists(st.one_of(
    st.tuples(st.just("insert"), st.integers(-50, 50)),
    st.tuples(st.just("pop"), st.just(0)),
    st.tuples(st.just("remove"), st.integers(0, 1000)),
), max_size=120)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_random_inserts_pops_and_removals_keep_the_same_items_as_a_reference_heap(ops):
    root, live = None, []
    for op, arg in ops:
        if op == "insert":
            item = Item(arg)
            root = skew_heap_insert(root, item.entry, comp)
            live.append(item)
        elif op == "pop" and live:
            smallest = root.owner
            assert smallest.key == min(item.key for item in live)
            root = skew_heap_remove(root, smallest.entry, comp)
            live.remove(smallest)
        elif op == "remove" and live:
            item = live.pop(arg % len(live))
            root = skew_heap_remove(root, item.entry, comp)
            assert item.entry.parent is item.entry.left is item.entry.right is None
        if root is not None:
            assert root.parent is None
        assert sorted(n.owner.key for n in nodes(root)) == sorted(item.key for item in live)


def test_popping_everything_gives_the_keys_in_order():
    keys = [5, 3, 9, 1, 7, 3, 0, 8]
    root = None
    for key in keys:
        root = skew_heap_insert(root, Item(key).entry, comp)
    popped = []
    while root is not None:
        popped.append(root.owner.key)
        root = skew_heap_remove(root, root, comp)
    assert popped == sorted(keys)


def test_an_equal_key_inserted_later_becomes_the_root_as_in_ucore():
    first, second = Item(1), Item(1)
    root = skew_heap_insert(None, first.entry, comp)
    root = skew_heap_insert(root, second.entry, comp)
    assert root is second.entry


def test_two_heaps_of_five_thousand_merge_into_one_ordered_heap():
    root = None
    for key in range(5000, 0, -1):      # each new smallest key: the heap is a path of left children
        root = skew_heap_insert(root, Item(key).entry, comp)
    other = None
    for key in range(5001, 10001):
        other = skew_heap_insert(other, Item(key).entry, comp)
    root = skew_heap_merge(root, other, comp)
    assert len(nodes(root)) == 10000 and root.owner.key == 1

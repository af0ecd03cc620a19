"""Skew heaps (ucore's libs/skew_heap.h): a mergeable min-heap of entries embedded in the structures
they order, so any entry can be removed in place (the stride scheduler removes the process it picked,
whose key pick_next has just changed).

comp(a, b) returns -1, 0 or 1 as a's structure orders before, with or after b's. The heap is named by
its root entry (None when empty); every function returns the new root. Merging walks the two right
spines in a loop, not by recursion, so a degenerate heap of thousands of entries needs no deep stack.
"""


class skew_heap_entry:
    """A heap node: parent, left and right entries (None when absent); owner is the structure it
    orders."""

    __slots__ = ("parent", "left", "right", "owner")

    def __init__(self, owner=None):
        self.owner = owner
        self.parent = self.left = self.right = None


def skew_heap_init(entry):
    """Makes entry a heap of one (no parent, no children)."""
    entry.parent = entry.left = entry.right = None


def skew_heap_merge(a, b, comp):
    """Merges the heaps rooted at a and b; returns the new root. Along the merged right spine each
    node's children are swapped, which keeps the heap's amortized cost logarithmic."""
    spine = []
    while a is not None and b is not None:
        if comp(a, b) == -1:
            spine.append(a)
            a = a.right
        else:
            spine.append(b)
            b = b.right
    merged = a if a is not None else b
    for node in reversed(spine):
        node.right = node.left
        node.left = merged
        if merged is not None:
            merged.parent = node
        merged = node
    return merged


def skew_heap_insert(root, entry, comp):
    """Inserts the entry (which must not be in a heap) into the heap at root; returns the new root."""
    skew_heap_init(entry)
    return skew_heap_merge(root, entry, comp)


def skew_heap_remove(root, entry, comp):
    """Removes entry, which must be in the heap at root; returns the new root."""
    parent = entry.parent
    replacement = skew_heap_merge(entry.left, entry.right, comp)
    if replacement is not None:
        replacement.parent = parent
    skew_heap_init(entry)
    if parent is None:
        return replacement
    if parent.left is entry:
        parent.left = replacement
    else:
        parent.right = replacement
    return root

"""Intrusive doubly linked lists (ucore's libs/list.h): an entry lives inside the structure it links,
and a list is a head entry linked in a ring with its elements, so adding and removing are O(1).

ucore recovers the structure from its entry with le2proc(le, member); here an entry knows its
structure (`owner`), set once when the structure is made.
"""


class list_entry:
    """One link of a ring: prev and next; owner is the structure it is embedded in (None for a head)."""

    __slots__ = ("prev", "next", "owner")

    def __init__(self, owner=None):
        self.owner = owner
        self.prev = self.next = self


def list_init(elm):
    """Makes elm a ring of its own: an empty list when elm is a head, an unlinked entry otherwise."""
    elm.prev = elm.next = elm


def list_empty(head):
    """True iff the list headed by head has no element (or the entry is unlinked)."""
    return head.next is head


def list_next(elm):
    """The entry after elm (the head again after the last element)."""
    return elm.next


def list_prev(elm):
    """The entry before elm (the head again before the first element)."""
    return elm.prev


def list_add_after(listelm, elm):
    """Links the unlinked entry elm just after listelm (at the front when listelm is the head)."""
    nxt = listelm.next
    elm.prev, elm.next = listelm, nxt
    listelm.next = nxt.prev = elm


def list_add_before(listelm, elm):
    """Links the unlinked entry elm just before listelm (at the back when listelm is the head)."""
    list_add_after(listelm.prev, elm)


def list_del_init(elm):
    """Unlinks elm from its list and leaves it a ring of its own (so list_empty(elm) holds)."""
    elm.prev.next = elm.next
    elm.next.prev = elm.prev
    list_init(elm)

"""Binding each event into an RFC 6962 Merkle log over the global order.

Each event stores one node: the hash of the perfect subtree that ends at its position
and spans `lowbit(position)` leaves. Those nodes are enough to append (the frontier of a
tree of size n is the nodes at n, n - lowbit(n), ...) and to compute the root of any size.
The canonical bytes of an event (version 1) are documented in docs/integrity.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from ledger.clock import format_timestamp
from ledger.model import Event, canonical_json

CANONICAL_PREFIX = b"outcomes-event/v1\n"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def canonical_bytes(event: Event) -> bytes:
    """Version 1 canonical bytes: everything recorded about the event except its position."""
    body: dict[str, Any] = {"id": event.id, "type": event.type,
                            "recorded_at": format_timestamp(event.recorded_at),
                            "recorded_by": event.recorded_by, **event.wire_fields()}
    return CANONICAL_PREFIX + canonical_json(body)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def lowbit(n: int) -> int:
    return n & -n


def frontier_positions(size: int) -> list[int]:
    """Positions whose stored nodes make up the tree of `size` leaves, left to right."""
    out = []
    while size:
        out.append(size)
        size -= lowbit(size)
    return out[::-1]


def node_at(position: int, leaf: bytes, node_of: Callable[[int], bytes]) -> bytes:
    """The node stored with the event at `position`, from its leaf and earlier nodes."""
    h, size = leaf, 1
    while size < lowbit(position):
        h = node_hash(node_of(position - size), h)
        size *= 2
    return h


def grow(frontier: dict[int, bytes], position: int, node: bytes) -> None:
    """Add the node at `position` and forget nodes no longer on the frontier (O(log n))."""
    frontier[position] = node
    keep = frontier_positions(position)
    for p in [p for p in frontier if p not in keep]:
        del frontier[p]


def root_from(nodes: Iterable[bytes]) -> bytes | None:
    """RFC 6962 root from the frontier nodes (left to right)."""
    root = None
    for h in reversed(list(nodes)):
        root = h if root is None else node_hash(h, root)
    return root


def root_hex(size: int, node_of: Callable[[int], bytes]) -> str:
    if size == 0:
        return EMPTY_ROOT
    root = root_from(node_of(p) for p in frontier_positions(size))
    assert root is not None
    return root.hex()

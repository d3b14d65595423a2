"""Binding each event into an RFC 6962 Merkle log over the global order.

Each event stores one node: the hash of the perfect subtree that ends at its position
and spans `lowbit(position)` leaves. Those nodes are enough to append (the frontier of a
tree of size n is the nodes at n, n - lowbit(n), ...) and to compute the root of any size.
The canonical bytes of an event (version 1) are documented in docs/integrity.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable

from outcomes.ledger.clock import format_timestamp
from outcomes.ledger.model import Event

CANONICAL_PREFIX = b"outcomes-event/v1\n"
_string = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def canonical_bytes(event: Event, content: bytes | None = None) -> bytes:
    """Version 1 canonical bytes: a header line, the envelope (who recorded it and when)
    and the content (type and fields), each as canonical JSON on its own line."""
    # Same bytes as canonical_json({"id", "recorded_at", "recorded_by"}), built directly.
    envelope = (f'{{"id":{_string(event.id)},"recorded_at":"'
                f'{format_timestamp(event.recorded_at)}","recorded_by":'
                f'{_string(event.recorded_by)}}}').encode()
    return b"".join((CANONICAL_PREFIX, envelope, b"\n",
                     event.content() if content is None else content))


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
    """Add the node at `position` and forget the nodes it covers.

    The frontier of size n is n, n - lowbit(n), ...; kept in increasing position, the
    nodes the new one covers are the last ones (amortised O(1)).
    """
    cut = position - lowbit(position)
    while frontier and next(reversed(frontier)) > cut:
        frontier.popitem()
    frontier[position] = node


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

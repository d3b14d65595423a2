"""Inclusion and consistency proofs (RFC 9162, sections 2.1.3 and 2.1.4) and the C2SP
tlog-proof file that carries one event, its audit path and a signed checkpoint.

Proofs are built from the nodes stored at append time (ledger/integrity.py): the node at
position p is the perfect subtree of lowbit(p) leaves ending at p. A perfect subtree of
fewer leaves ending at p is its leaf hash folded with the nodes at p-1, p-2, p-4, ...,
so every hash a proof needs costs O(log n) stored nodes and at most one event read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.integrity import (
    CANONICAL_PREFIX,
    EMPTY_ROOT,
    canonical_bytes,
    frontier_positions,
    leaf_hash,
    lowbit,
    node_hash,
    root_from,
)
from outcomes.ledger.notes import Checkpoint, NoteError, Verifier, open_checkpoint, split_note

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
EMPTY_ROOT_BYTES = bytes.fromhex(EMPTY_ROOT)

NodeOf = Callable[[int], bytes]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """The hashes of a ledger's tree, read lazily from its stored nodes and leaves."""

    def __init__(self, node_of: NodeOf, leaf_of: NodeOf) -> None:
        self._node_of, self._leaf_of = node_of, leaf_of
        self._nodes: dict[int, bytes] = {}

    def node(self, position: int) -> bytes:
        if position not in self._nodes:
            self._nodes[position] = self._node_of(position)
        return self._nodes[position]

    def perfect(self, end: int, size: int) -> bytes:
        """The perfect subtree of `size` leaves ending at 1-based position `end`."""
        assert end % size == 0, "not a subtree of the tree"
        if size == lowbit(end):
            return self.node(end)
        h, width = self._leaf_of(end), 1
        while width < size:
            h = node_hash(self.node(end - width), h)
            width *= 2
        return h

    def mth(self, a: int, b: int) -> bytes:
        """RFC 9162's MTH(D[a:b]) over 0-based leaves a..b-1 (b > a, a aligned)."""
        n = b - a
        if n & (n - 1) == 0 and a % n == 0:
            return self.perfect(b, n)
        k = _split(n)
        return node_hash(self.mth(a, a + k), self.mth(a + k, b))

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]), the leaf's sibling first (RFC 9162 2.1.3.1)."""
        if not 0 <= index < size:
            raise ValueError(f"index {index} is not in a tree of {size} leaves")
        return self._path(index, 0, size)

    def _path(self, m: int, a: int, b: int) -> list[bytes]:
        if b - a == 1:
            return []
        k = _split(b - a)
        if m < a + k:
            return [*self._path(m, a, a + k), self.mth(a + k, b)]
        return [*self._path(m, a + k, b), self.mth(a, a + k)]

    def consistency(self, old: int, new: int) -> list[bytes]:
        """PROOF(old, D[0:new]) (RFC 9162 2.1.4.1); empty when the sizes are equal."""
        if not 0 < old <= new:
            raise ValueError(f"no consistency proof from size {old} to size {new}")
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, a: int, b: int, complete: bool) -> list[bytes]:
        if m == b:
            return [] if complete else [self.mth(a, b)]
        k = _split(b - a)
        if m <= a + k:
            return [*self._subproof(m, a, a + k, complete), self.mth(a + k, b)]
        return [*self._subproof(m, a + k, b, False), self.mth(a, a + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes],
                     root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does `path` lead from the leaf hash at `index` to `root`?"""
    if not 0 <= index < size or len(leaf) != 32:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes,
                       proof: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show the tree of `new` leaves extends the old one?

    As in transparency-dev/merkle, a proof from the empty tree proves nothing (refused),
    and equal sizes need an empty proof and equal roots.
    """
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    if old & (old - 1) == 0:
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    """Strict standard base64; ValueError otherwise."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("not base64") from None


# -- the tlog-proof file ------------------------------------------------------------------


def proof_text(leaf: bytes, index: int, path: list[bytes], checkpoint_note: str) -> str:
    """A C2SP tlog-proof: header, `extra` (the leaf bytes), index, path, empty line,
    the signed checkpoint verbatim."""
    return "".join([f"{PROOF_HEADER}\nextra {b64(leaf)}\nindex {index}\n",
                    *(b64(h) + "\n" for h in path), "\n", checkpoint_note])


@dataclass(frozen=True)
class Proven:
    """What a verified proof shows: the event at `position` of the signed checkpoint."""

    origin: str
    size: int
    root: bytes
    position: int
    event: dict[str, Any]


def parse_proof(text: str) -> tuple[bytes, int, list[bytes], str]:
    """(leaf bytes, index, path, checkpoint note); NoteError naming what is malformed."""
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != PROOF_HEADER:
        raise NoteError(f"not a tlog-proof (it must start with {PROOF_HEADER} and hold an "
                        "empty line before the checkpoint)")
    if len(lines) < 3 or not lines[1].startswith("extra ") or \
            not re.fullmatch(r"index (0|[1-9][0-9]*)", lines[2]):
        raise NoteError("the proof has no `extra` line (the event) followed by an `index` "
                        "line: altered, or not made by `outcomes prove`")
    try:
        leaf = unb64(lines[1][len("extra "):])
        path = [unb64(line) for line in lines[3:]]
    except ValueError:
        raise NoteError("a line of the proof is not base64: altered") from None
    if any(len(h) != 32 for h in path):
        raise NoteError("a hash of the proof is not 32 bytes: altered")
    return leaf, int(lines[2][len("index "):]), path, note


def check_proof(text: str, verifier: Verifier) -> Proven:
    """Verify a tlog-proof against the verifier key: the checkpoint's signature, then the
    path from the event's leaf to its root; NoteError naming the first failure."""
    leaf, index, path, note = parse_proof(text)
    checkpoint = open_checkpoint(note, verifier)
    if not verify_inclusion(index, checkpoint.size, leaf_hash(leaf), path, checkpoint.root):
        raise NoteError(f"the inclusion proof does not lead from the event at position "
                        f"{index + 1} to the signed root of size {checkpoint.size}: the "
                        "event or a hash of the proof was altered")
    return Proven(checkpoint.origin, checkpoint.size, checkpoint.root, index + 1,
                  event_of_leaf(leaf, index + 1))


def event_of_leaf(leaf: bytes, position: int) -> dict[str, Any]:
    """The event that canonical bytes (v1) describe, in the shape of `log -O json`."""
    if not leaf.startswith(CANONICAL_PREFIX):
        raise NoteError("the proven leaf is not an outcomes event (outcomes-event/v1)")
    try:
        envelope_line, content_line = leaf[len(CANONICAL_PREFIX):].split(b"\n")
        envelope, content = json.loads(envelope_line), json.loads(content_line)
        return {"position": position, "id": envelope["id"], "type": content.pop("type"),
                "recorded_at": envelope["recorded_at"],
                "recorded_by": envelope["recorded_by"], **content}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise NoteError("the proven leaf is not an outcomes event (outcomes-event/v1)") \
            from None


def leaf_bytes(store: Any, position: int) -> bytes:
    """The canonical bytes of the event at `position` (what its leaf hashes)."""
    return canonical_bytes(store.event_at(position))


# -- proving from a store -------------------------------------------------------------


def store_tree(store: Any) -> Tree:
    return Tree(store.node, lambda position: leaf_hash(leaf_bytes(store, position)))


def _checkpoint_of_ledger(store: Any, tree: Tree, note: str) -> Checkpoint:
    """The checkpoint in a signed note, if it is one of this ledger (signature unchecked:
    the reader checks it with the verifier key)."""
    try:
        checkpoint = Checkpoint.parse(split_note(note))
    except NoteError as error:
        raise LedgerError(f"--checkpoint: {error}") from None
    head = store.head()
    if checkpoint.size > head:
        raise LedgerError(f"--checkpoint: its size {checkpoint.size} is larger than this "
                          f"ledger ({head} events): it is another ledger's")
    root = root_from(tree.node(p) for p in frontier_positions(checkpoint.size)) \
        if checkpoint.size else EMPTY_ROOT_BYTES
    if root != checkpoint.root:
        raise LedgerError(f"--checkpoint: its root is not this ledger's root at size "
                          f"{checkpoint.size}: it is another ledger's, or this one was "
                          "rewritten (run `outcomes verify`)")
    return checkpoint


def prove_event(store: Any, event_id: str, note: str, hint: int | None = None) -> str:
    """The tlog-proof of the event `event_id` against the signed checkpoint `note`.

    `hint` is where a local index says the event is; it is used only if the store's event
    there has this id (otherwise the stored rows are scanned).
    """
    tree = store_tree(store)
    checkpoint = _checkpoint_of_ledger(store, tree, note)
    position = hint if hint and hint <= store.head() and \
        store.event_at(hint).id == event_id else store.position_of(event_id)
    if position is None:
        raise LedgerError(f"EVENT_ID: no event {event_id!r} in {store.location}")
    if position > checkpoint.size:
        raise LedgerError(f"EVENT_ID: {event_id!r} was recorded at position {position}, "
                          f"after the checkpoint (size {checkpoint.size}): sign a newer one")
    leaf = leaf_bytes(store, position)
    path = tree.inclusion(position - 1, checkpoint.size)
    if not verify_inclusion(position - 1, checkpoint.size, leaf_hash(leaf), path,
                            checkpoint.root):
        raise LedgerError(f"the stored hashes do not prove {event_id!r}: the store was "
                          "altered (run `outcomes verify`)")
    return proof_text(leaf, position - 1, path, note)


def prove_consistency(store: Any, old: int, note: str | None) -> list[bytes]:
    """The consistency proof from size `old` to the signed checkpoint's size (or to the
    ledger's size)."""
    tree = store_tree(store)
    new = _checkpoint_of_ledger(store, tree, note).size if note else store.head()
    if not 0 <= old <= new:
        raise LedgerError(f"OLD_SIZE: {old} is not between 0 and the new size {new}")
    return tree.consistency(old, new) if old else []


def check_consistency(old_note: str, new_note: str, proof: str,
                      verifier: Verifier) -> tuple[Checkpoint, Checkpoint]:
    """Both checkpoints signed by the key, and the proof that the new one extends the old
    one; NoteError naming the first failure."""
    try:
        old = open_checkpoint(old_note, verifier)
    except NoteError as error:
        raise NoteError(f"OLD_CHECKPOINT: {error}") from None
    try:
        new = open_checkpoint(new_note, verifier)
    except NoteError as error:
        raise NoteError(f"NEW_CHECKPOINT: {error}") from None
    if old.origin != new.origin:
        raise NoteError(f"the checkpoints are of two logs ({old.origin!r} and {new.origin!r})")
    try:
        hashes = [unb64(line) for line in proof.split("\n") if line]
    except ValueError:
        raise NoteError("PROOF: a line is not base64: altered") from None
    if old.size == 0 and old.root == EMPTY_ROOT_BYTES and not hashes:
        return old, new  # every log extends the empty one
    if any(len(h) != 32 for h in hashes) or \
            not verify_consistency(old.size, new.size, old.root, new.root, hashes):
        raise NoteError(f"the proof does not show that the log of size {new.size} extends "
                        f"the one of size {old.size}: history was rewritten, or the proof "
                        "was altered or is for other sizes")
    return old, new

"""An independent reader of what `outcomes` publishes, written from the specifications
(C2SP signed-note, tlog-checkpoint and tlog-proof; RFC 6962 section 2.1.1) without
importing the project's code: the tests check that this reader accepts what the tool
writes, so the files are interoperable, not merely consistent with the tool itself.
Only Ed25519 itself comes from a library (`cryptography`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014"


class Rejected(Exception):
    pass


def vkey(text: str) -> tuple[str, bytes, bytes]:
    """signed-note "Verifier keys": <name>+hex(key ID)+base64(0x01 || public key)."""
    name, key_id_hex, key64 = text.split("+", 2)
    key = base64.b64decode(key64, validate=True)
    if key[0] != 0x01 or len(key) != 33:
        raise Rejected("not an Ed25519 verifier key")
    key_id = bytes.fromhex(key_id_hex)
    if hashlib.sha256(name.encode() + b"\x0a" + key).digest()[:4] != key_id:
        raise Rejected("key ID is not SHA-256(name || 0x0A || 0x01 || key)[:4]")
    return name, key_id, key[1:]


def open_note(note: bytes, key_text: str) -> str:
    """signed-note "Format" and "Signatures": the text, if a signature by the key holds."""
    name, key_id, public = vkey(key_text)
    text = note.decode("utf-8")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise Rejected("control character")
    split = text.rindex("\n\n")
    body, signatures = text[:split + 1], text[split + 2:]
    if not signatures.endswith("\n"):
        raise Rejected("signature lines end in a newline")
    ok = False
    for line in signatures[:-1].split("\n"):
        dash, signer, sig64 = line.split(" ")
        if dash != EM_DASH:
            raise Rejected("signature line must start with an em dash")
        sig = base64.b64decode(sig64, validate=True)
        if signer == name and sig[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(public).verify(sig[4:], body.encode())
            ok = True
    if not ok:
        raise Rejected("no signature by the known key")
    return body


def checkpoint(body: str) -> tuple[str, int, bytes]:
    """tlog-checkpoint "Note text": origin, decimal size, base64 root, one per line."""
    lines = body.split("\n")
    origin, size, root = lines[0], lines[1], base64.b64decode(lines[2], validate=True)
    if not origin or str(int(size)) != size or len(root) != 32:
        raise Rejected("malformed checkpoint")
    return origin, int(size), root


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """The root an RFC 6962 audit path leads to, written from the tree's shape: the path
    has one node per level where the paths of `index` and `size - 1` go apart (inner),
    then one per 1-bit above them (the left border)."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    if len(path) != inner + border or index >= size:
        raise Rejected("wrong path length")
    h = hashlib.sha256(b"\x00" + leaf).digest()
    for level, sibling in enumerate(path[:inner]):
        h = _node(sibling, h) if (index >> level) & 1 else _node(h, sibling)
    for sibling in path[inner:]:
        h = _node(sibling, h)
    return h


def tlog_proof(data: bytes, key_text: str) -> dict[str, Any]:
    """tlog-proof "Format" and "Verifying a tlog proof": the event of the `extra` line."""
    text = data.decode("utf-8")
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1" or not lines[1].startswith("extra ") or \
            not lines[2].startswith("index "):
        raise Rejected("not a tlog-proof with extra data")
    leaf = base64.b64decode(lines[1][6:], validate=True)
    index = int(lines[2][6:])
    path = [base64.b64decode(line, validate=True) for line in lines[3:]]
    _, size, root = checkpoint(open_note(note.encode(), key_text))
    if root_from_path(index, size, leaf, path) != root:
        raise Rejected("the path does not lead to the signed root")
    prefix, envelope, content = leaf.split(b"\n")
    if prefix != b"outcomes-event/v1":
        raise Rejected("not an outcomes event")
    return {"position": index + 1, **json.loads(envelope), **json.loads(content)}

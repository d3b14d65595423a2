"""Proofs and signed notes against the published test vectors.

- RFC 6962 leaves, roots, inclusion and consistency proofs: every vector of
  transparency-dev/merkle's testdata (tests/data/rfc6962_proof_vectors.json names its
  origin), generated from the stored nodes and verified (including each vector that must
  fail).
- Signed notes and keys: the examples of the C2SP signed-note specification and of Go's
  golang.org/x/mod/sumdb/note package documentation, byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from outcomes.ledger.integrity import leaf_hash, node_at, root_hex
from outcomes.ledger.notes import Checkpoint, NoteError, Signer, Verifier, open_note
from outcomes.ledger.proofs import Tree, verify_consistency, verify_inclusion
from tests import c2sp_reference as reference

DATA = json.loads((Path(__file__).parents[1] / "data" / "rfc6962_proof_vectors.json").read_text())
LEAVES = [bytes.fromhex(h) for h in DATA["leaves"]]
VECTORS = DATA["vectors"]


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def tree_of(leaves: list[bytes]) -> tuple[Tree, dict[int, bytes]]:
    """A Tree over `leaves` read from the nodes stored the way the ledger appends."""
    nodes: dict[int, bytes] = {}
    for position, data in enumerate(leaves, start=1):
        nodes[position] = node_at(position, leaf_hash(data), nodes.__getitem__)
    return Tree(nodes.__getitem__, lambda p: leaf_hash(leaves[p - 1])), nodes


def names(kind: str, happy: bool | None = None) -> list[str]:
    return [n for n, v in VECTORS.items() if n.startswith(kind + "/")
            and (happy is None or (v["desc"] == "happy path") == happy)]


# -- RFC 6962 vectors ---------------------------------------------------------------------


def test_the_vectors_are_all_there() -> None:
    assert len(names("inclusion")) == 98 and len(names("consistency")) == 98
    assert len(names("inclusion", happy=True)) == 5 and len(names("consistency", True)) == 5


@pytest.mark.parametrize("name", names("inclusion", happy=True))
def test_leaves_roots_and_inclusion_proofs_equal_the_vectors(name: str) -> None:
    v = VECTORS[name]
    tree, nodes = tree_of(LEAVES)
    assert leaf_hash(LEAVES[v["leafIdx"]]) == unb64(v["leafHash"])
    assert root_hex(v["treeSize"], nodes.__getitem__) == unb64(v["root"]).hex()
    assert tree.inclusion(v["leafIdx"], v["treeSize"]) == [unb64(h) for h in v["proof"] or []]


@pytest.mark.parametrize("name", names("consistency", happy=True))
def test_consistency_proofs_equal_the_vectors(name: str) -> None:
    v = VECTORS[name]
    tree, nodes = tree_of(LEAVES)
    assert root_hex(v["size1"], nodes.__getitem__) == unb64(v["root1"]).hex()
    assert root_hex(v["size2"], nodes.__getitem__) == unb64(v["root2"]).hex()
    assert tree.consistency(v["size1"], v["size2"]) == [unb64(h) for h in v["proof"] or []]


@pytest.mark.parametrize("name", names("inclusion"))
def test_inclusion_verification_agrees_with_every_vector(name: str) -> None:
    v = VECTORS[name]
    ok = verify_inclusion(v["leafIdx"], v["treeSize"], unb64(v["leafHash"]),
                          [unb64(h) for h in v["proof"] or []], unb64(v["root"]))
    assert ok is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("name", names("consistency"))
def test_consistency_verification_agrees_with_every_vector(name: str) -> None:
    v = VECTORS[name]
    ok = verify_consistency(v["size1"], v["size2"], unb64(v["root1"]), unb64(v["root2"]),
                            [unb64(h) for h in v["proof"] or []])
    assert ok is not v["wantErr"], v["desc"]


def test_every_proof_of_every_tree_up_to_33_leaves_verifies_and_no_other() -> None:
    """Generated from the stored nodes; checked by the RFC 9162 verifier and by the
    independent one of the tests; each proof fails for the neighbouring size."""
    leaves = [f"leaf {i}".encode() for i in range(33)]
    tree, nodes = tree_of(leaves)
    roots = {n: bytes.fromhex(root_hex(n, nodes.__getitem__)) for n in range(1, 34)}
    for size in range(1, 34):
        for index in range(size):
            path = tree.inclusion(index, size)
            assert verify_inclusion(index, size, leaf_hash(leaves[index]), path, roots[size])
            assert reference.root_from_path(index, size, leaves[index], path) == roots[size]
            if size < 33 and index < size:
                assert not verify_inclusion(index, size + 1, leaf_hash(leaves[index]), path,
                                            roots[size + 1])
        for old in range(1, size + 1):
            proof = tree.consistency(old, size)
            assert verify_consistency(old, size, roots[old], roots[size], proof), (old, size)
            if old < size:
                assert not verify_consistency(old, size, roots[size], roots[old], proof)
                bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not verify_consistency(old, size, roots[old], roots[size], bad)


def test_a_proof_reads_few_stored_nodes() -> None:
    """At 2^16 + 3 leaves a proof needs O(log^2 n) node reads, not the whole tree."""
    size = 2 ** 16 + 3
    reads: list[int] = []
    digest = hashlib.sha256(b"x").digest()

    def node_of(position: int) -> bytes:
        reads.append(position)
        return digest

    tree = Tree(node_of, lambda p: digest)
    assert len(tree.inclusion(12345, size)) == 17  # 16 levels of the left 2^16, then 1
    assert len(tree.consistency(40000, size)) <= 2 * 17
    assert len(reads) < 17 * 17


# -- signed notes: the specification's and Go's examples ------------------------------------

# c2sp.org/signed-note, section "Verifier keys", "Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv"
             "1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
# golang.org/x/mod/sumdb/note, package documentation, "Example".
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = GO_TEXT + ("\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1F"
                     "FYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ov"
             "TG01oOTGwnWLox33WWd1RvMc+QQ=\n")


def test_the_specification_example_note_verifies() -> None:
    assert open_note(SPEC_NOTE, Verifier.parse(SPEC_VKEY)) == "This is an example message.\n"
    assert reference.open_note(SPEC_NOTE.encode(), SPEC_VKEY) == "This is an example message.\n"


def test_go_keys_and_signature_are_reproduced_byte_for_byte() -> None:
    signer = Signer.parse(GO_SKEY)
    assert signer.verifier.text() == GO_VKEY
    assert signer.sign(GO_TEXT) == GO_NOTE  # Ed25519 is deterministic
    assert open_note(GO_NOTE, Verifier.parse(GO_VKEY)) == GO_TEXT
    # A second signature by an unknown key (EnochRoot's) is ignored.
    assert open_note(GO_NOTE + ENOCH_SIG, Verifier.parse(GO_VKEY)) == GO_TEXT


def test_altered_notes_and_keys_are_rejected() -> None:
    verifier = Verifier.parse(GO_VKEY)
    for altered in (GO_NOTE.replace("cryptography", "cryptographY"),
                    GO_NOTE.replace("x08go", "x08gp"), GO_NOTE.replace("\n\n", "\n"),
                    GO_NOTE.replace("PeterNeumann x", "PeterNeuman x"), GO_NOTE[:-1]):
        with pytest.raises(NoteError):
            open_note(altered, verifier)
    with pytest.raises(NoteError, match="no signature by the key"):
        open_note(GO_NOTE, Verifier.parse(SPEC_VKEY))
    for key in (GO_VKEY.replace("c74f", "c75f"), GO_VKEY[:-2], GO_VKEY.replace("+A", "+B"),
                "PeterNeumann", GO_VKEY.replace("PeterNeumann", "Peter Neumann")):
        with pytest.raises(ValueError):
            Verifier.parse(key)
    with pytest.raises(ValueError):
        Signer.parse(GO_SKEY.replace("c74f20a3", "c74f20a4"))


def test_checkpoint_text_is_origin_size_and_base64_root() -> None:
    root = hashlib.sha256(b"").digest()
    text = Checkpoint("example.org/ledger", 0, root).text()
    assert text == "example.org/ledger\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert Checkpoint.parse(text) == Checkpoint("example.org/ledger", 0, root)
    for bad in (text.replace("\n0\n", "\n00\n"), text.replace("=\n", "\n"),
                "example.org/ledger\n0\n", text.replace("\n0\n", "\n-1\n")):
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)

"""Signed notes and checkpoints (C2SP signed-note and tlog-checkpoint), with Ed25519.

The formats are the ones Go's golang.org/x/mod/sumdb/note and the transparency-log tools
read, so a reader can check what `outcomes` signs without `outcomes` (docs/integrity.md).
Key texts never appear in messages: errors name the file or option, not its content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from dataclasses import dataclass

from outcomes.ledger.errors import LedgerError

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
NAME_RE = re.compile(r"[^\s+]+")
MAX_SIGNATURES = 100


class NoteError(Exception):
    """A note, checkpoint or signature that does not verify: a failed check (exit 1)."""


def key_id(name: str, public: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4] (C2SP signed-note)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (padding required, no stray characters)."""
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class Verifier:
    """A verifier key: `NAME+ID+base64(0x01 || public key)`."""

    name: str
    id: bytes
    public: bytes

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """Raises ValueError (without the key text) if `text` is not a valid Ed25519 vkey."""
        parts = text.strip().split("+", 2)  # base64 may hold '+'
        if len(parts) != 3 or not NAME_RE.fullmatch(parts[0]) or \
                not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise ValueError("not a verifier key (expected NAME+ID+KEY as printed by "
                             "`outcomes keygen`)")
        try:
            raw = _b64decode(parts[2])
        except (binascii.Error, ValueError):
            raise ValueError("the key part of the verifier key is not base64") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise ValueError("not an Ed25519 verifier key")
        if key_id(parts[0], raw[1:]) != bytes.fromhex(parts[1]):
            raise ValueError("the verifier key's id does not match its name and key")
        return cls(parts[0], bytes.fromhex(parts[1]), raw[1:])

    def text(self) -> str:
        return f"{self.name}+{self.id.hex()}+" + \
            base64.b64encode(bytes([ED25519]) + self.public).decode()

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer:
    """A signer key: `PRIVATE+KEY+NAME+ID+base64(0x01 || 32-byte seed)`."""

    def __init__(self, name: str, seed: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = Verifier(name, key_id(name, public), public)

    @classmethod
    def generate(cls, name: str) -> tuple[Signer, str]:
        """A new key and its signer-key text (to write to a private file only)."""
        if not NAME_RE.fullmatch(name):
            raise LedgerError(f"NAME: {name!r} is not a key name: no spaces and no '+' "
                              "(a schema-less URL such as example.org/ledger is best)")
        seed = os.urandom(32)
        signer = cls(name, seed)
        return signer, f"PRIVATE+KEY+{name}+{signer.verifier.id.hex()}+" + \
            base64.b64encode(bytes([ED25519]) + seed).decode()

    @classmethod
    def parse(cls, text: str) -> Signer:
        """Raises ValueError (never quoting the key) if `text` is not a signer key."""
        parts = text.strip().split("+", 4)  # base64 may hold '+'
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or \
                not NAME_RE.fullmatch(parts[2]) or not re.fullmatch(r"[0-9a-f]{8}", parts[3]):
            raise ValueError("not a signer key (expected PRIVATE+KEY+NAME+ID+KEY as written "
                             "by `outcomes keygen`)")
        try:
            raw = _b64decode(parts[4])
        except (binascii.Error, ValueError):
            raise ValueError("the key part of the signer key is not base64") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise ValueError("not an Ed25519 signer key")
        signer = cls(parts[2], raw[1:])
        if signer.verifier.id != bytes.fromhex(parts[3]):
            raise ValueError("the signer key's id does not match its name and key")
        return signer

    def sign(self, text: str) -> str:
        """The signed note: the text, an empty line, this key's signature line."""
        body = check_text(text)
        signature = self._key.sign(body)
        return text + "\n" + SIGNATURE_PREFIX + self.name + " " + \
            base64.b64encode(self.verifier.id + signature).decode() + "\n"


def read_signer(path: str) -> Signer:
    """The signer key in a private file; LedgerError (exit 2) naming the file otherwise."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise LedgerError(f"KEYFILE: cannot read {path!r}: {error.strerror}") from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise LedgerError(f"KEYFILE: {path} is open to other users (mode "
                          f"{stat.S_IMODE(mode):o}): a signer key must be private; run "
                          f"`chmod 600 {path}` (and make a new key if others may have "
                          "read it)")
    try:
        with open(path, encoding="utf-8") as stream:
            return Signer.parse(stream.read(4096))
    except UnicodeDecodeError:
        problem = "not a text file"
    except OSError as error:
        problem = f"cannot read it: {error.strerror}"
    except ValueError as error:  # its messages never quote the key
        problem = str(error)
    raise LedgerError(f"KEYFILE: {path}: {problem}")


def read_verifier(value: str) -> Verifier:
    """A verifier key given as its text or as a file holding it (LedgerError otherwise)."""
    text = value
    if "+" not in value or os.path.isfile(value):
        try:
            with open(value, encoding="utf-8") as stream:
                text = stream.read(4096)
        except (OSError, UnicodeDecodeError):
            raise LedgerError(f"--key: {value!r} is neither a verifier key (NAME+ID+KEY) "
                              "nor a readable file holding one") from None
    if text.lstrip().startswith("PRIVATE+"):
        raise LedgerError("--key: that is a signer (private) key: pass the verifier key "
                          "`outcomes keygen` printed (NAME+ID+KEY), and keep the signer key "
                          "private")
    try:
        return Verifier.parse(text)
    except ValueError as error:
        raise LedgerError(f"--key: {error}") from None


def write_private(path: str, text: str) -> None:
    """Create `path` readable by its owner only; never overwrite an existing file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise LedgerError(f"-o: {path} already exists: choose another file (a key is "
                          "never overwritten)") from None
    except OSError as error:
        raise LedgerError(f"-o: cannot create {path}: {error.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")


def check_text(text: str) -> bytes:
    """The note text as signed bytes, if it is one a note may carry."""
    if not text.endswith("\n") or "\n\n" in text or \
            any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ValueError("a note text must end with a newline, hold no empty line and no "
                         "control character")
    return text.encode()


def open_note(note: str, verifier: Verifier) -> str:
    """The text of a signed note whose signature by `verifier` holds; NoteError otherwise.

    Signatures by other keys are ignored (C2SP signed-note); a signature by this key that
    does not verify fails the note.
    """
    if any(ord(c) < 0x20 and c != "\n" for c in note) or not note.endswith("\n"):
        raise NoteError("not a signed note (control characters, or no final newline)")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("not a signed note (no empty line before the signatures)")
    text, lines = note[:cut + 1], note[cut + 2:].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("not a signed note (no signature lines, or too many)")
    verified = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("not a signed note (a signature line must start with an em "
                            "dash and a space)")
        name, _, b64 = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            raw = _b64decode(b64)
        except (binascii.Error, ValueError):
            raise NoteError(f"the signature by {name} is not base64: altered") from None
        if len(raw) < 5 or not NAME_RE.fullmatch(name):
            raise NoteError("a signature line is malformed: altered")
        if name != verifier.name or raw[:4] != verifier.id:
            continue  # another key's signature (a witness, a rotated key): ignored
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"the signature by {name} does not verify: the note was altered, "
                            "or signed by another key")
        verified = True
    if not verified:
        raise NoteError(f"the note carries no signature by the key {verifier.name}+"
                        f"{verifier.id.hex()}")
    return text


# -- checkpoints (C2SP tlog-checkpoint) -----------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """The checkpoint of a note text; NoteError if it is not one."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("not a checkpoint (origin, size and root lines expected)")
        origin, size, root = lines[:3]
        if not re.fullmatch(r"0|[1-9][0-9]*", size):
            raise NoteError("the checkpoint's size is not a decimal number")
        try:
            digest = _b64decode(root)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 32:
            raise NoteError("the checkpoint's root is not a base64 SHA-256 hash")
        return cls(origin, int(size), digest)


def signed_checkpoint(origin: str, size: int, root_hex: str, signer: Signer) -> str:
    if not origin or "\n" in origin:
        raise LedgerError("--origin: must be one non-empty line")
    return signer.sign(Checkpoint(origin, size, bytes.fromhex(root_hex)).text())


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    return Checkpoint.parse(open_note(note, verifier))


def split_note(note: str) -> str:
    """The text of a signed note, signatures not checked (to read a checkpoint's size)."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("not a signed note (no empty line before the signatures)")
    return note[:cut + 1]

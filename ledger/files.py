"""Output files (`-o FILE`): never one of the ledger's own files, never left half-written.

A regular file is written to a temporary file in its folder and renamed over it once
complete, so a failure (a full disk, an interrupted command) leaves the old file as it
was. Devices, FIFOs and the `/dev/fd`, `/proc` aliases of open descriptors (`/dev/stdout`)
cannot be replaced by a rename: they are written in place.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, Any

from outcomes.ledger.errors import LedgerError

SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
# Aliases of open descriptors: /dev/stdout may lead to a regular file the shell opened (and
# may append to), which a rename would replace instead of writing to.
DESCRIPTOR_PREFIXES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/")


class Output:
    """The open -o stream (text, or bytes for binary output): writes that fail name the
    file, in one line."""

    def __init__(self, stream: IO[Any], path: str) -> None:
        self.stream, self.path = stream, path

    def write(self, text: Any) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise output_error(self.path, error) from None


def output_error(path: str, error: OSError) -> LedgerError:
    """`-o PATH: what is wrong; what to do`."""
    folder = os.path.dirname(os.path.abspath(path)) or "/"
    code = error.errno
    if code == errno.EISDIR or os.path.isdir(path):
        advice = f"is a folder: give a file name, e.g. {os.path.join(path, 'out.txt')}"
    elif code == errno.ENOENT:
        advice = f"the folder {folder} does not exist: create it first, or choose another path"
    elif code == errno.ENOTDIR:
        advice = f"{folder} is not a folder: choose another path"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = "cannot be written here (permission denied or read-only): choose a path " \
                 "in a folder you can write"
    elif code in (errno.ENOSPC, errno.EDQUOT):
        advice = "no space left on the device: free some space, or write elsewhere"
    else:
        advice = f"cannot be written ({error.strerror or error}): choose another path"
    return LedgerError(f"-o {path}: {advice}; nothing was written")


def refuse_own_files(path: str, own: Mapping[str, str]) -> None:
    """Refuse an output path that is one of the ledger's files or their SQLite side files.

    `own` maps a description ("the ledger") to a path. The same file is found by its
    resolved path (through symlinks, even before it exists) or by its inode (hard links).
    """
    target = os.path.realpath(path)
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None
    for what, base in own.items():
        for suffix in SQLITE_SIDE_FILES:
            candidate = base + suffix
            if os.path.realpath(candidate) == target or (info is not None and _same_inode(
                    info, candidate)):
                which = what if not suffix else f"a SQLite side file of {what}"
                raise LedgerError(f"-o {path}: that is {which} ({candidate}); writing there "
                                  "would destroy it: choose another file name")


def _same_inode(info: os.stat_result, other: str) -> bool:
    try:
        theirs = os.stat(other)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == (theirs.st_dev, theirs.st_ino)


def check_output(path: str, own: Mapping[str, str]) -> None:
    """Refuse, before any work, an output that cannot be or must not be written."""
    refuse_own_files(path, own)
    if os.path.isdir(path):
        raise output_error(path, OSError(errno.EISDIR, "Is a directory"))
    folder = os.path.dirname(os.path.realpath(path))
    if not os.path.exists(folder):
        raise output_error(path, OSError(errno.ENOENT, "No such file or directory"))
    if not os.path.isdir(folder):
        raise output_error(path, OSError(errno.ENOTDIR, "Not a directory"))


def in_place(path: str) -> bool:
    """Whether `path` is written where it is: a device, a FIFO, a socket, or an alias of an
    open descriptor (renaming over those would replace the alias, not write to it)."""
    if os.path.abspath(path).startswith(DESCRIPTOR_PREFIXES):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextmanager
def output_file(path: str, own: Mapping[str, str], *, binary: bool = False
                ) -> Iterator[Output]:
    """A text (or binary) stream to `path`, replacing it only once the body completes
    without error.

    Raises LedgerError (one line naming the path) if `path` is one of `own`'s files, a
    folder, in a missing folder, or cannot be written; the old file is then left intact.
    """
    check_output(path, own)
    if in_place(path):
        try:
            # Appending: through /dev/stdout, write after what the shell already wrote there.
            stream = open(path, "ab") if binary else open(  # noqa: SIM115 (_closing closes it)
                path, "a", encoding="utf-8")
        except OSError as error:
            raise output_error(path, error) from None
        with _closing(stream, path):
            yield Output(stream, path)
        return
    target = os.path.realpath(path)  # through a symlink: the link stays, its file is replaced
    try:
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target),
                                         prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    except OSError as error:
        raise output_error(path, error) from None
    try:
        opened = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")
        with _closing(opened, path, sync=True) as stream:
            yield Output(stream, path)
        try:
            os.chmod(temporary, _mode_for(target))
            os.replace(temporary, target)
        except OSError as error:
            raise output_error(path, error) from None
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


@contextmanager
def _closing(stream: IO[Any], path: str, *, sync: bool = False) -> Iterator[IO[Any]]:
    """Close `stream` (flushed, and synced to disk before a rename); a failure to flush
    names the file."""
    try:
        yield stream
        try:
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
        except BrokenPipeError:
            raise
        except OSError as error:
            raise output_error(path, error) from None
    finally:
        with suppress(OSError):  # already reported (or the body failed first)
            stream.close()


def _mode_for(target: str) -> int:
    """The replaced file's permissions, or a new file's (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask

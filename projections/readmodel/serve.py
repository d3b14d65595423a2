"""`outcomes serve`: Datasette on the read model, with its metadata (metadata.py).

Datasette is an optional extra (`pip install "outcomes[web]"`): imported here only. The
database is named after the ledger (`cloud.db` -> `cloud`), so its URLs read `/cloud/claims`
(Datasette would name the file `cloud.read`, escaped as `/cloud~2Eread`), and opened
read-only: reports keep the read model up to date while it is served.
"""

from __future__ import annotations

import os
import re
import sqlite3
from typing import Any

from outcomes.ledger.errors import ReportError
from outcomes.projections.readmodel.metadata import metadata

INSTALL = 'Datasette is not installed: pip install "outcomes[web]" (or pip install datasette)'


def database_name(path: str) -> str:
    """A name for the read model that needs no escaping in URLs: its file name without
    `.read.db` (or the extension), every other character than letters, digits, `-` and
    `_` made a `-`."""
    name = os.path.basename(path)
    for suffix in (".read.db", ".db", ".sqlite3", ".sqlite"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "outcomes"


def checkpoint(path: str) -> dict[str, Any] | None:
    """The ledger's size and Merkle root the read model was built from (None: empty)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (size,) = conn.execute("SELECT position FROM tracking").fetchone() or (0,)
        root = conn.execute("SELECT value FROM meta WHERE key = 'root'").fetchone()
    finally:
        conn.close()
    return {"size": size, "root": root[0]} if size and root else None


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, dictionaries merged key by key (a --metadata file's license,
    source, title or descriptions over the shipped ones)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = (merged(out[key], value) if isinstance(value, dict)
                    and isinstance(out.get(key), dict) else value)
    return out


def datasette(path: str, *, extra: dict[str, Any] | None = None) -> Any:
    """A Datasette instance on the read model at `path` (read-only), with its metadata."""
    try:
        from datasette.app import Datasette
        from datasette.database import Database
    except ImportError:
        raise ReportError(INSTALL) from None
    name = database_name(path)
    meta = metadata(name, checkpoint(path))
    if extra:
        meta = merged(meta, extra)
    ds = Datasette(metadata=meta, settings={"default_page_size": 100})
    ds.add_database(Database(ds, path=path, is_mutable=True), name=name)
    if "_memory" in ds.databases:  # (made when no file is given: nothing to show)
        ds.remove_database("_memory")
    return ds


def check_address(host: str, port: int) -> None:
    """Refuse, in one line, an address this machine cannot listen on (a port in use, a
    host that is not one of its addresses), before anything is printed or served."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(infos[0][4])
    except OSError as error:
        raise ReportError(f"cannot listen on {host}:{port} ({error.strerror or error}): "
                          "pick another with --port or --host") from None


def serve(path: str, *, host: str, port: int, extra: dict[str, Any] | None = None) -> None:
    """Serve the read model over HTTP until interrupted (Datasette's own server, uvicorn)."""
    ds = datasette(path, extra=extra)
    import uvicorn

    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")

"""PostgreSQL for a shared ledger: URL, connection check, append-only guards, writer lock.

Imported only for `postgresql://` URLs, so a SQLite ledger does not need psycopg. The
eventsourcing library does the storing (table `outcomes_events` in the URL's schema);
this module adds what `outcomes` promises on top of it:

* one-line errors, naming host and port (never the password), when the server cannot
  be reached, the database is missing or the ledger was never initialised;
* append-only guards in the database: a trigger refuses UPDATE, DELETE and TRUNCATE;
* writers serialised by a transaction-scoped advisory lock instead of the library's
  `LOCK TABLE ... IN EXCLUSIVE MODE`, which PostgreSQL only grants to roles holding
  UPDATE, DELETE or TRUNCATE on the table: so a writer role can be INSERT-only.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import sql

from outcomes.ledger.errors import LedgerError
from outcomes.ledger.store import postgres_url

TABLE = "outcomes_events"  # the library's `<application name>_events`
GUARD_FUNCTION = "outcomes_events_append_only"
GUARD_TRIGGER = "outcomes_events_append_only"
CONNECT_TIMEOUT = 10  # seconds, for the first connection of a command
URL_PARAMETERS = {"schema", "host"}


def password_from_libpq() -> None:
    """No password: libpq then takes it from PGPASSWORD or ~/.pgpass (PGPASSFILE).

    Used as POSTGRES_GET_PASSWORD_TOPIC when the URL carries no password; the library
    would otherwise pass an empty password, which stops libpq from looking.
    """
    return None


@dataclass(frozen=True)
class Target:
    """Where a PostgreSQL ledger lives, parsed from its URL."""

    host: str
    port: int
    dbname: str
    user: str
    password: str | None
    schema: str

    @classmethod
    def from_url(cls, url: str) -> Target:
        u = postgres_url(url)
        if u.port is None:
            raise LedgerError(f"--db: malformed port in {redact(url)}")
        unknown = sorted(set(u.params) - URL_PARAMETERS)
        if unknown:
            raise LedgerError(
                f"--db: unsupported URL parameter {unknown[0]!r} (supported: schema, host); "
                "set other connection settings with libpq's PG* environment variables, "
                "e.g. PGSSLMODE")
        if not u.dbname:
            raise LedgerError("--db: the URL names no database: use "
                              "postgresql://USER:PASSWORD@HOST:PORT/DBNAME")
        return cls(host=u.host, port=u.port, dbname=u.dbname,
                   user=u.user or os.environ.get("PGUSER") or getpass.getuser(),
                   password=u.password, schema=u.schema)

    @property
    def address(self) -> str:
        return self.host if self.host.startswith("/") else f"{self.host}:{self.port}"

    def describe(self) -> str:
        """The ledger's location for messages: never the password."""
        params = [f"host={self.host}"] if self.host.startswith("/") else []
        params += [f"schema={self.schema}"] if self.schema != "public" else []
        host = "" if self.host.startswith("/") else self.address
        where = f"postgresql://{quote(self.user)}@{host}/{self.dbname}"
        return where + ("?" + "&".join(params) if params else "")

    def env(self, *, create: bool) -> dict[str, str]:
        """The eventsourcing library's settings for this ledger."""
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            # One command is one thread: a small pool per process keeps 8+ writers far
            # below the server's max_connections (100 by default).
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "2",
            # An import keeps one transaction open while it validates its lines; the
            # library's default (5 s idle) let the server kill a large import on a busy
            # machine. A crashed client's session ends with its connection anyway.
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "600",
            "APPLICATION_RECORDER_TOPIC": "outcomes.ledger.postgres:LedgerRecorder",
            # Tables are made by `outcomes init` only; other commands check they exist.
            "CREATE_TABLE": "yes" if create else "no",
        }
        if self.password is None:
            env["POSTGRES_PASSWORD"] = ""
            env["POSTGRES_GET_PASSWORD_TOPIC"] = "outcomes.ledger.postgres:password_from_libpq"
        else:
            env["POSTGRES_PASSWORD"] = self.password
            env["POSTGRES_GET_PASSWORD_TOPIC"] = ""
        return env

    def connect(self) -> psycopg.Connection[Any]:
        """A direct connection, or a one-line LedgerError saying what to fix."""
        try:
            return psycopg.connect(host=self.host, port=self.port, dbname=self.dbname,
                                   user=self.user, password=self.password,
                                   connect_timeout=CONNECT_TIMEOUT, autocommit=True)
        except psycopg.Error as error:
            raise LedgerError(self.connection_problem(error)) from None

    def connection_problem(self, error: Exception) -> str:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        reason = one_line(lines[0] if lines else type(error).__name__, self.password)
        if "failed: " in reason:  # 'connection failed: connection to ... failed: REASON'
            reason = reason.rsplit("failed: ", 1)[1]
        reason = reason.replace("FATAL:", "").strip()
        if "does not exist" in reason and "database" in reason:
            hint = (f"create it (e.g. `createdb -h {self.host} -p {self.port} -O {self.user} "
                    f"{self.dbname}`) or fix the URL")
        elif "password" in reason or "authentication" in reason:
            hint = ("check the user and password (in the URL, PGPASSWORD or ~/.pgpass) and "
                    "the server's pg_hba.conf")
        else:
            hint = (f"is the server running and accepting TCP connections on {self.address}? "
                    "check the URL given to --db or OUTCOMES_DB")
        return (f"cannot connect to PostgreSQL at {self.address} (database {self.dbname!r}, "
                f"user {self.user!r}): {reason}; {hint}")


def redact(url: str) -> str:
    """A store URL with its password hidden."""
    u = urlparse(url)
    if u.password is None:
        return url
    netloc = u.netloc.rsplit("@", 1)
    userinfo = netloc[0].split(":", 1)[0]
    return u._replace(netloc=f"{userinfo}:***@{netloc[1]}").geturl()


def one_line(text: str, password: str | None = None) -> str:
    text = " ".join(part.strip() for part in text.splitlines() if part.strip())
    if password:
        text = text.replace(password, "***")
    return text


def table_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s", (schema, TABLE)).fetchone()
    return row is not None


def guarded(conn: psycopg.Connection[Any], schema: str) -> bool:
    """Whether the append-only trigger is in place and fires always."""
    row = conn.execute(
        "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND t.tgname = %s AND t.tgenabled = 'A'",
        (schema, TABLE, GUARD_TRIGGER)).fetchone()
    return row is not None


def lock_key(schema: str, purpose: str = "insert") -> sql.Composed:
    """An advisory lock of one ledger: "insert" (each insert transaction, and `init`)
    or "turn" (a writing command, from reading the head to its append)."""
    return sql.SQL("hashtext({0})").format(
        sql.Literal(f"outcomes-{purpose}:{schema}.{TABLE}"))


@contextmanager
def writer_turn(datastore: PostgresDatastore) -> Iterator[None]:
    """Hold the ledger's "turn" advisory lock on a pooled session (FIFO among waiters)."""
    key = lock_key(datastore.schema, "turn")
    with datastore.get_connection() as conn:
        conn.execute(sql.SQL("SELECT pg_advisory_lock({0})").format(key))
        try:
            yield
        finally:
            conn.execute(sql.SQL("SELECT pg_advisory_unlock({0})").format(key))


@contextmanager
def opening(target: Target, *, create: bool) -> Iterator[bool]:
    """Check the server and the ledger before the library connects.

    Yields whether the library must create the tables and the guards: only for `init`,
    and only when they are not all there already (so `init` of an existing ledger is a
    no-op that even an INSERT-only role may run). While they are created, the ledger's
    advisory lock is held, so concurrent inits cannot race on CREATE TYPE or FUNCTION.
    """
    conn = target.connect()
    try:
        exists = table_exists(conn, target.schema)
        if not create and not exists:
            raise LedgerError(f"no ledger at {target.describe()}: run `outcomes init` first "
                              "(or check --db / OUTCOMES_DB)")
        if not create or (exists and guarded(conn, target.schema)):
            yield False
            return
        conn.execute(sql.SQL("SELECT pg_advisory_lock({0})").format(lock_key(target.schema)))
        if target.schema != "public":
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(
                sql.Identifier(target.schema)))
        yield True
    except psycopg.Error as error:
        text = one_line(str(error), target.password)
        hint = ("; the database role lacks a privilege (see docs/postgresql.md, "
                '"Permissions")') if "permission denied" in text else ""
        raise LedgerError(f"{target.describe()}: {text}{hint}") from None
    finally:
        conn.close()  # also releases the session's advisory lock


def guard_statements(schema: str) -> list[sql.Composed]:
    """DDL making `outcomes_events` append-only; safe to run again."""
    fn = sql.Identifier(schema, GUARD_FUNCTION)
    table = sql.Identifier(schema, TABLE)
    return [
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'outcomes: the ledger is append-only (% refused on %)', "
            "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
        ).format(fn=fn),
        sql.SQL(
            "DO $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = {name} AND tgrelid = "
            "(quote_ident({schema}) || '.' || quote_ident({relname}))::regclass) THEN "
            "CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {fn}(); "
            "END IF; "
            "ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}; "
            "END $$"
        ).format(schema=sql.Literal(schema), relname=sql.Literal(TABLE),
                 name=sql.Literal(GUARD_TRIGGER),
                 trigger=sql.Identifier(GUARD_TRIGGER), table=table, fn=fn),
    ]


def install_guards(datastore: PostgresDatastore) -> None:
    with datastore.transaction(commit=True) as cursor:
        for statement in guard_statements(datastore.schema):
            cursor.execute(statement)


class LedgerRecorder(PostgresApplicationRecorder):
    """The library's recorder, serialising inserts with an advisory lock.

    The library takes `LOCK TABLE outcomes_events IN EXCLUSIVE MODE` so that rows commit
    in notification-id order. PostgreSQL grants that lock mode only to roles with
    UPDATE, DELETE or TRUNCATE on the table, which an append-only writer must not have.
    A transaction-scoped advisory lock, taken by every `outcomes` writer, gives the same
    ordering and needs no privilege. (Positions do not depend on it: each is guarded by
    the primary key of the ledger's one stream.)
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = TABLE):
        super().__init__(datastore, events_table_name=events_table_name)
        self.lock_table_statements = [
            sql.SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout),
            sql.SQL("SELECT pg_advisory_xact_lock({0})").format(lock_key(datastore.schema)),
        ]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """The library's insert, in one plain transaction rather than in pipeline mode.

        With psycopg's pure-Python libpq wrapper, pipeline mode can deadlock on a large
        batch (client and server both waiting to read: psycopg issue #685); a 50,000-line
        import hung for good. Three round trips per append cost nothing here.
        """
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.transaction(), \
                conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
